/* sy_curve_test.c - CURVE key files: generation, loading, refusal of bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sy_curve.h"

/* Usage example: generate a pair, load it, and derive the same public key. */
static void test_generate_and_load(void **state)
{
	char dir[] = "/tmp/sy-curve-XXXXXX", prefix[64], key[80], pub[80];
	char made[SY_CURVE_KEY_LEN + 1], again[SY_CURVE_KEY_LEN + 1];
	const char *why = NULL;
	bool created = false;
	struct sy_curve c;
	struct stat st;
	assert_non_null(mkdtemp(dir));
	snprintf(prefix, sizeof(prefix), "%s/dp", dir);
	snprintf(key, sizeof(key), "%s.key", prefix);
	snprintf(pub, sizeof(pub), "%s.pub", prefix);
	assert_int_equal(sy_curve_generate(prefix, made, &created, &why), 0);
	assert_true(created && sy_curve_key_ok(made));
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* the secret is the owner's only */

	assert_int_equal(sy_curve_load(&c, key, pub, &why), 0); /* its own pub as "server" */
	assert_true(c.set);
	assert_string_equal(c.public_key, made);
	assert_string_equal(c.server_key, made);
	sy_curve_clear(&c);
	assert_false(c.set);
	assert_int_equal(c.secret_key[0], 0);

	/* an existing pair is kept */
	assert_int_equal(sy_curve_generate(prefix, again, &created, &why), 0);
	assert_false(created);
	assert_string_equal(again, made);
	unlink(key);
	unlink(pub);
	rmdir(dir);
}

static void test_bad_files(void **state)
{
	char path[] = "/tmp/sy-curve-bad-XXXXXX", out[SY_CURVE_KEY_LEN + 1];
	const char *why = NULL;
	struct sy_curve c;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short\n", 6), 6);
	close(fd);
	assert_int_not_equal(sy_curve_read_key(path, out, &why), 0);
	assert_non_null(strstr(why, "Z85"));
	assert_int_not_equal(sy_curve_load(&c, path, NULL, &why), 0);
	assert_false(c.set);
	assert_int_not_equal(sy_curve_read_key("/nonexistent/key", out, &why), 0);
	assert_false(sy_curve_key_ok("0123456789012345678901234567890123456789x"));
	assert_false(sy_curve_key_ok("")); /* and 40 characters outside Z85: */
	assert_false(sy_curve_key_ok(
	    "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\""));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate_and_load),
	    cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
