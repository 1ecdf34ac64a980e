/* mock_http_test.c - the --listen address parser (the server itself is tested end to end by
 * tests/integration/test_mock.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "../../mock/mock_http.h"
#include "sy_err.h"

static void test_listen_parse(void **state)
{
	struct sockaddr_in a;
	assert_int_equal(mock_listen_parse("127.0.0.1:9100", &a), 0);
	assert_int_equal(a.sin_family, AF_INET);
	assert_int_equal(ntohs(a.sin_port), 9100);
	assert_int_equal(ntohl(a.sin_addr.s_addr), 0x7f000001);
	assert_int_equal(mock_listen_parse("localhost:0", &a), 0);
	assert_int_equal(ntohl(a.sin_addr.s_addr), 0x7f000001);
	assert_int_equal(ntohs(a.sin_port), 0);
	const char *bad[] = {"",
	                     "9100",
	                     ":9100",
	                     "127.0.0.1:",
	                     "127.0.0.1:65536",
	                     "127.0.0.1:-1",
	                     "127.0.0.1:80x",
	                     "example.com:80",
	                     "1.2.3:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mock_listen_parse(bad[i], &a), SY_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
