/* mock_anthropic_test.c - the mock's Messages API: requests read into a plan, messages and
 * named stream events rendered as Anthropic documents them. */
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

/* Plan the answer to an Anthropic request text, as mock_http does. */
static void plan(struct mock_plan *p, const char *request, const struct mock_opts *o)
{
	const char *why = NULL;
	bool thinking;
	json_t *native = json_loads(request, 0, NULL);
	assert_non_null(native);
	json_t *req = mock_anthropic_request(native, &thinking, &why);
	if (!req)
		fail_msg("refused: %s", why);
	assert_int_equal(mock_plan_init(p, req, o, "msg_test", 7, &why), 0);
	p->format = MOCK_ANTHROPIC;
	if (thinking)
		mock_plan_think(p, o);
	json_decref(req);
	json_decref(native);
}

static json_t *message(const struct mock_plan *p)
{
	char *s = mock_reply_completion(p);
	json_t *j = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(j);
	return j;
}

/* The whole stream as [{"event": name, "data": {...}}, ...]; every event's name must be its
 * data's type. */
static json_t *stream(const struct mock_plan *p)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	for (unsigned i = 0; i < mock_stream_nevents(p); i++)
		assert_int_equal(mock_stream_event(p, i, &b), 0);
	json_t *events = json_array();
	char *save = NULL;
	for (char *ev = strtok_r(b.data, "\n", &save); ev; ev = strtok_r(NULL, "\n", &save)) {
		char *data = strtok_r(NULL, "\n", &save);
		assert_non_null(data);
		assert_memory_equal(ev, "event: ", 7);
		assert_memory_equal(data, "data: ", 6);
		json_t *d = json_loads(data + 6, 0, NULL);
		assert_non_null(d);
		assert_string_equal(json_string_value(json_object_get(d, "type")), ev + 7);
		json_array_append_new(events, d);
	}
	sy_buf_release(&b);
	return events;
}

static const char *type_of(const json_t *events, size_t i)
{
	return json_string_value(json_object_get(json_array_get(events, i), "type"));
}

static void test_text_answer_and_stream(void **state)
{
	struct mock_opts o;
	struct mock_plan p;
	mock_opts_init(&o);
	o.tokens = 3;
	o.cached = 4;
	plan(&p,
	     "{\"model\":\"echo\",\"max_tokens\":100,\"system\":\"Be brief, please.\","
	     "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]"
	     "}]}",
	     &o);
	p.cache_write_tokens = 2;
	p.prompt_tokens = 10;
	json_t *m = message(&p);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "message");
	assert_string_equal(json_string_value(json_object_get(m, "stop_reason")), "end_turn");
	json_t *c = json_array_get(json_object_get(m, "content"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "text")), "tok0 tok1 tok2");
	json_t *u = json_object_get(m, "usage");
	assert_int_equal(json_integer_value(json_object_get(u, "input_tokens")), 4);
	assert_int_equal(json_integer_value(json_object_get(u, "cache_read_input_tokens")), 4);
	assert_int_equal(json_integer_value(json_object_get(u, "cache_creation_input_tokens")), 2);
	assert_int_equal(json_integer_value(json_object_get(u, "output_tokens")), 3);
	json_decref(m);

	json_t *ev = stream(&p);
	static const char *const order[] = {"message_start",       "ping",
	                                    "content_block_start", "content_block_delta",
	                                    "content_block_delta", "content_block_delta",
	                                    "content_block_stop",  "message_delta",
	                                    "message_stop"};
	assert_int_equal(json_array_size(ev), 9);
	for (size_t i = 0; i < 9; i++)
		assert_string_equal(type_of(ev, i), order[i]);
	json_t *md = json_array_get(ev, 7);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(md, "delta"), "stop_reason")),
	    "end_turn");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(md, "usage"), "output_tokens")), 3);
	json_decref(ev);
	mock_plan_release(&p);
}

static void test_tool_use_and_thinking(void **state)
{
	struct mock_opts o;
	struct mock_plan p;
	mock_opts_init(&o);
	plan(&p,
	     "{\"model\":\"echo\",\"max_tokens\":100,\"thinking\":{\"type\":\"enabled\","
	     "\"budget_tokens\":1024},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	     "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\","
	     "\"properties\":{\"location\":{\"type\":\"string\"}}}}]}",
	     &o);
	assert_int_equal(p.nthink, MOCK_THINK_TOKENS);
	assert_int_equal(p.reasoning_tokens, MOCK_THINK_TOKENS);
	json_t *m = message(&p);
	json_t *content = json_object_get(m, "content");
	json_t *th = json_array_get(content, 0), *tu = json_array_get(content, 1);
	assert_string_equal(json_string_value(json_object_get(th, "type")), "thinking");
	assert_string_equal(json_string_value(json_object_get(th, "thinking")),
	                    "thought0 thought1 thought2 thought3");
	assert_non_null(json_string_value(json_object_get(th, "signature")));
	assert_string_equal(json_string_value(json_object_get(tu, "type")), "tool_use");
	assert_string_equal(json_string_value(json_object_get(tu, "id")), "toolu_7");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(tu, "input"), "location")), "Paris");
	assert_string_equal(json_string_value(json_object_get(m, "stop_reason")), "tool_use");
	json_decref(m);

	/* the stream: the thinking block, then the tool_use block's start and its fragments */
	json_t *ev = stream(&p);
	struct sy_buf args;
	sy_buf_init(&args, 0);
	size_t i;
	json_t *e;
	bool signed_ = false;
	json_array_foreach(ev, i, e)
	{
		json_t *d = json_object_get(e, "delta");
		const char *dt = json_string_value(json_object_get(d, "type"));
		if (dt && !strcmp(dt, "input_json_delta"))
			sy_buf_puts(&args, json_string_value(json_object_get(d, "partial_json")));
		signed_ |= dt && !strcmp(dt, "signature_delta");
	}
	assert_true(signed_);
	assert_string_equal(args.data, "{\"location\":\"Paris\"}");
	sy_buf_release(&args);
	json_decref(ev);
	mock_plan_release(&p);
}

static void test_tool_result_ends_the_round_trip(void **state)
{
	struct mock_opts o;
	struct mock_plan p;
	mock_opts_init(&o);
	plan(&p,
	     "{\"model\":\"echo\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":"
	     "\"hi\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\","
	     "\"name\":\"f\",\"input\":{}}]},{\"role\":\"user\",\"content\":[{\"type\":"
	     "\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"18C\"}]}],\"tools\":[{\"name\":"
	     "\"f\",\"input_schema\":{\"type\":\"object\"}}]}",
	     &o);
	assert_null(p.tool_name);
	assert_string_equal(p.finish, "stop");
	mock_plan_release(&p);
}

static void test_request_refused(void **state)
{
	static const char *const bad[] = {
	    "{\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
	    "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}",
	    "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"tool\",\"content\":"
	    "\"x\"}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		bool thinking;
		json_t *native = json_loads(bad[i], 0, NULL);
		assert_null(mock_anthropic_request(native, &thinking, &why));
		assert_non_null(why);
		json_decref(native);
	}
	char *e = mock_anthropic_error("overloaded_error", "Overloaded");
	assert_string_equal(e, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
	                       "\"message\":\"Overloaded\"}}");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_answer_and_stream),
	    cmocka_unit_test(test_tool_use_and_thinking),
	    cmocka_unit_test(test_tool_result_ends_the_round_trip),
	    cmocka_unit_test(test_request_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
