/* dp_response_test.c - rewriting upstream responses and chunks into OpenRouter's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dp_response.h"
#include "sy_err.h"
#include "sy_json.h"

static const struct dp_gen_info gen = {
    .id = "gen-1700000000-abcdefghij0123456789",
    .created = 1700000000,
    .provider_name = "OpenAI",
    .model = "openai/gpt-4o",
};

static const char *str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	if (!s)
		fail_msg("%s is not a string", key);
	return s;
}

static json_int_t num(const json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

/* Parse a rewritten JSON text (and free it). */
static json_t *load(char *text)
{
	assert_non_null(text);
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("not JSON (%s): %s", e.text, text);
	free(text);
	return j;
}

static void check_identity(const json_t *j, const char *object)
{
	assert_string_equal(str(j, "id"), gen.id);
	assert_string_equal(str(j, "object"), object);
	assert_int_equal(num(j, "created"), gen.created);
	assert_string_equal(str(j, "provider"), "OpenAI");
	assert_string_equal(str(j, "model"), "openai/gpt-4o");
}

static void test_non_streaming_response(void **state)
{
	const char *body =
	    "{\"id\":\"chatcmpl-upstream\",\"object\":\"chat.completion\",\"created\":1,"
	    "\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_1\","
	    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi!\"},"
	    "\"finish_reason\":\"stop\"}],"
	    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,"
	    "\"prompt_tokens_details\":{\"cached_tokens\":8},"
	    "\"completion_tokens_details\":{\"reasoning_tokens\":1}}}";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	assert_true(u.from_provider);
	assert_int_equal(u.tokens.prompt, 12);
	assert_int_equal(u.tokens.completion, 3);
	assert_int_equal(u.tokens.cached, 8);
	assert_int_equal(u.tokens.cache_write, 0);
	assert_int_equal(u.tokens.reasoning, 1);
	assert_string_equal(u.finish_reason, "stop");
	assert_string_equal(u.native_finish_reason, "stop");

	json_t *out = load(dp_response_finish(&r, &gen, &u, 1234500000)); /* $0.12345 */
	check_identity(out, "chat.completion");
	assert_string_equal(str(out, "system_fingerprint"), "fp_1");
	json_t *c0 = json_array_get(json_object_get(out, "choices"), 0);
	assert_string_equal(str(c0, "finish_reason"), "stop");
	assert_string_equal(str(c0, "native_finish_reason"), "stop");
	assert_string_equal(str(json_object_get(c0, "message"), "content"), "Hi!");
	json_t *usage = json_object_get(out, "usage");
	assert_int_equal(num(usage, "prompt_tokens"), 12);
	assert_int_equal(num(usage, "completion_tokens"), 3);
	assert_int_equal(num(usage, "total_tokens"), 15);
	assert_true(json_real_value(json_object_get(usage, "cost")) == 0.12345);
	assert_true(json_is_false(json_object_get(usage, "is_byok")));
	assert_int_equal(num(json_object_get(usage, "prompt_tokens_details"), "cached_tokens"), 8);
	assert_int_equal(num(json_object_get(usage, "prompt_tokens_details"), "cache_write_tokens"),
	                 0);
	assert_int_equal(
	    num(json_object_get(usage, "completion_tokens_details"), "reasoning_tokens"), 1);
	json_t *cd = json_object_get(usage, "cost_details");
	assert_non_null(json_object_get(cd, "upstream_inference_cost"));
	assert_true(json_is_null(json_object_get(cd, "upstream_inference_cost")));
	json_decref(out);
}

/* The usage member exactly as dp_response_finish writes it. */
static char *usage_text(const struct dp_response_usage *u, sy_money cost)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(dp_response_usage_put(&b, u, cost), 0);
	return b.data;
}

