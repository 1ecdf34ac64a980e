/* mock_http.h - the mock provider's HTTP server (libmicrohttpd, epoll, a thread pool).
 *
 * Serves POST <prefix>/v1/chat/completions and GET <prefix>/v1/models under any path prefix
 * (counted separately, so one process can stand in for several providers), and the
 * introspection endpoints GET /mock/stats, GET /mock/last and POST /mock/reset. */
#ifndef MOCK_HTTP_H
#define MOCK_HTTP_H

#include "mock_opts.h"

#include <netinet/in.h>

struct mock_config {
	struct sockaddr_in listen; /* address to bind */
	unsigned threads;          /* MHD worker threads */
	unsigned max_conns;        /* open connections at most, over all threads */
	struct mock_opts defaults; /* options before headers and the model name apply */
};

struct mock_server;

/* Parse "HOST:PORT" (HOST a dotted IPv4 address or "localhost"). 0 or SY_EINVAL. */
int mock_listen_parse(const char *s, struct sockaddr_in *out);
/* Start serving. NULL on failure (logged). */
struct mock_server *mock_server_new(const struct mock_config *cfg);
/* The bound port (useful when cfg asked for port 0). */
unsigned mock_server_port(const struct mock_server *s);
/* Stop accepting, end every held or paced connection, stop; sets *sp to NULL. Idempotent. */
void mock_server_free(struct mock_server **sp);

#endif
