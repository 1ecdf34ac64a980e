/* sy_buf.c - growable capped buffer. */
#include "sy_buf.h"
#include "sy_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sy_buf_init(struct sy_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int sy_buf_reserve(struct sy_buf *b, size_t extra)
{
	if (b->max && (extra > b->max || b->len > b->max - extra))
		return SY_ETOOBIG;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int sy_buf_append(struct sy_buf *b, const void *p, size_t n)
{
	int rc = sy_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int sy_buf_puts(struct sy_buf *b, const char *s)
{
	return sy_buf_append(b, s, strlen(s));
}

int sy_buf_printf(struct sy_buf *b, const char *fmt, ...)
{
	va_list ap;
	/* format straight into the free room; only text that does not fit is formatted twice */
	size_t room = b->cap - b->len;
	va_start(ap, fmt);
	int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SY_EINVAL;
	if (b->data && (size_t)n < room) {
		if (b->max && (size_t)n > b->max - b->len) {
			b->data[b->len] = '\0';
			return SY_ETOOBIG;
		}
		b->len += (size_t)n;
		return 0;
	}
	int rc = sy_buf_reserve(b, (size_t)n);
	if (rc) {
		if (b->data)
			b->data[b->len] = '\0';
		return rc;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void sy_buf_consume(struct sy_buf *b, size_t n)
{
	if (n >= b->len) {
		sy_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void sy_buf_reset(struct sy_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sy_buf_release(struct sy_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
