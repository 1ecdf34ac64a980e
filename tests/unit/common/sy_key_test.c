/* sy_key_test.c - generation ids and the random generator behind them, across a fork. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sy_key.h"

static void test_gen_id_shape(void **state)
{
	char a[SY_GEN_ID_MAX], b[SY_GEN_ID_MAX];
	sy_gen_id(1700000000, a);
	sy_gen_id(1700000000, b);
	assert_int_equal(strlen(a), strlen("gen-1700000000-") + 20);
	assert_memory_equal(a, "gen-1700000000-", 15);
	for (const char *p = a + 15; *p; p++)
		assert_true(isalnum((unsigned char)*p));
	assert_string_not_equal(a, b);
}

/* The millisecond prefix: within one second, later ids sort after earlier ones. */
static void test_gen_ids_sort_by_time(void **state)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char prev[SY_GEN_ID_MAX] = "";
	for (int i = 0; i < 5; i++) {
		char id[SY_GEN_ID_MAX];
		sy_gen_id((long long)now.tv_sec, id);
		const char *sfx = strrchr(id, '-') + 1;
		const char *hi = strchr(b62, sfx[0]), *lo = strchr(b62, sfx[1]);
		assert_non_null(hi);
		assert_non_null(lo);
		assert_true((hi - b62) * 62 + (lo - b62) <= 999);
		if (prev[0]) /* the same second was passed: later or equal milliseconds */
			assert_true(memcmp(strrchr(prev, '-') + 1, sfx, 2) <= 0);
		snprintf(prev, sizeof(prev), "%s", id);
		usleep(3000);
	}
	/* a second already over reads as its last millisecond, one to come as its first */
	char id[SY_GEN_ID_MAX];
	sy_gen_id((long long)now.tv_sec - 5, id);
	assert_memory_equal(strrchr(id, '-') + 1, "G7", 2); /* 999 = 16 * 62 + 7 */
	sy_gen_id((long long)now.tv_sec + 5, id);
	assert_memory_equal(strrchr(id, '-') + 1, "00", 2);
}

/* Workers are forked from one supervisor: each must draw its own ids, never its siblings'. */
static void test_forked_children_draw_their_own(void **state)
{
	char parent[SY_GEN_ID_MAX];
	sy_gen_id(1, parent); /* the generator is keyed before the fork */
	char ids[2][SY_GEN_ID_MAX];
	for (int i = 0; i < 2; i++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char id[SY_GEN_ID_MAX];
			sy_gen_id(1, id);
			_exit(write(fds[1], id, sizeof(id)) == (ssize_t)sizeof(id) ? 0 : 1);
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], ids[i], sizeof(ids[i])), (ssize_t)sizeof(ids[i]));
		close(fds[0]);
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	char next[SY_GEN_ID_MAX];
	sy_gen_id(1, next);
	assert_string_not_equal(ids[0], ids[1]);
	assert_string_not_equal(ids[0], next);
	assert_string_not_equal(ids[1], next);
	assert_string_not_equal(ids[0], parent);
}

static void test_random_buf(void **state)
{
	unsigned char a[32], b[32], big[4096];
	sy_random_buf(a, sizeof(a));
	sy_random_buf(b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	/* across refills of the pool, and for draws bigger than it */
	for (int i = 0; i < 100; i++) {
		sy_random_buf(b, 7);
		assert_memory_not_equal(a, b, 7);
	}
	memset(big, 0, sizeof(big));
	sy_random_buf(big, sizeof(big));
	size_t zeros = 0;
	for (size_t i = 0; i < sizeof(big); i++)
		zeros += big[i] == 0;
	assert_true(zeros < 64); /* about 16 expected */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gen_id_shape),
	    cmocka_unit_test(test_gen_ids_sort_by_time),
	    cmocka_unit_test(test_forked_children_draw_their_own),
	    cmocka_unit_test(test_random_buf),
	};
	if (sy_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
