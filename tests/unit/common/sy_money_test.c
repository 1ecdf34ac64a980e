/* sy_money_test.c - exact parsing and formatting of money units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sy_err.h"
#include "sy_money.h"

static void test_parse_price_per_token(void **state)
{
	sy_money m;
	assert_int_equal(sy_money_parse("0.000000075", &m), 0);
	assert_int_equal(m, 750);
	char out[64];
	sy_money_format(m, out, sizeof(out));
	assert_string_equal(out, "0.000000075");
}

static void test_parse_whole_and_negative(void **state)
{
	sy_money m;
	assert_int_equal(sy_money_parse("12", &m), 0);
	assert_int_equal(m, 12 * SY_MONEY_SCALE);
	assert_int_equal(sy_money_parse("-2.25", &m), 0);
	assert_int_equal(m, -225 * SY_MONEY_SCALE / 100);
	char out[64];
	sy_money_format(m, out, sizeof(out));
	assert_string_equal(out, "-2.25");
	sy_money_format(0, out, sizeof(out));
	assert_string_equal(out, "0");
	static const struct {
		sy_money v;
		const char *text;
	} cases[] = {
	    {1, "0.0000000001"},
	    {-1, "-0.0000000001"},
	    {SY_MONEY_SCALE, "1"},
	    {-SY_MONEY_SCALE * 12, "-12"},
	    {12345678901234LL, "1234.5678901234"},
	    {2460000, "0.000246"},
	    {INT64_MAX, "922337203.6854775807"},
	    {INT64_MIN, "-922337203.6854775808"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sy_money_format(cases[i].v, out, sizeof(out));
		assert_string_equal(out, cases[i].text);
		sy_money back;
		if (cases[i].v != INT64_MIN && cases[i].v != INT64_MAX) { /* the parser's range */
			assert_int_equal(sy_money_parse(out, &back), 0);
			assert_true(back == cases[i].v);
		}
	}
	/* cut to the room given, like snprintf */
	char small[5];
	sy_money_format(12345678901234LL, small, sizeof(small));
	assert_string_equal(small, "1234");
}

static void test_parse_rejects_bad_input(void **state)
{
	sy_money m = 42;
	const char *bad[] = {
	    "", "-", ".", "1e-6", "abc", "1.2.3", "0.00000000001", "1 ", "99999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sy_money_parse(bad[i], &m), SY_EINVAL);
	assert_int_equal(m, 42);
}

static void test_trailing_zeros_beyond_scale_ok(void **state)
{
	sy_money m;
	assert_int_equal(sy_money_parse("0.1000000000000", &m), 0);
	assert_int_equal(m, SY_MONEY_SCALE / 10);
}

static void test_from_usd(void **state)
{
	sy_money m;
	assert_int_equal(sy_money_from_usd(10.5, &m), 0);
	assert_int_equal(m, 105 * SY_MONEY_SCALE / 10);
	assert_int_equal(sy_money_from_usd(1e12, &m), SY_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_price_per_token),
	    cmocka_unit_test(test_parse_whole_and_negative),
	    cmocka_unit_test(test_parse_rejects_bad_input),
	    cmocka_unit_test(test_trailing_zeros_beyond_scale_ok),
	    cmocka_unit_test(test_from_usd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
