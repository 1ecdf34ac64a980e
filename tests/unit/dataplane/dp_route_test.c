/* dp_route_test.c - provider routing: filters, orderings, variants, load balancing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_embed.h"
#include "dp_policy.h"
#include "dp_request.h"
#include "dp_route.h"
#include "sy_err.h"

/* ---- a small catalog, built once into static storage ------------------------------------ */

static Sy__Provider provs[8];
static size_t n_provs;
static Sy__Model models[16];
static size_t n_models;
static Sy__Endpoint eps[64];
static Sy__Endpoint *ep_ptr[64];
static Sy__Pricing prices[64];
static size_t n_eps;

static char *llama_params[] = {"temperature", "max_tokens", "tools", "seed"};
static char *together_params[] = {"tools", "temperature", "max_tokens"};
static char *azure_params[] = {"temperature", "max_tokens", "response_format", "tools"};
static char *free_params[] = {"max_tokens"};

static void add_provider(const char *slug, const char *name, bool deny)
{
	Sy__Provider p = SY__PROVIDER__INIT;
	p.slug = (char *)slug;
	p.name = (char *)name;
	p.has_data_collection_deny = deny;
	p.data_collection_deny = deny;
	provs[n_provs++] = p;
}

static Sy__Model *add_model(const char *id, char **params, size_t n_params)
{
	Sy__Model m = SY__MODEL__INIT;
	m.id = (char *)id;
	m.supported_parameters = params;
	m.n_supported_parameters = n_params;
	m.endpoints = &ep_ptr[n_eps]; /* its endpoints are added next, contiguously */
	models[n_models] = m;
	return &models[n_models++];
}

