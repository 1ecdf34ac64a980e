/* floor.c - switchyard-bench-floor: the least a libmicrohttpd + libcurl proxy can add.
 *
 * A pass-through reverse proxy built from nothing but the two libraries the dataplane uses,
 * driven as the dataplane drives them (dp_loop.c, dp_http.c, dp_upstream.c): one thread, one
 * epoll loop, MHD in external-epoll mode with suspend/resume, libcurl multi on the socket API
 * with kept-alive upstream connections and pooled easy handles. A request is read whole,
 * sent to UPSTREAM + path with its Content-Type and Authorization, and answered with the
 * upstream's status, Content-Type and body. No parsing, auth or logging: whatever the
 * dataplane adds above this proxy's latency is the price of its own work. */
#include <curl/curl.h>
#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY ((size_t)16 << 20) /* request and response bodies */
#define MAX_FDS 65536               /* descriptors the socket table covers */
#define POOL_MAX 256                /* idle easy handles kept */
#define MHD_RUNS 4                  /* as dp_http.c: runs in a row while MHD wants more */

/* A curl socket that libcurl stops watching stays registered ("parked") until libcurl closes
 * it, so a kept-alive connection costs no epoll_ctl per request (as dp_upstream.c). */
enum {
	SOCK_NONE,
	SOCK_WATCHED,
	SOCK_PARKED
};

struct req {
	struct req *prev, *next;
	struct MHD_Connection *c;
	CURL *easy;              /* while the upstream call runs */
	struct curl_slist *hdrs; /* Content-Type and Authorization passed through */
	char *body, *resp;
	size_t body_len, body_cap, resp_len, resp_cap;
	long status; /* 0 until the upstream call ended; 502 if it failed */
	char ctype[128];
	bool too_big;
};

/* One process, one thread: one proxy. */
static struct {
	int epfd, mhd_epfd, sfd;
	struct MHD_Daemon *d;
	CURLM *multi;
	const char *upstream;
	int64_t curl_due, mhd_due; /* monotonic ms, -1 = none */
	bool resumed, stopping;
	struct req *reqs;
	CURL *pool[POOL_MAX];
	size_t npool;
	uint8_t socks[MAX_FDS];   /* SOCK_* */
	uint32_t events[MAX_FDS]; /* what a watched or parked socket is registered for */
} px = {.epfd = -1, .mhd_epfd = -1, .sfd = -1, .curl_due = -1, .mhd_due = -1};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (n > MAX_BODY - *len)
		return false;
	if (*len + n > *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		while (c < *len + n)
			c *= 2;
		char *b = realloc(*buf, c);
		if (!b)
			return false;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return true;
}

/* ---- libcurl ---------------------------------------------------------------------------- */

static void unwatch(curl_socket_t s)
{
	if (px.socks[s] != SOCK_NONE)
		epoll_ctl(px.epfd, EPOLL_CTL_DEL, s, NULL);
	px.socks[s] = SOCK_NONE;
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	if (s >= MAX_FDS)
		return -1;
	if (what == CURL_POLL_REMOVE) {
		if (px.socks[s] == SOCK_WATCHED)
			px.socks[s] = SOCK_PARKED;
		return 0;
	}
	uint32_t ev =
	    ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	struct epoll_event ee = {.events = ev, .data.fd = s};
	if (px.socks[s] == SOCK_NONE) {
		if (epoll_ctl(px.epfd, EPOLL_CTL_ADD, s, &ee))
			return -1;
	} else if (px.events[s] != ev && epoll_ctl(px.epfd, EPOLL_CTL_MOD, s, &ee)) {
		return -1;
	}
	px.socks[s] = SOCK_WATCHED;
	px.events[s] = ev;
	return 0;
}

