/* dp_jtext_test.c - the in-place JSON scanner: validation against jansson, walking, decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_jtext.h"
#include "sy_err.h"

static void test_walk_an_object(void **state)
{
	const char *text =
	    " {\"a\": [1, {\"x\": \"}\"}], \"b\" : \"q\\\"\", \"c\":null, \"a\":-2} ";
	struct dp_jval root, k, v, a;
	struct dp_jiter it;
	assert_int_equal(dp_jtext_check(text, strlen(text), &root), 0);
	assert_int_equal(dp_jtext_kind(&root), '{');
	assert_int_equal(root.n, strlen(text) - 2);

	const char *keys[] = {"\"a\"", "\"b\"", "\"c\"", "\"a\""};
	const char *vals[] = {"[1, {\"x\": \"}\"}]", "\"q\\\"\"", "null", "-2"};
	size_t n = 0;
	dp_jtext_iter(&root, &it);
	while (dp_jtext_member(&it, &k, &v)) {
		assert_true(n < 4);
		assert_int_equal(k.n, strlen(keys[n]));
		assert_memory_equal(k.p, keys[n], k.n);
		assert_int_equal(v.n, strlen(vals[n]));
		assert_memory_equal(v.p, vals[n], v.n);
		n++;
	}
	assert_int_equal(n, 4);

	/* the last of duplicates, as jansson keeps it */
	int64_t x;
	assert_true(dp_jtext_get(&root, "a", &a));
	assert_true(dp_jtext_int(&a, &x));
	assert_int_equal(x, -2);
	assert_false(dp_jtext_get(&root, "missing", &a));
	assert_false(dp_jtext_get(NULL, "a", &a));

	/* several at once, in one walk */
	const char *names[] = {"c", "a", "missing"};
	struct dp_jval picked[3];
	dp_jtext_pick(&root, names, 3, picked);
	assert_int_equal(picked[0].n, 4);
	assert_memory_equal(picked[0].p, "null", 4);
	assert_int_equal(picked[1].n, 2);
	assert_memory_equal(picked[1].p, "-2", 2);
	assert_null(picked[2].p);
	dp_jtext_pick(NULL, names, 3, picked);
	assert_null(picked[0].p);

	/* elements of an array */
	assert_true(dp_jtext_get(&root, "b", &v));
	assert_false(dp_jtext_get(&v, "a", &a)); /* not an object */
	const char *arr = "[ 1 ,\"two\",[3],{},true ]";
	assert_int_equal(dp_jtext_check(arr, strlen(arr), &root), 0);
	const char *elems[] = {"1", "\"two\"", "[3]", "{}", "true"};
	n = 0;
	dp_jtext_iter(&root, &it);
	while (dp_jtext_element(&it, &v)) {
		assert_int_equal(v.n, strlen(elems[n]));
		assert_memory_equal(v.p, elems[n], v.n);
		n++;
	}
	assert_int_equal(n, 5);
	const char *empty = "[ ]";
	assert_int_equal(dp_jtext_check(empty, strlen(empty), &root), 0);
	dp_jtext_iter(&root, &it);
	assert_false(dp_jtext_element(&it, &v));
}

/* jansson's verdict on a text (any top-level value); big numbers aside, ours must agree. */
static bool jansson_accepts(const char *p, size_t n)
{
	json_t *j = json_loadb(p, n, JSON_DECODE_ANY, NULL);
	json_decref(j);
	return j != NULL;
}

/* Visit every value under v (under ASan this proves the walk stays inside the text). */
static size_t walk(const struct dp_jval *v)
{
	struct dp_jiter it;
	struct dp_jval k, e;
	size_t n = 1;
	char buf[16];
	switch (dp_jtext_kind(v)) {
	case '{':
		dp_jtext_iter(v, &it);
		while (dp_jtext_member(&it, &k, &e))
			n += walk(&k) + walk(&e);
		return n;
	case '[':
		dp_jtext_iter(v, &it);
		while (dp_jtext_element(&it, &e))
			n += walk(&e);
		return n;
	case '"':
		assert_true(dp_jtext_str(v, buf, sizeof(buf)) >= dp_jtext_chars(v));
		return n;
	default:
		return n;
	}
}

