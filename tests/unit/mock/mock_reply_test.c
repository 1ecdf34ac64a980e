/* mock_reply_test.c - plans, prompt-token counting and the OpenAI body/chunk builders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../mock/mock_reply.h"
#include "sy_err.h"

/* Plan an answer to the JSON request text under options o (NULL = defaults). */
static int plan(struct mock_plan *p, const char *request, const struct mock_opts *o,
                const char **why)
{
	struct mock_opts def;
	mock_opts_init(&def);
	json_t *req = json_loads(request, 0, NULL);
	assert_non_null(req);
	int rc = mock_plan_init(p, req, o ? o : &def, "chatcmpl-test1", 7, why);
	json_decref(req);
	return rc;
}

static json_t *completion_json(const struct mock_plan *p)
{
	char *s = mock_reply_completion(p);
	assert_non_null(s);
	json_t *j = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(j);
	return j;
}

static json_int_t usage_field(const json_t *root, const char *field)
{
	json_t *u = json_object_get(root, "usage");
	assert_non_null(u);
	json_t *v = json_object_get(u, field);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* Render event i and parse its JSON (NULL for [DONE]). */
static json_t *event_json(const struct mock_plan *p, unsigned i)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(mock_stream_event(p, i, &b), 0);
	assert_true(b.len > 8);
	assert_memory_equal(b.data, "data: ", 6);
	assert_memory_equal(b.data + b.len - 2, "\n\n", 2);
	json_t *j = NULL;
	if (strcmp(b.data, "data: [DONE]\n\n") != 0) {
		j = json_loadb(b.data + 6, b.len - 8, 0, NULL);
		assert_non_null(j);
	}
	sy_buf_release(&b);
	return j;
}

static void test_completion_example(void **state)
{
	struct mock_plan p;
	const char *why = NULL;
	assert_int_equal(plan(&p,
	                      "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\","
	                      "\"content\":\"Hello there\"}]}",
	                      NULL, &why),
	                 0);
	json_t *j = completion_json(&p);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "chatcmpl-test1");
	assert_string_equal(json_string_value(json_object_get(j, "object")), "chat.completion");
	assert_true(json_integer_value(json_object_get(j, "created")) > 1600000000);
	assert_string_equal(json_string_value(json_object_get(j, "model")), "echo");
	assert_true(json_is_string(json_object_get(j, "system_fingerprint")));
	json_t *c = json_array_get(json_object_get(j, "choices"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "index")), 0);
	assert_true(json_is_null(json_object_get(c, "logprobs")));
	assert_string_equal(json_string_value(json_object_get(c, "finish_reason")), "stop");
	json_t *m = json_object_get(c, "message");
	assert_string_equal(json_string_value(json_object_get(m, "role")), "assistant");
	assert_string_equal(json_string_value(json_object_get(m, "content")),
	                    "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9 tok10 tok11 tok12 "
	                    "tok13 tok14 tok15");
	assert_null(json_object_get(m, "tool_calls"));
	assert_int_equal(usage_field(j, "prompt_tokens"), 3); /* 11 characters */
	assert_int_equal(usage_field(j, "completion_tokens"), 16);
	assert_int_equal(usage_field(j, "total_tokens"), 19);
	json_t *u = json_object_get(j, "usage");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(u, "prompt_tokens_details"), "cached_tokens")),
	                 0);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(u, "completion_tokens_details"), "reasoning_tokens")),
	                 0);
	json_decref(j);
	mock_plan_release(&p);
}

static unsigned count(const char *messages_json)
{
	json_t *m = json_loads(messages_json, 0, NULL);
	assert_non_null(m);
	unsigned n = mock_prompt_tokens(m);
	json_decref(m);
	return n;
}