/* libcurl opens and closes its sockets here, so that a parked socket is unregistered before
 * its descriptor can be reused; descriptors beyond the table are refused. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	int s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (s >= MAX_FDS) {
		close(s);
		return CURL_SOCKET_BAD;
	}
	return s < 0 ? CURL_SOCKET_BAD : s;
}

static int close_socket(void *clientp, curl_socket_t s)
{
	unwatch(s);
	return close(s);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	px.curl_due = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct req *q = arg;
	return append(&q->resp, &q->resp_len, &q->resp_cap, p, size * n) ? size * n : 0;
}

static void easy_put(CURL *e)
{
	if (px.npool < POOL_MAX)
		px.pool[px.npool++] = e;
	else
		curl_easy_cleanup(e);
}

/* The upstream call of q ended: keep the handle and wake the client connection. */
static void call_end(struct req *q, CURLcode rc)
{
	const char *ct = NULL;
	q->status = MHD_HTTP_BAD_GATEWAY;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &q->status);
		curl_easy_getinfo(q->easy, CURLINFO_CONTENT_TYPE, &ct);
	} else {
		q->resp_len = 0;
	}
	snprintf(q->ctype, sizeof(q->ctype), "%s", ct ? ct : "");
	curl_multi_remove_handle(px.multi, q->easy);
	/* the options that point into q go; the others stay for the next call */
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, NULL);
	easy_put(q->easy);
	q->easy = NULL;
	MHD_resume_connection(q->c);
	px.resumed = true; /* MHD sees it in its next run (see dp_http.c idle_fn) */
}

static void curl_action(curl_socket_t s, int flags)
{
	CURLMsg *m;
	int running, left;
	curl_multi_socket_action(px.multi, s, flags, &running);
	while ((m = curl_multi_info_read(px.multi, &left))) {
		struct req *q = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		if (m->msg == CURLMSG_DONE)
			call_end(q, m->data.result);
	}
}

