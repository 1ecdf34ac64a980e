/* cp_admin_test.c - the admin API end to end without HTTP: auth, validation that changes
 * nothing, management-key scoping, conflicts and write-only credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_admin.h"
#include "cp_auth.h"
#include "cp_test_util.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"

#define ADMIN "sk-sy-mgmt-v1-abababababababababababababababababababababababababababababababab"

struct fixture {
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s;
	struct sy_kek kek;
	struct cp_admin *a;
};

static int setup_with(void **state, bool with_kek)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *why = NULL;
	f->s = test_store_new(f->dir);
	if (!f->s || cp_auth_bootstrap(f->s, f->dir, ADMIN, &why))
		return -1;
	if (with_kek)
		sy_kek_from_hex(&f->kek,
		                "1111111111111111111111111111111111111111111111111111111111111111");
	f->a = cp_admin_new(f->s, &f->kek);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, true);
}

static int setup_no_kek(void **state)
{
	return setup_with(state, false);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cp_admin_free(&f->a);
	test_store_free(&f->s, f->dir);
	free(f);
	return 0;
}

/* "a=b&c=d" lookup for the request's query callback. */
static const char *query_arg(void *arg, const char *name)
{
	static char val[256];
	const char *q = arg;
	size_t n = strlen(name);
	for (const char *p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (!strncmp(p, name, n) && p[n] == '=') {
			size_t len = strcspn(p + n + 1, "&");
			snprintf(val, sizeof(val), "%.*s", (int)len, p + n + 1);
			return val;
		}
	}
	return NULL;
}

/* One request; returns the status and (if out) the parsed body. */
static unsigned call(struct fixture *f, const char *method, const char *url, const char *body,
                     const char *key, json_t **out)
{
	char path[512], auth[160];
	snprintf(path, sizeof(path), "%s", url);
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	snprintf(auth, sizeof(auth), "Bearer %s", key ? key : "");
	struct cp_request req = {
	    .method = method,
	    .path = path,
	    .authorization = key ? auth : NULL,
	    .body = body,
	    .body_len = body ? strlen(body) : 0,
	    .query = q ? query_arg : NULL,
	    .query_arg = q,
	};
	struct cp_response res;
	cp_admin_handle(f->a, &req, &res);
	assert_non_null(res.body);
	json_t *j = json_loads(res.body, 0, NULL);
	assert_non_null(j);
	if (res.status >= 400) {
		json_t *e = json_object_get(j, "error");
		assert_non_null(e);
		assert_int_equal(json_integer_value(json_object_get(e, "code")), res.status);
		assert_true(json_is_string(json_object_get(e, "message")));
	}
	free(res.body);
	if (out)
		*out = j;
	else
		json_decref(j);
	return res.status;
}

static const char *data_str(const json_t *j, const char *field)
{
	return json_string_value(json_object_get(json_object_get(j, "data"), field));
}

/* Create an org; returns its id (static buffer per call slot). */
static void make_org(struct fixture *f, const char *name, char id[64])
{
	json_t *j;
	char body[128];
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	assert_int_equal(call(f, "POST", "/api/v1/orgs", body, ADMIN, &j), 201);
	snprintf(id, 64, "%s", data_str(j, "id"));
	json_decref(j);
}

/* Create a key in org; fills its hash and (optionally) plaintext. */
static void make_key(struct fixture *f, const char *org, const char *mkey, char hash[65],
                     char *plain)
{
	json_t *j;
	char body[160];
	snprintf(body, sizeof(body), "{\"name\":\"k\",\"org_id\":\"%s\"}", org);
	assert_int_equal(call(f, "POST", "/api/v1/keys", body, mkey, &j), 201);
	snprintf(hash, 65, "%s", data_str(j, "hash"));
	if (plain)
		strcpy(plain, json_string_value(json_object_get(j, "key")));
	json_decref(j);
}

static void make_catalog(struct fixture *f)
{
	assert_int_equal(call(f, "POST", "/api/v1/providers",
	                      "{\"slug\":\"mock\",\"base_url\":\"http://127.0.0.1:9100/v1\"}",
	                      ADMIN, NULL),
	                 201);
	assert_int_equal(
	    call(
	        f, "POST", "/api/v1/models",
	        "{\"id\":\"mock/echo\",\"endpoints\":[{\"provider\":\"mock\",\"provider_model_id\":"
	        "\"echo\",\"pricing\":{\"prompt\":\"0.000001\",\"completion\":\"0.000002\"}}]}",
	        ADMIN, NULL),
	    201);
}