static void test_finish_keeps_the_rest_byte_for_byte(void **state)
{
	/* whitespace between members goes; every value that is not ours is copied as is, in
	 * place, escapes, number spellings and inner whitespace included */
	const char *body =
	    " {\"id\" : \"chatcmpl-x\", \"object\":\"chat.completion\",\"created\":1,"
	    "\"model\":\"gpt\",\"system_fingerprint\":\"fp\",\"choices\":[{\"index\":0,"
	    "\"message\":{\"role\":\"assistant\",\"content\":\"h\\u00e9 \\\"q\\\" "
	    "\\ud83d\\ude00\"},"
	    "\"logprobs\":null,\"finish_reason\":\"stop\"}],"
	    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},"
	    "\"x_extra\":{ \"a\" : [1, 2.5e3, true] }}\n";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	char *usage = usage_text(&u, 0);
	char want[2048];
	snprintf(
	    want, sizeof(want),
	    "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":1700000000,"
	    "\"model\":\"openai/gpt-4o\",\"system_fingerprint\":\"fp\",\"choices\":[{\"index\":0,"
	    "\"message\":{\"role\":\"assistant\",\"content\":\"h\\u00e9 \\\"q\\\" "
	    "\\ud83d\\ude00\"},\"logprobs\":null,\"finish_reason\":\"stop\","
	    "\"native_finish_reason\":\"stop\"}],\"usage\":%s,"
	    "\"x_extra\":{ \"a\" : [1, 2.5e3, true] },\"provider\":\"OpenAI\"}",
	    gen.id, usage);
	char *got = dp_response_finish(&r, &gen, &u, 0);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(usage);
}

static void test_finish_duplicates_and_escaped_names(void **state)
{
	/* jansson's reading: the last of duplicates, at the place of the first; names may be
	 * written with escapes */
	const char *body = "{\"choices\":[{\"finish_reason\":\"length\"}],\"model\":\"a\","
	                   "\"ch\\u006fices\":[{\"fin\\u0069sh_reason\":\"end_turn\","
	                   "\"native_finish_reason\":\"x\",\"finish_reason\":\"refusal\"}],"
	                   "\"model\":\"b\",\"k\":1,\"k\":2,\"usage\":null}";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	assert_false(u.from_provider);
	assert_string_equal(u.native_finish_reason, "refusal");
	assert_string_equal(u.finish_reason, "content_filter");
	char *usage = usage_text(&u, 0);
	char want[1024];
	snprintf(want, sizeof(want),
	         "{\"choices\":[{\"finish_reason\":\"content_filter\","
	         "\"native_finish_reason\":\"refusal\"}],\"model\":\"openai/gpt-4o\",\"k\":1,"
	         "\"k\":2,\"usage\":%s,\"id\":\"%s\",\"object\":\"chat.completion\","
	         "\"created\":1700000000,\"provider\":\"OpenAI\",\"system_fingerprint\":null}",
	         usage, gen.id);
	char *got = dp_response_finish(&r, &gen, &u, 0);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(usage);
}

static void test_finish_escapes_our_strings(void **state)
{
	const char *body = "{\"choices\":[{}]}";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	struct dp_gen_info g = gen;
	g.provider_name = "Q\"uote\\d \xc3\xa9 \x01 bad\xff";
	g.model = NULL;
	json_t *out = load(dp_response_finish(&r, &g, &u, 0));
	assert_string_equal(str(out, "provider"), "Q\"uote\\d \xc3\xa9 \x01 bad\xef\xbf\xbd");
	assert_true(json_is_null(json_object_get(out, "model")));
	json_decref(out);
}

