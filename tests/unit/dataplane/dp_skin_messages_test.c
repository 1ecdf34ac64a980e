/* dp_skin_messages_test.c - Anthropic's Messages API as a client format: requests into chat
 * answers, chunks and errors back into messages and events, pass-through and count_tokens, from
 * the examples in Anthropic's documentation (the request itself: dp_messages_req_test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_skin.h"
#include "dp_test_adapter.h"
#include "sy_err.h"

static const struct dp_skin *sk = &dp_skin_messages;

/* The chat body for a Messages body (must translate); *st receives the state. */
static json_t *translate(const char *body, const char *version, const char *beta, void **st)
{
	const char *hdrs[] = {version, beta};
	char *out = NULL, err[256] = "";
	*st = NULL;
	int rc = sk->request(body, strlen(body), hdrs, st, &out, err, sizeof(err));
	if (rc)
		fail_msg("refused: %s", err);
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	free(out);
	return j;
}

/* The events of an SSE text as [{"event": name, "data": {...}}]. */
static json_t *events(const struct sy_buf *b)
{
	json_t *all = json_array();
	char *text = strndup(b->data ? b->data : "", b->len);
	char *save = NULL;
	for (char *ev = strtok_r(text, "\n", &save); ev; ev = strtok_r(NULL, "\n", &save)) {
		assert_true(!strncmp(ev, "event: ", 7));
		char *data = strtok_r(NULL, "\n", &save);
		assert_non_null(data);
		assert_true(!strncmp(data, "data: ", 6));
		json_t *d = json_loads(data + 6, 0, NULL);
		assert_non_null(d);
		assert_string_equal(json_string_value(json_object_get(d, "type")), ev + 7);
		json_array_append_new(all, json_pack("{s:s,s:o}", "event", ev + 7, "data", d));
	}
	free(text);
	return all;
}

/* A body that is not JSON is refused before any state exists. */
static void test_not_json(void **state)
{
	const char *hdrs[] = {NULL, NULL};
	char *out = NULL, err[256] = "";
	void *st = NULL;
	assert_int_equal(sk->request("{\"model\":", 9, hdrs, &st, &out, err, sizeof(err)),
	                 SY_EINVAL);
	assert_null(out);
	assert_null(st);
	assert_non_null(strstr(err, "not valid JSON"));
}

/* What only Anthropic honours: refused on other formats by name, passed through as written
 * (model id set, OpenRouter's members gone, the client's headers) on Anthropic's. */