static void test_prompt_tokens(void **state)
{
	assert_int_equal(count("[{\"role\":\"user\",\"content\":\"\"}]"), 1);
	assert_int_equal(count("[{\"role\":\"user\",\"content\":\"abcd\"}]"), 1);
	assert_int_equal(count("[{\"role\":\"user\",\"content\":\"abcde\"}]"), 2);
	/* code points, not bytes: 5 characters, 6 bytes */
	assert_int_equal(count("[{\"role\":\"user\",\"content\":\"h\\u00e9llo\"}]"), 2);
	assert_int_equal(
	    count("[{\"role\":\"user\",\"content\":\"\\u00e9\\u00e9\\u00e9\\u00e9\"}]"), 1);
	/* all messages, string and part-array contents; null content counts nothing */
	assert_int_equal(
	    count("[{\"role\":\"system\",\"content\":\"abc\"},"
	          "{\"role\":\"assistant\",\"content\":null},"
	          "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"defgh\"},"
	          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]"),
	    2);
	char big[600];
	strcpy(big, "[{\"role\":\"user\",\"content\":\"");
	size_t n = strlen(big);
	memset(big + n, 'x', 401);
	strcpy(big + n + 401, "\"}]");
	assert_int_equal(count(big), 101);
}

static void test_max_tokens_limits(void **state)
{
	struct mock_plan p;
	const char *why;
	assert_int_equal(plan(&p,
	                      "{\"model\":\"m\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\","
	                      "\"content\":\"x\"}]}",
	                      NULL, &why),
	                 0);
	assert_int_equal(p.ntokens, 3);
	assert_string_equal(p.finish, "length");
	json_t *j = completion_json(&p);
	json_t *c = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(c, "message"), "content")),
	    "tok0 tok1 tok2");
	assert_string_equal(json_string_value(json_object_get(c, "finish_reason")), "length");
	assert_int_equal(usage_field(j, "completion_tokens"), 3);
	json_decref(j);
	mock_plan_release(&p);

	assert_int_equal(plan(&p,
	                      "{\"model\":\"m\",\"max_completion_tokens\":100,\"max_tokens\":null,"
	                      "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
	                      NULL, &why),
	                 0);
	assert_int_equal(p.ntokens, 16);
	assert_string_equal(p.finish, "stop");
	mock_plan_release(&p);

	assert_int_equal(plan(&p,
	                      "{\"model\":\"m\",\"max_completion_tokens\":5,\"max_tokens\":9,"
	                      "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
	                      NULL, &why),
	                 0);
	assert_int_equal(p.ntokens, 5);
	mock_plan_release(&p);
}

static void test_bad_requests(void **state)
{
	const char *bad[] = {
	    "[]",
	    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
	    "{\"model\":\"\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
	    "{\"model\":\"m\"}",
	    "{\"model\":\"m\",\"messages\":[]}",
	    "{\"model\":\"m\",\"messages\":{}}",
	    "{\"model\":\"m\",\"messages\":[\"hi\"]}",
	    "{\"model\":\"m\",\"messages\":[{\"content\":\"hi\"}]}",
	    "{\"model\":\"m\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\"}]}",
	    "{\"model\":\"m\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\"}]}",
	    "{\"model\":\"m\",\"max_tokens\":\"5\",\"messages\":[{\"role\":\"user\"}]}",
	    "{\"model\":\"m\",\"tools\":{},\"messages\":[{\"role\":\"user\"}]}",
	    "{\"model\":\"m\",\"tools\":[{\"type\":\"function\"}],\"messages\":[{\"role\":\"user\"}"
	    "]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mock_plan p;
		const char *why = NULL;
		assert_int_equal(plan(&p, bad[i], NULL, &why), SY_EINVAL);
		assert_non_null(why);
	}
}

static const char *WEATHER_TOOLS =
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{"
    "\"type\":\"object\",\"properties\":{\"unit\":{\"type\":\"string\"},\"location\":{\"type\":"
    "\"string\"}},\"required\":[\"location\"]}}},{\"type\":\"function\",\"function\":{\"name\":"
    "\"other\"}}]";

static void test_tool_call_completion(void **state)
{
	struct mock_plan p;
	const char *why;
	char req[1024];
	snprintf(req, sizeof(req),
	         "{\"model\":\"m\",%s,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
	         WEATHER_TOOLS);
	assert_int_equal(plan(&p, req, NULL, &why), 0);
	json_t *j = completion_json(&p);
	json_t *c = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "finish_reason")), "tool_calls");
	json_t *m = json_object_get(c, "message");
	assert_true(json_is_null(json_object_get(m, "content")));
	json_t *tc = json_array_get(json_object_get(m, "tool_calls"), 0);
	assert_int_equal(json_array_size(json_object_get(m, "tool_calls")), 1);
	assert_string_equal(json_string_value(json_object_get(tc, "id")), "call_7");
	assert_string_equal(json_string_value(json_object_get(tc, "type")), "function");
	json_t *fn = json_object_get(tc, "function");
	assert_string_equal(json_string_value(json_object_get(fn, "name")), "get_weather");
	assert_string_equal(json_string_value(json_object_get(fn, "arguments")),
	                    "{\"location\":\"Paris\"}");
	/* ceil((11 + 20) / 4) */
	assert_int_equal(usage_field(j, "completion_tokens"), 8);
	json_decref(j);
	mock_plan_release(&p);

	/* tool_choice "none" answers with text */
	snprintf(req, sizeof(req),
	         "{\"model\":\"m\",%s,\"tool_choice\":\"none\",\"messages\":[{\"role\":\"user\","
	         "\"content\":\"x\"}]}",
	         WEATHER_TOOLS);
	assert_int_equal(plan(&p, req, NULL, &why), 0);
	assert_null(p.tool_name);
	assert_string_equal(p.finish, "stop");
	mock_plan_release(&p);
}

