/* cp_ratelease_test.c - the grant arithmetic of rate leases: never more than a window's
 * limit across all askers, returns and overdrawn tokens, window checks, expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>

#include "cp_ratelease.h"

#define NOW 1800000030 /* 30 s into a minute */
#define MIN (NOW - NOW % 60)
#define DAY (NOW - NOW % 86400)

static void many_askers_never_exceed_the_limit(void **state)
{
	(void)state;
	struct cp_ratelease *r = cp_ratelease_new();
	assert_non_null(r);
	bool ex;
	uint32_t total = 0, asks = 0;
	/* 6 workers asking 3 at a time, in turn, until refused */
	for (int i = 0; i < 100; i++) {
		uint32_t g = cp_ratelease_grant(r, "rpm:k", MIN, 60, 100, 3, NOW, &ex);
		assert_true(g <= 3);
		total += g;
		asks++;
		if (ex)
			break;
	}
	assert_int_equal(total, 100);
	assert_int_equal(asks, 34); /* 33 x 3 + the last 1, which says exhausted */
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN, 60, 100, 3, NOW, &ex), 0);
	assert_true(ex);
	assert_int_equal(cp_ratelease_granted(r, "rpm:k", MIN), 100);
	/* another counter, and the same counter's day, are separate */
	assert_int_equal(cp_ratelease_grant(r, "rpm:other", MIN, 60, 100, 5, NOW, &ex), 5);
	assert_false(ex);
	assert_int_equal(cp_ratelease_grant(r, "rpd:k", DAY, 86400, 2, 5, NOW, &ex), 2);
	assert_true(ex);
	cp_ratelease_free(&r);
	assert_null(r);
}

static void returns_free_tokens_for_others(void **state)
{
	(void)state;
	struct cp_ratelease *r = cp_ratelease_new();
	bool ex;
	assert_int_equal(cp_ratelease_grant(r, "fpd:org", DAY, 86400, 10, 10, NOW, &ex), 10);
	assert_true(ex);
	cp_ratelease_return(r, "fpd:org", DAY, 4);
	assert_int_equal(cp_ratelease_grant(r, "fpd:org", DAY, 86400, 10, 10, NOW, &ex), 4);
	assert_true(ex);
	/* a return beyond what was granted cannot make room that was never there */
	cp_ratelease_return(r, "fpd:org", DAY, 1000);
	assert_int_equal(cp_ratelease_granted(r, "fpd:org", DAY), 0);
	assert_int_equal(cp_ratelease_grant(r, "fpd:org", DAY, 86400, 10, 50, NOW, &ex), 10);
	/* returns to unknown windows change nothing */
	cp_ratelease_return(r, "fpd:nobody", DAY, 3);
	assert_int_equal(cp_ratelease_granted(r, "fpd:nobody", DAY), 0);
	cp_ratelease_free(&r);
}

static void overdrawn_tokens_count(void **state)
{
	(void)state;
	struct cp_ratelease *r = cp_ratelease_new();
	bool ex;
	assert_int_equal(cp_ratelease_grant(r, "tpm:k", MIN, 60, 100, 1, NOW, &ex), 1);
	assert_false(ex);
	cp_ratelease_charge(r, "tpm:k", MIN, 60); /* a request of 61 tokens settled */
	assert_int_equal(cp_ratelease_granted(r, "tpm:k", MIN), 61);
	assert_int_equal(cp_ratelease_grant(r, "tpm:k", MIN, 60, 100, 1, NOW, &ex), 1);
	cp_ratelease_charge(r, "tpm:k", MIN, 60); /* over the limit: counted all the same */
	assert_int_equal(cp_ratelease_granted(r, "tpm:k", MIN), 122);
	assert_int_equal(cp_ratelease_grant(r, "tpm:k", MIN, 60, 100, 1, NOW, &ex), 0);
	assert_true(ex);
	cp_ratelease_charge(r, "tpm:k", MIN, UINT32_MAX); /* saturates */
	assert_int_equal(cp_ratelease_granted(r, "tpm:k", MIN), UINT32_MAX);
	cp_ratelease_free(&r);
}

static void only_current_windows(void **state)
{
	(void)state;
	struct cp_ratelease *r = cp_ratelease_new();
	bool ex;
	/* not a window start, a window that ended, one too far ahead, no window */
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN + 1, 60, 10, 1, NOW, &ex), 0);
	assert_true(ex);
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN - 60, 60, 10, 1, NOW, &ex), 0);
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN + 60, 60, 10, 1, NOW, &ex), 0);
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN, 0, 10, 1, NOW, &ex), 0);
	/* the next window, a worker's clock a little ahead: granted */
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN + 60, 60, 10, 1, MIN + 57, &ex), 1);
	cp_ratelease_free(&r);
}

static void limit_changes_apply_from_then_on(void **state)
{
	(void)state;
	struct cp_ratelease *r = cp_ratelease_new();
	bool ex;
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN, 60, 10, 6, NOW, &ex), 6);
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN, 60, 5, 6, NOW, &ex), 0); /* lowered */
	assert_true(ex);
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN, 60, 20, 100, NOW, &ex), 14);
	assert_true(ex);
	cp_ratelease_free(&r);
}

static void sweep_forgets_ended_windows(void **state)
{
	(void)state;
	struct cp_ratelease *r = cp_ratelease_new();
	bool ex;
	assert_int_equal(cp_ratelease_grant(r, "rpm:k", MIN, 60, 10, 4, NOW, &ex), 4);
	assert_int_equal(cp_ratelease_grant(r, "rpd:k", DAY, 86400, 10, 4, NOW, &ex), 4);
	cp_ratelease_sweep(r, MIN + 59);
	assert_int_equal(cp_ratelease_granted(r, "rpm:k", MIN), 4);
	cp_ratelease_sweep(r, MIN + 60);
	assert_int_equal(cp_ratelease_granted(r, "rpm:k", MIN), 0);
	assert_int_equal(cp_ratelease_granted(r, "rpd:k", DAY), 4);
	cp_ratelease_free(&r);
	cp_ratelease_free(&r); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(many_askers_never_exceed_the_limit),
	    cmocka_unit_test(returns_free_tokens_for_others),
	    cmocka_unit_test(overdrawn_tokens_count),
	    cmocka_unit_test(only_current_windows),
	    cmocka_unit_test(limit_changes_apply_from_then_on),
	    cmocka_unit_test(sweep_forgets_ended_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
