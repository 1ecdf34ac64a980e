/* dp_adapter_gemini_test.c - Google's Gemini API: requests built, answers, streams and errors
 * read back, from the examples in Google's documentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test_adapter.h"

static const struct dp_adapter *ad = &dp_adapter_gemini;

#define ASK "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

/* The usage example: system prompt, images, parameters, a tool round trip. */
static void test_request(void **state)
{
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "gemini", "https://generativelanguage.googleapis.com/v1beta",
	                 "gemini-2.5-flash", 0);
	json_t *b = test_build(
	    ad, &tt,
	    "{\"model\":\"google/gemini\",\"messages\":["
	    "{\"role\":\"system\",\"content\":\"You are a cat.\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
	    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/jpeg;base64,/9j/4AAQ\"}},"
	    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/"
	    "doc.PDF?x=1\"}}]},"
	    "{\"role\":\"assistant\",\"content\":\"Let me "
	    "look.\",\"tool_calls\":[{\"id\":\"call_1\","
	    "\"type\":\"function\",\"function\":{\"name\":\"find_theaters\","
	    "\"arguments\":\"{\\\"location\\\":\\\"Mountain View, CA\\\"}\"}}],"
	    "\"reasoning_details\":[{\"type\":\"reasoning.encrypted\",\"data\":\"CiQB\",\"id\":"
	    "\"call_1\",\"format\":\"google-gemini-v1\"}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"theaters\\\":[]}\"},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"plain words\"}],"
	    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"find_theaters\","
	    "\"description\":\"Find theaters\",\"parameters\":{\"type\":\"object\",\"properties\":"
	    "{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]}}}],"
	    "\"tool_choice\":\"required\",\"max_tokens\":800,\"temperature\":0.9,\"top_p\":0.5,"
	    "\"top_k\":10,\"stop\":\"Title\",\"seed\":42,\"presence_penalty\":0.5,"
	    "\"frequency_penalty\":0.25,\"response_format\":{\"type\":\"json_object\"},"
	    "\"user\":\"alice\",\"stream\":true}",
	    NULL, &c);
	assert_string_equal(c.url, "https://generativelanguage.googleapis.com/v1beta/models/"
	                           "gemini-2.5-flash:streamGenerateContent?alt=sse");
	assert_string_equal(c.key_header, "x-goog-api-key");
	assert_null(c.headers);
	test_json_eq(json_object_get(b, "systemInstruction"),
	             "{\"parts\":[{\"text\":\"You are a cat.\"}]}");
	test_json_eq(
	    json_object_get(b, "contents"),
	    "[{\"role\":\"user\",\"parts\":[{\"text\":\"What is this?\"},"
	    "{\"inlineData\":{\"mimeType\":\"image/jpeg\",\"data\":\"/9j/4AAQ\"}},"
	    "{\"fileData\":{\"mimeType\":\"application/pdf\",\"fileUri\":"
	    "\"https://example.com/doc.PDF?x=1\"}}]},"
	    "{\"role\":\"model\",\"parts\":[{\"text\":\"Let me look.\"},{\"functionCall\":"
	    "{\"name\":\"find_theaters\",\"args\":{\"location\":\"Mountain View, CA\"}},"
	    "\"thoughtSignature\":\"CiQB\"}]},"
	    "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"find_theaters\","
	    "\"response\":{\"theaters\":[]}}},{\"functionResponse\":{\"name\":"
	    "\"find_theaters\",\"response\":{\"content\":\"plain words\"}}}]}]");
	test_json_eq(json_object_get(b, "tools"),
	             "[{\"functionDeclarations\":[{\"name\":\"find_theaters\",\"description\":"
	             "\"Find theaters\",\"parameters\":{\"type\":\"object\",\"properties\":"
	             "{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]}}]}]");
	test_json_eq(json_object_get(b, "toolConfig"),
	             "{\"functionCallingConfig\":{\"mode\":\"ANY\"}}");
	test_json_eq(
	    json_object_get(b, "generationConfig"),
	    "{\"temperature\":0.9,\"topP\":0.5,\"topK\":10,\"seed\":42,\"presencePenalty\":"
	    "0.5,\"frequencyPenalty\":0.25,\"maxOutputTokens\":800,\"stopSequences\":"
	    "[\"Title\"],\"responseMimeType\":\"application/json\"}");
	assert_int_equal(json_object_size(b), 5); /* no model, user or stream in the body */
	json_decref(b);
	dp_adapter_call_release(&c);
}

