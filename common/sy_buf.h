/* sy_buf.h - a growable byte buffer with a hard maximum size.
 *
 * A runaway peer costs at most `max` bytes: appends past it fail with SY_ETOOBIG and leave
 * the buffer as it was. The data is always NUL-terminated for convenience. */
#ifndef SY_BUF_H
#define SY_BUF_H

#include <stddef.h>

struct sy_buf {
	char *data; /* NUL-terminated contents (NULL until the first append) */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len; 0 = unlimited */
};

/* Initialise an empty buffer capped at max bytes (0 = no cap). */
void sy_buf_init(struct sy_buf *b, size_t max);
/* Append n bytes; 0, SY_ETOOBIG or -ENOMEM. */
int sy_buf_append(struct sy_buf *b, const void *p, size_t n);
/* Make room for extra more bytes without appending (one allocation for what is to come);
 * 0, SY_ETOOBIG or -ENOMEM. */
int sy_buf_reserve(struct sy_buf *b, size_t extra);
/* Append a NUL-terminated string. */
int sy_buf_puts(struct sy_buf *b, const char *s);
/* Append printf-formatted text. */
int sy_buf_printf(struct sy_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (consumed data). */
void sy_buf_consume(struct sy_buf *b, size_t n);
/* Empty the buffer, keeping its allocation. */
void sy_buf_reset(struct sy_buf *b);
/* Free the allocation; the buffer is empty and reusable afterwards. */
void sy_buf_release(struct sy_buf *b);

#endif
