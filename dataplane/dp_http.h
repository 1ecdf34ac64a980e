/* dp_http.h - the public HTTP API: libmicrohttpd on the worker's loop, routing, and the
 * endpoints other than chat completions (which dp_chat serves).
 *
 * MHD runs in external-epoll mode with suspend/resume: its epoll fd sits in the worker's
 * dp_loop, MHD_run is called on readiness, and a loop timer follows MHD_get_timeout. Every
 * worker binds the listen address itself with SO_REUSEPORT. Routes live under /api/v1 and
 * the /v1 alias; /health and /ready are also at the top level. GET /metrics (Prometheus, no
 * key) is served only by a second instance on --metrics-listen, which serves nothing else: the
 * per-provider cost and request totals are not for the public port.
 * Every response carries X-Switchyard-Overhead-Us (dp_metrics.h). */
#ifndef DP_HTTP_H
#define DP_HTTP_H

#include "dp_worker.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>

struct dp_http;

/* Listen on listen ("host:port") and serve on w->loop: the public API, or with metrics_only
 * GET /metrics alone. NULL on failure (logged). */
struct dp_http *dp_http_new(struct dp_worker *w, const char *listen, bool metrics_only);
/* Stop accepting connections (drain): requests already received go on. */
void dp_http_quiesce(struct dp_http *h);
/* Requests in progress: from their first header to MHD's completion notice. */
unsigned dp_http_active(const struct dp_http *h);
/* Client connections open now. */
unsigned dp_http_connections(const struct dp_http *h);
/* Close every connection (in-flight chats are told through dp_chat_closed) and free;
 * idempotent; nulls *hp. */
void dp_http_free(struct dp_http **hp);

/* Parse "host:port" ("[v6]:port" for IPv6) into *ss. 0 or SY_EINVAL. */
int dp_http_parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6);

/* Queue a JSON response; takes ownership of the malloc'ed body (freed also on failure). */
enum MHD_Result dp_http_send_json(struct MHD_Connection *c, unsigned status, char *body);
/* Queue OpenRouter's error envelope {"error":{"code":status,"message":msg}}. */
enum MHD_Result dp_http_send_error(struct MHD_Connection *c, unsigned status, const char *msg);

#endif
