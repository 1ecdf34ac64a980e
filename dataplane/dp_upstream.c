/* dp_upstream.c - libcurl multi (socket API) on the worker's dp_loop. */
#include "dp_upstream.h"
#include "dp_egress.h"
#include "dp_loop.h"
#include "sy_clock.h"

#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Easy handles kept for reuse (their setup is a few allocations each). */
#define POOL_MAX 32
/* Connections the multi keeps open across calls. */
#define MAX_CONNECTS 256

/* What the loop knows of a socket libcurl opened. A kept-alive connection that libcurl stops
 * watching between two calls stays registered with epoll, "parked", so that the next call on
 * it costs no epoll_ctl at all; the registration goes when libcurl closes the socket (our
 * close callback) or, should a parked socket wake up (the upstream closed it), right then. */
enum sock_state {
	SOCK_UNWATCHED = 0, /* open, or not ours: the loop does not watch it */
	SOCK_WATCHED,       /* libcurl wants events */
	SOCK_PARKED,        /* registered, libcurl does not want events */
};

struct sock {
	uint8_t state; /* enum sock_state */
	bool ours;     /* opened by open_socket: its close is reported to close_socket */
	uint32_t events;
};

struct dp_upstream {
	struct dp_loop *loop;
	CURLM *multi;
	struct dp_timer *timer;              /* libcurl's own timeout */
	LIST_HEAD(, dp_upstream_call) calls; /* running calls, for dp_upstream_free */
	size_t ncalls;
	CURL *pool[POOL_MAX];
	size_t npool;
	struct sock *socks; /* by descriptor */
	size_t nsocks;
};

struct dp_upstream_call {
	struct dp_upstream *u;
	LIST_ENTRY(dp_upstream_call) link; /* in u->calls */
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	const struct dp_upstream_ops *ops;
	void *arg;
	struct dp_timer *watchdog; /* first-byte, then idle deadline */
	uint32_t first_byte_ms, idle_ms;
	int64_t last_data; /* loop time of the last body byte */
	int64_t retry_after_ms;
	bool got_byte; /* the first body byte arrived */
	bool headers_done;
	bool paused;
	bool stopped;        /* a callback asked to stop */
	bool internal;       /* private addresses allowed (dp_upstream_req.internal) */
	bool proxied;        /* through an explicit proxy: the proxy's address is the operator's */
	const char *refused; /* why the connected address was refused (dp_egress_refusal) */
	char refused_ip[64]; /* that address, for the log */
	char errbuf[CURL_ERROR_SIZE];
};

static void process_done(struct dp_upstream *u);

/* ---- loop glue ------------------------------------------------------------------------ */

/* The state of descriptor s, grown on demand; NULL on allocation failure. */
static struct sock *sock_at(struct dp_upstream *u, curl_socket_t s)
{
	if ((size_t)s >= u->nsocks) {
		size_t n = (size_t)s + 64;
		struct sock *t = realloc(u->socks, n * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + u->nsocks, 0, (n - u->nsocks) * sizeof(*t));
		u->socks = t;
		u->nsocks = n;
	}
	return &u->socks[s];
}

static void unwatch(struct dp_upstream *u, curl_socket_t s)
{
	struct sock *k = sock_at(u, s);
	if (k && k->state != SOCK_UNWATCHED) {
		dp_loop_del_fd(u->loop, s);
		k->state = SOCK_UNWATCHED;
	}
}

static void on_fd(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	struct dp_upstream *u = arg;
	if (u->socks[fd].state == SOCK_PARKED) {
		/* an idle connection woke up: closed by the upstream, which libcurl notices
		 * when it next tries to reuse it */
		unwatch(u, fd);
		return;
	}
	int flags = 0, running;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(u->multi, fd, flags, &running);
	process_done(u);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct dp_upstream *u = userp;
	struct sock *k = sock_at(u, s);
	if (!k)
		return -1;
	if (what == CURL_POLL_REMOVE) {
		if (k->state == SOCK_WATCHED && k->ours)
			k->state = SOCK_PARKED;
		else
			unwatch(u, s);
		return 0;
	}
	uint32_t ev =
	    ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	if (k->state == SOCK_UNWATCHED) {
		if (dp_loop_add_fd(u->loop, s, ev, on_fd, u))
			return -1;
	} else if (k->events != ev && dp_loop_mod_fd(u->loop, s, ev)) {
		return -1;
	}
	k->state = SOCK_WATCHED;
	k->events = ev;
	return 0;
}

