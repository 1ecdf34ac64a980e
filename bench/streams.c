/* bench/streams.c - switchyard-bench-streams: hold N streamed chat completions open at once
 * and check every one of them (make bench-streams, bench/streams.sh).
 *
 * libcurl's multi socket API on one epoll loop, so ten thousand streams cost one thread. Each
 * stream POSTs a streamed chat completion with include_usage and reads the SSE answer line by
 * line: it counts the (non-empty) content events and checks that event k carries the mock's token k
 * ("tok<k>"), takes completion_tokens from the usage event and wants "data: [DONE]" last. A
 * stream is good when its status is 200, it has exactly --tokens content events, in order,
 * usage with completion_tokens == --tokens, and [DONE]. Time to first byte is libcurl's
 * STARTTRANSFER - PRETRANSFER (request sent -> first response byte).
 *
 * Prints one machine-readable line:
 *   STREAMS n=N ok=N bad=N errors=N lost_tokens=N no_usage=N open_s=S total_s=S
 *           ttfb_p50_us=U ttfb_p99_us=U ttfb_max_us=U
 * and, to stderr, "OPEN" once every stream has its first byte (bench/streams.sh samples the
 * dataplane's memory and CPU while they are all open).
 *
 * Usage: switchyard-bench-streams URL KEY MODEL N TOKENS [TIMEOUT_S [RAMP]]
 * RAMP: streams started per second (0 = all at once, the default), as traffic arrives.
 * With BENCH_STREAMS_DUMP=FILE, one line per stream goes there: "start_us ttfb_us tokens"
 * (start relative to the first stream), to see when slow first bytes happen.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#define LINE_MAX_BYTES 4096

struct stream {
	CURL *easy;
	long tokens;     /* content events seen */
	long usage;      /* completion_tokens of the usage event, -1 before it */
	bool done;       /* [DONE] seen */
	bool out_order;  /* a content event that is not the next token */
	bool first;      /* a first byte arrived */
	int64_t started; /* when it was added to the multi handle */
	size_t len;      /* bytes in line */
	char line[LINE_MAX_BYTES];
};

