/* dp_chat_test.c - chat completions end to end inside one process: a real MHD daemon in
 * external-epoll mode on a dp_loop, dp_chat, dp_upstream and a scripted upstream server on
 * loopback. Usage records and intents are captured by providing dp_usage_submit,
 * dp_usage_open and dp_usage_close here (the test does not link dp_usage.o). */
#include "dp_chat.h"
#include "dp_loop.h"
#include "dp_upstream.h"
#include "dp_health.h"
#include "dp_skin.h"
#include "dp_usage.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_buf.h"
#include "sy_clock.h"
#include "sy_key.h"
#include "dp_test_peer.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- captured usage records ----------------------------------------------------------- */

#define MAX_RECS 64
struct rec {
	char id[SY_GEN_ID_MAX];
	char model[64], provider[32], error_class[32], finish[32], session[32];
	unsigned status, completion, prompt;
	bool cancelled, streamed;
	long long cost;
	size_t n_attempts;
	char attempts[8][32]; /* "provider:status:class" */
};
static struct rec recs[MAX_RECS];
static size_t n_recs;

int dp_usage_submit(struct dp_usage *u, const Sy__UsageRecord *r)
{
	assert_true(n_recs < MAX_RECS);
	struct rec *x = &recs[n_recs++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", r->id);
	snprintf(x->model, sizeof(x->model), "%s", r->model ? r->model : "");
	snprintf(x->provider, sizeof(x->provider), "%s", r->provider ? r->provider : "");
	snprintf(x->error_class, sizeof(x->error_class), "%s",
	         r->error_class ? r->error_class : "");
	snprintf(x->finish, sizeof(x->finish), "%s", r->finish_reason ? r->finish_reason : "");
	snprintf(x->session, sizeof(x->session), "%s", r->session_id ? r->session_id : "");
	x->status = r->status;
	x->completion = r->completion_tokens;
	x->prompt = r->prompt_tokens;
	x->cancelled = r->cancelled;
	x->streamed = r->streamed;
	x->cost = r->cost;
	x->n_attempts = r->n_attempts;
	for (size_t i = 0; i < r->n_attempts && i < 8; i++)
		snprintf(x->attempts[i], sizeof(x->attempts[i]), "%s:%u:%s",
		         r->attempts[i]->provider, r->attempts[i]->status,
		         r->attempts[i]->error_class);
	return 0;
}

/* Intents: one per admitted request, written before its first attempt, closed right after its
 * record was submitted. */
static struct intent {
	char id[SY_GEN_ID_MAX];
	char model[64], provider[32];
	bool closed;
	int progress;             /* dp_usage_progress calls */
	uint32_t sent_completion; /* the last one's tokens and cost */
	int64_t sent_cost;
} intents[MAX_RECS];
static size_t n_intents;

struct dp_usage_intent *dp_usage_open(struct dp_usage *u, const Sy__UsageRecord *r)
{
	assert_true(n_intents < MAX_RECS);
	assert_false(r->has_status); /* nothing of the outcome is known yet */
	struct intent *x = &intents[n_intents++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", r->id);
	snprintf(x->model, sizeof(x->model), "%s", r->model ? r->model : "");
	snprintf(x->provider, sizeof(x->provider), "%s", r->provider ? r->provider : "");
	return (struct dp_usage_intent *)x;
}

void dp_usage_progress(struct dp_usage *u, struct dp_usage_intent *i, const Sy__UsageRecord *r)
{
	struct intent *x = (struct intent *)i;
	assert_false(x->closed);
	assert_string_equal(r->id, x->id);
	x->progress++;
	x->sent_completion = r->completion_tokens;
	x->sent_cost = r->cost;
}

void dp_usage_close(struct dp_usage *u, struct dp_usage_intent **ip)
{
	struct intent *x = (struct intent *)*ip;
	if (!x)
		return;
	assert_false(x->closed);
	assert_true(n_recs > 0);
	assert_string_equal(recs[n_recs - 1].id, x->id); /* superseded by its record */
	x->closed = true;
	*ip = NULL;
}

/* The intent of a request, NULL if none was written. */
static const struct intent *intent_for(const char *id)
{
	for (size_t i = 0; i < n_intents; i++)
		if (!strcmp(intents[i].id, id))
			return &intents[i];
	return NULL;
}

static const struct rec *rec_for(const char *id)
{
	const struct rec *found = NULL;
	for (size_t i = 0; i < n_recs; i++)
		if (!strcmp(recs[i].id, id)) {
			assert_null(found); /* exactly one record per request */
			found = &recs[i];
		}
	assert_non_null(found);
	return found;
}

/* ---- the scripted upstream: behaviour chosen by the provider model id ------------------- */

static struct {
	int lfd, port;
	pthread_mutex_t mu;
	int closed; /* connections the client side closed */
	int bad;    /* requests without our credential or with OpenRouter-only fields */
} up = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void send_chunk(int fd, const char *s)
{
	char hdr[32];
	snprintf(hdr, sizeof(hdr), "%zx\r\n", strlen(s));
	sendstr(fd, hdr);
	sendstr(fd, s);
	sendstr(fd, "\r\n");
}

static void event(int fd, const char *json)
{
	char buf[2048];
	snprintf(buf, sizeof(buf), "data: %s\n\n", json);
	send_chunk(fd, buf);
}

static void wait_close(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b[256];
	for (int i = 0; i < 50; i++)
		if (poll(&p, 1, 100) > 0 && recv(fd, b, sizeof(b), 0) <= 0) {
			pthread_mutex_lock(&up.mu);
			up.closed++;
			pthread_mutex_unlock(&up.mu);
			return;
		}
}

#define CHUNK(delta, fin)                                                                          \
	"{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","     \
	"\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" fin "}]}"
