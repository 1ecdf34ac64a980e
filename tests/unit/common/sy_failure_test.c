/* sy_failure_test.c - the one table of upstream failure classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sy_failure.h"

static void test_a_class_by_name(void **state)
{
	enum sy_fail c = sy_failure_find("timeout");
	const struct sy_failure_class *fc = sy_failure_get(c);
	assert_int_equal(c, SY_FAIL_TIMEOUT);
	assert_string_equal(fc->name, "timeout");
	assert_int_equal(fc->status, 504);
	assert_string_equal(fc->error_type, "timeout");
	assert_true(fc->provider_fault && fc->ejects);
	assert_string_equal(fc->metric, "timeout");
}

static void test_unknown_names_are_other(void **state)
{
	assert_int_equal(sy_failure_find(NULL), SY_FAIL_OTHER);
	assert_int_equal(sy_failure_find(""), SY_FAIL_OTHER);
	assert_int_equal(sy_failure_find("worker_crash"), SY_FAIL_OTHER);
	assert_false(sy_failure_is_provider_fault("worker_crash"));
	assert_false(sy_failure_is_provider_fault(NULL));
}

/* Every row is complete, named uniquely, and found by its own name. */
static void test_every_row(void **state)
{
	for (int i = 0; i < SY_FAIL_COUNT; i++) {
		const struct sy_failure_class *fc = sy_failure_get((enum sy_fail)i);
		assert_non_null(fc->name);
		assert_non_null(fc->error_type);
		assert_non_null(fc->message);
		assert_int_equal(sy_failure_find(fc->name), i);
		/* a metrics label is the name of a row that counts under its own name */
		if (fc->metric)
			assert_string_equal(sy_failure_get(sy_failure_find(fc->metric))->metric,
			                    fc->metric);
	}
}

/* Uptime counts the provider's faults only: not the request's, the operator's or ours. */
static void test_provider_faults(void **state)
{
	const char *faults[] = {
	    "connect",  "timeout",          "idle_timeout", "reset",           "http_5xx",
	    "http_4xx", "invalid_response", "stream_cut",   "malformed_chunk", "upstream_error"};
	const char *not_faults[] = {"rate_limited", "client_error", "context_length",
	                            "cancelled",    "shutdown",     "internal",
	                            "config",       "byok_auth",    "provider_auth"};
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		assert_true(sy_failure_is_provider_fault(faults[i]));
	for (size_t i = 0; i < sizeof(not_faults) / sizeof(not_faults[0]); i++)
		assert_false(sy_failure_is_provider_fault(not_faults[i]));
	/* the credential the provider refuses moves traffic away on the worker all the same */
	assert_true(sy_failure_get(SY_FAIL_PROVIDER_AUTH)->ejects);
}

/* The gateway's own stops are no upstream errors; BYOK refusals count as other. */
static void test_metric_labels(void **state)
{
	assert_null(sy_failure_get(SY_FAIL_CANCELLED)->metric);
	assert_null(sy_failure_get(SY_FAIL_SHUTDOWN)->metric);
	assert_string_equal(sy_failure_get(SY_FAIL_BYOK_AUTH)->metric, "other");
	assert_int_equal(sy_failure_get(SY_FAIL_CONTEXT_LENGTH)->status, 0); /* the upstream's */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_class_by_name), cmocka_unit_test(test_unknown_names_are_other),
	    cmocka_unit_test(test_every_row),       cmocka_unit_test(test_provider_faults),
	    cmocka_unit_test(test_metric_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
