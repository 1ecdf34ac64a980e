/* cp_route_test.c - the admin API's path patterns and their 404/405 answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cp_route.h"

/* Usage example: match, then copy the captures out. */
static void test_match_and_capture(void **state)
{
	struct cp_route_caps caps;
	char id[16], period[16];
	assert_true(cp_route_match("orgs/{}/budgets/{}", "orgs/org_1/budgets/daily", &caps));
	assert_int_equal(caps.n, 2);
	assert_true(cp_route_cap(&caps, 0, id, sizeof(id)));
	assert_true(cp_route_cap(&caps, 1, period, sizeof(period)));
	assert_string_equal(id, "org_1");
	assert_string_equal(period, "daily");
	/* the last capture ends the path: usable as it is */
	assert_string_equal(caps.at[1], "daily");
	/* a capture that does not fit is refused, not cut */
	assert_false(cp_route_cap(&caps, 0, id, 5));
	assert_string_equal(id, "");
	assert_false(cp_route_cap(&caps, 2, id, sizeof(id)));
}

static void test_literals_and_segments(void **state)
{
	struct cp_route_caps caps;
	assert_true(cp_route_match("orgs", "orgs", &caps));
	assert_int_equal(caps.n, 0);
	assert_true(cp_route_match("activity.csv", "activity.csv", &caps));
	assert_false(cp_route_match("activity", "activity.csv", &caps));
	assert_false(cp_route_match("orgs", "orgs/", &caps));
	assert_false(cp_route_match("orgs", "org", &caps));
	assert_false(cp_route_match("orgs/{}", "orgs", &caps));
	assert_false(cp_route_match("orgs/{}", "orgs/", &caps));    /* empty id */
	assert_false(cp_route_match("orgs/{}", "orgs/a/b", &caps)); /* one segment only */
	assert_false(cp_route_match("orgs/{}/ledger", "orgs//ledger", &caps));
	assert_false(cp_route_match("orgs/{}/ledger", "orgs/a/ledger/", &caps));
	assert_true(cp_route_match("orgs/{}/ledger", "orgs/a/ledger", &caps));
	assert_int_equal(caps.len[0], 1);
}

/* {*} takes the rest: model ids hold '/'. */
static void test_rest(void **state)
{
	struct cp_route_caps caps;
	assert_true(cp_route_match("models/{*}", "models/openai/gpt-4o", &caps));
	assert_string_equal(caps.at[0], "openai/gpt-4o");
	assert_true(cp_route_match("models/{*}", "models/a/b/", &caps));
	assert_string_equal(caps.at[0], "a/b/");
	assert_false(cp_route_match("models/{*}", "models/", &caps));
	assert_false(cp_route_match("models/{*}", "models", &caps));
}

static void test_fail(void **state)
{
	struct cp_response res = {0};
	cp_route_fail(&res, true, "PATCH");
	assert_int_equal(res.status, 405);
	assert_non_null(strstr(res.body, "method PATCH not allowed here"));
	free(res.body);
	cp_route_fail(&res, false, "GET");
	assert_int_equal(res.status, 404);
	assert_non_null(strstr(res.body, "no such admin endpoint"));
	free(res.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_and_capture),
	    cmocka_unit_test(test_literals_and_segments),
	    cmocka_unit_test(test_rest),
	    cmocka_unit_test(test_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
