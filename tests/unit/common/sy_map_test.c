/* sy_map_test.c - the string map: put/get/replace/delete, pairs, filter, copy, and a
 * randomised run against a plain array as the reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sy_map.h"

struct item {
	char id[32];
	int n;
};

/* Usage example: keys live in the values; the map holds pointers. */
static void test_put_get_del(void **state)
{
	struct item a = {"alpha", 1}, b = {"beta", 2}, a2 = {"alpha", 3};
	struct sy_map m = {0};
	void *old;
	assert_null(sy_map_get(&m, "alpha")); /* an empty map needs no allocation */
	assert_int_equal(sy_map_put(&m, a.id, &a, &old), 0);
	assert_null(old);
	assert_int_equal(sy_map_put(&m, b.id, &b, NULL), 0);
	assert_ptr_equal(sy_map_get(&m, "alpha"), &a);
	assert_ptr_equal(sy_map_get(&m, "beta"), &b);
	assert_null(sy_map_get(&m, "gamma"));
	/* replacing hands back the old value and takes the new key pointer */
	assert_int_equal(sy_map_put(&m, a2.id, &a2, &old), 0);
	assert_ptr_equal(old, &a);
	assert_int_equal(m.n, 2);
	assert_ptr_equal(sy_map_get(&m, "alpha"), &a2);
	assert_ptr_equal(sy_map_del(&m, "alpha"), &a2);
	assert_null(sy_map_del(&m, "alpha"));
	assert_null(sy_map_get(&m, "alpha"));
	assert_int_equal(m.n, 1);
	sy_map_release(&m);
	assert_int_equal(m.n, 0);
	assert_null(sy_map_get(&m, "beta"));
}

static void test_pair_keys(void **state)
{
	char k1[] = "gpt-4o\x1fopenai",
	     k2[] = "gpt-4o\x1f"
	            "azure",
	     k3[] = "gpt\x1f"
	            "4o-openai";
	struct sy_map m = {0};
	assert_int_equal(sy_map_put(&m, k1, k1, NULL), 0);
	assert_int_equal(sy_map_put(&m, k2, k2, NULL), 0);
	assert_int_equal(sy_map_put(&m, k3, k3, NULL), 0);
	assert_ptr_equal(sy_map_get_pair(&m, "gpt-4o", "openai"), k1);
	assert_ptr_equal(sy_map_get_pair(&m, "gpt-4o", "azure"), k2);
	assert_ptr_equal(sy_map_get_pair(&m, "gpt", "4o-openai"), k3);
	assert_null(sy_map_get_pair(&m, "gpt-4", "o\x1fopenai"));
	assert_null(sy_map_get_pair(&m, "gpt-4o", "openai2"));
	assert_null(sy_map_get_pair(&m, "", ""));
	sy_map_release(&m);
}

static bool keep_even(void *val, void *arg)
{
	(*(int *)arg)++;
	return ((struct item *)val)->n % 2 == 0;
}

/* Many entries: growth, deletion in the middle of clusters, filter and copy. */
static void test_many(void **state)
{
	enum {
		N = 5000
	};
	struct item *v = calloc(N, sizeof(*v));
	struct sy_map m = {0}, c;
	assert_non_null(v);
	for (int i = 0; i < N; i++) {
		snprintf(v[i].id, sizeof(v[i].id), "key-%d", i);
		v[i].n = i;
		assert_int_equal(sy_map_put(&m, v[i].id, &v[i], NULL), 0);
	}
	assert_int_equal(m.n, N);
	assert_true(m.cap >= 2 * N);
	for (int i = 0; i < N; i += 3)
		assert_ptr_equal(sy_map_del(&m, v[i].id), &v[i]);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(sy_map_get(&m, v[i].id), i % 3 ? &v[i] : NULL);
	assert_int_equal(sy_map_copy(&c, &m), 0);
	int calls = 0;
	size_t removed = sy_map_filter(&m, keep_even, &calls);
	assert_true(calls >= (int)(removed + m.n));
	size_t left = 0;
	void *val;
	for (size_t i = 0; sy_map_next(&m, &i, &val); left++)
		assert_int_equal(((struct item *)val)->n % 2, 0);
	assert_int_equal(left, m.n);
	for (int i = 0; i < N; i++) {
		bool in = i % 3 && i % 2 == 0;
		assert_ptr_equal(sy_map_get(&m, v[i].id), in ? &v[i] : NULL);
		assert_ptr_equal(sy_map_get(&c, v[i].id), i % 3 ? &v[i] : NULL); /* untouched */
	}
	assert_int_equal(removed + m.n, c.n);
	sy_map_release(&m);
	sy_map_release(&c);
	free(v);
}

/* A random mix of puts and deletes over a small key space agrees with a plain array. */
static void test_random_against_reference(void **state)
{
	enum {
		KEYS = 300,
		OPS = 200000
	};
	static char ids[KEYS][8];
	void *ref[KEYS] = {0};
	struct sy_map m = {0};
	unsigned seed = 12345;
	for (int i = 0; i < KEYS; i++)
		snprintf(ids[i], sizeof(ids[i]), "%d", i);
	for (int op = 0; op < OPS; op++) {
		seed = seed * 1103515245u + 12345u;
		int k = (int)((seed >> 8) % KEYS);
		if ((seed >> 20) % 3) {
			assert_int_equal(sy_map_put(&m, ids[k], ids[k], NULL), 0);
			ref[k] = ids[k];
		} else {
			assert_ptr_equal(sy_map_del(&m, ids[k]), ref[k]);
			ref[k] = NULL;
		}
	}
	size_t n = 0;
	for (int i = 0; i < KEYS; i++) {
		assert_ptr_equal(sy_map_get(&m, ids[i]), ref[i]);
		n += ref[i] != NULL;
	}
	assert_int_equal(m.n, n);
	sy_map_release(&m);
}

static void test_reserve(void **state)
{
	struct sy_map m = {0};
	assert_int_equal(sy_map_reserve(&m, 100), 0);
	size_t cap = m.cap;
	assert_true(cap >= 200);
	struct item v[100];
	for (int i = 0; i < 100; i++) {
		snprintf(v[i].id, sizeof(v[i].id), "r%d", i);
		assert_int_equal(sy_map_put(&m, v[i].id, &v[i], NULL), 0);
	}
	assert_int_equal(m.cap, cap); /* no growth within the reservation */
	assert_int_equal(sy_map_reserve(&m, 10), 0);
	assert_int_equal(m.cap, cap); /* never shrinks */
	sy_map_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_get_del), cmocka_unit_test(test_pair_keys),
	    cmocka_unit_test(test_many),        cmocka_unit_test(test_random_against_reference),
	    cmocka_unit_test(test_reserve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
