/* dp_request_test.c - request validation, the upstream body and require_parameters' list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_request.h"
#include "sy_err.h"

static void test_parse_a_request(void **state)
{
	const char *body = "{\"model\":\"openai/gpt-4o\",\"stream\":true,\"max_tokens\":100,"
	                   "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	                   "{\"role\":\"user\",\"content\":\"Hello there\"}],"
	                   "\"session_id\":\"s1\",\"user\":\"u-42\",\"x_unknown\":{\"a\":1}}";
	struct dp_chat_req req;
	char err[256] = "";
	assert_int_equal(dp_request_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(req.model, "openai/gpt-4o");
	assert_int_equal(req.n_models, 1);
	assert_string_equal(req.models[0], "openai/gpt-4o");
	assert_true(req.stream);
	assert_int_equal(req.max_tokens, 100);
	/* "Be brief." (9) + "Hello there" (11) = 20 chars -> 5 tokens */
	assert_int_equal(req.prompt_tokens_est, 5);
	assert_string_equal(req.session_id, "s1");
	assert_string_equal(req.user, "u-42");
	assert_false(req.has_tools);
	assert_null(req.provider);
	dp_request_release(&req);
	assert_null(req.body);
	dp_request_release(&req); /* idempotent */
}

static int parse(const char *body, struct dp_chat_req *req, char *err, size_t errlen)
{
	return dp_request_parse(body, strlen(body), req, err, errlen);
}

/* Parse a body that must be rejected; check the message and that nothing is left held. */
static void expect_error(const char *body, const char *message)
{
	struct dp_chat_req req;
	char err[256] = "";
	int rc = parse(body, &req, err, sizeof(err));
	if (rc != SY_EINVAL || strcmp(err, message))
		fail_msg("body %s\n  rc %d, message \"%s\"\n  want \"%s\"", body, rc, err, message);
	assert_null(req.body);
	assert_int_equal(req.n_models, 0);
}

#define MSGS "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
#define M "\"model\":\"a/b\","

static void test_body_shape(void **state)
{
	expect_error("[1,2]", "request body must be a JSON object");
	expect_error("\"text\"", "request body must be a JSON object");
	struct dp_chat_req req;
	char err[256];
	assert_int_equal(parse("{\"model\":", &req, err, sizeof(err)), SY_EINVAL);
	assert_non_null(strstr(err, "request body is not valid JSON"));
	assert_int_equal(dp_request_parse("", 0, &req, err, sizeof(err)), SY_EINVAL);
	assert_non_null(strstr(err, "request body is not valid JSON"));
	/* valid JSON then a NUL: named as such, not "out of memory" */
	static const char nul[] = "{" M MSGS "}";
	assert_int_equal(dp_request_parse(nul, sizeof(nul), &req, err, sizeof(err)), SY_EINVAL);
	assert_non_null(strstr(err, "NUL byte at offset"));
}

static void test_messages(void **state)
{
	expect_error("{" M "\"x\":1}", "messages is required");
	expect_error("{" M "\"messages\":null}", "messages is required");
	expect_error("{" M "\"messages\":[]}", "messages must be a non-empty array");
	expect_error("{" M "\"messages\":{}}", "messages must be a non-empty array");
	expect_error("{" M "\"messages\":[\"hi\"]}", "messages[0] must be an object");
	expect_error("{" M
	             "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"content\":\"b\"}]}",
	             "messages[1].role is required");
	expect_error("{" M "\"messages\":[{\"role\":\"robot\",\"content\":\"a\"}]}",
	             "messages[0].role must be one of system, user, assistant, tool, developer");
	expect_error("{" M "\"messages\":[{\"role\":3,\"content\":\"a\"}]}",
	             "messages[0].role must be one of system, user, assistant, tool, developer");
	expect_error("{" M "\"messages\":[{\"role\":\"user\",\"content\":5}]}",
	             "messages[0].content must be a string, an array of content parts or null");
	expect_error("{" M "\"messages\":[{\"role\":\"user\"}]}",
	             "messages[0].content is required (it may be null only for an assistant "
	             "message with tool_calls)");
	expect_error("{" M "\"messages\":[{\"role\":\"user\",\"content\":null}]}",
	             "messages[0].content is required (it may be null only for an assistant "
	             "message with tool_calls)");
	expect_error("{" M "\"messages\":[{\"role\":\"assistant\",\"content\":null}]}",
	             "messages[0].content is required (it may be null only for an assistant "
	             "message with tool_calls)");
	expect_error("{" M "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]}",
	             "messages[0].content[0] must be an object with a string type");
	expect_error("{" M "\"messages\":[{\"role\":\"user\",\"content\":[\"a\"]}]}",
	             "messages[0].content[0] must be an object with a string type");
	expect_error("{" M "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
	             "\"text\":\"a\"},{\"type\":\"text\",\"text\":7}]}]}",
	             "messages[0].content[1].text must be a string");
	expect_error("{" M "\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}",
	             "messages[0].tool_call_id is required for role tool");
	expect_error("{" M "\"messages\":[{\"role\":\"tool\",\"content\":\"42\","
	             "\"tool_call_id\":\"\"}]}",
	             "messages[0].tool_call_id is required for role tool");
	expect_error("{" M "\"messages\":[{\"role\":\"assistant\",\"content\":null,"
	             "\"tool_calls\":{}}]}",
	             "messages[0].tool_calls must be an array");
	expect_error("{" M "\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"name\":1}]}",
	             "messages[0].name must be a string");
}

