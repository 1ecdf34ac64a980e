/* sy_http_gate_test.c - the raw header block judge both listeners run before libmicrohttpd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sy_http_gate.h"

static unsigned status;
static const char *why;

static enum sy_http_gate_verdict judge_n(const char *s, size_t n, size_t max)
{
	status = 0;
	why = NULL;
	return sy_http_gate_judge((const unsigned char *)s, n, max, &status, &why);
}

static enum sy_http_gate_verdict judge(const char *s)
{
	return judge_n(s, strlen(s), 8192);
}

/* Every prefix of a good block is MORE, the whole of it is OK. */
static void test_good_block_and_prefixes(void **state)
{
	(void)state;
	static const char ok[] = "\r\nPOST /api/v1/chat?x=1 HTTP/1.1\r\nHost: a\r\n"
	                         "Content-Length:  12 \r\nX-A: \t\x80\xff~\r\n\r\nbody";
	size_t end = strlen(ok) - 4;
	for (size_t i = 0; i < end; i++)
		assert_int_equal(judge_n(ok, i, 8192), SY_HTTP_GATE_MORE);
	assert_int_equal(judge_n(ok, end, 8192), SY_HTTP_GATE_OK);
	assert_int_equal(judge(ok), SY_HTTP_GATE_OK);
	assert_int_equal(judge("GET / HTTP/1.0\r\n\r\n"), SY_HTTP_GATE_OK);
}

static void test_request_line(void **state)
{
	(void)state;
	/* a TLS ClientHello: refused at its first byte */
	assert_int_equal(judge_n("\x16\x03\x01", 1, 8192), SY_HTTP_GATE_REFUSE);
	assert_int_equal(status, 400);
	const char *bad[] = {
	    " GET / HTTP/1.1\r\n\r\n",    "GET  / HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\r\n\r\n",   "GET / HTTP/1.1\rHost: a\r\n\r\n",
	    "GET / HTTP/1.1\n\r\n",       "GET / HTTP/2.0\r\n\r\n",
	    "GET / HTTP/1.2\r\n\r\n",     "GET / HTTP/1.1 \r\n\r\n",
	    "GET /a\rb HTTP/1.1\r\n\r\n", "GET /\x80 HTTP/1.1\r\n\r\n",
	    "GET\t/ HTTP/1.1\r\n\r\n",    "G(T / HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(judge(bad[i]), SY_HTTP_GATE_REFUSE);
		assert_int_equal(status, 400);
		assert_non_null(strstr(why, "request line"));
	}
}

static void test_fields(void **state)
{
	(void)state;
	static const char nul[] = "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n";
	assert_int_equal(judge_n(nul, sizeof(nul) - 1, 8192), SY_HTTP_GATE_REFUSE);
	assert_int_equal(status, 400);
	assert_non_null(strstr(why, "NUL"));
	const char *bad[] = {
	    "GET / HTTP/1.1\r\nX-A: a\x01\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-A: a\nX-B: b\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
	    "GET / HTTP/1.1\r\nX A: a\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-A : a\r\n\r\n",
	    "GET / HTTP/1.1\r\n: a\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-A\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-A: a\r\n\r\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(judge(bad[i]), SY_HTTP_GATE_REFUSE);
		assert_int_equal(status, 400);
		assert_non_null(strstr(why, "header"));
	}
}

static void test_content_length(void **state)
{
	(void)state;
	assert_int_equal(judge("GET / HTTP/1.1\r\ncontent-length: 18446744073709551615\r\n\r\n"),
	                 SY_HTTP_GATE_OK);
	assert_int_equal(judge("GET / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n"),
	                 SY_HTTP_GATE_REFUSE);
	assert_int_equal(status, 413);
	const char *bad[] = {"1x", "", " ", "-1", "+1", "1 2", "1,1", "0x10"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char req[128];
		snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nContent-Length: %s\r\n\r\n", bad[i]);
		assert_int_equal(judge(req), SY_HTTP_GATE_REFUSE);
		assert_int_equal(status, 400);
		assert_non_null(strstr(why, "Content-Length"));
	}
}

static void test_size(void **state)
{
	(void)state;
	static const char req[] = "GET / HTTP/1.1\r\nX-A: aaaaaaaaaa\r\n\r\n";
	size_t n = strlen(req);
	assert_int_equal(judge_n(req, n, n), SY_HTTP_GATE_OK);
	assert_int_equal(judge_n(req, n, n - 1), SY_HTTP_GATE_REFUSE);
	assert_int_equal(status, 431);
	/* fewer bytes than the limit and no end yet: wait */
	assert_int_equal(judge_n(req, n - 5, n - 1), SY_HTTP_GATE_MORE);
	/* a syntax error inside the limit is a 400, not a 431 */
	assert_int_equal(judge_n("GET / HTTP/1.1\r\nX A: aaaaaaaaaaaaaaa", 34, 20),
	                 SY_HTTP_GATE_REFUSE);
	assert_int_equal(status, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_block_and_prefixes),
	    cmocka_unit_test(test_request_line),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_content_length),
	    cmocka_unit_test(test_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
