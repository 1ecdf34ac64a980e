/* dp_skin_responses_test.c - OpenAI's Responses API as a client format: the documented
 * requests as chat requests, chat answers as Response objects, chat chunks as the typed event
 * stream (with its sequence numbers, a failure and a fail-over's rewind), refusals naming
 * their field, errors in OpenAI's envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_skin.h"
#include "dp_test_adapter.h"
#include "sy_err.h"

static const struct dp_skin *sk = &dp_skin_responses;

/* The chat body for a Responses body (asserting it is accepted); *st its state. */
static json_t *translate(const char *body, void **st)
{
	char *out = NULL, err[256] = "";
	*st = NULL;
	int rc = sk->request(body, strlen(body), NULL, st, &out, err, sizeof(err));
	if (rc)
		fail_msg("refused: %s", err);
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_non_null(*st);
	free(out);
	return j;
}

static void refused(const char *body, const char *needle)
{
	char *out = NULL, err[256] = "";
	void *st = NULL;
	assert_int_equal(sk->request(body, strlen(body), NULL, &st, &out, err, sizeof(err)),
	                 SY_EINVAL);
	assert_null(out);
	assert_null(st);
	if (!strstr(err, needle))
		fail_msg("\"%s\" does not name %s", err, needle);
}

/* The SSE events in out as [{"event": name, "data": object}]. */
static json_t *events(const struct sy_buf *out)
{
	json_t *all = json_array();
	char *text = strndup(out->data ? out->data : "", out->len);
	char *save = NULL;
	for (char *blk = strtok_r(text, "\n", &save); blk; blk = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(blk, "event: ", 7)) {
			json_array_append_new(all, json_pack("{s:s}", "event", blk + 7));
		} else if (!strncmp(blk, "data: ", 6)) {
			json_t *last = json_array_get(all, json_array_size(all) - 1);
			json_t *d = json_loads(blk + 6, 0, NULL);
			assert_non_null(last);
			assert_non_null(d);
			json_object_set_new(last, "data", d);
		}
	}
	free(text);
	return all;
}

/* The documented example (a conversation with an image, a function call and its output,
 * instructions, a function tool, reasoning and a JSON schema) as a chat request. */