/* Usage example: an org and a key; the plaintext is returned once and only its hash kept. */
static void test_create_org_and_key(void **state)
{
	struct fixture *f = *state;
	char org[64], hash[65], plain[SY_KEY_LEN + 1], h2[65];
	make_org(f, "acme", org);
	assert_int_equal(strncmp(org, "org_", 4), 0);
	assert_int_equal(strlen(org), 20);
	make_key(f, org, ADMIN, hash, plain);
	assert_true(cp_auth_key_format(plain, SY_KEY_PREFIX));
	sy_sha256_hex(plain, strlen(plain), h2);
	assert_string_equal(hash, h2);

	json_t *j;
	char url[128];
	snprintf(url, sizeof(url), "/api/v1/keys/%s", hash);
	assert_int_equal(call(f, "GET", url, NULL, ADMIN, &j), 200);
	json_t *d = json_object_get(j, "data");
	assert_string_equal(json_string_value(json_object_get(d, "org_id")), org);
	assert_null(json_object_get(j, "key")); /* plaintext only at creation */
	assert_true(json_is_null(json_object_get(d, "limit")));
	assert_true(json_is_number(json_object_get(d, "usage")));
	assert_int_equal(strncmp(json_string_value(json_object_get(d, "label")), "sk-sy-v1-", 9),
	                 0);
	json_decref(j);
}

static void test_authentication(void **state)
{
	struct fixture *f = *state;
	char other[sizeof(SY_MKEY_PREFIX) + 64];
	sy_key_generate(SY_MKEY_PREFIX, other, sizeof(other));
	assert_int_equal(call(f, "GET", "/api/v1/orgs", NULL, NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/api/v1/orgs", NULL, "nonsense", NULL), 401);
	assert_int_equal(call(f, "GET", "/api/v1/orgs", NULL, other, NULL), 401);
	char inference[SY_KEY_LEN + 1];
	sy_key_generate(SY_KEY_PREFIX, inference, sizeof(inference));
	json_t *j;
	assert_int_equal(call(f, "GET", "/api/v1/orgs", NULL, inference, &j), 401);
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
	           "management key"));
	json_decref(j);
	assert_int_equal(call(f, "GET", "/api/v1/orgs", NULL, ADMIN, NULL), 200);
}

static void test_not_found_and_methods(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "GET", "/api/v1/orgs/org_nope", NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/keys/00", NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "DELETE", "/api/v1/models/a/b", NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/widgets", NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/orgs/a/b", NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "PUT", "/api/v1/orgs", "{}", ADMIN, NULL), 405);
	assert_int_equal(call(f, "DELETE", "/api/v1/orgs", NULL, ADMIN, NULL), 405);
	assert_int_equal(call(f, "POST", "/api/v1/orgs", "{not json", ADMIN, NULL), 400);
	assert_int_equal(call(f, "POST", "/api/v1/orgs", NULL, ADMIN, NULL), 400);
}

