/* sy_http_guard.c - request framing checks and connection deadlines for both listeners. */
#include "sy_http_guard.h"
#include "sy_clock.h"
#include "sy_http_gate.h"
#include "sy_json.h"
#include "sy_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- framing checks --------------------------------------------------------------------- */

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

bool sy_http_target_ok(const char *target)
{
	if (!target || !*target)
		return false;
	for (const unsigned char *p = (const unsigned char *)target; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

static void fail(struct sy_http_check *k, unsigned status, const char *why)
{
	if (!k->status) {
		k->status = status;
		k->why = why;
	}
}

void sy_http_check_init(struct sy_http_check *k, const char *target, const char *version)
{
	*k = (struct sy_http_check){0};
	k->http11 = version && !strcmp(version, "HTTP/1.1");
	if (target) {
		k->bytes = strlen(target);
		if (!sy_http_target_ok(target))
			fail(k, 400,
			     "Malformed request line: the request target holds spaces or control "
			     "characters");
	}
	if (!version || (strcmp(version, "HTTP/1.1") && strcmp(version, "HTTP/1.0")))
		fail(k, 400, "Malformed request line: want HTTP/1.1 or HTTP/1.0");
}

void sy_http_check_header(struct sy_http_check *k, const char *name, size_t name_len,
                          const char *value, size_t value_len)
{
	k->bytes += name_len + value_len + 4; /* ": " and CRLF */
	if (!name_len)
		fail(k, 400, "Malformed header: empty field name");
	for (size_t i = 0; i < name_len; i++)
		if (!is_tchar((unsigned char)name[i]))
			fail(k, 400,
			     "Malformed header: a field name holds a character other than a token "
			     "character (a space before the colon?)");
	for (size_t i = 0; i < value_len; i++) {
		unsigned char ch = (unsigned char)value[i];
		if ((ch < ' ' && ch != '\t') || ch == 0x7f)
			fail(k, 400, "Malformed header: a field value holds a control character");
	}
	if (!strncasecmp(name, "Content-Length", name_len) && name_len == 14)
		k->content_length++;
	else if (!strncasecmp(name, "Host", name_len) && name_len == 4)
		k->host++;
	else if (!strncasecmp(name, "Transfer-Encoding", name_len) && name_len == 17) {
		k->transfer_encoding++;
		/* the only coding a request may use here; anything else would leave the body's
		 * end undefined */
		if (value_len != 7 || strncasecmp(value, "chunked", 7))
			fail(k, 400, "Unsupported Transfer-Encoding: only 'chunked' is accepted");
	}
}

bool sy_http_check_done(struct sy_http_check *k)
{
	if (k->content_length > 1)
		fail(k, 400, "Ambiguous request: more than one Content-Length header");
	if (k->transfer_encoding > 1)
		fail(k, 400, "Ambiguous request: more than one Transfer-Encoding header");
	if (k->content_length && k->transfer_encoding)
		fail(k, 400, "Ambiguous request: both Content-Length and Transfer-Encoding");
	if (k->host > 1)
		fail(k, 400, "Ambiguous request: more than one Host header");
	if (k->host == 0 && k->http11) /* HTTP/1.0 clients (haproxy's checks) may omit it */
		fail(k, 400, "Missing Host header");
	if (k->bytes > SY_HTTP_HEADERS_MAX)
		fail(k, 431, "Request header fields are too large");
	return k->status == 0;
}

/* ---- connections -------------------------------------------------------------------------- */

/* One connection MHD holds (its socket context). */
struct conn {
	struct sy_http_guard *g;
	struct conn *prev, *next;
	int fd;
	int64_t deadline; /* monotonic ms; 0 = none (a request is being answered) */
	bool responding;  /* the handler has the request: no raw 408 on this connection */
	bool target_bad;  /* the raw request target failed sy_http_target_ok */
};

/* A connection the guard accepted and holds until its first header block is judged (or, once
 * refused, until the client has read the refusal and closed). */
struct pend {
	struct pend *prev, *next;
	int fd;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int64_t deadline; /* monotonic ms */
	bool closing;     /* answered: discarding what the client still sends until it closes */
};

struct sy_http_guard {
	struct sy_http_limits lim;
	struct conn *conns;
	int64_t next_sweep; /* monotonic ms before which a sweep does nothing */
	struct MHD_Daemon *d;
	int lfd;           /* the listening socket, -1 once quiesced */
	int epfd;          /* the listening socket, MHD's epoll fd and the pending connections */
	struct pend *pend; /* accepted, first header block not yet handed to MHD */
	unsigned npend;
};

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct sy_http_guard *g = cls;
	struct conn *k = *socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!(k = calloc(1, sizeof(*k))))
			return; /* unguarded: MHD's idle timeout still applies */
		k->g = g;
		k->fd = ci ? ci->connect_fd : -1;
		k->deadline = sy_mono_ms() + g->lim.header_ms;
		k->next = g->conns;
		if (g->conns)
			g->conns->prev = k;
		g->conns = k;
		*socket_context = k;
		return;
	}
	if (!k)
		return;
	if (k->prev)
		k->prev->next = k->next;
	else
		g->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	free(k);
	*socket_context = NULL;
}