static void test_finish_reason_mapping(void **state)
{
	const char *map[][2] = {
	    {"stop", "stop"},
	    {"length", "length"},
	    {"tool_calls", "tool_calls"},
	    {"content_filter", "content_filter"},
	    {"function_call", "tool_calls"},
	    {"error", "error"},
	    {"end_turn", "stop"},
	    {"stop_sequence", "stop"},
	    {"pause_turn", "stop"},
	    {"max_tokens", "length"},
	    {"tool_use", "tool_calls"},
	    {"refusal", "content_filter"},
	    {"STOP", "stop"},
	    {"MAX_TOKENS", "length"},
	    {"SAFETY", "content_filter"},
	    {"RECITATION", "content_filter"},
	    {"BLOCKLIST", "content_filter"},
	    {"PROHIBITED_CONTENT", "content_filter"},
	    {"SPII", "content_filter"},
	    {"something_new", "stop"},
	    {"", "stop"},
	    {"Stop", "stop"},
	    {"LENGTH", "stop"}, /* spellings are exact: unknown ones are "stop" */
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *got = dp_response_finish_reason(map[i][0]);
		if (!got || strcmp(got, map[i][1]))
			fail_msg("%s -> %s, want %s", map[i][0], got ? got : "NULL", map[i][1]);
	}
	assert_null(dp_response_finish_reason(NULL));
}

static void test_usage_variants(void **state)
{
	const char *body =
	    "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":\"end_turn\"}],"
	    "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":-4,"
	    "\"cache_creation_input_tokens\":30,"
	    "\"prompt_tokens_details\":{\"cached_tokens\":99999999999}}}";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	assert_int_equal(u.tokens.prompt, 100);
	assert_int_equal(u.tokens.completion, 0);      /* negative clamps to 0 */
	assert_int_equal(u.tokens.cached, UINT32_MAX); /* huge clamps */
	assert_int_equal(u.tokens.cache_write, 30);
	assert_string_equal(u.finish_reason, "stop");
	assert_string_equal(u.native_finish_reason, "end_turn");

	body = "{\"choices\":[{\"message\":{},\"finish_reason\":\"length\"}],"
	       "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,"
	       "\"prompt_tokens_details\":{\"cache_write_tokens\":7,"
	       "\"cache_creation_input_tokens\":9}}}";
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	assert_int_equal(u.tokens.cache_write, 7); /* OpenRouter's name wins */
	assert_string_equal(u.finish_reason, "length");

	/* numbers that are not integers, or too big for 64 bits, are not counts */
	body = "{\"choices\":[{}],\"usage\":{\"prompt_tokens\":5.0,"
	       "\"completion_tokens\":99999999999999999999999,\"total_tokens\":1e3}}";
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	assert_true(u.from_provider);
	assert_int_equal(u.tokens.prompt, 0);
	assert_int_equal(u.tokens.completion, 0);
}

static void test_parse_rejects_non_completions(void **state)
{
	const char *bad[] = {
	    "not json",
	    "[1]",
	    "{}",
	    "{\"choices\":[]}",
	    "{\"choices\":{}}",
	    "{\"choices\":[1]}",
	    "{\"error\":{\"message\":\"overloaded\"},\"choices\":[{}]}",
	    "{\"error\":{\"code\":500,\"message\":\"boom\"}}",
	    "{\"choices\":[{}]",
	    "{\"choices\":[{}]} x",
	    "{\"choices\":[{\"message\":{\"content\":\"\xff\"}}]}",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dp_response r;
		struct dp_response_usage u;
		if (dp_response_parse(bad[i], strlen(bad[i]), &r, &u) != SY_EPROTO)
			fail_msg("accepted %s", bad[i]);
	}
	/* an error member that is null is no error */
	const char *ok = "{\"error\":null,\"choices\":[{}]}";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(ok, strlen(ok), &r, &u), 0);
}

static void test_parse_without_usage_counts(void **state)
{
	/* 10 + 3 characters of content and tool arguments -> ceil(13 / 4) = 4 tokens */
	const char *body =
	    "{\"choices\":[{\"message\":{\"content\":\"0123456789\","
	    "\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\\n\"}}]},"
	    "\"finish_reason\":\"tool_calls\"}]}";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	assert_false(u.from_provider);
	assert_int_equal(u.tokens.prompt, 0);
	assert_int_equal(u.tokens.completion, 4);
	assert_string_equal(u.finish_reason, "tool_calls");
}

