/* dp_autorouter_test.c - openrouter/auto and switchyard/auto: rule evaluation (first match
 * wins, every condition of a rule must hold, keywords in the last user message only, any
 * case) and resolving the request's model list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dp_autorouter.h"
#include "sy_err.h"

static char *kw_code[] = {"code", "SQL"};
static Sy__AutoRule r_tools, r_long, r_code;
static Sy__AutoRule *rules[] = {&r_tools, &r_long, &r_code};
static Sy__AutoRouter ar;

/* The rules of these tests: tools -> a/tools; 100+ prompt tokens -> a/long; "code" or "SQL"
 * without tools -> a/code; else a/plain. */
static void init(void)
{
	sy__auto_rule__init(&r_tools);
	r_tools.model = (char *)"a/tools";
	r_tools.has_has_tools = r_tools.has_tools = true;
	sy__auto_rule__init(&r_long);
	r_long.model = (char *)"a/long";
	r_long.has_min_prompt_tokens = true;
	r_long.min_prompt_tokens = 100;
	sy__auto_rule__init(&r_code);
	r_code.model = (char *)"a/code";
	r_code.n_keywords = 2;
	r_code.keywords = kw_code;
	r_code.has_has_tools = true;
	r_code.has_tools = false;
	sy__auto_router__init(&ar);
	ar.id = (char *)"default";
	ar.default_model = (char *)"a/plain";
	ar.n_rules = 3;
	ar.rules = rules;
}

/* The model the rules choose for a request body. */
static const char *choose(const char *body)
{
	struct dp_chat_req req = {0};
	char err[256];
	if (dp_request_parse(body, strlen(body), &req, err, sizeof(err)))
		fail_msg("%s: %s", body, err);
	const char *m = dp_autorouter_choose(&ar, &req);
	dp_request_release(&req);
	return m;
}

#define USER(text)                                                                                 \
	"{\"model\":\"openrouter/auto\",\"messages\":[{\"role\":\"user\",\"content\":\"" text "\"" \
	"}]"
#define TOOLS ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]"

/* Usage example: the first rule that matches names the model, else the default. */
static void test_usage_example(void **state)
{
	init();
	assert_string_equal(choose(USER("hello") "}"), "a/plain");
	assert_string_equal(choose(USER("hello") TOOLS "}"), "a/tools");
	assert_string_equal(choose(USER("write some sql please") "}"), "a/code");
}

/* Order decides between rules that both match; a rule needs all its conditions. */
static void test_first_match_all_conditions(void **state)
{
	init();
	/* tools and a keyword: the tools rule comes first */
	assert_string_equal(choose(USER("CODE review") TOOLS "}"), "a/tools");
	/* the code rule also requires no tools: with its keyword but tools, and the tools rule
	 * gone, nothing matches */
	ar.rules = (Sy__AutoRule *[]){&r_long, &r_code};
	ar.n_rules = 2;
	assert_string_equal(choose(USER("code") TOOLS "}"), "a/plain");
	/* 400+ characters are 100+ tokens */
	char body[1024];
	char text[500];
	memset(text, 'x', 440);
	text[440] = '\0';
	snprintf(body, sizeof(body), USER("%s code") "}", text);
	assert_string_equal(choose(body), "a/long");
	snprintf(body, sizeof(body), USER("%.300s code") "}", text);
	assert_string_equal(choose(body), "a/code");
	/* no rules at all: the default */
	ar.n_rules = 0;
	assert_string_equal(choose(body), "a/plain");
}

/* Keywords: any case, in the last user message only, in text parts too. */
static void test_keywords(void **state)
{
	init();
	assert_string_equal(choose(USER("Some SqL here") "}"), "a/code");
	assert_string_equal(choose("{\"model\":\"openrouter/auto\",\"messages\":["
	                           "{\"role\":\"user\",\"content\":\"sql\"},"
	                           "{\"role\":\"assistant\",\"content\":\"code\"},"
	                           "{\"role\":\"user\",\"content\":\"thanks\"}]}"),
	                    "a/plain");
	assert_string_equal(choose("{\"model\":\"openrouter/auto\",\"messages\":["
	                           "{\"role\":\"user\",\"content\":\"thanks\"},"
	                           "{\"role\":\"assistant\",\"content\":\"ok\"},"
	                           "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
	                           "\"image_url\":{\"url\":\"x\"}},{\"type\":\"text\","
	                           "\"text\":\"fix my Code\"}]}]}"),
	                    "a/code");
	assert_string_equal(choose("{\"model\":\"openrouter/auto\",\"messages\":["
	                           "{\"role\":\"system\",\"content\":\"you write code\"}]}"),
	                    "a/plain");
}

static struct dp_chat_req parse(const char *body)
{
	struct dp_chat_req req = {0};
	char err[256];
	assert_int_equal(dp_request_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	return req;
}

/* Resolving the model list: auto entries become the chosen model, repeats are dropped. */
static void test_resolve(void **state)
{
	init();
	char err[256] = "";
	struct dp_chat_req req = parse(
	    "{\"model\":\"switchyard/auto\",\"models\":[\"a/x\",\"a/code\",\"openrouter/auto\"],"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"sql\"}]}");
	assert_int_equal(req.n_models, 4);
	assert_int_equal(dp_autorouter_resolve(&ar, &req, err, sizeof(err)), 0);
	assert_int_equal(req.n_models, 2);
	assert_string_equal(req.models[0], "a/code");
	assert_string_equal(req.models[1], "a/x");
	dp_request_release(&req);

	/* no auto router in the request: nothing changes, even without rules */
	req = parse("{\"model\":\"a/x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
	assert_int_equal(dp_autorouter_resolve(NULL, &req, err, sizeof(err)), 0);
	assert_int_equal(req.n_models, 1);
	assert_string_equal(req.models[0], "a/x");
	dp_request_release(&req);

	/* the auto router without rules: not found, saying why */
	req = parse("{\"model\":\"a/x\",\"models\":[\"openrouter/auto\"],"
	            "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
	assert_int_equal(dp_autorouter_resolve(NULL, &req, err, sizeof(err)), SY_ENOTFOUND);
	assert_non_null(strstr(err, "openrouter/auto"));
	assert_non_null(strstr(err, "no auto-router rules are configured"));
	dp_request_release(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage_example),
	    cmocka_unit_test(test_first_match_all_conditions),
	    cmocka_unit_test(test_keywords),
	    cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