static void on_curl_fd(int fd, uint32_t events)
{
	if (px.socks[fd] == SOCK_PARKED) { /* the upstream closed an idle connection */
		unwatch(fd);
		return;
	}
	curl_action(fd, ((events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
	                    ((events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
	                    ((events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0));
}

static CURL *easy_get(void)
{
	if (px.npool)
		return px.pool[--px.npool];
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	return e;
}

static bool pass_header(struct req *q, const char *name)
{
	const char *v = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, name);
	char line[4096];
	if (!v)
		return true;
	if ((size_t)snprintf(line, sizeof(line), "%s: %s", name, v) >= sizeof(line))
		return false;
	struct curl_slist *l = curl_slist_append(q->hdrs, line);
	if (l)
		q->hdrs = l;
	return l != NULL;
}

/* Start the upstream call for q; false if it could not start. */
static bool call_start(struct req *q, const char *url, const char *method)
{
	char full[4096];
	if ((size_t)snprintf(full, sizeof(full), "%s%s", px.upstream, url) >= sizeof(full) ||
	    !pass_header(q, MHD_HTTP_HEADER_CONTENT_TYPE) ||
	    !pass_header(q, MHD_HTTP_HEADER_AUTHORIZATION) || !(q->easy = easy_get()))
		return false;
	CURL *e = q->easy;
	curl_easy_setopt(e, CURLOPT_URL, full);
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
	}
	/* HEAD goes up as GET: MHD drops the body itself */
	bool plain = !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "POST");
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, plain ? NULL : method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	if (curl_multi_add_handle(px.multi, e) == CURLM_OK)
		return true;
	easy_put(e);
	q->easy = NULL;
	return false;
}

/* ---- libmicrohttpd ------------------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char **bodyp, size_t len,
                             const char *ctype)
{
	struct MHD_Response *r =
	    len ? MHD_create_response_from_buffer(len, *bodyp, MHD_RESPMEM_MUST_FREE)
	        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	if (len)
		*bodyp = NULL; /* the response owns it now */
	if (ctype && *ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
	struct req *q = *req_cls;
	if (!q) {
		if (!(q = calloc(1, sizeof(*q))))
			return MHD_NO;
		q->c = c;
		q->next = px.reqs;
		if (px.reqs)
			px.reqs->prev = q;
		px.reqs = q;
		*req_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!q->too_big &&
		    !append(&q->body, &q->body_len, &q->body_cap, upload, *upload_size))
			q->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (px.stopping)
		return MHD_NO;
	if (q->status) /* resumed: the upstream call ended */
		return reply(c, (unsigned)q->status, &q->resp, q->resp_len, q->ctype);
	if (q->too_big)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, 0, NULL);
	if (!call_start(q, url, method))
		return reply(c, MHD_HTTP_BAD_GATEWAY, NULL, 0, NULL);
	MHD_suspend_connection(c);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req *q = *req_cls;
	if (!q)
		return;
	if (q->easy) {
		curl_multi_remove_handle(px.multi, q->easy);
		easy_put(q->easy);
	}
	if (q->prev)
		q->prev->next = q->next;
	else
		px.reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	curl_slist_free_all(q->hdrs);
	free(q->body);
	free(q->resp);
	free(q);
	*req_cls = NULL;
}

/* As dp_http.c run_mhd: a resume is only seen by the next MHD_run, so run again while one
 * happened or MHD wants to go on at once. */
static void run_mhd(void)
{
	MHD_UNSIGNED_LONG_LONG t = 0;
	bool more = true;
	for (int i = 0; i < MHD_RUNS && more; i++) {
		px.resumed = false;
		MHD_run(px.d);
		more = px.resumed || (MHD_get_timeout(px.d, &t) == MHD_YES && t == 0);
	}
	if (more)
		px.mhd_due = now_ms();
	else
		px.mhd_due = MHD_get_timeout(px.d, &t) == MHD_YES ? now_ms() + (int64_t)t : -1;
}

/* ---- main ------------------------------------------------------------------------------------ */

static int loop(void)
{
	struct epoll_event evs[256];
	while (!px.stopping) {
		int64_t now = now_ms();
		if (px.curl_due >= 0 && px.curl_due <= now) {
			px.curl_due = -1;
			curl_action(CURL_SOCKET_TIMEOUT, 0);
		}
		if (px.resumed || (px.mhd_due >= 0 && px.mhd_due <= now))
			run_mhd();
		/* the earlier of the two deadlines is the wait's timeout; the handlers above may
		 * have armed one for "now", which a stale now would round up to 1 ms */
		now = now_ms();
		int64_t due = px.curl_due;
		if (due < 0 || (px.mhd_due >= 0 && px.mhd_due < due))
			due = px.mhd_due;
		int timeout = -1;
		if (due >= 0)
			timeout = due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
		int n = epoll_wait(px.epfd, evs, 256, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == px.sfd)
				px.stopping = true;
			else if (fd == px.mhd_epfd)
				run_mhd();
			/* a curl socket may have been unwatched earlier in this batch */
			else if (px.socks[fd] != SOCK_NONE)
				on_curl_fd(fd, evs[i].events);
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: switchyard-bench-floor --listen 127.0.0.1:PORT --upstream http://HOST:PORT\n"
	      "A bare libmicrohttpd + libcurl reverse proxy: the latency floor for bench/run.sh.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
	                                     {"upstream", required_argument, NULL, 'u'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *listen = NULL;
	int c, rc = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'u':
			px.upstream = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	char host[64];
	if (!colon || !px.upstream || optind < argc || (size_t)(colon - listen) >= sizeof(host)) {
		usage(stderr);
		return 2;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "switchyard-bench-floor: bad --listen '%s'\n", listen);
		return 2;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	px.epfd = epoll_create1(EPOLL_CLOEXEC);
	px.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	px.multi = curl_multi_init();
	if (px.epfd < 0 || px.sfd < 0 || !px.multi)
		goto out;
	curl_multi_setopt(px.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(px.multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(px.multi, CURLMOPT_MAXCONNECTS, 256L);
	px.d = MHD_start_daemon(
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request,
	    NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 120U,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 << 10, MHD_OPTION_END);
	const union MHD_DaemonInfo *di =
	    px.d ? MHD_get_daemon_info(px.d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!di) {
		fprintf(stderr, "switchyard-bench-floor: cannot listen on %s\n", listen);
		goto out;
	}
	px.mhd_epfd = di->epoll_fd;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = px.mhd_epfd};
	struct epoll_event sev = {.events = EPOLLIN, .data.fd = px.sfd};
	if (epoll_ctl(px.epfd, EPOLL_CTL_ADD, px.mhd_epfd, &ev) ||
	    epoll_ctl(px.epfd, EPOLL_CTL_ADD, px.sfd, &sev))
		goto out;
	run_mhd();
	rc = loop() ? 1 : 0;
	/* MHD cannot stop with suspended connections: end their calls and wake them to close */
	px.stopping = true;
	for (struct req *q = px.reqs; q; q = q->next) {
		if (q->easy) {
			curl_multi_remove_handle(px.multi, q->easy);
			easy_put(q->easy);
			q->easy = NULL;
			MHD_resume_connection(q->c);
		}
	}
	MHD_run(px.d);
out:
	if (px.d)
		MHD_stop_daemon(px.d);
	while (px.npool)
		curl_easy_cleanup(px.pool[--px.npool]);
	if (px.multi)
		curl_multi_cleanup(px.multi);
	curl_global_cleanup();
	if (px.sfd >= 0)
		close(px.sfd);
	if (px.epfd >= 0)
		close(px.epfd);
	return rc;
}