/* prompt/completion/request are USD per token (per request) strings */
static void add_endpoint(Sy__Model *m, const char *prov, const char *prompt, const char *completion,
                         const char *request, const char *quant, char **params, size_t n_params)
{
	Sy__Pricing pr = SY__PRICING__INIT;
	pr.prompt = (char *)prompt;
	pr.completion = (char *)completion;
	pr.request = (char *)request;
	prices[n_eps] = pr;
	Sy__Endpoint e = SY__ENDPOINT__INIT;
	e.provider = (char *)prov;
	e.provider_model_id = (char *)"upstream-id";
	e.pricing = &prices[n_eps];
	e.quantization = (char *)quant;
	e.supported_parameters = params;
	e.n_supported_parameters = n_params;
	eps[n_eps] = e;
	ep_ptr[n_eps] = &eps[n_eps];
	n_eps++;
	m->n_endpoints++;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PER_M(x) "0.00000" #x /* $x per million tokens, for x in 1..9 */

static int build_catalog(void **state)
{
	add_provider("openai", "OpenAI", false);
	add_provider("azure", "Azure", true);
	add_provider("together", "Together", false);
	add_provider("fireworks", "Fireworks", true);
	add_provider("free-host", "FreeHost", false);

	Sy__Model *m = add_model("meta/llama", llama_params, N(llama_params));
	add_endpoint(m, "together", PER_M(1), "0", NULL, "fp8", together_params,
	             N(together_params));
	add_endpoint(m, "fireworks", PER_M(2), "0", NULL, "fp16", NULL, 0); /* model's params */
	add_endpoint(m, "azure", PER_M(3), "0", NULL, "bf16", azure_params, N(azure_params));
	add_endpoint(m, "free-host", "0", "0", "", "int4", free_params, N(free_params));
	add_endpoint(m, "ghost", "0", "0", NULL, NULL, NULL, 0); /* provider not in catalog */

	m = add_model("openai/gpt", NULL, 0);
	add_endpoint(m, "openai", PER_M(2), PER_M(3), NULL, NULL, NULL, 0);
	add_endpoint(m, "azure", PER_M(2), PER_M(3), "0.001", NULL, NULL, 0);

	/* $1, $2, $3 per million tokens: the inverse-square-price split is 36:9:4 */
	m = add_model("stat/m", NULL, 0);
	add_endpoint(m, "together", PER_M(1), "0", NULL, NULL, NULL, 0);
	add_endpoint(m, "fireworks", "0.0000005", "0.0000015", NULL, NULL, NULL, 0);
	add_endpoint(m, "azure", PER_M(3), "0", NULL, NULL, NULL, 0);

	m = add_model("solo/m", NULL, 0);
	add_endpoint(m, "openai", PER_M(1), PER_M(1), NULL, NULL, NULL, 0);
	add_endpoint(m, "azure", "not-a-price", "0", NULL, NULL, NULL, 0); /* unusable */

	add_model("x/empty", NULL, 0);

	/* an embeddings model (POST /embeddings only) */
	static char *emb[] = {"embeddings"};
	m = add_model("e/emb", NULL, 0);
	m->output_modalities = emb;
	m->n_output_modalities = 1;
	add_endpoint(m, "azure", PER_M(2), "0", NULL, NULL, NULL, 0);
	add_endpoint(m, "openai", PER_M(1), "0", NULL, NULL, NULL, 0);
	/* a paid endpoint and the catalog's free variant (tag "free"); a free-only model */
	m = add_model("mistral/dev", NULL, 0);
	add_endpoint(m, "together", PER_M(1), PER_M(2), NULL, NULL, NULL, 0);
	add_endpoint(m, "free-host", "0", "0", NULL, NULL, NULL, 0);
	eps[n_eps - 1].tag = "free";
	m = add_model("mistral/free-only", NULL, 0);
	add_endpoint(m, "free-host", "0", "0", NULL, NULL, NULL, 0);
	eps[n_eps - 1].tag = "free";

	m = add_model("big/m", NULL, 0);
	for (int i = 0; i < 40; i++)
		add_endpoint(m, "together", PER_M(1), "0", NULL, NULL, NULL, 0);
	assert_true(n_eps <= N(eps));
	return 0;
}

/* ---- the routing context over that catalog -------------------------------------------- */

struct metric {
	const char *slug;
	double v;
};

struct world {
	const char *unhealthy[4];    /* provider slugs whose endpoints are ejected */
	struct metric tp[8], lat[8]; /* throughput, latency by provider slug */
	const Sy__ApiKey *key;       /* the calling key's restrictions, NULL = none */
	bool org_zdr;                /* the key's org enforces zero data retention */
};

static const Sy__Model *lookup_model(void *arg, const char *id)
{
	for (size_t i = 0; i < n_models; i++)
		if (!strcmp(models[i].id, id))
			return &models[i];
	return NULL;
}

static const Sy__Provider *lookup_provider(void *arg, const char *slug)
{
	for (size_t i = 0; i < n_provs; i++)
		if (!strcmp(provs[i].slug, slug))
			return &provs[i];
	return NULL;
}

static bool healthy(void *arg, const char *model_id, const char *slug)
{
	struct world *w = arg;
	for (size_t i = 0; i < N(w->unhealthy) && w->unhealthy[i]; i++)
		if (!strcmp(w->unhealthy[i], slug))
			return false;
	return true;
}

static double find_metric(const struct metric *m, const char *slug)
{
	for (size_t i = 0; i < 8 && m[i].slug; i++)
		if (!strcmp(m[i].slug, slug))
			return m[i].v;
	return NAN;
}

static double throughput(void *arg, const char *model_id, const char *slug)
{
	return find_metric(((struct world *)arg)->tp, slug);
}

static double latency(void *arg, const char *model_id, const char *slug)
{
	return find_metric(((struct world *)arg)->lat, slug);
}

#define BODY(model, extra)                                                                         \
	"{\"model\":\"" model "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" extra "}"

static char last_err[256];
static int last_status;

static int route(struct world *w, uint64_t random, const char *body, struct dp_route_plan *plan)
{
	struct dp_chat_req req;
	char perr[256];
	/* a body with input is an embeddings request (dp_embed), else a chat */
	if ((strstr(body, "\"input\"") ? dp_embed_parse : dp_request_parse)(
	        body, strlen(body), &req, perr, sizeof(perr)))
		fail_msg("bad test body %s: %s", body, perr);
	struct dp_policy pol = {.key = w->key, .zdr_by = w->org_zdr ? "your organization" : NULL};
	struct dp_route_ctx ctx = {
	    .model = lookup_model,
	    .provider = lookup_provider,
	    .healthy = healthy,
	    .throughput = throughput,
	    .latency = latency,
	    .arg = w,
	    .random = random,
	    .policy = &pol,
	};
	last_err[0] = '\0';
	last_status = 0;
	int rc = dp_route_plan(&ctx, &req, plan, &last_status, last_err, sizeof(last_err));
	dp_request_release(&req);
	return rc;
}

/* The plan as "slug slug ..." (with_model: "model/slug ..."). */
static const char *plan_str(const struct dp_route_plan *p, bool with_model)
{
	static char s[2048];
	size_t used = 0;
	s[0] = '\0';
	for (size_t i = 0; i < p->n; i++)
		used += (size_t)snprintf(s + used, sizeof(s) - used, "%s%s%s%s", i ? " " : "",
		                         with_model ? p->t[i].model_id : "", with_model ? ":" : "",
		                         p->t[i].ep->provider);
	return s;
}

static void expect_plan(struct world *w, uint64_t random, const char *body, const char *want)
{
	struct dp_route_plan p;
	int rc = route(w, random, body, &p);
	if (rc)
		fail_msg("%s: rc %d (%d %s)", body, rc, last_status, last_err);
	bool multi = strchr(want, ':') != NULL;
	if (strcmp(plan_str(&p, multi), want))
		fail_msg("%s\n  plan \"%s\"\n  want \"%s\"", body, plan_str(&p, multi), want);
}

static void expect_404(struct world *w, const char *body, const char *message)
{
	struct dp_route_plan p;
	int rc = route(w, 0, body, &p);
	if (rc != SY_ENOTFOUND || last_status != 404 || strcmp(last_err, message))
		fail_msg("%s\n  rc %d status %d \"%s\"\n  want 404 \"%s\"", body, rc, last_status,
		         last_err, message);
	assert_int_equal(p.n, 0);
}

/* A draw that lands at fraction u of the weighted range. */
static uint64_t draw_at(double u)
{
	return (uint64_t)(u * 9007199254740992.0) << 11;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_route_a_request(void **state)
{
	struct world w = {0};
	struct dp_route_plan p;
	assert_int_equal(route(&w, 0, BODY("stat/m", ""), &p), 0);
	assert_int_equal(p.n, 3);
	/* the cheapest is the likeliest first choice; the others follow by price */
	assert_string_equal(plan_str(&p, false), "together fireworks azure");
	const struct dp_route_target *t = &p.t[0];
	assert_string_equal(t->model_id, "stat/m");
	assert_ptr_equal(t->model, lookup_model(NULL, "stat/m"));
	assert_string_equal(t->prov->name, "Together");
	assert_string_equal(t->ep->provider_model_id, "upstream-id");
	assert_int_equal(t->price.prompt, 10000);
	assert_int_equal(t->price.completion, 0);
	assert_false(t->free_variant);
	assert_int_equal(p.t[1].price.prompt, 5000);
	assert_int_equal(p.t[1].price.completion, 15000);
}

/* The key's allowed/ignored providers and max_price filter before the request's own
 * preferences; when they alone leave nothing the answer is 403 naming the rule. */
static void test_key_restrictions(void **state)
{
	char *allowed[] = {"together", "Azure"}, *ignored[] = {"together"}, *openai[] = {"openai"};
	Sy__MaxPrice mp = SY__MAX_PRICE__INIT;
	Sy__ApiKey k = SY__API_KEY__INIT;
	struct world w = {.key = &k};
	const char *body = BODY("stat/m", ",\"provider\":{\"sort\":\"price\"}");
	struct dp_route_plan p;

	k.allowed_providers = allowed;
	k.n_allowed_providers = N(allowed);
	expect_plan(&w, 0, body, "together azure");
	k.n_allowed_providers = 0;
	k.ignored_providers = ignored;
	k.n_ignored_providers = N(ignored);
	expect_plan(&w, 0, body, "fireworks azure");
	k.n_ignored_providers = 0;
	k.max_price = &mp;
	mp.has_prompt = true;
	mp.prompt = 2; /* USD per million tokens: azure's 3 is too much */
	expect_plan(&w, 0, body, "together fireworks");

	mp.prompt = 0.1;
	assert_int_equal(route(&w, 0, body, &p), SY_EFORBIDDEN);
	assert_int_equal(last_status, 403);
	assert_string_equal(p.rule, "max_price");
	assert_string_equal(last_err, "Every endpoint of stat/m is priced above this API key's "
	                              "max_price");
	k.max_price = NULL;
	k.allowed_providers = openai;
	k.n_allowed_providers = N(openai);
	assert_int_equal(route(&w, 0, body, &p), SY_EFORBIDDEN);
	assert_string_equal(p.rule, "allowed_providers");
	/* the request's own filter emptying what the key left is the request's 404 */
	expect_404(&w, BODY("openai/gpt", ",\"provider\":{\"only\":[\"azure\"]}"),
	           "No allowed providers are available for the selected model (provider.only)");
	k.n_allowed_providers = 0;
	k.ignored_providers = openai;
	k.n_ignored_providers = N(openai);
	assert_int_equal(route(&w, 0, BODY("solo/m", ""), &p), SY_EFORBIDDEN);
	assert_string_equal(p.rule, "ignored_providers");
}

/* Data policy: provider.zdr and an org's enforcement keep zero-data-retention providers only,
 * provider.allowed_data_regions those of a listed region; an empty list names the policy. */
static void test_data_policy(void **state)
{
	Sy__Provider *azure = (Sy__Provider *)lookup_provider(NULL, "azure");
	Sy__Provider *together = (Sy__Provider *)lookup_provider(NULL, "together");
	azure->zdr = azure->has_zdr = true;
	azure->region = "europe";
	together->region = "us";
	struct world w = {0};
	expect_plan(&w, 0, BODY("stat/m", ",\"provider\":{\"zdr\":true}"), "azure");
	expect_plan(&w, 0, BODY("stat/m", ",\"provider\":{\"allowed_data_regions\":[\"us\"]}"),
	            "together");
	expect_404(&w, BODY("stat/m", ",\"provider\":{\"allowed_data_regions\":[\"asia\"]}"),
	           "No endpoints found matching your data policy (allowed_data_regions: asia)");
	expect_404(&w, BODY("openai/gpt", ",\"provider\":{\"only\":[\"openai\"],\"zdr\":true}"),
	           "No endpoints found matching your data policy (zdr: zero data retention)");
	w.org_zdr = true;
	expect_plan(&w, 0, BODY("stat/m", ""), "azure");
	expect_404(&w, BODY("solo/m", ""),
	           "No endpoints found matching your data policy (zdr: zero data retention, "
	           "enforced for your organization)");
	azure->zdr = azure->has_zdr = false;
	azure->region = together->region = NULL;
}

static void test_weighted_first_choice(void **state)
{
	struct world w = {0};
	/* cumulative weights: together 36/49, fireworks 9/49, azure 4/49 */
	expect_plan(&w, draw_at(0.0), BODY("stat/m", ""), "together fireworks azure");
	expect_plan(&w, draw_at(35.9 / 49), BODY("stat/m", ""), "together fireworks azure");
	expect_plan(&w, draw_at(36.1 / 49), BODY("stat/m", ""), "fireworks together azure");
	expect_plan(&w, draw_at(44.9 / 49), BODY("stat/m", ""), "fireworks together azure");
	expect_plan(&w, draw_at(45.1 / 49), BODY("stat/m", ""), "azure together fireworks");
	expect_plan(&w, UINT64_MAX, BODY("stat/m", ""), "azure together fireworks");
}

static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void test_inverse_square_price_split(void **state)
{
	struct world w = {0};
	const char *slugs[3] = {"together", "fireworks", "azure"};
	const double want[3] = {36.0 / 49, 9.0 / 49, 4.0 / 49};
	int count[3] = {0};
	uint64_t seed = 20240501;
	const int draws = 30000;
	for (int i = 0; i < draws; i++) {
		struct dp_route_plan p;
		assert_int_equal(route(&w, prng_next(&seed), BODY("stat/m", ""), &p), 0);
		assert_int_equal(p.n, 3);
		for (int k = 0; k < 3; k++)
			count[k] += !strcmp(p.t[0].ep->provider, slugs[k]);
	}
	assert_int_equal(count[0] + count[1] + count[2], draws);
	for (int k = 0; k < 3; k++) {
		double got = (double)count[k] / draws;
		if (fabs(got - want[k]) > 0.02)
			fail_msg("%s chosen first %.4f of the time, want %.4f +- 0.02", slugs[k],
			         got, want[k]);
	}
}

static void test_free_endpoint_always_first(void **state)
{
	struct world w = {0};
	const uint64_t draws[] = {0, draw_at(0.5), UINT64_MAX};
	for (size_t i = 0; i < N(draws); i++)
		expect_plan(&w, draws[i], BODY("meta/llama", ""),
		            "free-host together fireworks azure");
}

/* A free variant's endpoint never serves the base id, whatever the draw (it used to win
 * every draw at cost 0, outside the free-model limits); `:free` reaches only it. */
static void test_free_variant_endpoint_serves_only_free(void **state)
{
	struct world w = {0};
	struct dp_route_plan p;
	uint64_t seed = 7;
	for (int i = 0; i < 25; i++) {
		assert_int_equal(route(&w, prng_next(&seed), BODY("mistral/dev", ""), &p), 0);
		assert_string_equal(plan_str(&p, false), "together");
		assert_false(p.t[0].free_variant);
	}
	assert_int_equal(route(&w, 0, BODY("mistral/dev:free", ""), &p), 0);
	assert_string_equal(plan_str(&p, false), "free-host");
	assert_true(p.t[0].free_variant);
	expect_404(&w, BODY("mistral/free-only", ""),
	           "No endpoints found for mistral/free-only (its free endpoints serve only "
	           "mistral/free-only:free)");
	expect_plan(&w, 0, BODY("mistral/free-only:free", ""), "free-host");
}

static void test_unhealthy_endpoints_last(void **state)
{
	struct world w = {.unhealthy = {"together"}};
	/* fireworks (9) vs azure (4): the first choice is drawn among the healthy ones */
	expect_plan(&w, 0, BODY("stat/m", ""), "fireworks azure together");
	expect_plan(&w, UINT64_MAX, BODY("stat/m", ""), "azure fireworks together");
	/* nothing healthy: every endpoint is still tried */
	struct world all = {.unhealthy = {"together", "fireworks", "azure"}};
	expect_plan(&all, 0, BODY("stat/m", ""), "together fireworks azure");
	/* a free endpoint that is unhealthy loses its precedence */
	struct world f = {.unhealthy = {"free-host"}};
	expect_plan(&f, 0, BODY("meta/llama", ""), "together fireworks azure free-host");
}

static void test_free_variant(void **state)
{
	struct world w = {0};
	struct dp_route_plan p;
	assert_int_equal(route(&w, 0, BODY("meta/llama:free", ""), &p), 0);
	assert_string_equal(plan_str(&p, false), "free-host");
	assert_true(p.t[0].free_variant);
	assert_string_equal(p.t[0].model_id, "meta/llama"); /* billed and shown without :free */
	assert_true(sy_price_is_free(&p.t[0].price));
	expect_404(&w, BODY("openai/gpt:free", ""), "No free endpoints found for openai/gpt");
}

static void test_floor_and_nitro_variants(void **state)
{
	struct world w = {.tp = {{"azure", 100}, {"fireworks", 50}, {"free-host", 10}}};
	/* :floor is price order whatever the draw */
	expect_plan(&w, UINT64_MAX, BODY("stat/m:floor", ""), "together fireworks azure");
	/* :nitro is throughput order, unknown last */
	expect_plan(&w, 0, BODY("meta/llama:nitro", ""), "azure fireworks free-host together");
	/* an explicit sort wins over the variant */
	expect_plan(&w, 0, BODY("meta/llama:nitro", ",\"provider\":{\"sort\":\"price\"}"),
	            "free-host together fireworks azure");
}

/* An unknown model is OpenRouter's 400 model_not_found. */
static void expect_unknown(struct world *w, const char *body, const char *message)
{
	struct dp_route_plan p;
	int rc = route(w, 0, body, &p);
	if (rc != SY_EINVAL || last_status != 400 || strcmp(last_err, message))
		fail_msg("%s\n  rc %d status %d \"%s\"\n  want 400 \"%s\"", body, rc, last_status,
		         last_err, message);
	assert_string_equal(p.reason, "model_not_found");
	assert_int_equal(p.n, 0);
}

static void test_unknown_models(void **state)
{
	struct world w = {0};
	struct dp_route_plan p;
	expect_unknown(&w, BODY("nope/x", ""), "Model nope/x does not exist");
	expect_unknown(&w, BODY("meta/llama:turbo", ""), "Model meta/llama:turbo does not exist");
	expect_404(&w, BODY("x/empty", ""), "No endpoints found for x/empty");
	assert_int_equal(route(&w, 0, BODY("x/empty", ""), &p), SY_ENOTFOUND);
	assert_string_equal(p.reason, "no_endpoint");
	/* an unknown fallback model is an error too, not silently skipped */
	expect_unknown(&w,
	               "{\"models\":[\"stat/m\",\"nope/y\"],\"messages\":[{\"role\":\"user\","
	               "\"content\":\"hi\"}]}",
	               "Model nope/y does not exist");
}

static void test_no_model_is_a_bad_request(void **state)
{
	struct world w = {0};
	struct dp_chat_req req = {.max_tokens = -1}; /* not from dp_request_parse */
	struct dp_route_ctx ctx = {.model = lookup_model, .provider = lookup_provider, .arg = &w};
	struct dp_route_plan p;
	int status = 0;
	char err[128] = "";
	assert_int_equal(dp_route_plan(&ctx, &req, &p, &status, err, sizeof(err)), SY_EINVAL);
	assert_int_equal(status, 400);
	assert_string_equal(err, "No model given");
	assert_int_equal(p.n, 0);
}

static void test_unusable_endpoints_skipped(void **state)
{
	struct world w = {0};
	/* ghost's provider is not in the catalog; solo's azure has a bad price */
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"sort\":\"price\"}"),
	            "free-host together fireworks azure");
	expect_plan(&w, 0, BODY("solo/m", ""), "openai");
}