static void test_finish_fills_missing_fields(void **state)
{
	const char *body = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"a\"},"
	                   "\"finish_reason\":\"MAX_TOKENS\"},{\"index\":1,\"message\":{}}],"
	                   "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
	struct dp_response r;
	struct dp_response_usage u;
	assert_int_equal(dp_response_parse(body, strlen(body), &r, &u), 0);
	json_t *out = load(dp_response_finish(&r, &gen, &u, 0));
	check_identity(out, "chat.completion");
	assert_non_null(json_object_get(out, "system_fingerprint"));
	assert_true(json_is_null(json_object_get(out, "system_fingerprint")));
	json_t *choices = json_object_get(out, "choices");
	assert_string_equal(str(json_array_get(choices, 0), "finish_reason"), "length");
	assert_string_equal(str(json_array_get(choices, 0), "native_finish_reason"), "MAX_TOKENS");
	json_t *c1 = json_array_get(choices, 1);
	assert_true(json_is_null(json_object_get(c1, "finish_reason")));
	assert_true(json_is_null(json_object_get(c1, "native_finish_reason")));
	assert_true(json_real_value(json_object_get(json_object_get(out, "usage"), "cost")) == 0);
	json_decref(out);
}

static void test_usage_json(void **state)
{
	struct dp_response_usage u = {.tokens = {.prompt = 4000000000u,
	                                         .completion = 4000000000u,
	                                         .cached = 5,
	                                         .cache_write = 6,
	                                         .reasoning = 7}};
	json_t *j = load(usage_text(&u, 25 * SY_MONEY_SCALE));
	assert_int_equal(num(j, "total_tokens"), 8000000000LL); /* no 32-bit wrap */
	assert_true(json_is_real(json_object_get(j, "cost")));
	assert_true(json_real_value(json_object_get(j, "cost")) == 25.0);
	assert_int_equal(num(json_object_get(j, "prompt_tokens_details"), "cache_write_tokens"), 6);
	json_decref(j);

	/* the cost is the exact decimal of the amount, as a real; cost_details splits it into
	 * the prompt and completion parts, which add up to it */
	char *text =
	    usage_text(&(struct dp_response_usage){.tokens = {.prompt = 11, .completion = 16},
	                                           .completion_cost = 2000000},
	               2460000);
	assert_string_equal(
	    text, "{\"prompt_tokens\":11,\"completion_tokens\":16,\"total_tokens\":27,"
	          "\"cost\":0.000246,\"is_byok\":false,\"prompt_tokens_details\":"
	          "{\"cached_tokens\":0,\"cache_write_tokens\":0},\"completion_tokens_details\":"
	          "{\"reasoning_tokens\":0},\"cost_details\":{\"upstream_inference_cost\":null,"
	          "\"upstream_inference_prompt_cost\":0.000046,"
	          "\"upstream_inference_completions_cost\":0.0002}}");
	free(text);
	text = usage_text(&(struct dp_response_usage){0}, 0);
	assert_non_null(strstr(text, "\"cost\":0.0,"));
	free(text);
	text = usage_text(&(struct dp_response_usage){0}, 1);
	assert_non_null(strstr(text, "\"cost\":0.0000000001,"));
	free(text);
	/* BYOK: upstream_inference_cost is the provider's bill, the whole cost */
	text = usage_text(&(struct dp_response_usage){.is_byok = true}, 2460000);
	assert_non_null(strstr(text, "\"is_byok\":true,"));
	assert_non_null(strstr(text, "\"upstream_inference_cost\":0.000246,"));
	free(text);
	text = usage_text(&(struct dp_response_usage){.is_byok = true}, 0);
	assert_non_null(strstr(text, "\"upstream_inference_cost\":0.0,"));
	free(text);
}

static char *rewrite(const char *chunk, struct dp_response_stream *st, int want_rc)
{
	char *out = (char *)1;
	int rc = dp_response_stream_rewrite(chunk, strlen(chunk), &gen, st, &out);
	if (rc != want_rc)
		fail_msg("rc %d for %s", rc, chunk);
	if (rc)
		assert_null(out);
	return out;
}