/* dp_jtext_check of a copy in a buffer of exactly n bytes; the verdict must be jansson's. */
static void check_agrees(const char *p, size_t n)
{
	struct dp_jval root;
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, p, n);
	bool ours = dp_jtext_check(copy, n, &root) == 0;
	if (ours != jansson_accepts(p, n))
		fail_msg("dp_jtext %s, jansson %s: [%.*s]", ours ? "accepts" : "rejects",
		         ours ? "rejects" : "accepts", (int)n, p);
	if (ours)
		assert_true(walk(&root) > 0);
	free(copy);
}

static void test_validation_agrees_with_jansson(void **state)
{
	static const char *const texts[] = {
	    "{}",
	    "[]",
	    "\"\"",
	    "0",
	    "-0",
	    "1.5e-3",
	    "1E+2",
	    "-12.25",
	    "true",
	    "false",
	    "null",
	    " \t\r\n[ 1 , 2 ] \n",
	    "{\"a\":{\"b\":[{}]}}",
	    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	    "\"\\u00e9\\u20AC\"",
	    "\"\\ud83d\\ude00\"",
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "\"\xed\x9f\xbf\"",
	    "\"\xf4\x8f\xbf\xbf\"",
	    /* rejected */
	    "",
	    " ",
	    "{",
	    "}",
	    "[1,]",
	    "[,1]",
	    "{\"a\":1,}",
	    "{\"a\" 1}",
	    "{a:1}",
	    "{\"a\":}",
	    "[1 2]",
	    "01",
	    "-",
	    "1.",
	    ".5",
	    "1e",
	    "1e+",
	    "+1",
	    "0x10",
	    "tru",
	    "nul",
	    "True",
	    "NaN",
	    "Infinity",
	    "[1]]",
	    "[1] x",
	    "\"abc",
	    "\"a\nb\"",
	    "\"\\x\"",
	    "\"\\u12\"",
	    "\"\\u00zz\"",
	    "\"\\u0000\"",
	    "\"\\ud83d\"",
	    "\"\\ude00\"",
	    "\"\\ud83d\\u0041\"",
	    "\"\xff\"",
	    "\"\xc0\xaf\"",
	    "\"\xe0\x80\xaf\"",
	    "\"\xed\xa0\x80\"",
	    "\"\xf4\x90\x80\x80\"",
	    "\"\xc3\"",
	    "\"\xe2\x82\"",
	    "\"\x80\"",
	    "'a'",
	    "[1,\"\x01\"]",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_agrees(texts[i], strlen(texts[i]));
	/* a NUL byte inside the text */
	check_agrees("[\"a\0b\"]", 7);
	check_agrees("[1]\0", 4);
}

static void test_depth_limit(void **state)
{
	char deep[2 * DP_JTEXT_MAX_DEPTH + 4];
	struct dp_jval root;
	size_t n = DP_JTEXT_MAX_DEPTH;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	assert_int_equal(dp_jtext_check(deep, 2 * n, &root), 0);
	assert_true(jansson_accepts(deep, 2 * n));
	memset(deep, '[', n + 1);
	memset(deep + n + 1, ']', n + 1);
	assert_int_equal(dp_jtext_check(deep, 2 * n + 2, &root), SY_EPROTO);
	assert_false(jansson_accepts(deep, 2 * n + 2)); /* the same limit as jansson's */
}

/* Mutations of a valid document (deterministic): every verdict must match jansson's. */
static void test_mutations_agree_with_jansson(void **state)
{
	static const char doc[] =
	    "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":\"h\\u00e9 \\\"q\\\" \\ud83d\\ude00 "
	    "\xc3\xa9\"},\"finish_reason\":\"stop\"}],"
	    "\"usage\":{\"prompt_tokens\":12,\"cost\":-0.5e-3,\"ok\":true,\"no\":null}}";
	static const char bytes[] = "{}[]\",:\\u0123456789.eE+- \ntfnal\x80\xc3\xff";
	char buf[sizeof(doc) + 8];
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t n = sizeof(doc) - 1;
		memcpy(buf, doc, n);
		for (int k = 0; k < 1 + round % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			char c = bytes[(seed >> 8) % (sizeof(bytes) - 1)];
			switch ((seed >> 20) % 3) {
			case 0: /* replace */
				buf[at] = c;
				break;
			case 1: /* delete */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			default: /* insert */
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = c;
				n++;
			}
		}
		check_agrees(buf, n);
	}
}

