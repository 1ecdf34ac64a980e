/* dp_catalog_test.c - the JSON of /models, /models/{id}/endpoints, /providers, /key and
 * /generation, field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_catalog.h"
#include "dp_catalog_query.h"
#include "dp_view.h"
#include "sy_json.h"

static void put(struct dp_view *v, Sy__Update *u)
{
	assert_int_equal(dp_view_apply(v, u), 0);
}

static void add_provider(struct dp_view *v, const char *slug, const char *name)
{
	char topic[64];
	snprintf(topic, sizeof(topic), "provider/%s", slug);
	Sy__Provider p = SY__PROVIDER__INIT;
	p.slug = (char *)slug;
	p.name = (char *)name;
	p.base_url = "http://10.1.2.3/v1";
	p.api_key = "provider-secret-credential";
	p.has_api_key = true;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_PROVIDER;
	u.provider = &p;
	put(v, &u);
}

static int setup(void **state)
{
	struct dp_view *v = dp_view_new();
	add_provider(v, "cheapco", "CheapCo");
	add_provider(v, "pricey", "Pricey");

	Sy__Pricing p1 = SY__PRICING__INIT, p2 = SY__PRICING__INIT, p3 = SY__PRICING__INIT;
	p1.prompt = "0.000003";
	p1.completion = "0.000015";
	p2.prompt = "0.000001";
	p2.completion = "0.000002";
	p2.input_cache_read = "0.0000001";
	p3.prompt = "0.0000000001"; /* cheapest of all, but its provider is unknown */
	Sy__Endpoint e1 = SY__ENDPOINT__INIT, e2 = SY__ENDPOINT__INIT, e3 = SY__ENDPOINT__INIT;
	e1.provider = "pricey";
	e1.provider_model_id = "m-large";
	e1.pricing = &p1;
	e2.provider = "cheapco";
	e2.provider_model_id = "large-v2";
	e2.pricing = &p2;
	e2.quantization = "fp8";
	e2.has_max_completion_tokens = true;
	e2.max_completion_tokens = 4096;
	e2.has_context_length = true;
	e2.context_length = 32000;
	e3.provider = "ghost";
	e3.provider_model_id = "x";
	e3.pricing = &p3;
	Sy__Endpoint *eps[] = {&e1, &e2, &e3};
	char *params[] = {"temperature", "tools"};
	char *in[] = {"text", "image"};
	Sy__Model m = SY__MODEL__INIT;
	m.id = "acme/large";
	m.name = "Acme Large";
	m.description = "A large model";
	m.has_context_length = true;
	m.context_length = 128000;
	m.n_supported_parameters = 2;
	m.supported_parameters = params;
	m.n_input_modalities = 2;
	m.input_modalities = in;
	m.tokenizer = "GPT";
	m.has_created_at = true;
	m.created_at = 1700000000;
	m.n_endpoints = 3;
	m.endpoints = eps;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = "model/acme/large";
	u.value_case = SY__UPDATE__VALUE_MODEL;
	u.model = &m;
	put(v, &u);

	/* a model nobody can serve: listed nowhere */
	Sy__Endpoint e4 = SY__ENDPOINT__INIT, *eps4[] = {&e4};
	e4.provider = "ghost";
	e4.provider_model_id = "y";
	Sy__Model m2 = SY__MODEL__INIT;
	m2.id = "acme/orphan";
	m2.n_endpoints = 1;
	m2.endpoints = eps4;
	u.topic = "model/acme/orphan";
	u.model = &m2;
	put(v, &u);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	struct dp_view *v = *state;
	dp_view_unref(&v);
	return 0;
}

static const char *sget(json_t *o, const char *path)
{
	json_t *j = o;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && j;
	     t = strtok_r(NULL, ".", &save))
		j = json_object_get(j, t);
	if (!json_is_string(j))
		fail_msg("%s is not a string", path);
	return json_string_value(j);
}

/* No builder output may contain a credential or an internal address. */
static void assert_no_secrets(json_t *j)
{
	char *s = sy_json_dump(j);
	assert_non_null(s);
	assert_null(strstr(s, "provider-secret-credential"));
	assert_null(strstr(s, "10.1.2.3"));
	assert_null(strstr(s, "api_key"));
	free(s);
}

