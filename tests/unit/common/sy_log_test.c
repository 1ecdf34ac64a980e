/* sy_log_test.c - the log line: UTC time to the millisecond, level, tag, message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sy_log.h"

/* Log through sy_log with stderr sent into a pipe; the line read back into out. */
static void capture(char *out, size_t cap, void (*emit)(void))
{
	int fds[2], saved = dup(2);
	assert_int_equal(pipe(fds), 0);
	fflush(stderr);
	dup2(fds[1], 2);
	emit();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	ssize_t n = read(fds[0], out, cap - 1);
	close(fds[0]);
	assert_true(n > 0);
	out[n] = '\0';
}

static void emit_two(void)
{
	sy_info("access status=%d path=%s", 200, "/x");
	sy_debug("hidden %d", 1); /* below the level: nothing */
	sy_warn("second");
}

static void test_line_format(void **state)
{
	char text[512], want_day[16];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(want_day, sizeof(want_day), "%Y-%m-%dT", &tm);
	sy_log_set_tag("dp/7");
	capture(text, sizeof(text), emit_two);
	/* 2026-11-24T00:51:30.123Z INFO dp/7: access status=200 path=/x */
	char *second = strchr(text, '\n');
	assert_non_null(second);
	*second++ = '\0';
	assert_int_equal(strlen(text), 24 + strlen(" INFO dp/7: access status=200 path=/x"));
	assert_memory_equal(text, want_day, 11);
	assert_true(text[13] == ':' && text[16] == ':' && text[19] == '.' && text[23] == 'Z');
	for (int i = 20; i < 23; i++)
		assert_true(text[i] >= '0' && text[i] <= '9');
	assert_string_equal(text + 24, " INFO dp/7: access status=200 path=/x");
	assert_string_equal(second + 24, " WARN dp/7: second\n");
	assert_memory_equal(text, second, 11);
}

static void emit_long(void)
{
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sy_err("%s", big);
}

static void test_long_lines_are_cut(void **state)
{
	char text[4096];
	capture(text, sizeof(text), emit_long);
	assert_int_equal(strlen(text), 2047);
	assert_int_equal(text[2046], '\n');
	assert_int_equal(text[2045], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_format),
	    cmocka_unit_test(test_long_lines_are_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