/* Whether the address ip may not be connected to for call c (dp_egress.h); the reason is
 * kept for the call's end. */
static bool refused_ip(struct dp_upstream_call *c, const char *ip)
{
	c->refused = dp_egress_refusal(ip, c->internal);
	if (c->refused)
		snprintf(c->refused_ip, sizeof(c->refused_ip), "%s", ip ? ip : "?");
	return c->refused != NULL;
}

static bool refuse(struct dp_upstream_call *c, const struct sockaddr *sa)
{
	char ip[INET6_ADDRSTRLEN] = "";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
	return refused_ip(c, ip);
}

/* libcurl's sockets are opened and closed here, so that a parked socket is unregistered
 * before its descriptor can be reused. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct dp_upstream_call *c = clientp;
	struct dp_upstream *u = c->u;
	/* a refused address gets no packet at all (on_prereq covers reused connections) */
	if (!c->proxied && refuse(c, &a->addr))
		return CURL_SOCKET_BAD;
	int s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	struct sock *k = s >= 0 ? sock_at(u, s) : NULL;
	if (!k) {
		if (s >= 0)
			close(s);
		return CURL_SOCKET_BAD;
	}
	*k = (struct sock){.ours = true};
	return s;
}

static int close_socket(void *clientp, curl_socket_t s)
{
	struct dp_upstream *u = clientp;
	unwatch(u, s);
	if ((size_t)s < u->nsocks)
		u->socks[s].ours = false;
	return close(s);
}

static void on_timer(struct dp_loop *loop, void *arg)
{
	struct dp_upstream *u = arg;
	int running;
	u->timer = NULL;
	curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	process_done(u);
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
	struct dp_upstream *u = userp;
	dp_timer_cancel(&u->timer);
	if (timeout_ms < 0)
		return 0;
	u->timer = dp_timer_add(u->loop, timeout_ms, on_timer, u);
	return u->timer ? 0 : -1;
}

/* ---- the client ----------------------------------------------------------------------- */

struct dp_upstream *dp_upstream_new(struct dp_loop *loop)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	struct dp_upstream *u = calloc(1, sizeof(*u));
	if (!u)
		goto out_global;
	u->loop = loop;
	LIST_INIT(&u->calls);
	u->multi = curl_multi_init();
	if (!u->multi)
		goto out_free;
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, (long)MAX_CONNECTS);
	return u;
out_free:
	free(u);
out_global:
	curl_global_cleanup();
	return NULL;
}

static void call_release(struct dp_upstream_call *c)
{
	struct dp_upstream *u = c->u;
	dp_timer_cancel(&c->watchdog);
	curl_multi_remove_handle(u->multi, c->easy);
	if (u->npool < POOL_MAX) {
		/* the options that point into c go; the others stay for the next call */
		curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
		u->pool[u->npool++] = c->easy;
	} else {
		curl_easy_cleanup(c->easy);
	}
	curl_slist_free_all(c->hdrs);
	free(c->body);
	LIST_REMOVE(c, link);
	u->ncalls--;
	free(c);
}

void dp_upstream_free(struct dp_upstream **up)
{
	struct dp_upstream *u = *up;
	if (!u)
		return;
	while (!LIST_EMPTY(&u->calls))
		call_release(LIST_FIRST(&u->calls));
	for (size_t i = 0; i < u->npool; i++)
		curl_easy_cleanup(u->pool[i]);
	curl_multi_cleanup(u->multi); /* closes the cached connections through close_socket */
	dp_timer_cancel(&u->timer);
	free(u->socks);
	free(u);
	curl_global_cleanup();
	*up = NULL;
}

size_t dp_upstream_running(const struct dp_upstream *u)
{
	return u->ncalls;
}

/* ---- one call ------------------------------------------------------------------------- */

