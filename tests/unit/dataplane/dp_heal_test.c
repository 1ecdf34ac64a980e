/* dp_heal_test.c - response healing: a corpus of the broken JSON models write, the request's
 * plugins, and the answer and stream rewriting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_heal.h"
#include "sy_err.h"

/* What models answered when asked for JSON, and what the client should get (NULL: nothing
 * can be done, the content stays). Expected values are compared as JSON. */
static const struct {
	const char *in, *want;
} corpus[] = {
    /* fences and prose */
    {"```json\n{\"name\": \"Ada\", \"age\": 36}\n```", "{\"name\":\"Ada\",\"age\":36}"},
    {"```\n[1, 2, 3]\n```\n", "[1,2,3]"},
    {"Sure! Here is the JSON you asked for:\n\n{\"ok\": true}\n\nLet me know if you need "
     "anything else.",
     "{\"ok\":true}"},
    {"Here's the result: ```json\n{\"city\": \"Paris\", \"temp\": 21.5}\n``` Hope it helps!",
     "{\"city\":\"Paris\",\"temp\":21.5}"},
    /* truncated by max_tokens */
    {"{\"items\": [{\"id\": 1, \"title\": \"First\"}, {\"id\": 2, \"title\": \"Sec",
     "{\"items\":[{\"id\":1,\"title\":\"First\"},{\"id\":2,\"title\":\"Sec\"}]}"},
    {"{\"a\": 1, \"b\": ", "{\"a\":1,\"b\":null}"},
    {"{\"a\": 1, \"b\"", "{\"a\":1,\"b\":null}"},
    {"{\"a\": 1, ", "{\"a\":1}"},
    {"[1, 2, 3", "[1,2,3]"},
    {"{\"done\": tr", "{\"done\":true}"},
    {"{\"x\": nul", "{\"x\":null}"},
    {"{\"n\": 3.", "{\"n\":3.0}"},
    {"{\"n\": -", "{\"n\":-0}"},
    {"{\"s\": \"ends in an escape \\", "{\"s\":\"ends in an escape \"}"},
    {"{\"s\": \"half a code \\u00", "{\"s\":\"half a code \"}"},
    {"```json\n{\"steps\": [\"mix\", \"bake\"", "{\"steps\":[\"mix\",\"bake\"]}"},
    /* trailing and missing commas */
    {"{\"a\": 1, \"b\": 2,}", "{\"a\":1,\"b\":2}"},
    {"[1, 2, 3,]", "[1,2,3]"},
    {"{\"a\": [1, 2,], }", "{\"a\":[1,2]}"},
    {"{\"a\": 1 \"b\": 2}", "{\"a\":1,\"b\":2}"},
    {"[{\"a\": 1} {\"a\": 2}]", "[{\"a\":1},{\"a\":2}]"},
    /* JavaScript and Python habits */
    {"{name: \"Ada\", age: 36}", "{\"name\":\"Ada\",\"age\":36}"},
    {"{'name': 'Ada', 'tags': ['x', 'y']}", "{\"name\":\"Ada\",\"tags\":[\"x\",\"y\"]}"},
    {"{'quote': 'she said \"hi\"', 'it': 'it\\'s'}",
     "{\"quote\":\"she said \\\"hi\\\"\",\"it\":\"it's\"}"},
    {"{\"ok\": True, \"err\": None, \"retry\": False}",
     "{\"ok\":true,\"err\":null,\"retry\":false}"},
    {"{user_id: 7, is-admin: false}", "{\"user_id\":7,\"is-admin\":false}"},
    /* strings */
    {"{\"path\": \"C:\\Users\\ada\"}", "{\"path\":\"C:\\\\Users\\\\ada\"}"},
    {"{\"re\": \"\\d+\\.\\d+\"}", "{\"re\":\"\\\\d+\\\\.\\\\d+\"}"},
    {"{\"text\": \"line one\nline two\ttabbed\"}", "{\"text\":\"line one\\nline two\\ttabbed\"}"},
    {"{\"emoji\": \"\\ud83d\\ude00 and \\ud83d alone\"}",
     "{\"emoji\":\"\\ud83d\\ude00 and \\ufffd alone\"}"},
    {"{\"u\": \"\\uZZZZ\"}", "{\"u\":\"\\\\uZZZZ\"}"},
    {"{'caf\xc3\xa9': 'cr\xc3\xa8me',}", "{\"caf\xc3\xa9\":\"cr\xc3\xa8me\"}"},
    /* brackets */
    {"{\"a\": [1, 2}", "{\"a\":[1,2]}"},
    {"{\"a\": {\"b\": [1]]}", "{\"a\":{\"b\":[1]}}"},
    {"{\"a\": 1}} trailing", "{\"a\":1}"},
    /* a brace in the prose before the JSON */
    {"Use the {placeholder} syntax. {\"template\": \"x\"}", "{\"template\":\"x\"}"},
    /* not repairable: returned unchanged */
    {"I'm sorry, I can't help with that.", NULL},
    {"", NULL},
    {"{\"a\": }", NULL},
    {"{\"a\" 1}", NULL},
    {"{\"say\": \"he said \"hi\" to me\"}", NULL},
    {"[1, 2, 3]]]] ]", "[1,2,3]"},
    {"{\"a\": \"\xff\xfe\"}", NULL},
    {"{\"a\": 01}", NULL},
    {"[1, , 2]", NULL},
};