static void test_request(void **state)
{
	void *st;
	json_t *j = translate(
	    "{\"model\":\"openai/o4-mini\",\"instructions\":\"Talk like a pirate.\",\"input\":["
	    "{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"what is in this "
	    "image?\"},{\"type\":\"input_image\",\"image_url\":\"https://example.com/a.jpg\","
	    "\"detail\":\"low\"}]},"
	    "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[{\"type\":\"summary_text\","
	    "\"text\":\"Look.\"}],\"encrypted_content\":\"sig\"},"
	    "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
	    "\"text\":\"A boat.\",\"annotations\":[]}]},"
	    "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_1\",\"name\":"
	    "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\",\"status\":"
	    "\"completed\"},"
	    "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"sunny\"},"
	    "{\"role\":\"developer\",\"content\":\"Be short.\"}],"
	    "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
	    "\"Weather\","
	    "\"parameters\":{\"type\":\"object\"},\"strict\":true}],\"tool_choice\":{\"type\":"
	    "\"function\",\"name\":\"get_weather\"},\"max_output_tokens\":300,\"temperature\":0.5,"
	    "\"top_p\":0.9,\"reasoning\":{\"effort\":\"high\",\"summary\":\"auto\"},\"text\":{"
	    "\"format\":{\"type\":\"json_schema\",\"name\":\"out\",\"schema\":{\"type\":\"object\"}"
	    ","
	    "\"strict\":true},\"verbosity\":\"low\"},\"parallel_tool_calls\":false,\"stream\":true,"
	    "\"store\":false,\"metadata\":{\"run\":\"7\"},\"user\":\"u1\",\"provider\":{\"sort\":"
	    "\"price\"},\"models\":[\"a/b\"],\"session_id\":\"s1\",\"include\":["
	    "\"reasoning.encrypted_content\"]}",
	    &st);
	test_json_eq(
	    j,
	    "{\"model\":\"openai/o4-mini\",\"max_tokens\":300,\"temperature\":0.5,\"top_p\":0.9,"
	    "\"stream\":true,\"parallel_tool_calls\":false,\"user\":\"u1\",\"models\":[\"a/b\"],"
	    "\"provider\":{\"sort\":\"price\"},\"session_id\":\"s1\",\"messages\":["
	    "{\"role\":\"system\",\"content\":\"Talk like a pirate.\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is in this "
	    "image?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
	    "\"https://example.com/a.jpg\",\"detail\":\"low\"}}]},"
	    "{\"role\":\"assistant\",\"content\":\"A boat.\",\"reasoning_details\":[{\"type\":"
	    "\"reasoning.text\",\"text\":\"Look.\",\"signature\":\"sig\"}],\"tool_calls\":[{"
	    "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
	    "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"},"
	    "{\"role\":\"developer\",\"content\":\"Be short.\"}],"
	    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
	    "\"description\":\"Weather\",\"parameters\":{\"type\":\"object\"},\"strict\":true}}],"
	    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
	    "\"reasoning\":{\"effort\":\"high\"},\"verbosity\":\"low\",\"response_format\":{"
	    "\"type\":\"json_schema\",\"json_schema\":{\"name\":\"out\",\"schema\":{\"type\":"
	    "\"object\"},\"strict\":true}}}");
	json_decref(j);
	sk->release(st);

	/* the plain forms: a string input, json_object, reasoning off, tool_choice modes */
	j = translate("{\"model\":\"m\",\"input\":\"Hi\",\"text\":{\"format\":{\"type\":"
	              "\"json_object\"}},\"reasoning\":{\"effort\":\"none\"},\"tool_choice\":"
	              "\"required\",\"previous_response_id\":null,\"store\":null}",
	              &st);
	test_json_eq(j, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
	                "\"tool_choice\":\"required\",\"reasoning\":{\"enabled\":false},"
	                "\"response_format\":{\"type\":\"json_object\"}}");
	json_decref(j);
	sk->release(st);

	/* function calls without a message before them make their own assistant turn; an
	 * encrypted reasoning item goes back as encrypted reasoning */
	j = translate("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"x\"},"
	              "{\"type\":\"reasoning\",\"summary\":[],\"encrypted_content\":\"enc\"},"
	              "{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"f\","
	              "\"arguments\":\"{}\"},{\"type\":\"function_call\",\"call_id\":\"c2\","
	              "\"name\":\"g\",\"arguments\":\"{}\"},{\"type\":\"function_call_output\","
	              "\"call_id\":\"c1\",\"output\":[{\"type\":\"input_text\",\"text\":\"1\"}]},"
	              "{\"type\":\"function_call_output\",\"call_id\":\"c2\",\"output\":\"2\"}],"
	              "\"text\":{\"format\":{\"type\":\"text\"}}}",
	              &st);
	test_json_eq(json_object_get(j, "messages"),
	             "[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":"
	             "null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{"
	             "\"name\":\"f\",\"arguments\":\"{}\"}},{\"id\":\"c2\",\"type\":\"function\","
	             "\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}],\"reasoning_details\":[{"
	             "\"type\":\"reasoning.encrypted\",\"data\":\"enc\"}]},{\"role\":\"tool\","
	             "\"tool_call_id\":\"c1\",\"content\":\"1\"},{\"role\":\"tool\","
	             "\"tool_call_id\":\"c2\",\"content\":\"2\"}]");
	assert_null(json_object_get(j, "response_format"));
	json_decref(j);
	sk->release(st);
}