/* Release the call, then tell its owner how it ended. */
static void finish(struct dp_upstream_call *c, enum dp_upstream_result r, const char *detail)
{
	const struct dp_upstream_ops *ops = c->ops;
	void *arg = c->arg;
	char d[CURL_ERROR_SIZE];
	snprintf(d, sizeof(d), "%s", detail);
	call_release(c);
	ops->done(arg, r, d);
}

static enum dp_upstream_result classify(struct dp_upstream_call *c, CURLcode rc)
{
	curl_off_t connect_us = 0;
	switch (rc) {
	case CURLE_OK:
		return DP_UPSTREAM_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return DP_UPSTREAM_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(c->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
		return connect_us ? DP_UPSTREAM_TIMEOUT_TOTAL : DP_UPSTREAM_CONNECT;
	case CURLE_WRITE_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
		return c->stopped ? DP_UPSTREAM_STOPPED : DP_UPSTREAM_FAILED;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return DP_UPSTREAM_RESET;
	default:
		return DP_UPSTREAM_FAILED;
	}
}

static void process_done(struct dp_upstream *u)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(u->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURLcode rc = m->data.result;
		struct dp_upstream_call *c = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		if (c->refused && rc != CURLE_OK) {
			char d[160];
			snprintf(d, sizeof(d), "refused to connect to %s: %s", c->refused_ip,
			         c->refused);
			finish(c, DP_UPSTREAM_REFUSED, d);
			continue;
		}
		enum dp_upstream_result r = classify(c, rc);
		finish(c, r,
		       rc == CURLE_OK ? "" : (c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc)));
	}
}

static void on_watchdog(struct dp_loop *loop, void *arg)
{
	struct dp_upstream_call *c = arg;
	c->watchdog = NULL;
	if (!c->got_byte) {
		finish(c, DP_UPSTREAM_TIMEOUT_FIRST_BYTE,
		       "no response body within the first-byte deadline");
		return;
	}
	int64_t idle = dp_loop_now_ms(loop) - c->last_data;
	if (c->paused) /* our client is slow, not the upstream */
		idle = 0;
	if (idle >= c->idle_ms) {
		finish(c, DP_UPSTREAM_TIMEOUT_IDLE, "no data within the idle deadline");
		return;
	}
	c->watchdog = dp_timer_add(loop, c->idle_ms - idle, on_watchdog, c);
}

/* Hand the final status to the owner once. false: the owner asked to stop. */
static bool deliver_headers(struct dp_upstream_call *c)
{
	long status = 0;
	c->headers_done = true;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (c->ops->headers(c->arg, status, c->retry_after_ms)) {
		c->stopped = true;
		return false;
	}
	return true;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct dp_upstream_call *c = arg;
	size_t len = size * n;
	if (c->headers_done)
		return len; /* trailers */
	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		c->retry_after_ms = -1; /* a new header block (after 1xx) */
	} else if (len > 12 && !strncasecmp(p, "retry-after:", 12)) {
		char v[128];
		size_t vl = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
		memcpy(v, p + 12, vl);
		v[vl] = '\0';
		c->retry_after_ms = dp_upstream_retry_after_ms(v, sy_unix_s());
	} else if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		long status = 0;
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && !deliver_headers(c))
			return 0;
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct dp_upstream_call *c = arg;
	size_t len = size * n;
	if (!c->headers_done && !deliver_headers(c))
		return 0;
	struct dp_loop *loop = c->u->loop;
	c->last_data = dp_loop_now_ms(loop);
	if (!c->got_byte) {
		c->got_byte = true;
		dp_timer_cancel(&c->watchdog);
		if (c->idle_ms)
			c->watchdog = dp_timer_add(loop, c->idle_ms, on_watchdog, c);
	}
	switch (c->ops->data(c->arg, p, len)) {
	case DP_UPSTREAM_GO:
		return len;
	case DP_UPSTREAM_PAUSE:
		c->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	default:
		c->stopped = true;
		return 0;
	}
}

/* Runs once connected (or on a reused connection), before the request goes out: the address
 * the host name resolved to is checked here, where DNS can no longer change it. */
static int on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
	struct dp_upstream_call *c = clientp;
	if (c->proxied || !refused_ip(c, primary_ip))
		return CURL_PREREQFUNC_OK;
	return CURL_PREREQFUNC_ABORT;
}