/* Usage example: GET /models. */
static void test_models_list(void **state)
{
	json_t *j = dp_catalog_models(*state, NULL, NULL, "/api/v1/models");
	assert_non_null(j);
	json_t *data = json_object_get(j, "data");
	assert_int_equal(json_array_size(data), 1); /* the orphan is not listed */
	assert_int_equal(json_integer_value(json_object_get(j, "total_count")), 1);
	assert_true(json_is_null(json_object_get(json_object_get(j, "links"), "next")));

	json_t *m = json_array_get(data, 0);
	assert_string_equal(sget(m, "id"), "acme/large");
	assert_string_equal(sget(m, "canonical_slug"), "acme/large");
	assert_string_equal(sget(m, "name"), "Acme Large");
	assert_string_equal(sget(m, "description"), "A large model");
	assert_int_equal(json_integer_value(json_object_get(m, "created")), 1700000000);
	assert_string_equal(sget(m, "architecture.modality"), "text+image->text");
	assert_string_equal(sget(m, "architecture.tokenizer"), "GPT");
	assert_int_equal(json_array_size(json_object_get(json_object_get(m, "architecture"),
	                                                 "input_modalities")),
	                 2);
	assert_true(
	    json_is_null(json_object_get(json_object_get(m, "architecture"), "instruct_type")));
	/* priced from the cheapest endpoint with a known provider, all strings */
	assert_string_equal(sget(m, "pricing.prompt"), "0.000001");
	assert_string_equal(sget(m, "pricing.completion"), "0.000002");
	assert_string_equal(sget(m, "pricing.request"), "0");
	assert_string_equal(sget(m, "pricing.input_cache_read"), "0.0000001");
	assert_string_equal(sget(m, "pricing.input_cache_write"), "0");
	json_t *top = json_object_get(m, "top_provider");
	assert_int_equal(json_integer_value(json_object_get(top, "context_length")), 32000);
	assert_int_equal(json_integer_value(json_object_get(top, "max_completion_tokens")), 4096);
	assert_true(json_is_false(json_object_get(top, "is_moderated")));
	assert_int_equal(json_integer_value(json_object_get(m, "context_length")), 32000);
	assert_true(json_is_null(json_object_get(m, "per_request_limits")));
	assert_true(json_is_object(json_object_get(m, "default_parameters")));
	assert_int_equal(json_array_size(json_object_get(m, "supported_parameters")), 2);
	assert_string_equal(sget(m, "links.details"), "/api/v1/models/acme/large/endpoints");
	assert_true(json_is_null(json_object_get(m, "supported_voices")));
	assert_no_secrets(j);
	json_decref(j);
}

/* A model with a free variant (tag "free") is listed twice: the base id at its paid price,
 * "<id>:free" at 0. */
static void test_models_free_variant(void **state)
{
	struct dp_view *v = dp_view_new();
	add_provider(v, "cheapco", "CheapCo");
	Sy__Pricing paid = SY__PRICING__INIT, zero = SY__PRICING__INIT;
	paid.prompt = "0.00000005";
	paid.completion = "0.00000022";
	zero.prompt = zero.completion = "0";
	Sy__Endpoint e1 = SY__ENDPOINT__INIT, e2 = SY__ENDPOINT__INIT, *eps[] = {&e2, &e1};
	e1.provider = e2.provider = "cheapco";
	e1.provider_model_id = e2.provider_model_id = "dev";
	e1.pricing = &paid;
	e2.pricing = &zero;
	e2.tag = "free";
	Sy__Model m = SY__MODEL__INIT;
	m.id = "acme/dev";
	m.name = "Acme Dev";
	m.n_endpoints = 2;
	m.endpoints = eps;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = "model/acme/dev";
	u.value_case = SY__UPDATE__VALUE_MODEL;
	u.model = &m;
	put(v, &u);

	json_t *j = dp_catalog_models(v, NULL, NULL, "/api/v1/models");
	json_t *data = json_object_get(j, "data");
	assert_int_equal(json_array_size(data), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "total_count")), 2);
	json_t *base = json_array_get(data, 0), *fr = json_array_get(data, 1);
	assert_string_equal(sget(base, "id"), "acme/dev");
	assert_string_equal(sget(base, "pricing.prompt"), "0.00000005");
	assert_string_equal(sget(base, "pricing.completion"), "0.00000022");
	assert_string_equal(sget(fr, "id"), "acme/dev:free");
	assert_string_equal(sget(fr, "canonical_slug"), "acme/dev");
	assert_string_equal(sget(fr, "name"), "Acme Dev (free)");
	assert_string_equal(sget(fr, "pricing.prompt"), "0");
	assert_string_equal(sget(fr, "pricing.completion"), "0");
	json_decref(j);
	dp_view_unref(&v);
}

