/* sy_metrics_test.c - Prometheus text rendering, label escaping and histograms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sy_err.h"
#include "sy_metrics.h"

static void test_render_a_counter_family(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	char labels[128] = "";
	assert_int_equal(sy_prom_label(labels, sizeof(labels), "model", "mock/echo"), 0);
	assert_int_equal(sy_prom_label(labels, sizeof(labels), "provider", "mock"), 0);
	assert_int_equal(sy_prom_family(&b, "x_requests_total", "counter", "Requests."), 0);
	assert_int_equal(sy_prom_u64(&b, "x_requests_total", labels, 42), 0);
	assert_int_equal(sy_prom_u64(&b, "x_requests_total", "", 7), 0);
	assert_int_equal(sy_prom_i64(&b, "x_lag", NULL, -3), 0);
	assert_string_equal(b.data, "# HELP x_requests_total Requests.\n"
	                            "# TYPE x_requests_total counter\n"
	                            "x_requests_total{model=\"mock/echo\",provider=\"mock\"} 42\n"
	                            "x_requests_total 7\n"
	                            "x_lag -3\n");
	sy_buf_release(&b);
}

static void test_label_escaping(void **state)
{
	char labels[64] = "";
	assert_int_equal(sy_prom_label(labels, sizeof(labels), "m", "a\"b\\c\nd"), 0);
	assert_string_equal(labels, "m=\"a\\\"b\\\\c\\nd\"");
}

static void test_label_too_long_leaves_labels_unchanged(void **state)
{
	char labels[24] = "";
	assert_int_equal(sy_prom_label(labels, sizeof(labels), "a", "1"), 0);
	assert_int_equal(sy_prom_label(labels, sizeof(labels), "model", "0123456789abcdef"),
	                 SY_ETOOBIG);
	assert_string_equal(labels, "a=\"1\"");
	/* exactly filling the buffer fits: a="1",b="1234567890123" is 23 characters */
	assert_int_equal(sy_prom_label(labels, sizeof(labels), "b", "1234567890123"), 0);
	assert_int_equal(strlen(labels), 23);
	assert_int_equal(sy_prom_label(labels, sizeof(labels), "c", ""), SY_ETOOBIG);
}

static void test_seconds_are_exact_decimals(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	sy_prom_seconds(&b, "s", NULL, 25);
	sy_prom_seconds(&b, "s", NULL, 1500000);
	sy_prom_seconds(&b, "s", NULL, 300000000);
	sy_prom_seconds(&b, "s", NULL, 0);
	sy_prom_seconds(&b, "s", NULL, -2500);
	assert_string_equal(b.data, "s 0.000025\ns 1.5\ns 300\ns 0\ns -0.0025\n");
	sy_buf_release(&b);
}

static void test_histogram_buckets_are_cumulative(void **state)
{
	static const struct sy_hist_bounds bounds = {3, {100, 1000, 10000}};
	struct sy_hist h = {0};
	const int64_t obs[] = {50, 100, 101, 5000, 20000, -7};
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		sy_hist_observe(&h, &bounds, obs[i]);
	assert_int_equal(sy_hist_count(&h), 6);
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(sy_prom_hist(&b, "lat_seconds", "m=\"x\"", &h, &bounds), 0);
	assert_string_equal(b.data, "lat_seconds_bucket{m=\"x\",le=\"0.0001\"} 3\n"
	                            "lat_seconds_bucket{m=\"x\",le=\"0.001\"} 4\n"
	                            "lat_seconds_bucket{m=\"x\",le=\"0.01\"} 5\n"
	                            "lat_seconds_bucket{m=\"x\",le=\"+Inf\"} 6\n"
	                            "lat_seconds_sum{m=\"x\"} 0.025251\n"
	                            "lat_seconds_count{m=\"x\"} 6\n");
	sy_buf_reset(&b);
	struct sy_hist none = {0};
	assert_int_equal(sy_prom_hist(&b, "o", "", &none, &bounds), 0);
	assert_non_null(strstr(b.data, "o_bucket{le=\"+Inf\"} 0\no_sum 0\no_count 0\n"));
	sy_buf_release(&b);
}

static void test_merge_adds_every_bucket(void **state)
{
	struct sy_hist a = {0}, b = {0}, sum = {0};
	sy_hist_observe(&a, &sy_hist_overhead, 5);
	sy_hist_observe(&b, &sy_hist_overhead, 5);
	sy_hist_observe(&b, &sy_hist_overhead, 2000000);
	sy_hist_merge(&sum, &a);
	sy_hist_merge(&sum, &b);
	assert_int_equal(sy_hist_count(&sum), 3);
	assert_int_equal(sy_counter_get(&sum.bucket[0]), 2);
	assert_int_equal(sy_counter_get(&sum.bucket[sy_hist_overhead.n]), 1);
	assert_int_equal(sy_counter_get(&sum.sum_us), 2000010);
}

static void test_standard_bounds_ascend(void **state)
{
	const struct sy_hist_bounds *all[] = {&sy_hist_latency, &sy_hist_overhead};
	for (size_t k = 0; k < 2; k++) {
		assert_true(all[k]->n > 0 && all[k]->n <= SY_HIST_BUCKETS_MAX);
		for (size_t i = 1; i < all[k]->n; i++)
			assert_true(all[k]->le_us[i] > all[k]->le_us[i - 1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_a_counter_family),
	    cmocka_unit_test(test_label_escaping),
	    cmocka_unit_test(test_label_too_long_leaves_labels_unchanged),
	    cmocka_unit_test(test_seconds_are_exact_decimals),
	    cmocka_unit_test(test_histogram_buckets_are_cumulative),
	    cmocka_unit_test(test_merge_adds_every_bucket),
	    cmocka_unit_test(test_standard_bounds_ascend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
