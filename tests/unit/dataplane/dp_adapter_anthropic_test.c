/* dp_adapter_anthropic_test.c - Anthropic's Messages API: requests built, answers, streams
 * and errors read back, from the examples in Anthropic's documentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test_adapter.h"

static const struct dp_adapter *ad = &dp_adapter_anthropic;

/* The usage example: a conversation with a system prompt, an image and a tool round trip. */
static void test_request(void **state)
{
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "anthropic", "https://api.anthropic.com/v1/", "claude-sonnet-4-6",
	                 777);
	json_t *b = test_build(
	    ad, &tt,
	    "{\"model\":\"anthropic/claude\",\"messages\":["
	    "{\"role\":\"system\",\"content\":\"You are terse.\"},"
	    "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Cite.\","
	    "\"cache_control\":{\"type\":\"ephemeral\"}}]},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather here?\"},"
	    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/jpeg;base64,/9j/4AAQ\"}},"
	    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]},"
	    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"toolu_01A\","
	    "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
	    "\"arguments\":\"{\\\"location\\\":\\\"Paris\\\"}\"}}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"toolu_01A\",\"content\":\"18C\"},"
	    "{\"role\":\"user\",\"content\":\"Thanks\"}],"
	    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
	    "\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":"
	    "{\"location\":{\"type\":\"string\"}}}}}],"
	    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
	    "\"parallel_tool_calls\":false,\"stop\":\"END\",\"temperature\":1.5,\"top_p\":0.9,"
	    "\"top_k\":40,\"user\":\"alice\",\"seed\":3,\"stream\":true}",
	    NULL, &c);
	assert_string_equal(c.url, "https://api.anthropic.com/v1/messages");
	assert_string_equal(c.key_header, "x-api-key");
	assert_string_equal(c.headers[0], "anthropic-version: 2023-06-01");
	assert_null(c.headers[1]);
	test_json_eq(json_object_get(b, "system"),
	             "[{\"type\":\"text\",\"text\":\"You are terse.\"},{\"type\":\"text\","
	             "\"text\":\"Cite.\",\"cache_control\":{\"type\":\"ephemeral\"}}]");
	test_json_eq(
	    json_object_get(b, "messages"),
	    "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather here?\"},"
	    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\","
	    "\"data\":\"/9j/4AAQ\"}},{\"type\":\"image\",\"source\":{\"type\":\"url\","
	    "\"url\":\"https://example.com/a.png\"}}]},"
	    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_01A\","
	    "\"name\":\"get_weather\",\"input\":{\"location\":\"Paris\"}}]},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":"
	    "\"toolu_01A\",\"content\":\"18C\"},{\"type\":\"text\",\"text\":\"Thanks\"}]}]");
	test_json_eq(json_object_get(b, "tools"),
	             "[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":"
	             "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}}}}]");
	test_json_eq(
	    json_object_get(b, "tool_choice"),
	    "{\"type\":\"tool\",\"name\":\"get_weather\",\"disable_parallel_tool_use\":true}");
	test_json_eq(json_object_get(b, "stop_sequences"), "[\"END\"]");
	assert_int_equal(test_int(b, "max_tokens"), 777);                       /* the catalog's */
	assert_true(json_real_value(json_object_get(b, "temperature")) == 1.0); /* 0..1 here */
	assert_true(json_real_value(json_object_get(b, "top_p")) == 0.9);
	assert_int_equal(test_int(b, "top_k"), 40);
	assert_string_equal(test_str(b, "model"), "claude-sonnet-4-6");
	assert_true(json_is_true(json_object_get(b, "stream")));
	/* the end user as an opaque id; OpenAI-only and OpenRouter-only members stay home */
	assert_int_equal(strlen(test_str(b, "metadata.user_id")), 32);
	assert_string_not_equal(test_str(b, "metadata.user_id"), "alice");
	static const char *const absent[] = {"user",     "stop", "seed", "parallel_tool_calls",
	                                     "thinking", NULL};
	for (const char *const *k = absent; *k; k++)
		assert_null(json_object_get(b, *k));
	json_decref(b);
	dp_adapter_call_release(&c);
}

