/* mock_gemini_test.c - the mock's Gemini API: requests read into a plan, responses and SSE
 * events rendered as Google documents them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../mock/mock_reply.h"
#include "sy_err.h"
#include "sy_json.h"

static void plan(struct mock_plan *p, const char *request, bool stream, const struct mock_opts *o)
{
	const char *why = NULL;
	bool thinking;
	json_t *native = json_loads(request, 0, NULL);
	assert_non_null(native);
	json_t *req = mock_gemini_request(native, "gemini-mock", stream, &thinking, &why);
	if (!req)
		fail_msg("refused: %s", why);
	assert_int_equal(mock_plan_init(p, req, o, "resp1", 3, &why), 0);
	p->format = MOCK_GEMINI;
	if (thinking)
		mock_plan_think(p, o);
	json_decref(req);
	json_decref(native);
}

static json_t *response(const struct mock_plan *p)
{
	char *s = mock_reply_completion(p);
	json_t *j = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(j);
	return j;
}

static const json_t *part(const json_t *r, size_t i)
{
	return json_array_get(
	    json_object_get(
	        json_object_get(json_array_get(json_object_get(r, "candidates"), 0), "content"),
	        "parts"),
	    i);
}

static void test_response_and_stream(void **state)
{
	struct mock_opts o;
	struct mock_plan p;
	mock_opts_init(&o);
	o.tokens = 2;
	o.cached = 1;
	plan(
	    &p,
	    "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},\"contents\":[{\"role\":"
	    "\"user\",\"parts\":[{\"text\":\"hello there\"}]}],\"generationConfig\":{"
	    "\"maxOutputTokens\":50,\"thinkingConfig\":{\"includeThoughts\":true}}}",
	    true, &o);
	json_t *r = response(&p);
	assert_true(json_is_true(json_object_get(part(r, 0), "thought")));
	assert_string_equal(json_string_value(json_object_get(part(r, 1), "text")), "tok0 tok1");
	json_t *c = json_array_get(json_object_get(r, "candidates"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "finishReason")), "STOP");
	json_t *u = json_object_get(r, "usageMetadata");
	assert_int_equal(json_integer_value(json_object_get(u, "candidatesTokenCount")), 2);
	assert_int_equal(json_integer_value(json_object_get(u, "thoughtsTokenCount")), 4);
	assert_int_equal(json_integer_value(json_object_get(u, "cachedContentTokenCount")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "modelVersion")), "gemini-mock");
	json_decref(r);

	/* thoughts, 2 tokens, the finish: CRLF-framed data events, no [DONE] */
	assert_int_equal(mock_stream_nevents(&p), 4);
	for (unsigned i = 0; i < 4; i++) {
		struct sy_buf b;
		sy_buf_init(&b, 0);
		assert_int_equal(mock_stream_event(&p, i, &b), 0);
		assert_memory_equal(b.data, "data: ", 6);
		assert_memory_equal(b.data + b.len - 4, "\r\n\r\n", 4);
		json_t *e = json_loadb(b.data + 6, b.len - 10, 0, NULL);
		assert_non_null(e);
		assert_int_equal(json_object_get(e, "usageMetadata") != NULL, i == 3);
		json_decref(e);
		sy_buf_release(&b);
	}
	mock_plan_release(&p);
}

static void test_function_call_and_refusal(void **state)
{
	struct mock_opts o;
	struct mock_plan p;
	mock_opts_init(&o);
	plan(&p,
	     "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}],\"tools\":[{\"functionDeclarations\":"
	     "[{\"name\":\"find\",\"parameters\":{\"type\":\"object\",\"properties\":{\"n\":"
	     "{\"type\":\"integer\"}}}}]}]}",
	     false, &o);
	json_t *r = response(&p);
	json_t *fc = json_object_get(part(r, 0), "functionCall");
	assert_string_equal(json_string_value(json_object_get(fc, "name")), "find");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(fc, "args"), "n")), 42);
	json_decref(r);
	assert_int_equal(mock_stream_nevents(&p), 3); /* the call is one event */
	mock_plan_release(&p);

	/* a function's response ends the round trip; NONE calls nothing */
	plan(&p,
	     "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]},{\"role\":\"model\",\"parts\":[{"
	     "\"functionCall\":{\"name\":\"find\",\"args\":{}}}]},{\"role\":\"user\",\"parts\":[{"
	     "\"functionResponse\":{\"name\":\"find\",\"response\":{\"n\":1}}}]}],\"tools\":[{"
	     "\"functionDeclarations\":[{\"name\":\"find\"}]}]}",
	     false, &o);
	assert_null(p.tool_name);
	mock_plan_release(&p);

	plan(&p, "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}", false, &o);
	p.refusal = true;
	p.ntokens = 0;
	r = response(&p);
	assert_null(json_object_get(r, "candidates"));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "promptFeedback"), "blockReason")),
	    "SAFETY");
	json_decref(r);
	assert_int_equal(mock_stream_nevents(&p), 1);
	mock_plan_release(&p);
}

static void test_refused_and_errors(void **state)
{
	static const char *const bad[] = {"{}", "{\"contents\":[]}",
	                                  "{\"contents\":[{\"role\":\"system\",\"parts\":[]}]}",
	                                  "{\"contents\":[{\"role\":\"user\"}]}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		bool thinking;
		json_t *native = json_loads(bad[i], 0, NULL);
		assert_null(mock_gemini_request(native, "m", false, &thinking, &why));
		assert_non_null(why);
		json_decref(native);
	}
	char *e = mock_gemini_error(429, "RESOURCE_EXHAUSTED", "quota");
	assert_string_equal(
	    e,
	    "{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_response_and_stream),
	    cmocka_unit_test(test_function_call_and_refusal),
	    cmocka_unit_test(test_refused_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
