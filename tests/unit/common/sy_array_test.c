/* sy_array_test.c - growing an array by doubling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "sy_array.h"

/* Usage example: push 100 ints, growing before each push that finds the array full. */
static void test_push(void **state)
{
	(void)state;
	int *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 100; i++) {
		int *p = sy_array_grow(v, n, &cap, sizeof(*v), 4);
		assert_non_null(p);
		v = p;
		v[n++] = i;
		assert_true(n <= cap);
	}
	assert_int_equal(cap, 128); /* 4, 8, ..., 128 */
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i], i);
	free(v);
}

/* Room left: the same pointer back, capacity unchanged; full: doubled. */
static void test_only_when_full(void **state)
{
	(void)state;
	size_t cap = 0;
	char *v = sy_array_grow(NULL, 0, &cap, 1, 16);
	assert_non_null(v);
	assert_int_equal(cap, 16);
	assert_ptr_equal(sy_array_grow(v, 15, &cap, 1, 16), v);
	assert_int_equal(cap, 16);
	char *w = sy_array_grow(v, 16, &cap, 1, 16);
	assert_non_null(w);
	assert_int_equal(cap, 32);
	free(w);
}

/* A size that cannot be allocated: NULL, and the array and capacity are left as they were. */
static void test_overflow_leaves_array(void **state)
{
	(void)state;
	size_t cap = 2;
	long *v = malloc(cap * sizeof(*v));
	assert_non_null(v);
	v[0] = 7;
	assert_null(sy_array_grow(v, 2, &cap, SIZE_MAX / 3, 1));
	assert_int_equal(cap, 2);
	assert_int_equal(v[0], 7);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push),
	    cmocka_unit_test(test_only_when_full),
	    cmocka_unit_test(test_overflow_leaves_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