static void test_request_defaults_and_drops(void **state)
{
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "anthropic", "https://api.anthropic.com/v1", "claude", 0);
	static const char *const drop[] = {"temperature", "tools", NULL};
	json_t *b =
	    test_build(ad, &tt,
	               "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	               "\"temperature\":0.3,\"tool_choice\":\"none\",\"tools\":[{\"type\":"
	               "\"function\",\"function\":{\"name\":\"f\"}}],\"stop\":[\"a\",\"b\"]}",
	               drop, &c);
	assert_int_equal(test_int(b, "max_tokens"), DP_ADAPTER_MAX_TOKENS);
	assert_null(json_object_get(b, "temperature"));
	assert_null(json_object_get(b, "tools"));
	assert_null(json_object_get(b, "tool_choice")); /* no tools: no choice */
	assert_null(json_object_get(b, "stream"));
	assert_null(json_object_get(b, "system"));
	test_json_eq(json_object_get(b, "stop_sequences"), "[\"a\",\"b\"]");
	test_json_eq(json_object_get(b, "messages"),
	             "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]");
	json_decref(b);
	dp_adapter_call_release(&c);

	/* a tool without parameters gets an empty schema; "required" is "any" */
	b = test_build(
	    ad, &tt,
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	    "\"tool_choice\":\"required\",\"tools\":[{\"type\":\"function\",\"function\":"
	    "{\"name\":\"f\"}}]}",
	    NULL, &c);
	test_json_eq(json_object_get(b, "tools"),
	             "[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\"}}]");
	test_json_eq(json_object_get(b, "tool_choice"), "{\"type\":\"any\"}");
	json_decref(b);
	dp_adapter_call_release(&c);
}

/* OpenRouter's reasoning as thinking; reasoning_details sent back as thinking blocks. */
static void test_request_reasoning(void **state)
{
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "anthropic", "https://api.anthropic.com/v1", "claude", 0);
	json_t *b = test_build(ad, &tt,
	                       "{\"model\":\"m\",\"max_tokens\":10000,\"messages\":[{\"role\":"
	                       "\"user\",\"content\":\"hi\"}],\"reasoning\":{\"effort\":\"high\"}}",
	                       NULL, &c);
	test_json_eq(json_object_get(b, "thinking"),
	             "{\"type\":\"enabled\",\"budget_tokens\":8000}");
	assert_int_equal(test_int(b, "max_tokens"), 10000);
	json_decref(b);
	dp_adapter_call_release(&c);

	/* a budget at or over max_tokens: max_tokens grows to hold both */
	b = test_build(
	    ad, &tt,
	    "{\"model\":\"m\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\","
	    "\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"ok\","
	    "\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"hmm\","
	    "\"signature\":\"EqQB\"},{\"type\":\"reasoning.encrypted\",\"data\":\"xyz\"},"
	    "{\"type\":\"reasoning.text\",\"text\":\"unsigned\"}]},{\"role\":\"user\","
	    "\"content\":\"go\"}],\"reasoning\":{\"max_tokens\":2048}}",
	    NULL, &c);
	test_json_eq(json_object_get(b, "thinking"),
	             "{\"type\":\"enabled\",\"budget_tokens\":2048}");
	assert_int_equal(test_int(b, "max_tokens"), 3048);
	test_json_eq(test_path(b, "messages.1.content"),
	             "[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"EqQB\"},"
	             "{\"type\":\"redacted_thinking\",\"data\":\"xyz\"},"
	             "{\"type\":\"text\",\"text\":\"ok\"}]");
	json_decref(b);
	dp_adapter_call_release(&c);

	/* off, or not asked for: no thinking */
	static const char *const off[] = {
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	    "\"reasoning\":{\"enabled\":false}}",
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	    "\"reasoning_effort\":\"none\"}",
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"};
	for (size_t i = 0; i < 3; i++) {
		b = test_build(ad, &tt, off[i], NULL, &c);
		assert_null(json_object_get(b, "thinking"));
		json_decref(b);
		dp_adapter_call_release(&c);
	}
	/* reasoning_effort alone: its share, at least 1024 */
	b = test_build(ad, &tt,
	               "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	               "\"reasoning_effort\":\"low\"}",
	               NULL, &c);
	assert_int_equal(test_int(b, "thinking.budget_tokens"), 1024);
	json_decref(b);
	dp_adapter_call_release(&c);
}

