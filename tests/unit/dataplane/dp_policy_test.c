/* dp_policy_test.c - key restrictions: the client's address behind proxies, origins, model
 * globs, and the key's provider preferences merged under the request's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dp_policy.h"
#include "dp_view.h"
#include "sy_err.h"

static struct sy_cidr cidr(const char *s)
{
	struct sy_cidr c;
	assert_int_equal(sy_cidr_parse(s, &c), 0);
	return c;
}

/* The address dp_policy_client_addr finds, as text. */
static const char *client(const char *peer, const char *const *xff, size_t n)
{
	static char out[64];
	struct sy_cidr trusted[] = {cidr("10.0.0.0/8"), cidr("::1")};
	struct sy_cidr p = cidr(peer), a;
	if (dp_policy_client_addr(&p, trusted, 2, xff, n, &a))
		return "invalid";
	static const char *const known[] = {"203.0.113.7", "198.51.100.1", "10.0.0.2", "10.0.0.3",
	                                    "127.0.0.1",   "::1",          NULL};
	for (size_t i = 0; known[i]; i++) {
		struct sy_cidr k = cidr(known[i]);
		if (sy_cidr_contains(&k, &a))
			return strcpy(out, known[i]);
	}
	return "other";
}

static void test_client_address_behind_proxies(void **state)
{
	const char *one[] = {"203.0.113.7"};
	const char *spoofed[] = {"203.0.113.7, 198.51.100.1"};
	const char *chain[] = {"198.51.100.1, 203.0.113.7, 10.0.0.3"};
	const char *lines[] = {"198.51.100.1", "203.0.113.7, 10.0.0.3", "10.0.0.2"};
	const char *all_trusted[] = {"10.0.0.3, 10.0.0.2"};
	const char *garbage[] = {"203.0.113.7, nonsense"};
	/* an untrusted peer: its header is ignored */
	assert_string_equal(client("127.0.0.1", one, 1), "127.0.0.1");
	/* a trusted proxy: the right-most hop that is not one of ours */
	assert_string_equal(client("10.0.0.2", one, 1), "203.0.113.7");
	assert_string_equal(client("::1", one, 1), "203.0.113.7");
	assert_string_equal(client("10.0.0.2", spoofed, 1), "198.51.100.1");
	assert_string_equal(client("10.0.0.2", chain, 1), "203.0.113.7");
	assert_string_equal(client("10.0.0.2", lines, 3), "203.0.113.7");
	assert_string_equal(client("10.0.0.2", all_trusted, 1), "10.0.0.3");
	assert_string_equal(client("10.0.0.2", NULL, 0), "10.0.0.2");
	assert_string_equal(client("10.0.0.2", garbage, 1), "invalid");
}

static bool allowed(const Sy__ApiKey *k, const char *addr, const char *origin, const char **rule)
{
	struct dp_policy_client cl = {.has_addr = addr != NULL, .origin = origin};
	struct dp_policy_refusal r = {0};
	if (addr)
		cl.addr = cidr(addr);
	bool ok = dp_policy_check_client(k, &cl, &r);
	*rule = r.rule;
	return ok;
}

static void test_ips_and_referrers(void **state)
{
	char *ips[] = {"10.0.0.0/8", "2001:db8::/32"};
	char *refs[] = {"https://app.example.com", "*.corp.example", "localhost"};
	Sy__ApiKey k = SY__API_KEY__INIT;
	const char *rule;
	assert_true(allowed(&k, NULL, NULL, &rule));
	k.allowed_ips = ips;
	k.n_allowed_ips = 2;
	assert_true(allowed(&k, "10.9.9.9", NULL, &rule));
	assert_true(allowed(&k, "2001:db8::7", NULL, &rule));
	assert_false(allowed(&k, "11.0.0.1", NULL, &rule));
	assert_string_equal(rule, "allowed_ips");
	assert_false(allowed(&k, NULL, NULL, &rule)); /* unknown address */
	k.n_allowed_ips = 0;
	k.allowed_referrers = refs;
	k.n_allowed_referrers = 3;
	assert_true(allowed(&k, NULL, "https://app.example.com", &rule));
	assert_true(allowed(&k, NULL, "https://APP.example.com:443/page?q=1", &rule));
	assert_true(allowed(&k, NULL, "https://a.b.corp.example", &rule));
	assert_true(allowed(&k, NULL, "http://localhost:3000/", &rule));
	static const char *const refused[] = {NULL,
	                                      "",
	                                      "app.example.com",
	                                      "http://app.example.com",
	                                      "https://app.example.com:8443",
	                                      "https://app.example.com.evil.example",
	                                      "https://corp.example",
	                                      "https://evilcorp.example",
	                                      "https://localhost.evil"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (allowed(&k, NULL, refused[i], &rule))
			fail_msg("allowed origin \"%s\"", refused[i] ? refused[i] : "(none)");
		assert_string_equal(rule, "allowed_referrers");
	}
}