#define ROLE CHUNK("{\"role\":\"assistant\",\"content\":\"\"}", "null")
#define USAGE                                                                                      \
	"{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","     \
	"\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,"                  \
	"\"total_tokens\":15}}"
#define COMPLETION                                                                                 \
	"{\"id\":\"up-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","           \
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"    \
	"\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,"    \
	"\"total_tokens\":15}}"

#define BIG_EVENTS 3000

static void reply(int fd, int status, const char *extra, const char *body)
{
	char buf[2048];
	snprintf(
	    buf, sizeof(buf),
	    "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n%s",
	    status, extra, strlen(body), body);
	sendstr(fd, buf);
}

/* Serve one request; false: close the connection. */
static bool serve(int fd, const char *req)
{
	const char *m = strstr(req, "\"model\":\"");
	char model[32] = "";
	if (m)
		sscanf(m + 9, "%31[^\"]", model);
	bool stream = strstr(req, "\"stream\":true") != NULL;
	if (!strstr(req, "Authorization: Bearer key-of-") || strstr(req, "\"provider\":") ||
	    strstr(req, "\"user\":") || strstr(req, "\"models\":")) {
		pthread_mutex_lock(&up.mu);
		up.bad++;
		pthread_mutex_unlock(&up.mu);
	}
	if (!strcmp(model, "e503")) {
		reply(fd, 503, "", "{\"error\":{\"message\":\"overloaded\"}}");
	} else if (!strcmp(model, "e503big")) { /* 20 000 bytes of error body */
		char head[160];
		snprintf(head, sizeof(head),
		         "HTTP/1.1 503 X\r\nContent-Type: application/json\r\nContent-Length: "
		         "%d\r\n\r\n",
		         20000);
		sendstr(fd, head);
		static char body[20001];
		memset(body, 'y', 20000);
		sendstr(fd, body);
	} else if (!strcmp(model, "e429")) {
		reply(fd, 429, "Retry-After: 7\r\n", "{\"error\":{\"message\":\"slow down\"}}");
	} else if (!strcmp(model, "ctx400")) {
		reply(fd, 400, "",
		      "{\"error\":{\"message\":\"This model's maximum context length is 8192 "
		      "tokens\",\"code\":\"context_length_exceeded\"}}");
	} else if (!strcmp(model, "filter400")) {
		reply(fd, 400, "", "{\"error\":{\"message\":\"flagged by the content filter\"}}");
	} else if (!strcmp(model, "garbage")) {
		reply(fd, 200, "", "this is not json");
	} else if (!strcmp(model, "silent")) {
		wait_close(fd);
		return false;
	} else if (!strcmp(model, "reset")) {
		struct linger l = {1, 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		return false;
	} else if (!stream) {
		reply(fd, 200, "", COMPLETION);
	} else {
		sendstr(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		            "Transfer-Encoding: chunked\r\n\r\n");
		if (!strcmp(model, "slow"))
			usleep(350000);
		event(fd, ROLE);
		if (!strcmp(model, "big")) {
			/* BIG_EVENTS chunks of 1000 'x': more than the gateway queues for a client */
			char content[1100];
			memset(content, 'x', 1000);
			content[1000] = '\0';
			char ev[1400];
			snprintf(ev, sizeof(ev), CHUNK("{\"content\":\"%s\"}", "null"), content);
			for (int i = 0; i < BIG_EVENTS; i++)
				event(fd, ev);
		}
		if (!strcmp(model, "stall")) {
			event(fd, CHUNK("{\"content\":\"Hel\"}", "null"));
			wait_close(fd);
			return false;
		}
		if (!strcmp(model, "cutearly"))
			return false;
		event(fd, CHUNK("{\"content\":\"Hello\"}", "null"));
		if (!strcmp(model, "cut"))
			return false;
		if (!strcmp(model, "malformed"))
			send_chunk(fd, "data: {\"choices\":[{\"delta\":{\"content\n\n");
		event(fd, CHUNK("{\"content\":\" world\"}", "null"));
		event(fd, CHUNK("{}", "\"stop\""));
		event(fd, USAGE);
		if (strcmp(model, "nodone"))
			send_chunk(fd, "data: [DONE]\n\n");
		sendstr(fd, "0\r\n\r\n");
	}
	return true;
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[16384];
	while (read_request(fd, req, sizeof(req)) && serve(fd, req))
		;
	close(fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	for (;;) {
		int fd = accept(up.lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_t t;
		pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

static int listen_any(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* ---- the worker: view, MHD glue ----------------------------------------------------- */

static struct dp_config cfg = {.connect_timeout_ms = 1000,
                               .first_byte_timeout_ms = 3000,
                               .answer_timeout_ms = 3000,
                               .idle_timeout_ms = 3000,
                               .total_timeout_ms = 10000,
                               .processing_comment_ms = 100};
static struct dp_worker w = {.id = 0, .cfg = &cfg};
static struct dp_view *view;
static struct MHD_Daemon *mhd;
static int mhd_port;
static Sy__ApiKey key = SY__API_KEY__INIT;

struct conn {
	struct sy_buf body;
	struct dp_chat *chat;
	bool started;
};

static enum MHD_Result ahc(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *data, size_t *size, void **con_cls)
{
	struct conn *cs = *con_cls;
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		sy_buf_init(&cs->body, 1 << 20);
		*con_cls = cs;
		return MHD_YES;
	}
	if (*size) {
		sy_buf_append(&cs->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	/* dp_chat queues every answer before resuming: never called again for a request */
	assert_false(cs->started);
	cs->started = true;
	struct dp_chat_meta meta = {
	    .session_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-session-id"),
	    .referer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "HTTP-Referer"),
	    .title = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Title"),
	    .skin = strcmp(url, "/api/v1/messages") ? NULL : &dp_skin_messages};
	return dp_chat_start(&w, c, view, &key, &meta, &cs->body, &cs->chat);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct conn *cs = *con_cls;
	if (!cs)
		return;
	dp_chat_closed(cs->chat, toe);
	sy_buf_release(&cs->body);
	free(cs);
	*con_cls = NULL;
}

static struct dp_timer *mhd_timer;

static void mhd_run(void);

static void on_mhd_timer(struct dp_loop *loop, void *arg)
{
	mhd_timer = NULL;
	mhd_run();
}

/* Run MHD, then come back when it says (it may have work left, e.g. after a resume). */
static void mhd_run(void)
{
	MHD_UNSIGNED_LONG_LONG t;
	MHD_run(mhd);
	dp_timer_cancel(&mhd_timer);
	if (MHD_get_timeout(mhd, &t) == MHD_YES)
		mhd_timer = dp_timer_add(w.loop, t > 1000 ? 1000 : (int64_t)t, on_mhd_timer, NULL);
}

static void on_mhd(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	mhd_run();
}

static void mhd_idle(struct dp_loop *loop, void *arg)
{
	mhd_run(); /* resumed connections */
}

static void add_provider(const char *slug, const char *name, uint32_t first_byte, uint32_t idle)
{
	char url[64], api_key[64], topic[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/", up.port);
	snprintf(api_key, sizeof(api_key), "key-of-%s", slug);
	snprintf(topic, sizeof(topic), "provider/%s", slug);
	Sy__Provider p = SY__PROVIDER__INIT;
	p.slug = (char *)slug;
	p.name = (char *)name;
	p.base_url = url;
	p.api_key = api_key;
	p.has_internal = p.internal = true; /* the fake upstream is on loopback */
	p.has_first_byte_timeout_ms = first_byte != 0;
	p.first_byte_timeout_ms = first_byte;
	p.has_idle_timeout_ms = idle != 0;
	p.idle_timeout_ms = idle;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_PROVIDER;
	u.provider = &p;
	assert_int_equal(dp_view_apply(view, &u), 0);
}

/* A model whose endpoints are "provider=upstream_model" pairs. */
static void add_model(const char *id, uint32_t context, const char *ep1, const char *ep2)
{
	Sy__Endpoint eps[2];
	Sy__Endpoint *epp[2];
	Sy__Pricing price = SY__PRICING__INIT;
	price.prompt = "0.000001";
	price.completion = "0.000002";
	char prov[2][32], pmid[2][32];
	const char *src[2] = {ep1, ep2};
	size_t n = 0;
	for (size_t i = 0; i < 2 && src[i]; i++, n++) {
		sy__endpoint__init(&eps[i]);
		sscanf(src[i], "%31[^=]=%31s", prov[i], pmid[i]);
		eps[i].provider = prov[i];
		eps[i].provider_model_id = pmid[i];
		eps[i].pricing = &price;
		epp[i] = &eps[i];
	}
	Sy__Model m = SY__MODEL__INIT;
	m.id = (char *)id;
	m.has_context_length = true;
	m.context_length = context;
	m.n_endpoints = n;
	m.endpoints = epp;
	char topic[64];
	snprintf(topic, sizeof(topic), "model/%s", id);
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_MODEL;
	u.model = &m;
	assert_int_equal(dp_view_apply(view, &u), 0);
}

static int setup(void **state)
{
	up.lfd = listen_any(&up.port);
	if (up.lfd < 0)
		return -1;
	pthread_t t;
	pthread_create(&t, NULL, accept_main, NULL);
	pthread_detach(t);

	if (dp_worker_open(&w, 0, &cfg))
		return -1;
	w.usage = (struct dp_usage *)&w; /* any non-NULL: records go to dp_usage_submit above */
	view = dp_view_new();
	key.hash = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";
	key.org_id = "org-1";
	add_provider("p1", "P One", 0, 0);
	add_provider("p2", "P Two", 0, 0);
	add_provider("pt", "P Timeout", 300, 300);
	add_model("t/ok", 8192, "p1=ok", NULL);
	add_model("t/fo", 8192, "p1=e503", "p2=ok");
	add_model("t/503", 8192, "p1=e503", NULL);
	add_model("t/503big", 8192, "p1=e503big", NULL);
	add_model("t/429fo", 8192, "p1=e429", "p2=e429");
	add_model("t/silent", 8192, "pt=silent", NULL);
	add_model("t/silentfo", 8192, "pt=silent", "p2=ok");
	add_model("t/ctx", 8192, "p1=ctx400", NULL);
	add_model("t/big", 128000, "p2=ok", NULL);
	add_model("t/filter", 8192, "p1=filter400", NULL);
	add_model("t/reset", 8192, "p1=reset", NULL);
	add_model("t/garbage", 8192, "p1=garbage", NULL);
	add_model("t/cut", 8192, "p1=cut", NULL);
	add_model("t/cutearly", 8192, "p1=cutearly", "p2=ok");
	add_model("t/stall", 8192, "pt=stall", NULL);
	add_model("t/slow", 8192, "p1=slow", NULL);
	add_model("t/nodone", 8192, "p1=nodone", NULL);
	add_model("t/malformed", 8192, "p1=malformed", NULL);
	add_model("t/huge", 8192, "p1=big", NULL);
	add_model("t/stall2", 8192, "p1=stall", NULL);
	add_model("t/silent2", 8192, "p1=silent", NULL);

	mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, ahc, NULL,
	                       MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!mhd)
		return -1;
	mhd_port = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
	int efd = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
	dp_loop_add_fd(w.loop, efd, EPOLLIN, on_mhd, NULL);
	dp_loop_add_idle(w.loop, mhd_idle, NULL);
	return 0;
}

static int teardown(void **state)
{
	dp_chat_abort_all(&w);
	dp_timer_cancel(&mhd_timer);
	MHD_stop_daemon(mhd);
	dp_worker_close(&w);
	dp_view_unref(&view);
	return 0;
}

/* ---- the client: a thread doing a blocking request while the loop runs ------------------ */

struct resp {
	const char *body_in;
	const char *path; /* NULL = /api/v1/chat/completions */
	const char *session;
	long timeout_ms;
	long max_recv_bytes_per_s; /* a slow client; 0 = unlimited */
	long status;
	char gen_id[SY_GEN_ID_MAX];
	char ctype[64];
	char retry_after[16];
	struct sy_buf body;
	int wake_fd;
};

static size_t c_body(char *p, size_t s, size_t n, void *arg)
{
	struct resp *r = arg;
	sy_buf_append(&r->body, p, s * n);
	return s * n;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl))
		return;
	const char *v = line + nl;
	while (*v == ' ')
		v++;
	size_t vl = (size_t)(line + len - v);
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		vl--;
	snprintf(out, cap, "%.*s", (int)vl, v);
}

static size_t c_header(char *p, size_t s, size_t n, void *arg)
{
	struct resp *r = arg;
	header_value(p, s * n, "x-generation-id:", r->gen_id, sizeof(r->gen_id));
	header_value(p, s * n, "content-type:", r->ctype, sizeof(r->ctype));
	header_value(p, s * n, "retry-after:", r->retry_after, sizeof(r->retry_after));
	return s * n;
}

static void *client_main(void *arg)
{
	struct resp *r = arg;
	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", mhd_port,
	         r->path ? r->path : "/api/v1/chat/completions");
	CURL *e = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char sh[96];
	if (r->session) {
		snprintf(sh, sizeof(sh), "x-session-id: %s", r->session);
		h = curl_slist_append(h, sh);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body_in);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, c_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, c_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms ? r->timeout_ms : 8000L);
	if (r->max_recv_bytes_per_s)
		curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE,
		                 (curl_off_t)r->max_recv_bytes_per_s);
	curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	uint64_t one = 1;
	write(r->wake_fd, &one, sizeof(one));
	return NULL;
}

static void on_client_done(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	dp_loop_stop(loop);
}

static void stop_loop(struct dp_loop *loop, void *arg)
{
	dp_loop_stop(loop);
}

/* Run the loop for ms (settling what is in flight). */
static void run_for(int64_t ms)
{
	dp_timer_add(w.loop, ms, stop_loop, NULL);
	dp_loop_run(w.loop);
}

/* One request; returns elapsed ms. The response body is NUL-terminated in r->body. */
static int64_t request(struct resp *r, const char *body)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	r->body_in = body;
	sy_buf_init(&r->body, 0);
	sy_buf_append(&r->body, "", 0);
	r->wake_fd = p[1];
	dp_loop_add_fd(w.loop, p[0], EPOLLIN, on_client_done, NULL);
	int64_t t0 = sy_mono_ms();
	pthread_t t;
	pthread_create(&t, NULL, client_main, r);
	dp_loop_run(w.loop);
	pthread_join(t, NULL);
	int64_t ms = sy_mono_ms() - t0;
	dp_loop_del_fd(w.loop, p[0]);
	close(p[0]);
	close(p[1]);
	run_for(50);
	pthread_mutex_lock(&up.mu);
	assert_int_equal(up.bad, 0);
	pthread_mutex_unlock(&up.mu);
	assert_int_equal(w.in_flight, 0);
	assert_null(w.chats);
	return ms;
}

