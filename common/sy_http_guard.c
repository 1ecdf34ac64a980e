/* sy_http_guard.c - request framing checks and connection deadlines for both listeners. */
#include "sy_http_guard.h"
#include "sy_clock.h"
#include "sy_json.h"
#include "sy_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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

struct sy_http_guard {
	struct sy_http_limits lim;
	struct conn *conns;
	int64_t next_sweep; /* monotonic ms before which a sweep does nothing */
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
	if (g)
		g->lim = *lim;
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
	if (sy_http_check_done(&chk))
		return true;
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

/* The headers did not arrive in time and nothing was answered on this request: say so before
 * the connection goes (written directly: MHD has not started a response). */
static void send_408(int fd)
{
	static const char body[] = "{\"error\":{\"code\":408,\"message\":\"The request headers "
	                           "did not arrive in time\",\"metadata\":{}}}";
	char msg[320];
	int n = snprintf(msg, sizeof(msg),
	                 "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
	                 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
	                 sizeof(body) - 1, body);
	(void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int64_t sy_http_guard_sweep(struct sy_http_guard *g)
{
	int64_t now = sy_mono_ms();
	if (now < g->next_sweep)
		return g->next_sweep - now;
	int64_t next = 0;
	for (struct conn *k = g->conns; k; k = k->next) {
		if (!k->deadline)
			continue;
		if (now >= k->deadline && k->fd >= 0) {
			if (!k->responding)
				send_408(k->fd);
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
