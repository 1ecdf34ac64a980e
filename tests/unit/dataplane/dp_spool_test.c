/* dp_spool_test.c - the usage spool file: framing, append and read back, cut, the lock, and
 * the atomic rewrite (committed or abandoned). */
#include "dp_loop.h"
#include "dp_spool.h"
#include "sy_buf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct env {
	struct dp_loop *loop;
	char dir[64];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/dp_spool_test.XXXXXX");
	if (!mkdtemp(e->dir) || !(e->loop = dp_loop_new()))
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	if (system(cmd) != 0)
		return -1;
	dp_loop_free(&e->loop);
	free(e);
	return 0;
}

/* The frame of a record with id and completion tokens n. */
static void frame(struct sy_buf *b, const char *id, uint32_t n, bool intent)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)id;
	r.has_completion_tokens = true;
	r.completion_tokens = n;
	assert_int_equal(dp_spool_frame(b, &r, intent), 0);
}

/* The records of data, as "id:tokens[i]" joined by spaces. */
static void records(const uint8_t *data, size_t size, char *out, size_t outlen)
{
	size_t off = 0;
	out[0] = '\0';
	while (size - off >= 4) {
		bool intent;
		size_t n = dp_spool_frame_len(data + off, &intent);
		assert_true(n <= size - off - 4);
		Sy__UsageRecord *r = sy__usage_record__unpack(NULL, n, data + off + 4);
		assert_non_null(r);
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s:%u%s", out[0] ? " " : "",
		         r->id, r->completion_tokens, intent ? "i" : "");
		sy__usage_record__free_unpacked(r, NULL);
		off += 4 + n;
	}
	assert_int_equal(off, size);
}

static void read_back(struct dp_spool *s, char *out, size_t outlen)
{
	uint8_t *data;
	size_t size;
	assert_int_equal(dp_spool_read(s, &data, &size), 0);
	records(data, size, out, outlen);
	free(data);
}

static void test_append_read_cut(void **state)
{
	struct env *e = *state;
	struct dp_spool *s = dp_spool_open(e->loop, e->dir, 7);
	assert_non_null(s);
	assert_non_null(strstr(dp_spool_path(s), "usage-7.spool"));
	struct sy_buf b;
	sy_buf_init(&b, 0);
	frame(&b, "gen-a", 5, false);
	frame(&b, "gen-b", 70000, true);
	assert_int_equal(dp_spool_append(s, b.data, b.len), 0);
	size_t first = b.len;
	sy_buf_reset(&b);
	frame(&b, "gen-c", 1, false);
	assert_int_equal(dp_spool_append(s, b.data, b.len), 0);
	assert_int_equal(dp_spool_size(s), first + b.len);
	char got[256];
	read_back(s, got, sizeof(got));
	assert_string_equal(got, "gen-a:5 gen-b:70000i gen-c:1");

	/* the header's length and the intent flag read back as written */
	uint8_t hdr[4];
	bool intent = true;
	assert_true(dp_spool_pread(s, hdr, 4, 0));
	assert_true(dp_spool_frame_len(hdr, &intent) > 0);
	assert_false(intent);

	assert_int_equal(dp_spool_cut(s, first), 0);
	assert_int_equal(dp_spool_size(s), first);
	read_back(s, got, sizeof(got));
	assert_string_equal(got, "gen-a:5 gen-b:70000i");
	assert_false(dp_spool_pread(s, hdr, 4, first)); /* nothing past the cut */
	sy_buf_release(&b);
	dp_spool_close(&s);
	assert_null(s);
	dp_spool_close(&s); /* idempotent */
}

static void test_locked_while_open(void **state)
{
	struct env *e = *state;
	struct dp_spool *s = dp_spool_open(e->loop, e->dir, 1);
	assert_non_null(s);
	assert_null(dp_spool_open(e->loop, e->dir, 1)); /* a second process's open is refused */
	struct dp_spool *other = dp_spool_open(e->loop, e->dir, 2);
	assert_non_null(other); /* another worker id is another file */
	dp_spool_close(&other);
	dp_spool_close(&s);
	s = dp_spool_open(e->loop, e->dir, 1); /* the lock went with the close */
	assert_non_null(s);
	dp_spool_close(&s);
}

static void test_rewrite(void **state)
{
	struct env *e = *state;
	struct dp_spool *s = dp_spool_open(e->loop, e->dir, 3);
	assert_non_null(s);
	dp_spool_configure(s, false, 0);
	struct sy_buf b;
	sy_buf_init(&b, 0);
	frame(&b, "gen-old1", 1, false);
	frame(&b, "gen-old2", 2, false);
	assert_int_equal(dp_spool_append(s, b.data, b.len), 0);

	/* abandoned: the old file stays, no temporary file is left */
	sy_buf_reset(&b);
	frame(&b, "gen-new", 3, false);
	assert_int_equal(dp_spool_rewrite_begin(s), 0);
	assert_int_equal(dp_spool_rewrite_write(s, b.data, b.len), 0);
	dp_spool_rewrite_abort(s);
	char got[256], tmp[128];
	read_back(s, got, sizeof(got));
	assert_string_equal(got, "gen-old1:1 gen-old2:2");
	snprintf(tmp, sizeof(tmp), "%s.tmp", dp_spool_path(s));
	struct stat st;
	assert_int_not_equal(stat(tmp, &st), 0);

	/* committed: the new content replaces the file, and appends go on after it */
	assert_int_equal(dp_spool_rewrite_begin(s), 0);
	assert_int_equal(dp_spool_rewrite_write(s, b.data, b.len), 0);
	assert_int_equal(dp_spool_rewrite_commit(s), 0);
	assert_int_equal(dp_spool_size(s), b.len);
	sy_buf_reset(&b);
	frame(&b, "gen-after", 4, true);
	assert_int_equal(dp_spool_append(s, b.data, b.len), 0);
	read_back(s, got, sizeof(got));
	assert_string_equal(got, "gen-new:3 gen-after:4i");
	sy_buf_release(&b);
	dp_spool_close(&s);

	/* and the file on disk is the new one */
	s = dp_spool_open(e->loop, e->dir, 3);
	assert_non_null(s);
	read_back(s, got, sizeof(got));
	assert_string_equal(got, "gen-new:3 gen-after:4i");
	dp_spool_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_append_read_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_locked_while_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rewrite, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
