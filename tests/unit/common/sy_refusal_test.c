/* sy_refusal_test.c - LeaseRefusal values and their wire names, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sy_refusal.h"

/* Usage example: a grant's refusal becomes the name a client is told, and back. */
static void test_names_round_trip(void **state)
{
	assert_string_equal(sy_refusal_name(SY__LEASE_REFUSAL__LEASE_REFUSAL_BUDGET), "budget");
	assert_string_equal(sy_refusal_name(SY__LEASE_REFUSAL__LEASE_REFUSAL_KEY_LIMIT),
	                    "key_limit");
	for (int r = SY__LEASE_REFUSAL__LEASE_REFUSAL_BUDGET;
	     r <= SY__LEASE_REFUSAL__LEASE_REFUSAL_EXPIRED; r++)
		assert_int_equal(sy_refusal_parse(sy_refusal_name((Sy__LeaseRefusal)r)), r);
}

/* What an old or newer peer may send. */
static void test_unknown(void **state)
{
	assert_string_equal(sy_refusal_name(SY__LEASE_REFUSAL__LEASE_REFUSAL_NONE), "");
	assert_string_equal(sy_refusal_name((Sy__LeaseRefusal)99), "");
	assert_int_equal(sy_refusal_parse(NULL), SY__LEASE_REFUSAL__LEASE_REFUSAL_BALANCE);
	assert_int_equal(sy_refusal_parse("no-such"), SY__LEASE_REFUSAL__LEASE_REFUSAL_BALANCE);
	assert_int_equal(sy_refusal_parse(""), SY__LEASE_REFUSAL__LEASE_REFUSAL_BALANCE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_round_trip),
	    cmocka_unit_test(test_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
