/* dp_skin_test.c - the chat skin (the identity) and what the skins share. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_skin.h"

/* The chat skin changes nothing: answers and errors as they are, chunks framed as OpenAI's
 * (the end with [DONE], the in-band error without). NULL means the chat skin. */
static void test_chat_identity(void **state)
{
	static const struct dp_skin *const skins[] = {&dp_skin_chat, NULL};
	for (size_t i = 0; i < 2; i++) {
		char *r = dp_skin_reply(skins[i], NULL, 200, strdup("{\"a\":1}"));
		assert_string_equal(r, "{\"a\":1}");
		free(r);
		r = dp_skin_reply(skins[i], NULL, 502, strdup("{\"error\":{}}"));
		assert_string_equal(r, "{\"error\":{}}");
		free(r);
		assert_null(dp_skin_reply(skins[i], NULL, 200, NULL));
		struct sy_buf b;
		sy_buf_init(&b, 0);
		assert_int_equal(dp_skin_stream(skins[i], NULL, DP_SKIN_CHUNK, "{\"c\":1}", &b), 0);
		assert_int_equal(dp_skin_stream(skins[i], NULL, DP_SKIN_END, "{\"u\":2}", &b), 0);
		assert_string_equal(b.data,
		                    "data: {\"c\":1}\n\ndata: {\"u\":2}\n\ndata: [DONE]\n\n");
		sy_buf_reset(&b);
		assert_int_equal(dp_skin_stream(skins[i], NULL, DP_SKIN_ERROR, "{\"e\":3}", &b), 0);
		assert_string_equal(b.data, "data: {\"e\":3}\n\n");
		sy_buf_release(&b);
	}
}

/* A skin that translates every reply goes through dp_skin_reply (the messages skin). */
static void test_reply_through_skin(void **state)
{
	char *r = dp_skin_reply(&dp_skin_messages, NULL, 429,
	                        strdup("{\"error\":{\"code\":429,\"message\":\"slow\"}}"));
	assert_string_equal(r, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
	                       "\"message\":\"slow\"}}");
	free(r);
}

static void test_error_parts(void **state)
{
	int status;
	char msg[64], type[32];
	dp_skin_error_parts("{\"error\":{\"code\":402,\"message\":\"Insufficient credits\","
	                    "\"metadata\":{\"error_type\":\"insufficient_credits\"}}}",
	                    500, &status, msg, sizeof(msg), type, sizeof(type));
	assert_int_equal(status, 402);
	assert_string_equal(msg, "Insufficient credits");
	assert_string_equal(type, "insufficient_credits");
	dp_skin_error_parts("not json", 502, &status, msg, sizeof(msg), type, sizeof(type));
	assert_int_equal(status, 502);
	assert_string_equal(msg, "");
	assert_string_equal(type, "");
}

static void test_sse(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(dp_skin_sse(&b, "ping", json_pack("{s:s}", "type", "ping")), 0);
	assert_int_equal(dp_skin_sse(&b, NULL, json_pack("{s:i}", "n", 1)), 0);
	assert_int_equal(dp_skin_sse(&b, "x", NULL), -ENOMEM);
	assert_string_equal(b.data,
	                    "event: ping\ndata: {\"type\":\"ping\"}\n\ndata: {\"n\":1}\n\n");
	sy_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chat_identity),
	    cmocka_unit_test(test_reply_through_skin),
	    cmocka_unit_test(test_error_parts),
	    cmocka_unit_test(test_sse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