static void test_corpus(void **state)
{
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		char *out = (char *)"untouched";
		size_t outlen = 99;
		const char *in = corpus[i].in;
		enum dp_heal_status st = dp_heal_json(in, strlen(in), &out, &outlen);
		if (!corpus[i].want) {
			if (st != DP_HEAL_UNHEALABLE)
				fail_msg("corpus[%zu] %s: healed to %s", i, in, out ? out : "?");
			assert_null(out);
			assert_int_equal(outlen, 0);
			continue;
		}
		if (st != DP_HEAL_HEALED)
			fail_msg("corpus[%zu] %s: status %d", i, in, st);
		assert_int_equal(strlen(out), outlen);
		json_t *got = json_loadb(out, outlen, 0, NULL);
		json_t *want = json_loads(corpus[i].want, 0, NULL);
		assert_non_null(want);
		if (!got || !json_equal(got, want))
			fail_msg("corpus[%zu] %s: got %s, want %s", i, in, out, corpus[i].want);
		json_decref(got);
		json_decref(want);
		free(out);
	}
}

static void test_valid_is_left_alone(void **state)
{
	static const char *const valid[] = {"{\"a\": [1, 2.5e3, \"x\"]}", " [] ", "42",
	                                    "\"just a string\"", "null"};
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char *out = (char *)"untouched";
		size_t outlen = 1;
		assert_int_equal(dp_heal_json(valid[i], strlen(valid[i]), &out, &outlen),
		                 DP_HEAL_VALID);
		assert_null(out);
	}
	/* a NUL byte makes it invalid (jansson would stop there); nothing to repair */
	char *out;
	size_t outlen;
	assert_int_equal(dp_heal_json("{}\0x", 4, &out, &outlen), DP_HEAL_HEALED);
	assert_string_equal(out, "{}");
	free(out);
	assert_int_equal(dp_heal_json("{\"a\0\":1}", 8, &out, &outlen), DP_HEAL_UNHEALABLE);
}

static void test_deep_nesting_is_not_repaired(void **state)
{
	char deep[1000];
	memset(deep, '[', sizeof(deep));
	char *out;
	size_t outlen;
	assert_int_equal(dp_heal_json(deep, sizeof(deep), &out, &outlen), DP_HEAL_UNHEALABLE);
	/* 100 levels are closed */
	assert_int_equal(dp_heal_json(deep, 100, &out, &outlen), DP_HEAL_HEALED);
	assert_int_equal(outlen, 200);
	free(out);
}

static bool heal_of(const char *body_text, bool auto_json)
{
	json_t *body = json_loads(body_text, 0, NULL);
	assert_non_null(body);
	bool heal = dp_heal_wanted(body, auto_json);
	json_decref(body);
	return heal;
}

