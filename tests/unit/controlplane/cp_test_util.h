/* cp_test_util.h - scratch stores for the controlplane's unit tests. */
#ifndef CP_TEST_UTIL_H
#define CP_TEST_UTIL_H

#include "cp_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TEST_DIR_TEMPLATE "/tmp/sy-cp-unit-XXXXXX"

/* A fresh store in a new temporary directory (dir receives its path). */
static inline struct cp_store *test_store_new(char dir[sizeof(TEST_DIR_TEMPLATE)])
{
	const char *why = NULL;
	snprintf(dir, sizeof(TEST_DIR_TEMPLATE), "%s", TEST_DIR_TEMPLATE);
	if (!mkdtemp(dir))
		return NULL;
	return cp_store_open(dir, 64, &why);
}

/* Close the store and remove its directory. */
static inline void test_store_free(struct cp_store **s, const char *dir)
{
	static const char *const files[] = {"data.mdb", "lock.mdb", "admin.key"};
	char path[128];
	cp_store_free(s);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* The plain fixture: one scratch store per test. */
struct test_fixture {
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s;
};

/* cmocka setup: *state becomes a struct test_fixture with a fresh store. */
static inline int test_fixture_setup(void **state)
{
	struct test_fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->s = test_store_new(f->dir);
	*state = f;
	return f->s ? 0 : -1;
}

/* cmocka teardown for test_fixture_setup. */
static inline int test_fixture_teardown(void **state)
{
	struct test_fixture *f = *state;
	test_store_free(&f->s, f->dir);
	free(f);
	return 0;
}

#endif
