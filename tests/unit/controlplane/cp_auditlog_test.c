/* cp_auditlog_test.c - the admin audit log: entries in the order of the changes, paged newest
 * first, filtered; only what commits with its change is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cp_auditlog.h"
#include "cp_test_util.h"

static const char ADMIN_HASH[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void record(struct cp_txn *t, const char *path, const char *org, int64_t now_ms)
{
	Sy__MgmtKey caller = SY__MGMT_KEY__INIT;
	caller.hash = (char *)ADMIN_HASH;
	caller.name = "admin";
	json_t *body = json_pack("{s:s,s:s}", "name", "x", "api_key", "secret-value");
	struct cp_auditlog_change ch = {.caller = &caller,
	                                .method = "PATCH",
	                                .path = path,
	                                .org_id = org,
	                                .body = body,
	                                .status = 200,
	                                .now_ms = now_ms};
	assert_int_equal(cp_auditlog_record(t, &ch), 0);
	json_decref(body);
}

static json_t *page(struct cp_store *s, struct cp_auditlog_query *q)
{
	struct cp_txn *t = cp_store_begin(s, false);
	json_t *out = NULL;
	assert_int_equal(cp_auditlog_list(t, q, &out), 0);
	cp_store_abort(&t);
	return out;
}

static void test_record_and_read(void **state)
{
	struct test_fixture *f = *state;
	struct cp_txn *t = cp_store_begin(f->s, true);
	record(t, "/api/v1/keys/abc", "org_a", 5000);
	record(t, "/api/v1/models/a/b", NULL, 5000);               /* the same millisecond */
	record(t, "/api/v1/orgs/org_b/budgets/daily", NULL, 4000); /* the clock stepped back */
	assert_int_equal(cp_store_commit(&t), 0);
	t = cp_store_begin(f->s, true);
	record(t, "/api/v1/orgs/org_c", NULL, 9000);
	cp_store_abort(&t); /* a change that does not commit leaves no entry */

	struct cp_auditlog_query q = {.limit = 10};
	json_t *out = page(f->s, &q), *d = json_object_get(out, "data");
	assert_int_equal(json_array_size(d), 3);
	assert_true(json_is_null(json_object_get(out, "next_cursor")));
	/* newest first, in the order of the changes whatever the clock said */
	const char *routes[] = {"orgs/{id}/budgets/daily", "models/{id}", "keys/{id}"};
	const char *objects[] = {"org_b", "a/b", "abc"};
	for (size_t i = 0; i < 3; i++) {
		json_t *e = json_array_get(d, i);
		assert_string_equal(json_string_value(json_object_get(e, "route")), routes[i]);
		assert_string_equal(json_string_value(json_object_get(e, "object_id")), objects[i]);
	}
	json_t *e = json_array_get(d, 2);
	assert_string_equal(json_string_value(json_object_get(e, "id")), "0000000005000-00000000");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(e, "actor"), "hash_prefix")),
	    "0123456789abcdef");
	char *text = json_dumps(out, 0);
	assert_null(strstr(text, "secret-value")); /* field names only */
	assert_non_null(strstr(text, "\"api_key\""));
	free(text);
	json_decref(out);

	/* a page of one, then the next from its cursor; filters */
	q.limit = 1;
	out = page(f->s, &q);
	char cursor[64];
	snprintf(cursor, sizeof(cursor), "%s",
	         json_string_value(json_object_get(out, "next_cursor")));
	json_decref(out);
	q.before = cursor;
	out = page(f->s, &q);
	e = json_array_get(json_object_get(out, "data"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "object_id")), "a/b");
	json_decref(out);
	struct cp_auditlog_query byorg = {.limit = 10, .org_id = "org_b"};
	out = page(f->s, &byorg);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 1);
	json_decref(out);
	struct cp_auditlog_query bytime = {.limit = 10, .from_ms = 4500, .object_type = "key"};
	out = page(f->s, &bytime);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 1);
	json_decref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_record_and_read, test_fixture_setup,
	                                    test_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