static void test_request_refused(void **state)
{
	refused("{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"resp_1\"}",
	        "previous_response_id is not supported: the gateway is stateless");
	refused("{\"model\":\"m\",\"input\":\"x\",\"store\":true}", "stateless");
	refused("{\"model\":\"m\",\"input\":\"x\",\"store\":\"no\"}", "store");
	refused("{\"model\":\"m\",\"input\":\"x\",\"background\":true}", "background");
	refused("{\"model\":\"m\",\"input\":\"x\",\"include\":[\"reasoning.encrypted_content\","
	        "\"file_search_call.results\"]}",
	        "include[1]");
	refused("{\"model\":\"m\",\"input\":\"x\",\"conversation\":\"c\"}", "conversation");
	refused("{\"model\":\"m\"}", "input");
	refused("{\"model\":\"m\",\"input\":[]}", "input");
	refused("{\"model\":\"m\",\"input\":\"x\",\"instructions\":[]}", "instructions");
	refused("{\"model\":\"m\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}",
	        "input[0] (item_reference)");
	refused("{\"model\":\"m\",\"input\":[{\"type\":\"web_search_call\"}]}",
	        "input[0] (type \"web_search_call\")");
	refused("{\"model\":\"m\",\"input\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
	        "input[0].role");
	refused("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
	        "\"input_file\",\"file_id\":\"f\"}]}]}",
	        "input[0].content[0] (type \"input_file\")");
	refused("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
	        "\"input_image\",\"file_id\":\"f\"}]}]}",
	        "input[0].content[0].file_id");
	refused("{\"model\":\"m\",\"input\":[{\"type\":\"function_call\",\"name\":\"f\"}]}",
	        "input[0] (function_call)");
	refused("{\"model\":\"m\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c\","
	        "\"output\":[{\"type\":\"input_image\",\"image_url\":\"u\"}]}]}",
	        "input[0].output[0]");
	refused("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}]}",
	        "tools[0] (type \"web_search\")");
	refused("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"function\"}]}",
	        "tools[0]");
	refused("{\"model\":\"m\",\"input\":\"x\",\"tool_choice\":{\"type\":\"web_search\"}}",
	        "tool_choice");
	refused("{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":0}", "max_output_tokens");
	refused("{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"effort\":\"huge\"}}",
	        "reasoning.effort");
	refused("{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"summary\":\"long\"}}",
	        "reasoning.summary");
	refused("{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"mode\":\"pro\"}}",
	        "reasoning.mode");
	refused(
	    "{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\"}}}",
	    "text.format");
	refused("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"grammar\"}}}",
	        "text.format.type");
	refused("{\"model\":\"m\",\"input\":\"x\",\"metadata\":{\"k\":1}}", "metadata.k");
	refused("{\"model\":\"m\",\"input\":[{\"type\":\"reasoning\",\"content\":\"x\"}]}",
	        "input[0].content must be an array");
	refused("{\"model\":\"m\",\"input\":[{\"type\":\"reasoning\",\"summary\":[{}]}]}",
	        "input[0].summary[0].text");
	refused("[]", "JSON object");
	refused("{", "not valid JSON");
}