/* A listed model author/NAME on cheapco with params, categories and no tokenizer. */
static void add_model(struct dp_view *v, const char *id, uint32_t ctx, char **params,
                      size_t n_params, char **cats, size_t n_cats)
{
	char topic[128];
	snprintf(topic, sizeof(topic), "model/%s", id);
	Sy__Pricing p = SY__PRICING__INIT;
	p.prompt = "0.000001";
	p.completion = "0.000001";
	Sy__Endpoint e = SY__ENDPOINT__INIT, *eps[] = {&e};
	e.provider = "cheapco";
	e.provider_model_id = "x";
	e.pricing = &p;
	Sy__Model m = SY__MODEL__INIT;
	m.id = (char *)id;
	m.description = "";
	m.has_context_length = true;
	m.context_length = ctx;
	m.supported_parameters = params;
	m.n_supported_parameters = n_params;
	m.categories = cats;
	m.n_categories = n_cats;
	m.n_endpoints = 1;
	m.endpoints = eps;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_MODEL;
	u.model = &m;
	put(v, &u);
}

/* The ids of a /models answer, space-separated. */
static const char *ids(json_t *j, char *buf, size_t n)
{
	size_t i, pos = 0;
	json_t *m;
	buf[0] = '\0';
	json_array_foreach(json_object_get(j, "data"), i, m)
	{
		pos += (size_t)snprintf(buf + pos, n - pos, "%s%s", pos ? " " : "", sget(m, "id"));
	}
	return buf;
}

