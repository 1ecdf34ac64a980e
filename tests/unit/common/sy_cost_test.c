/* sy_cost_test.c - generation cost, reservations and billing periods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "sy_cost.h"
#include "sy_err.h"

/* $1 per million prompt tokens, $2 per million completion tokens, cache reads at 0.1x,
 * writes at 1.25x, and a $0.001 request fee. */
static struct sy_price example_price(void)
{
	struct sy_price p;
	const char *bad = NULL;
	assert_int_equal(
	    sy_price_parse(&p, "0.000001", "0.000002", "0.001", "0.0000001", "0.00000125", &bad),
	    0);
	assert_null(bad);
	return p;
}

static void test_cost_of_a_generation(void **state)
{
	struct sy_price p = example_price();
	assert_int_equal(p.prompt, 10000);
	assert_int_equal(p.completion, 20000);
	assert_int_equal(p.request, 10000000);
	assert_int_equal(p.cache_read, 1000);
	assert_int_equal(p.cache_write, 12500);

	struct sy_tokens t = {.prompt = 1000, .completion = 500};
	/* 1000 * 10000 + 500 * 20000 + 10^7 */
	assert_int_equal(sy_cost(&p, &t, "stop"), 10000000 + 10000000 + 10000000);
}

static void test_cached_and_cache_write_billed_once(void **state)
{
	struct sy_price p = example_price();
	struct sy_tokens t = {
	    .prompt = 1000, .completion = 10, .cached = 600, .cache_write = 100, .reasoning = 4};
	sy_money want = 300 * p.prompt + 600 * p.cache_read + 100 * p.cache_write +
	                10 * p.completion + p.request;
	assert_int_equal(sy_cost(&p, &t, "length"), want);
	/* reasoning tokens are already inside completion: they change nothing */
	t.reasoning = 9;
	assert_int_equal(sy_cost(&p, &t, "length"), want);
}

/* cost_details: the completion part, the rest the prompt's (cache and request fee included). */
static void test_completion_part(void **state)
{
	struct sy_price p = example_price();
	struct sy_tokens t = {.prompt = 1000, .completion = 10, .cached = 600, .cache_write = 100};
	sy_money total = sy_cost(&p, &t, "stop");
	sy_money comp = sy_cost_completion(&p, &t, total);
	assert_int_equal(comp, 10 * p.completion);
	assert_int_equal(total - comp,
	                 300 * p.prompt + 600 * p.cache_read + 100 * p.cache_write + p.request);
	/* nothing charged (no finish, no completion): no part */
	t.completion = 0;
	assert_int_equal(sy_cost_completion(&p, &t, sy_cost(&p, &t, NULL)), 0);
	/* never more than the total */
	t.completion = 10;
	assert_int_equal(sy_cost_completion(&p, &t, 5), 5);
}

static void test_more_cached_than_prompt_clamps(void **state)
{
	struct sy_price p = example_price();
	struct sy_tokens t = {.prompt = 10, .completion = 1, .cached = 30, .cache_write = 5};
	assert_int_equal(sy_cost(&p, &t, "stop"),
	                 30 * p.cache_read + 5 * p.cache_write + p.completion + p.request);
}

static void test_zero_completion_insurance(void **state)
{
	struct sy_price p = example_price();
	struct sy_tokens t = {.prompt = 1000, .completion = 0};
	assert_int_equal(sy_cost(&p, &t, NULL), 0);
	assert_int_equal(sy_cost(&p, &t, ""), 0);
	/* a finish reason with no completion (e.g. an empty answer) is billed */
	assert_int_equal(sy_cost(&p, &t, "stop"), 1000 * p.prompt + p.request);
	/* an error is never billed, whatever was generated */
	t.completion = 200;
	assert_int_equal(sy_cost(&p, &t, "error"), 0);
	/* tokens without a finish reason (a cut stream) are billed */
	assert_int_equal(sy_cost(&p, &t, NULL), 1000 * p.prompt + 200 * p.completion + p.request);
}