static void test_request_refused(void **state)
{
	struct test_target tt;
	test_target_init(&tt, "anthropic", "https://api.anthropic.com/v1", "claude", 0);
	const char *e =
	    test_build_refused(ad, &tt,
	                       "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{"
	                       "\"type\":\"input_audio\","
	                       "\"input_audio\":{\"data\":\"AA\",\"format\":\"wav\"}}]}]}");
	assert_non_null(strstr(e, "messages[0].content[0].type"));
	e = test_build_refused(ad, &tt,
	                       "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":"
	                       "null,\"tool_calls\":[{\"id\":\"t\",\"type\":\"function\","
	                       "\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}");
	assert_non_null(strstr(e, "messages[0].tool_calls[0].function.arguments"));
	e = test_build_refused(
	    ad, &tt, "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"only\"}]}");
	assert_non_null(strstr(e, "messages"));
	e = test_build_refused(
	    ad, &tt,
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{"
	    "\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://x/y.png\"}}]}]}");
	assert_non_null(strstr(e, "messages[0].content[0].image_url.url"));
}

#define ASK "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

/* The documented basic answer. */
static void test_answer_text(void **state)
{
	struct dp_response_usage u;
	json_t *j = test_answer(
	    ad, ASK,
	    "{\"content\":[{\"text\":\"Hi! My name is Claude.\",\"type\":\"text\"}],"
	    "\"id\":\"msg_013Zva2CMHLNnXjNJJKqJ2EF\",\"model\":\"claude-sonnet-4-6\","
	    "\"role\":\"assistant\",\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
	    "\"type\":\"message\",\"usage\":{\"input_tokens\":2095,\"output_tokens\":503}}",
	    &u);
	assert_string_equal(test_str(j, "choices.0.message.content"), "Hi! My name is Claude.");
	assert_string_equal(test_str(j, "choices.0.message.role"), "assistant");
	assert_string_equal(u.finish_reason, "stop");
	assert_string_equal(u.native_finish_reason, "end_turn");
	assert_true(u.from_provider);
	assert_int_equal(u.tokens.prompt, 2095);
	assert_int_equal(u.tokens.completion, 503);
	assert_int_equal(u.tokens.cached, 0);
	json_decref(j);
}

/* Thinking, tool use and prompt caching in one answer. */
static void test_answer_tools_thinking_cache(void **state)
{
	struct dp_response_usage u;
	json_t *j = test_answer(
	    ad, ASK,
	    "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\","
	    "\"content\":[{\"type\":\"thinking\",\"thinking\":\"Let me check.\",\"signature\":"
	    "\"WaUjzkypQ2mUEVM36O2T\"},{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgB\"},"
	    "{\"type\":\"text\",\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":"
	    "\"toolu_01A09q90qw90lq917835lq9\",\"name\":\"get_weather\",\"input\":{\"location\":"
	    "\"San Francisco, "
	    "CA\",\"unit\":\"celsius\"}},{\"type\":\"server_tool_use\",\"id\":\"s\"}],"
	    "\"stop_reason\":\"tool_use\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":50,"
	    "\"cache_creation_input_tokens\":1000,\"cache_read_input_tokens\":2000,"
	    "\"output_tokens\":120}}",
	    &u);
	const json_t *m = test_path(j, "choices.0.message");
	assert_string_equal(test_str(m, "content"), "Checking.");
	assert_string_equal(test_str(m, "reasoning"), "Let me check.");
	test_json_eq(json_object_get(m, "reasoning_details"),
	             "[{\"type\":\"reasoning.text\",\"text\":\"Let me check.\",\"format\":"
	             "\"anthropic-claude-v1\",\"index\":0,\"signature\":\"WaUjzkypQ2mUEVM36O2T\"},"
	             "{\"type\":\"reasoning.encrypted\",\"data\":\"EmwKAhgB\",\"format\":"
	             "\"anthropic-claude-v1\",\"index\":1}]");
	test_json_eq(
	    json_object_get(m, "tool_calls"),
	    "[{\"id\":\"toolu_01A09q90qw90lq917835lq9\",\"type\":\"function\",\"function\":"
	    "{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\":\\\"San "
	    "Francisco, CA\\\",\\\"unit\\\":\\\"celsius\\\"}\"}}]");
	assert_string_equal(u.finish_reason, "tool_calls");
	assert_string_equal(u.native_finish_reason, "tool_use");
	assert_int_equal(u.tokens.prompt, 3050);
	assert_int_equal(u.tokens.cached, 2000);
	assert_int_equal(u.tokens.cache_write, 1000);
	assert_int_equal(u.tokens.completion, 120);
	json_decref(j);

	/* max_tokens and refusal; reasoning.exclude hides the thinking */
	j = test_answer(ad,
	                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	                "\"reasoning\":{\"exclude\":true}}",
	                "{\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":"
	                "\"x\",\"signature\":\"s\"}],\"stop_reason\":\"max_tokens\"}",
	                &u);
	assert_string_equal(u.finish_reason, "length");
	assert_null(test_path(j, "choices.0.message.reasoning"));
	assert_string_equal(test_str(j, "choices.0.message.content"), "");
	assert_false(u.from_provider); /* no usage: the gateway counts */
	json_decref(j);
	j = test_answer(ad, ASK,
	                "{\"type\":\"message\",\"content\":[],\"stop_reason\":\"refusal\","
	                "\"usage\":{\"input_tokens\":5,\"output_tokens\":0}}",
	                &u);
	assert_string_equal(u.finish_reason, "content_filter");
	assert_string_equal(u.native_finish_reason, "refusal");
	json_decref(j);
}

static void test_answer_malformed(void **state)
{
	static const char *const bad[] = {
	    "not json",
	    "[]",
	    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
	    "\"Overloaded\"}}",
	    "{\"type\":\"message\",\"content\":\"text\"}",
	    "{\"type\":\"message\",\"content\":[{\"type\":\"tool_use\",\"name\":\"f\",\"input\":{}}"
	    "]}",
	};
	struct dp_chat_req req;
	test_parse(ASK, &req);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sy_buf out;
		sy_buf_init(&out, 0);
		assert_int_equal(ad->answer(bad[i], strlen(bad[i]), &req, &out), SY_EPROTO);
		assert_int_equal(out.len, 0); /* no partial success */
		sy_buf_release(&out);
	}
	dp_request_release(&req);
}