static char *args_of(const char *tool_json)
{
	json_t *t = json_loads(tool_json, 0, NULL);
	assert_non_null(t);
	char *s = mock_tool_args(t);
	json_decref(t);
	assert_non_null(s);
	return s;
}

static void test_tool_args(void **state)
{
	char *s = args_of("{\"function\":{\"name\":\"f\",\"parameters\":{\"properties\":{"
	                  "\"count\":{\"type\":\"integer\"},\"b\":{\"type\":\"string\"}}}}}");
	assert_string_equal(s, "{\"count\":42}"); /* the first property when none is required */
	free(s);
	s = args_of("{\"function\":{\"name\":\"f\",\"parameters\":{\"properties\":{"
	            "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"kelvin\"]}},"
	            "\"required\":[\"unit\"]}}}");
	assert_string_equal(s, "{\"unit\":\"celsius\"}");
	free(s);
	s = args_of("{\"function\":{\"name\":\"f\"}}");
	assert_string_equal(s, "{}");
	free(s);
}

/* reply=echo: the last user message comes back, whole or in pieces of at most 8 bytes that
 * never split a character. */
static void test_echo(void **state)
{
	struct mock_plan p;
	const char *why;
	struct mock_opts o;
	mock_opts_init(&o);
	char err[128];
	assert_int_equal(mock_opts_set(&o, "reply", "echo", err, sizeof(err)), 0);
	assert_true(o.echo);
	const char *req = "{\"model\":\"echo\",\"stream\":true,\"messages\":[{\"role\":"
	                  "\"user\",\"content\":\"first\"},{\"role\":\"assistant\",\"content\":"
	                  "\"x\"},{\"role\":\"user\",\"content\":\"{\\\"cafxy\xc3\xa9\\\": "
	                  "[1, 2,]}\"}]}";
	const char *want = "{\"cafxy\xc3\xa9\": [1, 2,]}"; /* 20 bytes: é is bytes 7 and 8 */
	assert_int_equal(plan(&p, req, &o, &why), 0);
	assert_int_equal(p.completion_tokens, 5); /* ceil(20 / 4) */
	assert_int_equal(mock_content_events(&p), 3);
	char text[64] = "";
	for (unsigned i = 1; i <= 3; i++) {
		json_t *j = event_json(&p, i);
		const char *piece = json_string_value(json_object_get(
		    json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"),
		    "content"));
		assert_non_null(piece); /* valid UTF-8, or jansson would have refused it */
		assert_true(strlen(piece) <= 8 + 3); /* moved past a character's tail */
		strcat(text, piece);
		json_decref(j);
	}
	assert_string_equal(text, want);
	p.stream = false;
	json_t *j = completion_json(&p);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"),
	        "content")),
	    want);
	json_decref(j);
	mock_plan_release(&p);
	assert_int_equal(mock_opts_set(&o, "reply", "other", err, sizeof(err)), SY_EINVAL);
}