static void test_reply(void **state)
{
	void *st;
	json_decref(translate("{\"model\":\"m\",\"input\":\"x\",\"instructions\":\"Be brief.\","
	                      "\"metadata\":{\"run\":\"7\"},\"temperature\":0.5,\"tools\":[{"
	                      "\"type\":\"function\",\"name\":\"get_weather\"}],\"reasoning\":{"
	                      "\"effort\":\"low\"}}",
	                      &st));
	char *r = sk->reply(
	    st, 200,
	    strdup("{\"id\":\"gen-1-abc\",\"object\":\"chat.completion\",\"created\":1700000000,"
	           "\"model\":\"a/b\",\"provider\":\"Anthropic\",\"choices\":[{\"index\":0,"
	           "\"message\":{\"role\":\"assistant\",\"content\":\"Let me look.\",\"reasoning\":"
	           "\"Hm\",\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"Hm\","
	           "\"signature\":\"sig\"}],\"tool_calls\":[{\"id\":\"toolu_1\",\"type\":"
	           "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
	           "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],"
	           "\"usage\":{\"prompt_tokens\":25,\"completion_tokens\":15,\"total_tokens\":40,"
	           "\"cost\":0.0001,\"is_byok\":false,\"prompt_tokens_details\":{"
	           "\"cached_tokens\":5,\"cache_write_tokens\":2},\"completion_tokens_details\":{"
	           "\"reasoning_tokens\":3}}}"));
	json_t *j = json_loads(r, 0, NULL);
	free(r);
	test_json_eq(
	    j,
	    "{\"id\":\"gen-1-abc\",\"object\":\"response\",\"created_at\":1700000000,\"status\":"
	    "\"completed\",\"error\":null,\"incomplete_details\":null,\"model\":\"a/b\","
	    "\"provider\":\"Anthropic\",\"output\":["
	    "{\"id\":\"rs_1-abc_0\",\"type\":\"reasoning\",\"summary\":[],\"content\":[{\"type\":"
	    "\"reasoning_text\",\"text\":\"Hm\"}],\"encrypted_content\":\"sig\",\"status\":"
	    "\"completed\"},"
	    "{\"id\":\"msg_1-abc_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":"
	    "\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Let me look.\","
	    "\"annotations\":[]}]},"
	    "{\"id\":\"fc_1-abc_2\",\"type\":\"function_call\",\"status\":\"completed\","
	    "\"call_id\":\"toolu_1\",\"name\":\"get_weather\",\"arguments\":"
	    "\"{\\\"city\\\":\\\"Paris\\\"}\"}],"
	    "\"usage\":{\"input_tokens\":25,\"input_tokens_details\":{\"cached_tokens\":5,"
	    "\"cache_write_tokens\":2},\"output_tokens\":15,\"output_tokens_details\":{"
	    "\"reasoning_tokens\":3},\"total_tokens\":40,\"cost\":0.0001,\"is_byok\":false},"
	    "\"instructions\":\"Be brief.\",\"metadata\":{\"run\":\"7\"},\"temperature\":0.5,"
	    "\"top_p\":null,\"max_output_tokens\":null,\"parallel_tool_calls\":true,"
	    "\"tool_choice\":\"auto\",\"tools\":[{\"type\":\"function\",\"name\":"
	    "\"get_weather\"}],\"reasoning\":{\"effort\":\"low\",\"summary\":null},"
	    "\"store\":false,\"previous_response_id\":null,\"truncation\":\"disabled\","
	    "\"background\":false,\"text\":{\"format\":{\"type\":\"text\"}}}");
	json_decref(j);
	sk->release(st);

	/* cut by max_output_tokens: incomplete; a summary asked for carries the reasoning */
	json_decref(translate("{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"summary\":"
	                      "\"auto\"}}",
	                      &st));
	r = sk->reply(
	    st, 200,
	    strdup("{\"id\":\"gen-2\",\"created\":1,\"model\":\"a/b\",\"choices\":[{"
	           "\"message\":{\"role\":\"assistant\",\"content\":\"Hel\",\"reasoning\":"
	           "\"Think\"},\"finish_reason\":\"length\"}],\"usage\":{"
	           "\"prompt_tokens\":2,\"completion_tokens\":1}}"));
	j = json_loads(r, 0, NULL);
	free(r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "incomplete");
	test_json_eq(json_object_get(j, "incomplete_details"),
	             "{\"reason\":\"max_output_tokens\"}");
	test_json_eq(json_array_get(json_object_get(j, "output"), 0),
	             "{\"id\":\"rs_2_0\",\"type\":\"reasoning\",\"summary\":[{\"type\":"
	             "\"summary_text\",\"text\":\"Think\"}],\"status\":\"completed\"}");
	test_json_eq(json_object_get(j, "usage"),
	             "{\"input_tokens\":2,\"input_tokens_details\":{\"cached_tokens\":0,"
	             "\"cache_write_tokens\":0},\"output_tokens\":1,\"output_tokens_details\":{"
	             "\"reasoning_tokens\":0},\"total_tokens\":3}");
	json_decref(j);
	sk->release(st);
}