static void test_numbers(void **state)
{
	static const struct {
		const char *text;
		bool ok;
		int64_t v;
	} cases[] = {
	    {"0", true, 0},
	    {"-0", true, 0},
	    {"42", true, 42},
	    {"-17", true, -17},
	    {"9223372036854775807", true, INT64_MAX},
	    {"-9223372036854775808", true, INT64_MIN},
	    {"9223372036854775808", false, 0},
	    {"-9223372036854775809", false, 0},
	    {"1.0", false, 0},
	    {"1e2", false, 0},
	    {"\"1\"", false, 0},
	    {"true", false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_jval v;
		int64_t x = 99;
		assert_int_equal(dp_jtext_check(cases[i].text, strlen(cases[i].text), &v), 0);
		if (dp_jtext_int(&v, &x) != cases[i].ok)
			fail_msg("%s", cases[i].text);
		if (cases[i].ok)
			assert_true(x == cases[i].v);
	}
}

static void test_strings_decode(void **state)
{
	/* 'a', e-acute (2 bytes), euro (escape), grinning face (surrogate pair), tab, quote */
	const char *text = "\"a\xc3\xa9\\u20ac\\ud83d\\ude00\\t\\\"\"";
	struct dp_jval v;
	char buf[64];
	assert_int_equal(dp_jtext_check(text, strlen(text), &v), 0);
	assert_int_equal(dp_jtext_chars(&v), 6);
	assert_int_equal(dp_jtext_str(&v, buf, sizeof(buf)), 1 + 2 + 3 + 4 + 1 + 1);
	assert_string_equal(buf, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t\"");
	/* cut on a character boundary, the full length still reported */
	assert_int_equal(dp_jtext_str(&v, buf, 5), 12);
	assert_string_equal(buf, "a\xc3\xa9");
	assert_int_equal(dp_jtext_str(&v, buf, 1), 12);
	assert_string_equal(buf, "");
	/* agrees with jansson's decoding */
	json_t *j = json_loadb(text, strlen(text), JSON_DECODE_ANY, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t\"");
	json_decref(j);

	assert_true(dp_jtext_str_eq(&v, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t\""));
	assert_false(dp_jtext_str_eq(&v, "a"));
	const char *plain = "\"stop\"";
	assert_int_equal(dp_jtext_check(plain, strlen(plain), &v), 0);
	assert_true(dp_jtext_str_eq(&v, "stop"));
	assert_false(dp_jtext_str_eq(&v, "sto"));
	assert_false(dp_jtext_str_eq(&v, "stops"));
	const char *num = "5";
	assert_int_equal(dp_jtext_check(num, 1, &v), 0);
	assert_int_equal(dp_jtext_chars(&v), 0);
	assert_false(dp_jtext_str_eq(&v, "5"));
}

static void test_put_str(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(dp_jtext_put_str(&b, "plain"), 0);
	assert_int_equal(dp_jtext_put_str(&b, NULL), 0);
	assert_int_equal(dp_jtext_put_str(&b, "q\"b\\s\n\x1f \xc3\xa9 \xff\xc3"), 0);
	assert_string_equal(b.data, "\"plain\"null\"q\\\"b\\\\s\\u000a\\u001f \xc3\xa9 "
	                            "\\ufffd\\ufffd\"");
	/* what it writes reads back as the same string (bad bytes replaced) */
	struct dp_jval v;
	const char *third = b.data + strlen("\"plain\"null");
	assert_int_equal(dp_jtext_check(third, strlen(third), &v), 0);
	char buf[64];
	dp_jtext_str(&v, buf, sizeof(buf));
	assert_string_equal(buf, "q\"b\\s\n\x1f \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");
	sy_buf_release(&b);

	/* a capped buffer reports the failure */
	sy_buf_init(&b, 4);
	assert_int_equal(dp_jtext_put_str(&b, "too long"), SY_ETOOBIG);
	sy_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_an_object),
	    cmocka_unit_test(test_validation_agrees_with_jansson),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_mutations_agree_with_jansson),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_strings_decode),
	    cmocka_unit_test(test_put_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
