/* dp_auth_test.c - every accept/refuse decision of the bearer-key check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dp_auth.h"
#include "dp_view.h"
#include "sy_err.h"
#include "sy_key.h"

#define NOW 1700000000

/* Keys (plaintext) the fixture view knows, by role. */
static const char *K_OK =
    "sk-sy-v1-0000000000000000000000000000000000000000000000000000000000000001";
static const char *K_DISABLED =
    "sk-sy-v1-0000000000000000000000000000000000000000000000000000000000000002";
static const char *K_EXPIRED =
    "sk-sy-v1-0000000000000000000000000000000000000000000000000000000000000003";
static const char *K_EXPIRES_NOW =
    "sk-sy-v1-0000000000000000000000000000000000000000000000000000000000000004";
static const char *K_FUTURE =
    "sk-sy-v1-0000000000000000000000000000000000000000000000000000000000000005";
static const char *K_NO_ORG =
    "sk-sy-v1-0000000000000000000000000000000000000000000000000000000000000006";
static const char *K_UNKNOWN =
    "sk-sy-v1-0000000000000000000000000000000000000000000000000000000000000009";
static const char *K_MGMT =
    "sk-sy-mgmt-v1-00000000000000000000000000000000000000000000000000000000000000aa";

static void add_key(struct dp_view *v, const char *plain, const char *org, bool disabled,
                    int64_t expires_at)
{
	char hash[SY_HASH_HEX_LEN + 1], topic[80];
	sy_sha256_hex(plain, strlen(plain), hash);
	snprintf(topic, sizeof(topic), "key/%s", hash);
	Sy__ApiKey k = SY__API_KEY__INIT;
	k.hash = hash;
	k.org_id = (char *)org;
	k.disabled = disabled;
	k.has_disabled = true;
	k.has_expires_at = expires_at != 0;
	k.expires_at = expires_at;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_KEY;
	u.key = &k;
	assert_int_equal(dp_view_apply(v, &u), 0);
}

static int setup(void **state)
{
	struct dp_view *v = dp_view_new();
	Sy__Org o = SY__ORG__INIT;
	o.id = "org-1";
	o.name = "Acme";
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = "org/org-1";
	u.value_case = SY__UPDATE__VALUE_ORG;
	u.org = &o;
	assert_int_equal(dp_view_apply(v, &u), 0);
	add_key(v, K_OK, "org-1", false, 0);
	add_key(v, K_DISABLED, "org-1", true, 0);
	add_key(v, K_EXPIRED, "org-1", false, NOW - 1);
	add_key(v, K_EXPIRES_NOW, "org-1", false, NOW);
	add_key(v, K_FUTURE, "org-1", false, NOW + 60);
	add_key(v, K_NO_ORG, "org-gone", false, 0);

	char hash[SY_HASH_HEX_LEN + 1], topic[80];
	sy_sha256_hex(K_MGMT, strlen(K_MGMT), hash);
	snprintf(topic, sizeof(topic), "mkey/%s", hash);
	Sy__MgmtKey mk = SY__MGMT_KEY__INIT;
	mk.hash = hash;
	mk.name = "admin";
	Sy__Update mu = SY__UPDATE__INIT;
	mu.topic = topic;
	mu.value_case = SY__UPDATE__VALUE_MKEY;
	mu.mkey = &mk;
	assert_int_equal(dp_view_apply(v, &mu), 0);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	struct dp_view *v = *state;
	dp_view_unref(&v);
	return 0;
}

/* Usage example: a valid key resolves to the key and its org. */
static void test_valid_key(void **state)
{
	struct dp_view *v = *state;
	char h[160];
	snprintf(h, sizeof(h), "Bearer %s", K_OK);
	struct dp_auth a;
	assert_int_equal(dp_auth_check(v, h, NOW, false, &a), 0);
	assert_non_null(a.key);
	assert_string_equal(a.key->org_id, "org-1");
	assert_string_equal(a.org->name, "Acme");
	assert_null(a.mkey);
	assert_null(a.error);
}