static json_t *body_json(const struct resp *r)
{
	json_t *j = json_loads(r->body.data, 0, NULL);
	assert_non_null(j);
	return j;
}

static const char *jstr(json_t *j, const char *path0, const char *path1)
{
	json_t *v = json_object_get(j, path0);
	if (path1)
		v = json_object_get(v, path1);
	return json_string_value(v);
}

/* ---- scenarios ------------------------------------------------------------------------ */

#define MSGS "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

static void test_non_streaming_round_trip(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/ok\"," MSGS ",\"user\":\"u-1\",\"usage\":{\"include\":true}}");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	json_t *j = body_json(&r);
	assert_string_equal(jstr(j, "id", NULL), r.gen_id);
	assert_int_equal(strncmp(r.gen_id, "gen-", 4), 0);
	assert_string_equal(jstr(j, "provider", NULL), "P One");
	assert_string_equal(jstr(j, "model", NULL), "t/ok");
	json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(jstr(c0, "finish_reason", NULL), "stop");
	assert_string_equal(jstr(c0, "native_finish_reason", NULL), "stop");
	json_t *u = json_object_get(j, "usage");
	assert_int_equal(json_integer_value(json_object_get(u, "prompt_tokens")), 10);
	assert_int_equal(json_integer_value(json_object_get(u, "completion_tokens")), 5);
	/* 10 x 0.000001 + 5 x 0.000002 */
	assert_true(json_real_value(json_object_get(u, "cost")) > 0.0000199 &&
	            json_real_value(json_object_get(u, "cost")) < 0.0000201);
	const struct rec *x = rec_for(r.gen_id);
	assert_int_equal(x->status, 200);
	assert_string_equal(x->model, "t/ok");
	assert_string_equal(x->provider, "p1");
	assert_string_equal(x->finish, "stop");
	assert_int_equal(x->cost, 200000); /* money units: 0.00002 USD */
	assert_int_equal(x->n_attempts, 1);
	assert_string_equal(x->attempts[0], "p1:200:");
	assert_false(x->streamed);
	assert_false(x->cancelled);
	json_decref(j);
	sy_buf_release(&r.body);
}

