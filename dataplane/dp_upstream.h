/* dp_upstream.h - HTTP calls to upstream providers on a worker's event loop.
 *
 * One struct dp_upstream per worker wraps one libcurl multi handle driven through its socket
 * API (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION) on the worker's dp_loop, so every
 * transfer shares the loop and the multi's connection cache (keep-alive to each upstream).
 *
 * A struct dp_upstream_call is one POST. Its deadlines: connect (libcurl), first byte of the
 * body, idle gap between body bytes once the first arrived (loop timers that cancel the
 * transfer) and total (libcurl). The owner sees the call through three callbacks; done is
 * always the last one and the call is already freed when it runs, so done may start the
 * next call at once. Callbacks run on the loop and must not call dp_upstream_call_cancel on
 * their own call (return a stop code instead). */
#ifndef DP_UPSTREAM_H
#define DP_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_loop;
struct dp_upstream;
struct dp_upstream_call;

/* How a call ended. */
enum dp_upstream_result {
	DP_UPSTREAM_OK = 0,             /* the response arrived complete (any HTTP status) */
	DP_UPSTREAM_CONNECT,            /* no connection: refused, unresolvable, connect timeout */
	DP_UPSTREAM_TIMEOUT_FIRST_BYTE, /* no body byte within first_byte_ms */
	DP_UPSTREAM_TIMEOUT_IDLE,       /* a gap between body bytes longer than idle_ms */
	DP_UPSTREAM_TIMEOUT_TOTAL,      /* the whole call took longer than total_ms */
	DP_UPSTREAM_RESET,              /* the connection broke before the response was complete */
	DP_UPSTREAM_STOPPED,            /* a callback returned a stop code */
	DP_UPSTREAM_FAILED,             /* anything else (TLS, protocol, allocation) */
	DP_UPSTREAM_REFUSED,            /* the address connected to is not allowed (dp_egress.h) */
};

/* What the data callback returns. */
enum {
	DP_UPSTREAM_GO = 0, /* consumed, go on */
	DP_UPSTREAM_PAUSE,  /* not consumed: deliver the same bytes after dp_upstream_call_resume */
	DP_UPSTREAM_STOP,   /* abort the transfer; done follows with DP_UPSTREAM_STOPPED */
};

/* One request to send. Strings are copied by dp_upstream_call_start. */
struct dp_upstream_req {
	const char *url;    /* full URL, e.g. "http://127.0.0.1:9100/v1/chat/completions" */
	const char *bearer; /* the provider's credential; NULL or "" = none */
	/* the header that carries it ("x-api-key"); NULL = "Authorization: Bearer" */
	const char *key_header;
	const char *const *headers; /* further "Name: value" headers, NULL-terminated, or NULL */
	bool stream;                /* ask for text/event-stream */
	uint32_t connect_ms;        /* deadlines; 0 = none */
	uint32_t first_byte_ms;
	uint32_t idle_ms;
	uint32_t total_ms;
	bool internal; /* the provider may live on loopback or private addresses (dp_egress.h) */
	const char *proxy; /* explicit upstream proxy URL; NULL: direct (the environment's
	                      http_proxy and https_proxy are never used) */
};

struct dp_upstream_ops {
	/* The final status line and headers arrived. retry_after_ms is the Retry-After header
	 * in milliseconds (-1 if absent or unparsable). Return 0 to go on, non-zero to stop. */
	int (*headers)(void *arg, long status, int64_t retry_after_ms);
	/* Body bytes; returns DP_UPSTREAM_GO, DP_UPSTREAM_PAUSE or DP_UPSTREAM_STOP. */
	int (*data)(void *arg, const char *p, size_t n);
	/* The call ended and is freed. detail is a short technical reason for logs ("" on
	 * success); never shown to clients. */
	void (*done)(void *arg, enum dp_upstream_result r, const char *detail);
};

/* The worker's upstream client on loop. NULL on failure. */
struct dp_upstream *dp_upstream_new(struct dp_loop *loop);
/* Cancel every running call without callbacks (their owners must be gone) and free;
 * idempotent; nulls *up. */
void dp_upstream_free(struct dp_upstream **up);
/* Calls running now. */
size_t dp_upstream_running(const struct dp_upstream *u);

/* POST *bodyp (body_len bytes, JSON) as described by req. Takes ownership of *bodyp and sets
 * it to NULL, also on failure. No callback runs before this returns. NULL on failure. */
struct dp_upstream_call *dp_upstream_call_start(struct dp_upstream *u,
                                                const struct dp_upstream_req *req, char **bodyp,
                                                size_t body_len, const struct dp_upstream_ops *ops,
                                                void *arg);
/* Cancel a running call at once (no done callback); idempotent; nulls *cp. Not from inside
 * the call's own callbacks. */
void dp_upstream_call_cancel(struct dp_upstream_call **cp);
/* Let a call whose data callback returned DP_UPSTREAM_PAUSE deliver again. Not from inside
 * the call's own callbacks. */
void dp_upstream_call_resume(struct dp_upstream_call *c);
/* Parse a Retry-After value (delta seconds or an HTTP date) into milliseconds from now;
 * -1 when unparsable. */
int64_t dp_upstream_retry_after_ms(const char *value, int64_t now_unix_s);

#endif