static void test_request_variants(void **state)
{
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "gemini", "http://127.0.0.1:9/g/v1beta/", "models x/é", 0);
	static const char *const drop[] = {"temperature", NULL};
	json_t *b = test_build(
	    ad, &tt,
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":"
	    "\"text\","
	    "\"text\":\"Rules.\"}]},{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\","
	    "\"content\":\"b\"}],\"temperature\":0.1,\"tools\":[{\"type\":\"function\","
	    "\"function\":"
	    "{\"name\":\"f\"}}],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":"
	    "\"f\"}},"
	    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\","
	    "\"schema\":{\"type\":\"object\"}}},\"reasoning\":{\"max_tokens\":2048}}",
	    drop, &c);
	/* the model id is one escaped path segment; consecutive user turns merge */
	assert_string_equal(
	    c.url, "http://127.0.0.1:9/g/v1beta/models/models%20x%2F%C3%A9:generateContent");
	test_json_eq(json_object_get(b, "contents"),
	             "[{\"role\":\"user\",\"parts\":[{\"text\":\"a\"},{\"text\":\"b\"}]}]");
	test_json_eq(
	    json_object_get(b, "toolConfig"),
	    "{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"f\"]}}");
	test_json_eq(json_object_get(b, "generationConfig"),
	             "{\"responseMimeType\":\"application/json\",\"responseSchema\":{\"type\":"
	             "\"object\"},\"thinkingConfig\":{\"thinkingBudget\":2048,\"includeThoughts\":"
	             "true}}");
	json_decref(b);
	dp_adapter_call_release(&c);

	/* reasoning off: a zero budget; excluded: thoughts not included */
	b = test_build(ad, &tt,
	               "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
	               "\"reasoning\":{\"enabled\":false}}",
	               NULL, &c);
	test_json_eq(test_path(b, "generationConfig.thinkingConfig"),
	             "{\"thinkingBudget\":0,\"includeThoughts\":false}");
	json_decref(b);
	dp_adapter_call_release(&c);
	b = test_build(ad, &tt,
	               "{\"model\":\"m\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\","
	               "\"content\":\"a\"}],\"reasoning\":{\"effort\":\"low\",\"exclude\":true}}",
	               NULL, &c);
	test_json_eq(test_path(b, "generationConfig.thinkingConfig"),
	             "{\"thinkingBudget\":200,\"includeThoughts\":false}");
	json_decref(b);
	dp_adapter_call_release(&c);
	b = test_build(ad, &tt, ASK, NULL, &c);
	assert_null(json_object_get(b, "generationConfig"));
	assert_null(json_object_get(b, "systemInstruction"));
	json_decref(b);
	dp_adapter_call_release(&c);
}

static void test_request_refused(void **state)
{
	struct test_target tt;
	test_target_init(&tt, "gemini", "https://generativelanguage.googleapis.com/v1beta", "g", 0);
	const char *e =
	    test_build_refused(ad, &tt,
	                       "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
	                       "\"hi\"},{\"role\":\"tool\",\"tool_call_id\":\"nobody\","
	                       "\"content\":\"x\"}]}");
	assert_non_null(strstr(e, "messages[1].tool_call_id"));
	e = test_build_refused(ad, &tt,
	                       "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{"
	                       "\"type\":\"file\",\"file\":{\"file_id\":\"f\"}}]}]}");
	assert_non_null(strstr(e, "messages[0].content[0].type"));
	e = test_build_refused(
	    ad, &tt,
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":"
	    "null,\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":"
	    "{\"name\":\"f\",\"arguments\":\"not json\"}}]}]}");
	assert_non_null(strstr(e, "arguments"));
	e = test_build_refused(
	    ad, &tt, "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"}]}");
	assert_non_null(strstr(e, "messages"));
}