static void test_stream_chunks(void **state)
{
	struct dp_response_stream st = {0};
	/* role preamble: forwarded, but no content yet */
	json_t *j = load(rewrite("{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":5,"
	                         "\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
	                         "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
	                         &st, 0));
	check_identity(j, "chat.completion.chunk");
	json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
	assert_true(json_is_null(json_object_get(c0, "finish_reason")));
	assert_non_null(json_object_get(c0, "native_finish_reason"));
	assert_true(json_is_null(json_object_get(c0, "native_finish_reason")));
	assert_false(st.saw_content);
	assert_false(st.saw_finish);
	json_decref(j);

	j = load(rewrite("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello \xc3\xa9\"}}],"
	                 "\"usage\":null}",
	                 &st, 0));
	check_identity(j, "chat.completion.chunk");
	assert_null(json_object_get(j, "usage"));
	assert_string_equal(
	    str(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"),
	        "content"),
	    "Hello \xc3\xa9");
	assert_true(st.saw_content);
	assert_int_equal(st.counted_chars, 7);
	json_decref(j);

	/* reasoning and tool-call argument fragments count too */
	free(rewrite("{\"choices\":[{\"delta\":{\"reasoning\":\"abc\"}}]}", &st, 0));
	free(rewrite("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\","
	             "\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\"\"}}]}}]}",
	             &st, 0));
	assert_int_equal(st.counted_chars, 7 + 3 + 4);

	j = load(rewrite(
	    "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_use\"}]}", &st, 0));
	c0 = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(str(c0, "finish_reason"), "tool_calls");
	assert_string_equal(str(c0, "native_finish_reason"), "tool_use");
	assert_true(st.saw_finish);
	assert_string_equal(st.usage.finish_reason, "tool_calls");
	assert_string_equal(st.usage.native_finish_reason, "tool_use");
	json_decref(j);

	/* the usage-only chunk is recorded and swallowed */
	assert_false(st.usage.from_provider);
	assert_null(rewrite("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
	                    "\"completion_tokens\":4,\"completion_tokens_details\":"
	                    "{\"reasoning_tokens\":2}}}",
	                    &st, 0));
	assert_true(st.usage.from_provider);
	assert_int_equal(st.usage.tokens.prompt, 9);
	assert_int_equal(st.usage.tokens.completion, 4);
	assert_int_equal(st.usage.tokens.reasoning, 2);
	/* the provider's numbers stand */
	dp_response_stream_fill_usage(&st, 1000);
	assert_int_equal(st.usage.tokens.prompt, 9);
	assert_int_equal(st.usage.tokens.completion, 4);
}

static void test_stream_usage_with_choices_is_stripped(void **state)
{
	struct dp_response_stream st = {0};
	json_t *j = load(rewrite("{\"choices\":[{\"delta\":{\"content\":\"!\"},"
	                         "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
	                         "\"completion_tokens\":1}}",
	                         &st, 0));
	assert_null(json_object_get(j, "usage"));
	assert_true(st.usage.from_provider);
	assert_int_equal(st.usage.tokens.prompt, 3);
	assert_string_equal(st.usage.finish_reason, "stop");
	json_decref(j);
	/* a chunk without choices is dropped */
	assert_null(rewrite("{\"id\":\"x\",\"prompt_filter_results\":[]}", &st, 0));
}

static void test_stream_malformed(void **state)
{
	struct dp_response_stream st = {0};
	rewrite("{\"choices\":[{\"delta\":", &st, SY_EPROTO);
	rewrite("[DONE]", &st, SY_EPROTO);
	rewrite("42", &st, SY_EPROTO);
	rewrite("{\"choices\":\"x\"}", &st, SY_EPROTO);
	rewrite("{\"choices\":[\"x\"]}", &st, SY_EPROTO);
	rewrite("{\"error\":{\"message\":\"overloaded\",\"code\":529}}", &st, SY_EPROTO);
	assert_false(st.saw_content);
	assert_int_equal(st.counted_chars, 0);
}

