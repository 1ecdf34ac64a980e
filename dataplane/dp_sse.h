/* dp_sse.h - incremental parser for text/event-stream from upstreams.
 *
 * Bytes arrive in arbitrary pieces; every complete event's data (multiple data: lines joined
 * with '\n') is handed to a callback. Comment lines (": ...") and fields other than data are
 * skipped; "event:" names are passed along for adapters that need them. */
#ifndef DP_SSE_H
#define DP_SSE_H

#include "sy_buf.h"

#include <stdbool.h>
#include <stddef.h>

struct dp_sse {
	struct sy_buf line; /* the partial line being read */
	struct sy_buf data; /* the data of the event being assembled */
	char event[64];     /* the event's name, "" if none */
	size_t max_event;   /* cap on one event's data */
	bool after_cr;      /* the last line ended with '\r': a '\n' next belongs to it */
};

/* Called for each complete event. Return 0 to go on, non-zero to stop dp_sse_feed with that
 * value. */
typedef int dp_sse_event_fn(const char *event, const char *data, size_t len, void *arg);

void dp_sse_init(struct dp_sse *s, size_t max_event);
/* Feed n bytes. 0, the callback's non-zero return, or SY_ETOOBIG when one event is over
 * max_event or one line (of any field, or a comment) over max_event plus a few bytes. */
int dp_sse_feed(struct dp_sse *s, const char *p, size_t n, dp_sse_event_fn *cb, void *arg);
void dp_sse_release(struct dp_sse *s);

#endif
