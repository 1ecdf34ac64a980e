/* dp_health_test.c - outlier ejection, Retry-After, and speed averages. */
#include "dp_health.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

static void fault(struct dp_health *h, const char *m, const char *p, int64_t now)
{
	dp_health_begin(h, m, p, now);
	dp_health_end(h, m, p, DP_HEALTH_FAULT, now);
}

/* Usage: three faults eject, the ejection ends with one probe, a good probe re-admits. */
static void test_eject_probe_readmit(void **state)
{
	struct dp_health *h = dp_health_new();
	assert_true(dp_health_ok(h, "m/a", "p1", 0));
	fault(h, "m/a", "p1", 100);
	fault(h, "m/a", "p1", 200);
	assert_true(dp_health_ok(h, "m/a", "p1", 200));
	fault(h, "m/a", "p1", 300);
	assert_false(dp_health_ok(h, "m/a", "p1", 301));
	assert_true(dp_health_ok(h, "m/a", "p2", 301)); /* other endpoints are untouched */
	assert_true(dp_health_ok(h, "m/b", "p1", 301));
	int64_t due = 300 + DP_HEALTH_EJECT_BASE_MS;
	assert_false(dp_health_ok(h, "m/a", "p1", due - 1));
	assert_true(dp_health_ok(h, "m/a", "p1", due));
	dp_health_begin(h, "m/a", "p1", due);            /* the probe */
	assert_false(dp_health_ok(h, "m/a", "p1", due)); /* one probe at a time */
	dp_health_end(h, "m/a", "p1", DP_HEALTH_SUCCESS, due + 10);
	assert_true(dp_health_ok(h, "m/a", "p1", due + 10));
	dp_health_free(&h);
	assert_null(h);
	dp_health_free(&h);
}

static void test_success_resets_the_count(void **state)
{
	struct dp_health *h = dp_health_new();
	fault(h, "m", "p", 0);
	fault(h, "m", "p", 0);
	dp_health_end(h, "m", "p", DP_HEALTH_SUCCESS, 0);
	fault(h, "m", "p", 0);
	fault(h, "m", "p", 0);
	assert_true(dp_health_ok(h, "m", "p", 1));
	dp_health_free(&h);
}

static void test_client_errors_never_eject(void **state)
{
	struct dp_health *h = dp_health_new();
	for (int i = 0; i < 20; i++) {
		dp_health_begin(h, "m", "p", i);
		dp_health_end(h, "m", "p", DP_HEALTH_NEUTRAL, i);
	}
	assert_true(dp_health_ok(h, "m", "p", 100));
	dp_health_free(&h);
}

static void test_failed_probe_ejects_longer(void **state)
{
	struct dp_health *h = dp_health_new();
	for (int i = 0; i < DP_HEALTH_EJECT_AFTER; i++)
		fault(h, "m", "p", 0);
	int64_t t = DP_HEALTH_EJECT_BASE_MS;
	assert_true(dp_health_ok(h, "m", "p", t));
	fault(h, "m", "p", t); /* the probe fails: out for twice as long */
	assert_false(dp_health_ok(h, "m", "p", t + 2 * DP_HEALTH_EJECT_BASE_MS - 1));
	assert_true(dp_health_ok(h, "m", "p", t + 2 * DP_HEALTH_EJECT_BASE_MS));
	/* growth is capped */
	for (int i = 0; i < 30; i++) {
		t += DP_HEALTH_EJECT_MAX_MS;
		fault(h, "m", "p", t);
	}
	assert_false(dp_health_ok(h, "m", "p", t + DP_HEALTH_EJECT_MAX_MS - 1));
	assert_true(dp_health_ok(h, "m", "p", t + DP_HEALTH_EJECT_MAX_MS));
	dp_health_free(&h);
}

static void test_neutral_probe_keeps_probing(void **state)
{
	struct dp_health *h = dp_health_new();
	for (int i = 0; i < DP_HEALTH_EJECT_AFTER; i++)
		fault(h, "m", "p", 0);
	int64_t t = DP_HEALTH_EJECT_BASE_MS;
	dp_health_begin(h, "m", "p", t);
	assert_false(dp_health_ok(h, "m", "p", t));
	dp_health_end(h, "m", "p", DP_HEALTH_NEUTRAL, t);
	assert_true(dp_health_ok(h, "m", "p", t)); /* the next request probes again */
	dp_health_free(&h);
}

static void test_retry_after_window(void **state)
{
	struct dp_health *h = dp_health_new();
	dp_health_retry_after(h, "m", "p", 5000);
	dp_health_retry_after(h, "m", "p", 3000); /* never shortens */
	assert_false(dp_health_ok(h, "m", "p", 4999));
	assert_true(dp_health_ok(h, "m", "p", 5000));
	dp_health_free(&h);
}

static void test_speed_averages(void **state)
{
	struct dp_health *h = dp_health_new();
	assert_true(dp_health_latency(h, "m", "p") == 0);
	assert_true(dp_health_throughput(h, "m", "p") == 0);
	dp_health_sample(h, "m", "p", 100, 50);
	assert_true(dp_health_latency(h, "m", "p") == 100);
	assert_true(dp_health_throughput(h, "m", "p") == 50);
	dp_health_sample(h, "m", "p", 200, 0); /* throughput not measured: unchanged */
	assert_true(dp_health_latency(h, "m", "p") == 120);
	assert_true(dp_health_throughput(h, "m", "p") == 50);
	dp_health_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eject_probe_readmit),
	    cmocka_unit_test(test_success_resets_the_count),
	    cmocka_unit_test(test_client_errors_never_eject),
	    cmocka_unit_test(test_failed_probe_ejects_longer),
	    cmocka_unit_test(test_neutral_probe_keeps_probing),
	    cmocka_unit_test(test_retry_after_window),
	    cmocka_unit_test(test_speed_averages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
