/* sy_prefs_test.c - the provider preferences check, max_price as numbers or numeric strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sy_prefs.h"

static int check(const char *json, char *err, size_t n)
{
	json_t *p = json_loads(json, 0, NULL);
	assert_non_null(p);
	int rc = sy_prefs_check(p, err, n);
	json_decref(p);
	return rc;
}

/* Usage: a request's provider object, checked before routing reads it. */
static void test_max_price_numbers_and_strings(void **state)
{
	char err[256] = "";
	assert_int_equal(check("{\"max_price\": {\"prompt\": 1, \"completion\": \"2.5\", "
	                       "\"request\": \"0\", \"image\": 0, \"audio\": \"1e-3\"}}",
	                       err, sizeof(err)),
	                 0);
	assert_int_not_equal(check("{\"max_price\": {\"prompt\": \"cheap\"}}", err, sizeof(err)),
	                     0);
	assert_string_equal(err, "provider.max_price.prompt must be a non-negative number or "
	                         "numeric string");
	assert_int_not_equal(check("{\"max_price\": {\"web\": 1}}", err, sizeof(err)), 0);
	assert_string_equal(err, "provider.max_price.web is not a price: use prompt, completion, "
	                         "request, image or audio");
}

static void test_speed_preferences_and_distillation(void **state)
{
	char err[256] = "";
	assert_int_equal(check("{\"preferred_min_throughput\": 50, \"preferred_max_latency\": "
	                       "{\"p50\": 1, \"p99\": 4.5}, \"enforce_distillable_text\": false}",
	                       err, sizeof(err)),
	                 0);
	assert_int_not_equal(check("{\"preferred_max_latency\": {\"p42\": 1}}", err, sizeof(err)),
	                     0);
	assert_string_equal(err, "provider.preferred_max_latency must be a non-negative number or "
	                         "an object of p50, p75, p90 and p99 cutoffs");
	assert_int_not_equal(check("{\"preferred_min_throughput\": \"fast\"}", err, sizeof(err)),
	                     0);
	assert_int_not_equal(check("{\"enforce_distillable_text\": true}", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "provider.enforce_distillable_text is not supported"));
	assert_int_not_equal(check("{\"enforce_distillable_text\": 1}", err, sizeof(err)), 0);
	assert_string_equal(err, "provider.enforce_distillable_text must be a boolean");
}

static void test_price_values(void **state)
{
	static const struct {
		const char *json;
		bool ok;
		double v;
	} cases[] = {
	    {"1", true, 1},        {"0", true, 0},        {"\"0.5\"", true, 0.5},
	    {"\"3\"", true, 3},    {"2.25", true, 2.25},  {"\"1e2\"", true, 100},
	    {"-1", false, 0},      {"\"-1\"", false, 0},  {"\"\"", false, 0},
	    {"\" 1\"", false, 0},  {"\"1 \"", false, 0},  {"\"1x\"", false, 0},
	    {"\"nan\"", false, 0}, {"\"inf\"", false, 0}, {"\"1e999\"", false, 0},
	    {"true", false, 0},    {"null", false, 0},    {"[1]", false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		double out = -7;
		bool ok = sy_prefs_price(v, &out);
		if (ok != cases[i].ok || (ok && out != cases[i].v))
			fail_msg("%s: ok %d value %g", cases[i].json, ok, out);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_max_price_numbers_and_strings),
	    cmocka_unit_test(test_speed_preferences_and_distillation),
	    cmocka_unit_test(test_price_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
