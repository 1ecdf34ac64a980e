/* sy_opt_test.c - an option table parses into its struct, and --help, -n and the README
 * table come from the same rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sy_err.h"
#include "sy_opt.h"

struct settings {
	const char *listen;
	int workers;
	uint32_t timeout_ms;
	int64_t drain_ms;
	size_t max_body;
	const char *level;
	bool verbose;
	bool check;
};

static int hook_calls;
static int level_hook(const struct sy_opt *o, const char *arg, void *s)
{
	hook_calls++;
	return strcmp(arg, "loud") ? 0 : SY_EINVAL;
}

#define S struct settings
static const struct sy_opt opts[] = {
    SY_OPT_STR("listen", S, listen, "0.0.0.0:8080", "HOST:PORT", "address"),
    SY_OPT_INT_COMPUTED("workers", S, workers, "number of cores", 1, 256, "processes"),
    SY_OPT_INT("timeout-ms", S, timeout_ms, 5000, 1, INT32_MAX, "a deadline\nsecond line"),
    SY_OPT_INT("drain-ms", S, drain_ms, 10000, 0, INT32_MAX, "drain"),
    SY_OPT_INT_SCALED("max-body-kb", S, max_body, 1024, 1, 1024 * 1024, 1024, "cap"),
    SY_OPT_STR_HOOK("log-level", S, level, "info", "LEVEL", level_hook, "error|info"),
    SY_OPT_BOOL("verbose", S, verbose, "say more"),
    SY_OPT_CHECK(S, check),
};
#undef S
static const struct sy_opt_table table = {"prog", "Intro.\n", NULL, opts,
                                          sizeof(opts) / sizeof(opts[0])};

static int parse(struct settings *s, int argc, char **argv, int *operand)
{
	memset(s, 0, sizeof(*s));
	sy_opt_defaults(&table, s);
	s->workers = 7;
	return sy_opt_parse(&table, argc, argv, s, operand);
}

static char *render(void (*fn)(const struct sy_opt_table *, const void *, FILE *), const void *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fn(&table, s, f);
	fclose(f);
	return buf;
}

static void help(const struct sy_opt_table *t, const void *s, FILE *f)
{
	sy_opt_help(t, f);
}

static void markdown(const struct sy_opt_table *t, const void *s, FILE *f)
{
	sy_opt_markdown(t, f);
}

/* Usage example: defaults, then the command line; operands are left for the caller. */
static void test_parse(void **state)
{
	struct settings s;
	char *argv[] = {"prog", "--timeout-ms", "250",          "--max-body-kb", "2",
	                "-n",   "--verbose",    "--drain-ms=0", "extra",         NULL};
	int operand;
	assert_int_equal(parse(&s, 9, argv, &operand), 0);
	assert_string_equal(s.listen, "0.0.0.0:8080");
	assert_int_equal(s.workers, 7); /* a computed default is the caller's */
	assert_int_equal(s.timeout_ms, 250);
	assert_int_equal(s.drain_ms, 0);
	assert_int_equal(s.max_body, 2048);
	assert_string_equal(s.level, "info");
	assert_true(s.verbose);
	assert_true(s.check);
	assert_int_equal(operand, 8);
	assert_string_equal(argv[operand], "extra");
}

static void test_refusals(void **state)
{
	struct settings s;
	int operand;
	char *range[] = {"prog", "--workers", "0", NULL};
	assert_int_equal(parse(&s, 3, range, &operand), SY_EINVAL);
	char *junk[] = {"prog", "--timeout-ms", "12x", NULL};
	assert_int_equal(parse(&s, 3, junk, &operand), SY_EINVAL);
	char *unknown[] = {"prog", "--nope", NULL};
	assert_int_equal(parse(&s, 2, unknown, &operand), SY_EINVAL);
	hook_calls = 0;
	char *hooked[] = {"prog", "--log-level", "loud", NULL};
	assert_int_equal(parse(&s, 3, hooked, &operand), SY_EINVAL);
	assert_int_equal(hook_calls, 1);
}

/* -n prints every setting but -n itself, in the option's units. */
static void test_print(void **state)
{
	struct settings s;
	int operand;
	char *argv[] = {"prog", "--max-body-kb", "3", NULL};
	assert_int_equal(parse(&s, 3, argv, &operand), 0);
	char *out = render(sy_opt_print, &s);
	assert_string_equal(out, "listen 0.0.0.0:8080\nworkers 7\ntimeout-ms 5000\ndrain-ms 10000\n"
	                         "max-body-kb 3\nlog-level info\nverbose off\n");
	free(out);
}

static void test_help_and_markdown(void **state)
{
	char *out = render(help, NULL);
	assert_non_null(strstr(out, "usage: prog [options]\n\nIntro.\n"));
	assert_non_null(strstr(out,
	                       "  --timeout-ms N                a deadline\n"
	                       "                                second line (default 5000)\n"));
	assert_non_null(strstr(out, "--workers N                   processes (default number of "
	                            "cores)\n"));
	assert_non_null(strstr(out, "  -n, --check "));
	free(out);
	out = render(markdown, NULL);
	assert_non_null(strstr(out, "| `--listen HOST:PORT` | `0.0.0.0:8080` | address |\n"));
	assert_non_null(strstr(out, "| `--workers N` | number of cores | processes |\n"));
	assert_non_null(strstr(out, "| `--log-level LEVEL` | `info` | error\\|info |\n"));
	assert_non_null(strstr(out, "| `--timeout-ms N` | `5000` | a deadline second line |\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_help_and_markdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
