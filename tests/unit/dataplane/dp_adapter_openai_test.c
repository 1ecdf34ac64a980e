/* dp_adapter_openai_test.c - the OpenAI-compatible adapter: the client's request goes out
 * nearly as it came, answers and chunks pass untranslated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test_adapter.h"

static const struct dp_adapter *ad = &dp_adapter_openai;

static void test_request(void **state)
{
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "openai", "https://api.openai.com/v1//", "gpt-4o-2024-08-06", 0);
	static const char *const drop[] = {"top_k", NULL};
	json_t *b = test_build(ad, &tt,
	                       "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"user\","
	                       "\"content\":\"hi\"}],\"top_k\":3,\"user\":\"u\",\"provider\":"
	                       "{\"order\":[\"openai\"]},\"stream\":true,\"seed\":1}",
	                       drop, &c);
	assert_string_equal(c.url, "https://api.openai.com/v1/chat/completions");
	assert_null(c.key_header); /* Authorization: Bearer */
	assert_null(c.headers);
	test_json_eq(b, "{\"model\":\"gpt-4o-2024-08-06\",\"messages\":[{\"role\":\"user\","
	                "\"content\":\"hi\"}],\"stream\":true,\"seed\":1,\"stream_options\":"
	                "{\"include_usage\":true}}");
	json_decref(b);
	dp_adapter_call_release(&c);
	dp_adapter_call_release(&c); /* idempotent */
}

#define HI "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

/* The reasoning member sent upstream for a request's reasoning fields, as JSON text ("" when
 * none is sent); no other reasoning form ever goes out. */
static const char *effort_sent(const char *extra)
{
	static char out[64];
	char req[512];
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "openai", "https://api.openai.com/v1", "o4", 1000);
	snprintf(req, sizeof(req), "{\"model\":\"m\"," HI "%s}", extra);
	json_t *b = test_build(ad, &tt, req, NULL, &c);
	assert_null(json_object_get(b, "reasoning"));
	assert_null(json_object_get(b, "include_reasoning"));
	assert_string_equal(test_str(b, "model"), "o4");
	json_t *e = json_object_get(b, "reasoning_effort");
	snprintf(out, sizeof(out), "%s", e ? json_string_value(e) : "");
	json_decref(b);
	dp_adapter_call_release(&c);
	return out;
}

static void test_reasoning_forms_become_reasoning_effort(void **state)
{
	assert_string_equal(effort_sent(",\"reasoning\":{\"effort\":\"high\"}"), "high");
	assert_string_equal(effort_sent(",\"reasoning_effort\":\"low\""), "low");
	assert_string_equal(effort_sent(",\"include_reasoning\":true"), "medium");
	assert_string_equal(effort_sent(",\"reasoning\":{}"), "medium");
	assert_string_equal(effort_sent(",\"reasoning\":{\"enabled\":false}"), "none");
	/* a budget becomes the effort nearest its share of max_tokens */
	assert_string_equal(effort_sent(",\"max_tokens\":1000,\"reasoning\":{\"max_tokens\":800}"),
	                    "high");
	assert_string_equal(effort_sent(",\"max_tokens\":1000,\"reasoning\":{\"max_tokens\":100}"),
	                    "minimal");
	assert_string_equal(effort_sent(",\"reasoning\":{\"exclude\":true,\"effort\":\"low\"},"
	                                "\"temperature\":1"),
	                    "low");
	/* include_reasoning: false asks for nothing (and hides the reasoning) */
	assert_string_equal(effort_sent(",\"include_reasoning\":false"), "");
	assert_string_equal(effort_sent(""), "");
}

