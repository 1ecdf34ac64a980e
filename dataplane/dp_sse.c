/* dp_sse.c - incremental text/event-stream parser (the WHATWG event-stream grammar).
 *
 * Lines end in "\r\n", "\n" or "\r"; a "\r" at the end of one piece of input may be followed
 * by the "\n" at the start of the next, which after_cr remembers. A complete line is handled
 * straight from the input when nothing of it was buffered, so the common case copies each
 * data byte once, into the event's data. */
#include "dp_sse.h"
#include "sy_err.h"

#include <string.h>

/* Room for the field name ("data: ") on top of the data itself. */
#define FIELD_SLACK 16

void dp_sse_init(struct dp_sse *s, size_t max_event)
{
	sy_buf_init(&s->line, max_event + FIELD_SLACK);
	/* each data line is stored with its '\n'; the last one is dropped at dispatch */
	sy_buf_init(&s->data, max_event + 1);
	s->event[0] = '\0';
	s->max_event = max_event;
	s->after_cr = false;
}

static void reset_event(struct dp_sse *s)
{
	sy_buf_reset(&s->data);
	s->event[0] = '\0';
}

static int dispatch(struct dp_sse *s, dp_sse_event_fn *cb, void *arg)
{
	/* no data line since the last event: nothing to dispatch (an "event:" alone) */
	if (!s->data.len) {
		reset_event(s);
		return 0;
	}
	size_t len = s->data.len - 1;
	s->data.data[len] = '\0';
	int rc = cb(s->event, s->data.data, len, arg);
	reset_event(s);
	return rc;
}

static int handle_line(struct dp_sse *s, const char *p, size_t n, dp_sse_event_fn *cb, void *arg)
{
	if (!n)
		return dispatch(s, cb, arg);
	if (p[0] == ':')
		return 0; /* comment */
	const char *colon = memchr(p, ':', n);
	size_t name_len = colon ? (size_t)(colon - p) : n;
	const char *v = colon ? colon + 1 : p + n;
	size_t vlen = (size_t)(p + n - v);
	if (vlen && *v == ' ') {
		v++;
		vlen--;
	}
	if (name_len == 4 && !memcmp(p, "data", 4)) {
		int rc = sy_buf_append(&s->data, v, vlen);
		if (!rc)
			rc = sy_buf_append(&s->data, "\n", 1);
		return rc;
	}
	if (name_len == 5 && !memcmp(p, "event", 5)) {
		size_t m = vlen < sizeof(s->event) - 1 ? vlen : sizeof(s->event) - 1;
		memcpy(s->event, v, m);
		s->event[m] = '\0';
	}
	return 0; /* id, retry and unknown fields are ignored */
}

static const char *find_eol(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n' || p[i] == '\r')
			return p + i;
	return NULL;
}

int dp_sse_feed(struct dp_sse *s, const char *p, size_t n, dp_sse_event_fn *cb, void *arg)
{
	int rc = 0;
	while (n) {
		if (s->after_cr) {
			s->after_cr = false;
			if (*p == '\n') {
				p++;
				n--;
				continue;
			}
		}
		const char *eol = find_eol(p, n);
		if (!eol) {
			rc = sy_buf_append(&s->line, p, n);
			goto out;
		}
		size_t len = (size_t)(eol - p);
		if (s->line.len) {
			rc = sy_buf_append(&s->line, p, len);
			if (!rc)
				rc = handle_line(s, s->line.data, s->line.len, cb, arg);
			sy_buf_reset(&s->line);
		} else if (len > s->line.max) {
			/* the cap a buffered line meets, so a line is refused however it arrives */
			rc = SY_ETOOBIG;
		} else {
			rc = handle_line(s, p, len, cb, arg);
		}
		if (rc)
			goto out;
		s->after_cr = *eol == '\r';
		p = eol + 1;
		n -= len + 1;
	}
out:
	if (rc == SY_ETOOBIG) {
		/* the oversized event is unusable; drop it whole */
		sy_buf_reset(&s->line);
		reset_event(s);
	}
	return rc;
}

void dp_sse_release(struct dp_sse *s)
{
	sy_buf_release(&s->line);
	sy_buf_release(&s->data);
	s->event[0] = '\0';
	s->after_cr = false;
}
