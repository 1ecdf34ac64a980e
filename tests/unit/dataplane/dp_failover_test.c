/* dp_failover_test.c - what to do after an upstream attempt failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dp_failover.h"

static const struct dp_failover_budget budget = {
    .max_attempts = 10, .time_ms = 45000, .retry_after_max_ms = 2000};

static struct dp_failover_decision decide(enum sy_fail cls, long status, int64_t ra,
                                          const struct dp_failover_state *s)
{
	struct dp_failover_outcome o = {cls, status, ra};
	return dp_failover_decide(&budget, &o, s);
}

/* A 503 with another endpoint left: on to it. */
static void test_next_endpoint(void **state)
{
	struct dp_failover_state s = {.attempts = 1, .target_left = true, .endpoint_left = true};
	struct dp_failover_decision d = decide(SY_FAIL_HTTP_5XX, 503, -1, &s);
	assert_int_equal(d.next, DP_FAILOVER_NEXT_ENDPOINT);
}

/* A 500, a 502 or a reset before any byte: the same endpoint once more first. */
static void test_transient_retried_once_on_the_same_endpoint(void **state)
{
	struct dp_failover_state s = {.attempts = 1, .target_left = true, .endpoint_left = true};
	struct dp_failover_decision d = decide(SY_FAIL_HTTP_5XX, 500, -1, &s);
	assert_int_equal(d.next, DP_FAILOVER_RETRY_SAME);
	assert_string_equal(d.why, DP_FAILOVER_WHY_TRANSIENT);
	assert_int_equal(d.wait_ms, 0);
	assert_int_equal(decide(SY_FAIL_HTTP_5XX, 502, -1, &s).next, DP_FAILOVER_RETRY_SAME);
	assert_int_equal(decide(SY_FAIL_RESET, 0, -1, &s).next, DP_FAILOVER_RETRY_SAME);
	/* a reset after the status line is no longer "before any byte" */
	assert_int_equal(decide(SY_FAIL_RESET, 200, -1, &s).next, DP_FAILOVER_NEXT_ENDPOINT);
	/* the retry failed the same way: move on */
	s.retried_same = true;
	s.attempts = 2;
	assert_int_equal(decide(SY_FAIL_HTTP_5XX, 500, -1, &s).next, DP_FAILOVER_NEXT_ENDPOINT);
}

/* Nothing left: a quick failure is retried once, a slow one gives up. */
static void test_last_resort(void **state)
{
	struct dp_failover_state s = {.attempts = 1};
	struct dp_failover_decision d = decide(SY_FAIL_CONNECT, 0, -1, &s);
	assert_int_equal(d.next, DP_FAILOVER_RETRY_SAME);
	assert_string_equal(d.why, DP_FAILOVER_WHY_LAST_RESORT);
	assert_int_equal(decide(SY_FAIL_TIMEOUT, 0, -1, &s).next, DP_FAILOVER_GIVE_UP);
	s.retried_same = true;
	assert_int_equal(decide(SY_FAIL_CONNECT, 0, -1, &s).next, DP_FAILOVER_GIVE_UP);
}

/* The request's own fault and the gateway's stops are final. */
static void test_final_failures(void **state)
{
	struct dp_failover_state s = {.attempts = 1, .target_left = true, .endpoint_left = true};
	assert_int_equal(decide(SY_FAIL_CLIENT_ERROR, 400, -1, &s).next, DP_FAILOVER_GIVE_UP);
	assert_int_equal(decide(SY_FAIL_SHUTDOWN, 0, -1, &s).next, DP_FAILOVER_GIVE_UP);
	assert_int_equal(decide(SY_FAIL_CANCELLED, 0, -1, &s).next, DP_FAILOVER_GIVE_UP);
}

static void test_context_length_skips_to_a_longer_model(void **state)
{
	struct dp_failover_state s = {.attempts = 1, .target_left = true, .endpoint_left = true};
	assert_int_equal(decide(SY_FAIL_CONTEXT_LENGTH, 400, -1, &s).next, DP_FAILOVER_GIVE_UP);
	s.longer_model_left = true;
	assert_int_equal(decide(SY_FAIL_CONTEXT_LENGTH, 400, -1, &s).next, DP_FAILOVER_NEXT_MODEL);
}

/* A short Retry-After is waited for when the endpoint is the best choice left. */
static void test_retry_after(void **state)
{
	struct dp_failover_state s = {.attempts = 1, .elapsed_ms = 100};
	struct dp_failover_decision d = decide(SY_FAIL_RATE_LIMITED, 429, 2000, &s);
	assert_int_equal(d.next, DP_FAILOVER_RETRY_SAME);
	assert_string_equal(d.why, DP_FAILOVER_WHY_RETRY_AFTER);
	assert_int_equal(d.wait_ms, 2000);
	/* another model left (another price): still the best choice */
	s.target_left = true;
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, 1000, &s).next, DP_FAILOVER_RETRY_SAME);
	/* too long a wait: fail over as before */
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, 3000, &s).next,
	                 DP_FAILOVER_NEXT_ENDPOINT);
	/* another endpoint of the same model: no wait, go there */
	s.endpoint_left = true;
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, 1000, &s).next,
	                 DP_FAILOVER_NEXT_ENDPOINT);
	/* no Retry-After, or already waited once */
	s.endpoint_left = false;
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, -1, &s).next, DP_FAILOVER_NEXT_ENDPOINT);
	s.retried_same = true;
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, 1000, &s).next,
	                 DP_FAILOVER_NEXT_ENDPOINT);
	/* a rate limit is no quick failure: no last-resort retry */
	s = (struct dp_failover_state){.attempts = 2, .retried_same = true};
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, 1000, &s).next, DP_FAILOVER_GIVE_UP);
}