static void test_only_and_ignore(void **state)
{
	struct world w = {0};
	/* slugs or display names, any case */
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"only\":[\"Azure\",\"TOGETHER\"]}"),
	            "together azure");
	expect_404(&w, BODY("meta/llama", ",\"provider\":{\"only\":[\"nobody\"]}"),
	           "No allowed providers are available for the selected model (provider.only)");
	expect_plan(&w, 0,
	            BODY("meta/llama", ",\"provider\":{\"ignore\":[\"free-host\",\"Together\"]}"),
	            "fireworks azure");
	expect_404(&w,
	           BODY("stat/m", ",\"provider\":{\"ignore\":[\"together\",\"fireworks\","
	                          "\"azure\"]}"),
	           "No allowed providers are available for the selected model (provider.ignore)");
	/* an empty list restricts nothing */
	expect_plan(&w, 0,
	            BODY("stat/m", ",\"provider\":{\"only\":[],\"order\":[],"
	                           "\"quantizations\":[],\"allow_fallbacks\":false}"),
	            "together");
}

static void test_quantizations(void **state)
{
	struct world w = {0};
	expect_plan(&w, 0,
	            BODY("meta/llama", ",\"provider\":{\"quantizations\":[\"FP8\",\"bf16\"]}"),
	            "together azure");
	expect_404(&w, BODY("meta/llama", ",\"provider\":{\"quantizations\":[\"fp4\",\"fp6\"]}"),
	           "No endpoints found matching the requested quantizations "
	           "(provider.quantizations: fp4, fp6)");
	/* endpoints that state none are "unknown" */
	expect_plan(&w, 0, BODY("stat/m", ",\"provider\":{\"quantizations\":[\"unknown\"]}"),
	            "together fireworks azure");
}

