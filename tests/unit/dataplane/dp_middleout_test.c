/* dp_middleout_test.c - dropping from the middle: what stays, tool calls kept whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_middleout.h"
#include "sy_err.h"

/* A message of role with n*4 characters of text: n tokens + DP_MIDDLEOUT_MESSAGE_TOKENS. */
static json_t *msg(const char *role, size_t n)
{
	char *text = malloc(n * 4 + 1);
	memset(text, 'x', n * 4);
	text[n * 4] = '\0';
	json_t *m = json_pack("{s:s,s:s}", "role", role, "content", text);
	free(text);
	return m;
}

/* "s u a u a ..." -> the kept pattern as a string of role letters, '-' for dropped. */
static const char *kept(const json_t *msgs, const bool *keep)
{
	static char s[64];
	size_t n = json_array_size(msgs);
	for (size_t i = 0; i < n; i++)
		s[i] = keep[i]
		           ? json_string_value(json_object_get(json_array_get(msgs, i), "role"))[0]
		           : '-';
	s[n] = '\0';
	return s;
}

/* Usage: a system prompt and ten turns of 96 + 4 tokens each, in a 700-token budget. */
static void test_drops_the_middle(void **state)
{
	json_t *msgs = json_array();
	json_array_append_new(msgs, msg("system", 96));
	for (int i = 0; i < 10; i++)
		json_array_append_new(msgs, msg(i % 2 ? "assistant" : "user", 96));
	bool keep[11];
	assert_int_equal(dp_middleout_plan(msgs, 700, keep), 4);
	/* system and the first user turn stay, the latest turns stay, the middle goes */
	assert_string_equal(kept(msgs, keep), "suau----aua");
	/* it fits: nothing dropped */
	assert_int_equal(dp_middleout_plan(msgs, 1100, keep), 0);
	assert_string_equal(kept(msgs, keep), "suauauauaua");
	/* an impossible budget keeps what must stay */
	assert_int_equal(dp_middleout_plan(msgs, 1, keep), 8);
	assert_string_equal(kept(msgs, keep), "su--------a");
	json_decref(msgs);
}

static void test_tool_results_go_with_their_call(void **state)
{
	json_t *msgs = json_array();
	const char *roles[] = {"user",      "assistant", "tool",      "tool", "user",
	                       "assistant", "tool",      "assistant", "user"};
	for (size_t i = 0; i < 9; i++)
		json_array_append_new(msgs, msg(roles[i], 96));
	bool keep[9];
	size_t d = dp_middleout_plan(msgs, 500, keep);
	const char *k = kept(msgs, keep);
	/* no tool result without the assistant turn before it */
	for (size_t i = 0; i < 9; i++)
		if (k[i] == 't') {
			size_t j = i;
			while (j > 0 && k[j - 1] == 't')
				j--;
			if (j == 0 || k[j - 1] != 'a')
				fail_msg("orphan tool result at %zu in %s", i, k);
		}
	assert_true(d > 0);
	assert_int_equal(k[0], 'u');
	assert_int_equal(k[8], 'u');
	json_decref(msgs);
}

static void test_transforms_checked_and_wanted(void **state)
{
	char err[256];
	struct dp_chat_req req;
	const char *ok[] = {
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}",
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"h\"}],"
	    "\"transforms\":[]}",
	    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"h\"}],"
	    "\"transforms\":[\"middle-out\"]}"};
	const bool small[] = {true, false, true}, large[] = {false, false, true};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(dp_request_parse(ok[i], strlen(ok[i]), &req, err, sizeof(err)), 0);
		assert_int_equal(dp_middleout_wanted(&req, 8192), small[i]);
		assert_int_equal(dp_middleout_wanted(&req, 128000), large[i]);
		assert_false(dp_middleout_wanted(&req, 0));
		dp_request_release(&req);
	}
	const char *bad = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"h\"}],"
	                  "\"transforms\":[\"compress\"]}";
	assert_int_equal(dp_request_parse(bad, strlen(bad), &req, err, sizeof(err)), SY_EINVAL);
	assert_string_equal(err, "transforms must be an array of transform names; the only one "
	                         "available is \"middle-out\"");
}

static void test_apply_builds_a_smaller_request(void **state)
{
	json_t *body =
	    json_pack("{s:s,s:i,s:o}", "model", "m", "max_tokens", 100, "messages", json_array());
	json_t *msgs = json_object_get(body, "messages");
	json_array_append_new(msgs, msg("system", 50));
	for (int i = 0; i < 20; i++)
		json_array_append_new(msgs, msg(i % 2 ? "assistant" : "user", 96));
	char *text = json_dumps(body, 0), err[256];
	struct dp_chat_req req, out = {0};
	assert_int_equal(dp_request_parse(text, strlen(text), &req, err, sizeof(err)), 0);
	assert_int_equal(dp_middleout_apply(&req, 1024, &out), 1);
	size_t n = json_array_size(json_object_get(out.body, "messages"));
	assert_true(n < 21 && n >= 3);
	/* within 1024 less the 100 completion tokens asked for: the system message is 54
	 * estimated tokens, each turn 100; and as many turns as fit */
	assert_true(54 + (n - 1) * 100 <= 924);
	assert_true(54 + n * 100 > 924);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(out.body, "messages"), 0), "role")),
	                    "system");
	assert_int_equal(json_integer_value(json_object_get(out.body, "max_tokens")), 100);
	dp_request_release(&out);
	/* a large context: nothing to do */
	assert_int_equal(dp_middleout_apply(&req, 128000, &out), 0);
	dp_request_release(&req);
	free(text);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drops_the_middle),
	    cmocka_unit_test(test_tool_results_go_with_their_call),
	    cmocka_unit_test(test_transforms_checked_and_wanted),
	    cmocka_unit_test(test_apply_builds_a_smaller_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
