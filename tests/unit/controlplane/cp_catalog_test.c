/* cp_catalog_test.c - catalog import: idempotent upsert, credentials from the environment,
 * all-or-nothing validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_catalog.h"
#include "cp_test_util.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"

struct fixture {
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	char file[sizeof(TEST_DIR_TEMPLATE) + 16];
	struct cp_store *s;
	struct sy_kek kek;
	char err[512];
};

static const char catalog[] =
    "{\"providers\":[{\"slug\":\"mock\",\"name\":\"Mock\",\"base_url\":"
    "\"http://127.0.0.1:9100/v1\",\"api_key_env\":\"CP_TEST_PROVIDER_KEY\","
    "\"data_collection\":\"deny\"},"
    "{\"slug\":\"mock-b\",\"base_url\":\"http://127.0.0.1:9100/b/v1\"}],"
    "\"models\":[{\"id\":\"openai/gpt-5.2\",\"name\":\"GPT-5.2\",\"context_length\":400000,"
    "\"endpoints\":[{\"provider\":\"mock\",\"provider_model_id\":\"gpt-5.2\",\"pricing\":{"
    "\"prompt\":\"0.000002\",\"completion\":\"0.000014\"}},{\"provider\":\"mock-b\","
    "\"provider_model_id\":\"gpt-5.2\",\"pricing\":{\"prompt\":\"0.0000021\",\"completion\":"
    "\"0.000014\"}}]}]}";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->s = test_store_new(f->dir);
	snprintf(f->file, sizeof(f->file), "%s/cat.json", f->dir);
	sy_kek_from_hex(&f->kek,
	                "3333333333333333333333333333333333333333333333333333333333333333");
	unsetenv("CP_TEST_PROVIDER_KEY");
	*state = f;
	return f->s ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->file);
	test_store_free(&f->s, f->dir);
	free(f);
	return 0;
}

static void write_file(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->file, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static Sy__Provider *provider(struct fixture *f, const char *slug)
{
	ProtobufCMessage *m = NULL;
	struct cp_txn *t = cp_store_begin(f->s, false);
	int rc = cp_store_get(t, CP_PROVIDER, slug, &m);
	cp_store_abort(&t);
	return rc ? NULL : (Sy__Provider *)m;
}

static void free_provider(Sy__Provider *p)
{
	ProtobufCMessage *m = &p->base;
	cp_entity_free(&m);
}

/* Usage example: import twice; the second import changes nothing. */
static void test_import_is_idempotent(void **state)
{
	struct fixture *f = *state;
	write_file(f, catalog);
	assert_int_equal(cp_catalog_import(f->s, &f->kek, f->file, false, f->err, sizeof(f->err)),
	                 0);
	assert_int_equal(cp_store_seq(f->s), 3);
	assert_int_equal(cp_catalog_import(f->s, &f->kek, f->file, false, f->err, sizeof(f->err)),
	                 0);
	assert_int_equal(cp_store_seq(f->s), 3);

	Sy__Provider *p = provider(f, "mock");
	assert_non_null(p);
	assert_string_equal(p->name, "Mock");
	assert_string_equal(p->adapter, "openai");
	assert_true(p->data_collection_deny);
	assert_false(p->has_api_key_enc);
	free_provider(p);
	p = provider(f, "mock-b");
	assert_string_equal(p->name, "mock-b");
	free_provider(p);
	ProtobufCMessage *m = NULL;
	struct cp_txn *t = cp_store_begin(f->s, false);
	assert_int_equal(cp_store_get(t, CP_MODEL, "openai/gpt-5.2", &m), 0);
	cp_store_abort(&t);
	assert_int_equal(((Sy__Model *)m)->n_endpoints, 2);
	assert_string_equal(((Sy__Model *)m)->endpoints[1]->pricing->prompt, "0.0000021");
	cp_entity_free(&m);
}