static void test_valid_conversation_with_tools(void **state)
{
	const char *body =
	    "{\"model\":\"a/b\",\"messages\":["
	    "{\"role\":\"developer\",\"content\":\"dev\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what\"},"
	    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]},"
	    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\","
	    "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
	    "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"r\"},"
	    "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c2\"}]}],"
	    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
	    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}";
	struct dp_chat_req req;
	char err[256] = "";
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	assert_true(req.has_tools);
	/* dev(3) + what(4) + r(1) = 8 chars -> 2 tokens */
	assert_int_equal(req.prompt_tokens_est, 2);
	dp_request_release(&req);
}

static void test_prompt_estimate(void **state)
{
	struct dp_chat_req req;
	char err[256];
	/* empty text still counts as one token */
	assert_int_equal(parse("{" M "\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", &req,
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(req.prompt_tokens_est, 1);
	dp_request_release(&req);
	/* 9 characters (multi-byte ones count once) -> ceil(9/4) = 3 */
	assert_int_equal(parse("{" M "\"messages\":[{\"role\":\"user\",\"content\":\"h\xc3\xa9llo "
	                       "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}]}",
	                       &req, err, sizeof(err)),
	                 0);
	assert_int_equal(req.prompt_tokens_est, 3);
	dp_request_release(&req);
	/* 4001 characters -> 1001 tokens */
	char *big = malloc(5000);
	int n = snprintf(big, 5000, "{" M "\"messages\":[{\"role\":\"user\",\"content\":\"");
	memset(big + n, 'x', 4001);
	strcpy(big + n + 4001, "\"}]}");
	assert_int_equal(parse(big, &req, err, sizeof(err)), 0);
	assert_int_equal(req.prompt_tokens_est, 1001);
	dp_request_release(&req);
	free(big);
}

static void test_models(void **state)
{
	/* no model parses: a default may name one; without, nothing is named */
	struct dp_chat_req none;
	char nerr[256];
	const char *bodies[] = {"{" MSGS "}", "{" MSGS ",\"model\":null,\"models\":[]}"};
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(parse(bodies[i], &none, nerr, sizeof(nerr)), 0);
		assert_int_equal(none.n_models, 0);
		dp_request_default_model(&none, NULL);
		assert_int_equal(none.n_models, 0);
		dp_request_default_model(&none, "a/default");
		assert_int_equal(none.n_models, 1);
		assert_string_equal(none.model, "a/default");
		assert_string_equal(none.models[0], "a/default");
		dp_request_release(&none);
	}
	/* a named model is never replaced */
	assert_int_equal(parse("{" MSGS ",\"model\":\"a/b\"}", &none, nerr, sizeof(nerr)), 0);
	dp_request_default_model(&none, "a/default");
	assert_string_equal(none.model, "a/b");
	assert_int_equal(none.n_models, 1);
	dp_request_release(&none);
	expect_error("{" MSGS ",\"model\":\"\"}", "model must be a non-empty string");
	expect_error("{" MSGS ",\"model\":\"a/b\",\"route\":\"sort\"}",
	             "route must be \"fallback\" (fallback across models is always on)");
	expect_error("{" MSGS ",\"model\":7}", "model must be a non-empty string");
	expect_error("{" MSGS ",\"models\":\"a/b\"}", "models must be an array of model ids");
	expect_error("{" MSGS ",\"models\":[\"a/b\",3]}", "models[1] must be a non-empty string");
	expect_error("{" MSGS ",\"model\":\"m/0\",\"models\":[\"m/1\",\"m/2\",\"m/3\",\"m/4\","
	             "\"m/5\",\"m/6\",\"m/7\",\"m/8\"]}",
	             "at most 8 distinct models may be given (model and models together)");

	struct dp_chat_req req;
	char err[256];
	const char *body = "{" MSGS ",\"model\":\"a/b\",\"models\":[\"c/d\",\"a/b\",\"e/f:free\","
	                   "\"c/d\",\"m/1\",\"m/2\",\"m/3\",\"m/4\",\"m/5\"]}";
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	assert_int_equal(req.n_models, 8);
	const char *want[] = {"a/b", "c/d", "e/f:free", "m/1", "m/2", "m/3", "m/4", "m/5"};
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(req.models[i], want[i]);
	dp_request_release(&req);

	assert_int_equal(parse("{" MSGS ",\"models\":[\"x/y\",\"z/w\"]}", &req, err, sizeof(err)),
	                 0);
	assert_null(req.model);
	assert_int_equal(req.n_models, 2);
	assert_string_equal(req.models[1], "z/w");
	dp_request_release(&req);
}

static void test_sampling_fields(void **state)
{
	expect_error("{" M MSGS ",\"stream\":\"yes\"}", "stream must be a boolean");
	expect_error("{" M MSGS ",\"max_tokens\":0}", "max_tokens must be a positive integer");
	expect_error("{" M MSGS ",\"max_tokens\":-5}", "max_tokens must be a positive integer");
	expect_error("{" M MSGS ",\"max_tokens\":10.5}", "max_tokens must be a positive integer");
	expect_error("{" M MSGS ",\"max_tokens\":\"10\"}", "max_tokens must be a positive integer");
	expect_error("{" M MSGS ",\"max_completion_tokens\":0}",
	             "max_completion_tokens must be a positive integer");
	expect_error("{" M MSGS ",\"temperature\":2.5}",
	             "temperature must be a number between 0 and 2");
	expect_error("{" M MSGS ",\"temperature\":-0.1}",
	             "temperature must be a number between 0 and 2");
	expect_error("{" M MSGS ",\"temperature\":\"1\"}",
	             "temperature must be a number between 0 and 2");
	expect_error("{" M MSGS ",\"top_p\":1.01}", "top_p must be a number between 0 and 1");
	expect_error("{" M MSGS ",\"n\":2}",
	             "n must be 1: Switchyard, like OpenRouter, returns a single choice");
	expect_error("{" M MSGS ",\"n\":\"1\"}",
	             "n must be 1: Switchyard, like OpenRouter, returns a single choice");
	expect_error("{" M MSGS ",\"stop\":5}",
	             "stop must be a string or an array of at most 4 strings");
	expect_error("{" M MSGS ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
	             "stop must be a string or an array of at most 4 strings");
	expect_error("{" M MSGS ",\"stop\":[\"a\",1]}",
	             "stop must be a string or an array of at most 4 strings");
	expect_error("{" M MSGS ",\"session_id\":12}",
	             "session_id must be a string of at most 256 characters");
	expect_error("{" M MSGS ",\"user\":{}}", "user must be a string");

	char body[1024];
	char sid[258];
	memset(sid, 's', 257);
	sid[257] = '\0';
	snprintf(body, sizeof(body), "{" M MSGS ",\"session_id\":\"%s\"}", sid);
	expect_error(body, "session_id must be a string of at most 256 characters");

	struct dp_chat_req req;
	char err[256];
	sid[256] = '\0';
	snprintf(body, sizeof(body),
	         "{" M MSGS ",\"session_id\":\"%s\",\"temperature\":2,\"top_p\":0,\"n\":1,"
	         "\"stop\":[\"a\",\"b\",\"c\",\"d\"],\"max_tokens\":50,"
	         "\"max_completion_tokens\":70,\"stream\":false,\"seed\":null}",
	         sid);
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	assert_int_equal(strlen(req.session_id), 256);
	assert_int_equal(req.max_tokens, 70); /* max_completion_tokens wins */
	assert_false(req.stream);
	dp_request_release(&req);

	/* nulls are absent */
	assert_int_equal(parse("{" M MSGS ",\"stream\":null,\"max_tokens\":null,\"stop\":null,"
	                       "\"temperature\":null,\"user\":null,\"tools\":null,\"n\":null}",
	                       &req, err, sizeof(err)),
	                 0);
	assert_int_equal(req.max_tokens, -1);
	assert_null(req.user);
	dp_request_release(&req);
}

static void test_tools_fields(void **state)
{
	expect_error("{" M MSGS ",\"tools\":{}}", "tools must be an array");
	expect_error("{" M MSGS ",\"tools\":[1]}", "tools[0] must be an object");
	expect_error("{" M MSGS ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
	             "{\"type\":\"retrieval\"}]}",
	             "tools[1].type must be \"function\"");
	expect_error("{" M MSGS ",\"tools\":[{\"type\":\"function\"}]}",
	             "tools[0].function.name must be a non-empty string");
	expect_error("{" M MSGS
	             ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"\"}}]}",
	             "tools[0].function.name must be a non-empty string");
	const char *tc = "tool_choice must be \"none\", \"auto\", \"required\" or "
	                 "{\"type\": \"function\", \"function\": {\"name\": ...}}";
	expect_error("{" M MSGS ",\"tool_choice\":\"always\"}", tc);
	expect_error("{" M MSGS ",\"tool_choice\":3}", tc);
	expect_error("{" M MSGS ",\"tool_choice\":{\"type\":\"function\"}}", tc);
	expect_error("{" M MSGS ",\"tool_choice\":{\"function\":{\"name\":\"f\"}}}", tc);

	struct dp_chat_req req;
	char err[256];
	const char *ok[] = {"\"none\"", "\"auto\"", "\"required\"",
	                    "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}"};
	for (size_t i = 0; i < 4; i++) {
		char body[256];
		snprintf(body, sizeof(body), "{" M MSGS ",\"tools\":[],\"tool_choice\":%s}", ok[i]);
		assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
		assert_false(req.has_tools); /* an empty list is no tools */
		dp_request_release(&req);
	}
}

static void test_provider_preferences(void **state)
{
	expect_error("{" M MSGS ",\"provider\":[]}", "provider must be an object");
	expect_error("{" M MSGS ",\"provider\":{\"order\":\"openai\"}}",
	             "provider.order must be an array of strings");
	expect_error("{" M MSGS ",\"provider\":{\"only\":[\"a\",1]}}",
	             "provider.only must be an array of strings");
	expect_error("{" M MSGS ",\"provider\":{\"ignore\":{}}}",
	             "provider.ignore must be an array of strings");
	expect_error("{" M MSGS ",\"provider\":{\"quantizations\":[null]}}",
	             "provider.quantizations must be an array of strings");
	expect_error("{" M MSGS ",\"provider\":{\"allow_fallbacks\":\"no\"}}",
	             "provider.allow_fallbacks must be a boolean");
	expect_error("{" M MSGS ",\"provider\":{\"require_parameters\":1}}",
	             "provider.require_parameters must be a boolean");
	expect_error("{" M MSGS ",\"provider\":{\"data_collection\":\"never\"}}",
	             "provider.data_collection must be \"allow\" or \"deny\"");
	const char *sort = "provider.sort must be \"price\", \"throughput\" or \"latency\", or "
	                   "{\"by\": one of those, \"partition\": \"model\" or \"none\"}";
	expect_error("{" M MSGS ",\"provider\":{\"sort\":\"cheapest\"}}", sort);
	expect_error("{" M MSGS ",\"provider\":{\"sort\":{\"partition\":\"none\"}}}", sort);
	expect_error("{" M MSGS ",\"provider\":{\"sort\":{\"by\":\"price\",\"partition\":\"x\"}}}",
	             sort);
	expect_error("{" M MSGS ",\"provider\":{\"max_price\":5}}",
	             "provider.max_price must be an object");
	expect_error("{" M MSGS
	             ",\"provider\":{\"max_price\":{\"prompt\":1,\"completion\":\"2x\"}}}",
	             "provider.max_price.completion must be a non-negative number or numeric "
	             "string");
	expect_error("{" M MSGS ",\"provider\":{\"max_price\":{\"request\":-1}}}",
	             "provider.max_price.request must be a non-negative number or numeric string");
	expect_error("{" M MSGS ",\"provider\":{\"future\":[1]}}",
	             "provider.future is not a provider preference this gateway knows "
	             "(docs/openrouter-fields.md lists them)");
	expect_error("{" M MSGS ",\"provider\":{\"max_price\":{\"tokens\":1}}}",
	             "provider.max_price.tokens is not a price: use prompt, completion, request, "
	             "image or audio");

	struct dp_chat_req req;
	char err[256];
	const char *body = "{" M MSGS ",\"provider\":{\"order\":[\"openai\",\"azure\"],"
	                   "\"only\":[],\"ignore\":[\"x\"],\"allow_fallbacks\":false,"
	                   "\"require_parameters\":true,\"data_collection\":\"deny\","
	                   "\"sort\":{\"by\":\"throughput\",\"partition\":\"none\"},"
	                   "\"max_price\":{\"prompt\":1,\"completion\":\"2.5\",\"request\":0},"
	                   "\"quantizations\":[\"fp8\"],\"zdr\":true}}";
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	assert_non_null(req.provider);
	assert_true(json_is_false(json_object_get(req.provider, "allow_fallbacks")));
	dp_request_release(&req);
	assert_int_equal(
	    parse("{" M MSGS ",\"provider\":{\"sort\":\"latency\"}}", &req, err, sizeof(err)), 0);
	dp_request_release(&req);
}

static void test_upstream_body(void **state)
{
	const char *body = "{\"model\":\"openai/gpt-4o\",\"models\":[\"x/y\"],\"stream\":true,"
	                   "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	                   "\"provider\":{\"order\":[\"openai\"]},\"route\":\"fallback\","
	                   "\"transforms\":[],\"plugins\":[],\"usage\":{\"include\":true},"
	                   "\"session_id\":\"s\",\"user\":\"u\",\"temperature\":0.7,"
	                   "\"top_k\":40,\"stream_options\":{\"foo\":1},\"custom\":\"kept\"}";
	struct dp_chat_req req;
	char err[256];
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	const char *drop[] = {"top_k", NULL};
	size_t len = 0;
	char *s = dp_request_upstream_body(&req, "gpt-4o-2024-08-06", drop, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	json_t *u = json_loads(s, 0, NULL);
	assert_non_null(u);
	assert_string_equal(json_string_value(json_object_get(u, "model")), "gpt-4o-2024-08-06");
	const char *gone[] = {"models", "provider",   "route", "transforms", "plugins",
	                      "usage",  "session_id", "user",  "top_k"};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (json_object_get(u, gone[i]))
			fail_msg("%s was sent upstream", gone[i]);
	assert_true(json_is_true(json_object_get(u, "stream")));
	json_t *so = json_object_get(u, "stream_options");
	assert_true(json_is_true(json_object_get(so, "include_usage")));
	assert_int_equal(json_integer_value(json_object_get(so, "foo")), 1);
	assert_string_equal(json_string_value(json_object_get(u, "custom")), "kept");
	assert_true(json_real_value(json_object_get(u, "temperature")) == 0.7);
	assert_non_null(strstr(s, "\"temperature\":0.7"));
	assert_int_equal(json_array_size(json_object_get(u, "messages")), 1);
	json_decref(u);
	free(s);
	/* the client's body is untouched */
	assert_non_null(json_object_get(req.body, "top_k"));
	assert_null(json_object_get(json_object_get(req.body, "stream_options"), "include_usage"));
	assert_string_equal(json_string_value(json_object_get(req.body, "model")), "openai/gpt-4o");
	dp_request_release(&req);

	/* non-streaming: no stream_options at all (OpenAI rejects it without stream) */
	assert_int_equal(parse("{" M MSGS ",\"stream_options\":{\"include_usage\":true}}", &req,
	                       err, sizeof(err)),
	                 0);
	s = dp_request_upstream_body(&req, "b", NULL, &len);
	u = json_loads(s, 0, NULL);
	assert_null(json_object_get(u, "stream_options"));
	assert_string_equal(json_string_value(json_object_get(u, "model")), "b");
	json_decref(u);
	free(s);
	dp_request_release(&req);

	/* a stream without stream_options gets one */
	assert_int_equal(parse("{" M MSGS ",\"stream\":true}", &req, err, sizeof(err)), 0);
	s = dp_request_upstream_body(&req, "b", NULL, &len);
	u = json_loads(s, 0, NULL);
	assert_true(
	    json_is_true(json_object_get(json_object_get(u, "stream_options"), "include_usage")));
	json_decref(u);
	free(s);
	dp_request_release(&req);
}

/* The upstream body is cut from the client's text: what is not changed is copied as
 * written (spacing inside values, escapes, number spellings). */
static void test_upstream_body_keeps_the_text(void **state)
{
	struct dp_chat_req req;
	char err[256];
	const char *body = "{ \"messages\" : [ {\"role\":\"user\", \"content\":\"h\\u00e9\"} ],"
	                   "\"temperature\":1.50,\"mod\\u0065l\":\"openai/gpt-4o\","
	                   "\"user\":\"u\",\"seed\":12,\"seed\":13,\"stream\":true,"
	                   "\"stream_options\":{\"include_usage\":false,\"x\":[1, 2]}}";
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	size_t len = 0;
	char *s = dp_request_upstream_body(&req, "gpt\"4o", NULL, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	assert_string_equal(s, "{\"messages\":[ {\"role\":\"user\", \"content\":\"h\\u00e9\"} ],"
	                       "\"temperature\":1.50,\"mod\\u0065l\":\"gpt\\\"4o\",\"seed\":12,"
	                       "\"seed\":13,\"stream\":true,"
	                       "\"stream_options\":{\"x\":[1, 2],\"include_usage\":true}}");
	free(s);
	dp_request_release(&req);

	/* only models[]: model is added; options that are not an object are replaced */
	body = "{\"models\":[\"a/b\"],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
	       "\"stream\":true,\"stream_options\":null}";
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	s = dp_request_upstream_body(&req, "b", NULL, &len);
	assert_string_equal(s,
	                    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true,"
	                    "\"stream_options\":{\"include_usage\":true},\"model\":\"b\"}");
	free(s);
	dp_request_release(&req);
}

struct collected {
	char names[512];
	int calls;
	int stop_after;
};

static bool collect(const char *name, void *arg)
{
	struct collected *c = arg;
	size_t n = strlen(c->names);
	snprintf(c->names + n, sizeof(c->names) - n, "%s%s", n ? "," : "", name);
	return ++c->calls != c->stop_after;
}

static void test_each_param(void **state)
{
	const char *body =
	    "{" M MSGS ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
	    "\"tool_choice\":\"auto\",\"temperature\":1,\"max_tokens\":5,"
	    "\"max_completion_tokens\":5,\"seed\":1,\"top_p\":null,\"stream\":true,"
	    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{}},"
	    "\"reasoning_effort\":\"low\",\"reasoning\":{\"effort\":\"low\"},"
	    "\"frequency_penalty\":0.1,\"logprobs\":true,\"custom\":1}";
	struct dp_chat_req req;
	char err[256];
	assert_int_equal(parse(body, &req, err, sizeof(err)), 0);
	struct collected c = {"", 0, 0};
	dp_request_each_param(&req, collect, &c);
	assert_string_equal(c.names, "tools,tool_choice,temperature,max_tokens,seed,"
	                             "response_format,logprobs,frequency_penalty,reasoning,"
	                             "structured_outputs");
	/* stopping early */
	struct collected d = {"", 0, 2};
	dp_request_each_param(&req, collect, &d);
	assert_string_equal(d.names, "tools,tool_choice");
	dp_request_release(&req);

	/* a plain request uses no parameters; json_object is not structured_outputs */
	assert_int_equal(parse("{" M MSGS ",\"response_format\":{\"type\":\"json_object\"},"
	                       "\"max_completion_tokens\":9}",
	                       &req, err, sizeof(err)),
	                 0);
	struct collected e = {"", 0, 0};
	dp_request_each_param(&req, collect, &e);
	assert_string_equal(e.names, "max_tokens,response_format");
	dp_request_release(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_a_request),
	    cmocka_unit_test(test_body_shape),
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_valid_conversation_with_tools),
	    cmocka_unit_test(test_prompt_estimate),
	    cmocka_unit_test(test_models),
	    cmocka_unit_test(test_sampling_fields),
	    cmocka_unit_test(test_tools_fields),
	    cmocka_unit_test(test_provider_preferences),
	    cmocka_unit_test(test_upstream_body),
	    cmocka_unit_test(test_upstream_body_keeps_the_text),
	    cmocka_unit_test(test_each_param),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