static void test_free_price(void **state)
{
	struct sy_price p;
	assert_int_equal(sy_price_parse(&p, "0", NULL, "", "0.0", NULL, NULL), 0);
	assert_true(sy_price_is_free(&p));
	struct sy_tokens t = {.prompt = 123456, .completion = 7890};
	assert_int_equal(sy_cost(&p, &t, "stop"), 0);
	struct sy_price q = example_price();
	assert_false(sy_price_is_free(&q));
	q = (struct sy_price){.cache_write = 1};
	assert_false(sy_price_is_free(&q));
}

static void test_price_parse_names_bad_field(void **state)
{
	struct sy_price p = example_price(), before = p;
	const char *bad = NULL;
	assert_int_equal(sy_price_parse(&p, "0.1", "abc", NULL, NULL, NULL, &bad), SY_EINVAL);
	assert_string_equal(bad, "completion");
	assert_int_equal(sy_price_parse(&p, "0.1", "0.2", "1", "0.1", "-0.5", &bad), SY_EINVAL);
	assert_string_equal(bad, "input_cache_write");
	assert_int_equal(sy_price_parse(&p, "1e-6", NULL, NULL, NULL, NULL, &bad), SY_EINVAL);
	assert_string_equal(bad, "prompt");
	assert_int_equal(sy_price_parse(&p, NULL, NULL, "-1", NULL, NULL, &bad), SY_EINVAL);
	assert_string_equal(bad, "request");
	/* a failed parse leaves the price unchanged */
	assert_memory_equal(&p, &before, sizeof(p));
}

static void test_overflow_saturates(void **state)
{
	struct sy_price p = {
	    .prompt = INT64_MAX / 2, .completion = INT64_MAX / 2, .request = INT64_MAX};
	struct sy_tokens t = {.prompt = UINT32_MAX, .completion = UINT32_MAX};
	assert_int_equal(sy_cost(&p, &t, "stop"), INT64_MAX);
	assert_int_equal(sy_cost_worst_case(&p, UINT32_MAX, UINT32_MAX), INT64_MAX);
	/* large but representable stays exact */
	struct sy_price q = {.completion = 1000000000000LL}; /* $100 per token */
	t = (struct sy_tokens){.completion = 4000000};
	assert_int_equal(sy_cost(&q, &t, "stop"), 4000000000000000000LL);
}

static void test_worst_case(void **state)
{
	struct sy_price p = example_price();
	assert_int_equal(sy_cost_worst_case(&p, 250, 4096),
	                 250 * p.prompt + 4096 * p.completion + p.request);
	assert_int_equal(sy_cost_worst_case(&p, 0, 0), p.request);
	struct sy_price z = {0};
	assert_int_equal(sy_cost_worst_case(&z, 1000, 1000), 0);
}

static void test_period_names(void **state)
{
	const char *names[] = {"daily", "weekly", "monthly", "lifetime"};
	for (size_t i = 0; i < 4; i++) {
		enum sy_period p = SY_PERIOD_LIFETIME;
		assert_int_equal(sy_period_parse(names[i], &p), 0);
		assert_int_equal(p, (enum sy_period)i);
		assert_string_equal(sy_period_name(p), names[i]);
	}
	enum sy_period p = SY_PERIOD_DAILY;
	assert_int_equal(sy_period_parse("Daily", &p), SY_EINVAL);
	assert_int_equal(sy_period_parse("", &p), SY_EINVAL);
	assert_int_equal(sy_period_parse(NULL, &p), SY_EINVAL);
	assert_int_equal(sy_period_parse("yearly", &p), SY_EINVAL);
	assert_int_equal(p, SY_PERIOD_DAILY);
}

static int64_t utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mon - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = s};
	return (int64_t)timegm(&tm);
}

static void test_daily_starts_at_utc_midnight(void **state)
{
	assert_int_equal(sy_period_start(SY_PERIOD_DAILY, 1700000000), 1699920000);
	assert_int_equal(sy_period_start(SY_PERIOD_DAILY, utc(2024, 5, 17, 0, 0, 0)),
	                 utc(2024, 5, 17, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_DAILY, utc(2024, 5, 16, 23, 59, 59)),
	                 utc(2024, 5, 16, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_DAILY, 0), 0);
	assert_int_equal(sy_period_start(SY_PERIOD_DAILY, -1), -86400);
}

