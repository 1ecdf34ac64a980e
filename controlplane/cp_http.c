/* cp_http.c - MHD glue: accumulate the body, call the admin API, send its JSON. */
#include "cp_http.h"
#include "cp_admin.h"
#include "cp_console.h"
#include "sy_buf.h"
#include "sy_err.h"
#include "sy_http_guard.h"
#include "sy_json.h"
#include "sy_log.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct cp_http {
	struct MHD_Daemon *d;
	struct cp_admin *admin;
	struct sy_http_guard *guard;
};

/* Operators must get in while someone floods the port: a few connections per address, a
 * short header deadline, and idle connections closed after CP_HTTP_IDLE_S. */
#define CP_HTTP_PER_IP 32
#define CP_HTTP_MAX_CONNS 256
#define CP_HTTP_IDLE_S 30
#define CP_HTTP_BODY_MS 30000

/* Per-connection request state. */
struct req {
	struct sy_buf body;
	bool too_big;
	bool refused; /* the guard answered it */
};

int cp_http_parse_listen(const char *listen, void *ss, unsigned *len)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || !colon[1] || (size_t)(colon - listen) >= sizeof(host))
		return SY_EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	char *h = host;
	size_t hl = strlen(h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return SY_EINVAL;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
	if (!*h || getaddrinfo(h, colon + 1, &hints, &res))
		return SY_EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = (unsigned)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* fmt is a printf format from libmicrohttpd: the attribute tells -Wformat=2 so */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	sy_warn("http: %s", msg);
}

static const char *query_arg(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_body(struct MHD_Connection *conn, unsigned status, char *body,
                                 const char *content_type)
{
	static char oom[] = "{\"error\":{\"code\":500,\"message\":\"out of memory\"}}";
	struct MHD_Response *r =
	    body ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE)
	         : MHD_create_response_from_buffer(sizeof(oom) - 1, oom, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
	                        body && content_type ? content_type : "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, body ? status : 500, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct cp_http *h = cls;
	struct req *r = *con_cls;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		sy_buf_init(&r->body, CP_HTTP_BODY_MAX);
		*con_cls = r;
		enum MHD_Result refused;
		if (!sy_http_guard_admit(conn, version, &refused)) {
			r->refused = true;
			return refused;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->refused && !r->too_big && sy_buf_append(&r->body, upload, *upload_size))
			r->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->refused)
		return MHD_YES;
	sy_http_guard_body_done(conn);
	if (r->too_big)
		return send_body(conn, 413,
		                 sy_json_error(413, "request body too large (max 1 MiB)", NULL),
		                 NULL);
	if (cp_console_match(url))
		return (enum MHD_Result)cp_console_serve(conn, method, url);
	char addr[NI_MAXHOST] = "";
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr)
		getnameinfo(ci->client_addr,
		            ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                                   : sizeof(struct sockaddr_in),
		            addr, sizeof(addr), NULL, 0, NI_NUMERICHOST);
	struct cp_request req = {
	    .remote_addr = addr[0] ? addr : NULL,
	    .method = method,
	    .path = url,
	    .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
	    .body = r->body.data,
	    .body_len = r->body.len,
	    .query = query_arg,
	    .query_arg = conn,
	};
	struct cp_response res;
	cp_admin_handle(h->admin, &req, &res);
	return send_body(conn, res.status, res.body, res.content_type);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	sy_http_guard_completed(conn);
	if (!r)
		return;
	sy_buf_release(&r->body);
	free(r);
	*con_cls = NULL;
}

struct cp_http *cp_http_new(struct cp_admin *a, const char *listen, unsigned header_ms,
                            const char **why)
{
	struct sockaddr_storage ss;
	unsigned len = 0;
	if (cp_http_parse_listen(listen, &ss, &len)) {
		*why = "--admin-listen must be host:port";
		return NULL;
	}
	struct cp_http *h = calloc(1, sizeof(*h));
	if (!h) {
		*why = "out of memory";
		return NULL;
	}
	h->admin = a;
	struct sy_http_limits lim = {
	    .header_ms = header_ms,
	    .body_ms = CP_HTTP_BODY_MS,
	    .keepalive_ms = CP_HTTP_IDLE_S * 1000,
	    .per_ip = CP_HTTP_PER_IP,
	    .max_conns = CP_HTTP_MAX_CONNS,
	    .conn_memory = (size_t)32 << 10,
	    .one_request = true,
	};
	struct MHD_OptionItem guard_opts[SY_HTTP_GUARD_OPTIONS];
	if (!(h->guard = sy_http_guard_new(&lim))) {
		*why = "out of memory";
		free(h);
		return NULL;
	}
	sy_http_guard_options(h->guard, guard_opts);
	/* the guard accepts connections and judges their first header block (sy_http_guard.h) */
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
	                        mhd_log, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
	                        (unsigned)CP_HTTP_IDLE_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	                        h, MHD_OPTION_ARRAY, guard_opts, MHD_OPTION_END);
	if (!h->d || sy_http_guard_listen(h->guard, h->d, (struct sockaddr *)&ss, false)) {
		*why = "cannot listen on --admin-listen (address in use?)";
		if (h->d)
			MHD_stop_daemon(h->d);
		sy_http_guard_free(&h->guard);
		free(h);
		return NULL;
	}
	return h;
}

void cp_http_free(struct cp_http **hp)
{
	struct cp_http *h = *hp;
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	sy_http_guard_free(&h->guard);
	free(h);
	*hp = NULL;
}

int cp_http_fd(const struct cp_http *h)
{
	return sy_http_guard_fd(h->guard);
}

void cp_http_run(struct cp_http *h)
{
	sy_http_guard_run(h->guard);
	MHD_run(h->d);
	sy_http_guard_sweep(h->guard);
}

int64_t cp_http_timeout_ms(const struct cp_http *h)
{
	MHD_UNSIGNED_LONG_LONG t;
	int64_t sweep = sy_http_guard_sweep(h->guard);
	if (MHD_get_timeout(h->d, &t) != MHD_YES)
		return sweep;
	if (sweep >= 0 && (MHD_UNSIGNED_LONG_LONG)sweep < t)
		return sweep;
	return t > INT32_MAX ? INT32_MAX : (int64_t)t;
}
