/* sy_msg_test.c - the shared protocol definitions: which model ids name the auto router. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sy_msg.h"

/* Usage example: both public ids name the auto router; nothing else does. */
static void test_auto_router_ids(void **state)
{
	(void)state;
	assert_true(sy_auto_router_is(SY_AUTO_ROUTER_OPENROUTER));
	assert_true(sy_auto_router_is(SY_AUTO_ROUTER_SWITCHYARD));
	assert_true(sy_auto_router_is("openrouter/auto"));
	assert_true(sy_auto_router_is("switchyard/auto"));
	assert_false(sy_auto_router_is("openrouter/auto:nitro"));
	assert_false(sy_auto_router_is("openrouter/Auto"));
	assert_false(sy_auto_router_is(SY_AUTO_ROUTER_ID));
	assert_false(sy_auto_router_is("a/plain"));
	assert_false(sy_auto_router_is(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auto_router_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