static void test_data_collection_deny(void **state)
{
	struct world w = {0};
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"data_collection\":\"deny\"}"),
	            "fireworks azure");
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"data_collection\":\"allow\"}"),
	            "free-host together fireworks azure");
	expect_404(&w, BODY("solo/m", ",\"provider\":{\"data_collection\":\"deny\"}"),
	           "No endpoints found matching your data policy (data_collection: deny)");
}

static void test_require_parameters(void **state)
{
	struct world w = {0};
#define TOOLS ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]"
	/* tools: free-host lacks it; fireworks inherits the model's list, which has it */
	expect_plan(&w, 0, BODY("meta/llama", TOOLS ",\"provider\":{\"require_parameters\":true}"),
	            "together fireworks azure");
	expect_plan(&w, 0,
	            BODY("meta/llama", TOOLS ",\"response_format\":{\"type\":\"json_object\"},"
	                                     "\"provider\":{\"require_parameters\":true}"),
	            "azure");
	/* seed: only the model's list has it */
	expect_plan(&w, 0,
	            BODY("meta/llama", ",\"seed\":1,\"provider\":{\"require_parameters\":true}"),
	            "fireworks");
	/* without require_parameters nothing is filtered */
	expect_plan(&w, 0, BODY("meta/llama", TOOLS ",\"logprobs\":true"),
	            "free-host together fireworks azure");
	/* the message names what nobody supports */
	expect_404(&w,
	           BODY("meta/llama",
	                TOOLS ",\"logprobs\":true,\"provider\":{\"require_parameters\":"
	                      "true}"),
	           "No endpoints found that support the requested parameters "
	           "(require_parameters): logprobs");
	/* ... or everything asked, when each is supported somewhere but never together */
	expect_404(&w,
	           BODY("meta/llama", ",\"seed\":2,\"response_format\":{\"type\":\"text\"},"
	                              "\"provider\":{\"require_parameters\":true}"),
	           "No endpoints found that support the requested parameters "
	           "(require_parameters): seed, response_format");
	/* a model that lists no parameters supports none of them */
	expect_404(&w, BODY("stat/m", TOOLS ",\"provider\":{\"require_parameters\":true}"),
	           "No endpoints found that support the requested parameters "
	           "(require_parameters): tools");
	expect_plan(&w, 0, BODY("stat/m", ",\"provider\":{\"require_parameters\":true}"),
	            "together fireworks azure");
}

