/* dp_upstream_test.c - upstream calls on a real loop against a scripted loopback server. */
#include "dp_loop.h"
#include "dp_upstream.h"
#include "sy_clock.h"
#include "dp_test_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- a scripted HTTP/1.1 server, one thread per connection ----------------------------- */

enum mode {
	M_JSON,
	M_JSON_THEN_CLOSE, /* answer keep-alive, then close the idle connection 20 ms later */
	M_RATE,
	M_SILENT,
	M_RESET,
	M_STALL,
	M_CUT,
	M_STREAM,
	M_REDIRECT
};

static struct {
	int lfd;
	int port;
	pthread_mutex_t mu;
	enum mode mode;
	int accepted;
	char last_req[8192];
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void set_mode(enum mode m)
{
	pthread_mutex_lock(&srv.mu);
	srv.mode = m;
	pthread_mutex_unlock(&srv.mu);
}

/* Block until the peer closes (at most 5 s). */
static void wait_close(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b[256];
	for (int i = 0; i < 50; i++)
		if (poll(&p, 1, 100) > 0 && recv(fd, b, sizeof(b), 0) <= 0)
			return;
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[8192];
	while (read_request(fd, req, sizeof(req))) {
		pthread_mutex_lock(&srv.mu);
		enum mode m = srv.mode;
		snprintf(srv.last_req, sizeof(srv.last_req), "%s", req);
		pthread_mutex_unlock(&srv.mu);
		switch (m) {
		case M_JSON:
			sendstr(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			            "Content-Length: 11\r\n\r\n{\"ok\":true}");
			continue;
		case M_JSON_THEN_CLOSE:
			sendstr(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			            "Content-Length: 11\r\n\r\n{\"ok\":true}");
			usleep(20000);
			break;
		case M_RATE:
			sendstr(fd, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
			            "Content-Length: 2\r\n\r\n{}");
			continue;
		case M_REDIRECT:
			sendstr(fd,
			        "HTTP/1.1 302 Found\r\nLocation: /elsewhere/v1/chat/completions\r\n"
			        "Content-Length: 0\r\n\r\n");
			continue;
		case M_SILENT:
			wait_close(fd);
			break;
		case M_RESET: {
			struct linger l = {1, 0};
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			break;
		}
		case M_STALL:
		case M_CUT:
		case M_STREAM:
			sendstr(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			            "Transfer-Encoding: chunked\r\n\r\n9\r\ndata: a\n\n\r\n");
			if (m == M_STALL)
				wait_close(fd);
			if (m != M_STREAM)
				break;
			usleep(20000);
			sendstr(fd, "9\r\ndata: b\n\n\r\n");
			usleep(20000);
			sendstr(fd, "9\r\ndata: c\n\n\r\n0\r\n\r\n");
			continue;
		}
		break;
	}
	close(fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	for (;;) {
		int fd = accept(srv.lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_mutex_lock(&srv.mu);
		srv.accepted++;
		pthread_mutex_unlock(&srv.mu);
		pthread_t t;
		pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

static int accepted(void)
{
	pthread_mutex_lock(&srv.mu);
	int n = srv.accepted;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

static int server_start(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)) || listen(srv.lfd, 16) ||
	    getsockname(srv.lfd, (struct sockaddr *)&a, &al))
		return -1;
	srv.port = ntohs(a.sin_port);
	pthread_t t;
	pthread_create(&t, NULL, accept_main, NULL);
	pthread_detach(t);
	return 0;
}

/* ---- a client harness ------------------------------------------------------------------ */

struct run {
	struct dp_loop *loop;
	struct dp_upstream *u;
	long status;
	int64_t retry_after;
	char body[4096];
	size_t len;
	int pauses; /* how many times data returns PAUSE before consuming */
	bool stop_on_data;
	struct dp_upstream_call *call;
	bool done;
	enum dp_upstream_result result;
	int64_t t_done;
};

static int h_headers(void *arg, long status, int64_t retry_after_ms)
{
	struct run *r = arg;
	r->status = status;
	r->retry_after = retry_after_ms;
	return 0;
}

static void resume_later(struct dp_loop *loop, void *arg)
{
	struct run *r = arg;
	dp_upstream_call_resume(r->call);
}

static int h_data(void *arg, const char *p, size_t n)
{
	struct run *r = arg;
	if (r->stop_on_data)
		return DP_UPSTREAM_STOP;
	if (r->pauses > 0) {
		r->pauses--;
		dp_timer_add(r->loop, 30, resume_later, r);
		return DP_UPSTREAM_PAUSE;
	}
	assert_true(r->len + n < sizeof(r->body));
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return DP_UPSTREAM_GO;
}

static void h_done(void *arg, enum dp_upstream_result res, const char *detail)
{
	struct run *r = arg;
	r->call = NULL;
	r->done = true;
	r->result = res;
	r->t_done = sy_mono_ms();
	dp_loop_stop(r->loop);
}

static const struct dp_upstream_ops ops = {h_headers, h_data, h_done};

static void give_up(struct dp_loop *loop, void *arg)
{
	dp_loop_stop(loop);
}

/* Whether call() marks its provider internal (the test server is on loopback). */
static bool call_internal = true;

/* Run one call to the test server's path; returns elapsed ms. */
static int64_t call(struct run *r, const char *bearer, bool stream, uint32_t first_byte_ms,
                    uint32_t idle_ms, int port)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/chat/completions", port);
	struct dp_upstream_req req = {.url = url,
	                              .bearer = bearer,
	                              .stream = stream,
	                              .connect_ms = 1000,
	                              .first_byte_ms = first_byte_ms,
	                              .idle_ms = idle_ms,
	                              .total_ms = 5000,
	                              .internal = call_internal};
	char *body = strdup("{\"model\":\"echo\"}");
	r->done = false;
	r->len = 0;
	r->status = 0;
	int64_t t0 = sy_mono_ms();
	r->call = dp_upstream_call_start(r->u, &req, &body, 16, &ops, r);
	assert_non_null(r->call);
	assert_null(body);
	struct dp_timer *guard = dp_timer_add(r->loop, 8000, give_up, NULL);
	dp_loop_run(r->loop);
	assert_true(r->done);
	dp_timer_cancel(&guard);
	assert_int_equal(dp_upstream_running(r->u), 0);
	return r->t_done - t0;
}

static int setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	r->loop = dp_loop_new();
	r->u = dp_upstream_new(r->loop);
	if (!r->loop || !r->u)
		return -1;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct run *r = *state;
	dp_upstream_free(&r->u);
	assert_null(r->u);
	dp_loop_free(&r->loop);
	free(r);
	return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_post_json_and_reuse_connection(void **state)
{
	struct run *r = *state;
	set_mode(M_JSON);
	int before = accepted();
	call(r, "sekrit-provider-key", false, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	assert_int_equal(r->status, 200);
	assert_string_equal(r->body, "{\"ok\":true}");
	pthread_mutex_lock(&srv.mu);
	assert_non_null(strstr(srv.last_req, "POST /v1/chat/completions HTTP/1.1\r\n"));
	assert_non_null(strstr(srv.last_req, "Authorization: Bearer sekrit-provider-key\r\n"));
	assert_non_null(strstr(srv.last_req, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(srv.last_req, "\r\n\r\n{\"model\":\"echo\"}"));
	pthread_mutex_unlock(&srv.mu);
	call(r, NULL, false, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	pthread_mutex_lock(&srv.mu);
	assert_null(strcasestr(srv.last_req, "authorization:"));
	pthread_mutex_unlock(&srv.mu);
	assert_int_equal(accepted() - before, 1); /* the second call reused the connection */
}

/* CPU seconds the calling thread has used. */
static double thread_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void test_idle_connection_closed_by_upstream(void **state)
{
	struct run *r = *state;
	set_mode(M_JSON_THEN_CLOSE);
	int before = accepted();
	call(r, NULL, false, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	/* the kept-alive socket stays registered with the loop between calls; the upstream's
	 * close must not make the loop spin on it */
	double cpu = thread_cpu();
	struct dp_timer *t = dp_timer_add(r->loop, 300, give_up, NULL);
	assert_non_null(t);
	dp_loop_run(r->loop);
	assert_true(thread_cpu() - cpu < 0.1);
	/* and the next call opens a new connection */
	set_mode(M_JSON);
	call(r, NULL, false, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	assert_string_equal(r->body, "{\"ok\":true}");
	assert_int_equal(accepted() - before, 2);
}

static void test_retry_after_is_reported(void **state)
{
	struct run *r = *state;
	set_mode(M_RATE);
	call(r, NULL, false, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	assert_int_equal(r->status, 429);
	assert_int_equal(r->retry_after, 7000);
}

static void test_stream_arrives_in_pieces(void **state)
{
	struct run *r = *state;
	set_mode(M_STREAM);
	call(r, NULL, true, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	assert_string_equal(r->body, "data: a\n\ndata: b\n\ndata: c\n\n");
	pthread_mutex_lock(&srv.mu);
	assert_non_null(strstr(srv.last_req, "Accept: text/event-stream\r\n"));
	pthread_mutex_unlock(&srv.mu);
}

static void test_pause_redelivers(void **state)
{
	struct run *r = *state;
	set_mode(M_STREAM);
	r->pauses = 2;
	call(r, NULL, true, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	assert_int_equal(r->pauses, 0);
	assert_string_equal(r->body, "data: a\n\ndata: b\n\ndata: c\n\n");
}

static void test_connect_refused(void **state)
{
	struct run *r = *state;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &al);
	close(s); /* a port nobody listens on */
	call(r, NULL, false, 1000, 1000, ntohs(a.sin_port));
	assert_int_equal(r->result, DP_UPSTREAM_CONNECT);
}

/* Loopback is for providers marked internal: otherwise the request never goes out. */
static void test_private_address_needs_internal(void **state)
{
	struct run *r = *state;
	set_mode(M_JSON);
	pthread_mutex_lock(&srv.mu);
	srv.last_req[0] = '\0';
	pthread_mutex_unlock(&srv.mu);
	call_internal = false;
	call(r, "sekrit-provider-key", false, 1000, 1000, srv.port);
	call_internal = true;
	assert_int_equal(r->result, DP_UPSTREAM_REFUSED);
	pthread_mutex_lock(&srv.mu);
	assert_null(strstr(srv.last_req, "sekrit-provider-key"));
	pthread_mutex_unlock(&srv.mu);
	call(r, NULL, false, 1000, 1000, srv.port); /* the same, marked internal, goes through */
	assert_int_equal(r->result, DP_UPSTREAM_OK);
}

/* A redirect is the upstream's answer, never followed (it could point anywhere). */
static void test_redirect_not_followed(void **state)
{
	struct run *r = *state;
	set_mode(M_REDIRECT);
	call(r, NULL, false, 1000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_OK);
	assert_int_equal(r->status, 302);
	pthread_mutex_lock(&srv.mu);
	assert_null(strstr(srv.last_req, "/elsewhere"));
	pthread_mutex_unlock(&srv.mu);
}

/* http_proxy in the environment is not followed: only an explicit proxy is. */
static void test_environment_proxy_ignored(void **state)
{
	struct run *r = *state;
	set_mode(M_JSON);
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
	call(r, NULL, false, 1000, 1000, srv.port);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	assert_int_equal(r->result, DP_UPSTREAM_OK);
}

static void test_first_byte_deadline(void **state)
{
	struct run *r = *state;
	set_mode(M_SILENT);
	int64_t ms = call(r, NULL, false, 200, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_TIMEOUT_FIRST_BYTE);
	assert_true(ms >= 190 && ms < 1000);
}

static void test_idle_deadline(void **state)
{
	struct run *r = *state;
	set_mode(M_STALL);
	int64_t ms = call(r, NULL, true, 2000, 200, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_TIMEOUT_IDLE);
	assert_string_equal(r->body, "data: a\n\n");
	assert_true(ms >= 190 && ms < 1500);
}

static void test_reset_before_headers(void **state)
{
	struct run *r = *state;
	set_mode(M_RESET);
	call(r, NULL, false, 2000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_RESET);
	assert_int_equal(r->status, 0);
}

static void test_stream_cut(void **state)
{
	struct run *r = *state;
	set_mode(M_CUT);
	call(r, NULL, true, 2000, 1000, srv.port);
	assert_int_equal(r->result, DP_UPSTREAM_RESET);
	assert_string_equal(r->body, "data: a\n\n");
}

static void test_stop_from_callback(void **state)
{
	struct run *r = *state;
	set_mode(M_STREAM);
	r->stop_on_data = true;
	call(r, NULL, true, 2000, 1000, srv.port);
	r->stop_on_data = false;
	assert_int_equal(r->result, DP_UPSTREAM_STOPPED);
}

static void test_cancel_has_no_callback(void **state)
{
	struct run *r = *state;
	set_mode(M_SILENT);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/chat/completions", srv.port);
	struct dp_upstream_req req = {.url = url, .first_byte_ms = 5000, .internal = true};
	char *body = strdup("{}");
	r->done = false;
	struct dp_upstream_call *c = dp_upstream_call_start(r->u, &req, &body, 2, &ops, r);
	assert_non_null(c);
	struct dp_timer *t = dp_timer_add(r->loop, 100, give_up, NULL);
	dp_loop_run(r->loop); /* connect and send */
	(void)t;
	assert_int_equal(dp_upstream_running(r->u), 1);
	dp_upstream_call_cancel(&c);
	assert_null(c);
	dp_upstream_call_cancel(&c); /* idempotent */
	assert_int_equal(dp_upstream_running(r->u), 0);
	t = dp_timer_add(r->loop, 100, give_up, NULL);
	dp_loop_run(r->loop);
	assert_false(r->done);
}

static void test_retry_after_values(void **state)
{
	assert_int_equal(dp_upstream_retry_after_ms("3", 0), 3000);
	assert_int_equal(dp_upstream_retry_after_ms(" 0\r\n", 0), 0);
	assert_int_equal(dp_upstream_retry_after_ms("soon", 0), -1);
	assert_int_equal(dp_upstream_retry_after_ms("-5", 0), -1);
	/* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
	assert_int_equal(dp_upstream_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470),
	                 10000);
	assert_int_equal(dp_upstream_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_post_json_and_reuse_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_private_address_needs_internal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_environment_proxy_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_not_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_connection_closed_by_upstream, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_after_is_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_arrives_in_pieces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pause_redelivers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_byte_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_before_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_from_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_has_no_callback, setup, teardown),
	    cmocka_unit_test(test_retry_after_values),
	};
	return cmocka_run_group_tests(tests, server_start, NULL);
}