/* The documented basic stream. */
static const char basic_stream[] =
    "event: message_start\n"
    "data: {\"type\": \"message_start\", \"message\": {\"id\": "
    "\"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\", "
    "\"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": "
    "\"claude-opus-4-6\", "
    "\"stop_reason\": null, \"stop_sequence\": null, \"usage\": {\"input_tokens\": 25, "
    "\"cache_read_input_tokens\": 10, \"output_tokens\": 1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": "
    "\"text\", "
    "\"text\": \"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", "
    "\"text\": \"Hello\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", "
    "\"text\": \"! \\u00e9t\\u00e9\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n"
    "event: message_delta\n"
    "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", "
    "\"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\": \"message_stop\"}\n\n";

static void test_stream_text(void **state)
{
	struct dp_response_stream st;
	json_t *chunks = test_stream_every_split(ad, ASK, basic_stream, &st);
	/* role, "Hello", "! été", the finish with usage */
	assert_int_equal(json_array_size(chunks), 4);
	assert_string_equal(test_str(chunks, "0.choices.0.delta.role"), "assistant");
	char *text = test_joined(chunks, "content");
	assert_string_equal(text, "Hello! \xc3\xa9t\xc3\xa9");
	free(text);
	assert_true(st.saw_finish && st.saw_content);
	assert_string_equal(st.usage.finish_reason, "stop");
	assert_string_equal(st.usage.native_finish_reason, "end_turn");
	assert_int_equal(st.usage.tokens.prompt, 35);
	assert_int_equal(st.usage.tokens.cached, 10);
	assert_int_equal(st.usage.tokens.completion, 15);
	json_decref(chunks);
}