static void test_errors(void **state)
{
	static const struct {
		int status;
		const char *type;
	} cases[] = {{400, "invalid_request_error"}, {401, "authentication_error"},
	             {402, "insufficient_quota"},    {403, "permission_error"},
	             {404, "invalid_request_error"}, {429, "rate_limit_error"},
	             {502, "server_error"},          {503, "server_error"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = NULL;
		assert_int_not_equal(asprintf(&e,
		                              "{\"error\":{\"code\":%d,\"message\":\"no\","
		                              "\"metadata\":{\"error_type\":\"t%d\"}}}",
		                              cases[i].status, cases[i].status),
		                     -1);
		char *r = sk->reply(NULL, cases[i].status, e); /* refused before it was read */
		json_t *j = json_loads(r, 0, NULL);
		char want[160];
		snprintf(want, sizeof(want),
		         "{\"error\":{\"message\":\"no\",\"type\":\"%s\",\"param\":null,\"code\":"
		         "\"t%d\"}}",
		         cases[i].type, cases[i].status);
		test_json_eq(j, want);
		json_decref(j);
		free(r);
	}
}

/* The type and sequence_number of every event, and that each is named as its type. */
static void check_sequence(const json_t *ev, const char *const *types, size_t n)
{
	assert_int_equal(json_array_size(ev), n);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(ev, i);
		json_t *d = json_object_get(e, "data");
		assert_string_equal(json_string_value(json_object_get(e, "event")), types[i]);
		assert_string_equal(json_string_value(json_object_get(d, "type")), types[i]);
		assert_int_equal(json_integer_value(json_object_get(d, "sequence_number")), i);
	}
}