static void test_passthrough(void **state)
{
	void *st;
	static const char body[] =
	    "{\"model\":\"anthropic/claude\",\"max_tokens\":100,\"container\":\"c1\","
	    "\"metadata\":{\"user_id\":\"alice\"},"
	    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\","
	    "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}},{\"type\":"
	    "\"search_result\",\"source\":\"s\",\"title\":\"t\",\"content\":[]}]}],"
	    "\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}],"
	    "\"provider\":{\"sort\":\"price\"},\"route\":\"fallback\",\"plugins\":[],"
	    "\"user\":\"u\",\"session_id\":\"s\"}";
	json_t *b = translate(body, "2023-06-01", "files-api-2025-04-14", &st);
	test_json_eq(json_object_get(b, "messages"),
	             "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\","
	             "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}]}]");
	assert_int_equal(json_array_size(json_object_get(b, "tools")), 0);
	json_decref(b);
	char *up = NULL, err[256] = "";
	size_t len = 0;
	const char *const *hdrs = NULL;
	assert_int_equal(sk->passthrough(st, "gemini", "g", &up, &len, &hdrs, err, sizeof(err)),
	                 SY_EINVAL);
	assert_string_equal(err, "container is only supported on endpoints speaking Anthropic's "
	                         "Messages API");
	assert_int_equal(
	    sk->passthrough(st, "anthropic", "claude-x", &up, &len, &hdrs, err, sizeof(err)), 1);
	assert_int_equal(len, strlen(up));
	json_t *want = json_loads(body, 0, NULL);
	json_object_set_new(want, "model", json_string("claude-x"));
	const char *drop[] = {"provider", "route", "plugins", "user", "session_id"};
	for (size_t i = 0; i < 5; i++)
		json_object_del(want, drop[i]);
	/* the end-user id hashed, as the Anthropic adapter sends it */
	char hex[33];
	dp_adapter_user_hash("alice", hex);
	assert_int_equal(strlen(hex), 32);
	json_object_set_new(want, "metadata", json_pack("{s:s}", "user_id", hex));
	char *w = sy_json_dump(want);
	json_t *got = json_loads(up, 0, NULL);
	test_json_eq(got, w);
	json_decref(got);
	free(w);
	json_decref(want);
	free(up);
	assert_string_equal(hdrs[0], "anthropic-version: 2023-06-01");
	assert_string_equal(hdrs[1], "anthropic-beta: files-api-2025-04-14");
	assert_null(hdrs[2]);
	/* answers and events pass unchanged, the in-band error is still ours */
	char *native = strdup("{\"id\":\"msg_1\",\"type\":\"message\",\"x\":1}");
	char *r = sk->reply(st, 200, native);
	assert_string_equal(r, "{\"id\":\"msg_1\",\"type\":\"message\",\"x\":1}");
	free(r);
	struct sy_buf out;
	sy_buf_init(&out, 0);
	assert_int_equal(sk->raw_event(st, "content_block_delta", "{\"type\":\"x\"}", 12, &out), 0);
	assert_int_equal(sk->raw_event(st, "error", "{}", 2, &out), 0);
	assert_int_equal(sk->stream(st, DP_SKIN_CHUNK, "{\"choices\":[]}", &out), 0);
	assert_int_equal(sk->stream(st, DP_SKIN_END, "{\"choices\":[],\"usage\":{}}", &out), 0);
	assert_int_equal(
	    sk->stream(st, DP_SKIN_ERROR, "{\"error\":{\"code\":502,\"message\":\"cut\"}}", &out),
	    0);
	assert_string_equal(out.data, "event: content_block_delta\ndata: {\"type\":\"x\"}\n\n"
	                              "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
	                              "\"api_error\",\"message\":\"cut\"}}\n\n");
	sy_buf_release(&out);
	sk->release(st);
}

/* A chat answer with thinking, text and a tool call as the documented message object. */
static void test_reply(void **state)
{
	void *st;
	json_decref(translate("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\","
	                      "\"content\":\"x\"}]}",
	                      NULL, NULL, &st));
	char *r = sk->reply(
	    st, 200,
	    strdup("{\"id\":\"gen-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
	           "\"anthropic/claude\",\"provider\":\"Anthropic\",\"choices\":[{\"index\":0,"
	           "\"message\":{\"role\":\"assistant\",\"content\":\"Let me check.\","
	           "\"reasoning\":\"Hmm.\",\"reasoning_details\":[{\"type\":\"reasoning.text\","
	           "\"text\":\"Hmm.\",\"signature\":\"sig\"},{\"type\":\"reasoning.encrypted\","
	           "\"data\":\"enc\"}],\"tool_calls\":[{\"id\":\"toolu_1\",\"type\":\"function\","
	           "\"function\":{\"name\":\"get_weather\",\"arguments\":"
	           "\"{\\\"location\\\":\\\"Paris\\\"}\"}}]},\"finish_reason\":\"tool_calls\","
	           "\"native_finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":100,"
	           "\"completion_tokens\":20,\"total_tokens\":120,\"cost\":0.5,"
	           "\"prompt_tokens_details\":{\"cached_tokens\":30,\"cache_write_tokens\":10}}}"));
	json_t *j = json_loads(r, 0, NULL);
	test_json_eq(j,
	             "{\"id\":\"gen-1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
	             "\"anthropic/claude\",\"provider\":\"Anthropic\",\"content\":["
	             "{\"type\":\"thinking\",\"thinking\":\"Hmm.\",\"signature\":\"sig\"},"
	             "{\"type\":\"redacted_thinking\",\"data\":\"enc\"},"
	             "{\"type\":\"text\",\"text\":\"Let me check.\"},"
	             "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\","
	             "\"input\":{\"location\":\"Paris\"}}],\"stop_reason\":\"tool_use\","
	             "\"stop_sequence\":null,\"usage\":{\"input_tokens\":60,\"output_tokens\":20,"
	             "\"cache_creation_input_tokens\":10,\"cache_read_input_tokens\":30,"
	             "\"cost\":0.5}}");
	json_decref(j);
	free(r);
	/* Anthropic's own stop reason wins over the normalised one */
	r = sk->reply(st, 200,
	              strdup("{\"id\":\"g\",\"model\":\"m\",\"choices\":[{\"message\":{\"content\":"
	                     "\"a\"},\"finish_reason\":\"stop\",\"native_finish_reason\":"
	                     "\"stop_sequence\"}],\"usage\":{\"prompt_tokens\":1}}"));
	assert_non_null(strstr(r, "\"stop_reason\":\"stop_sequence\""));
	free(r);
	r = sk->reply(st, 200,
	              strdup("{\"choices\":[{\"message\":{\"content\":\"a\"},\"finish_reason\":"
	                     "\"length\"}]}"));
	assert_non_null(strstr(r, "\"stop_reason\":\"max_tokens\""));
	free(r);
	sk->release(st);
}