/* The documented tool-use stream: the call's id and name first, then its argument fragments. */
static void test_stream_tool_use(void **state)
{
	static const char sse[] =
	    "event: message_start\r\n"
	    "data: "
	    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\","
	    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-6\",\"stop_"
	    "sequence\":null,"
	    "\"usage\":{\"input_tokens\":472,\"output_tokens\":2},\"content\":[],\"stop_reason\":"
	    "null}}\r\n\r\n"
	    "event: content_block_start\r\n"
	    "data: "
	    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
	    "\"text\":\"\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
	    "\"text\":\"Okay, let's check the weather for San Francisco, CA:\"}}\r\n\r\n"
	    "event: content_block_stop\r\n"
	    "data: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n"
	    "event: content_block_start\r\n"
	    "data: "
	    "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_"
	    "use\","
	    "\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}"
	    "\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\"\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\"{\\\"location\\\":\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\" \\\"San\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\" Francisc\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\"o,\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\" CA\\\"\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\", \\\"unit\\\": \\\"fah\"}}\r\n\r\n"
	    "event: content_block_delta\r\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
	    "delta\",\"partial_json\":\"renheit\\\"}\"}}\r\n\r\n"
	    "event: content_block_stop\r\n"
	    "data: {\"type\":\"content_block_stop\",\"index\":1}\r\n\r\n"
	    "event: message_delta\r\n"
	    "data: "
	    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":"
	    "null},\"usage\":{\"output_tokens\":89}}\r\n\r\n"
	    "event: message_stop\r\n"
	    "data: {\"type\":\"message_stop\"}\r\n\r\n";
	struct dp_response_stream st;
	json_t *chunks = test_stream_every_split(ad, ASK, sse, &st);
	/* role, text, the call's head, 7 fragments (the empty one is skipped), finish */
	assert_int_equal(json_array_size(chunks), 11);
	test_json_eq(
	    test_path(chunks, "2.choices.0.delta.tool_calls"),
	    "[{\"index\":0,\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"type\":\"function\","
	    "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]");
	for (size_t i = 3; i < 10; i++) {
		const json_t *tc =
		    test_path(json_array_get(chunks, i), "choices.0.delta.tool_calls.0");
		assert_int_equal(test_int(tc, "index"), 0);
		assert_null(json_object_get(tc, "id"));
		assert_null(json_object_get(json_object_get(tc, "function"), "name"));
	}
	char *args = test_joined(chunks, "arguments");
	assert_string_equal(args,
	                    "{\"location\": \"San Francisco, CA\", \"unit\": \"fahrenheit\"}");
	free(args);
	assert_string_equal(st.usage.finish_reason, "tool_calls");
	assert_int_equal(st.usage.tokens.prompt, 472);
	assert_int_equal(st.usage.tokens.completion, 89);
	json_decref(chunks);
}

/* The documented extended-thinking stream; a second tool call takes index 1. */
static void test_stream_thinking(void **state)
{
	static const char sse[] =
	    "event: message_start\n"
	    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
	    "\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,"
	    "\"usage\":{\"input_tokens\":40,\"cache_creation_input_tokens\":7,\"output_tokens\":1}}"
	    "}\n\n"
	    "event: content_block_start\n"
	    "data: "
	    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
	    "\"thinking\",\"thinking\":\"\"}}\n\n"
	    "event: content_block_delta\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
	    "\"thinking\":\"Let me solve this step by step:\\n\\n1. First break down 27 * "
	    "453\"}}\n\n"
	    "event: content_block_delta\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
	    "\"thinking\":\"\\n2. 453 = 400 + 50 + 3\"}}\n\n"
	    "event: content_block_delta\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\","
	    "\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n"
	    "event: content_block_stop\n"
	    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	    "event: content_block_start\n"
	    "data: "
	    "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"redacted_"
	    "thinking\",\"data\":\"EmwKAhgB\"}}\n\n"
	    "event: content_block_stop\n"
	    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
	    "event: content_block_start\n"
	    "data: "
	    "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"text\","
	    "\"text\":\"\"}}\n\n"
	    "event: content_block_delta\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\","
	    "\"text\":\"27 * 453 = 12,231\"}}\n\n"
	    "event: content_block_delta\n"
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"citations_delta\","
	    "\"citation\":{}}}\n\n"
	    "event: content_block_stop\n"
	    "data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
	    "event: message_delta\n"
	    "data: "
	    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":"
	    "null},"
	    "\"usage\":{\"input_tokens\":40,\"cache_creation_input_tokens\":7,\"cache_read_input_"
	    "tokens\":3,\"output_tokens\":300}}\n\n"
	    "event: message_stop\n"
	    "data: {\"type\":\"message_stop\"}\n\n";
	struct dp_response_stream st;
	json_t *chunks = test_stream_every_split(ad, ASK, sse, &st);
	char *r = test_joined(chunks, "reasoning");
	assert_string_equal(r,
	                    "Let me solve this step by step:\n\n1. First break down 27 * 453\n2. "
	                    "453 = 400 + 50 + 3");
	free(r);
	/* the signature and the redacted block reach the client for the next turn */
	test_json_eq(test_path(chunks, "3.choices.0.delta.reasoning_details"),
	             "[{\"type\":\"reasoning.text\",\"signature\":"
	             "\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\",\"format\":"
	             "\"anthropic-claude-v1\",\"index\":0}]");
	assert_string_equal(test_str(chunks, "4.choices.0.delta.reasoning_details.0.data"),
	                    "EmwKAhgB");
	char *text = test_joined(chunks, "content");
	assert_string_equal(text, "27 * 453 = 12,231");
	free(text);
	/* the later input counts of message_delta win */
	assert_int_equal(st.usage.tokens.prompt, 50);
	assert_int_equal(st.usage.tokens.cached, 3);
	assert_int_equal(st.usage.tokens.cache_write, 7);
	assert_int_equal(st.usage.tokens.completion, 300);
	json_decref(chunks);

	/* reasoning.exclude: thinking is not forwarded */
	struct test_stream ts;
	test_stream(ad,
	            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	            "\"reasoning\":{\"exclude\":true}}",
	            sse, 0, &ts);
	assert_int_equal(ts.rc, 0);
	r = test_joined(ts.chunks, "reasoning");
	assert_string_equal(r, "");
	free(r);
	json_decref(ts.chunks);
}