/* A bad request answers 400 naming the field and writes nothing (seq and data unchanged). */
static void test_bad_requests_change_nothing(void **state)
{
	struct fixture *f = *state;
	char org[64], org2[64], hash[65], keyurl[128];
	make_org(f, "acme", org);
	make_org(f, "other", org2); /* with one org, a key without org_id would land in it */
	make_key(f, org, ADMIN, hash, NULL);
	make_catalog(f);
	snprintf(keyurl, sizeof(keyurl), "/api/v1/keys/%s", hash);
	char orgurl[96], body_unknown_org[128];
	snprintf(orgurl, sizeof(orgurl), "/api/v1/orgs/%s", org);
	snprintf(body_unknown_org, sizeof(body_unknown_org),
	         "{\"name\":\"k\",\"org_id\":\"org_doesnotexist\"}");
	static char body_key_limit[128];
	snprintf(body_key_limit, sizeof(body_key_limit),
	         "{\"name\":\"k\",\"org_id\":\"%s\",\"limit\":-5}", org);
	const struct {
		const char *method, *url, *body, *field;
	} cases[] = {
	    {"POST", "/api/v1/orgs", "{\"name\":\"\"}", "name"},
	    {"PATCH", orgurl, "{\"name\":7}", "name"},
	    {"PATCH", orgurl, "{\"id\":\"org_x\"}", "id"},
	    {"POST", "/api/v1/keys", "{\"name\":\"k\"}", "org_id"},
	    {"POST", "/api/v1/keys", body_unknown_org, "org_id"},
	    {"POST", "/api/v1/keys", body_key_limit, "limit"},
	    {"PATCH", keyurl, "{\"limit_reset\":\"hourly\"}", "limit_reset"},
	    {"PATCH", keyurl, "{\"disabled\":\"yes\",\"name\":\"new\"}", "disabled"},
	    {"PATCH", keyurl, "{\"org_id\":\"org_other\"}", "org_id"},
	    {"PATCH", keyurl, "{\"expires_at\":\"2001-01-01T00:00:00Z\"}", "expires_at"},
	    {"POST", "/api/v1/management-keys", "{\"name\":\"m\",\"org_id\":\"org_none\"}",
	     "org_id"},
	    {"POST", "/api/v1/providers", "{\"slug\":\"x\",\"base_url\":\"gopher://x\"}",
	     "base_url"},
	    {"PATCH", "/api/v1/providers/mock", "{\"connect_timeout_ms\":0}", "connect_timeout_ms"},
	    {"PATCH", "/api/v1/providers/mock", "{\"slug\":\"other\"}", "slug"},
	    {"POST", "/api/v1/models",
	     "{\"id\":\"a/b\",\"endpoints\":[{\"provider\":\"nope\",\"provider_model_id\":\"m\","
	     "\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}}]}",
	     "endpoints[0].provider"},
	    {"PATCH", "/api/v1/models/mock/echo",
	     "{\"endpoints\":[{\"provider\":\"mock\",\"provider_model_id\":\"m\",\"pricing\":{"
	     "\"prompt\":\"abc\",\"completion\":\"0\"}}]}",
	     "endpoints[0].pricing.prompt"},
	    {"PATCH", "/api/v1/models/mock/echo", "{\"context_length\":-1}", "context_length"},
	    /* embeddings models: embeddings alone, priced per input token (the merged model) */
	    {"PATCH", "/api/v1/models/mock/echo", "{\"output_modalities\":[\"embeddings\"]}",
	     "endpoints[0].pricing.completion"},
	    {"POST", "/api/v1/models",
	     "{\"id\":\"a/e\",\"output_modalities\":[\"text\",\"embeddings\"],\"endpoints\":[{"
	     "\"provider\":\"mock\",\"provider_model_id\":\"m\",\"pricing\":{\"prompt\":\"0\","
	     "\"completion\":\"0\"}}]}",
	     "output_modalities"},
	};
	json_t *before_key, *before_model, *h;
	assert_int_equal(call(f, "GET", keyurl, NULL, ADMIN, &before_key), 200);
	assert_int_equal(call(f, "GET", "/api/v1/models/mock/echo", NULL, ADMIN, &before_model),
	                 200);
	uint64_t seq = cp_store_seq(f->s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j;
		unsigned st = call(f, cases[i].method, cases[i].url, cases[i].body, ADMIN, &j);
		const char *field = json_string_value(json_object_get(
		    json_object_get(json_object_get(j, "error"), "metadata"), "field"));
		if (st != 400 || !field || strcmp(field, cases[i].field))
			fail_msg("case %zu %s %s: status %u field %s, want 400 %s", i,
			         cases[i].method, cases[i].url, st, field ? field : "-",
			         cases[i].field);
		json_decref(j);
		assert_int_equal(cp_store_seq(f->s), seq);
	}
	assert_int_equal(call(f, "GET", keyurl, NULL, ADMIN, &h), 200);
	assert_true(json_equal(h, before_key));
	json_decref(h);
	assert_int_equal(call(f, "GET", "/api/v1/models/mock/echo", NULL, ADMIN, &h), 200);
	assert_true(json_equal(h, before_model));
	json_decref(h);
	json_decref(before_key);
	json_decref(before_model);
	json_t *orgs;
	assert_int_equal(call(f, "GET", "/api/v1/orgs", NULL, ADMIN, &orgs), 200);
	assert_int_equal(json_array_size(json_object_get(orgs, "data")), 2);
	json_decref(orgs);
}

static size_t list_len(struct fixture *f, const char *url, const char *key)
{
	json_t *j;
	assert_int_equal(call(f, "GET", url, NULL, key, &j), 200);
	size_t n = json_array_size(json_object_get(j, "data"));
	json_decref(j);
	return n;
}