/* (dp_plugins_test checks the member itself: refusals of other plugins and bad shapes) */
static void test_request(void **state)
{
	assert_false(heal_of("{}", true));
	assert_true(heal_of("{\"plugins\": [{\"id\": \"response-healing\"}]}", false));
	assert_false(heal_of("{\"plugins\": null}", false));
	/* the operator's automatic healing for JSON formats, and a request turning it off */
	assert_false(heal_of("{\"response_format\": {\"type\": \"json_object\"}}", false));
	assert_true(heal_of("{\"response_format\": {\"type\": \"json_schema\"}}", true));
	assert_false(heal_of("{\"response_format\": {\"type\": \"text\"}}", true));
	assert_false(heal_of("{\"response_format\": {\"type\": \"json_object\"}, \"plugins\": "
	                     "[{\"id\": \"response-healing\", \"enabled\": false}]}",
	                     true));
}

static void test_answer(void **state)
{
	/* a number's text (money) must pass byte for byte: the answer is edited as text */
	char *a = strdup("{\"id\":\"gen-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
	                 "\"assistant\",\"content\":\"```json\\n{\\\"a\\\": 1,}\\n```\"},"
	                 "\"finish_reason\":\"stop\"}],\"usage\":{\"cost\":0.00012}}");
	assert_int_equal(dp_heal_answer(&a), DP_HEAL_HEALED);
	assert_string_equal(a, "{\"id\":\"gen-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
	                       "\"assistant\",\"content\":\"{\\\"a\\\":1}\",\"healed\":true},"
	                       "\"finish_reason\":\"stop\"}],\"usage\":{\"cost\":0.00012}}");
	free(a);

	const char *same[] = {
	    "{\"choices\":[{\"message\":{\"content\":\"{\\\"ok\\\": true}\"}}]}",
	    "{\"choices\":[{\"message\":{\"content\":\"no JSON here\"}}]}",
	    "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[]}}]}",
	};
	enum dp_heal_status want[] = {DP_HEAL_VALID, DP_HEAL_UNHEALABLE, DP_HEAL_OFF};
	for (size_t i = 0; i < 3; i++) {
		a = strdup(same[i]);
		assert_int_equal(dp_heal_answer(&a), want[i]);
		assert_string_equal(a, same[i]);
		free(a);
	}
}

static void test_stream(void **state)
{
	struct sy_buf acc;
	sy_buf_init(&acc, 0);
	const char *chunks[] = {
	    "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"{\\\"list\\\": [1, \"}}]}",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"2\"},\"finish_reason\":"
	    "\"length\"}]}",
	    "{\"choices\":[]}",
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(dp_heal_collect(&acc, chunks[i]), 0);
	assert_string_equal(acc.data, "{\"list\": [1, 2");
	char *usage = strdup("{\"id\":\"gen-1\",\"choices\":[],\"usage\":{\"cost\":0.5}}");
	assert_int_equal(dp_heal_stream_end(&acc, &usage), DP_HEAL_HEALED);
	assert_string_equal(usage, "{\"id\":\"gen-1\",\"choices\":[],\"usage\":{\"cost\":0.5},"
	                           "\"healing\":{\"status\":\"healed\",\"content\":"
	                           "\"{\\\"list\\\":[1,2]}\"}}");
	free(usage);
	sy_buf_reset(&acc);
	usage = strdup("{\"choices\":[]}");
	assert_int_equal(dp_heal_stream_end(&acc, &usage), DP_HEAL_OFF);
	assert_string_equal(usage, "{\"choices\":[]}");
	assert_int_equal(
	    dp_heal_collect(&acc, "{\"choices\":[{\"delta\":{\"content\":\"nope\"}}]}"), 0);
	assert_int_equal(dp_heal_stream_end(&acc, &usage), DP_HEAL_UNHEALABLE);
	assert_string_equal(usage, "{\"choices\":[],\"healing\":{\"status\":\"unhealable\"}}");
	free(usage);
	sy_buf_release(&acc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_valid_is_left_alone),
	    cmocka_unit_test(test_deep_nesting_is_not_repaired),
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_answer),
	    cmocka_unit_test(test_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