/* The data events of an SSE body, in order; comments are counted. */
static size_t sse_events(const char *body, char ev[][2048], size_t max, int *comments)
{
	size_t n = 0;
	*comments = 0;
	for (const char *p = body; *p;) {
		const char *end = strstr(p, "\n\n");
		assert_non_null(end);
		if (!strncmp(p, ": OPENROUTER PROCESSING", 23))
			(*comments)++;
		else if (!strncmp(p, "data: ", 6) && n < max)
			snprintf(ev[n++], 2048, "%.*s", (int)(end - p - 6), p + 6);
		else
			fail_msg("unexpected SSE line: %.40s", p);
		p = end + 2;
	}
	return n;
}

static void test_streaming_round_trip(void **state)
{
	struct resp r = {0};
	static char ev[16][2048];
	int comments;
	request(&r, "{\"model\":\"t/ok\"," MSGS ",\"stream\":true}");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/event-stream");
	size_t n = sse_events(r.body.data, ev, 16, &comments);
	assert_int_equal(comments, 0); /* fast upstream: no waiting comments */
	assert_int_equal(n, 6);        /* role, Hello, world, finish, usage, [DONE] */
	assert_string_equal(ev[n - 1], "[DONE]");
	for (size_t i = 0; i + 1 < n; i++) {
		json_t *c = json_loads(ev[i], 0, NULL);
		assert_non_null(c);
		assert_string_equal(jstr(c, "id", NULL), r.gen_id);
		assert_string_equal(jstr(c, "provider", NULL), "P One");
		assert_string_equal(jstr(c, "object", NULL), "chat.completion.chunk");
		json_decref(c);
	}
	json_t *u = json_loads(ev[n - 2], 0, NULL);
	assert_int_equal(json_array_size(json_object_get(u, "choices")), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(u, "usage"), "completion_tokens")),
	    5);
	json_decref(u);
	const struct rec *x = rec_for(r.gen_id);
	assert_int_equal(x->status, 200);
	assert_true(x->streamed);
	assert_string_equal(x->finish, "stop");
	assert_int_equal(x->cost, 200000);
	const struct intent *i = intent_for(r.gen_id);
	assert_non_null(i);
	assert_string_equal(i->model, "t/ok");
	assert_string_equal(i->provider, "p1");
	assert_true(i->closed);
	/* while it streamed, the intent learnt what had been sent (a crash would charge it) */
	assert_true(i->progress >= 1);
	assert_true(i->sent_completion > 0 && i->sent_completion <= x->completion);
	assert_true(i->sent_cost > 0 && i->sent_cost <= x->cost);
	sy_buf_release(&r.body);
}