/* An org-scoped management key sees and changes only its org; foreign ids are 404, a foreign
 * org_id 403, global-only operations 403; nothing it is refused changes anything. */
static void test_org_scoped_management_key(void **state)
{
	struct fixture *f = *state;
	char a[64], b[64], ka[65], kb[65], url[160], body[160];
	make_org(f, "a", a);
	make_org(f, "b", b);
	make_catalog(f);
	make_key(f, b, ADMIN, kb, NULL);
	json_t *j;
	snprintf(body, sizeof(body), "{\"name\":\"ops-a\",\"org_id\":\"%s\"}", a);
	assert_int_equal(call(f, "POST", "/api/v1/management-keys", body, ADMIN, &j), 201);
	char scoped[sizeof(SY_MKEY_PREFIX) + 64];
	snprintf(scoped, sizeof(scoped), "%s", json_string_value(json_object_get(j, "key")));
	assert_true(cp_auth_key_format(scoped, SY_MKEY_PREFIX));
	json_decref(j);

	/* Its own org: allowed. A key without org_id lands in its org. */
	assert_int_equal(call(f, "POST", "/api/v1/keys", "{\"name\":\"mine\"}", scoped, &j), 201);
	assert_string_equal(data_str(j, "org_id"), a);
	snprintf(ka, sizeof(ka), "%s", data_str(j, "hash"));
	json_decref(j);
	snprintf(url, sizeof(url), "/api/v1/orgs/%s", a);
	assert_int_equal(call(f, "GET", url, NULL, scoped, NULL), 200);
	assert_int_equal(call(f, "PATCH", url, "{\"name\":\"a2\"}", scoped, NULL), 200);
	assert_int_equal(list_len(f, "/api/v1/orgs", scoped), 1);
	assert_int_equal(list_len(f, "/api/v1/keys", scoped), 1);
	assert_int_equal(list_len(f, "/api/v1/keys", ADMIN), 2);
	assert_int_equal(list_len(f, "/api/v1/providers", scoped), 1);
	assert_int_equal(list_len(f, "/api/v1/models", scoped), 1);

	uint64_t seq = cp_store_seq(f->s);
	/* Foreign org and its key: invisible. */
	snprintf(url, sizeof(url), "/api/v1/orgs/%s", b);
	assert_int_equal(call(f, "GET", url, NULL, scoped, NULL), 404);
	assert_int_equal(call(f, "PATCH", url, "{\"name\":\"x\"}", scoped, NULL), 404);
	snprintf(url, sizeof(url), "/api/v1/keys/%s", kb);
	assert_int_equal(call(f, "GET", url, NULL, scoped, NULL), 404);
	assert_int_equal(call(f, "PATCH", url, "{\"disabled\":true}", scoped, NULL), 404);
	assert_int_equal(call(f, "DELETE", url, NULL, scoped, NULL), 404);
	/* Field by field: a foreign org_id is forbidden. */
	snprintf(body, sizeof(body), "{\"name\":\"x\",\"org_id\":\"%s\"}", b);
	assert_int_equal(call(f, "POST", "/api/v1/keys", body, scoped, NULL), 403);
	snprintf(url, sizeof(url), "/api/v1/keys?org_id=%s", b);
	assert_int_equal(call(f, "GET", url, NULL, scoped, NULL), 403);
	snprintf(url, sizeof(url), "/api/v1/keys/%s", ka);
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\"}", b);
	assert_int_equal(call(f, "PATCH", url, body, scoped, NULL), 400);
	/* Global-only operations. */
	assert_int_equal(call(f, "POST", "/api/v1/orgs", "{\"name\":\"c\"}", scoped, NULL), 403);
	snprintf(url, sizeof(url), "/api/v1/orgs/%s", a);
	assert_int_equal(call(f, "DELETE", url, NULL, scoped, NULL), 403);
	assert_int_equal(call(f, "GET", "/api/v1/management-keys", NULL, scoped, NULL), 403);
	assert_int_equal(
	    call(f, "POST", "/api/v1/management-keys", "{\"name\":\"x\"}", scoped, NULL), 403);
	assert_int_equal(call(f, "POST", "/api/v1/providers",
	                      "{\"slug\":\"x\",\"base_url\":\"https://x\"}", scoped, NULL),
	                 403);
	assert_int_equal(
	    call(f, "PATCH", "/api/v1/providers/mock", "{\"name\":\"M\"}", scoped, NULL), 403);
	assert_int_equal(call(f, "DELETE", "/api/v1/models/mock/echo", NULL, scoped, NULL), 403);
	assert_int_equal(cp_store_seq(f->s), seq);
	/* The global key still sees everything. */
	snprintf(url, sizeof(url), "/api/v1/keys?org_id=%s", b);
	assert_int_equal(list_len(f, url, ADMIN), 1);
}

