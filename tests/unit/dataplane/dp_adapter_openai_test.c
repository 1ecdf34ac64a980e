/* dp_adapter_openai_test.c - the OpenAI-compatible adapter: the client's request goes out
 * nearly as it came, answers and chunks pass untranslated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test_adapter.h"

static const struct dp_adapter *ad = &dp_adapter_openai;

static void test_request(void **state)
{
	struct test_target tt;
	struct dp_adapter_call c;
	test_target_init(&tt, "openai", "https://api.openai.com/v1//", "gpt-4o-2024-08-06", 0);
	static const char *const drop[] = {"top_k", NULL};
	json_t *b = test_build(ad, &tt,
	                       "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"user\","
	                       "\"content\":\"hi\"}],\"top_k\":3,\"user\":\"u\",\"provider\":"
	                       "{\"order\":[\"openai\"]},\"stream\":true,\"seed\":1}",
	                       drop, &c);
	assert_string_equal(c.url, "https://api.openai.com/v1/chat/completions");
	assert_null(c.key_header); /* Authorization: Bearer */
	assert_null(c.headers);
	test_json_eq(b, "{\"model\":\"gpt-4o-2024-08-06\",\"messages\":[{\"role\":\"user\","
	                "\"content\":\"hi\"}],\"stream\":true,\"seed\":1,\"stream_options\":"
	                "{\"include_usage\":true}}");
	json_decref(b);
	dp_adapter_call_release(&c);
	dp_adapter_call_release(&c); /* idempotent */
	assert_null(ad->answer);     /* answers need no translation */
}

static void test_stream_passes_through(void **state)
{
	struct test_stream ts;
	test_stream(
	    ad, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
	    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n"
	    "data: [DONE]\n\n",
	    3, &ts);
	assert_int_equal(ts.rc, 0);
	assert_int_equal(json_array_size(ts.chunks), 3); /* [DONE] is ours to send */
	assert_string_equal(ts.st.usage.finish_reason, "stop");
	assert_int_equal(ts.st.usage.tokens.prompt, 3);
	json_decref(ts.chunks);
	test_stream(ad, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
	            "data: {\"error\":{\"message\":\"boom\"}}\n\n", 0, &ts);
	assert_int_equal(ts.rc, SY_EPROTO);
	json_decref(ts.chunks);
}

static void test_classify(void **state)
{
	static const char ctx[] = "{\"error\":{\"code\":\"context_length_exceeded\"}}";
	assert_int_equal(ad->classify(400, ctx, strlen(ctx)), DP_FAULT_CONTEXT_LENGTH);
	assert_int_equal(ad->classify(400, "{}", 2), DP_FAULT_CLIENT);
	assert_int_equal(ad->classify(422, "", 0), DP_FAULT_CLIENT);
	assert_int_equal(ad->classify(429, "", 0), DP_FAULT_RATE_LIMITED);
	/* as before the seam: a refused key is a provider fault like any other */
	assert_int_equal(ad->classify(401, "", 0), DP_FAULT_PROVIDER);
	assert_int_equal(ad->classify(503, "", 0), DP_FAULT_PROVIDER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_stream_passes_through),
	    cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
