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

#endif
