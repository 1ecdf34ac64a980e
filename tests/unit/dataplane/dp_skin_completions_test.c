/* dp_skin_completions_test.c - OpenAI's legacy text completions as a client format: the
 * documented request as a chat request, the chat answer and chunks as text_completion
 * objects, refusals naming their field. */
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

static const struct dp_skin *sk = &dp_skin_completions;

static int translate(const char *body, char **out, char *err)
{
	void *st = NULL;
	*out = NULL;
	int rc = sk->request(body, strlen(body), NULL, &st, out, err, 256);
	assert_null(st);
	return rc;
}

static void test_request(void **state)
{
	char *out, err[256];
	assert_int_equal(
	    translate("{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is "
	              "a test\",\"max_tokens\":7,\"temperature\":0,\"stop\":[\"\\n\"],"
	              "\"echo\":false,\"stream\":true,\"provider\":{\"sort\":\"price\"}}",
	              &out, err),
	    0);
	json_t *j = json_loads(out, 0, NULL);
	test_json_eq(j, "{\"model\":\"gpt-3.5-turbo-instruct\",\"max_tokens\":7,\"temperature\":0,"
	                "\"stop\":[\"\\n\"],\"stream\":true,\"provider\":{\"sort\":\"price\"},"
	                "\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}]}");
	json_decref(j);
	free(out);
	assert_int_equal(translate("{\"model\":\"m\",\"prompt\":[\"one\"],\"logprobs\":null,"
	                           "\"best_of\":1,\"suffix\":null}",
	                           &out, err),
	                 0);
	j = json_loads(out, 0, NULL);
	test_json_eq(j, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"one\"}]}");
	json_decref(j);
	free(out);
}

static void test_refused(void **state)
{
	static const struct {
		const char *body, *needle;
	} cases[] = {
	    {"{\"model\":\"m\",\"prompt\":\"x\",\"echo\":true}", "echo"},
	    {"{\"model\":\"m\",\"prompt\":\"x\",\"suffix\":\"y\"}", "suffix"},
	    {"{\"model\":\"m\",\"prompt\":\"x\",\"logprobs\":3}", "logprobs"},
	    {"{\"model\":\"m\",\"prompt\":\"x\",\"best_of\":2}", "best_of"},
	    {"{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}", "prompt"},
	    {"{\"model\":\"m\",\"prompt\":[1,2,3]}", "prompt"},
	    {"{\"model\":\"m\"}", "prompt"},
	    {"{\"model\":\"m\",\"prompt\":\"x\",\"messages\":[]}", "messages"},
	    {"[]", "JSON object"},
	    {"{", "not valid JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out, err[256] = "";
		assert_int_equal(translate(cases[i].body, &out, err), SY_EINVAL);
		assert_null(out);
		if (!strstr(err, cases[i].needle))
			fail_msg("\"%s\" does not name %s", err, cases[i].needle);
	}
}

static void test_reply(void **state)
{
	char *r = sk->reply(
	    NULL, 200,
	    strdup("{\"id\":\"gen-1\",\"object\":\"chat.completion\",\"created\":1589478378,"
	           "\"model\":\"openai/gpt-3.5-turbo-instruct\",\"provider\":\"OpenAI\","
	           "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
	           "\"\\n\\nThis is indeed a test\"},\"finish_reason\":\"length\","
	           "\"native_finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,"
	           "\"completion_tokens\":7,\"total_tokens\":12,\"cost\":0.1}}"));
	json_t *j = json_loads(r, 0, NULL);
	test_json_eq(j,
	             "{\"id\":\"gen-1\",\"object\":\"text_completion\",\"created\":1589478378,"
	             "\"model\":\"openai/gpt-3.5-turbo-instruct\",\"provider\":\"OpenAI\","
	             "\"choices\":[{\"index\":0,\"text\":\"\\n\\nThis is indeed a test\","
	             "\"finish_reason\":\"length\",\"native_finish_reason\":\"length\","
	             "\"logprobs\":null}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
	             "\"total_tokens\":12,\"cost\":0.1}}");
	json_decref(j);
	free(r);
	/* errors keep OpenRouter's envelope */
	r = sk->reply(NULL, 404, strdup("{\"error\":{\"code\":404,\"message\":\"no\"}}"));
	assert_string_equal(r, "{\"error\":{\"code\":404,\"message\":\"no\"}}");
	free(r);
}

static void test_chunks(void **state)
{
	struct sy_buf out;
	sy_buf_init(&out, 0);
	assert_int_equal(sk->stream(NULL, DP_SKIN_CHUNK,
	                            "{\"id\":\"gen-1\",\"object\":\"chat.completion.chunk\","
	                            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"This\"},"
	                            "\"finish_reason\":null}]}",
	                            &out),
	                 0);
	assert_int_equal(sk->stream(NULL, DP_SKIN_END,
	                            "{\"id\":\"gen-1\",\"object\":\"chat.completion.chunk\","
	                            "\"choices\":[],\"usage\":{\"completion_tokens\":1}}",
	                            &out),
	                 0);
	assert_string_equal(out.data,
	                    "data: {\"id\":\"gen-1\",\"object\":\"text_completion\",\"choices\":[{"
	                    "\"index\":0,\"text\":\"This\",\"finish_reason\":null,\"logprobs\":"
	                    "null}]}\n\n"
	                    "data: {\"id\":\"gen-1\",\"object\":\"text_completion\",\"choices\":[],"
	                    "\"usage\":{\"completion_tokens\":1}}\n\n"
	                    "data: [DONE]\n\n");
	sy_buf_reset(&out);
	assert_int_equal(sk->stream(NULL, DP_SKIN_ERROR, "{\"error\":{\"code\":502}}", &out), 0);
	assert_string_equal(out.data, "data: {\"error\":{\"code\":502}}\n\n");
	sy_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_reply),
	    cmocka_unit_test(test_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