static void test_fail_over_to_the_fallback(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/fo\"," MSGS ",\"provider\":{\"order\":[\"p1\",\"p2\"]}}");
	assert_int_equal(r.status, 200);
	json_t *j = body_json(&r);
	assert_string_equal(jstr(j, "provider", NULL), "P Two");
	const struct rec *x = rec_for(r.gen_id);
	assert_string_equal(x->provider, "p2");
	assert_int_equal(x->n_attempts, 2);
	assert_string_equal(x->attempts[0], "p1:503:http_5xx");
	assert_string_equal(x->attempts[1], "p2:200:");
	/* the intent names the first target planned; the record, the one that served */
	assert_string_equal(intent_for(r.gen_id)->provider, "p1");
	assert_true(intent_for(r.gen_id)->closed);
	json_decref(j);
	sy_buf_release(&r.body);
}

static void test_persistent_503_gives_502(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/503\"," MSGS "}");
	assert_int_equal(r.status, 502);
	assert_string_equal(r.ctype, "application/json");
	json_t *j = body_json(&r);
	json_t *e = json_object_get(j, "error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 502);
	json_t *meta = json_object_get(e, "metadata");
	assert_string_equal(jstr(meta, "provider_name", NULL), "P One");
	assert_string_equal(jstr(meta, "error_type", NULL), "provider_unavailable");
	assert_string_equal(jstr(meta, "reason", NULL), "provider_error");
	assert_int_equal(json_integer_value(json_object_get(meta, "status")), 503);
	assert_non_null(strstr(jstr(meta, "raw", NULL), "overloaded"));
	assert_null(strstr(r.body.data, "key-of-"));
	const struct rec *x = rec_for(r.gen_id);
	assert_int_equal(x->status, 502);
	assert_string_equal(x->error_class, "http_5xx");
	assert_int_equal(x->n_attempts, 2); /* one quick retry of the only endpoint */
	assert_int_equal(x->cost, 0);
	json_decref(j);
	sy_buf_release(&r.body);
}

/* An upstream's error body reaches the client in metadata.raw, capped at 1 KiB. */
static void test_error_body_capped(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/503big\"," MSGS "}");
	assert_int_equal(r.status, 502);
	json_t *j = body_json(&r);
	const char *raw =
	    jstr(json_object_get(json_object_get(j, "error"), "metadata"), "raw", NULL);
	assert_non_null(raw);
	assert_int_equal(strlen(raw), 1024);
	assert_true(r.body.len < 2048);
	json_decref(j);
	sy_buf_release(&r.body);
}

