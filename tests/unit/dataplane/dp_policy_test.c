/* dp_policy_test.c - key restrictions: the client's address behind proxies, origins, model
 * globs, and the key's provider preferences merged under the request's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dp_policy.h"
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
	assert_false(dp_policy_check_models(&k, &req, &r));
	assert_string_equal(r.rule, "allowed_models");
	assert_string_equal(r.message, "This API key may not use model z/w (allowed_models)");
	req.n_models = 2;
	assert_true(dp_policy_check_models(&k, &req, &r));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_address_behind_proxies),
	    cmocka_unit_test(test_ips_and_referrers),
	    cmocka_unit_test(test_models),
	    cmocka_unit_test(test_default_preferences_under_the_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