static void test_org_with_active_keys_cannot_be_deleted(void **state)
{
	struct fixture *f = *state;
	char org[64], hash[65], url[128], keyurl[128];
	make_org(f, "acme", org);
	make_key(f, org, ADMIN, hash, NULL);
	snprintf(url, sizeof(url), "/api/v1/orgs/%s", org);
	snprintf(keyurl, sizeof(keyurl), "/api/v1/keys/%s", hash);
	uint64_t seq = cp_store_seq(f->s);
	assert_int_equal(call(f, "DELETE", url, NULL, ADMIN, NULL), 409);
	assert_int_equal(cp_store_seq(f->s), seq);
	assert_int_equal(call(f, "PATCH", keyurl, "{\"disabled\":true}", ADMIN, NULL), 200);
	assert_int_equal(list_len(f, "/api/v1/keys", ADMIN), 0); /* disabled hidden by default */
	assert_int_equal(list_len(f, "/api/v1/keys?include_disabled=true", ADMIN), 1);
	json_t *j;
	assert_int_equal(call(f, "DELETE", url, NULL, ADMIN, &j), 200);
	assert_true(json_is_true(json_object_get(j, "deleted")));
	json_decref(j);
	/* The disabled key went with the org: two changes, two seqs. */
	assert_int_equal(cp_store_seq(f->s), seq + 3);
	assert_int_equal(call(f, "GET", keyurl, NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "GET", url, NULL, ADMIN, NULL), 404);
}

static void test_key_delete_and_patch(void **state)
{
	struct fixture *f = *state;
	char org[64], hash[65], url[128];
	make_org(f, "acme", org);
	make_key(f, org, ADMIN, hash, NULL);
	snprintf(url, sizeof(url), "/api/v1/keys/%s", hash);
	json_t *j;
	assert_int_equal(call(f, "PATCH", url,
	                      "{\"limit\":10,\"limit_reset\":\"weekly\",\"rpm\":30,"
	                      "\"expires_at\":\"2099-01-01T00:00:00Z\"}",
	                      ADMIN, &j),
	                 200);
	json_t *d = json_object_get(j, "data");
	assert_true(json_number_value(json_object_get(d, "limit")) == 10.0);
	assert_true(json_number_value(json_object_get(d, "limit_remaining")) == 10.0);
	assert_string_equal(json_string_value(json_object_get(d, "limit_reset")), "weekly");
	assert_int_equal(json_integer_value(json_object_get(d, "rpm")), 30);
	assert_string_equal(json_string_value(json_object_get(d, "expires_at")),
	                    "2099-01-01T00:00:00Z");
	json_decref(j);
	assert_int_equal(call(f, "PATCH", url, "{\"limit\":null,\"expires_at\":null}", ADMIN, &j),
	                 200);
	d = json_object_get(j, "data");
	assert_true(json_is_null(json_object_get(d, "limit")));
	assert_true(json_is_null(json_object_get(d, "expires_at")));
	json_decref(j);
	assert_int_equal(call(f, "DELETE", url, NULL, ADMIN, &j), 200);
	assert_true(json_is_true(json_object_get(j, "deleted")));
	json_decref(j);
	assert_int_equal(call(f, "DELETE", url, NULL, ADMIN, NULL), 404);
}

/* api_key is write-only: stored sealed, shown only as has_api_key. */
static void test_provider_credential_write_only(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	assert_int_equal(call(f, "POST", "/api/v1/providers",
	                      "{\"slug\":\"openai\",\"base_url\":\"https://api.openai.com/v1\","
	                      "\"api_key\":\"sk-CANARY-provider\"}",
	                      ADMIN, &j),
	                 201);
	json_t *d = json_object_get(j, "data");
	assert_true(json_is_true(json_object_get(d, "has_api_key")));
	assert_null(json_object_get(d, "api_key"));
	char *dump = json_dumps(j, 0);
	assert_null(strstr(dump, "CANARY"));
	free(dump);
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/v1/providers",
	                      "{\"slug\":\"openai\",\"base_url\":\"https://x\"}", ADMIN, NULL),
	                 409);
	assert_int_equal(
	    call(f, "PATCH", "/api/v1/providers/openai", "{\"api_key\":null}", ADMIN, &j), 200);
	assert_true(json_is_false(json_object_get(json_object_get(j, "data"), "has_api_key")));
	json_decref(j);
}