static void test_models(void **state)
{
	assert_true(dp_policy_model_matches("anthropic/*", "anthropic/claude"));
	assert_true(dp_policy_model_matches("anthropic/*", "anthropic/claude:free"));
	assert_false(dp_policy_model_matches("anthropic/*", "openai/gpt"));
	assert_true(dp_policy_model_matches("openai/gpt", "openai/gpt:nitro"));
	assert_false(dp_policy_model_matches("openai/gpt", "openai/gpt-4"));
	assert_false(dp_policy_model_matches("openai/gpt:free", "openai/gpt"));

	char *list[] = {"mock/*", "x/y"};
	Sy__ApiKey k = SY__API_KEY__INIT;
	k.allowed_models = list;
	k.n_allowed_models = 2;
	const char *body = "{\"model\":\"mock/a\",\"models\":[\"x/y:floor\",\"z/w\"],"
	                   "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
	struct dp_chat_req req;
	char err[256];
	assert_int_equal(dp_request_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	struct dp_policy_refusal r;
	struct dp_policy pol = {.key = &k};
	assert_false(dp_policy_check_models(&pol, &req, &r));
	assert_string_equal(r.rule, "allowed_models");
	assert_string_equal(r.message, "This API key may not use model z/w (allowed_models)");
	req.n_models = 2;
	assert_true(dp_policy_check_models(&pol, &req, &r));
	dp_request_release(&req);
}

static void test_default_preferences_under_the_requests(void **state)
{
	Sy__ApiKey k = SY__API_KEY__INIT;
	k.provider_prefs = "{\"order\":[\"a\"],\"allow_fallbacks\":false,\"sort\":\"price\"}";
	const char *bodies[] = {
	    "{\"model\":\"m/x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
	    "{\"model\":\"m/x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	    "\"provider\":{\"order\":[\"b\"]}}"};
	const char *want[] = {
	    "{\"order\": [\"a\"], \"allow_fallbacks\": false, \"sort\": \"price\"}",
	    "{\"order\": [\"b\"], \"allow_fallbacks\": false, \"sort\": \"price\"}"};
	for (size_t i = 0; i < 2; i++) {
		struct dp_chat_req req;
		char err[256];
		assert_int_equal(
		    dp_request_parse(bodies[i], strlen(bodies[i]), &req, err, sizeof(err)), 0);
		assert_int_equal(dp_policy_merge_prefs(&k, &req), 0);
		json_t *w = json_loads(want[i], 0, NULL);
		assert_true(json_equal(req.provider, w));
		assert_ptr_equal(req.provider, json_object_get(req.body, "provider"));
		json_decref(w);
		dp_request_release(&req);
	}
}

/* A guardrail into v (as the sync would apply it). */
static void put_guardrail(struct dp_view *v, Sy__Guardrail *g)
{
	Sy__Update u = SY__UPDATE__INIT;
	char topic[64];
	snprintf(topic, sizeof(topic), "guardrail/%s", g->id);
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_GUARDRAIL;
	u.guardrail = g;
	assert_int_equal(dp_view_apply(v, &u), 0);
}

/* The effective policy is the intersection of the key's restrictions and every guardrail
 * assigned to its org or to it; other guardrails do not count. */
static void test_guardrails_intersect(void **state)
{
	char *orgs[] = {"org_a"}, *other[] = {"org_b"}, *gmodels[] = {"g/*"};
	char *kmodels[] = {"g/one", "h/x"}, *prov[] = {"pa"}, *regions[] = {"europe"};
	char hash[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char *hashes[] = {hash};
	Sy__MaxPrice mp = SY__MAX_PRICE__INIT;
	mp.has_prompt = true;
	mp.prompt = 2;
	Sy__Guardrail g1 = SY__GUARDRAIL__INIT, g2 = SY__GUARDRAIL__INIT, g3 = SY__GUARDRAIL__INIT;
	g1.id = "gr_org";
	g1.org_ids = orgs;
	g1.n_org_ids = 1;
	g1.allowed_models = gmodels;
	g1.n_allowed_models = 1;
	g2.id = "gr_key";
	g2.key_hashes = hashes;
	g2.n_key_hashes = 1;
	g2.allowed_providers = prov;
	g2.n_allowed_providers = 1;
	g2.max_price = &mp;
	g2.allowed_data_regions = regions;
	g2.n_allowed_data_regions = 1;
	g2.has_enforce_zdr = g2.enforce_zdr = true;
	g3.id = "gr_other";
	g3.org_ids = other;
	g3.n_org_ids = 1;
	g3.allowed_models = kmodels; /* would refuse g/two: must not apply */
	g3.n_allowed_models = 1;
	struct dp_view *v = dp_view_new();
	put_guardrail(v, &g1);
	put_guardrail(v, &g2);
	put_guardrail(v, &g3);

	Sy__ApiKey k = SY__API_KEY__INIT;
	k.hash = hash;
	k.org_id = "org_a";
	struct dp_policy pol;
	assert_int_equal(dp_policy_init(&pol, v, &k, NULL), 0);
	assert_int_equal(pol.n_g, 2);
	assert_string_equal(pol.zdr_by, "gr_key");
	const char *g, *rule;
	assert_true(dp_policy_allows_model(&pol, "g/two", &g));
	assert_false(dp_policy_allows_model(&pol, "h/x", &g));
	assert_string_equal(g, "gr_org");
	k.allowed_models = kmodels;
	k.n_allowed_models = 2;
	assert_false(dp_policy_allows_model(&pol, "g/two", &g)); /* the key's own list */
	assert_null(g);
	assert_true(dp_policy_allows_model(&pol, "g/one", &g));

	Sy__Provider pa = SY__PROVIDER__INIT, pb = SY__PROVIDER__INIT;
	pa.slug = "pa";
	pa.zdr = true;
	pa.region = "europe";
	pb.slug = "pb";
	pb.zdr = true;
	pb.region = "europe";
	struct sy_price cheap = {.prompt = 10000}, dear = {.prompt = 30000}; /* $1 and $3 /M */
	assert_true(dp_policy_allows_endpoint(&pol, &pa, &cheap));
	assert_false(dp_policy_allows_provider(&pol, &pb, &rule, &g));
	assert_string_equal(rule, "allowed_providers");
	assert_string_equal(g, "gr_key");
	assert_false(dp_policy_allows_price(&pol, &dear, &g));
	assert_string_equal(g, "gr_key");
	pa.region = "us";
	assert_false(dp_policy_allows_region(&pol, &pa, &g));
	assert_false(dp_policy_allows_endpoint(&pol, &pa, &cheap));
	pa.region = "europe";
	pa.zdr = false;
	assert_false(dp_policy_allows_endpoint(&pol, &pa, &cheap));

	/* another org's key: only the guardrails of its own org and hash */
	k.org_id = "org_b";
	k.hash = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	assert_int_equal(dp_policy_init(&pol, v, &k, NULL), 0);
	assert_int_equal(pol.n_g, 1);
	assert_ptr_equal(pol.g[0], dp_view_guardrail_at(v, 2));
	assert_null(pol.zdr_by);
	dp_view_unref(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_address_behind_proxies),
	    cmocka_unit_test(test_ips_and_referrers),
	    cmocka_unit_test(test_models),
	    cmocka_unit_test(test_default_preferences_under_the_requests),
	    cmocka_unit_test(test_guardrails_intersect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