static void test_stream_unknown_and_malformed(void **state)
{
	struct test_stream ts;
	/* unknown events and block kinds are ignored */
	test_stream(
	    ad, ASK,
	    "event: something_new\ndata: {\"type\":\"something_new\",\"x\":1}\n\n"
	    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
	    "\"content_block\":{\"type\":\"web_search_tool_result\",\"content\":[]}}\n\n"
	    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
	    "\"delta\":{\"type\":\"future_delta\"}}\n\n"
	    "event: ping\ndata: {\"type\": \"ping\"}\n\n",
	    7, &ts);
	assert_int_equal(ts.rc, 0);
	assert_int_equal(json_array_size(ts.chunks), 0);
	json_decref(ts.chunks);
	static const char *const bad[] = {
	    /* the error event after the 200 */
	    "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", "
	    "\"message\": \"Overloaded\"}}\n\n",
	    "data: {not json\n\n",
	    "data: {\"no\":\"type\"}\n\n",
	    /* arguments for a tool call that never started */
	    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
	    "\"input_json_delta\",\"partial_json\":\"{\"}}\n\n",
	    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
	    "\"tool_use\",\"name\":\"f\"}}\n\n",
	    "data: "
	    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"}}"
	    "\n\n",
	    "data: {\"type\":\"message_start\"}\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_stream(ad, ASK, bad[i], 0, &ts);
		assert_int_equal(ts.rc, SY_EPROTO);
		assert_int_equal(json_array_size(ts.chunks), 0);
		json_decref(ts.chunks);
	}
}

static void test_classify(void **state)
{
	static const char ctx[] =
	    "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
	    "\"message\":\"prompt is too long: 208310 tokens > 200000 maximum\"}}";
	static const char bad[] =
	    "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
	    "\"message\":\"max_tokens: Field required\"}}";
	assert_int_equal(ad->classify(400, ctx, strlen(ctx)), DP_FAULT_CONTEXT_LENGTH);
	assert_int_equal(ad->classify(400, bad, strlen(bad)), DP_FAULT_CLIENT);
	assert_int_equal(ad->classify(413, "", 0), DP_FAULT_CLIENT);
	assert_int_equal(ad->classify(401, "", 0), DP_FAULT_CREDENTIAL);
	assert_int_equal(ad->classify(403, "", 0), DP_FAULT_CREDENTIAL);
	assert_int_equal(ad->classify(429, "", 0), DP_FAULT_RATE_LIMITED);
	assert_int_equal(ad->classify(529, "", 0), DP_FAULT_PROVIDER);
	assert_int_equal(ad->classify(500, "", 0), DP_FAULT_PROVIDER);
	assert_int_equal(ad->classify(404, "", 0), DP_FAULT_PROVIDER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_request_defaults_and_drops),
	    cmocka_unit_test(test_request_reasoning),
	    cmocka_unit_test(test_request_refused),
	    cmocka_unit_test(test_answer_text),
	    cmocka_unit_test(test_answer_tools_thinking_cache),
	    cmocka_unit_test(test_answer_malformed),
	    cmocka_unit_test(test_stream_text),
	    cmocka_unit_test(test_stream_tool_use),
	    cmocka_unit_test(test_stream_thinking),
	    cmocka_unit_test(test_stream_unknown_and_malformed),
	    cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
