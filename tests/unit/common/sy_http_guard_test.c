/* sy_http_guard_test.c - the framing checks both listeners run before serving a request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sy_http_guard.h"

/* Feed "Name: value" headers (value may hold NULs: lengths are given) and judge. */
struct hdr {
	const char *name, *value;
	size_t value_len; /* 0: strlen(value) */
};

static bool judge(const char *target, const char *version, const struct hdr *h, size_t n,
                  struct sy_http_check *k)
{
	sy_http_check_init(k, target, version);
	for (size_t i = 0; i < n; i++)
		sy_http_check_header(k, h[i].name, strlen(h[i].name), h[i].value,
		                     h[i].value_len ? h[i].value_len : strlen(h[i].value));
	return sy_http_check_done(k);
}

#define JUDGE(target, version, k, ...)                                                             \
	judge(target, version, (const struct hdr[]){__VA_ARGS__},                                  \
	      sizeof((const struct hdr[]){__VA_ARGS__}) / sizeof(struct hdr), k)

/* Usage example: an ordinary POST passes; the same with a second Content-Length is refused. */
static void test_ordinary_and_duplicate_length(void **state)
{
	(void)state;
	struct sy_http_check k;
	assert_true(JUDGE("/api/v1/chat/completions?x=1", "HTTP/1.1", &k, {"Host", "gw"},
	                  {"Content-Type", "application/json"}, {"Content-Length", "13"}));
	assert_int_equal(k.status, 0);
	assert_false(JUDGE("/api/v1/chat/completions", "HTTP/1.1", &k, {"Host", "gw"},
	                   {"Content-Length", "13"}, {"content-length", "5"}));
	assert_int_equal(k.status, 400);
	assert_non_null(strstr(k.why, "Content-Length"));
	/* identical values are refused too: there is no reason to send two */
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"Content-Length", "5"},
	                   {"Content-Length", "5"}));
}

static void test_transfer_encoding(void **state)
{
	(void)state;
	struct sy_http_check k;
	assert_true(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"Transfer-Encoding", "chunked"}));
	assert_true(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"Transfer-Encoding", "Chunked"}));
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"Content-Length", "13"},
	                   {"Transfer-Encoding", "chunked"}));
	assert_non_null(strstr(k.why, "both"));
	const char *bad[] = {"gzip", "xchunked", "chunked, identity", "chunked ", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(
		    JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"Transfer-Encoding", bad[i]}));
		assert_int_equal(k.status, 400);
	}
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"Transfer-Encoding", "chunked"},
	                   {"Transfer-Encoding", "chunked"}));
}

static void test_header_names(void **state)
{
	(void)state;
	struct sy_http_check k;
	const char *bad[] = {"Content-Length ", "Content Length", "X(y)", "X:y", "Na\tme", "é"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {bad[i], "13"}));
		assert_int_equal(k.status, 400);
		assert_non_null(strstr(k.why, "token"));
	}
	assert_true(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"X-Odd!#$%&'*+.^_`|~9", "v"}));
}

static void test_host(void **state)
{
	(void)state;
	struct sy_http_check k;
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Accept", "*/*"}));
	assert_non_null(strstr(k.why, "Missing Host"));
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "a"}, {"host", "b"}));
	assert_non_null(strstr(k.why, "Host"));
	/* HTTP/1.0 may omit it (haproxy's health checks do), never repeat it */
	assert_true(JUDGE("/ready", "HTTP/1.0", &k, {"Accept", "*/*"}));
	assert_false(JUDGE("/ready", "HTTP/1.0", &k, {"Host", "a"}, {"Host", "a"}));
}

static void test_values_and_target(void **state)
{
	(void)state;
	struct sy_http_check k;
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"X-A", "a\0b", 3}));
	assert_non_null(strstr(k.why, "control"));
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"X-A", "a\rb"}));
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"X-A", "a\x7f"}));
	assert_true(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"X-A", "tab\tand \xc3\xa9"}));
	/* a bare CR in the request line puts the next header into the target */
	assert_false(JUDGE("/a\rAuthorization: Bearer sk-x", "HTTP/1.1", &k, {"Host", "gw"}));
	assert_non_null(strstr(k.why, "request line"));
	assert_false(sy_http_target_ok("/a b"));
	assert_false(sy_http_target_ok(""));
	assert_false(sy_http_target_ok(NULL));
	assert_false(sy_http_target_ok("/\x80"));
	assert_true(sy_http_target_ok("/api/v1/generation?id=gen-1%20x"));
	assert_false(JUDGE("/", "HTTP/2.0", &k, {"Host", "gw"}));
	assert_false(JUDGE("/", NULL, &k, {"Host", "gw"}));
}

static void test_size(void **state)
{
	(void)state;
	struct sy_http_check k;
	static char big[SY_HTTP_HEADERS_MAX];
	memset(big, 'a', sizeof(big) - 1);
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"X-Big", big}));
	assert_int_equal(k.status, 431);
	big[SY_HTTP_HEADERS_MAX / 2] = '\0';
	assert_true(JUDGE("/", "HTTP/1.1", &k, {"Host", "gw"}, {"X-Big", big}));
}

/* The first problem found is the one reported. */
static void test_first_reason_wins(void **state)
{
	(void)state;
	struct sy_http_check k;
	assert_false(JUDGE("/", "HTTP/1.1", &k, {"Bad Name", "x"}, {"Content-Length", "1"},
	                   {"Content-Length", "2"}));
	assert_non_null(strstr(k.why, "token"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ordinary_and_duplicate_length),
	    cmocka_unit_test(test_transfer_encoding),
	    cmocka_unit_test(test_header_names),
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_values_and_target),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_first_reason_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
