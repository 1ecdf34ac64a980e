/* dp_embed_test.c - POST /embeddings: request validation, the adapters' embeddings calls
 * both ways (OpenAI's and Gemini's documented shapes), the answer read back and the client's
 * answer in float and base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_embed.h"
#include "dp_test_adapter.h"

static void parse_ok(const char *text, struct dp_chat_req *req)
{
	char err[256] = "";
	if (dp_embed_parse(text, strlen(text), req, err, sizeof(err)))
		fail_msg("refused: %s", err);
	assert_true(req->embeddings);
}

static void test_parse_shapes(void **state)
{
	struct dp_chat_req req;
	parse_ok("{\"model\":\"openai/text-embedding-3-small\",\"input\":\"The food was "
	         "delicious and the waiter...\"}",
	         &req);
	assert_string_equal(req.model, "openai/text-embedding-3-small");
	assert_int_equal(req.n_models, 1);
	assert_int_equal(req.n_inputs, 1);
	assert_int_equal(req.prompt_tokens_est, 10); /* 40 characters */
	assert_false(req.base64);
	assert_false(req.stream);
	assert_int_equal(req.dimensions, 0);
	assert_null(req.provider);
	dp_request_release(&req);

	parse_ok("{\"model\":\"m\",\"input\":[\"ab\",\"cdefg\",\"\xc3\xa9t\xc3\xa9\"],"
	         "\"dimensions\":256,\"encoding_format\":\"base64\",\"user\":\"u-1\","
	         "\"provider\":{\"order\":[\"openai\"],\"allow_fallbacks\":false}}",
	         &req);
	assert_int_equal(req.n_inputs, 3);
	assert_int_equal(req.prompt_tokens_est, 1 + 2 + 1); /* characters, not bytes */
	assert_int_equal(req.dimensions, 256);
	assert_true(req.base64);
	assert_string_equal(req.user, "u-1");
	assert_non_null(req.provider);
	dp_request_release(&req);

	parse_ok("{\"model\":\"m\",\"input\":[1,2,3,4,5],\"encoding_format\":\"float\"}", &req);
	assert_int_equal(req.n_inputs, 1);
	assert_int_equal(req.prompt_tokens_est, 5);
	assert_false(req.base64);
	dp_request_release(&req);

	parse_ok("{\"model\":\"m\",\"input\":[[1,2],[3,4,5],[0]],\"user\":null}", &req);
	assert_int_equal(req.n_inputs, 3);
	assert_int_equal(req.prompt_tokens_est, 6);
	assert_null(req.user);
	dp_request_release(&req);
}