static void test_429_everywhere_gives_429_with_retry_after(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/429fo\"," MSGS "}");
	assert_int_equal(r.status, 429);
	assert_string_equal(r.retry_after, "7");
	const struct rec *x = rec_for(r.gen_id);
	assert_int_equal(x->status, 429);
	assert_int_equal(x->n_attempts, 2);
	assert_string_equal(x->error_class, "rate_limited");
	sy_buf_release(&r.body);
}

static void test_no_response_times_out_with_504(void **state)
{
	struct resp r = {0};
	int64_t ms = request(&r, "{\"model\":\"t/silent\"," MSGS "}");
	assert_int_equal(r.status, 504);
	assert_true(ms >= 290 && ms < 2000);
	const struct rec *x = rec_for(r.gen_id);
	assert_string_equal(x->error_class, "timeout");
	assert_int_equal(x->n_attempts, 1); /* a timeout is not retried on the same endpoint */
	sy_buf_release(&r.body);
}

/* Without a provider deadline the worker's apply: --first-byte-timeout-ms to a streamed answer,
 * --answer-timeout-ms to a non-streamed one (it arrives whole, so its first byte comes last). */
static void test_worker_first_byte_deadline_by_mode(void **state)
{
	uint32_t fb = cfg.first_byte_timeout_ms, ans = cfg.answer_timeout_ms;
	cfg.first_byte_timeout_ms = 200;
	cfg.answer_timeout_ms = 700;
	struct resp r = {0};
	int64_t ms = request(&r, "{\"model\":\"t/silent2\"," MSGS ",\"stream\":true}");
	/* the processing comments have sent the 200: the deadline ends it in band */
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "\"finish_reason\":\"error\""));
	assert_true(ms >= 190 && ms < 650);
	assert_string_equal(rec_for(r.gen_id)->error_class, "timeout");
	sy_buf_release(&r.body);

	struct resp r2 = {0};
	ms = request(&r2, "{\"model\":\"t/silent2\"," MSGS "}");
	assert_int_equal(r2.status, 504);
	assert_true(ms >= 690 && ms < 2000);
	assert_string_equal(rec_for(r2.gen_id)->error_class, "timeout");
	sy_buf_release(&r2.body);
	cfg.first_byte_timeout_ms = fb;
	cfg.answer_timeout_ms = ans;
}

static void test_context_length_falls_over_to_a_longer_model(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/ctx\",\"models\":[\"t/big\"]," MSGS "}");
	assert_int_equal(r.status, 200);
	json_t *j = body_json(&r);
	assert_string_equal(jstr(j, "model", NULL), "t/big");
	const struct rec *x = rec_for(r.gen_id);
	assert_string_equal(x->model, "t/big");
	assert_string_equal(x->attempts[0], "p1:400:context_length");
	json_decref(j);
	sy_buf_release(&r.body);

	struct resp r2 = {0};
	request(&r2, "{\"model\":\"t/ctx\"," MSGS "}");
	assert_int_equal(r2.status, 400);
	j = body_json(&r2);
	assert_non_null(
	    strstr(jstr(json_object_get(j, "error"), "message", NULL), "maximum context length"));
	assert_int_equal(rec_for(r2.gen_id)->n_attempts, 1);
	json_decref(j);
	sy_buf_release(&r2.body);
}

static void test_content_filter_400_is_not_retried(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/filter\",\"models\":[\"t/ok\"]," MSGS "}");
	assert_int_equal(r.status, 400);
	const struct rec *x = rec_for(r.gen_id);
	assert_int_equal(x->n_attempts, 1);
	assert_string_equal(x->error_class, "client_error");
	sy_buf_release(&r.body);
}

static void test_reset_and_garbage_give_502(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/reset\"," MSGS "}");
	assert_int_equal(r.status, 502);
	assert_string_equal(rec_for(r.gen_id)->error_class, "reset");
	sy_buf_release(&r.body);
	struct resp r2 = {0};
	request(&r2, "{\"model\":\"t/garbage\"," MSGS "}");
	assert_int_equal(r2.status, 502);
	json_t *j = body_json(&r2);
	assert_string_equal(jstr(json_object_get(j, "error"), "message", NULL),
	                    "invalid provider response");
	assert_string_equal(rec_for(r2.gen_id)->error_class, "invalid_response");
	json_decref(j);
	sy_buf_release(&r2.body);
}

static void test_invalid_requests_answer_at_once(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":");
	assert_int_equal(r.status, 400);
	assert_true(r.gen_id[0]);
	json_t *j = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
	                 400);
	const struct rec *x = rec_for(r.gen_id);
	assert_int_equal(x->status, 400);
	assert_string_equal(x->error_class, "invalid_request");
	assert_int_equal(x->n_attempts, 0);
	assert_null(intent_for(r.gen_id)); /* never admitted: nothing written ahead */
	json_decref(j);
	sy_buf_release(&r.body);

	struct resp r2 = {0};
	request(&r2, "{\"model\":\"nobody/nothing\"," MSGS "}");
	assert_int_equal(r2.status, 400); /* OpenRouter's model_not_found */
	assert_non_null(strstr(r2.body.data, "\"error_type\":\"model_not_found\""));
	assert_int_equal(rec_for(r2.gen_id)->status, 400);
	assert_string_equal(rec_for(r2.gen_id)->error_class, "model_not_found");
	assert_string_equal(rec_for(r2.gen_id)->model, "nobody/nothing");
	sy_buf_release(&r2.body);
}

