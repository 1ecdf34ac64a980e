/* dp_spool.c - the durable usage spool file (see dp_spool.h). */
#include "dp_spool.h"
#include "dp_loop.h"
#include "sy_buf.h"
#include "sy_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct dp_spool {
	struct dp_loop *loop;
	char *path;
	int fd;
	size_t size;                 /* bytes in the file */
	bool fsync;                  /* fdatasync what was written (within sync_ms) */
	uint32_t sync_ms;            /* 0: after each append */
	struct dp_timer *sync_timer; /* the pending fdatasync */
	int tmp_fd;                  /* a rewrite in progress; -1 = none */
	size_t tmp_size;
};

int dp_spool_frame(struct sy_buf *b, const Sy__UsageRecord *r, bool intent)
{
	size_t n = sy__usage_record__get_packed_size(r);
	int rc = sy_buf_reserve(b, 4 + n);
	if (rc)
		return rc;
	uint8_t *p = (uint8_t *)b->data + b->len;
	p[0] = (uint8_t)n;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)(n >> 16);
	p[3] = (uint8_t)(n >> 24 | (intent ? DP_SPOOL_INTENT >> 24 : 0));
	sy__usage_record__pack(r, p + 4);
	b->len += 4 + n;
	b->data[b->len] = '\0';
	return 0;
}

size_t dp_spool_frame_len(const uint8_t hdr[4], bool *intent)
{
	uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	               (uint32_t)hdr[3] << 24;
	*intent = len & DP_SPOOL_INTENT;
	return len & ~DP_SPOOL_INTENT;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

struct dp_spool *dp_spool_open(struct dp_loop *loop, const char *spool_dir, int worker_id)
{
	struct dp_spool *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct dp_spool){.loop = loop, .fd = -1, .fsync = true, .tmp_fd = -1};
	if (mkdir(spool_dir, 0700) < 0 && errno != EEXIST) {
		sy_err("usage spool: cannot create %s: %s", spool_dir, strerror(errno));
		goto out_free;
	}
	if (asprintf(&s->path, "%s/usage-%d.spool", spool_dir, worker_id) < 0) {
		s->path = NULL;
		goto out_free;
	}
	s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		sy_err("usage spool: cannot open %s: %s", s->path, strerror(errno));
		goto out_free;
	}
	/* two processes appending to one spool would corrupt it (e.g. two dataplanes given the
	 * same --spool-dir); the lock dies with its holder, so a crashed worker never blocks */
	if (flock(s->fd, LOCK_EX | LOCK_NB) < 0) {
		sy_err("usage spool: %s is in use by another process (%s): give each dataplane "
		       "its own --spool-dir",
		       s->path, strerror(errno));
		goto out_free;
	}
	return s;
out_free:
	dp_spool_close(&s);
	return NULL;
}

static void sync_now(struct dp_spool *s)
{
	dp_timer_cancel(&s->sync_timer);
	if (fdatasync(s->fd) < 0)
		sy_err("usage spool: fdatasync failed (%s): the last records may not survive a "
		       "power loss",
		       strerror(errno));
}

void dp_spool_close(struct dp_spool **sp)
{
	struct dp_spool *s = *sp;
	if (!s)
		return;
	*sp = NULL;
	if (s->sync_timer)
		sync_now(s);
	dp_spool_rewrite_abort(s);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
}

void dp_spool_configure(struct dp_spool *s, bool fsync, uint32_t sync_ms)
{
	s->fsync = fsync;
	s->sync_ms = sync_ms;
}

const char *dp_spool_path(const struct dp_spool *s)
{
	return s->path;
}

size_t dp_spool_size(const struct dp_spool *s)
{
	return s->size;
}

static void sync_timer_fn(struct dp_loop *loop, void *arg)
{
	struct dp_spool *s = arg;
	s->sync_timer = NULL;
	sync_now(s);
}

/* Durability: once write(2) returned, a record survives the worker being killed (the page
 * cache is the kernel's). Against a kernel crash or power loss the file is fdatasync'ed
 * (fsync, the default) within sync_ms of the write: one disk sync for every record and
 * intent written in that window (a group commit). sync_ms 0 syncs after every append
 * instead, before the loop waits again; that costs a disk flush on every request's path
 * (dp_main: --spool-sync-ms, docs/money.md#durability for the figures). */
int dp_spool_append(struct dp_spool *s, const void *p, size_t n)
{
	int rc = write_all(s->fd, p, n);
	if (rc) {
		/* never leave a torn record: replay stops at the first one */
		if (ftruncate(s->fd, (off_t)s->size) < 0)
			sy_err("usage spool: cannot truncate after a failed write: %s",
			       strerror(errno));
		return rc;
	}
	s->size += n;
	if (s->fsync && !s->sync_ms)
		sync_now(s);
	else if (s->fsync && !s->sync_timer)
		s->sync_timer = dp_timer_add(s->loop, s->sync_ms, sync_timer_fn, s);
	return 0;
}

int dp_spool_read(struct dp_spool *s, uint8_t **data, size_t *size)
{
	struct stat st;
	*data = NULL;
	*size = 0;
	if (fstat(s->fd, &st) < 0)
		return -errno;
	size_t n = (size_t)st.st_size;
	uint8_t *d = n ? malloc(n) : NULL;
	if (n && !d)
		return -ENOMEM;
	if (n && pread(s->fd, d, n, 0) != (ssize_t)n) {
		free(d);
		return -EIO;
	}
	s->size = n;
	*data = d;
	*size = n;
	return 0;
}

bool dp_spool_pread(struct dp_spool *s, void *buf, size_t n, size_t off)
{
	return pread(s->fd, buf, n, (off_t)off) == (ssize_t)n;
}

int dp_spool_cut(struct dp_spool *s, size_t size)
{
	if (ftruncate(s->fd, (off_t)size) < 0)
		return -errno;
	s->size = size;
	return 0;
}

static void tmp_path(const struct dp_spool *s, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s.tmp", s->path);
}

int dp_spool_rewrite_begin(struct dp_spool *s)
{
	char tmp[PATH_MAX];
	tmp_path(s, tmp, sizeof(tmp));
	/* read-write: the file replaces the spool, which is read back (replay, spilled records) */
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if (fd < 0)
		return -errno;
	s->tmp_fd = fd;
	s->tmp_size = 0;
	return 0;
}

int dp_spool_rewrite_write(struct dp_spool *s, const void *p, size_t n)
{
	int rc = write_all(s->tmp_fd, p, n);
	if (!rc)
		s->tmp_size += n;
	return rc;
}

int dp_spool_rewrite_commit(struct dp_spool *s)
{
	char tmp[PATH_MAX];
	tmp_path(s, tmp, sizeof(tmp));
	/* the rename must not expose a file whose data is not on disk yet */
	if (fdatasync(s->tmp_fd) < 0 || rename(tmp, s->path) < 0)
		return -errno;
	dp_timer_cancel(&s->sync_timer); /* the new file is on disk whole */
	close(s->fd);
	s->fd = s->tmp_fd;
	s->size = s->tmp_size;
	s->tmp_fd = -1;
	return 0;
}

void dp_spool_rewrite_abort(struct dp_spool *s)
{
	if (s->tmp_fd < 0)
		return;
	char tmp[PATH_MAX];
	tmp_path(s, tmp, sizeof(tmp));
	close(s->tmp_fd);
	s->tmp_fd = -1;
	unlink(tmp);
}
