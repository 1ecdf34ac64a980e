/* sy_buf_test.c - the capped growable buffer: appends, printf into free room, reserve, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sy_buf.h"
#include "sy_err.h"

static void test_append_and_consume(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_null(b.data);
	assert_int_equal(sy_buf_puts(&b, "hello "), 0);
	assert_int_equal(sy_buf_append(&b, "world!", 5), 0);
	assert_string_equal(b.data, "hello world");
	sy_buf_consume(&b, 6);
	assert_string_equal(b.data, "world");
	assert_int_equal(b.len, 5);
	sy_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	sy_buf_release(&b);
	assert_null(b.data);
}

static void test_printf_in_room_and_beyond(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	/* the first printf allocates; later ones fit in the room left or grow the buffer */
	assert_int_equal(sy_buf_printf(&b, "%s=%d", "a", 1), 0);
	assert_string_equal(b.data, "a=1");
	size_t cap = b.cap;
	assert_int_equal(sy_buf_printf(&b, ",%s=%d", "b", 22), 0);
	assert_string_equal(b.data, "a=1,b=22");
	assert_int_equal(b.cap, cap); /* it fitted */
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sy_buf_printf(&b, "[%s]", big), 0);
	assert_true(b.cap > cap);
	assert_int_equal(b.len, 8 + 1 + 999 + 1);
	assert_memory_equal(b.data, "a=1,b=22[xxx", 12);
	assert_string_equal(b.data + b.len - 3, "xx]");
	sy_buf_release(&b);
}

static void test_caps_leave_the_buffer_as_it_was(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 10);
	assert_int_equal(sy_buf_puts(&b, "12345"), 0);
	assert_int_equal(sy_buf_append(&b, "678901", 6), SY_ETOOBIG);
	assert_string_equal(b.data, "12345");
	/* over the cap but inside the allocated room: refused, the text unchanged */
	assert_true(b.cap > 12);
	assert_int_equal(sy_buf_printf(&b, "%s", "abcdefg"), SY_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "12345");
	assert_int_equal(sy_buf_printf(&b, "%d", 67890), 0);
	assert_string_equal(b.data, "1234567890");
	assert_int_equal(sy_buf_reserve(&b, 1), SY_ETOOBIG);
	sy_buf_release(&b);
}

static void test_reserve(void **state)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(sy_buf_reserve(&b, 5000), 0);
	assert_true(b.cap > 5000);
	assert_int_equal(b.len, 0);
	size_t cap = b.cap;
	char *data = b.data;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sy_buf_append(&b, "abcde", 5), 0);
	assert_int_equal(b.cap, cap); /* no growth, no move */
	assert_ptr_equal(b.data, data);
	sy_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_and_consume),
	    cmocka_unit_test(test_printf_in_room_and_beyond),
	    cmocka_unit_test(test_caps_leave_the_buffer_as_it_was),
	    cmocka_unit_test(test_reserve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
