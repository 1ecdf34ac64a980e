/* dp_prefer_test.c - soft speed preferences: numbers are p50, objects per percentile,
 * unmeasured endpoints never miss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dp_prefer.h"

static bool missed(const char *prefs, const struct dp_prefer_speed *s)
{
	json_t *p = json_loads(prefs, 0, NULL);
	assert_non_null(p);
	bool m = dp_prefer_missed(p, s);
	json_decref(p);
	return m;
}

/* Usage: 40 tokens/s measured misses a preference for 50, meets one for 30. */
static void test_number_is_p50(void **state)
{
	struct dp_prefer_speed s = {.tps = 40, .ttft_ms = 800};
	assert_true(missed("{\"preferred_min_throughput\": 50}", &s));
	assert_false(missed("{\"preferred_min_throughput\": 30}", &s));
	/* latency is in seconds */
	assert_true(missed("{\"preferred_max_latency\": 0.5}", &s));
	assert_false(missed("{\"preferred_max_latency\": 1}", &s));
	assert_false(missed("{\"preferred_max_latency\": 0.8}", &s)); /* the cutoff is met */
	assert_false(missed("{\"sort\": \"price\"}", &s));
}

static void test_percentile_cutoffs(void **state)
{
	Sy__Percentiles tps = SY__PERCENTILES__INIT, lat = SY__PERCENTILES__INIT;
	tps.p50 = 100, tps.p75 = 80, tps.p90 = 50, tps.p99 = 10;
	lat.p50 = 200, lat.p75 = 400, lat.p90 = 900, lat.p99 = 3000;
	struct dp_prefer_speed s = {.tps = 5, .ttft_ms = 5000, .tps_p = &tps, .ttft_p = &lat};
	/* published percentiles win over the worker's average */
	assert_false(missed("{\"preferred_min_throughput\": 90}", &s));
	assert_true(missed("{\"preferred_min_throughput\": {\"p50\": 90, \"p90\": 60}}", &s));
	assert_false(missed("{\"preferred_min_throughput\": {\"p75\": 80}}", &s));
	assert_true(missed("{\"preferred_max_latency\": {\"p99\": 2}}", &s));
	assert_false(missed("{\"preferred_max_latency\": {\"p90\": 1, \"p50\": 0.5}}", &s));
}

static void test_unmeasured_never_misses(void **state)
{
	struct dp_prefer_speed none = {0};
	assert_false(
	    missed("{\"preferred_min_throughput\": 1000, \"preferred_max_latency\": 0}", &none));
	/* without percentiles only a p50 cutoff can be judged (from the average) */
	struct dp_prefer_speed avg = {.tps = 10};
	assert_false(missed("{\"preferred_min_throughput\": {\"p90\": 1000}}", &avg));
	assert_true(missed("{\"preferred_min_throughput\": {\"p50\": 1000}}", &avg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number_is_p50),
	    cmocka_unit_test(test_percentile_cutoffs),
	    cmocka_unit_test(test_unmeasured_never_misses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