/* MHD calls this with the raw request target before it decodes it and before the headers:
 * the only place that sees control characters and spaces in the target as they arrived. Its
 * return value is the handler's initial request context, which must stay NULL. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	if (k)
		k->target_bad = !sy_http_target_ok(uri);
	return NULL;
}

struct sy_http_guard *sy_http_guard_new(const struct sy_http_limits *lim)
{
	struct sy_http_guard *g = calloc(1, sizeof(*g));
	if (g) {
		g->lim = *lim;
		g->lfd = g->epfd = -1;
	}
	return g;
}

void sy_http_guard_free(struct sy_http_guard **gp)
{
	struct sy_http_guard *g = *gp;
	if (!g)
		return;
	*gp = NULL;
	while (g->conns) {
		struct conn *k = g->conns;
		g->conns = k->next;
		free(k);
	}
	while (g->pend) {
		struct pend *p = g->pend;
		g->pend = p->next;
		close(p->fd);
		free(p);
	}
	if (g->lfd >= 0)
		close(g->lfd);
	if (g->epfd >= 0)
		close(g->epfd);
	free(g);
}

void sy_http_guard_options(struct sy_http_guard *g, struct MHD_OptionItem *o)
{
	struct MHD_OptionItem opts[SY_HTTP_GUARD_OPTIONS] = {
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, g},
	    {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, g},
	    {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)g->lim.max_conns, NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)g->lim.conn_memory, NULL},
	    /* last: without a per-IP limit this item ends the list */
	    {g->lim.per_ip ? MHD_OPTION_PER_IP_CONNECTION_LIMIT : MHD_OPTION_END,
	     (intptr_t)g->lim.per_ip, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	memcpy(o, opts, sizeof(opts));
}

static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                   size_t name_len, const char *value, size_t value_len)
{
	sy_http_check_header(cls, name, name_len, value ? value : "", value ? value_len : 0);
	return MHD_YES;
}

enum MHD_Result sy_http_guard_refuse(struct MHD_Connection *c, unsigned status, const char *why)
{
	char *body = sy_json_error((int)status, why, NULL);
	struct MHD_Response *r =
	    body ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE)
	         : NULL;
	if (!r) {
		free(body);
		return MHD_NO; /* MHD closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

bool sy_http_guard_admit(struct MHD_Connection *c, const char *version, enum MHD_Result *ret)
{
	struct conn *k = conn_of(c);
	struct sy_http_check chk;
	sy_http_check_init(&chk, NULL, version);
	if (k && k->target_bad)
		chk.status = 400, chk.why = "Malformed request line: the request target holds "
		                            "spaces or control characters";
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, walk_header, &chk);
	if (k) {
		k->responding = true;
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		bool body = (cl && strcmp(cl, "0")) ||
		            MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                        MHD_HTTP_HEADER_TRANSFER_ENCODING);
		k->deadline = body ? sy_mono_ms() + k->g->lim.body_ms : 0;
	}
	if (sy_http_check_done(&chk)) {
		/* MHD keeps a connection open unless the request asked to close it: this one
		 * does, so MHD answers with "Connection: close" and the next request comes on a
		 * new connection, whose header block the gate judges */
		if (k && k->g->lim.one_request)
			MHD_set_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION,
			                         "close");
		return true;
	}
	if (k)
		k->deadline = 0;
	*ret = sy_http_guard_refuse(c, chk.status, chk.why);
	return false;
}