static int epfd;
static CURLM *multi;
static long timer_ms = -1;
static long first_bytes;
static long want_tokens;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One complete SSE line of stream s. */
static void on_line(struct stream *s, const char *l, size_t n)
{
	if (n < 6 || memcmp(l, "data: ", 6) != 0)
		return;
	if (n == 12 && memcmp(l + 6, "[DONE]", 6) == 0) {
		s->done = true;
		return;
	}
	const char *c = memmem(l, n, "\"content\":\"", 11);
	if (c && c[11] != '"') {
		/* token k is "tok<k>", with a leading space after the first */
		const char *t = memmem(c, n - (size_t)(c - l), "tok", 3);
		if (!t || strtol(t + 3, NULL, 10) != s->tokens)
			s->out_order = true;
		s->tokens++;
	}
	const char *u = memmem(l, n, "\"completion_tokens\":", 20);
	if (u)
		s->usage = strtol(u + 20, NULL, 10);
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct stream *s = ud;
	size_t n = sz * nm;
	if (!s->first) {
		s->first = true;
		first_bytes++;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			on_line(s, s->line, s->len);
			s->len = 0;
		} else if (s->len < sizeof(s->line)) {
			s->line[s->len++] = p[i];
		}
	}
	return n;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *up, void *sp)
{
	(void)e, (void)up;
	struct epoll_event ev = {.data.fd = fd};
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (!sp) {
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
		curl_multi_assign(multi, fd, (void *)1);
	} else {
		epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	return 0;
}

static int on_timer(CURLM *m, long ms, void *up)
{
	(void)m, (void)up;
	timer_ms = ms;
	return 0;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(
		    stderr,
		    "usage: switchyard-bench-streams URL KEY MODEL N TOKENS [TIMEOUT_S [RAMP]]\n");
		return 2;
	}
	const char *url = argv[1], *key = argv[2], *model = argv[3];
	long n = strtol(argv[4], NULL, 10);
	want_tokens = strtol(argv[5], NULL, 10);
	long timeout_s = argc > 6 ? strtol(argv[6], NULL, 10) : 600;
	long ramp = argc > 7 ? strtol(argv[7], NULL, 10) : 0;
	if (n < 1 || want_tokens < 1) {
		fprintf(stderr, "switchyard-bench-streams: N and TOKENS must be positive\n");
		return 2;
	}
	/* a descriptor per stream */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, n);

	char body[512], auth[512];
	snprintf(body, sizeof(body),
	         "{\"model\":\"%s\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
	         "\"max_tokens\":%ld,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long "
	         "story.\"}]}",
	         model, want_tokens);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Expect:");

	struct stream *ss = calloc((size_t)n, sizeof(*ss));
	if (!ss || epfd < 0 || !multi)
		return 1;
	for (long i = 0; i < n; i++) {
		struct stream *s = &ss[i];
		s->usage = -1;
		s->easy = curl_easy_init();
		curl_easy_setopt(s->easy, CURLOPT_URL, url);
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
		curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, timeout_s);
		curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT, 60L);
	}

	int64_t t0 = now_us(), t_open = 0;
	int running = 1;
	long errors = 0, added = 0;
	struct epoll_event evs[256];
	while (running || added < n) {
		/* start the streams due by now */
		long due = ramp > 0 ? (long)((now_us() - t0) * ramp / 1000000) + 1 : n;
		for (; added < n && added < due; added++) {
			ss[added].started = now_us();
			curl_multi_add_handle(multi, ss[added].easy);
		}
		int wait_ms = timer_ms < 0 ? 1000 : (int)timer_ms;
		if (added < n && wait_ms > 1)
			wait_ms = 1;
		int k = epoll_wait(epfd, evs, 256, wait_ms);
		if (k == 0)
			curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
		for (int i = 0; i < k; i++) {
			int ev = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			         (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			         (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
			curl_multi_socket_action(multi, evs[i].data.fd, ev, &running);
		}
		if (!t_open && first_bytes == n) {
			t_open = now_us();
			fprintf(stderr, "OPEN\n");
		}
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct stream *s;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			long status = 0;
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			if (m->data.result != CURLE_OK || status != 200) {
				if (errors < 5)
					fprintf(stderr, "stream %ld: %s, HTTP %ld\n",
					        (long)(s - ss), curl_easy_strerror(m->data.result),
					        status);
				errors++;
			}
		}
	}
	int64_t t_end = now_us();

	long ok = 0, lost = 0, no_usage = 0;
	int64_t *ttfb = calloc((size_t)n, sizeof(*ttfb));
	const char *dump_path = getenv("BENCH_STREAMS_DUMP");
	FILE *dump = dump_path ? fopen(dump_path, "w") : NULL;
	for (long i = 0; i < n; i++) {
		struct stream *s = &ss[i];
		curl_off_t pre = 0, start = 0;
		curl_easy_getinfo(s->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
		curl_easy_getinfo(s->easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
		ttfb[i] = start - pre;
		if (dump)
			fprintf(dump, "%lld %lld %ld\n", (long long)(s->started - t0),
			        (long long)ttfb[i], s->tokens);
		lost += s->tokens < want_tokens ? want_tokens - s->tokens : 0;
		no_usage += s->usage != want_tokens;
		ok +=
		    s->tokens == want_tokens && !s->out_order && s->usage == want_tokens && s->done;
		curl_multi_remove_handle(multi, s->easy);
		curl_easy_cleanup(s->easy);
	}
	if (dump)
		fclose(dump);
	qsort(ttfb, (size_t)n, sizeof(*ttfb), cmp64);
	printf("STREAMS n=%ld ok=%ld bad=%ld errors=%ld lost_tokens=%ld no_usage=%ld open_s=%.2f "
	       "total_s=%.2f ttfb_p50_us=%lld ttfb_p99_us=%lld ttfb_max_us=%lld\n",
	       n, ok, n - ok, errors, lost, no_usage, t_open ? (t_open - t0) / 1e6 : -1.0,
	       (t_end - t0) / 1e6, (long long)ttfb[n / 2], (long long)ttfb[(n * 99) / 100],
	       (long long)ttfb[n - 1]);
	free(ttfb);
	free(ss);
	curl_slist_free_all(hdrs);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return ok == n ? 0 : 1;
}
