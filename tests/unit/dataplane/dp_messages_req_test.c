/* dp_messages_req_test.c - Anthropic Messages requests read as chat requests, from the
 * examples in Anthropic's documentation and the request Claude Code sends; refusals naming
 * their field; what only Anthropic can honour named for pass-through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_messages_req.h"
#include "dp_test_adapter.h"
#include "sy_err.h"

/* The chat body for a Messages body (must translate, with nothing Anthropic-only unless
 * native is given, which receives what was named). */
static json_t *translate_native(const char *body, char *native)
{
	json_t *in = json_loads(body, 0, NULL);
	char *out = NULL, err[256] = "";
	struct dp_messages_req_native nat = {{0}};
	assert_non_null(in);
	int rc = dp_messages_req_translate(in, false, &out, &nat, err, sizeof(err));
	json_decref(in);
	if (rc)
		fail_msg("refused: %s", err);
	if (native)
		strcpy(native, nat.what);
	else
		assert_string_equal(nat.what, "");
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	free(out);
	return j;
}

static json_t *translate(const char *body)
{
	return translate_native(body, NULL);
}

static void refused(const char *body, const char *needle)
{
	json_t *in = json_loads(body, JSON_DECODE_ANY, NULL);
	char *out = NULL, err[256] = "";
	struct dp_messages_req_native nat = {{0}};
	assert_non_null(in);
	assert_int_equal(dp_messages_req_translate(in, false, &out, &nat, err, sizeof(err)),
	                 SY_EINVAL);
	json_decref(in);
	if (!strstr(err, needle))
		fail_msg("\"%s\" does not name %s", err, needle);
}

/* The documented multi-turn example with a system prompt, an image, a tool round trip and a
 * thinking block sent back; OpenRouter's members kept. */
static void test_request(void **state)
{
	json_t *b = translate(
	    "{\"model\":\"anthropic/claude-sonnet-4.5\",\"max_tokens\":1024,"
	    "\"system\":[{\"type\":\"text\",\"text\":\"You are terse.\","
	    "\"cache_control\":{\"type\":\"ephemeral\"}}],"
	    "\"messages\":["
	    "{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
	    "\"media_type\":\"image/jpeg\",\"data\":\"/9j/4AAQ\"}},"
	    "{\"type\":\"text\",\"text\":\"What is the weather where this was taken?\"}]},"
	    "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"Paris.\","
	    "\"signature\":\"EqQBCg\"},{\"type\":\"text\",\"text\":\"Let me check.\"},"
	    "{\"type\":\"tool_use\",\"id\":\"toolu_01A09q90qw90lq917835lq9\",\"name\":"
	    "\"get_weather\",\"input\":{\"location\":\"Paris\"}}]},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":"
	    "\"toolu_01A09q90qw90lq917835lq9\",\"content\":[{\"type\":\"text\",\"text\":"
	    "\"15 degrees\"}]},{\"type\":\"text\",\"text\":\"Thanks\"}]},"
	    "{\"role\":\"assistant\",\"content\":\"You are welcome.\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"title\":\"a.pdf\","
	    "\"source\":{\"type\":\"url\",\"url\":\"https://example.com/a.pdf\"}}]}],"
	    "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Get the current weather\","
	    "\"input_schema\":{\"type\":\"object\",\"properties\":{\"location\":"
	    "{\"type\":\"string\"}},\"required\":[\"location\"]}}],"
	    "\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true},"
	    "\"stop_sequences\":[\"END\"],\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,"
	    "\"metadata\":{\"user_id\":\"u-42\"},\"stream\":true,"
	    "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},"
	    "\"provider\":{\"order\":[\"anthropic\"]},\"models\":[\"a/b\"],\"session_id\":\"s1\"}");
	test_json_eq(
	    b,
	    "{\"model\":\"anthropic/claude-sonnet-4.5\",\"max_tokens\":1024,\"messages\":["
	    "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"You are terse.\","
	    "\"cache_control\":{\"type\":\"ephemeral\"}}]},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
	    "\"data:image/jpeg;base64,/9j/4AAQ\"}},{\"type\":\"text\",\"text\":"
	    "\"What is the weather where this was taken?\"}]},"
	    "{\"role\":\"assistant\",\"content\":\"Let me check.\",\"tool_calls\":[{\"id\":"
	    "\"toolu_01A09q90qw90lq917835lq9\",\"type\":\"function\",\"function\":{\"name\":"
	    "\"get_weather\",\"arguments\":\"{\\\"location\\\":\\\"Paris\\\"}\"}}],"
	    "\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"Paris.\","
	    "\"format\":\"anthropic-claude-v1\",\"signature\":\"EqQBCg\"}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"toolu_01A09q90qw90lq917835lq9\","
	    "\"content\":\"15 degrees\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Thanks\"}]},"
	    "{\"role\":\"assistant\",\"content\":\"You are welcome.\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\","
	    "\"file_data\":\"https://example.com/a.pdf\"}}]}],"
	    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
	    "\"description\":\"Get the current weather\",\"parameters\":{\"type\":\"object\","
	    "\"properties\":{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]}}}],"
	    "\"tool_choice\":\"required\",\"parallel_tool_calls\":false,\"stop\":[\"END\"],"
	    "\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,\"user\":\"u-42\",\"stream\":true,"
	    "\"reasoning\":{\"max_tokens\":2048},\"provider\":{\"order\":[\"anthropic\"]},"
	    "\"models\":[\"a/b\"],\"session_id\":\"s1\"}");
	json_decref(b);

	/* Claude Code's shape: adaptive thinking, effort, a no-op context edit, a system turn */
	b = translate("{\"model\":\"m\",\"max_tokens\":10,\"thinking\":{\"type\":\"adaptive\"},"
	              "\"output_config\":{\"effort\":\"max\"},\"context_management\":{\"edits\":"
	              "[{\"type\":\"clear_thinking_20251015\",\"keep\":\"all\"}]},"
	              "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"},"
	              "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
	              "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"env\"}]}]}");
	test_json_eq(b, "{\"model\":\"m\",\"max_tokens\":10,\"messages\":["
	                "{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"system\",\"content\":"
	                "[{\"type\":\"text\",\"text\":\"env\"}]}],\"reasoning\":{\"effort\":"
	                "\"xhigh\"},\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":"
	                "\"f\"}}}");
	json_decref(b);
}

