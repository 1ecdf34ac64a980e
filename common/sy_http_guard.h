/* sy_http_guard.h - what both HTTP listeners (the public API and the admin API) refuse before
 * they serve a request, and the connection limits and deadlines they share.
 *
 * libmicrohttpd 0.9.75 parses leniently: it serves a request with two different
 * Content-Length headers (the first wins and the rest of the body becomes the next request),
 * with Content-Length and Transfer-Encoding both, with header names holding spaces (ignored,
 * so the body again becomes the next request), with any Transfer-Encoding, with no or two Host
 * headers, and with control characters in the request target and in header values. The checks
 * here run when the headers are complete and before any body byte is read as a request; a
 * refused request gets the JSON error envelope and "Connection: close", so nothing after it on
 * the connection is ever parsed.
 *
 * Before all of that, the guard accepts each connection itself (sy_http_guard_listen) and hands
 * it to MHD only once its first header block passed sy_http_gate_judge on the raw bytes, which
 * MHD 0.9.75 would otherwise answer in HTML or cut at a NUL (sy_http_gate.h); with one_request,
 * every answer closes its connection, so every request is a connection's first.
 *
 * The connection side (sy_http_guard_new and the MHD options it hands out) adds what MHD lacks:
 * a deadline for the headers of each request and for its body, on top of MHD's idle timeout
 * (which a client trickling a byte now and then never reaches), plus MHD's own per-IP and
 * global connection limits. A connection past its deadline gets a 408 when no response is
 * under way and is shut down; MHD then closes it as a client disconnect. */
#ifndef SY_HTTP_GUARD_H
#define SY_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Bytes of request target and header fields accepted (431 beyond): nginx's default line
 * buffer. The listeners give MHD a larger connection memory, so that its own HTML 431 is only
 * reached by header blocks well past this. */
#define SY_HTTP_HEADERS_MAX ((size_t)8 << 10)

/* The framing checks of one request: fed header by header, then judged. */
struct sy_http_check {
	unsigned content_length;    /* Content-Length headers seen */
	unsigned transfer_encoding; /* Transfer-Encoding headers seen */
	unsigned host;              /* Host headers seen */
	size_t bytes;               /* header bytes seen, for the 431 */
	bool http11;                /* HTTP/1.1, which must send one Host */
	unsigned status;            /* 0 while acceptable, else 400 or 431 */
	const char *why;            /* the reason sent with status (a string constant) */
};

/* A request target (origin-form, as it arrived, query included) made of visible ASCII only. */
bool sy_http_target_ok(const char *target);
/* Start checking a request whose raw target is target (NULL: unknown) and whose HTTP version
 * is version. */
void sy_http_check_init(struct sy_http_check *k, const char *target, const char *version);
/* One header field as received; value_len counts every byte of the value. */
void sy_http_check_header(struct sy_http_check *k, const char *name, size_t name_len,
                          const char *value, size_t value_len);
/* After the last header: true when the request may be served; false with k->status and
 * k->why set. */
bool sy_http_check_done(struct sy_http_check *k);

/* Limits of one listener. */
struct sy_http_limits {
	unsigned header_ms;    /* from connection (or previous response) to complete headers */
	unsigned body_ms;      /* from complete headers to complete body */
	unsigned keepalive_ms; /* idle time allowed between two requests on a connection */
	unsigned per_ip;       /* connections from one address (0 = no limit) */
	unsigned max_conns;    /* connections in all */
	size_t conn_memory;    /* MHD's memory per connection; above SY_HTTP_HEADERS_MAX */
	bool one_request;      /* close each connection after its first response */
};

struct sy_http_guard;

/* A guard for one listener with limits lim (copied). NULL on allocation failure. */
struct sy_http_guard *sy_http_guard_new(const struct sy_http_limits *lim);
/* Free; idempotent; nulls *gp. Only after MHD_stop_daemon. */
void sy_http_guard_free(struct sy_http_guard **gp);
/* Listen on sa for the daemon d, started with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_EPOLL (and
 * the guard's options): the guard accepts each connection, holds it until its first header
 * block is in and judged by sy_http_gate_judge on the raw bytes (peeked, not read), then hands
 * it to d with MHD_add_connection. A refused one is answered in the JSON envelope with
 * "Connection: close"; one whose headers miss the header deadline gets a JSON 408. The
 * connection limits count these connections too. reuse_port sets SO_REUSEPORT. 0, or -1 with
 * errno. */
int sy_http_guard_listen(struct sy_http_guard *g, struct MHD_Daemon *d, const struct sockaddr *sa,
                         bool reuse_port);
/* The descriptor to watch for reading (MHD's epoll fd is inside it): when it is readable,
 * call sy_http_guard_run, then MHD_run. */
int sy_http_guard_fd(const struct sy_http_guard *g);
/* Accept, judge and hand over what is ready, without blocking. */
void sy_http_guard_run(struct sy_http_guard *g);
/* Stop accepting (close the listening socket). */
void sy_http_guard_quiesce(struct sy_http_guard *g);
/* The MHD options that install the guard and its limits, ending with MHD_OPTION_END; pass them
 * with MHD_OPTION_ARRAY. opts must hold SY_HTTP_GUARD_OPTIONS items. */
#define SY_HTTP_GUARD_OPTIONS 6
void sy_http_guard_options(struct sy_http_guard *g, struct MHD_OptionItem *opts);
/* At the access handler's first call for a request: true to serve it; false after queueing
 * the refusal (400 or 431, JSON, Connection: close), whose result is in *ret. */
bool sy_http_guard_admit(struct MHD_Connection *c, const char *version, enum MHD_Result *ret);
/* The request's body is in (the handler's call with no upload data): its deadline ends. */
void sy_http_guard_body_done(struct MHD_Connection *c);
/* The response went out (from MHD_OPTION_NOTIFY_COMPLETED): the next request's deadline
 * starts. */
void sy_http_guard_completed(struct MHD_Connection *c);
/* Shut down the connections past their deadline (at most every 100 ms does work). Returns the
 * milliseconds until this needs calling again, -1 when no deadline is pending. */
int64_t sy_http_guard_sweep(struct sy_http_guard *g);
/* Queue a JSON error with "Connection: close" on c. */
enum MHD_Result sy_http_guard_refuse(struct MHD_Connection *c, unsigned status, const char *why);

#endif