struct auth_case {
	const char *name;
	const char *pre;        /* header = pre + key + post; NULL pre = no header */
	const char *const *key; /* NULL = no key in the header */
	const char *post;
	bool allow_mgmt;
	int want_rc;
	const char *want_error; /* substring of the message; NULL when accepted */
};

static const struct auth_case cases[] = {
    {"absent", NULL, NULL, "", false, SY_EFORBIDDEN, "Missing Authorization header"},
    {"empty", "", NULL, "", false, SY_EFORBIDDEN, "Missing Authorization header"},
    {"other scheme", "Basic ", &K_OK, "", false, SY_EFORBIDDEN, "Malformed Authorization"},
    {"no token", "Bearer", NULL, "", false, SY_EFORBIDDEN, "Malformed Authorization"},
    {"blank token", "Bearer   ", NULL, "", false, SY_EFORBIDDEN, "Malformed Authorization"},
    {"two tokens", "Bearer ", &K_OK, " extra", false, SY_EFORBIDDEN, "Malformed Authorization"},
    {"glued", "Bearer", &K_OK, "", false, SY_EFORBIDDEN, "Malformed Authorization"},
    {"unknown", "Bearer ", &K_UNKNOWN, "", false, SY_EFORBIDDEN, "Invalid API key"},
    {"disabled", "Bearer ", &K_DISABLED, "", false, SY_EFORBIDDEN, "disabled"},
    {"expired", "Bearer ", &K_EXPIRED, "", false, SY_EFORBIDDEN, "expired"},
    {"expires now", "Bearer ", &K_EXPIRES_NOW, "", false, SY_EFORBIDDEN, "expired"},
    {"expires later", "Bearer ", &K_FUTURE, "", false, 0, NULL},
    {"org gone", "Bearer ", &K_NO_ORG, "", false, SY_EFORBIDDEN, "organization does not exist"},
    {"mgmt refused", "Bearer ", &K_MGMT, "", false, SY_EFORBIDDEN, "Management keys cannot"},
    {"mgmt allowed", "Bearer ", &K_MGMT, "", true, 0, NULL},
    {"scheme case, blanks", "  bearer \t", &K_OK, "  ", false, 0, NULL},
};

static void test_decision_table(void **state)
{
	struct dp_view *v = *state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct auth_case *c = &cases[i];
		char h[256];
		const char *hdr = NULL;
		if (c->pre) {
			snprintf(h, sizeof(h), "%s%s%s", c->pre, c->key ? *c->key : "", c->post);
			hdr = h;
		}
		struct dp_auth a;
		int rc = dp_auth_check(v, hdr, NOW, c->allow_mgmt, &a);
		if (rc != c->want_rc)
			fail_msg("case '%s': rc %d, want %d (%s)", c->name, rc, c->want_rc,
			         a.error ? a.error : "");
		if (c->want_error) {
			assert_non_null(a.error);
			if (!strstr(a.error, c->want_error))
				fail_msg("case '%s': message '%s' lacks '%s'", c->name, a.error,
				         c->want_error);
			assert_null(a.key);
			assert_null(a.mkey);
		} else {
			assert_null(a.error);
			assert_true(a.key || a.mkey);
		}
	}
}

static void test_mgmt_key_result(void **state)
{
	struct dp_view *v = *state;
	char h[160];
	snprintf(h, sizeof(h), "Bearer %s", K_MGMT);
	struct dp_auth a;
	assert_int_equal(dp_auth_check(v, h, NOW, true, &a), 0);
	assert_null(a.key);
	assert_non_null(a.mkey);
	assert_string_equal(a.mkey->name, "admin");
	assert_null(a.org); /* global admin */
}

/* The error never echoes what the client sent. */
static void test_error_does_not_echo_key(void **state)
{
	struct dp_view *v = *state;
	char h[160];
	snprintf(h, sizeof(h), "Bearer %s", K_UNKNOWN);
	struct dp_auth a;
	assert_int_equal(dp_auth_check(v, h, NOW, false, &a), SY_EFORBIDDEN);
	assert_null(strstr(a.error, "sk-sy"));
	assert_null(strstr(a.error, "0009"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_valid_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decision_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mgmt_key_result, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_does_not_echo_key, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