static void test_max_price(void **state)
{
	struct world w = {0};
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"max_price\":{\"prompt\":1.5}}"),
	            "free-host together");
	/* the limit is inclusive */
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"max_price\":{\"prompt\":1}}"),
	            "free-host together");
	expect_plan(&w, 0, BODY("stat/m", ",\"provider\":{\"max_price\":{\"completion\":1.5}}"),
	            "together fireworks azure");
	expect_plan(&w, 0, BODY("stat/m", ",\"provider\":{\"max_price\":{\"completion\":1.49}}"),
	            "together azure");
	/* request is USD per request: azure charges $0.001 on openai/gpt */
	expect_plan(&w, 0, BODY("openai/gpt", ",\"provider\":{\"max_price\":{\"request\":0}}"),
	            "openai");
	expect_plan(&w, 0, BODY("openai/gpt", ",\"provider\":{\"max_price\":{\"request\":0.001}}"),
	            "openai azure");
	expect_404(&w,
	           BODY("stat/m", ",\"provider\":{\"max_price\":{\"prompt\":0.4,\"request\":2}}"),
	           "No endpoints found with prices within max_price (prompt $0.4/M tokens, "
	           "request $2)");
	/* numeric strings, as @openrouter/sdk sends them, filter the same */
	expect_plan(&w, 0,
	            BODY("stat/m", ",\"provider\":{\"max_price\":{\"completion\":\"1.49\"}}"),
	            "together azure");
	expect_404(&w, BODY("stat/m", ",\"provider\":{\"max_price\":{\"prompt\":\"0.4\"}}"),
	           "No endpoints found with prices within max_price (prompt $0.4/M tokens)");
}

