/* dp_plugins_test.c - plugins: response-healing accepted, web and file-parser refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dp_plugins.h"
#include "sy_err.h"

static int check(const char *json, char *err, size_t n)
{
	json_t *b = json_loads(json, 0, NULL);
	assert_non_null(b);
	err[0] = '\0';
	int rc = dp_plugins_check(b, err, n);
	json_decref(b);
	return rc;
}

static void test_plugins(void **state)
{
	char err[256];
	assert_int_equal(check("{}", err, sizeof(err)), 0);
	assert_int_equal(check("{\"plugins\": null}", err, sizeof(err)), 0);
	assert_int_equal(check("{\"plugins\": []}", err, sizeof(err)), 0);
	assert_int_equal(check("{\"plugins\": [{\"id\": \"response-healing\"}]}", err, sizeof(err)),
	                 0);
	assert_int_equal(
	    check("{\"plugins\": [{\"id\": \"web\", \"max_results\": 3}]}", err, sizeof(err)),
	    SY_EINVAL);
	assert_string_equal(err, "plugins[0]: the web plugin is not available on this gateway");
	assert_int_equal(check("{\"plugins\": [{\"id\": \"response-healing\"}, {\"id\": "
	                       "\"file-parser\"}]}",
	                       err, sizeof(err)),
	                 SY_EINVAL);
	assert_string_equal(err,
	                    "plugins[1]: the file-parser plugin is not available on this gateway");
	assert_int_equal(check("{\"plugins\": [{\"id\": \"moderation\"}]}", err, sizeof(err)),
	                 SY_EINVAL);
	assert_string_equal(err, "plugins[0]: unknown plugin moderation (available: "
	                         "response-healing)");
	assert_int_equal(check("{\"plugins\": [{\"id\": \"response-healing\", \"enabled\": 1}]}",
	                       err, sizeof(err)),
	                 SY_EINVAL);
	assert_string_equal(err, "plugins[0].enabled must be a boolean");
	assert_int_equal(check("{\"plugins\": [{}]}", err, sizeof(err)), SY_EINVAL);
	assert_string_equal(err, "plugins[0].id is required (a string)");
	assert_int_equal(check("{\"plugins\": \"web\"}", err, sizeof(err)), SY_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plugins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