static void test_stream_events(void **state)
{
	struct mock_plan p;
	const char *why;
	struct mock_opts o;
	mock_opts_init(&o);
	o.tokens = 3;
	assert_int_equal(plan(&p,
	                      "{\"model\":\"echo@tokens=3\",\"stream\":true,\"stream_options\":{"
	                      "\"include_usage\":true},\"messages\":[{\"role\":\"user\","
	                      "\"content\":\"abcdefgh\"}]}",
	                      &o, &why),
	                 0);
	assert_true(p.stream);
	assert_int_equal(mock_stream_nevents(&p), 7);
	char text[64] = "";
	for (unsigned i = 0; i < 6; i++) {
		json_t *j = event_json(&p, i);
		assert_string_equal(json_string_value(json_object_get(j, "id")), "chatcmpl-test1");
		assert_string_equal(json_string_value(json_object_get(j, "object")),
		                    "chat.completion.chunk");
		assert_string_equal(json_string_value(json_object_get(j, "model")),
		                    "echo@tokens=3");
		assert_int_equal(json_integer_value(json_object_get(j, "created")), p.created);
		json_t *choices = json_object_get(j, "choices");
		json_t *c = json_array_get(choices, 0);
		json_t *delta = json_object_get(c, "delta");
		json_t *finish = json_object_get(c, "finish_reason");
		switch (mock_stream_kind(&p, i)) {
		case MOCK_EV_ROLE:
			assert_int_equal(i, 0);
			assert_string_equal(json_string_value(json_object_get(delta, "role")),
			                    "assistant");
			assert_true(json_is_null(finish));
			break;
		case MOCK_EV_CONTENT:
			assert_null(json_object_get(delta, "role"));
			assert_true(json_is_null(finish));
			strcat(text, json_string_value(json_object_get(delta, "content")));
			break;
		case MOCK_EV_FINISH:
			assert_int_equal(i, 4);
			assert_int_equal(json_object_size(delta), 0);
			assert_string_equal(json_string_value(finish), "stop");
			assert_null(json_object_get(j, "usage"));
			break;
		case MOCK_EV_USAGE:
			assert_int_equal(i, 5);
			assert_int_equal(json_array_size(choices), 0);
			assert_int_equal(usage_field(j, "prompt_tokens"), 2);
			assert_int_equal(usage_field(j, "completion_tokens"), 3);
			assert_int_equal(usage_field(j, "total_tokens"), 5);
			break;
		case MOCK_EV_DONE:
			fail();
		}
		json_decref(j);
	}
	assert_string_equal(text, "tok0 tok1 tok2");
	assert_int_equal(mock_stream_kind(&p, 6), MOCK_EV_DONE);
	assert_null(event_json(&p, 6));
	mock_plan_release(&p);
}

static void test_usage_options(void **state)
{
	struct mock_plan p;
	const char *why;
	struct mock_opts o;
	mock_opts_init(&o);
	o.cached = 50;
	o.reasoning = 5;
	assert_int_equal(
	    plan(&p, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &o,
	         &why),
	    0);
	json_t *j = completion_json(&p);
	json_t *u = json_object_get(j, "usage");
	assert_int_equal(usage_field(j, "prompt_tokens"), 50); /* at least the cached ones */
	assert_int_equal(usage_field(j, "completion_tokens"), 21);
	assert_int_equal(usage_field(j, "total_tokens"), 71);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(u, "prompt_tokens_details"), "cached_tokens")),
	                 50);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(u, "completion_tokens_details"), "reasoning_tokens")),
	                 5);
	json_decref(j);
	mock_plan_release(&p);

	/* usage=none: no usage, not even the usage chunk that include_usage asks for */
	mock_opts_init(&o);
	o.usage_none = true;
	assert_int_equal(
	    plan(&p,
	         "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":"
	         "true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
	         &o, &why),
	    0);
	assert_int_equal(mock_stream_nevents(&p), 1 + 16 + 1 + 1);
	for (unsigned i = 0; i < mock_stream_nevents(&p); i++)
		assert_int_not_equal(mock_stream_kind(&p, i), MOCK_EV_USAGE);
	j = completion_json(&p);
	assert_null(json_object_get(j, "usage"));
	json_decref(j);
	mock_plan_release(&p);

	/* streaming without include_usage: no usage chunk */
	assert_int_equal(plan(&p,
	                      "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
	                      "\"content\":\"hi\"}]}",
	                      NULL, &why),
	                 0);
	assert_int_equal(mock_stream_nevents(&p), 1 + 16 + 1 + 1);
	mock_plan_release(&p);
}