void sy_http_guard_body_done(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	if (k)
		k->deadline = 0;
}

void sy_http_guard_completed(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	if (!k)
		return;
	k->responding = false;
	k->target_bad = false;
	k->deadline = sy_mono_ms() + k->g->lim.keepalive_ms + k->g->lim.header_ms;
}

/* Answer status with the JSON error why and "Connection: close", written directly on fd (MHD
 * has not started a response on it, or does not have it). */
static void send_raw(int fd, unsigned status, const char *why)
{
	char *body = sy_json_error((int)status, why, NULL);
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
	                 "Connection: close\r\nContent-Length: %zu\r\n\r\n",
	                 status, MHD_get_reason_phrase_for(status), body ? strlen(body) : 0);
	(void)!send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT | (body ? MSG_MORE : 0));
	if (body)
		(void)!send(fd, body, strlen(body), MSG_NOSIGNAL | MSG_DONTWAIT);
	free(body);
}

static const char late[] = "The request headers did not arrive in time";

/* ---- the first header block: accepted here, judged, then handed to MHD ------------------- */

/* How long a refused connection is given to read the refusal and close. */
#define LINGER_MS 2000

static void pend_close(struct sy_http_guard *g, struct pend *p, bool to_mhd)
{
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	if (p->prev)
		p->prev->next = p->next;
	else
		g->pend = p->next;
	if (p->next)
		p->next->prev = p->prev;
	g->npend--;
	/* MHD closes the socket itself when it cannot take it (its limits) */
	if (to_mhd)
		MHD_add_connection(g->d, p->fd, (const struct sockaddr *)&p->addr, p->addr_len);
	else
		close(p->fd);
	free(p);
}

/* Discard what arrived; true when the client has closed (or the socket failed). */
static bool drain(int fd)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
	}
}

/* Answer the refusal and keep the connection until the client closes (closing with unread
 * bytes would reset it, and the client could lose the answer). False when p is gone. */
static bool pend_refuse(struct sy_http_guard *g, struct pend *p, unsigned status, const char *why)
{
	bool gone = drain(p->fd);
	send_raw(p->fd, status, why);
	shutdown(p->fd, SHUT_WR);
	if (gone) {
		pend_close(g, p, false);
		return false;
	}
	p->closing = true;
	p->deadline = sy_mono_ms() + LINGER_MS;
	return true;
}

static void pend_readable(struct sy_http_guard *g, struct pend *p)
{
	if (p->closing) {
		if (drain(p->fd))
			pend_close(g, p, false);
		return;
	}
	unsigned char buf[SY_HTTP_HEADERS_MAX];
	ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			pend_close(g, p, false);
		return;
	}
	unsigned status = 0;
	const char *why = NULL;
	switch (sy_http_gate_judge(buf, (size_t)n, sizeof(buf), &status, &why)) {
	case SY_HTTP_GATE_MORE:
		return; /* edge-triggered: the next bytes wake us */
	case SY_HTTP_GATE_OK:
		pend_close(g, p, true);
		return;
	case SY_HTTP_GATE_REFUSE:
		sy_info("http: refused a connection before parsing: status=%u reason=\"%s\"",
		        status, why);
		pend_refuse(g, p, status, why);
		return;
	}
}

