/* cp_http.h - the admin API's HTTP server: libmicrohttpd in external epoll mode.
 *
 * MHD runs without threads of its own: the controlplane's loop watches cp_http_fd (MHD's epoll
 * fd) and calls cp_http_run when it is readable and when cp_http_timeout_ms expires. Bodies are
 * accumulated up to a hard cap (413 beyond it), then handed to cp_admin_handle. */
#ifndef CP_HTTP_H
#define CP_HTTP_H

#include <stdint.h>

struct cp_admin;
struct cp_http;

/* Largest admin request body accepted. */
#define CP_HTTP_BODY_MAX (1024 * 1024)

/* Parse "host:port" ("[::1]:8081" for IPv6) into a socket address; 0 or SY_EINVAL. */
int cp_http_parse_listen(const char *listen, void *sockaddr_storage, unsigned *len);
/* Listen on "host:port" and serve admin a; a client's request headers must be complete within
 * header_ms (sy_http_guard.h). NULL on failure with *why set. */
struct cp_http *cp_http_new(struct cp_admin *a, const char *listen, unsigned header_ms,
                            const char **why);
/* Stop listening and close connections; idempotent; nulls *hp. */
void cp_http_free(struct cp_http **hp);
/* MHD's epoll fd, to watch for EPOLLIN. */
int cp_http_fd(const struct cp_http *h);
/* Let MHD do its work (accept, read, respond, time out); never blocks. */
void cp_http_run(struct cp_http *h);
/* Milliseconds until MHD or the guard's deadlines need cp_http_run; -1 if nothing does. */
int64_t cp_http_timeout_ms(const struct cp_http *h);

#endif