static void test_errors(void **state)
{
	static const struct {
		int status;
		const char *type;
	} cases[] = {{400, "invalid_request_error"},
	             {401, "authentication_error"},
	             {402, "billing_error"},
	             {403, "permission_error"},
	             {404, "not_found_error"},
	             {413, "request_too_large"},
	             {429, "rate_limit_error"},
	             {500, "api_error"},
	             {502, "api_error"},
	             {503, "overloaded_error"},
	             {504, "timeout_error"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = sk->reply(
		    NULL, cases[i].status,
		    sy_json_error(cases[i].status, "Nope", json_pack("{s:s}", "error_type", "x")));
		char want[160];
		snprintf(want, sizeof(want),
		         "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"Nope\"}}",
		         cases[i].type);
		assert_string_equal(r, want);
		free(r);
	}
}

/* Chat chunks (thinking, text, a tool call) as the documented event sequence. */
static void test_events(void **state)
{
	void *st;
	json_decref(translate("{\"model\":\"m\",\"max_tokens\":9,\"stream\":true,\"messages\":"
	                      "[{\"role\":\"user\",\"content\":\"x\"}]}",
	                      NULL, NULL, &st));
	static const char *const chunks[] = {
	    "{\"id\":\"gen-1\",\"model\":\"a/b\",\"choices\":[{\"delta\":{\"role\":\"assistant\","
	    "\"content\":\"\"}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"reasoning\":\"Hm\",\"reasoning_details\":"
	    "[{\"type\":\"reasoning.text\",\"text\":\"Hm\"}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"reasoning_details\":[{\"type\":"
	    "\"reasoning.text\",\"signature\":\"sig\"}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"content\":\"!\"}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
	    "\"toolu_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
	    "\"arguments\":\"\"}}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	    "{\"arguments\":\"{\\\"location\\\":\"}}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	    "{\"arguments\":\"\\\"Paris\\\"}\"}}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\","
	    "\"native_finish_reason\":\"tool_use\"}]}",
	};
	struct sy_buf out;
	sy_buf_init(&out, 0);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		assert_int_equal(sk->stream(st, DP_SKIN_CHUNK, chunks[i], &out), 0);
	assert_int_equal(sk->stream(st, DP_SKIN_END,
	                            "{\"id\":\"gen-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
	                            "25,\"completion_tokens\":15,\"cost\":0.1}}",
	                            &out),
	                 0);
	json_t *ev = events(&out);
	test_json_eq(
	    ev,
	    "[{\"event\":\"message_start\",\"data\":{\"type\":\"message_start\",\"message\":{"
	    "\"id\":\"gen-1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"a/b\","
	    "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{"
	    "\"input_tokens\":0,\"output_tokens\":0}}}},"
	    "{\"event\":\"content_block_start\",\"data\":{\"type\":\"content_block_start\","
	    "\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\","
	    "\"signature\":\"\"}}},"
	    "{\"event\":\"content_block_delta\",\"data\":{\"type\":\"content_block_delta\","
	    "\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Hm\"}}},"
	    "{\"event\":\"content_block_delta\",\"data\":{\"type\":\"content_block_delta\","
	    "\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig\"}}},"
	    "{\"event\":\"content_block_stop\",\"data\":{\"type\":\"content_block_stop\","
	    "\"index\":0}},"
	    "{\"event\":\"content_block_start\",\"data\":{\"type\":\"content_block_start\","
	    "\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}},"
	    "{\"event\":\"content_block_delta\",\"data\":{\"type\":\"content_block_delta\","
	    "\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}},"
	    "{\"event\":\"content_block_delta\",\"data\":{\"type\":\"content_block_delta\","
	    "\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}},"
	    "{\"event\":\"content_block_stop\",\"data\":{\"type\":\"content_block_stop\","
	    "\"index\":1}},"
	    "{\"event\":\"content_block_start\",\"data\":{\"type\":\"content_block_start\","
	    "\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":"
	    "\"get_weather\",\"input\":{}}}},"
	    "{\"event\":\"content_block_delta\",\"data\":{\"type\":\"content_block_delta\","
	    "\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":"
	    "\"{\\\"location\\\":\"}}},"
	    "{\"event\":\"content_block_delta\",\"data\":{\"type\":\"content_block_delta\","
	    "\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":"
	    "\"\\\"Paris\\\"}\"}}},"
	    "{\"event\":\"content_block_stop\",\"data\":{\"type\":\"content_block_stop\","
	    "\"index\":2}},"
	    "{\"event\":\"message_delta\",\"data\":{\"type\":\"message_delta\",\"delta\":{"
	    "\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":25,"
	    "\"output_tokens\":15,\"cache_creation_input_tokens\":0,"
	    "\"cache_read_input_tokens\":0,\"cost\":0.1}}},"
	    "{\"event\":\"message_stop\",\"data\":{\"type\":\"message_stop\"}}]");
	json_decref(ev);

	/* a fail-over rewinds: the next attempt's stream starts afresh */
	sy_buf_reset(&out);
	sk->rewind(st);
	assert_int_equal(sk->stream(st, DP_SKIN_CHUNK, chunks[3], &out), 0);
	assert_int_equal(sk->stream(st, DP_SKIN_ERROR,
	                            "{\"error\":{\"code\":502,\"message\":\"The provider ended the "
	                            "stream\",\"metadata\":{\"error_type\":\"provider_error\"}},"
	                            "\"choices\":[{\"finish_reason\":\"error\"}]}",
	                            &out),
	                 0);
	ev = events(&out);
	assert_int_equal(json_array_size(ev), 4);
	test_json_eq(json_object_get(json_array_get(ev, 1), "data"),
	             "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
	             "\"text\",\"text\":\"\"}}");
	test_json_eq(json_array_get(ev, 3),
	             "{\"event\":\"error\",\"data\":{\"type\":\"error\",\"error\":{\"type\":"
	             "\"api_error\",\"message\":\"The provider ended the stream\"}}}");
	json_decref(ev);
	sy_buf_release(&out);
	sk->release(st);
}

static void test_count_tokens(void **state)
{
	char *out = NULL, err[256] = "";
	static const char body[] = "{\"model\":\"m\",\"system\":\"12345678\",\"messages\":[{"
	                           "\"role\":\"user\",\"content\":\"abcdefgh\"}]}";
	assert_int_equal(dp_skin_messages_count_tokens(body, strlen(body), &out, err, sizeof(err)),
	                 0);
	assert_string_equal(out, "{\"input_tokens\":4}");
	free(out);
	static const char tools[] =
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"abcd\"}],"
	    "\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\"}}]}";
	assert_int_equal(
	    dp_skin_messages_count_tokens(tools, strlen(tools), &out, err, sizeof(err)), 0);
	/* 1 for the text, 19 for {"type":"function","function":{"name":"f","parameters":{...}}} */
	assert_string_equal(out, "{\"input_tokens\":20}");
	free(out);
	assert_int_equal(
	    dp_skin_messages_count_tokens("{\"model\":\"m\"}", 13, &out, err, sizeof(err)),
	    SY_EINVAL);
	assert_non_null(strstr(err, "messages"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_json), cmocka_unit_test(test_passthrough),
	    cmocka_unit_test(test_reply),    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_events),   cmocka_unit_test(test_count_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
