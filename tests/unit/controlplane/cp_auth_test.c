/* cp_auth_test.c - bearer lookup, scoping predicates and the bootstrap admin key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cp_auth.h"
#include "cp_test_util.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"

#define ENV_KEY "sk-sy-mgmt-v1-cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static int lookup(struct test_fixture *f, const char *header, Sy__MgmtKey **out)
{
	struct cp_txn *t = cp_store_begin(f->s, false);
	int rc = cp_auth_lookup(t, header, out);
	cp_store_abort(&t);
	return rc;
}

/* Usage example: SWITCHYARD_ADMIN_KEY becomes a global key found by its bearer header. */
static void test_env_bootstrap_and_lookup(void **state)
{
	struct test_fixture *f = *state;
	const char *why = NULL;
	assert_int_equal(cp_auth_bootstrap(f->s, f->dir, ENV_KEY, &why), 0);
	assert_int_equal(cp_store_seq(f->s), 1);
	/* Idempotent: a restart with the same key changes nothing. */
	assert_int_equal(cp_auth_bootstrap(f->s, f->dir, ENV_KEY, &why), 0);
	assert_int_equal(cp_store_seq(f->s), 1);

	Sy__MgmtKey *k = NULL;
	assert_int_equal(lookup(f, "Bearer " ENV_KEY, &k), 0);
	assert_true(cp_auth_is_global(k));
	assert_true(cp_auth_may_access(k, "org_any"));
	char hash[SY_HASH_HEX_LEN + 1];
	sy_sha256_hex(ENV_KEY, strlen(ENV_KEY), hash);
	assert_string_equal(k->hash, hash);
	ProtobufCMessage *m = &k->base;
	cp_entity_free(&m);

	assert_int_equal(lookup(f, NULL, &k), SY_ENOTFOUND);
	assert_int_equal(lookup(f, ENV_KEY, &k), SY_ENOTFOUND); /* no "Bearer " */
	assert_int_equal(lookup(f, "Bearer sk-sy-mgmt-v1-cdcd", &k), SY_ENOTFOUND);
	assert_int_equal(lookup(f,
	                        "Bearer sk-sy-mgmt-v1-"
	                        "dcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdc",
	                        &k),
	                 SY_ENOTFOUND);
	/* No file is written when the key comes from the environment. */
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/admin.key", f->dir);
	assert_int_not_equal(stat(path, &st), 0);
}

/* Without SWITCHYARD_ADMIN_KEY a fresh store gets a generated key in admin.key, mode 0600. */
static void test_generated_admin_key_file(void **state)
{
	struct test_fixture *f = *state;
	const char *why = NULL;
	assert_int_equal(cp_auth_bootstrap(f->s, f->dir, NULL, &why), 0);
	char path[128], key[160] = {0}, header[200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/admin.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(key, sizeof(key), fp));
	fclose(fp);
	key[strcspn(key, "\n")] = '\0';
	assert_true(cp_auth_key_format(key, SY_MKEY_PREFIX));
	snprintf(header, sizeof(header), "Bearer %s", key);
	Sy__MgmtKey *k = NULL;
	assert_int_equal(lookup(f, header, &k), 0);
	ProtobufCMessage *m = &k->base;
	cp_entity_free(&m);
	/* A store that has a management key is left alone (no new key, file untouched). */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(cp_auth_bootstrap(f->s, f->dir, NULL, &why), 0);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(cp_store_seq(f->s), 1);
}

static void test_scoped_key_predicates(void **state)
{
	Sy__MgmtKey *k = cp_auth_mkey_new(ENV_KEY, "ops", "org_a", 1);
	assert_non_null(k);
	assert_false(cp_auth_is_global(k));
	assert_true(cp_auth_may_access(k, "org_a"));
	assert_false(cp_auth_may_access(k, "org_b"));
	assert_false(cp_auth_may_access(k, NULL));
	assert_string_equal(k->label, "sk-sy-mgmt-v1-cdc...dcd");
	ProtobufCMessage *m = &k->base;
	cp_entity_free(&m);
}

int main(void)
{
	sy_log_level = SY_LOG_WARN;
	if (sy_crypto_init())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_env_bootstrap_and_lookup, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_generated_admin_key_file, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test(test_scoped_key_predicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