static void test_parse_refused(void **state)
{
	static const char *const cases[][2] = {
	    {"{\"model\":\"m\",\"input\":\"x\",\"messages\":[]}",
	     "messages is not supported by /embeddings"},
	    {"{\"model\":\"m\",\"input\":\"x\",\"stream\":false}", "stream is not supported"},
	    {"{\"model\":\"m\",\"input\":\"x\",\"models\":[\"m\"]}", "models is not supported"},
	    {"{\"model\":\"m\"}", "input is required"},
	    {"{\"model\":\"m\",\"input\":null}", "input is required"},
	    {"{\"input\":\"x\"}", "model is required"},
	    {"{\"model\":\"\",\"input\":\"x\"}", "model is required"},
	    {"{\"model\":\"m\",\"input\":\"\"}", "input must not be an empty string"},
	    {"{\"model\":\"m\",\"input\":[]}", "input must not be an empty array"},
	    {"{\"model\":\"m\",\"input\":7}", "input must be a string, an array of strings"},
	    {"{\"model\":\"m\",\"input\":[\"a\",\"\"]}", "input[1] must not be an empty string"},
	    {"{\"model\":\"m\",\"input\":[\"a\",[1]]}", "input[1] must be a string like input[0]"},
	    {"{\"model\":\"m\",\"input\":[[1],\"a\"]}",
	     "input[1] must be a token id array like input[0]"},
	    {"{\"model\":\"m\",\"input\":[[1],[]]}", "input[1] must not be empty"},
	    {"{\"model\":\"m\",\"input\":[[1],[2,1.5]]}",
	     "input[1][1] must be a non-negative integer"},
	    {"{\"model\":\"m\",\"input\":[1,-1]}", "input[1] must be a non-negative integer"},
	    {"{\"model\":\"m\",\"input\":[true]}", "input[0] must be a token id array"},
	    {"{\"model\":\"m\",\"input\":\"x\",\"dimensions\":0}",
	     "dimensions must be a positive integer"},
	    {"{\"model\":\"m\",\"input\":\"x\",\"dimensions\":1.5}",
	     "dimensions must be a positive integer"},
	    {"{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":\"binary\"}",
	     "encoding_format must be \"float\" or \"base64\""},
	    {"{\"model\":\"m\",\"input\":\"x\",\"user\":1}", "user must be a string"},
	    {"{\"model\":\"m\",\"input\":\"x\",\"provider\":{\"only\":\"a\"}}", "provider.only"},
	    {"[]", "request body must be a JSON object"},
	    {"{\"model\":", "request body is not valid JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_chat_req req;
		char err[256] = "";
		int rc = dp_embed_parse(cases[i][0], strlen(cases[i][0]), &req, err, sizeof(err));
		if (rc != SY_EINVAL || !strstr(err, cases[i][1]))
			fail_msg("%s: rc %d, message \"%s\", want \"%s\"", cases[i][0], rc, err,
			         cases[i][1]);
		assert_null(req.body);
	}
	/* an unknown member's name is cut on a character boundary: the message stays UTF-8 */
	{
		struct dp_chat_req req;
		char err[256] = "", body[160];
		snprintf(
		    body, sizeof(body), "{\"model\":\"m\",\"input\":\"x\",\"%s\xc3\xa9x\":1}",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); /* 63 */
		assert_int_equal(dp_embed_parse(body, strlen(body), &req, err, sizeof(err)),
		                 SY_EINVAL);
		assert_non_null(strstr(err, "aaa is not supported by /embeddings"));
		json_t *msg = json_string(err);
		assert_non_null(msg); /* valid UTF-8 */
		json_decref(msg);
	}
	/* more than 2048 inputs */
	struct sy_buf b;
	sy_buf_init(&b, 0);
	sy_buf_puts(&b, "{\"model\":\"m\",\"input\":[\"a\"");
	for (int i = 0; i < DP_EMBED_MAX_INPUTS; i++)
		sy_buf_puts(&b, ",\"a\"");
	sy_buf_puts(&b, "]}");
	struct dp_chat_req req;
	char err[256] = "";
	assert_int_equal(dp_embed_parse(b.data, b.len, &req, err, sizeof(err)), SY_EINVAL);
	assert_non_null(strstr(err, "at most 2048"));
	sy_buf_release(&b);
}

static void test_model(void **state)
{
	Sy__Model m = SY__MODEL__INIT;
	assert_false(dp_embed_model(&m));
	char *text[] = {"text"}, *emb[] = {"embeddings"};
	m.output_modalities = text;
	m.n_output_modalities = 1;
	assert_false(dp_embed_model(&m));
	m.output_modalities = emb;
	assert_true(dp_embed_model(&m));
}

/* OpenAI's reference example: POST /embeddings with model, input and the options. */
static void test_build_openai(void **state)
{
	struct test_target tt;
	struct dp_chat_req req;
	struct dp_adapter_call c;
	char err[256] = "";
	test_target_init(&tt, "openai", "https://api.openai.com/v1/", "text-embedding-3-small", 0);
	parse_ok("{\"model\":\"openai/text-embedding-3-small\",\"input\":[\"The food was "
	         "delicious\",\"and the waiter\"],\"dimensions\":512,\"encoding_format\":"
	         "\"base64\",\"user\":\"alice\"}",
	         &req);
	assert_int_equal(dp_embed_build(&dp_adapter_openai, &req, &tt.t, &c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "https://api.openai.com/v1/embeddings");
	assert_null(c.key_header);
	json_t *b = json_loadb(c.body, c.len, 0, NULL);
	/* floats always (base64 is ours to make); user is not forwarded */
	test_json_eq(b, "{\"model\":\"text-embedding-3-small\",\"input\":[\"The food was "
	                "delicious\",\"and the waiter\"],\"dimensions\":512,"
	                "\"encoding_format\":\"float\"}");
	json_decref(b);
	dp_adapter_call_release(&c);
	dp_request_release(&req);
}

/* Google's examples: one text to :embedContent, several to :batchEmbedContents. */
static void test_build_gemini(void **state)
{
	struct test_target tt;
	struct dp_chat_req req;
	struct dp_adapter_call c;
	char err[256] = "";
	test_target_init(&tt, "gemini", "https://generativelanguage.googleapis.com/v1beta",
	                 "gemini-embedding-001", 0);
	parse_ok("{\"model\":\"google/gemini-embedding-001\",\"input\":\"What is the meaning of "
	         "life?\",\"dimensions\":768}",
	         &req);
	assert_int_equal(dp_embed_build(&dp_adapter_gemini, &req, &tt.t, &c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "https://generativelanguage.googleapis.com/v1beta/models/"
	                           "gemini-embedding-001:embedContent");
	assert_string_equal(c.key_header, "x-goog-api-key");
	json_t *b = json_loadb(c.body, c.len, 0, NULL);
	test_json_eq(b, "{\"content\":{\"parts\":[{\"text\":\"What is the meaning of life?\"}]},"
	                "\"outputDimensionality\":768}");
	json_decref(b);
	dp_adapter_call_release(&c);
	dp_request_release(&req);

	parse_ok("{\"model\":\"g\",\"input\":[\"What is the meaning of life?\",\"How much wood "
	         "would a woodchuck chuck?\"]}",
	         &req);
	assert_int_equal(dp_embed_build(&dp_adapter_gemini, &req, &tt.t, &c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "https://generativelanguage.googleapis.com/v1beta/models/"
	                           "gemini-embedding-001:batchEmbedContents");
	b = json_loadb(c.body, c.len, 0, NULL);
	test_json_eq(b, "{\"requests\":["
	                "{\"model\":\"models/gemini-embedding-001\",\"content\":{\"parts\":"
	                "[{\"text\":\"What is the meaning of life?\"}]}},"
	                "{\"model\":\"models/gemini-embedding-001\",\"content\":{\"parts\":"
	                "[{\"text\":\"How much wood would a woodchuck chuck?\"}]}}]}");
	json_decref(b);
	dp_adapter_call_release(&c);
	dp_request_release(&req);

	/* token ids have no Gemini form */
	parse_ok("{\"model\":\"g\",\"input\":[[1,2],[3]]}", &req);
	assert_int_equal(dp_embed_build(&dp_adapter_gemini, &req, &tt.t, &c, err, sizeof(err)),
	                 SY_EINVAL);
	assert_non_null(strstr(err, "token ids cannot be sent to the Gemini API"));
	assert_null(c.body);
	assert_null(c.url);
	dp_request_release(&req);
}

/* Anthropic's API has no embeddings: refused with a message naming the provider. */
static void test_build_anthropic(void **state)
{
	struct test_target tt;
	struct dp_chat_req req;
	struct dp_adapter_call c;
	char err[256] = "";
	test_target_init(&tt, "anthropic", "https://api.anthropic.com/v1", "claude", 0);
	parse_ok("{\"model\":\"m\",\"input\":\"x\"}", &req);
	assert_int_equal(dp_embed_build(&dp_adapter_anthropic, &req, &tt.t, &c, err, sizeof(err)),
	                 SY_EINVAL);
	assert_string_equal(err, "Provider anthropic speaks the anthropic API, which has no "
	                         "embeddings");
	assert_null(c.body);
	dp_request_release(&req);
}

/* The vectors an answer was read to, as one JSON array. */
static void vectors_eq(const struct dp_embed_answer *a, const char *want)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	sy_buf_puts(&b, "[");
	for (size_t i = 0; i < a->n; i++) {
		if (i)
			sy_buf_puts(&b, ",");
		sy_buf_append(&b, a->vectors[i].p, a->vectors[i].n);
	}
	sy_buf_puts(&b, "]");
	json_t *j = json_loads(b.data, 0, NULL);
	assert_non_null(j);
	test_json_eq(j, want);
	json_decref(j);
	sy_buf_release(&b);
}

/* Read an answer of adapter ad for request text; returns dp_embed_read's code. */
static int read_answer(const struct dp_adapter *ad, const char *req_text, const char *answer,
                       struct dp_embed_answer *a)
{
	struct dp_chat_req req;
	parse_ok(req_text, &req);
	int rc = dp_embed_read(ad, answer, strlen(answer), &req, a);
	dp_request_release(&req);
	return rc;
}

static void test_read_openai(void **state)
{
	struct dp_embed_answer a;
	/* OpenAI's example answer, its items out of order */
	assert_int_equal(
	    read_answer(&dp_adapter_openai, "{\"model\":\"m\",\"input\":[\"a\",\"b\"]}",
	                "{\"object\":\"list\",\"data\":["
	                "{\"object\":\"embedding\",\"embedding\":[0.5,0.25],\"index\":1},"
	                "{\"object\":\"embedding\",\"embedding\":[0.0023064255,-0.009327292],"
	                "\"index\":0}],\"model\":\"text-embedding-3-small\","
	                "\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}",
	                &a),
	    0);
	vectors_eq(&a, "[[0.0023064255,-0.009327292],[0.5,0.25]]");
	assert_int_equal(a.usage.tokens.prompt, 8);
	assert_int_equal(a.usage.tokens.completion, 0);
	assert_true(a.usage.from_provider);
	assert_string_equal(a.usage.finish_reason, "stop");
	dp_embed_answer_release(&a);

	/* no usage: the gateway's estimate */
	assert_int_equal(read_answer(&dp_adapter_openai,
	                             "{\"model\":\"m\",\"input\":\"twelve chars\"}",
	                             "{\"data\":[{\"embedding\":[1],\"index\":0}]}", &a),
	                 0);
	assert_int_equal(a.usage.tokens.prompt, 3);
	assert_false(a.usage.from_provider);
	dp_embed_answer_release(&a);

	static const char *const bad[] = {
	    "not json",
	    "{\"data\":[]}",                              /* too few */
	    "{\"data\":[{\"embedding\":[1],\"index\":0}," /* duplicate */
	    "{\"embedding\":[1],\"index\":0}]}",
	    "{\"data\":[{\"embedding\":[1],\"index\":0}," /* out of range */
	    "{\"embedding\":[1],\"index\":2}]}",
	    "{\"data\":[{\"embedding\":[1],\"index\":0}," /* not numbers */
	    "{\"embedding\":[\"x\"],\"index\":1}]}",
	    "{\"data\":[{\"embedding\":\"AACAPw==\",\"index\":0}," /* not floats */
	    "{\"embedding\":[1],\"index\":1}]}",
	    "{\"error\":{\"message\":\"no\"}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (read_answer(&dp_adapter_openai, "{\"model\":\"m\",\"input\":[\"a\",\"b\"]}",
		                bad[i], &a) != SY_EPROTO)
			fail_msg("accepted %s", bad[i]);
}

static void test_read_gemini(void **state)
{
	struct dp_embed_answer a;
	/* Google's embedContent example */
	assert_int_equal(read_answer(&dp_adapter_gemini, "{\"model\":\"m\",\"input\":\"life\"}",
	                             "{\"embedding\":{\"values\":[0.013168523,-0.008711934,"
	                             "-0.046782676]}}",
	                             &a),
	                 0);
	vectors_eq(&a, "[[0.013168523,-0.008711934,-0.046782676]]");
	assert_false(a.usage.from_provider);
	assert_int_equal(a.usage.tokens.prompt, 1);
	dp_embed_answer_release(&a);

	/* batchEmbedContents, with usageMetadata */
	assert_int_equal(read_answer(&dp_adapter_gemini,
	                             "{\"model\":\"m\",\"input\":[\"a\",\"b\"]}",
	                             "{\"embeddings\":[{\"values\":[1,2]},{\"values\":[3,4]}],"
	                             "\"usageMetadata\":{\"promptTokenCount\":7,"
	                             "\"totalTokenCount\":7}}",
	                             &a),
	                 0);
	vectors_eq(&a, "[[1,2],[3,4]]");
	assert_true(a.usage.from_provider);
	assert_int_equal(a.usage.tokens.prompt, 7);
	dp_embed_answer_release(&a);

	static const char *const bad[] = {
	    "{\"embeddings\":[{\"values\":[1]}]}",                 /* one for two inputs */
	    "{\"embeddings\":[{\"values\":[1]},{\"value\":[2]}]}", /* no values */
	    "{\"embeddings\":{\"values\":[1]}}",                   /* not a list */
	    "{\"error\":{\"code\":400,\"status\":\"INVALID_ARGUMENT\"}}",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (read_answer(&dp_adapter_gemini, "{\"model\":\"m\",\"input\":[\"a\",\"b\"]}",
		                bad[i], &a) != SY_EPROTO)
			fail_msg("accepted %s", bad[i]);
}

/* base64 of the numbers in the JSON text json (NULL when refused). */
static char *b64(const char *json)
{
	struct dp_jval v;
	assert_int_equal(dp_jtext_check(json, strlen(json), &v), 0);
	return dp_embed_base64(&v);
}

static void test_base64(void **state)
{
	char *s = b64("[1.0, -2,0.5e0 ]");
	/* little-endian float32: 00 00 80 3f, 00 00 00 c0, 00 00 00 3f */
	assert_string_equal(s, "AACAPwAAAMAAAAA/");
	free(s);
	s = b64("[0.1]"); /* rounded to float32: 0x3dcccccd */
	assert_string_equal(s, "zczMPQ==");
	free(s);
	assert_null(b64("[1,\"x\"]"));
	assert_null(b64("[]"));
	assert_null(b64("{\"a\":1}"));
}

static void test_finish(void **state)
{
	static const struct dp_gen_info g = {.id = "gen-1-abc",
	                                     .created = 1,
	                                     .provider_name = "OpenAI",
	                                     .model = "openai/text-embedding-3-small"};
	struct dp_embed_answer a;
	struct dp_chat_req req;
	assert_int_equal(read_answer(&dp_adapter_openai,
	                             "{\"model\":\"m\",\"input\":[\"a\",\"b\"]}",
	                             "{\"data\":[{\"embedding\":[1, -2,0.50000000000000000001],"
	                             "\"index\":0},{\"embedding\":[0.25],\"index\":1}],"
	                             "\"usage\":{\"prompt_tokens\":4}}",
	                             &a),
	                 0);
	parse_ok("{\"model\":\"m\",\"input\":[\"a\",\"b\"]}", &req);
	char *out = dp_embed_finish(&a, &req, &g, 800); /* 8e-8 USD */
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(test_str(j, "id"), "gen-1-abc");
	assert_string_equal(test_str(j, "object"), "list");
	assert_string_equal(test_str(j, "model"), "openai/text-embedding-3-small");
	assert_string_equal(test_str(j, "provider"), "OpenAI");
	test_json_eq(json_object_get(j, "data"),
	             "[{\"object\":\"embedding\",\"index\":0,\"embedding\":[1,-2,0.5]},"
	             "{\"object\":\"embedding\",\"index\":1,\"embedding\":[0.25]}]");
	assert_int_equal(test_int(j, "usage.prompt_tokens"), 4);
	assert_int_equal(test_int(j, "usage.total_tokens"), 4);
	assert_int_equal(test_int(j, "usage.completion_tokens"), 0);
	assert_non_null(strstr(out, "\"cost\":0.00000008,")); /* exact, as chat's */
	/* the numbers as the provider wrote them */
	assert_non_null(strstr(out, "\"embedding\":[1, -2,0.50000000000000000001]}"));
	json_decref(j);
	free(out);
	dp_request_release(&req);

	parse_ok("{\"model\":\"m\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"base64\"}", &req);
	out = dp_embed_finish(&a, &req, &g, 0);
	j = json_loads(out, 0, NULL);
	assert_string_equal(test_str(j, "data.0.embedding"), "AACAPwAAAMAAAAA/");
	assert_string_equal(test_str(j, "data.1.embedding"), "AACAPg==");
	json_decref(j);
	free(out);
	dp_request_release(&req);
	dp_embed_answer_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_shapes), cmocka_unit_test(test_parse_refused),
	    cmocka_unit_test(test_model),        cmocka_unit_test(test_build_openai),
	    cmocka_unit_test(test_build_gemini), cmocka_unit_test(test_build_anthropic),
	    cmocka_unit_test(test_read_openai),  cmocka_unit_test(test_read_gemini),
	    cmocka_unit_test(test_base64),       cmocka_unit_test(test_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