static void test_order(void **state)
{
	struct world w = {0};
	/* named first in that order, then the rest by price (no load balancing) */
	expect_plan(&w, UINT64_MAX,
	            BODY("meta/llama", ",\"provider\":{\"order\":[\"azure\",\"Fireworks\"]}"),
	            "azure fireworks free-host together");
	expect_plan(&w, 0,
	            BODY("meta/llama", ",\"provider\":{\"order\":[\"azure\",\"fireworks\"],"
	                               "\"allow_fallbacks\":false}"),
	            "azure fireworks");
	expect_404(&w,
	           BODY("meta/llama", ",\"provider\":{\"order\":[\"nobody\"],"
	                              "\"allow_fallbacks\":false}"),
	           "No allowed providers are available for the selected model "
	           "(provider.order with allow_fallbacks: false)");
	/* a named provider that is unhealthy goes to the end (still a last resort) */
	struct world u = {.unhealthy = {"azure"}};
	expect_plan(&u, 0,
	            BODY("meta/llama", ",\"provider\":{\"order\":[\"azure\",\"fireworks\"]}"),
	            "fireworks free-host together azure");
	expect_plan(&u, 0,
	            BODY("meta/llama", ",\"provider\":{\"order\":[\"azure\",\"fireworks\"],"
	                               "\"allow_fallbacks\":false}"),
	            "fireworks azure");
	/* order, then the rest by the requested sort */
	struct world t = {.lat = {{"together", 900}, {"free-host", 300}, {"fireworks", 50}}};
	expect_plan(
	    &t, 0, BODY("meta/llama", ",\"provider\":{\"order\":[\"azure\"],\"sort\":\"latency\"}"),
	    "azure fireworks free-host together");
}

/* preferred_min_throughput / preferred_max_latency: endpoints measured worse go after the
 * others (never out of the plan); unmeasured ones are not penalised. */
static void test_speed_preferences(void **state)
{
	/* together is the likeliest first choice by price; it is measured slow */
	struct world w = {.tp = {{"together", 5}, {"fireworks", 60}, {"azure", 80}},
	                  .lat = {{"together", 3000}, {"fireworks", 200}}};
	const uint64_t draws[] = {0, draw_at(0.5), UINT64_MAX};
	for (size_t i = 0; i < 3; i++) {
		struct dp_route_plan p;
		assert_int_equal(
		    route(&w, draws[i],
		          BODY("stat/m", ",\"provider\":{\"preferred_min_throughput\":50}"), &p),
		    0);
		assert_int_equal(p.n, 3);
		assert_string_equal(p.t[2].ep->provider, "together");
	}
	/* latency in seconds: azure has no measurement and keeps its place */
	expect_plan(&w, 0,
	            BODY("stat/m", ",\"provider\":{\"preferred_max_latency\":1,"
	                           "\"sort\":\"price\"}"),
	            "fireworks azure together");
	/* nobody meets it: the plan is as without it */
	expect_plan(&w, 0,
	            BODY("stat/m", ",\"provider\":{\"preferred_min_throughput\":1000,"
	                           "\"sort\":\"price\"}"),
	            "together fireworks azure");
}

static void test_sort(void **state)
{
	struct world w = {.tp = {{"together", 20}, {"azure", 80}, {"fireworks", 0}},
	                  .lat = {{"fireworks", 300}, {"azure", 700}, {"together", 200}}};
	expect_plan(&w, UINT64_MAX, BODY("meta/llama", ",\"provider\":{\"sort\":\"price\"}"),
	            "free-host together fireworks azure");
	/* unknown (or zero) throughput last, ties by price */
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"sort\":\"throughput\"}"),
	            "azure together free-host fireworks");
	expect_plan(&w, 0, BODY("meta/llama", ",\"provider\":{\"sort\":\"latency\"}"),
	            "together fireworks azure free-host");
	expect_plan(&w, 0,
	            BODY("meta/llama", ",\"provider\":{\"sort\":{\"by\":\"latency\","
	                               "\"partition\":\"model\"}}"),
	            "together fireworks azure free-host");
	/* health still comes first */
	struct world u = w;
	u.unhealthy[0] = "together";
	expect_plan(&u, 0, BODY("meta/llama", ",\"provider\":{\"sort\":\"latency\"}"),
	            "fireworks azure free-host together");
}

static void test_no_fallbacks_keeps_the_choice(void **state)
{
	struct world w = {0};
	expect_plan(&w, draw_at(0.8), BODY("stat/m", ",\"provider\":{\"allow_fallbacks\":false}"),
	            "fireworks");
	expect_plan(&w, 0,
	            "{\"models\":[\"stat/m\",\"openai/gpt\"],\"messages\":[{\"role\":\"user\","
	            "\"content\":\"hi\"}],\"provider\":{\"allow_fallbacks\":false,"
	            "\"sort\":\"price\"}}",
	            "stat/m:together openai/gpt:openai");
}

static void test_models_fallback_list(void **state)
{
	struct world w = {0};
	expect_plan(&w, 0,
	            "{\"model\":\"stat/m\",\"models\":[\"solo/m\"],\"messages\":[{\"role\":"
	            "\"user\",\"content\":\"hi\"}]}",
	            "stat/m:together stat/m:fireworks stat/m:azure solo/m:openai");
	/* a model the filters empty is skipped... */
	expect_plan(&w, 0,
	            "{\"models\":[\"stat/m\",\"openai/gpt\"],\"messages\":[{\"role\":\"user\","
	            "\"content\":\"hi\"}],\"provider\":{\"only\":[\"openai\"]}}",
	            "openai/gpt:openai");
	/* ...and when all are emptied, the first model's reason is given */
	expect_404(&w,
	           "{\"models\":[\"meta/llama:free\",\"openai/gpt\"],\"messages\":[{\"role\":"
	           "\"user\",\"content\":\"hi\"}],\"provider\":{\"only\":[\"fireworks\"]}}",
	           "No allowed providers are available for the selected model (provider.only)");
	/* each model's variant applies to that model only */
	expect_plan(&w, 0,
	            "{\"models\":[\"meta/llama:free\",\"stat/m:floor\"],\"messages\":[{\"role\":"
	            "\"user\",\"content\":\"hi\"}]}",
	            "meta/llama:free-host stat/m:together stat/m:fireworks stat/m:azure");
	struct dp_route_plan p;
	assert_int_equal(route(&w, 0,
	                       "{\"models\":[\"meta/llama:free\",\"stat/m\"],\"messages\":[{"
	                       "\"role\":\"user\",\"content\":\"hi\"}]}",
	                       &p),
	                 0);
	assert_true(p.t[0].free_variant);
	assert_false(p.t[1].free_variant);
}

