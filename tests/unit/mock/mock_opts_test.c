/* mock_opts_test.c - options in model names and headers, fault names and when faults fire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../mock/mock_opts.h"
#include "sy_err.h"

static void test_model_name_options(void **state)
{
	struct mock_opts o;
	char err[160];
	size_t name_len;
	mock_opts_init(&o);
	assert_int_equal(mock_opts_parse_model(&o, "echo@ttft=200,tps=50,tokens=30", &name_len, err,
	                                       sizeof(err)),
	                 0);
	assert_int_equal(name_len, 4);
	assert_int_equal(o.ttft_ms, 200);
	assert_true(o.ttft_set);
	assert_int_equal(o.tps, 50);
	assert_int_equal(o.tokens, 30);
	assert_int_equal(o.latency_ms, 0);
	assert_int_equal(o.fault.kind, MOCK_FAULT_NONE);
}

static void test_plain_model_keeps_defaults(void **state)
{
	struct mock_opts o, before;
	char err[160];
	size_t name_len;
	mock_opts_init(&o);
	o.latency_ms = 7;
	before = o;
	assert_int_equal(mock_opts_parse_model(&o, "gpt-4o-mini", &name_len, err, sizeof(err)), 0);
	assert_int_equal(name_len, strlen("gpt-4o-mini"));
	assert_memory_equal(&o, &before, sizeof(o));
	assert_int_equal(o.tokens, 16);
}

static void test_all_options(void **state)
{
	struct mock_opts o;
	char err[160];
	size_t name_len;
	mock_opts_init(&o);
	assert_int_equal(mock_opts_parse_model(&o,
	                                       "m@latency=15,fault=500-once,usage=cached:12,"
	                                       "reasoning=5,key=prov-a|x",
	                                       &name_len, err, sizeof(err)),
	                 0);
	assert_int_equal(name_len, 1);
	assert_int_equal(o.latency_ms, 15);
	assert_int_equal(o.fault.kind, MOCK_FAULT_STATUS);
	assert_int_equal(o.fault.status, 500);
	assert_int_equal(o.fault.mode, MOCK_FAULT_ONCE);
	assert_int_equal(o.cached, 12);
	assert_int_equal(o.reasoning, 5);
	assert_false(o.usage_none);
	assert_string_equal(o.key, "prov-a|x");
	assert_int_equal(mock_opts_set(&o, "usage", "none", err, sizeof(err)), 0);
	assert_true(o.usage_none);
	/* header names are case-insensitive */
	assert_int_equal(mock_opts_set(&o, "Fault", "503", err, sizeof(err)), 0);
	assert_int_equal(o.fault.status, 503);
	assert_int_equal(o.fault.mode, MOCK_FAULT_ALWAYS);
}

static void test_bad_options_are_rejected(void **state)
{
	const char *bad[] = {
	    "echo@bogus=1",     "echo@ttft",       "echo@ttft=-1",          "echo@tokens=abc",
	    "echo@tokens=",     "echo@fault=nope", "echo@usage=cached:",    "echo@usage=lots",
	    "echo@key=bad key", "echo@tps=1x",     "echo@latency=999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mock_opts o;
		char err[160] = "";
		size_t name_len;
		mock_opts_init(&o);
		assert_int_equal(mock_opts_parse_model(&o, bad[i], &name_len, err, sizeof(err)),
		                 SY_EINVAL);
		assert_true(strlen(err) > 0);
	}
	struct mock_opts o;
	char err[160];
	mock_opts_init(&o);
	assert_int_equal(mock_opts_set(&o, "colour", "red", err, sizeof(err)), SY_EINVAL);
	assert_non_null(strstr(err, "colour"));
}