static void test_stream_gateway_counting(void **state)
{
	struct dp_response_stream st = {0};
	free(rewrite("{\"choices\":[{\"delta\":{\"content\":\"123456789\"}}]}", &st, 0));
	free(rewrite("{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}", &st, 0));
	dp_response_stream_fill_usage(&st, 50);
	assert_false(st.usage.from_provider);
	assert_int_equal(st.usage.tokens.prompt, 50);
	assert_int_equal(st.usage.tokens.completion, 3); /* ceil(9 / 4) */
}

static void test_usage_chunk(void **state)
{
	struct dp_response_usage u = {.tokens = {.prompt = 10, .completion = 20, .cached = 2}};
	json_t *j = load(dp_response_usage_chunk(&gen, &u, 5000000)); /* $0.0005 */
	check_identity(j, "chat.completion.chunk");
	json_t *choices = json_object_get(j, "choices");
	assert_true(json_is_array(choices));
	assert_int_equal(json_array_size(choices), 0);
	json_t *usage = json_object_get(j, "usage");
	assert_int_equal(num(usage, "total_tokens"), 30);
	assert_true(json_real_value(json_object_get(usage, "cost")) == 0.0005);
	assert_int_equal(num(json_object_get(usage, "prompt_tokens_details"), "cached_tokens"), 2);
	json_decref(j);
}

static void test_error_chunk(void **state)
{
	json_t *j = load(dp_response_error_chunk(
	    &gen, 502, "upstream stream ended before finishing", "stream_cut"));
	check_identity(j, "chat.completion.chunk");
	json_t *err = json_object_get(j, "error");
	assert_int_equal(num(err, "code"), 502);
	assert_string_equal(str(err, "message"), "upstream stream ended before finishing");
	json_t *meta = json_object_get(err, "metadata");
	assert_string_equal(str(meta, "error_type"), "stream_cut");
	assert_string_equal(str(meta, "provider_name"), "OpenAI");
	json_t *choices = json_object_get(j, "choices");
	assert_int_equal(json_array_size(choices), 1);
	json_t *c0 = json_array_get(choices, 0);
	assert_int_equal(num(c0, "index"), 0);
	assert_string_equal(str(json_object_get(c0, "delta"), "content"), "");
	assert_string_equal(str(c0, "finish_reason"), "error");
	assert_string_equal(str(c0, "native_finish_reason"), "error");
	json_decref(j);

	/* before any provider answered there is no provider name */
	struct dp_gen_info g = gen;
	g.provider_name = NULL;
	j = load(dp_response_error_chunk(&g, 408, "timeout", "timeout"));
	meta = json_object_get(json_object_get(j, "error"), "metadata");
	assert_true(json_is_null(json_object_get(meta, "provider_name")));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_non_streaming_response),
	    cmocka_unit_test(test_finish_keeps_the_rest_byte_for_byte),
	    cmocka_unit_test(test_finish_duplicates_and_escaped_names),
	    cmocka_unit_test(test_finish_escapes_our_strings),
	    cmocka_unit_test(test_finish_reason_mapping),
	    cmocka_unit_test(test_usage_variants),
	    cmocka_unit_test(test_parse_rejects_non_completions),
	    cmocka_unit_test(test_parse_without_usage_counts),
	    cmocka_unit_test(test_finish_fills_missing_fields),
	    cmocka_unit_test(test_usage_json),
	    cmocka_unit_test(test_stream_chunks),
	    cmocka_unit_test(test_stream_usage_with_choices_is_stripped),
	    cmocka_unit_test(test_stream_malformed),
	    cmocka_unit_test(test_stream_gateway_counting),
	    cmocka_unit_test(test_usage_chunk),
	    cmocka_unit_test(test_error_chunk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
