/* dp_debug_test.c - the debug option: checked, and the debug chunk's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dp_debug.h"
#include "sy_err.h"

#define MSGS "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

/* Usage: a streamed request asks for the echo; its first chunk carries the upstream body. */
static void test_echo_chunk(void **state)
{
	static const char req_text[] =
	    "{" MSGS ",\"stream\":true,\"debug\":{\"echo_upstream_body\":"
	    "true},\"trace\":{\"span\":\"x\"}}";
	struct dp_chat_req req;
	char err[256];
	assert_int_equal(dp_request_parse(req_text, strlen(req_text), &req, err, sizeof(err)), 0);
	assert_true(dp_debug_echo(&req));
	/* neither debug nor trace goes upstream */
	size_t len;
	char *up = dp_request_upstream_body(&req, "up-model", NULL, &len);
	assert_null(strstr(up, "debug"));
	assert_null(strstr(up, "trace"));
	static const struct dp_gen_info g = {
	    .id = "gen-1", .created = 7, .provider_name = "P", .model = "a/b"};
	char *chunk = dp_debug_chunk(&g, up, len);
	json_t *c = json_loads(chunk, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(c, "id")), "gen-1");
	assert_int_equal(json_array_size(json_object_get(c, "choices")), 0);
	json_t *echo = json_object_get(json_object_get(c, "debug"), "echo_upstream_body");
	assert_string_equal(json_string_value(json_object_get(echo, "model")), "up-model");
	assert_non_null(json_object_get(echo, "messages"));
	json_decref(c);
	free(chunk);
	free(up);
	dp_request_release(&req);
}

static void test_checked(void **state)
{
	struct dp_chat_req req;
	char err[256];
	const char *whole = "{" MSGS ",\"debug\":{\"echo_upstream_body\":true}}";
	assert_int_equal(dp_request_parse(whole, strlen(whole), &req, err, sizeof(err)), SY_EINVAL);
	assert_string_equal(err, "debug.echo_upstream_body works only with stream: true (the body "
	                         "is echoed in the stream's first chunk)");
	const char *off = "{" MSGS ",\"debug\":{\"echo_upstream_body\":false}}";
	assert_int_equal(dp_request_parse(off, strlen(off), &req, err, sizeof(err)), 0);
	assert_false(dp_debug_echo(&req));
	dp_request_release(&req);
	const char *other = "{" MSGS ",\"stream\":true,\"debug\":{\"verbose\":true}}";
	assert_int_equal(dp_request_parse(other, strlen(other), &req, err, sizeof(err)), SY_EINVAL);
	assert_string_equal(err, "debug.verbose is not a debug option (only echo_upstream_body)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo_chunk),
	    cmocka_unit_test(test_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