static void assert_error_end(const struct resp *r)
{
	static char ev[16][2048];
	int comments;
	size_t n = sse_events(r->body.data, ev, 16, &comments);
	assert_true(n >= 2);
	assert_string_not_equal(ev[n - 1], "[DONE]");
	json_t *c = json_loads(ev[n - 1], 0, NULL);
	assert_non_null(json_object_get(c, "error"));
	json_t *c0 = json_array_get(json_object_get(c, "choices"), 0);
	assert_string_equal(jstr(c0, "finish_reason", NULL), "error");
	assert_string_equal(jstr(c, "id", NULL), r->gen_id);
	json_decref(c);
	const struct rec *x = rec_for(r->gen_id);
	assert_int_equal(x->status, 200);
	assert_string_equal(x->finish, "error");
	assert_int_equal(x->cost, 0);
}

static void test_stream_cut_mid_answer(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/cut\"," MSGS ",\"stream\":true}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "Hello"));
	assert_error_end(&r);
	assert_string_equal(rec_for(r.gen_id)->error_class, "stream_cut");
	sy_buf_release(&r.body);
}

static void test_stream_stall_hits_the_idle_deadline(void **state)
{
	struct resp r = {0};
	int64_t ms = request(&r, "{\"model\":\"t/stall\"," MSGS ",\"stream\":true}");
	assert_true(ms < 2000);
	assert_error_end(&r);
	assert_string_equal(rec_for(r.gen_id)->error_class, "idle_timeout");
	sy_buf_release(&r.body);
}

static void test_malformed_chunk(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/malformed\"," MSGS ",\"stream\":true}");
	assert_error_end(&r);
	assert_null(strstr(r.body.data, " world")); /* nothing after the broken chunk */
	assert_string_equal(rec_for(r.gen_id)->error_class, "malformed_chunk");
	sy_buf_release(&r.body);
}

static void test_missing_done_is_complete(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/nodone\"," MSGS ",\"stream\":true}");
	assert_non_null(strstr(r.body.data, "\"choices\":[],"));
	assert_non_null(strstr(r.body.data, "data: [DONE]\n\n"));
	assert_null(strstr(r.body.data, "\"error\""));
	assert_string_equal(rec_for(r.gen_id)->finish, "stop");
	sy_buf_release(&r.body);
}

static void test_stream_dying_before_its_first_token_fails_over(void **state)
{
	struct resp r = {0};
	request(&r, "{\"model\":\"t/cutearly\"," MSGS
	            ",\"stream\":true,\"provider\":{\"order\":[\"p1\",\"p2\"]}}");
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "\"error\""));
	assert_null(strstr(r.body.data, "P One")); /* the held role chunk of p1 was dropped */
	assert_non_null(strstr(r.body.data, "data: [DONE]\n\n"));
	const struct rec *x = rec_for(r.gen_id);
	assert_string_equal(x->attempts[0], "p1:200:stream_cut");
	assert_string_equal(x->provider, "p2");
	sy_buf_release(&r.body);
}

/* A skin's stream restarts with the attempt that serves: what the failed attempt held back
 * (here the message_start made from its role chunk) is dropped and made again. */
static void test_skin_stream_fails_over_afresh(void **state)
{
	struct resp r = {.path = "/api/v1/messages"};
	request(&r, "{\"model\":\"t/cutearly\",\"max_tokens\":50," MSGS
	            ",\"stream\":true,\"provider\":{\"order\":[\"p1\",\"p2\"]}}");
	assert_int_equal(r.status, 200);
	const char *b = r.body.data;
	const char *start = strstr(b, "event: message_start\n");
	assert_ptr_equal(start, b);
	assert_null(strstr(start + 1, "event: message_start\n"));
	assert_non_null(strstr(b, "\"index\":0,\"content_block\":{\"type\":\"text\""));
	assert_null(strstr(b, "\"index\":1"));
	assert_non_null(strstr(b, "\"text\":\" world\""));
	assert_non_null(strstr(b, "event: message_stop\n"));
	assert_null(strstr(b, "[DONE]"));
	assert_string_equal(rec_for(r.gen_id)->provider, "p2");
	sy_buf_release(&r.body);

	/* before the first byte, the failure is an answer in the skin's envelope */
	struct resp e = {.path = "/api/v1/messages"};
	request(&e, "{\"model\":\"t/503\",\"max_tokens\":50," MSGS "}");
	assert_int_equal(e.status, 502);
	json_t *j = body_json(&e);
	assert_string_equal(jstr(j, "type", NULL), "error");
	assert_string_equal(jstr(j, "error", "type"), "api_error");
	assert_string_equal(jstr(j, "error", "message"), "Provider returned error (HTTP 503)");
	json_decref(j);
	sy_buf_release(&e.body);
}

static void test_slow_first_token_gets_processing_comments(void **state)
{
	struct resp r = {0};
	static char ev[16][2048];
	int comments;
	request(&r, "{\"model\":\"t/slow\"," MSGS ",\"stream\":true}");
	assert_int_equal(r.status, 200);
	size_t n = sse_events(r.body.data, ev, 16, &comments);
	assert_true(comments >= 2);
	assert_string_equal(ev[n - 1], "[DONE]");
	sy_buf_release(&r.body);
}

static void test_fail_over_behind_processing_comments(void **state)
{
	struct resp r = {0};
	static char ev[16][2048];
	int comments;
	request(&r, "{\"model\":\"t/silentfo\"," MSGS
	            ",\"stream\":true,\"provider\":{\"order\":[\"pt\",\"p2\"]}}");
	assert_int_equal(r.status, 200);
	size_t n = sse_events(r.body.data, ev, 16, &comments);
	assert_true(comments >= 1);
	assert_string_equal(ev[n - 1], "[DONE]");
	assert_non_null(strstr(r.body.data, "P Two"));
	const struct rec *x = rec_for(r.gen_id);
	assert_string_equal(x->attempts[0], "pt:0:timeout");
	assert_string_equal(x->attempts[1], "p2:200:");
	sy_buf_release(&r.body);
}