static void test_request_refused(void **state)
{
	static const char *const msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
	char body[512];
	static const struct {
		const char *extra, *needle;
	} cases[] = {
	    {"\"max_tokens\":0", "max_tokens"},
	    {"\"max_tokens\":\"9\"", "max_tokens"},
	    {"\"max_tokens\":9,\"thinking\":{\"type\":\"on\"}", "thinking"},
	    {"\"max_tokens\":9,\"metadata\":{\"tenant\":\"a\"}", "metadata.tenant"},
	    {"\"max_tokens\":9,\"tool_choice\":{\"type\":\"some\"}", "tool_choice"},
	    {"\"max_tokens\":9,\"tools\":[{\"name\":\"f\"}]", "tools[0]"},
	    {"\"max_tokens\":9,\"system\":[{\"type\":\"image\"}]", "system[0]"},
	    {"\"max_tokens\":9,\"output_config\":7", "output_config"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"model\":\"m\",%s,%s}", cases[i].extra, msgs);
		refused(body, cases[i].needle);
	}
	refused("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[]}", "messages");
	refused("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"bot\","
	        "\"content\":\"x\"}]}",
	        "messages[0].role");
	refused("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":"
	        "[{\"type\":\"image\",\"source\":{\"type\":\"file\"}}]}]}",
	        "messages[0].content[0].source");
	refused("{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"assistant\","
	        "\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":[]}]}]}",
	        "messages[0].content[0]");
	refused("[1]", "JSON object");
}

/* What has no chat counterpart is left out of the chat body and named (the first of them). */
static void test_native_only(void **state)
{
	static const struct {
		const char *extra, *what;
	} cases[] = {
	    {"\"container\":\"c1\"", "container"},
	    {"\"mcp_servers\":[]", "mcp_servers"},
	    {"\"context_management\":{\"edits\":[{\"type\":\"clear_tool_uses_20250919\"}]}",
	     "context_management"},
	    {"\"output_config\":{\"task_budget\":5}", "output_config.task_budget"},
	    {"\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]",
	     "tools[0] (type \"web_search_20250305\")"},
	};
	char body[512], what[160];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		         "{\"model\":\"m\",\"max_tokens\":9,%s,\"messages\":[{\"role\":\"user\","
		         "\"content\":\"x\"}]}",
		         cases[i].extra);
		json_t *b = translate_native(body, what);
		assert_string_equal(what, cases[i].what);
		assert_null(json_object_get(b, "container"));
		assert_int_equal(json_array_size(json_object_get(b, "tools")), 0);
		json_decref(b);
	}
	json_t *b = translate_native(
	    "{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":["
	    "{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"search_result\",\"source\":\"s\"},"
	    "{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":[{\"type\":\"image\"}]}]}]"
	    "}",
	    what);
	assert_string_equal(what, "messages[0].content[1] (type \"search_result\")");
	test_json_eq(json_object_get(b, "messages"),
	             "[{\"role\":\"tool\",\"tool_call_id\":\"t\",\"content\":\"\"},"
	             "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}]");
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_request_refused),
	    cmocka_unit_test(test_native_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