static void test_events(void **state)
{
	void *st;
	json_decref(translate("{\"model\":\"m\",\"stream\":true,\"input\":\"x\"}", &st));
	static const char *const chunks[] = {
	    "{\"id\":\"gen-1\",\"created\":7,\"model\":\"a/b\",\"choices\":[{\"delta\":{\"role\":"
	    "\"assistant\",\"content\":\"\"}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"reasoning\":\"Hm\",\"reasoning_details\":"
	    "[{\"type\":\"reasoning.text\",\"text\":\"Hm\"}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"reasoning_details\":[{\"type\":"
	    "\"reasoning.text\",\"signature\":\"sig\"}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"content\":\"!\"}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
	    "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
	    "\"arguments\":\"\"}}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	    "{\"arguments\":\"{\\\"city\\\":\"}}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	    "{\"arguments\":\"\\\"Paris\\\"}\"}}]}}]}",
	    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
	};
	struct sy_buf out;
	sy_buf_init(&out, 0);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		assert_int_equal(sk->stream(st, DP_SKIN_CHUNK, chunks[i], &out), 0);
	assert_int_equal(
	    sk->stream(st, DP_SKIN_END,
	               "{\"id\":\"gen-1\",\"created\":7,\"model\":\"a/b\",\"provider\":"
	               "\"P\",\"choices\":[],\"usage\":{\"prompt_tokens\":25,"
	               "\"completion_tokens\":15,\"cost\":0.1}}",
	               &out),
	    0);
	json_t *ev = events(&out);
	static const char *const types[] = {"response.created",
	                                    "response.in_progress",
	                                    "response.output_item.added",
	                                    "response.content_part.added",
	                                    "response.reasoning_text.delta",
	                                    "response.reasoning_text.done",
	                                    "response.content_part.done",
	                                    "response.output_item.done",
	                                    "response.output_item.added",
	                                    "response.content_part.added",
	                                    "response.output_text.delta",
	                                    "response.output_text.delta",
	                                    "response.output_text.done",
	                                    "response.content_part.done",
	                                    "response.output_item.done",
	                                    "response.output_item.added",
	                                    "response.function_call_arguments.delta",
	                                    "response.function_call_arguments.delta",
	                                    "response.function_call_arguments.done",
	                                    "response.output_item.done",
	                                    "response.completed"};
	check_sequence(ev, types, sizeof(types) / sizeof(types[0]));
#define DATA(i) json_object_get(json_array_get(ev, i), "data")
	test_json_eq(
	    json_object_get(DATA(0), "response"),
	    "{\"id\":\"gen-1\",\"object\":\"response\",\"created_at\":7,\"status\":"
	    "\"in_progress\",\"error\":null,\"incomplete_details\":null,\"model\":\"a/b\","
	    "\"output\":[],\"usage\":null,\"instructions\":null,\"metadata\":{},"
	    "\"temperature\":null,\"top_p\":null,\"max_output_tokens\":null,"
	    "\"parallel_tool_calls\":true,\"tool_choice\":\"auto\",\"tools\":[],"
	    "\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":false,"
	    "\"previous_response_id\":null,\"truncation\":\"disabled\",\"background\":false,"
	    "\"text\":{\"format\":{\"type\":\"text\"}}}");
	test_json_eq(DATA(2),
	             "{\"type\":\"response.output_item.added\",\"sequence_number\":2,"
	             "\"output_index\":0,\"item\":{\"id\":\"rs_1_0\",\"type\":\"reasoning\","
	             "\"summary\":[],\"content\":[],\"status\":\"in_progress\"}}");
	test_json_eq(DATA(4), "{\"type\":\"response.reasoning_text.delta\",\"sequence_number\":4,"
	                      "\"item_id\":\"rs_1_0\",\"output_index\":0,\"content_index\":0,"
	                      "\"delta\":\"Hm\"}");
	test_json_eq(json_object_get(DATA(7), "item"),
	             "{\"id\":\"rs_1_0\",\"type\":\"reasoning\",\"summary\":[],\"content\":[{"
	             "\"type\":\"reasoning_text\",\"text\":\"Hm\"}],\"encrypted_content\":\"sig\","
	             "\"status\":\"completed\"}");
	test_json_eq(DATA(9),
	             "{\"type\":\"response.content_part.added\",\"sequence_number\":9,"
	             "\"item_id\":\"msg_1_1\",\"output_index\":1,\"content_index\":0,"
	             "\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}}");
	test_json_eq(DATA(10), "{\"type\":\"response.output_text.delta\",\"sequence_number\":10,"
	                       "\"item_id\":\"msg_1_1\",\"output_index\":1,\"content_index\":0,"
	                       "\"delta\":\"Hello\",\"logprobs\":[]}");
	test_json_eq(DATA(12), "{\"type\":\"response.output_text.done\",\"sequence_number\":12,"
	                       "\"item_id\":\"msg_1_1\",\"output_index\":1,\"content_index\":0,"
	                       "\"text\":\"Hello!\",\"logprobs\":[]}");
	test_json_eq(DATA(15),
	             "{\"type\":\"response.output_item.added\",\"sequence_number\":15,"
	             "\"output_index\":2,\"item\":{\"id\":\"fc_1_2\",\"type\":"
	             "\"function_call\",\"status\":\"in_progress\",\"call_id\":\"call_1\","
	             "\"name\":\"get_weather\",\"arguments\":\"\"}}");
	test_json_eq(DATA(16), "{\"type\":\"response.function_call_arguments.delta\","
	                       "\"sequence_number\":16,\"item_id\":\"fc_1_2\",\"output_index\":2,"
	                       "\"delta\":\"{\\\"city\\\":\"}");
	test_json_eq(DATA(18), "{\"type\":\"response.function_call_arguments.done\","
	                       "\"sequence_number\":18,\"item_id\":\"fc_1_2\",\"output_index\":2,"
	                       "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}");
	json_t *done = json_object_get(DATA(20), "response");
	assert_string_equal(json_string_value(json_object_get(done, "status")), "completed");
	assert_string_equal(json_string_value(json_object_get(done, "provider")), "P");
	assert_int_equal(json_array_size(json_object_get(done, "output")), 3);
	test_json_eq(json_array_get(json_object_get(done, "output"), 2),
	             "{\"id\":\"fc_1_2\",\"type\":\"function_call\",\"status\":\"completed\","
	             "\"call_id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":"
	             "\"{\\\"city\\\":\\\"Paris\\\"}\"}");
	test_json_eq(json_object_get(done, "usage"),
	             "{\"input_tokens\":25,\"input_tokens_details\":{\"cached_tokens\":0,"
	             "\"cache_write_tokens\":0},\"output_tokens\":15,\"output_tokens_details\":{"
	             "\"reasoning_tokens\":0},\"total_tokens\":40,\"cost\":0.1}");
	json_decref(ev);

	/* a fail-over rewinds: the next attempt's stream starts afresh; then it fails */
	sy_buf_reset(&out);
	sk->rewind(st);
	assert_int_equal(sk->stream(st, DP_SKIN_CHUNK, chunks[3], &out), 0);
	assert_int_equal(sk->stream(st, DP_SKIN_ERROR,
	                            "{\"id\":\"gen-1\",\"error\":{\"code\":502,\"message\":\"The "
	                            "provider ended the stream\",\"metadata\":{\"error_type\":"
	                            "\"provider_error\"}},\"choices\":[{\"finish_reason\":"
	                            "\"error\"}]}",
	                            &out),
	                 0);
	ev = events(&out);
	static const char *const failed[] = {"response.created",
	                                     "response.in_progress",
	                                     "response.output_item.added",
	                                     "response.content_part.added",
	                                     "response.output_text.delta",
	                                     "error",
	                                     "response.failed"};
	check_sequence(ev, failed, sizeof(failed) / sizeof(failed[0]));
	test_json_eq(DATA(2),
	             "{\"type\":\"response.output_item.added\",\"sequence_number\":2,"
	             "\"output_index\":0,\"item\":{\"id\":\"msg_1_0\",\"type\":\"message\","
	             "\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}");
	test_json_eq(DATA(5), "{\"type\":\"error\",\"sequence_number\":5,\"code\":"
	                      "\"provider_error\",\"message\":\"The provider ended the stream\","
	                      "\"param\":null}");
	done = json_object_get(DATA(6), "response");
	assert_string_equal(json_string_value(json_object_get(done, "status")), "failed");
	test_json_eq(json_object_get(done, "error"),
	             "{\"code\":\"server_error\",\"message\":\"The provider ended the stream\"}");
	json_decref(ev);
#undef DATA
	sy_buf_release(&out);
	sk->release(st);
}

/* A summary asked for streams reasoning as summary parts; a cut answer ends incomplete. */
static void test_events_summary(void **state)
{
	void *st;
	json_decref(translate("{\"model\":\"m\",\"stream\":true,\"input\":\"x\",\"reasoning\":{"
	                      "\"summary\":\"concise\"}}",
	                      &st));
	struct sy_buf out;
	sy_buf_init(&out, 0);
	assert_int_equal(sk->stream(st, DP_SKIN_CHUNK,
	                            "{\"id\":\"gen-3\",\"choices\":[{\"delta\":{\"reasoning\":"
	                            "\"Hm\"}}]}",
	                            &out),
	                 0);
	assert_int_equal(sk->stream(st, DP_SKIN_CHUNK,
	                            "{\"id\":\"gen-3\",\"choices\":[{\"delta\":{\"content\":\"a\"},"
	                            "\"finish_reason\":\"length\"}]}",
	                            &out),
	                 0);
	assert_int_equal(
	    sk->stream(st, DP_SKIN_END, "{\"id\":\"gen-3\",\"choices\":[],\"usage\":{}}", &out), 0);
	json_t *ev = events(&out);
	static const char *const types[] = {"response.created",
	                                    "response.in_progress",
	                                    "response.output_item.added",
	                                    "response.reasoning_summary_part.added",
	                                    "response.reasoning_summary_text.delta",
	                                    "response.reasoning_summary_text.done",
	                                    "response.reasoning_summary_part.done",
	                                    "response.output_item.done",
	                                    "response.output_item.added",
	                                    "response.content_part.added",
	                                    "response.output_text.delta",
	                                    "response.output_text.done",
	                                    "response.content_part.done",
	                                    "response.output_item.done",
	                                    "response.incomplete"};
	check_sequence(ev, types, sizeof(types) / sizeof(types[0]));
	json_t *d = json_object_get(json_array_get(ev, 6), "data");
	test_json_eq(d, "{\"type\":\"response.reasoning_summary_part.done\",\"sequence_number\":6,"
	                "\"item_id\":\"rs_3_0\",\"output_index\":0,\"summary_index\":0,\"part\":{"
	                "\"type\":\"summary_text\",\"text\":\"Hm\"}}");
	d = json_object_get(json_object_get(json_array_get(ev, 14), "data"), "response");
	assert_string_equal(json_string_value(json_object_get(d, "status")), "incomplete");
	test_json_eq(json_object_get(d, "incomplete_details"),
	             "{\"reason\":\"max_output_tokens\"}");
	json_decref(ev);
	sy_buf_release(&out);
	sk->release(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request), cmocka_unit_test(test_request_refused),
	    cmocka_unit_test(test_reply),   cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_events),  cmocka_unit_test(test_events_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