/* The wait must end within the time budget. */
static void test_retry_after_within_the_budget(void **state)
{
	struct dp_failover_state s = {.attempts = 1, .elapsed_ms = 43900};
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, 1000, &s).next, DP_FAILOVER_RETRY_SAME);
	s.elapsed_ms = 44500;
	assert_int_equal(decide(SY_FAIL_RATE_LIMITED, 429, 1000, &s).next, DP_FAILOVER_GIVE_UP);
	struct dp_failover_budget never = budget;
	never.retry_after_max_ms = 0;
	struct dp_failover_outcome o = {SY_FAIL_RATE_LIMITED, 429, 1000};
	s.elapsed_ms = 0;
	assert_int_equal(dp_failover_decide(&never, &o, &s).next, DP_FAILOVER_GIVE_UP);
}

/* Out of attempts or time: give up whatever is left. */
static void test_budget(void **state)
{
	struct dp_failover_state s = {.attempts = 10, .target_left = true, .endpoint_left = true};
	assert_int_equal(decide(SY_FAIL_HTTP_5XX, 503, -1, &s).next, DP_FAILOVER_GIVE_UP);
	assert_false(dp_failover_within_budget(&budget, &s));
	s.attempts = 3;
	s.elapsed_ms = 45000;
	assert_int_equal(decide(SY_FAIL_HTTP_5XX, 500, -1, &s).next, DP_FAILOVER_GIVE_UP);
	assert_int_equal(dp_failover_time_left(&budget, 45000), 0);
	assert_int_equal(dp_failover_time_left(&budget, 40000), 5000);
	struct dp_failover_budget off = {0};
	assert_int_equal(dp_failover_time_left(&off, 1000000), UINT32_MAX);
	s.attempts = 1000;
	assert_true(dp_failover_within_budget(&off, &s));
}

/* An upstream's answer or transfer, as a failure class. */
static void test_classes(void **state)
{
	assert_int_equal(dp_failover_class_of_status(429, DP_FAULT_RATE_LIMITED, false),
	                 SY_FAIL_RATE_LIMITED);
	assert_int_equal(dp_failover_class_of_status(400, DP_FAULT_CONTEXT_LENGTH, false),
	                 SY_FAIL_CONTEXT_LENGTH);
	assert_int_equal(dp_failover_class_of_status(422, DP_FAULT_CLIENT, false),
	                 SY_FAIL_CLIENT_ERROR);
	assert_int_equal(dp_failover_class_of_status(401, DP_FAULT_CREDENTIAL, false),
	                 SY_FAIL_PROVIDER_AUTH);
	assert_int_equal(dp_failover_class_of_status(401, DP_FAULT_PROVIDER, true),
	                 SY_FAIL_BYOK_AUTH);
	assert_int_equal(dp_failover_class_of_status(404, DP_FAULT_PROVIDER, false),
	                 SY_FAIL_HTTP_4XX);
	assert_int_equal(dp_failover_class_of_status(503, DP_FAULT_PROVIDER, false),
	                 SY_FAIL_HTTP_5XX);
	assert_int_equal(dp_failover_class_of_result(DP_UPSTREAM_CONNECT), SY_FAIL_CONNECT);
	assert_int_equal(dp_failover_class_of_result(DP_UPSTREAM_TIMEOUT_TOTAL), SY_FAIL_TIMEOUT);
	assert_int_equal(dp_failover_class_of_result(DP_UPSTREAM_TIMEOUT_IDLE),
	                 SY_FAIL_IDLE_TIMEOUT);
	assert_int_equal(dp_failover_class_of_result(DP_UPSTREAM_RESET), SY_FAIL_RESET);
	assert_int_equal(dp_failover_class_of_result(DP_UPSTREAM_REFUSED), SY_FAIL_CONFIG);
	assert_int_equal(dp_failover_class_of_result(DP_UPSTREAM_FAILED), SY_FAIL_UPSTREAM_ERROR);
}

/* Garbage in a stream: skipped up to a run of run_max, counted in total. */
static void test_garbage_runs(void **state)
{
	struct dp_failover_garbage g = {0};
	assert_true(dp_failover_skip_garbage(&g, 3));
	assert_true(dp_failover_skip_garbage(&g, 3));
	g.run = 0; /* a good event in between */
	assert_true(dp_failover_skip_garbage(&g, 3));
	assert_true(dp_failover_skip_garbage(&g, 3));
	assert_false(dp_failover_skip_garbage(&g, 3));
	assert_int_equal(g.total, 5);
	struct dp_failover_garbage strict = {0};
	assert_false(dp_failover_skip_garbage(&strict, 0)); /* 0 counts as 1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_next_endpoint),
	    cmocka_unit_test(test_transient_retried_once_on_the_same_endpoint),
	    cmocka_unit_test(test_last_resort),
	    cmocka_unit_test(test_final_failures),
	    cmocka_unit_test(test_context_length_skips_to_a_longer_model),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_retry_after_within_the_budget),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_classes),
	    cmocka_unit_test(test_garbage_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