static void test_partition_none_sorts_across_models(void **state)
{
	struct world w = {0};
	const char *list = "{\"models\":[\"openai/gpt\",\"stat/m\"],\"messages\":[{\"role\":"
	                   "\"user\",\"content\":\"hi\"}],";
	char body[512];
	snprintf(body, sizeof(body),
	         "%s\"provider\":{\"sort\":{\"by\":\"price\","
	         "\"partition\":\"none\"}}}",
	         list);
	expect_plan(&w, 0, body,
	            "stat/m:together stat/m:fireworks stat/m:azure openai/gpt:openai "
	            "openai/gpt:azure");
	snprintf(body, sizeof(body),
	         "%s\"provider\":{\"sort\":{\"by\":\"price\","
	         "\"partition\":\"model\"}}}",
	         list);
	expect_plan(&w, 0, body,
	            "openai/gpt:openai openai/gpt:azure stat/m:together stat/m:fireworks "
	            "stat/m:azure");
}

/* A session's first choice depends on its id only (dp_sticky), never on the draw, so every
 * worker makes the same one; over many sessions the 1/price^2 split still holds. */
static void test_sticky_session(void **state)
{
	struct world w = {0};
	const char *slugs[] = {"together", "fireworks", "azure"};
	int count[3] = {0};
	const int sessions = 4000;
	char body[256];
	for (int i = 0; i < sessions; i++) {
		snprintf(body, sizeof(body), BODY("stat/m", ",\"session_id\":\"sess-%d\""), i);
		struct dp_route_plan a, b;
		assert_int_equal(route(&w, 0, body, &a), 0);
		assert_int_equal(route(&w, UINT64_MAX, body, &b), 0);
		assert_string_equal(a.t[0].ep->provider, b.t[0].ep->provider);
		for (int k = 0; k < 3; k++)
			count[k] += !strcmp(a.t[0].ep->provider, slugs[k]);
	}
	const double want[] = {36.0 / 49, 9.0 / 49, 4.0 / 49};
	for (int k = 0; k < 3; k++)
		if (fabs((double)count[k] / sessions - want[k]) > 0.03)
			fail_msg("%s first for %d of %d sessions, want %.3f", slugs[k], count[k],
			         sessions, want[k]);

	/* a session whose endpoint is ejected moves to another, and comes back */
	const char *s1 = BODY("stat/m", ",\"session_id\":\"sess-1\"");
	struct dp_route_plan p;
	assert_int_equal(route(&w, 0, s1, &p), 0);
	char home[32];
	snprintf(home, sizeof(home), "%s", p.t[0].ep->provider);
	struct world u = {.unhealthy = {home}};
	assert_int_equal(route(&u, 0, s1, &p), 0);
	assert_string_not_equal(p.t[0].ep->provider, home);
	assert_string_equal(p.t[p.n - 1].ep->provider, home); /* unhealthy last */
	assert_int_equal(route(&w, 0, s1, &p), 0);
	assert_string_equal(p.t[0].ep->provider, home);
	/* an explicit order or sort is the client's choice and wins */
	expect_plan(&w, 0,
	            BODY("stat/m", ",\"session_id\":\"sess-1\",\"provider\":{\"sort\":\"price\"}"),
	            "together fireworks azure");
	expect_plan(
	    &w, 0,
	    BODY("stat/m", ",\"session_id\":\"sess-1\",\"provider\":{\"order\":[\"azure\"]}"),
	    "azure together fireworks");
}

static void test_plan_is_capped(void **state)
{
	struct world w = {0};
	struct dp_route_plan p;
	assert_int_equal(route(&w, 0, BODY("big/m", ""), &p), 0);
	assert_int_equal(p.n, DP_ROUTE_MAX);
}

static void test_combined_filters(void **state)
{
	struct world w = {.tp = {{"together", 10}, {"fireworks", 90}, {"azure", 50}}};
	/* only + quantizations + max_price + sort */
	expect_plan(&w, 0,
	            BODY("meta/llama", ",\"provider\":{\"only\":[\"together\",\"fireworks\","
	                               "\"azure\",\"free-host\"],\"quantizations\":[\"fp8\","
	                               "\"fp16\",\"bf16\"],\"max_price\":{\"prompt\":2.5},"
	                               "\"sort\":\"throughput\"}"),
	            "fireworks together");
	/* the filter that emptied the list is named, not the first that removed something */
	expect_404(&w,
	           BODY("meta/llama", ",\"provider\":{\"ignore\":[\"free-host\"],"
	                              "\"data_collection\":\"deny\",\"max_price\":{\"prompt\":1}}"),
	           "No endpoints found with prices within max_price (prompt $1/M tokens)");
	/* data_collection + require_parameters + order */
	expect_plan(&w, 0,
	            BODY("meta/llama", TOOLS ",\"provider\":{\"data_collection\":\"deny\","
	                                     "\"require_parameters\":true,\"order\":[\"azure\"]}"),
	            "azure fireworks");
}

/* The members dp_route_unsupported drops for the plan's first target of body, as a
 * space-separated list (max: the room given). */