static void test_stream_tool_call(void **state)
{
	struct mock_plan p;
	const char *why;
	char req[1024];
	snprintf(req, sizeof(req),
	         "{\"model\":\"m\",\"stream\":true,%s,\"messages\":[{\"role\":\"user\","
	         "\"content\":\"x\"}]}",
	         WEATHER_TOOLS);
	assert_int_equal(plan(&p, req, NULL, &why), 0);
	unsigned n = mock_stream_nevents(&p);
	assert_int_equal(n, 1 + 4 + 1 + 1); /* role, head + 3 fragments, finish, [DONE] */
	char args[128] = "";
	unsigned frags = 0;
	for (unsigned i = 1; i < n; i++) {
		if (mock_stream_kind(&p, i) != MOCK_EV_CONTENT)
			continue;
		json_t *j = event_json(&p, i);
		json_t *delta =
		    json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta");
		json_t *tc = json_array_get(json_object_get(delta, "tool_calls"), 0);
		assert_non_null(tc);
		assert_int_equal(json_integer_value(json_object_get(tc, "index")), 0);
		json_t *fn = json_object_get(tc, "function");
		const char *a = json_string_value(json_object_get(fn, "arguments"));
		assert_non_null(a);
		if (i == 1) {
			assert_string_equal(json_string_value(json_object_get(tc, "id")), "call_7");
			assert_string_equal(json_string_value(json_object_get(tc, "type")),
			                    "function");
			assert_string_equal(json_string_value(json_object_get(fn, "name")),
			                    "get_weather");
			assert_string_equal(a, "");
		} else {
			assert_null(json_object_get(tc, "id"));
			assert_null(json_object_get(fn, "name"));
			assert_true(strlen(a) > 0);
			frags++;
		}
		strcat(args, a);
		json_decref(j);
	}
	assert_int_equal(frags, 3);
	assert_string_equal(args, "{\"location\":\"Paris\"}");
	json_t *fin = event_json(&p, n - 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(fin, "choices"), 0),
	                                      "finish_reason")),
	    "tool_calls");
	json_decref(fin);
	mock_plan_release(&p);
}

static void test_stream_timing(void **state)
{
	struct mock_plan p;
	const char *why;
	struct mock_opts o;
	mock_opts_init(&o);
	o.ttft_ms = 100;
	o.tps = 10;
	o.tokens = 4;
	assert_int_equal(plan(&p,
	                      "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
	                      "\"content\":\"x\"}]}",
	                      &o, &why),
	                 0);
	/* role, tok0..tok3, finish, [DONE] */
	int64_t want[] = {100, 100, 200, 300, 400, 400, 400};
	assert_int_equal(mock_stream_nevents(&p), 7);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(mock_stream_due_ms(&p, i), want[i]);
	assert_int_equal(mock_stream_midpoint(&p), 3); /* after two of four tokens */
	p.tps = 0;
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(mock_stream_due_ms(&p, i), 100);
	mock_plan_release(&p);
}

static void test_error_body(void **state)
{
	char *s = mock_reply_error("too long", "invalid_request_error", "messages",
	                           "context_length_exceeded");
	json_t *j = json_loads(s, 0, NULL);
	free(s);
	json_t *e = json_object_get(j, "error");
	assert_string_equal(json_string_value(json_object_get(e, "message")), "too long");
	assert_string_equal(json_string_value(json_object_get(e, "type")), "invalid_request_error");
	assert_string_equal(json_string_value(json_object_get(e, "param")), "messages");
	assert_string_equal(json_string_value(json_object_get(e, "code")),
	                    "context_length_exceeded");
	json_decref(j);
	s = mock_reply_error("boom", "server_error", NULL, NULL);
	j = json_loads(s, 0, NULL);
	free(s);
	e = json_object_get(j, "error");
	assert_true(json_is_null(json_object_get(e, "param")));
	assert_true(json_is_null(json_object_get(e, "code")));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_completion_example),   cmocka_unit_test(test_prompt_tokens),
	    cmocka_unit_test(test_max_tokens_limits),    cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_tool_call_completion), cmocka_unit_test(test_tool_args),
	    cmocka_unit_test(test_stream_events),        cmocka_unit_test(test_usage_options),
	    cmocka_unit_test(test_stream_tool_call),     cmocka_unit_test(test_stream_timing),
	    cmocka_unit_test(test_error_body),           cmocka_unit_test(test_echo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