static void test_fault_names(void **state)
{
	static const struct {
		const char *name;
		enum mock_fault_kind kind;
	} named[] = {
	    {"reset", MOCK_FAULT_RESET},
	    {"no-response", MOCK_FAULT_NO_RESPONSE},
	    {"slow-first-token", MOCK_FAULT_SLOW_FIRST_TOKEN},
	    {"stream-cut", MOCK_FAULT_STREAM_CUT},
	    {"stream-stall", MOCK_FAULT_STREAM_STALL},
	    {"malformed-chunk", MOCK_FAULT_MALFORMED_CHUNK},
	    {"garbage", MOCK_FAULT_GARBAGE},
	    {"missing-done", MOCK_FAULT_MISSING_DONE},
	    {"context-length", MOCK_FAULT_CONTEXT_LENGTH},
	    {"content-filter", MOCK_FAULT_CONTENT_FILTER},
	    {"none", MOCK_FAULT_NONE},
	};
	struct mock_fault f;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		assert_int_equal(mock_fault_parse(named[i].name, &f), 0);
		assert_int_equal(f.kind, named[i].kind);
		assert_int_equal(f.mode, MOCK_FAULT_ALWAYS);
	}
	assert_int_equal(mock_fault_parse("500", &f), 0);
	assert_int_equal(f.kind, MOCK_FAULT_STATUS);
	assert_int_equal(f.status, 500);
	assert_int_equal(mock_fault_parse("429", &f), 0);
	assert_int_equal(f.status, 429);
	assert_int_equal(f.retry_after, 0);
	assert_int_equal(mock_fault_parse("429-retry-after", &f), 0);
	assert_int_equal(f.status, 429);
	assert_int_equal(f.retry_after, 1);
	assert_int_equal(mock_fault_parse("429-retry-after-7-once", &f), 0);
	assert_int_equal(f.retry_after, 7);
	assert_int_equal(f.mode, MOCK_FAULT_ONCE);
	assert_int_equal(mock_fault_parse("flap", &f), 0);
	assert_int_equal(f.kind, MOCK_FAULT_STATUS);
	assert_int_equal(f.status, 503);
	assert_int_equal(f.mode, MOCK_FAULT_FLAP);
	assert_int_equal(mock_fault_parse("reset-once", &f), 0);
	assert_int_equal(f.kind, MOCK_FAULT_RESET);
	assert_int_equal(f.mode, MOCK_FAULT_ONCE);
	assert_int_equal(mock_fault_parse("stream-cut-flap", &f), 0);
	assert_int_equal(f.kind, MOCK_FAULT_STREAM_CUT);
	assert_int_equal(f.mode, MOCK_FAULT_FLAP);

	const char *bad[] = {"600",  "399",   "50",     "5000",  "429-retry-after-x",
	                     "once", "-once", "reset-", "RESET", "429-retry-after-99999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.kind = MOCK_FAULT_RESET;
		assert_int_equal(mock_fault_parse(bad[i], &f), SY_EINVAL);
		assert_int_equal(f.kind, MOCK_FAULT_RESET); /* untouched on error */
	}
}

static void test_fault_modes_fire(void **state)
{
	struct mock_fault f;
	assert_int_equal(mock_fault_parse("500-once", &f), 0);
	assert_true(mock_fault_fires(&f, 0));
	assert_false(mock_fault_fires(&f, 1));
	assert_false(mock_fault_fires(&f, 2));
	assert_int_equal(mock_fault_parse("flap", &f), 0);
	assert_true(mock_fault_fires(&f, 0));
	assert_false(mock_fault_fires(&f, 1));
	assert_true(mock_fault_fires(&f, 2));
	assert_false(mock_fault_fires(&f, 3));
	assert_int_equal(mock_fault_parse("503", &f), 0);
	assert_true(mock_fault_fires(&f, 0));
	assert_true(mock_fault_fires(&f, 5));
	assert_int_equal(mock_fault_parse("none", &f), 0);
	assert_false(mock_fault_fires(&f, 0));
}

static void test_slow_first_token_delay(void **state)
{
	struct mock_opts o;
	char err[160];
	mock_opts_init(&o);
	assert_int_equal(mock_opts_slow_ms(&o), MOCK_SLOW_FIRST_TOKEN_MS);
	assert_int_equal(mock_opts_set(&o, "ttft", "250", err, sizeof(err)), 0);
	assert_int_equal(mock_opts_slow_ms(&o), 250);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model_name_options),
	    cmocka_unit_test(test_plain_model_keeps_defaults),
	    cmocka_unit_test(test_all_options),
	    cmocka_unit_test(test_bad_options_are_rejected),
	    cmocka_unit_test(test_fault_names),
	    cmocka_unit_test(test_fault_modes_fire),
	    cmocka_unit_test(test_slow_first_token_delay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