/* The documented answer, with thoughts and usage. */
static void test_answer_text(void **state)
{
	struct dp_response_usage u;
	json_t *j = test_answer(
	    ad, ASK,
	    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"**Thinking about it**\","
	    "\"thought\":true},{\"text\":\"In a village nestled \"},{\"text\":\"in the hills.\"}],"
	    "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0,\"safetyRatings\":[]}],"
	    "\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":398,"
	    "\"totalTokenCount\":1406,\"cachedContentTokenCount\":4,\"thoughtsTokenCount\":1000},"
	    "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"abc\"}",
	    &u);
	assert_string_equal(test_str(j, "choices.0.message.content"),
	                    "In a village nestled in the hills.");
	assert_string_equal(test_str(j, "choices.0.message.reasoning"), "**Thinking about it**");
	assert_string_equal(u.finish_reason, "stop");
	assert_string_equal(u.native_finish_reason, "STOP");
	assert_int_equal(u.tokens.prompt, 8);
	assert_int_equal(u.tokens.cached, 4);
	assert_int_equal(u.tokens.completion, 1398);
	assert_int_equal(u.tokens.reasoning, 1000);
	json_decref(j);

	static const char *const finishes[][3] = {
	    {"MAX_TOKENS", "length", "MAX_TOKENS"},
	    {"SAFETY", "content_filter", "SAFETY"},
	    {"RECITATION", "content_filter", "RECITATION"},
	    {"BLOCKLIST", "content_filter", "BLOCKLIST"},
	    {"PROHIBITED_CONTENT", "content_filter", "PROHIBITED_CONTENT"},
	};
	for (size_t i = 0; i < sizeof(finishes) / sizeof(finishes[0]); i++) {
		char a[256];
		snprintf(a, sizeof(a),
		         "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},"
		         "\"finishReason\":\"%s\"}]}",
		         finishes[i][0]);
		j = test_answer(ad, ASK, a, &u);
		assert_string_equal(u.finish_reason, finishes[i][1]);
		assert_string_equal(u.native_finish_reason, finishes[i][2]);
		assert_false(u.from_provider);
		json_decref(j);
	}
	/* a blocked prompt: no candidates, a content-filter answer */
	j = test_answer(ad, ASK,
	                "{\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"safetyRatings\":[]},"
	                "\"usageMetadata\":{\"promptTokenCount\":7,\"totalTokenCount\":7}}",
	                &u);
	assert_string_equal(u.finish_reason, "content_filter");
	assert_string_equal(test_str(j, "choices.0.message.content"), "");
	assert_int_equal(u.tokens.prompt, 7);
	json_decref(j);
}

/* The documented function-calling answer: ids generated, finish_reason tool_calls. */
static void test_answer_function_call(void **state)
{
	struct dp_response_usage u;
	json_t *j = test_answer(
	    ad, ASK,
	    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{"
	    "\"name\":"
	    "\"find_theaters\",\"args\":{\"location\":\"Mountain View, CA\",\"movie\":\"Barbie\"}},"
	    "\"thoughtSignature\":\"CiQBcsjafH\"},{\"functionCall\":{\"name\":\"now\",\"id\":"
	    "\"fc_9\"}}]},\"finishReason\":\"STOP\",\"index\":0}]}",
	    &u);
	const json_t *calls = test_path(j, "choices.0.message.tool_calls");
	assert_int_equal(json_array_size(calls), 2);
	const char *id = test_str(calls, "0.id");
	assert_int_equal(strlen(id), 29);
	assert_memory_equal(id, "call_", 5);
	assert_string_equal(test_str(calls, "0.function.name"), "find_theaters");
	assert_string_equal(test_str(calls, "0.function.arguments"),
	                    "{\"location\":\"Mountain View, CA\",\"movie\":\"Barbie\"}");
	assert_string_equal(test_str(calls, "1.id"), "fc_9");
	assert_string_equal(test_str(calls, "1.function.arguments"), "{}");
	assert_true(json_is_null(test_path(j, "choices.0.message.content")));
	/* the signature goes back with the call on the next turn */
	assert_string_equal(test_str(j, "choices.0.message.reasoning_details.0.data"),
	                    "CiQBcsjafH");
	assert_string_equal(test_str(j, "choices.0.message.reasoning_details.0.id"), id);
	assert_string_equal(u.finish_reason, "tool_calls");
	json_decref(j);
}

static void test_answer_malformed(void **state)
{
	static const char *const bad[] = {
	    "nope",
	    "{}",
	    "{\"candidates\":{}}",
	    "{\"error\":{\"code\":400,\"message\":\"x\",\"status\":\"INVALID_ARGUMENT\"}}",
	    "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"args\":{}}}]}}]}",
	};
	struct dp_chat_req req;
	test_parse(ASK, &req);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sy_buf out;
		sy_buf_init(&out, 0);
		assert_int_equal(ad->answer(bad[i], strlen(bad[i]), &req, &out), SY_EPROTO);
		assert_int_equal(out.len, 0);
		sy_buf_release(&out);
	}
	dp_request_release(&req);
}

