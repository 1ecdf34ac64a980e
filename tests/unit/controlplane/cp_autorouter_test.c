/* cp_autorouter_test.c - the auto router's rules on the controlplane: field-by-field
 * validation (cp_validate), the JSON mapping (cp_json) and PUT/GET/DELETE /api/v1/auto-router
 * (cp_admin) with scoping, model references, seq bumps and the published change. */
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
#include "cp_json.h"
#include "cp_test_util.h"
#include "cp_validate.h"
#include "sy_err.h"

#define ADMIN "sk-sy-mgmt-v1-abababababababababababababababababababababababababababababababab"
#define PATH "/api/v1/auto-router"
#define RULES                                                                                      \
	"{\"default_model\":\"a/plain\",\"rules\":["                                               \
	"{\"model\":\"a/tools\",\"has_tools\":true},"                                              \
	"{\"model\":\"a/long:nitro\",\"min_prompt_tokens\":1000},"                                 \
	"{\"model\":\"a/tools\",\"keywords\":[\"code\",\"SQL\"],\"has_tools\":false}]}"

struct fixture {
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s;
	struct sy_kek kek;
	struct cp_admin *a;
	int published; /* auto-router changes seen by the commit hook */
	bool last_deleted;
};

static void on_commit(const struct cp_change *ch, size_t n, void *arg)
{
	struct fixture *f = arg;
	for (size_t i = 0; i < n; i++) {
		if (ch[i].kind != CP_AUTOROUTER)
			continue;
		assert_string_equal(cp_entity_id(CP_AUTOROUTER, ch[i].msg), "default");
		f->published++;
		f->last_deleted = ch[i].deleted;
	}
}

/* One request; returns the status and (if out) the parsed body. */
static unsigned call(struct fixture *f, const char *method, const char *path, const char *body,
                     const char *key, json_t **out)
{
	char auth[160];
	snprintf(auth, sizeof(auth), "Bearer %s", key);
	struct cp_request req = {.method = method,
	                         .path = path,
	                         .authorization = auth,
	                         .body = body,
	                         .body_len = body ? strlen(body) : 0};
	struct cp_response res;
	cp_admin_handle(f->a, &req, &res);
	json_t *j = json_loads(res.body, 0, NULL);
	assert_non_null(j);
	free(res.body);
	if (out)
		*out = j;
	else
		json_decref(j);
	return res.status;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *why = NULL;
	f->s = test_store_new(f->dir);
	if (!f->s || cp_auth_bootstrap(f->s, f->dir, ADMIN, &why))
		return -1;
	f->a = cp_admin_new(f->s, &f->kek);
	cp_store_on_commit(f->s, on_commit, f);
	assert_int_equal(call(f, "POST", "/api/v1/providers",
	                      "{\"slug\":\"p\",\"name\":\"P\",\"adapter\":\"openai\",\"base_url\":"
	                      "\"http://127.0.0.1:9/v1\"}",
	                      ADMIN, NULL),
	                 201);
	const char *models[] = {"a/plain", "a/tools", "a/long"};
	for (size_t i = 0; i < 3; i++) {
		char body[256];
		snprintf(body, sizeof(body),
		         "{\"id\":\"%s\",\"endpoints\":[{\"provider\":\"p\",\"provider_model_id\":"
		         "\"x\",\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}}]}",
		         models[i]);
		assert_int_equal(call(f, "POST", "/api/v1/models", body, ADMIN, NULL), 201);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cp_admin_free(&f->a);
	test_store_free(&f->s, f->dir);
	free(f);
	return 0;
}

/* Usage example: set the rules, read them back, replace them, delete them. */
static void test_put_get_delete(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	assert_int_equal(call(f, "GET", PATH, NULL, ADMIN, NULL), 404);
	uint64_t seq = cp_store_seq(f->s);
	assert_int_equal(call(f, "PUT", PATH, RULES, ADMIN, &j), 201);
	assert_int_equal(cp_store_seq(f->s), seq + 1);
	assert_int_equal(f->published, 1);
	json_t *want = json_loads(RULES, 0, NULL);
	json_t *d = json_object_get(j, "data");
	assert_string_equal(json_string_value(json_object_get(d, "id")), "default");
	assert_string_equal(json_string_value(json_object_get(d, "default_model")), "a/plain");
	assert_true(json_equal(json_object_get(d, "rules"), json_object_get(want, "rules")));
	assert_true(json_is_string(json_object_get(d, "created_at")));
	json_decref(j);

	assert_int_equal(call(f, "GET", PATH, NULL, ADMIN, &j), 200);
	d = json_object_get(j, "data");
	assert_true(json_equal(json_object_get(d, "rules"), json_object_get(want, "rules")));
	json_decref(j);
	json_decref(want);

	/* a PUT replaces the whole set */
	assert_int_equal(call(f, "PUT", PATH, "{\"default_model\":\"a/tools\"}", ADMIN, &j), 200);
	d = json_object_get(j, "data");
	assert_int_equal(json_array_size(json_object_get(d, "rules")), 0);
	assert_string_equal(json_string_value(json_object_get(d, "default_model")), "a/tools");
	json_decref(j);

	assert_int_equal(call(f, "DELETE", PATH, NULL, ADMIN, &j), 200);
	assert_true(json_is_true(json_object_get(j, "deleted")));
	json_decref(j);
	assert_true(f->last_deleted);
	assert_int_equal(f->published, 3);
	assert_int_equal(call(f, "GET", PATH, NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "DELETE", PATH, NULL, ADMIN, NULL), 404);
	assert_int_equal(call(f, "POST", PATH, RULES, ADMIN, NULL), 405);
}

/* Every bad body is a 400 naming its field, and writes nothing. */
static void test_validation(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *body, *field;
	} bad[] = {
	    {"[]", "body"},
	    {"{}", "default_model"},
	    {"{\"default_model\":null}", "default_model"},
	    {"{\"default_model\":\"Not A Model\"}", "default_model"},
	    {"{\"default_model\":\"switchyard/auto\"}", "default_model"},
	    {"{\"default_model\":\"a/none\"}", "default_model"},
	    {"{\"default_model\":\"a/plain\",\"rules\":{}}", "rules"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[7]}", "rules[0]"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"has_tools\":true}]}", "rules[0].model"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools\"}]}", "rules[0]"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"openrouter/auto\","
	     "\"has_tools\":true}]}",
	     "rules[0].model"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools\","
	     "\"min_prompt_tokens\":0}]}",
	     "rules[0].min_prompt_tokens"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools\","
	     "\"min_prompt_tokens\":\"9\"}]}",
	     "rules[0].min_prompt_tokens"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools\","
	     "\"has_tools\":1}]}",
	     "rules[0].has_tools"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools\",\"has_tools\":true},"
	     "{\"model\":\"a/tools\",\"keywords\":\"sql\"}]}",
	     "rules[1].keywords"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools\","
	     "\"keywords\":[\"ok\",\"\"]}]}",
	     "rules[0].keywords[1]"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools\","
	     "\"keywords\":[\"bad\\u0001\"]}]}",
	     "rules[0].keywords[0]"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/gone\","
	     "\"has_tools\":true}]}",
	     "rules[0].model"},
	    {"{\"default_model\":\"a/plain\",\"rules\":[{\"model\":\"a/tools:turbo\","
	     "\"has_tools\":true}]}",
	     "rules[0].model"},
	};
	uint64_t seq = cp_store_seq(f->s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j;
		unsigned status = call(f, "PUT", PATH, bad[i].body, ADMIN, &j);
		json_t *e = json_object_get(j, "error");
		const char *field =
		    json_string_value(json_object_get(json_object_get(e, "metadata"), "field"));
		if (status != 400 || !field || strcmp(field, bad[i].field))
			fail_msg("%s: got %u %s, want 400 naming %s", bad[i].body, status,
			         json_string_value(json_object_get(e, "message")), bad[i].field);
		assert_int_equal(
		    strncmp(json_string_value(json_object_get(e, "message")), field, strlen(field)),
		    0);
		json_decref(j);
	}
	assert_int_equal(cp_store_seq(f->s), seq);
	assert_int_equal(f->published, 0);
	assert_int_equal(call(f, "GET", PATH, NULL, ADMIN, NULL), 404);
}

