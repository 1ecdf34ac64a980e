/* dp_free_test.c - which endpoints serve only `:free`, and GET /key's free tier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dp_free.h"
#include "dp_money.h"
#include "sy_cost.h"

#define USD 10000000000LL

static Sy__Endpoint endpoint(Sy__Pricing *pr, const char *prompt, const char *completion,
                             const char *tag)
{
	Sy__Pricing p = SY__PRICING__INIT;
	p.prompt = (char *)prompt;
	p.completion = (char *)completion;
	*pr = p;
	Sy__Endpoint e = SY__ENDPOINT__INIT;
	e.provider = "p";
	e.provider_model_id = "m";
	e.pricing = pr;
	e.tag = (char *)tag;
	return e;
}

/* The catalog's free variant: all prices zero and tag "free". */
static void test_free_endpoints(void **state)
{
	Sy__Pricing pr[4];
	Sy__Endpoint paid = endpoint(&pr[0], "0.000001", "0.000002", NULL);
	Sy__Endpoint zero = endpoint(&pr[1], "0", "0", NULL);
	Sy__Endpoint tagged = endpoint(&pr[2], "0", "0", "free");
	Sy__Endpoint liar = endpoint(&pr[3], "0.000001", "0", "free");
	assert_false(dp_free_endpoint(&paid));
	assert_false(dp_free_endpoint(&zero)); /* self-hosted: free under its own id */
	assert_true(dp_free_endpoint(&tagged));
	assert_false(dp_free_endpoint(&liar)); /* a paid endpoint tagged "free" is not free */
	pr[2].request = "0.01";
	assert_false(dp_free_endpoint(&tagged));
}

static json_int_t ival(json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

static void test_key_free_tier(void **state)
{
	const int64_t now = 1767270000; /* 2026-01-01 12:20 UTC */
	const int64_t today = sy_period_start(SY_PERIOD_DAILY, now);
	Sy__Org org = SY__ORG__INIT;
	org.id = "o";
	json_t *d = json_object();

	/* never bought credits: the free tier, 50 a day, nothing used yet */
	dp_free_key_fields(d, &org, now);
	assert_true(json_is_true(json_object_get(d, "is_free_tier")));
	assert_int_equal(ival(d, "free_model_daily_requests", "limit"), DP_FREE_PER_DAY_LOW);
	assert_int_equal(ival(d, "free_model_daily_requests", "used"), 0);

	/* bought $3 and used 7 today */
	org.has_credits_purchased = true;
	org.credits_purchased = 3 * USD;
	org.has_free_requests_day = org.has_free_requests_today = true;
	org.free_requests_day = today;
	org.free_requests_today = 7;
	dp_free_key_fields(d, &org, now);
	assert_true(json_is_false(json_object_get(d, "is_free_tier")));
	assert_int_equal(ival(d, "free_model_daily_requests", "limit"), DP_FREE_PER_DAY_LOW);
	assert_int_equal(ival(d, "free_model_daily_requests", "used"), 7);
	assert_int_equal(ival(d, "free_model_daily_requests", "remaining"), 43);

	/* $10 bought: 1000 a day; yesterday's count reads 0 */
	org.credits_purchased = 10 * USD;
	org.free_requests_day = today - 86400;
	dp_free_key_fields(d, &org, now);
	assert_int_equal(ival(d, "free_model_daily_requests", "limit"), DP_FREE_PER_DAY);
	assert_int_equal(ival(d, "free_model_daily_requests", "used"), 0);
	assert_int_equal(ival(d, "free_model_daily_requests", "remaining"), DP_FREE_PER_DAY);

	/* more used than the limit: none remaining */
	org.credits_purchased = 0;
	org.free_requests_day = today;
	org.free_requests_today = 60;
	dp_free_key_fields(d, &org, now);
	assert_int_equal(ival(d, "free_model_daily_requests", "remaining"), 0);

	/* an org not synced yet */
	dp_free_key_fields(d, NULL, now);
	assert_true(json_is_true(json_object_get(d, "is_free_tier")));
	assert_int_equal(ival(d, "free_model_daily_requests", "used"), 0);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_free_endpoints),
	    cmocka_unit_test(test_key_free_tier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