static void test_week_starts_monday(void **state)
{
	/* 2024-01-07 is a Sunday, 2024-01-08 a Monday */
	assert_int_equal(sy_period_start(SY_PERIOD_WEEKLY, utc(2024, 1, 7, 23, 59, 59)),
	                 utc(2024, 1, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_WEEKLY, utc(2024, 1, 8, 0, 0, 0)),
	                 utc(2024, 1, 8, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_WEEKLY, utc(2024, 1, 10, 13, 0, 0)),
	                 utc(2024, 1, 8, 0, 0, 0));
	/* a week across a year end: Wed 2025-01-01 belongs to the week of Mon 2024-12-30 */
	assert_int_equal(sy_period_start(SY_PERIOD_WEEKLY, utc(2025, 1, 1, 8, 0, 0)),
	                 utc(2024, 12, 30, 0, 0, 0));
	/* Thursday 1970-01-01 belongs to the week of Monday 1969-12-29 */
	assert_int_equal(sy_period_start(SY_PERIOD_WEEKLY, 0), -3 * 86400);
}

static void test_month_ends(void **state)
{
	/* leap years: 2024 (div 4), 2000 (div 400); not 2023, not 2100 (div 100) */
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2024, 2, 29, 23, 59, 59)),
	                 utc(2024, 2, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2024, 3, 1, 0, 0, 0)),
	                 utc(2024, 3, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2023, 2, 28, 23, 59, 59)),
	                 utc(2023, 2, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2023, 3, 1, 0, 0, 1)),
	                 utc(2023, 3, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2000, 2, 29, 12, 0, 0)),
	                 utc(2000, 2, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2100, 3, 1, 0, 0, 0)),
	                 utc(2100, 3, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2100, 2, 28, 23, 0, 0)),
	                 utc(2100, 2, 1, 0, 0, 0));
	/* Dec -> Jan */
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2023, 12, 31, 23, 59, 59)),
	                 utc(2023, 12, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, utc(2024, 1, 1, 0, 0, 0)),
	                 utc(2024, 1, 1, 0, 0, 0));
	assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, -1), utc(1969, 12, 1, 0, 0, 0));
}

/* Every day from 1950 to 2150, compared with libc's calendar. */
static void test_periods_agree_with_libc(void **state)
{
	for (int64_t t = utc(1950, 1, 1, 0, 0, 0); t < utc(2150, 1, 1, 0, 0, 0); t += 86400) {
		int64_t probe = t + 86399; /* the last second of the day */
		time_t tt = (time_t)probe;
		struct tm tm;
		gmtime_r(&tt, &tm);
		assert_int_equal(sy_period_start(SY_PERIOD_DAILY, probe), t);
		assert_int_equal(sy_period_start(SY_PERIOD_MONTHLY, probe),
		                 utc(tm.tm_year + 1900, tm.tm_mon + 1, 1, 0, 0, 0));
		int back = (tm.tm_wday + 6) % 7; /* days since Monday */
		assert_int_equal(sy_period_start(SY_PERIOD_WEEKLY, probe), t - back * 86400);
		assert_int_equal(sy_period_start(SY_PERIOD_LIFETIME, probe), 0);
	}
}

/* A period ends where the next begins: midnight, the next Monday, the 1st of next month. */
static void test_period_ends(void **state)
{
	assert_int_equal(sy_period_end(SY_PERIOD_DAILY, utc(2024, 2, 28, 23, 59, 59)),
	                 utc(2024, 2, 29, 0, 0, 0));
	assert_int_equal(sy_period_end(SY_PERIOD_WEEKLY, utc(2024, 1, 7, 23, 59, 59)),
	                 utc(2024, 1, 8, 0, 0, 0));
	assert_int_equal(sy_period_end(SY_PERIOD_WEEKLY, utc(2024, 1, 8, 0, 0, 0)),
	                 utc(2024, 1, 15, 0, 0, 0));
	assert_int_equal(sy_period_end(SY_PERIOD_MONTHLY, utc(2024, 1, 31, 12, 0, 0)),
	                 utc(2024, 2, 1, 0, 0, 0));
	assert_int_equal(sy_period_end(SY_PERIOD_MONTHLY, utc(2023, 2, 1, 0, 0, 0)),
	                 utc(2023, 3, 1, 0, 0, 0));
	assert_int_equal(sy_period_end(SY_PERIOD_MONTHLY, utc(2024, 12, 31, 23, 59, 59)),
	                 utc(2025, 1, 1, 0, 0, 0));
	assert_int_equal(sy_period_end(SY_PERIOD_LIFETIME, 12345), INT64_MAX);
	for (int64_t t = utc(2000, 1, 1, 0, 0, 0); t < utc(2030, 1, 1, 0, 0, 0); t += 86400 * 3)
		for (int p = SY_PERIOD_DAILY; p <= SY_PERIOD_MONTHLY; p++)
			assert_int_equal(sy_period_end(p, t),
			                 sy_period_start(p, sy_period_end(p, t)));
}