static const char *drops(const char *body, size_t max)
{
	static char s[512];
	struct world w = {0};
	struct dp_chat_req req;
	struct dp_route_plan plan;
	char err[256];
	int status;
	if (dp_request_parse(body, strlen(body), &req, err, sizeof(err)))
		fail_msg("bad test body %s: %s", body, err);
	struct dp_route_ctx ctx = {.model = lookup_model, .provider = lookup_provider, .arg = &w};
	assert_int_equal(dp_route_plan(&ctx, &req, &plan, &status, err, sizeof(err)), 0);
	const char *drop[DP_ROUTE_DROP_MAX + 1];
	size_t n = dp_route_unsupported(&req, &plan.t[0], drop, max);
	size_t used = 0;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, sizeof(s) - used, "%s%s", i ? " " : "", drop[i]);
	assert_null(drop[n]);
	dp_request_release(&req);
	return s;
}

#define ALL_PARAMS                                                                                 \
	",\"temperature\":0.2,\"top_p\":0.9,\"seed\":1,\"max_completion_tokens\":9,"               \
	"\"reasoning_effort\":\"low\",\"tool_choice\":\"auto\",\"tools\":[{\"type\":\"function\"," \
	"\"function\":{\"name\":\"f\",\"parameters\":{}}}]"

/* "Parameters a provider does not support are dropped": by the endpoint's list, else the
 * model's; never tools or tool_choice; nothing when no list is known. */
static void test_unsupported_parameters_dropped(void **state)
{
	assert_string_equal(drops(BODY("meta/llama", ALL_PARAMS ",\"provider\":{\"only\":"
	                                                        "[\"together\"]}"),
	                          DP_ROUTE_DROP_MAX),
	                    "top_p seed reasoning_effort");
	/* fireworks lists nothing: the model's list (which has seed) */
	assert_string_equal(drops(BODY("meta/llama", ALL_PARAMS ",\"provider\":{\"only\":"
	                                                        "[\"fireworks\"]}"),
	                          DP_ROUTE_DROP_MAX),
	                    "top_p reasoning_effort");
	/* max_completion_tokens needs "max_tokens", which free-host has */
	assert_string_equal(drops(BODY("meta/llama", ALL_PARAMS ",\"provider\":{\"only\":"
	                                                        "[\"free-host\"]}"),
	                          DP_ROUTE_DROP_MAX),
	                    "temperature top_p seed reasoning_effort");
	assert_string_equal(drops(BODY("meta/llama", ALL_PARAMS ",\"provider\":{\"only\":"
	                                                        "[\"free-host\"]}"),
	                          2),
	                    "temperature top_p");
	assert_string_equal(drops(BODY("openai/gpt", ALL_PARAMS), DP_ROUTE_DROP_MAX), "");
	assert_string_equal(drops(BODY("meta/llama", ",\"provider\":{\"only\":[\"free-host\"]}"),
	                          DP_ROUTE_DROP_MAX),
	                    "");
}

/* Embeddings requests route to embeddings models only, chats to the others. */
static void test_embeddings_models(void **state)
{
	struct world w = {0};
	struct dp_route_plan p;
	expect_plan(&w, 0,
	            "{\"model\":\"e/emb\",\"input\":\"hi\",\"provider\":{\"sort\":\"price\"}}",
	            "openai azure");
	expect_plan(&w, 0,
	            "{\"model\":\"e/emb\",\"input\":[\"a\"],\"provider\":{\"order\":[\"azure\"]}}",
	            "azure openai");
	assert_int_equal(route(&w, 0, "{\"model\":\"openai/gpt\",\"input\":\"hi\"}", &p),
	                 SY_EINVAL);
	assert_int_equal(last_status, 400);
	assert_string_equal(last_err, "Model openai/gpt does not make embeddings (its "
	                              "output_modalities lack \"embeddings\")");
	assert_int_equal(route(&w, 0, BODY("e/emb", ""), &p), SY_EINVAL);
	assert_int_equal(last_status, 400);
	assert_string_equal(last_err, "Model e/emb is an embeddings model: use POST /embeddings");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_a_request),
	    cmocka_unit_test(test_key_restrictions),
	    cmocka_unit_test(test_data_policy),
	    cmocka_unit_test(test_weighted_first_choice),
	    cmocka_unit_test(test_inverse_square_price_split),
	    cmocka_unit_test(test_free_endpoint_always_first),
	    cmocka_unit_test(test_free_variant_endpoint_serves_only_free),
	    cmocka_unit_test(test_unhealthy_endpoints_last),
	    cmocka_unit_test(test_free_variant),
	    cmocka_unit_test(test_floor_and_nitro_variants),
	    cmocka_unit_test(test_unknown_models),
	    cmocka_unit_test(test_no_model_is_a_bad_request),
	    cmocka_unit_test(test_unusable_endpoints_skipped),
	    cmocka_unit_test(test_only_and_ignore),
	    cmocka_unit_test(test_quantizations),
	    cmocka_unit_test(test_data_collection_deny),
	    cmocka_unit_test(test_require_parameters),
	    cmocka_unit_test(test_max_price),
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_sort),
	    cmocka_unit_test(test_no_fallbacks_keeps_the_choice),
	    cmocka_unit_test(test_models_fallback_list),
	    cmocka_unit_test(test_partition_none_sorts_across_models),
	    cmocka_unit_test(test_sticky_session),
	    cmocka_unit_test(test_speed_preferences),
	    cmocka_unit_test(test_plan_is_capped),
	    cmocka_unit_test(test_combined_filters),
	    cmocka_unit_test(test_unsupported_parameters_dropped),
	    cmocka_unit_test(test_embeddings_models),
	};
	return cmocka_run_group_tests(tests, build_catalog, NULL);
}