/* An org-scoped management key reads the rules but cannot change them. */
static void test_scoped_key(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	assert_int_equal(call(f, "POST", "/api/v1/orgs", "{\"name\":\"acme\"}", ADMIN, &j), 201);
	char body[128];
	snprintf(body, sizeof(body), "{\"name\":\"ops\",\"org_id\":\"%s\"}",
	         json_string_value(json_object_get(json_object_get(j, "data"), "id")));
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/v1/management-keys", body, ADMIN, &j), 201);
	char scoped[128];
	snprintf(scoped, sizeof(scoped), "%s", json_string_value(json_object_get(j, "key")));
	json_decref(j);

	assert_int_equal(call(f, "PUT", PATH, RULES, scoped, NULL), 403);
	assert_int_equal(call(f, "GET", PATH, NULL, scoped, NULL), 404);
	assert_int_equal(call(f, "PUT", PATH, RULES, ADMIN, NULL), 201);
	assert_int_equal(call(f, "GET", PATH, NULL, scoped, NULL), 200);
	assert_int_equal(call(f, "DELETE", PATH, NULL, scoped, NULL), 403);
	assert_int_equal(call(f, "GET", PATH, NULL, "sk-sy-mgmt-v1-nope", NULL), 401);
}

/* The JSON mapping alone: apply onto an entity and back, null rules meaning none. */
static void test_json_mapping(void **state)
{
	struct cp_verr e;
	json_t *in = json_loads(RULES, 0, NULL);
	assert_int_equal(cp_validate_autorouter(in, &e), 0);
	Sy__AutoRouter ar = SY__AUTO_ROUTER__INIT;
	ar.id = (char *)"default";
	assert_int_equal(cp_json_apply_autorouter(&ar, in), 0);
	assert_int_equal(ar.n_rules, 3);
	assert_true(ar.rules[0]->has_has_tools && ar.rules[0]->has_tools);
	assert_false(ar.rules[0]->has_min_prompt_tokens);
	assert_int_equal(ar.rules[1]->min_prompt_tokens, 1000);
	assert_int_equal(ar.rules[2]->n_keywords, 2);
	assert_string_equal(ar.rules[2]->keywords[1], "SQL");
	json_t *out = cp_json_autorouter(&ar);
	assert_true(json_equal(json_object_get(out, "rules"), json_object_get(in, "rules")));
	json_decref(out);

	json_t *none = json_loads("{\"default_model\":\"a/plain\",\"rules\":null}", 0, NULL);
	assert_int_equal(cp_validate_autorouter(none, &e), 0);
	assert_int_equal(cp_json_apply_autorouter(&ar, none), 0);
	assert_int_equal(ar.n_rules, 0);
	free(ar.rules);
	free(ar.default_model);
	json_decref(none);
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_get_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scoped_key, setup, teardown),
	    cmocka_unit_test(test_json_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
