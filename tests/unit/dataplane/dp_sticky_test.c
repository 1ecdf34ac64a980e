/* dp_sticky_test.c - rendezvous scores: deterministic, free endpoints first, price-weighted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "dp_sticky.h"

/* Usage: the endpoint with the lowest score serves the session. */
static void test_same_session_same_score(void **state)
{
	double a = dp_sticky_score("sess-1", "m/x", "prov-a", 10000);
	assert_true(a == dp_sticky_score("sess-1", "m/x", "prov-a", 10000));
	assert_true(a >= 0);
	assert_true(a != dp_sticky_score("sess-2", "m/x", "prov-a", 10000));
	assert_true(a != dp_sticky_score("sess-1", "m/y", "prov-a", 10000));
	assert_true(a != dp_sticky_score("sess-1", "m/x", "prov-b", 10000));
	/* the separator keeps ("ab", "c") and ("a", "bc") apart */
	assert_true(dp_sticky_score("ab", "c", "p", 1) != dp_sticky_score("a", "bc", "p", 1));
}

static void test_free_beats_priced(void **state)
{
	char s[32];
	for (int i = 0; i < 200; i++) {
		snprintf(s, sizeof(s), "s%d", i);
		assert_true(dp_sticky_score(s, "m", "free", 0) <
		            dp_sticky_score(s, "m", "paid", 1));
	}
}

/* $1 vs $3: the cheaper wins 9 sessions in 10; equal prices split evenly. */
static void test_price_weighted(void **state)
{
	char s[32];
	int cheap = 0, left = 0;
	const int n = 5000;
	for (int i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "session-%d", i);
		cheap += dp_sticky_score(s, "m", "a", 10000) < dp_sticky_score(s, "m", "b", 30000);
		left += dp_sticky_score(s, "m", "a", 10000) < dp_sticky_score(s, "m", "b", 10000);
	}
	if (fabs((double)cheap / n - 0.9) > 0.02)
		fail_msg("cheap won %d of %d", cheap, n);
	if (fabs((double)left / n - 0.5) > 0.03)
		fail_msg("a won %d of %d at equal prices", left, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_session_same_score),
	    cmocka_unit_test(test_free_beats_priced),
	    cmocka_unit_test(test_price_weighted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
