/* dp_spool.h - the durable usage spool of one worker: a file of framed records.
 *
 * The file (spool_dir/usage-<worker>.spool) holds records back to back, each a 4-byte
 * little-endian length then the packed UsageRecord; bit 31 of the length (DP_SPOOL_INTENT)
 * marks an intent. It is locked while open (flock: two processes appending to one spool
 * would corrupt it). Appends are written with write(2) and, unless disabled, fdatasync'ed
 * within sync_ms (a group commit; 0: right after each append). A failed append is cut off
 * again, so the file never holds a torn frame of ours. A rewrite replaces the file
 * atomically (temporary file, fdatasync, rename).
 *
 * dp_usage decides what goes in (records and intents, in batches) and reads it back; this
 * module only keeps the file. */
#ifndef DP_SPOOL_H
#define DP_SPOOL_H

#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct dp_loop;
struct dp_spool;
struct sy_buf;

#define DP_SPOOL_INTENT 0x80000000u /* in a frame's length: the record is an intent */

/* Append the frame of r (an intent with intent) to b; 0 or the sy_buf error. */
int dp_spool_frame(struct sy_buf *b, const Sy__UsageRecord *r, bool intent);
/* The packed length of the frame whose 4-byte header is hdr; *intent from its flag. */
size_t dp_spool_frame_len(const uint8_t hdr[4], bool *intent);

/* Create spool_dir if needed, open and lock spool_dir/usage-<worker_id>.spool. NULL on
 * failure (logged). */
struct dp_spool *dp_spool_open(struct dp_loop *loop, const char *spool_dir, int worker_id);
/* Sync what is not synced yet, close and free; idempotent; nulls *sp. */
void dp_spool_close(struct dp_spool **sp);
/* fsync: fdatasync appends within sync_ms (0: after each); the default: true, 0. */
void dp_spool_configure(struct dp_spool *s, bool fsync, uint32_t sync_ms);
const char *dp_spool_path(const struct dp_spool *s);
/* Bytes in the file. */
size_t dp_spool_size(const struct dp_spool *s);

/* Append n bytes of whole frames: 0, or a negative code with the file as it was. */
int dp_spool_append(struct dp_spool *s, const void *p, size_t n);
/* The whole file into *data (malloc'ed; NULL when empty) and *size: 0 or a negative code. */
int dp_spool_read(struct dp_spool *s, uint8_t **data, size_t *size);
/* pread of n bytes at off: true when all of them were read. */
bool dp_spool_pread(struct dp_spool *s, void *buf, size_t n, size_t off);
/* Cut the file to size bytes: 0 or a negative code. */
int dp_spool_cut(struct dp_spool *s, size_t size);

/* Replace the file: begin, write the new content in pieces, commit (or abort, keeping the old
 * file). 0 or a negative code (logged by the caller); a failed write or commit needs abort. */
int dp_spool_rewrite_begin(struct dp_spool *s);
int dp_spool_rewrite_write(struct dp_spool *s, const void *p, size_t n);
int dp_spool_rewrite_commit(struct dp_spool *s);
void dp_spool_rewrite_abort(struct dp_spool *s);

#endif