static void test_models_query(void **state)
{
	struct dp_view *v = *state;
	char *tools[] = {"tools", "temperature"}, *temp[] = {"temperature"};
	char *code[] = {"programming"}, *both[] = {"science", "programming"};
	add_model(v, "beta/coder", 64000, tools, 2, code, 1);
	add_model(v, "beta/talker", 8000, temp, 1, NULL, 0);
	add_model(v, "gamma/sci", 200000, tools, 2, both, 2);
	char buf[256];
	const char *path = "/api/v1/models";
	struct {
		struct dp_catalog_query q;
		const char *want;
		size_t total;
	} cases[] = {
	    {{0}, "acme/large beta/coder beta/talker gamma/sci", 4},
	    {{.q = "TALK"}, "beta/talker", 1},
	    {{.q = "a large"}, "acme/large", 1}, /* the description */
	    {{.category = "programming"}, "beta/coder gamma/sci", 2},
	    {{.category = "legal"}, "", 0},
	    {{.supported_parameters = "tools,temperature"}, "acme/large beta/coder gamma/sci", 3},
	    {{.supported_parameters = "temperature,,"},
	     "acme/large beta/coder beta/talker gamma/sci",
	     4},
	    {{.supported_parameters = "seed"}, "", 0},
	    {{.model_authors = "gamma,beta"}, "beta/coder beta/talker gamma/sci", 3},
	    {{.model_authors = "bet"}, "", 0},
	    {{.context = 64000}, "beta/coder gamma/sci", 2},
	    {{.limit = 2}, "acme/large beta/coder", 4},
	    {{.offset = 2, .limit = 2}, "beta/talker gamma/sci", 4},
	    {{.offset = 3, .limit = 5}, "gamma/sci", 4},
	    {{.offset = 9}, "", 4},
	    {{.q = "beta", .limit = 1, .offset = 1}, "beta/talker", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = dp_catalog_models(v, NULL, &cases[i].q, path);
		if (strcmp(ids(j, buf, sizeof(buf)), cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, buf, cases[i].want);
		assert_int_equal(json_integer_value(json_object_get(j, "total_count")),
		                 cases[i].total);
		json_decref(j);
		j = dp_catalog_models_count(v, &cases[i].q);
		assert_int_equal(
		    json_integer_value(json_object_get(json_object_get(j, "data"), "count")),
		    cases[i].total);
		json_decref(j);
	}
	/* links.next: the same filters, the next offset */
	struct dp_catalog_query q = {.q = "a b&c", .limit = 1};
	json_t *j = dp_catalog_models(v, NULL, &(struct dp_catalog_query){.limit = 3}, path);
	assert_string_equal(sget(j, "links.next"), "/api/v1/models?offset=3&limit=3");
	json_decref(j);
	add_model(v, "x/a b&c", 1000, NULL, 0, NULL, 0);
	add_model(v, "y/a b&c", 1000, NULL, 0, NULL, 0);
	j = dp_catalog_models(v, NULL, &q, path);
	assert_string_equal(sget(j, "links.next"), "/api/v1/models?q=a%20b%26c&offset=1&limit=1");
	json_decref(j);
	q.offset = 1;
	j = dp_catalog_models(v, NULL, &q, path);
	assert_true(json_is_null(json_object_get(json_object_get(j, "links"), "next")));
	json_decref(j);

	/* GET /model/{author}/{slug}, and the tokenizer as /endpoints shows it */
	j = dp_catalog_model(v, dp_view_model(v, "beta/coder"));
	assert_string_equal(sget(j, "data.id"), "beta/coder");
	assert_string_equal(sget(j, "data.architecture.tokenizer"), "Other");
	json_decref(j);
	j = dp_catalog_model_endpoints(v, dp_view_model(v, "beta/coder"));
	assert_string_equal(sget(j, "data.architecture.tokenizer"), "Other");
	json_decref(j);
	assert_null(dp_catalog_model(v, dp_view_model(v, "acme/orphan")));
}

static void test_model_endpoints(void **state)
{
	struct dp_view *v = *state;
	json_t *j = dp_catalog_model_endpoints(v, dp_view_model(v, "acme/large"));
	json_t *d = json_object_get(j, "data");
	assert_string_equal(sget(d, "id"), "acme/large");
	assert_string_equal(sget(d, "name"), "Acme Large");
	assert_string_equal(sget(d, "architecture.modality"), "text+image->text");
	json_t *eps = json_object_get(d, "endpoints");
	assert_int_equal(json_array_size(eps), 2); /* the ghost provider's is left out */

	json_t *e = json_array_get(eps, 1);
	assert_string_equal(sget(e, "name"), "CheapCo | acme/large");
	assert_string_equal(sget(e, "model_id"), "acme/large");
	assert_string_equal(sget(e, "model_name"), "Acme Large");
	assert_string_equal(sget(e, "provider_name"), "CheapCo");
	assert_string_equal(sget(e, "tag"), "cheapco");
	assert_string_equal(sget(e, "quantization"), "fp8");
	assert_string_equal(sget(e, "pricing.prompt"), "0.000001");
	assert_int_equal(json_integer_value(json_object_get(e, "context_length")), 32000);
	assert_int_equal(json_integer_value(json_object_get(e, "max_completion_tokens")), 4096);
	assert_int_equal(json_integer_value(json_object_get(e, "status")), 0);
	assert_true(json_is_null(json_object_get(e, "max_prompt_tokens")));
	assert_true(json_is_null(json_object_get(e, "uptime_last_30m")));
	assert_true(json_is_null(json_object_get(e, "latency_last_30m")));
	assert_true(json_is_null(json_object_get(e, "throughput_last_30m")));
	assert_true(
	    json_is_true(json_object_get(json_object_get(e, "supports_tool_choice"), "auto")));

	json_t *e0 = json_array_get(eps, 0);
	assert_string_equal(sget(e0, "provider_name"), "Pricey");
	/* the model's context length when the endpoint has none */
	assert_int_equal(json_integer_value(json_object_get(e0, "context_length")), 128000);
	assert_true(json_is_null(json_object_get(e0, "quantization")));
	assert_true(json_is_null(json_object_get(e0, "max_completion_tokens")));
	assert_no_secrets(j);
	json_decref(j);
}

static void test_providers(void **state)
{
	json_t *j = dp_catalog_providers(*state);
	json_t *d = json_object_get(j, "data");
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(sget(json_array_get(d, 0), "slug"), "cheapco");
	assert_string_equal(sget(json_array_get(d, 0), "name"), "CheapCo");
	assert_true(json_is_null(json_object_get(json_array_get(d, 1), "privacy_policy_url")));
	assert_no_secrets(j);
	json_decref(j);
}

static void test_key(void **state)
{
	Sy__ApiKey k = SY__API_KEY__INIT;
	k.hash = "ab";
	k.org_id = "org-1";
	k.name = "ci";
	k.label = "sk-sy-v1-abc...def";
	k.has_limit = true;
	k.limit = 25 * 10000000000LL; /* $25 */
	k.limit_reset = "monthly";
	k.has_expires_at = true;
	k.expires_at = 1767225600; /* 2026-01-01 */
	Sy__Org org = SY__ORG__INIT;
	org.id = "org-1";
	org.has_credits_purchased = true;
	org.credits_purchased = 5 * 10000000000LL; /* bought $5: not the free tier */
	json_t *j = dp_catalog_key(&k, &org);
	json_t *d = json_object_get(j, "data");
	assert_string_equal(sget(d, "label"), "sk-sy-v1-abc...def");
	assert_string_equal(sget(d, "name"), "ci");
	assert_true(json_real_value(json_object_get(d, "limit")) == 25.0);
	assert_true(json_real_value(json_object_get(d, "limit_remaining")) == 25.0);
	assert_string_equal(sget(d, "limit_reset"), "monthly");
	assert_string_equal(sget(d, "expires_at"), "2026-01-01T00:00:00Z");
	assert_string_equal(sget(d, "org_id"), "org-1");
	assert_true(json_is_false(json_object_get(d, "is_management_key")));
	assert_true(json_is_false(json_object_get(d, "is_free_tier")));
	assert_true(json_is_false(json_object_get(d, "disabled")));
	assert_true(json_is_number(json_object_get(d, "usage_monthly")));
	assert_true(json_is_object(json_object_get(d, "rate_limit")));
	assert_null(json_object_get(d, "hash")); /* the hash is the admin API's id, not shown */
	json_decref(j);

	Sy__ApiKey nolimit = SY__API_KEY__INIT;
	nolimit.hash = "cd";
	nolimit.org_id = "org-1";
	j = dp_catalog_key(&nolimit, NULL);
	d = json_object_get(j, "data");
	assert_true(json_is_null(json_object_get(d, "limit")));
	assert_true(json_is_null(json_object_get(d, "limit_remaining")));
	assert_true(json_is_null(json_object_get(d, "limit_reset")));
	assert_true(json_is_null(json_object_get(d, "expires_at")));
	json_decref(j);

	Sy__MgmtKey mk = SY__MGMT_KEY__INIT;
	mk.hash = "ef";
	mk.name = "admin";
	j = dp_catalog_mgmt_key(&mk);
	assert_true(json_is_true(json_object_get(json_object_get(j, "data"), "is_management_key")));
	json_decref(j);
}

static void test_generation(void **state)
{
	Sy__Attempt a1 = SY__ATTEMPT__INIT, a2 = SY__ATTEMPT__INIT, *att[] = {&a1, &a2};
	a1.provider = "pricey";
	a1.has_status = true;
	a1.status = 503;
	a1.has_latency_ms = true;
	a1.latency_ms = 12;
	a1.error_class = "http_5xx";
	a2.provider = "cheapco";
	a2.has_status = true;
	a2.status = 200;
	a2.latency_ms = 80;
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = "gen-1700000000-abcdefghijABCDEFGHIJ";
	r.model = "acme/large";
	r.provider = "cheapco";
	r.prompt_tokens = 10;
	r.completion_tokens = 20;
	r.reasoning_tokens = 5;
	r.cached_tokens = 3;
	r.latency_ms = 95;
	r.generation_time_ms = 80;
	r.streamed = true;
	r.finish_reason = "stop";
	r.native_finish_reason = "end_turn";
	r.created_at = 1700000000;
	r.cost = 500000; /* $0.00005 */
	r.http_referer = "https://app.example";
	r.n_attempts = 2;
	r.attempts = att;
	json_t *j = dp_catalog_generation(*state, &r);
	json_t *d = json_object_get(j, "data");
	assert_string_equal(sget(d, "id"), "gen-1700000000-abcdefghijABCDEFGHIJ");
	assert_string_equal(sget(d, "model"), "acme/large");
	assert_string_equal(sget(d, "provider_name"), "CheapCo"); /* display name from the view */
	assert_string_equal(sget(d, "created_at"), "2023-11-14T22:13:20Z");
	assert_true(json_real_value(json_object_get(d, "total_cost")) == 0.00005);
	assert_true(json_real_value(json_object_get(d, "usage")) == 0.00005);
	assert_true(json_is_false(json_object_get(d, "is_byok")));
	assert_true(json_is_true(json_object_get(d, "streamed")));
	assert_true(json_is_false(json_object_get(d, "cancelled")));
	assert_string_equal(sget(d, "finish_reason"), "stop");
	assert_string_equal(sget(d, "native_finish_reason"), "end_turn");
	assert_int_equal(json_integer_value(json_object_get(d, "tokens_prompt")), 10);
	assert_int_equal(json_integer_value(json_object_get(d, "tokens_completion")), 20);
	assert_int_equal(json_integer_value(json_object_get(d, "native_tokens_reasoning")), 5);
	assert_int_equal(json_integer_value(json_object_get(d, "native_tokens_cached")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "latency")), 95);
	assert_int_equal(json_integer_value(json_object_get(d, "generation_time")), 80);
	assert_string_equal(sget(d, "origin"), "https://app.example");
	assert_string_equal(sget(d, "http_referer"), "https://app.example");
	assert_true(json_is_null(json_object_get(d, "app_id")));
	json_t *pr = json_object_get(d, "provider_responses");
	assert_int_equal(json_array_size(pr), 2);
	assert_string_equal(sget(json_array_get(pr, 0), "provider_name"), "Pricey");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(pr, 0), "status")), 503);
	assert_string_equal(sget(json_array_get(pr, 0), "error_class"), "http_5xx");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(pr, 1), "latency")), 80);
	json_decref(j);

	/* a failed request: no finish reason, no referer */
	Sy__UsageRecord f = SY__USAGE_RECORD__INIT;
	f.id = "gen-1-x";
	j = dp_catalog_generation(NULL, &f);
	d = json_object_get(j, "data");
	assert_true(json_is_null(json_object_get(d, "finish_reason")));
	assert_true(json_is_null(json_object_get(d, "http_referer")));
	assert_string_equal(sget(d, "origin"), "");
	assert_int_equal(json_array_size(json_object_get(d, "provider_responses")), 0);
	assert_string_equal(sget(d, "kind"), "chat");
	assert_string_equal(sget(d, "api_type"), "completions");
	json_decref(j);

	/* an embeddings request (UsageRecord.kind) */
	f.kind = "embeddings";
	j = dp_catalog_generation(NULL, &f);
	d = json_object_get(j, "data");
	assert_string_equal(sget(d, "kind"), "embeddings");
	assert_string_equal(sget(d, "api_type"), "embeddings");
	json_decref(j);
}