static void test_provider_credential_needs_kek(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	uint64_t seq = cp_store_seq(f->s);
	assert_int_equal(call(f, "POST", "/api/v1/providers",
	                      "{\"slug\":\"openai\",\"base_url\":\"https://x\",\"api_key\":\"k\"}",
	                      ADMIN, &j),
	                 400);
	const char *msg =
	    json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	assert_non_null(strstr(msg, "no key-encryption key configured"));
	assert_non_null(strstr(msg, "SWITCHYARD_KEK"));
	json_decref(j);
	assert_int_equal(cp_store_seq(f->s), seq);
	/* Without a credential it is fine. */
	assert_int_equal(call(f, "POST", "/api/v1/providers",
	                      "{\"slug\":\"openai\",\"base_url\":\"https://x\"}", ADMIN, NULL),
	                 201);
}

static void test_provider_in_use_and_models(void **state)
{
	struct fixture *f = *state;
	make_catalog(f);
	assert_int_equal(call(f, "DELETE", "/api/v1/providers/mock", NULL, ADMIN, NULL), 409);
	json_t *j;
	assert_int_equal(call(f, "PATCH", "/api/v1/models/mock/echo",
	                      "{\"name\":\"Echo\",\"context_length\":8192}", ADMIN, &j),
	                 200);
	assert_string_equal(data_str(j, "name"), "Echo");
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "data"), "endpoints")),
	                 1);
	json_decref(j);
	assert_int_equal(call(f, "DELETE", "/api/v1/models/mock/echo", NULL, ADMIN, NULL), 200);
	assert_int_equal(call(f, "DELETE", "/api/v1/providers/mock", NULL, ADMIN, NULL), 200);
}

static void test_management_keys(void **state)
{
	struct fixture *f = *state;
	char hash[65];
	sy_sha256_hex(ADMIN, strlen(ADMIN), hash);
	char url[128];
	snprintf(url, sizeof(url), "/api/v1/management-keys/%s", hash);
	assert_int_equal(call(f, "DELETE", url, NULL, ADMIN, NULL), 409);
	json_t *j;
	assert_int_equal(
	    call(f, "POST", "/api/v1/management-keys", "{\"name\":\"second\"}", ADMIN, &j), 201);
	char second[sizeof(SY_MKEY_PREFIX) + 64];
	snprintf(second, sizeof(second), "%s", json_string_value(json_object_get(j, "key")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "data"), "org_id")));
	json_decref(j);
	assert_int_equal(list_len(f, "/api/v1/management-keys", second), 2);
	assert_int_equal(call(f, "DELETE", url, NULL, second, NULL), 200);
	assert_int_equal(call(f, "GET", "/api/v1/orgs", NULL, ADMIN, NULL), 401);
}

/* /health and /metrics need no key; /metrics is Prometheus text. */
static void test_health_and_metrics(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	assert_int_equal(call(f, "GET", "/health", NULL, NULL, &j), 200);
	assert_int_equal(json_integer_value(json_object_get(j, "seq")), 1);
	json_decref(j);
	struct cp_request req = {.method = "GET", .path = "/metrics"};
	struct cp_response res;
	cp_admin_handle(f->a, &req, &res);
	assert_int_equal(res.status, 200);
	assert_non_null(strstr(res.content_type, "text/plain"));
	assert_non_null(strstr(res.body, "\nswitchyard_cp_seq 1\n"));
	assert_non_null(strstr(res.body, "switchyard_cp_admin_responses_total{code=\"2xx\"}"));
	free(res.body);
}

int main(void)
{
	sy_log_level = SY_LOG_WARN;
	if (sy_crypto_init())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_org_and_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authentication, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_found_and_methods, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests_change_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_org_scoped_management_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_org_with_active_keys_cannot_be_deleted, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_key_delete_and_patch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_provider_credential_write_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_provider_credential_needs_kek, setup_no_kek,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_provider_in_use_and_models, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_management_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_health_and_metrics, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