/* A documented alt=sse stream (CRLF framing), thoughts first, a function call, usage last. */
static void test_stream_sse(void **state)
{
	static const char sse[] =
	    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hmm\", \"thought\": "
	    "true}],"
	    "\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,"
	    "\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n"
	    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The \"}],\"role\": "
	    "\"model\"},"
	    "\"index\": 0}],\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n"
	    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"weather \\u00e9\"},"
	    "{\"functionCall\": {\"name\": \"get_weather\", \"args\": {\"city\": \"Paris\"}}}],"
	    "\"role\": \"model\"},\"index\": 0}]}\r\n\r\n"
	    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": "
	    "\"now\"}}],"
	    "\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": "
	    "{\"promptTokenCount\": 9,\"candidatesTokenCount\": 12,\"totalTokenCount\": 31,"
	    "\"cachedContentTokenCount\": 2,\"thoughtsTokenCount\": 10}}\r\n\r\n";
	struct dp_response_stream st;
	json_t *chunks = test_stream_every_split(ad, ASK, sse, &st);
	assert_int_equal(json_array_size(chunks), 4);
	assert_string_equal(test_str(chunks, "0.choices.0.delta.role"), "assistant");
	assert_string_equal(test_str(chunks, "0.choices.0.delta.reasoning"), "Hmm");
	char *text = test_joined(chunks, "content");
	assert_string_equal(text, "The weather \xc3\xa9");
	free(text);
	/* whole calls, numbered across events */
	assert_int_equal(test_int(chunks, "2.choices.0.delta.tool_calls.0.index"), 0);
	assert_string_equal(test_str(chunks, "2.choices.0.delta.tool_calls.0.function.arguments"),
	                    "{\"city\":\"Paris\"}");
	assert_int_equal(test_int(chunks, "3.choices.0.delta.tool_calls.0.index"), 1);
	assert_string_equal(test_str(chunks, "3.choices.0.finish_reason"), "tool_calls");
	assert_string_equal(st.usage.finish_reason, "tool_calls");
	assert_int_equal(st.usage.tokens.prompt, 9);
	assert_int_equal(st.usage.tokens.cached, 2);
	assert_int_equal(st.usage.tokens.completion, 22);
	assert_int_equal(st.usage.tokens.reasoning, 10);
	json_decref(chunks);
}

static void test_stream_odd_and_malformed(void **state)
{
	struct test_stream ts;
	/* usage alone, an empty part list and unknown parts: no content, no failure */
	test_stream(ad, ASK,
	            "data: {\"usageMetadata\":{\"promptTokenCount\":3}}\n\n"
	            "data: {\"candidates\":[{\"content\":{\"parts\":[]},\"index\":0}]}\n\n"
	            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"executableCode\":{}}]}}],"
	            "\"somethingNew\":1}\n\n",
	            5, &ts);
	assert_int_equal(ts.rc, 0);
	assert_int_equal(ts.st.usage.tokens.prompt, 3);
	assert_false(ts.st.saw_content);
	json_decref(ts.chunks);
	static const char *const bad[] = {
	    "data: [{\"candidates\":[]}]\n\n",
	    "data: "
	    "{\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\n\n",
	    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{}}]}}]}\n\n",
	    "data: {\"candidates\":\"x\"}\n\n",
	    "data: {broken\n\n",
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
	static const char key[] =
	    "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API "
	    "key.\","
	    "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"reason\":\"API_KEY_INVALID\"}]}}";
	static const char ctx[] =
	    "{\"error\":{\"code\":400,\"message\":\"The input token count (1200000) exceeds the "
	    "maximum number of tokens allowed (1048576).\",\"status\":\"INVALID_ARGUMENT\"}}";
	static const char region[] = "{\"error\":{\"code\":400,\"message\":\"User location is not "
	                             "supported\",\"status\":\"FAILED_PRECONDITION\"}}";
	static const char arg[] = "{\"error\":{\"code\":400,\"message\":\"Invalid JSON payload\","
	                          "\"status\":\"INVALID_ARGUMENT\"}}";
	assert_int_equal(ad->classify(400, key, strlen(key)), DP_FAULT_CREDENTIAL);
	assert_int_equal(ad->classify(400, ctx, strlen(ctx)), DP_FAULT_CONTEXT_LENGTH);
	assert_int_equal(ad->classify(400, region, strlen(region)), DP_FAULT_PROVIDER);
	assert_int_equal(ad->classify(400, arg, strlen(arg)), DP_FAULT_CLIENT);
	assert_int_equal(ad->classify(403, "", 0), DP_FAULT_CREDENTIAL);
	assert_int_equal(ad->classify(429, "", 0), DP_FAULT_RATE_LIMITED);
	assert_int_equal(ad->classify(503, "", 0), DP_FAULT_PROVIDER);
	assert_int_equal(ad->classify(500, NULL, 0), DP_FAULT_PROVIDER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_request_variants),
	    cmocka_unit_test(test_request_refused),
	    cmocka_unit_test(test_answer_text),
	    cmocka_unit_test(test_answer_function_call),
	    cmocka_unit_test(test_answer_malformed),
	    cmocka_unit_test(test_stream_sse),
	    cmocka_unit_test(test_stream_odd_and_malformed),
	    cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