static void test_credential_from_environment(void **state)
{
	struct fixture *f = *state;
	write_file(f, catalog);
	setenv("CP_TEST_PROVIDER_KEY", "mock-secret-1", 1);
	assert_int_equal(cp_catalog_import(f->s, &f->kek, f->file, false, f->err, sizeof(f->err)),
	                 0);
	Sy__Provider *p = provider(f, "mock");
	char *plain = NULL;
	assert_int_equal(cp_provider_open(p, &f->kek, &plain), 0);
	assert_string_equal(plain, "mock-secret-1");
	free(plain);
	free_provider(p);
	uint64_t seq = cp_store_seq(f->s);
	/* Same credential: nothing to change (even though sealing uses a fresh nonce). */
	assert_int_equal(cp_catalog_import(f->s, &f->kek, f->file, false, f->err, sizeof(f->err)),
	                 0);
	assert_int_equal(cp_store_seq(f->s), seq);
	/* Rotated credential: one change. */
	setenv("CP_TEST_PROVIDER_KEY", "mock-secret-2", 1);
	assert_int_equal(cp_catalog_import(f->s, &f->kek, f->file, false, f->err, sizeof(f->err)),
	                 0);
	assert_int_equal(cp_store_seq(f->s), seq + 1);
	p = provider(f, "mock");
	assert_int_equal(cp_provider_open(p, &f->kek, &plain), 0);
	assert_string_equal(plain, "mock-secret-2");
	free(plain);
	free_provider(p);
	unsetenv("CP_TEST_PROVIDER_KEY");
}

static void test_no_kek_imports_without_credential(void **state)
{
	struct fixture *f = *state;
	struct sy_kek none = {0};
	write_file(f, catalog);
	setenv("CP_TEST_PROVIDER_KEY", "mock-secret-1", 1);
	assert_int_equal(cp_catalog_import(f->s, &none, f->file, false, f->err, sizeof(f->err)), 0);
	Sy__Provider *p = provider(f, "mock");
	assert_non_null(p);
	assert_false(p->has_api_key_enc);
	free_provider(p);
	unsetenv("CP_TEST_PROVIDER_KEY");
}

/* Any bad entry: an error naming file, entry and field, and nothing written. */
static void test_bad_catalog_writes_nothing(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text, *expect;
	} cases[] = {
	    {"{\"providers\":[{\"slug\":\"ok\",\"base_url\":\"https://x\"},"
	     "{\"slug\":\"bad\",\"base_url\":\"nope\"}]}",
	     "providers[1] (bad): base_url:"},
	    {"{\"providers\":[{\"slug\":\"ok\",\"base_url\":\"https://x\",\"api_key\":\"k\"}]}",
	     "providers[0] (ok): api_key:"},
	    {"{\"providers\":[{\"slug\":\"ok\",\"base_url\":\"https://x\"},{\"slug\":\"ok\","
	     "\"base_url\":\"https://y\"}]}",
	     "providers[1] (ok): repeats providers[0]"},
	    {"{\"providers\":[{\"slug\":\"ok\",\"base_url\":\"https://x\"}],\"models\":[{\"id\":"
	     "\"a/b\",\"endpoints\":[{\"provider\":\"missing\",\"provider_model_id\":\"m\","
	     "\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}}]}]}",
	     "models[0] (a/b): endpoints[0].provider:"},
	    {"{\"models\":{}}", "\"models\" must be an array"},
	    {"[1,2]", "must hold a JSON object"},
	    {"{\"providers\": [", ":1:"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(f, cases[i].text);
		assert_int_equal(
		    cp_catalog_import(f->s, &f->kek, f->file, false, f->err, sizeof(f->err)),
		    SY_EINVAL);
		if (!strstr(f->err, cases[i].expect))
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, f->err, cases[i].expect);
		assert_int_equal(cp_store_seq(f->s), 0);
	}
	Sy__Provider *p = provider(f, "ok");
	assert_null(p);
}

static void test_dry_run_writes_nothing(void **state)
{
	struct fixture *f = *state;
	write_file(f, catalog);
	assert_int_equal(cp_catalog_import(f->s, &f->kek, f->file, true, f->err, sizeof(f->err)),
	                 0);
	assert_int_equal(cp_store_seq(f->s), 0);
	assert_null(provider(f, "mock"));
}

int main(void)
{
	sy_log_level = SY_LOG_ERROR;
	if (sy_crypto_init())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_import_is_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_credential_from_environment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_kek_imports_without_credential, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_catalog_writes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
