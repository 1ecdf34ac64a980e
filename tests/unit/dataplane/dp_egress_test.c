/* dp_egress_test.c - which upstream addresses may be connected to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>

#include "dp_egress.h"

/* Usage example: a public address is fine for any provider; loopback only for internal ones;
 * the metadata address for none. */
static void test_usage(void **state)
{
	(void)state;
	assert_null(dp_egress_refusal("93.184.216.34", false));
	assert_non_null(dp_egress_refusal("127.0.0.1", false));
	assert_null(dp_egress_refusal("127.0.0.1", true));
	assert_non_null(dp_egress_refusal("169.254.169.254", false));
	assert_non_null(dp_egress_refusal("169.254.169.254", true));
}

static void test_always_refused(void **state)
{
	(void)state;
	const char *bad[] = {
	    "169.254.0.1",
	    "169.254.255.255",
	    "100.100.100.200",
	    "0.0.0.0",
	    "0.1.2.3",
	    "224.0.0.1",
	    "255.255.255.255",
	    "fe80::1",
	    "febf::1",
	    "fd00:ec2::254",
	    "::",
	    "ff02::1",
	    "::ffff:169.254.169.254",
	    "64:ff9b::a9fe:a9fe",
	    "::ffff:100.100.100.200",
	    "not-an-ip",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(dp_egress_refusal(bad[i], true));
		assert_non_null(dp_egress_refusal(bad[i], false));
	}
	assert_non_null(dp_egress_refusal(NULL, true));
}

static void test_private_only_internal(void **state)
{
	(void)state;
	const char *priv[] = {
	    "127.0.0.1",    "127.255.0.9",     "10.1.2.3",        "172.16.0.1", "172.31.255.1",
	    "192.168.1.1",  "100.64.0.1",      "100.127.255.1",   "::1",        "fc00::1",
	    "fd12:3456::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1"};
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		assert_non_null(dp_egress_refusal(priv[i], false));
		assert_null(dp_egress_refusal(priv[i], true));
	}
}

static void test_public(void **state)
{
	(void)state;
	const char *pub[] = {"1.1.1.1",         "172.15.255.255", "172.32.0.0",
	                     "100.63.255.255",  "100.128.0.0",    "169.253.0.1",
	                     "2606:4700::1111", "fec0::1",        "::ffff:8.8.8.8"};
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
		assert_null(dp_egress_refusal(pub[i], false));
		assert_null(dp_egress_refusal(pub[i], true));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_always_refused),
	    cmocka_unit_test(test_private_only_internal),
	    cmocka_unit_test(test_public),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