/* Connections from the address of p among the pending ones. */
static unsigned pend_same_ip(const struct sy_http_guard *g, const struct sockaddr_storage *a)
{
	unsigned n = 0;
	for (const struct pend *p = g->pend; p; p = p->next) {
		if (p->addr.ss_family != a->ss_family)
			continue;
		if (a->ss_family == AF_INET
		        ? ((const struct sockaddr_in *)&p->addr)->sin_addr.s_addr ==
		              ((const struct sockaddr_in *)a)->sin_addr.s_addr
		        : !memcmp(&((const struct sockaddr_in6 *)&p->addr)->sin6_addr,
		                  &((const struct sockaddr_in6 *)a)->sin6_addr, 16))
			n++;
	}
	return n;
}

static void accept_all(struct sy_http_guard *g)
{
	for (int i = 0; i < 64 && g->lfd >= 0; i++) {
		struct pend *p = calloc(1, sizeof(*p));
		if (!p)
			return;
		p->addr_len = sizeof(p->addr);
		p->fd = accept4(g->lfd, (struct sockaddr *)&p->addr, &p->addr_len,
		                SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (p->fd < 0) {
			free(p);
			return;
		}
		const union MHD_DaemonInfo *di =
		    MHD_get_daemon_info(g->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		unsigned conns = g->npend + (di ? di->num_connections : 0);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = p};
		if (conns >= g->lim.max_conns ||
		    (g->lim.per_ip && pend_same_ip(g, &p->addr) >= g->lim.per_ip) ||
		    epoll_ctl(g->epfd, EPOLL_CTL_ADD, p->fd, &ev)) {
			close(p->fd); /* as MHD does past its limits */
			free(p);
			continue;
		}
		p->deadline = sy_mono_ms() + g->lim.header_ms;
		p->next = g->pend;
		if (g->pend)
			g->pend->prev = p;
		g->pend = p;
		g->npend++;
	}
}

int sy_http_guard_listen(struct sy_http_guard *g, struct MHD_Daemon *d, const struct sockaddr *sa,
                         bool reuse_port)
{
	socklen_t len =
	    sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1;
	g->d = d;
	if ((g->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (g->lfd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = g};
	struct epoll_event mev = {.events = EPOLLIN, .data.ptr = NULL};
	if (setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (reuse_port && setsockopt(g->lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(g->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(g->lfd, sa, len) || listen(g->lfd, SOMAXCONN) || !di ||
	    epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->lfd, &lev) ||
	    epoll_ctl(g->epfd, EPOLL_CTL_ADD, di->epoll_fd, &mev))
		return -1;
	return 0;
}

int sy_http_guard_fd(const struct sy_http_guard *g)
{
	return g->epfd;
}

void sy_http_guard_run(struct sy_http_guard *g)
{
	struct epoll_event ev[64];
	int n = epoll_wait(g->epfd, ev, 64, 0);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == g)
			accept_all(g);
		else if (ev[i].data.ptr)
			pend_readable(g, ev[i].data.ptr);
		/* NULL: MHD's own events, for the MHD_run that follows */
	}
}

void sy_http_guard_quiesce(struct sy_http_guard *g)
{
	if (g->lfd < 0)
		return;
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, g->lfd, NULL);
	close(g->lfd);
	g->lfd = -1;
}

int64_t sy_http_guard_sweep(struct sy_http_guard *g)
{
	int64_t now = sy_mono_ms();
	if (now < g->next_sweep)
		return g->next_sweep - now;
	int64_t next = 0;
	for (struct pend *p = g->pend, *after; p; p = after) {
		after = p->next;
		if (now >= p->deadline) {
			if (p->closing) {
				pend_close(g, p, false);
				continue;
			}
			if (!pend_refuse(g, p, 408, late))
				continue;
		}
		if (!next || p->deadline < next)
			next = p->deadline;
	}
	for (struct conn *k = g->conns; k; k = k->next) {
		if (!k->deadline)
			continue;
		if (now >= k->deadline && k->fd >= 0) {
			if (!k->responding)
				send_raw(k->fd, 408, late);
			/* MHD sees end-of-file and closes the connection as a client abort */
			shutdown(k->fd, SHUT_RDWR);
			k->deadline = 0;
			continue;
		}
		if (!next || k->deadline < next)
			next = k->deadline;
	}
	g->next_sweep = now + 100;
	if (!next)
		return -1;
	return next - now < 100 ? 100 : next - now;
}
