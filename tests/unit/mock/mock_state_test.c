/* mock_state_test.c - request counters, fault sequence numbers, the last request, reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../mock/mock_state.h"

static json_t *stats(struct mock_state *s)
{
	char *txt = mock_state_stats_json(s);
	assert_non_null(txt);
	json_t *j = json_loads(txt, 0, NULL);
	free(txt);
	assert_non_null(j);
	return j;
}

static json_int_t counter(json_t *stats_json, const char *group, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(stats_json, group), key));
}

static void test_counts_per_prefix_and_model(void **state)
{
	struct mock_state *s = mock_state_new();
	assert_non_null(s);
	const char *body = "{\"model\":\"echo\"}";
	assert_int_equal(mock_state_record(s, "", "echo", "/v1/chat/completions", "Bearer a", body,
	                                   strlen(body)),
	                 1);
	assert_int_equal(mock_state_record(s, "b", "echo", "/b/v1/chat/completions", "Bearer b",
	                                   body, strlen(body)),
	                 2);
	assert_int_equal(mock_state_record(s, "b", "echo", "/b/v1/chat/completions", "Bearer b",
	                                   body, strlen(body)),
	                 3);
	assert_int_equal(mock_state_record(s, "b", "other", "/b/v1/chat/completions", NULL, "{", 1),
	                 4);
	json_t *j = stats(s);
	assert_int_equal(counter(j, "requests", "|echo"), 1);
	assert_int_equal(counter(j, "requests", "b|echo"), 2);
	assert_int_equal(counter(j, "requests", "b|other"), 1);
	assert_int_equal(json_object_size(json_object_get(j, "requests")), 3);
	assert_int_equal(counter(j, "prefixes", ""), 1);
	assert_int_equal(counter(j, "prefixes", "b"), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 4);
	json_decref(j);
	mock_state_free(&s);
	assert_null(s);
	mock_state_free(&s); /* idempotent */
}

static void test_last_request(void **state)
{
	struct mock_state *s = mock_state_new();
	char *txt = mock_state_last_json(s);
	assert_string_equal(txt, "{}");
	free(txt);
	const char *body = "{\"model\":\"echo\",\"messages\":[]}";
	mock_state_record(s, "p", "echo", "/p/v1/chat/completions", "Bearer sk-1", body,
	                  strlen(body));
	txt = mock_state_last_json(s);
	json_t *j = json_loads(txt, 0, NULL);
	free(txt);
	assert_string_equal(json_string_value(json_object_get(j, "path")),
	                    "/p/v1/chat/completions");
	assert_string_equal(json_string_value(json_object_get(j, "authorization")), "Bearer sk-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "body"), "model")),
	                    "echo");
	json_decref(j);
	/* an unparseable body is kept as text; a missing header is null */
	mock_state_record(s, "", "", "/v1/chat/completions", NULL, "{oops", 5);
	txt = mock_state_last_json(s);
	j = json_loads(txt, 0, NULL);
	free(txt);
	assert_true(json_is_null(json_object_get(j, "authorization")));
	assert_string_equal(json_string_value(json_object_get(j, "body")), "{oops");
	json_decref(j);
	mock_state_free(&s);
}

static void test_fault_sequence_and_reset(void **state)
{
	struct mock_state *s = mock_state_new();
	assert_int_equal(mock_state_fault_seq(s, "|echo@fault=500-once"), 0);
	assert_int_equal(mock_state_fault_seq(s, "|echo@fault=500-once"), 1);
	assert_int_equal(mock_state_fault_seq(s, "other"), 0);
	assert_int_equal(mock_state_fault_seq(s, "|echo@fault=500-once"), 2);
	mock_state_record(s, "", "m", "/v1/chat/completions", NULL, "", 0);
	mock_state_reset(s);
	assert_int_equal(mock_state_fault_seq(s, "|echo@fault=500-once"), 0);
	json_t *j = stats(s);
	assert_int_equal(json_object_size(json_object_get(j, "requests")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
	json_decref(j);
	char *txt = mock_state_last_json(s);
	assert_string_equal(txt, "{}");
	free(txt);
	mock_state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts_per_prefix_and_model),
	    cmocka_unit_test(test_last_request),
	    cmocka_unit_test(test_fault_sequence_and_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