/* Period counters: a new period starts from zero, a late amount from a past period only
 * counts in the periods it still belongs to, and a counter reads 0 once its period ends. */
static void test_period_counters(void **state)
{
	int64_t sun = utc(2024, 3, 31, 23, 0, 0), mon = utc(2024, 4, 1, 1, 0, 0);
	sy_money d = 0, w = 0, m = 0;
	int64_t ds = 0, ws = 0, ms = 0;
	sy_period_add(SY_PERIOD_DAILY, &d, &ds, sun, 5);
	sy_period_add(SY_PERIOD_WEEKLY, &w, &ws, sun, 5);
	sy_period_add(SY_PERIOD_MONTHLY, &m, &ms, sun, 5);
	/* Monday April 1st: a new day, week and month */
	sy_period_add(SY_PERIOD_DAILY, &d, &ds, mon, 7);
	sy_period_add(SY_PERIOD_WEEKLY, &w, &ws, mon, 7);
	sy_period_add(SY_PERIOD_MONTHLY, &m, &ms, mon, 7);
	assert_int_equal(d, 7);
	assert_int_equal(w, 7);
	assert_int_equal(m, 7);
	/* a late Sunday record counts nowhere current */
	sy_period_add(SY_PERIOD_DAILY, &d, &ds, sun, 100);
	sy_period_add(SY_PERIOD_MONTHLY, &m, &ms, sun, 100);
	assert_int_equal(d, 7);
	assert_int_equal(m, 7);
	assert_int_equal(sy_period_current(SY_PERIOD_DAILY, d, ds, mon + 3600), 7);
	assert_int_equal(sy_period_current(SY_PERIOD_DAILY, d, ds, mon + 86400), 0);
	assert_int_equal(sy_period_current(SY_PERIOD_WEEKLY, w, ws, mon + 6 * 86400), 7);
	assert_int_equal(sy_period_current(SY_PERIOD_WEEKLY, w, ws, mon + 7 * 86400), 0);
	assert_int_equal(sy_period_current(SY_PERIOD_MONTHLY, m, ms, utc(2024, 4, 30, 23, 0, 0)),
	                 7);
	assert_int_equal(sy_period_current(SY_PERIOD_MONTHLY, m, ms, utc(2024, 5, 1, 0, 0, 0)), 0);
	/* a key limit counts the period its reset names, else everything */
	assert_int_equal(sy_limit_usage("daily", 100, 1, 2, 3), 1);
	assert_int_equal(sy_limit_usage("weekly", 100, 1, 2, 3), 2);
	assert_int_equal(sy_limit_usage("monthly", 100, 1, 2, 3), 3);
	assert_int_equal(sy_limit_usage(NULL, 100, 1, 2, 3), 100);
	assert_int_equal(sy_limit_usage("yearly", 100, 1, 2, 3), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cost_of_a_generation),
	    cmocka_unit_test(test_cached_and_cache_write_billed_once),
	    cmocka_unit_test(test_completion_part),
	    cmocka_unit_test(test_more_cached_than_prompt_clamps),
	    cmocka_unit_test(test_zero_completion_insurance),
	    cmocka_unit_test(test_free_price),
	    cmocka_unit_test(test_price_parse_names_bad_field),
	    cmocka_unit_test(test_overflow_saturates),
	    cmocka_unit_test(test_worst_case),
	    cmocka_unit_test(test_period_names),
	    cmocka_unit_test(test_daily_starts_at_utc_midnight),
	    cmocka_unit_test(test_week_starts_monday),
	    cmocka_unit_test(test_month_ends),
	    cmocka_unit_test(test_periods_agree_with_libc),
	    cmocka_unit_test(test_period_ends),
	    cmocka_unit_test(test_period_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
