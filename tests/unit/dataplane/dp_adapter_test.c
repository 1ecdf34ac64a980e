/* dp_adapter_test.c - choosing an adapter and the helpers the adapters share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test_adapter.h"

static void test_find(void **state)
{
	assert_ptr_equal(dp_adapter_find(NULL), &dp_adapter_openai);
	assert_ptr_equal(dp_adapter_find(""), &dp_adapter_openai);
	assert_ptr_equal(dp_adapter_find("openai"), &dp_adapter_openai);
	assert_ptr_equal(dp_adapter_find("anthropic"), &dp_adapter_anthropic);
	assert_ptr_equal(dp_adapter_find("gemini"), &dp_adapter_gemini);
	assert_null(dp_adapter_find("bedrock"));
}

static void test_url_and_data_url(void **state)
{
	char *u = dp_adapter_url("http://h/v1///", "/messages");
	assert_string_equal(u, "http://h/v1/messages");
	free(u);
	char mime[32];
	const char *data;
	assert_true(dp_adapter_data_url("data:image/png;base64,AAA=", mime, sizeof(mime), &data));
	assert_string_equal(mime, "image/png");
	assert_string_equal(data, "AAA=");
	assert_false(dp_adapter_data_url("data:image/png,AAA", mime, sizeof(mime), &data));
	assert_false(dp_adapter_data_url("data:;base64,AAA", mime, sizeof(mime), &data));
	assert_false(dp_adapter_data_url("https://x/y.png", mime, sizeof(mime), &data));
	assert_false(dp_adapter_data_url("data:image/averyveryveryverylongsubtype;base64,A", mime,
	                                 8, &data));
}

static void test_context_length(void **state)
{
	static const char *const yes[] = {
	    "{\"error\":{\"code\":\"context_length_exceeded\"}}",
	    "This model's maximum context length is 8192 tokens",
	    "Prompt is too long: 208310 tokens > 200000 maximum",
	    "The input token count (1200000) exceeds the maximum number of tokens allowed",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(dp_adapter_is_context_length(yes[i], strlen(yes[i])));
	assert_false(dp_adapter_is_context_length("max_tokens: Field required", 26));
	assert_false(dp_adapter_is_context_length(NULL, 0));
	/* only the given length counts */
	assert_false(dp_adapter_is_context_length("context length", 7));
}

static uint32_t budget(const char *body, uint32_t max, bool *off)
{
	struct dp_chat_req req;
	test_parse(body, &req);
	uint32_t b = dp_adapter_reasoning_budget(&req, NULL, max, 1024, off);
	dp_request_release(&req);
	return b;
}

#define REQ(r) "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]" r "}"

static void test_reasoning_budget(void **state)
{
	bool off;
	assert_int_equal(budget(REQ(""), 10000, &off), 0);
	assert_false(off);
	assert_int_equal(budget(REQ(",\"reasoning\":{\"effort\":\"high\"}"), 10000, &off), 8000);
	assert_int_equal(budget(REQ(",\"reasoning\":{\"effort\":\"medium\"}"), 10000, &off), 5000);
	assert_int_equal(budget(REQ(",\"reasoning\":{\"effort\":\"minimal\"}"), 10000, &off), 1024);
	assert_int_equal(budget(REQ(",\"reasoning\":{\"max_tokens\":3000}"), 10000, &off), 3000);
	assert_int_equal(budget(REQ(",\"reasoning\":{\"enabled\":true}"), 4000, &off), 2000);
	assert_int_equal(budget(REQ(",\"reasoning\":{}"), 4000, &off), 2000);
	assert_int_equal(budget(REQ(",\"reasoning_effort\":\"high\""), 5000, &off), 4000);
	assert_int_equal(budget(REQ(",\"include_reasoning\":true"), 5000, &off), 2500);
	assert_int_equal(budget(REQ(",\"include_reasoning\":false"), 5000, &off), 0);
	assert_int_equal(budget(REQ(",\"reasoning\":{\"enabled\":false}"), 5000, &off), 0);
	assert_true(off);
	assert_int_equal(budget(REQ(",\"reasoning\":{\"effort\":\"none\"}"), 5000, &off), 0);
	assert_true(off);
}

static void test_max_tokens(void **state)
{
	struct test_target tt;
	struct dp_chat_req req;
	test_target_init(&tt, "anthropic", "http://h", "m", 0);
	test_parse(REQ(""), &req);
	assert_int_equal(dp_adapter_max_tokens(&req, &tt.t), DP_ADAPTER_MAX_TOKENS);
	tt.ep.has_max_completion_tokens = true;
	tt.ep.max_completion_tokens = 64000;
	assert_int_equal(dp_adapter_max_tokens(&req, &tt.t), 64000);
	dp_request_release(&req);
	test_parse(REQ(",\"max_completion_tokens\":10,\"max_tokens\":20"), &req);
	assert_int_equal(dp_adapter_max_tokens(&req, &tt.t), 10);
	dp_request_release(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find),           cmocka_unit_test(test_url_and_data_url),
	    cmocka_unit_test(test_context_length), cmocka_unit_test(test_reasoning_budget),
	    cmocka_unit_test(test_max_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