/* Upstream reasoning_content is the client's reasoning; exclude drops it. */
static void test_reasoning_content_renamed(void **state)
{
	static const char ans[] =
	    "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{"
	    "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"4\","
	    "\"reasoning_content\":\"2+2\"},\"finish_reason\":\"stop\"}],\"usage\":{"
	    "\"prompt_tokens\":3,\"completion_tokens\":2}}";
	struct dp_response_usage u;
	json_t *j = test_answer(ad, "{\"model\":\"m\"," HI "}", ans, &u);
	assert_string_equal(test_str(j, "choices.0.message.reasoning"), "2+2");
	assert_null(test_path(j, "choices.0.message.reasoning_content"));
	json_decref(j);
	j = test_answer(ad, "{\"model\":\"m\"," HI ",\"reasoning\":{\"exclude\":true}}", ans, &u);
	assert_null(test_path(j, "choices.0.message.reasoning"));
	assert_null(test_path(j, "choices.0.message.reasoning_content"));
	assert_string_equal(test_str(j, "choices.0.message.content"), "4");
	json_decref(j);
	/* nothing to change: the answer stands untouched (the adapter writes nothing) */
	struct dp_chat_req req;
	struct sy_buf out;
	/* (usage's reasoning_tokens is not a reasoning member: no parse, no rewrite) */
	static const char plain[] = "{\"choices\":[{\"message\":{\"content\":\"4\"}}],\"usage\":"
	                            "{\"completion_tokens_details\":{\"reasoning_tokens\":3}}}";
	test_parse("{\"model\":\"m\"," HI "}", &req);
	sy_buf_init(&out, 0);
	assert_int_equal(ad->answer(plain, strlen(plain), &req, &out), 0);
	assert_int_equal(out.len, 0);
	dp_request_release(&req);
}

static void test_stream_reasoning_deltas(void **state)
{
	static const char sse[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
	    "data: [DONE]\n\n";
	struct test_stream ts;
	test_stream(ad, "{\"model\":\"m\"," HI ",\"stream\":true}", sse, 0, &ts);
	assert_int_equal(ts.rc, 0);
	assert_string_equal(test_str(ts.chunks, "0.choices.0.delta.reasoning"), "think");
	assert_null(test_path(ts.chunks, "0.choices.0.delta.reasoning_content"));
	json_decref(ts.chunks);
	test_stream(ad, "{\"model\":\"m\"," HI ",\"stream\":true,\"include_reasoning\":false}", sse,
	            0, &ts);
	assert_int_equal(ts.rc, 0);
	assert_null(test_path(ts.chunks, "0.choices.0.delta.reasoning"));
	assert_null(test_path(ts.chunks, "0.choices.0.delta.reasoning_content"));
	assert_string_equal(test_str(ts.chunks, "1.choices.0.delta.content"), "ok");
	json_decref(ts.chunks);
}

static void test_stream_passes_through(void **state)
{
	struct test_stream ts;
	test_stream(
	    ad, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
	    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n"
	    "data: [DONE]\n\n",
	    3, &ts);
	assert_int_equal(ts.rc, 0);
	assert_int_equal(json_array_size(ts.chunks), 3); /* [DONE] is ours to send */
	assert_string_equal(ts.st.usage.finish_reason, "stop");
	assert_int_equal(ts.st.usage.tokens.prompt, 3);
	json_decref(ts.chunks);
	test_stream(ad, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
	            "data: {\"error\":{\"message\":\"boom\"}}\n\n", 0, &ts);
	assert_int_equal(ts.rc, SY_EPROTO);
	json_decref(ts.chunks);
}

static void test_classify(void **state)
{
	static const char ctx[] = "{\"error\":{\"code\":\"context_length_exceeded\"}}";
	assert_int_equal(ad->classify(400, ctx, strlen(ctx)), DP_FAULT_CONTEXT_LENGTH);
	assert_int_equal(ad->classify(400, "{}", 2), DP_FAULT_CLIENT);
	assert_int_equal(ad->classify(422, "", 0), DP_FAULT_CLIENT);
	assert_int_equal(ad->classify(429, "", 0), DP_FAULT_RATE_LIMITED);
	/* as before the seam: a refused key is a provider fault like any other */
	assert_int_equal(ad->classify(401, "", 0), DP_FAULT_PROVIDER);
	assert_int_equal(ad->classify(503, "", 0), DP_FAULT_PROVIDER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_stream_passes_through),
	    cmocka_unit_test(test_reasoning_forms_become_reasoning_effort),
	    cmocka_unit_test(test_reasoning_content_renamed),
	    cmocka_unit_test(test_stream_reasoning_deltas),
	    cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