/* An easy handle with the options every call shares (pooled handles keep them). */
static CURL *easy_new(struct dp_upstream *u)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, u);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect is the upstream's answer */
	return e;
}

static int add_header(struct curl_slist **l, const char *h)
{
	struct curl_slist *n = curl_slist_append(*l, h);
	if (!n)
		return -1;
	*l = n;
	return 0;
}

static int set_headers(struct dp_upstream_call *c, const struct dp_upstream_req *req)
{
	if (add_header(&c->hdrs, "Content-Type: application/json") ||
	    add_header(&c->hdrs,
	               req->stream ? "Accept: text/event-stream" : "Accept: application/json") ||
	    add_header(&c->hdrs, "Expect:"))
		return -1;
	for (const char *const *h = req->headers; h && *h; h++)
		if (add_header(&c->hdrs, *h))
			return -1;
	if (!req->bearer || !req->bearer[0])
		return 0;
	const char *name = req->key_header ? req->key_header : "Authorization";
	const char *scheme = req->key_header ? "" : "Bearer ";
	size_t n = strlen(name) + strlen(scheme) + strlen(req->bearer) + 3;
	char *auth = malloc(n);
	if (!auth)
		return -1;
	snprintf(auth, n, "%s: %s%s", name, scheme, req->bearer);
	int rc = add_header(&c->hdrs, auth);
	explicit_bzero(auth, n);
	free(auth);
	return rc;
}

struct dp_upstream_call *dp_upstream_call_start(struct dp_upstream *u,
                                                const struct dp_upstream_req *req, char **bodyp,
                                                size_t body_len, const struct dp_upstream_ops *ops,
                                                void *arg)
{
	struct dp_upstream_call *c = calloc(1, sizeof(*c));
	if (!c) {
		free(*bodyp);
		*bodyp = NULL;
		return NULL;
	}
	c->body = *bodyp;
	*bodyp = NULL;
	c->u = u;
	c->ops = ops;
	c->arg = arg;
	c->first_byte_ms = req->first_byte_ms;
	c->idle_ms = req->idle_ms;
	c->retry_after_ms = -1;
	c->easy = u->npool ? u->pool[--u->npool] : easy_new(u);
	if (!c->easy || set_headers(c, req))
		goto out_free;

	/* every option that differs between calls is set on every call */
	CURL *e = c->easy;
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_ms); /* 0: default */
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->total_ms);          /* 0: none */
	curl_easy_setopt(e, CURLOPT_PROXY, req->proxy ? req->proxy : ""); /* "": no env proxy */
	curl_easy_setopt(e, CURLOPT_PREREQDATA, c);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
	c->internal = req->internal;
	c->proxied = req->proxy != NULL;
	if (req->first_byte_ms) {
		c->watchdog = dp_timer_add(u->loop, req->first_byte_ms, on_watchdog, c);
		if (!c->watchdog)
			goto out_free;
	}
	if (curl_multi_add_handle(u->multi, e) != CURLM_OK)
		goto out_free;
	LIST_INSERT_HEAD(&u->calls, c, link);
	u->ncalls++;
	return c;
out_free:
	dp_timer_cancel(&c->watchdog);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdrs);
	free(c->body);
	free(c);
	return NULL;
}

void dp_upstream_call_cancel(struct dp_upstream_call **cp)
{
	if (!*cp)
		return;
	call_release(*cp);
	*cp = NULL;
}

void dp_upstream_call_resume(struct dp_upstream_call *c)
{
	if (!c->paused)
		return;
	c->paused = false;
	c->last_data = dp_loop_now_ms(c->u->loop);
	curl_easy_pause(c->easy, CURLPAUSE_CONT);
}

int64_t dp_upstream_retry_after_ms(const char *value, int64_t now_unix_s)
{
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		long long s = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end || s < 0 || s > 86400LL * 365)
			return -1;
		return s * 1000;
	}
	time_t t = curl_getdate(value, NULL);
	if (t < 0)
		return -1;
	return t > now_unix_s ? ((int64_t)t - now_unix_s) * 1000 : 0;
}
