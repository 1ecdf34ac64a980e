/* sy_proc_test.c - start-up helpers: numeric arguments, the blocked signal set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "sy_proc.h"

/* Usage example: a whole decimal inside the range is taken, anything else is refused. */
static void test_parse_num(void **state)
{
	(void)state;
	long long v = -7;
	assert_true(sy_parse_num("42", 1, 100, &v));
	assert_int_equal(v, 42);
	assert_true(sy_parse_num("0", 0, 0, &v));
	assert_int_equal(v, 0);
	assert_true(sy_parse_num("100", 1, 100, &v));
	assert_int_equal(v, 100);
	v = -7;
	assert_false(sy_parse_num("0", 1, 100, &v));
	assert_false(sy_parse_num("101", 1, 100, &v));
	assert_false(sy_parse_num("-1", 1, 100, &v));
	assert_false(sy_parse_num("", 0, 100, &v));
	assert_false(sy_parse_num("12ms", 0, 100, &v));
	assert_false(sy_parse_num("abc", 0, 100, &v));
	assert_false(sy_parse_num("99999999999999999999", 0, LLONG_MAX, &v));
	assert_int_equal(v, -7); /* untouched on failure */
}

/* TERM and INT end up blocked and in the set; SIGPIPE is ignored. */
static void test_block_term_signals(void **state)
{
	(void)state;
	sigset_t set, now;
	sy_block_term_signals(&set);
	assert_int_equal(sigismember(&set, SIGTERM), 1);
	assert_int_equal(sigismember(&set, SIGINT), 1);
	assert_int_equal(sigismember(&set, SIGCHLD), 0);
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &now), 0);
	assert_int_equal(sigismember(&now, SIGTERM), 1);
	assert_int_equal(sigismember(&now, SIGINT), 1);
	struct sigaction sa;
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
}

/* Core dumps off and not dumpable, unless the operator asked for them. */
static void test_protect_secrets(void **state)
{
	(void)state;
	struct rlimit rl;
	sy_proc_protect_secrets(true); /* the operator's flag: nothing changes */
	assert_int_equal(prctl(PR_GET_DUMPABLE), 1);
	sy_proc_protect_secrets(false);
	assert_int_equal(prctl(PR_GET_DUMPABLE), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_num),
	    cmocka_unit_test(test_block_term_signals),
	    cmocka_unit_test(test_protect_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