static void test_client_disconnect_cancels_the_upstream(void **state)
{
	struct resp r = {0};
	pthread_mutex_lock(&up.mu);
	int closed = up.closed;
	pthread_mutex_unlock(&up.mu);
	r.timeout_ms = 150; /* the client gives up during the stall */
	request(&r, "{\"model\":\"t/stall\"," MSGS ",\"stream\":true}");
	run_for(100);
	assert_true(r.gen_id[0]);
	const struct rec *x = rec_for(r.gen_id);
	assert_true(x->cancelled);
	assert_string_equal(x->error_class, "cancelled");
	assert_string_equal(x->attempts[0], "pt:200:cancelled");
	pthread_mutex_lock(&up.mu);
	assert_int_equal(up.closed, closed + 1); /* the upstream connection was closed */
	pthread_mutex_unlock(&up.mu);
	sy_buf_release(&r.body);
}

static void test_session_recorded_on_the_generation(void **state)
{
	struct resp r = {0};
	r.session = "sess-1"; /* x-session-id */
	request(&r, "{\"model\":\"t/ok\"," MSGS "}");
	assert_int_equal(r.status, 200);
	assert_string_equal(rec_for(r.gen_id)->session, "sess-1");
	sy_buf_release(&r.body);
	struct resp b = {0};
	request(&b, "{\"model\":\"t/ok\",\"session_id\":\"sess-body\"," MSGS "}");
	assert_int_equal(b.status, 200);
	assert_string_equal(rec_for(b.gen_id)->session, "sess-body");
	sy_buf_release(&b.body);
}

static void test_slow_client_gets_every_byte(void **state)
{
	struct resp r = {0};
	r.max_recv_bytes_per_s = 3 << 20; /* the upstream is much faster: the gateway pauses it */
	request(&r, "{\"model\":\"t/huge\"," MSGS ",\"stream\":true}");
	assert_int_equal(r.status, 200);
	size_t xs = 0;
	for (const char *p = r.body.data; (p = strstr(p, "\"content\":\"x")); p++)
		xs++;
	assert_int_equal(xs, BIG_EVENTS);
	assert_non_null(strstr(r.body.data, "data: [DONE]\n\n"));
	const struct rec *x = rec_for(r.gen_id);
	assert_string_equal(x->finish, "stop");
	assert_string_equal(x->error_class, "");
	sy_buf_release(&r.body);
}

static void abort_all(struct dp_loop *loop, void *arg)
{
	dp_chat_abort_all(&w);
}

/* Shutdown ends what is in flight: a 503 before any output, the in-band error after it. */
static void test_shutdown_ends_chats_in_flight(void **state)
{
	struct resp r = {0};
	dp_timer_add(w.loop, 150, abort_all, NULL);
	request(&r, "{\"model\":\"t/silent2\"," MSGS "}");
	assert_int_equal(r.status, 503);
	const struct rec *x = rec_for(r.gen_id);
	assert_int_equal(x->status, 503);
	assert_string_equal(x->error_class, "shutdown");
	assert_string_equal(x->attempts[0], "p1:0:shutdown");
	sy_buf_release(&r.body);

	struct resp r2 = {0};
	dp_timer_add(w.loop, 150, abort_all, NULL);
	request(&r2, "{\"model\":\"t/stall2\"," MSGS ",\"stream\":true}");
	assert_int_equal(r2.status, 200);
	assert_non_null(strstr(r2.body.data, "\"code\":503"));
	assert_null(strstr(r2.body.data, "[DONE]"));
	x = rec_for(r2.gen_id);
	assert_string_equal(x->error_class, "shutdown");
	assert_string_equal(x->finish, "error");
	sy_buf_release(&r2.body);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_non_streaming_round_trip),
	    cmocka_unit_test(test_streaming_round_trip),
	    cmocka_unit_test(test_fail_over_to_the_fallback),
	    cmocka_unit_test(test_persistent_503_gives_502),
	    cmocka_unit_test(test_error_body_capped),
	    cmocka_unit_test(test_429_everywhere_gives_429_with_retry_after),
	    cmocka_unit_test(test_no_response_times_out_with_504),
	    cmocka_unit_test(test_worker_first_byte_deadline_by_mode),
	    cmocka_unit_test(test_context_length_falls_over_to_a_longer_model),
	    cmocka_unit_test(test_content_filter_400_is_not_retried),
	    cmocka_unit_test(test_reset_and_garbage_give_502),
	    cmocka_unit_test(test_invalid_requests_answer_at_once),
	    cmocka_unit_test(test_stream_cut_mid_answer),
	    cmocka_unit_test(test_stream_stall_hits_the_idle_deadline),
	    cmocka_unit_test(test_malformed_chunk),
	    cmocka_unit_test(test_missing_done_is_complete),
	    cmocka_unit_test(test_stream_dying_before_its_first_token_fails_over),
	    cmocka_unit_test(test_skin_stream_fails_over_afresh),
	    cmocka_unit_test(test_slow_first_token_gets_processing_comments),
	    cmocka_unit_test(test_fail_over_behind_processing_comments),
	    cmocka_unit_test(test_client_disconnect_cancels_the_upstream),
	    cmocka_unit_test(test_session_recorded_on_the_generation),
	    cmocka_unit_test(test_slow_client_gets_every_byte),
	    cmocka_unit_test(test_shutdown_ends_chats_in_flight),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
