/* sy_cidr_test.c - addresses, ranges and lists for allowed_ips and --trusted-proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "sy_cidr.h"
#include "sy_err.h"

static bool in(const char *range, const char *addr)
{
	struct sy_cidr r, a;
	assert_int_equal(sy_cidr_parse(range, &r), 0);
	assert_int_equal(sy_cidr_parse_addr(addr, strlen(addr), &a), 0);
	return sy_cidr_contains(&r, &a);
}

static void test_ranges_contain_addresses(void **state)
{
	assert_true(in("10.0.0.0/8", "10.200.3.4"));
	assert_false(in("10.0.0.0/8", "11.0.0.1"));
	assert_true(in("192.168.1.7", "192.168.1.7"));
	assert_false(in("192.168.1.7", "192.168.1.8"));
	assert_true(in("172.16.0.0/12", "172.31.255.255"));
	assert_false(in("172.16.0.0/12", "172.32.0.0"));
	assert_true(in("0.0.0.0/0", "8.8.8.8"));
	assert_false(in("0.0.0.0/0", "::1"));
	assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in("2001:db8::/32", "2001:db9::1"));
	assert_true(in("::1", " ::1 ")); /* spaces around an X-Forwarded-For hop */
	/* an IPv4-mapped IPv6 address is the IPv4 address, both ways */
	assert_true(in("127.0.0.0/8", "::ffff:127.0.0.1"));
	assert_true(in("::ffff:10.0.0.0/104", "10.1.2.3"));
}

static void test_bad_input_refused(void **state)
{
	static const char *const bad[] = {
	    "",        "10.0.0.1/33",    "10.0.0.1/8",   "10.0.0.0/",   "10.0.0/8",
	    "::1/129", "2001:db8::1/32", "host.example", "10.0.0.0/+8", "10.0.0.0/08x",
	    "1.2.3.4 "};
	struct sy_cidr c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sy_cidr_parse(bad[i], &c) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(sy_cidr_parse_addr("10.0.0.0/8", 10, &c), SY_EINVAL);
	assert_int_equal(sy_cidr_parse_addr("   ", 3, &c), SY_EINVAL);
}

static void test_socket_addresses(void **state)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &s6.sin6_addr);
	struct sy_cidr a, r;
	assert_int_equal(sy_cidr_from_sockaddr((struct sockaddr *)&s6, &a), 0);
	assert_int_equal(sy_cidr_parse("192.0.2.0/24", &r), 0);
	assert_true(sy_cidr_contains(&r, &a));
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	inet_pton(AF_INET, "198.51.100.2", &s4.sin_addr);
	assert_int_equal(sy_cidr_from_sockaddr((struct sockaddr *)&s4, &a), 0);
	assert_false(sy_cidr_contains(&r, &a));
	assert_int_equal(sy_cidr_from_sockaddr(NULL, &a), SY_EINVAL);
}

static void test_lists(void **state)
{
	struct sy_cidr v[2];
	size_t bad = 0;
	assert_int_equal(sy_cidr_parse_list("10.0.0.0/8,::1", v, 2, &bad), 2);
	assert_int_equal(v[1].family, AF_INET6);
	assert_int_equal(sy_cidr_parse_list("10.0.0.0/8,nope", v, 2, &bad), SY_EINVAL);
	assert_int_equal(bad, 11);
	assert_int_equal(sy_cidr_parse_list("10.0.0.0/8,", v, 2, &bad), SY_EINVAL);
	assert_int_equal(sy_cidr_parse_list("1.1.1.1,2.2.2.2,3.3.3.3", v, 2, &bad), SY_ETOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranges_contain_addresses),
	    cmocka_unit_test(test_bad_input_refused),
	    cmocka_unit_test(test_socket_addresses),
	    cmocka_unit_test(test_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