/* The ids a model list keeps after GET /models' modality filters, comma-joined. */
static void filtered(const char *input, const char *output, const char *want)
{
	json_t *list = json_loads(
	    "{\"total_count\":4,\"data\":["
	    "{\"id\":\"chat\",\"architecture\":{\"input_modalities\":[\"text\"],"
	    "\"output_modalities\":[\"text\"]}},"
	    "{\"id\":\"vision\",\"architecture\":{\"input_modalities\":[\"text\",\"image\"],"
	    "\"output_modalities\":[\"text\"]}},"
	    "{\"id\":\"painter\",\"architecture\":{\"input_modalities\":[\"text\"],"
	    "\"output_modalities\":[\"image\",\"text\"]}},"
	    "{\"id\":\"embed\",\"architecture\":{\"input_modalities\":[\"text\"],"
	    "\"output_modalities\":[\"embeddings\"]}}]}",
	    0, NULL);
	assert_non_null(list);
	struct dp_catalog_query q = {.input_modalities = input, .output_modalities = output};
	Sy__Model model = SY__MODEL__INIT;
	model.id = "any/model";
	char got[128] = "";
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(list, "data"), i, m)
	{
		if (dp_catalog_query_match(&q, &model, m))
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			         *got ? "," : "", sget(m, "id"));
	}
	assert_string_equal(got, want);
	json_decref(list);
}

/* OpenRouter's input_modalities and output_modalities filters (output defaults to text). */
static void test_models_modalities(void **state)
{
	filtered(NULL, NULL, "chat,vision,painter");
	filtered(NULL, "text", "chat,vision,painter");
	filtered(NULL, "embeddings", "embed");
	filtered(NULL, "image", "painter");
	filtered(NULL, "image,embeddings", "painter,embed");
	filtered(NULL, "all", "chat,vision,painter,embed");
	filtered(NULL, "emb", ""); /* whole names only */
	filtered("image", NULL, "vision");
	filtered("all", "all", "chat,vision,painter,embed");
	filtered("text", "embeddings", "embed");
	filtered("audio", "all", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_models_free_variant),
	    cmocka_unit_test_setup_teardown(test_models_list, setup, teardown),
	    cmocka_unit_test(test_models_modalities),
	    cmocka_unit_test_setup_teardown(test_models_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_model_endpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_providers, setup, teardown),
	    cmocka_unit_test(test_key),
	    cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
