/* dp_metrics_test.c - counting into worker slots, sums over slots, bounded labels, the
 * access line and the overhead clock. One region with two slots serves every test; each
 * test compares values before and after what it does. */
#include "dp_metrics.h"
#include "sy_log.h"
#include "sy_money.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define HASH "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

/* The value of series (name{labels} exactly as rendered) in a fresh render; -1 if absent. */
static double value(const char *series)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(dp_metrics_render(&b), 0);
	char needle[600];
	snprintf(needle, sizeof(needle), "\n%s ", series);
	const char *p = strstr(b.data, needle);
	double v = p ? strtod(p + strlen(needle), NULL) : -1;
	sy_buf_release(&b);
	return v;
}

/* Series whose line starts with prefix. */
static int series_count(const char *prefix)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	assert_int_equal(dp_metrics_render(&b), 0);
	int n = 0;
	for (const char *p = b.data; (p = strstr(p, prefix)); p++)
		n += p[-1] == '\n';
	sy_buf_release(&b);
	return n;
}

static void chat(const char *model, const char *provider, uint32_t status, bool stream)
{
	Sy__UsageRecord rec = SY__USAGE_RECORD__INIT;
	rec.id = "gen-1-aaaaaaaaaaaaaaaaaaaa";
	rec.key_hash = HASH;
	rec.org_id = "org_1";
	rec.model = (char *)model;
	rec.provider = (char *)provider;
	rec.status = status;
	rec.prompt_tokens = 10;
	rec.completion_tokens = 20;
	rec.cost = 5 * SY_MONEY_SCALE / 1000000; /* 0.000005 USD */
	rec.latency_ms = 30;
	rec.has_ttft_ms = provider != NULL;
	rec.ttft_ms = 7;
	rec.streamed = stream;
	dp_metrics_chat(NULL, &rec, 42);
}

#define PAIR "model=\"m/a\",provider=\"p\""

/* Usage: a worker attaches to its slot, counts a chat, and the render shows it. */
static void test_chat_is_counted(void **state)
{
	dp_metrics_attach(0);
	double before = value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"2xx\"}");
	chat("m/a", "p", 200, false);
	assert_true(value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"2xx\"}") ==
	            (before < 0 ? 0 : before) + 1);
	assert_true(value("switchyard_dp_prompt_tokens_total{" PAIR "}") >= 10);
	assert_true(value("switchyard_dp_completion_tokens_total{" PAIR "}") >= 20);
	assert_true(value("switchyard_dp_cost_usd_total{" PAIR "}") >= 0.000005);
	assert_true(value("switchyard_dp_request_duration_seconds_bucket{" PAIR ",le=\"0.05\"}") >=
	            1);
	assert_true(value("switchyard_dp_request_duration_seconds_bucket{" PAIR ",le=\"0.025\"}") ==
	            0);
	assert_true(
	    value("switchyard_dp_time_to_first_token_seconds_bucket{" PAIR ",le=\"0.01\"}") >= 1);
	assert_true(
	    value("switchyard_dp_overhead_seconds_bucket{handler=\"chat\",le=\"0.00005\"}") >= 1);
}

static void test_workers_are_summed(void **state)
{
	dp_metrics_attach(0);
	double reqs = value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"5xx\"}");
	double ok = value("switchyard_dp_http_requests_total{code=\"200\"}");
	reqs = reqs < 0 ? 0 : reqs;
	ok = ok < 0 ? 0 : ok;
	chat("m/a", "p", 502, false);
	dp_metrics_http_done(200);
	dp_metrics_gauge_set(DP_METRICS_CONNECTIONS, 3);
	dp_metrics_attach(1); /* the other worker */
	chat("m/a", "p", 503, true);
	dp_metrics_http_done(200);
	dp_metrics_gauge_set(DP_METRICS_CONNECTIONS, 5);
	assert_true(value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"5xx\"}") ==
	            reqs + 2);
	assert_true(value("switchyard_dp_http_requests_total{code=\"200\"}") == ok + 2);
	assert_true(value("switchyard_dp_open_connections{worker=\"0\"}") == 3);
	assert_true(value("switchyard_dp_open_connections{worker=\"1\"}") == 5);
	assert_true(value("switchyard_dp_worker_up{worker=\"0\"}") == 1);

	/* worker 0 restarts: its counters stay, its gauges start from zero */
	dp_metrics_attach(0);
	assert_true(value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"5xx\"}") ==
	            reqs + 2);
	assert_true(value("switchyard_dp_open_connections{worker=\"0\"}") == 0);
	chat("m/a", "p", 500, false); /* and it finds its old entry again */
	assert_true(value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"5xx\"}") ==
	            reqs + 3);
	assert_int_equal(series_count("switchyard_dp_prompt_tokens_total{" PAIR "}"), 1);
}

static void test_streams_gauge_follows_settled_streams(void **state)
{
	dp_metrics_attach(0);
	double before = value("switchyard_dp_active_streams{worker=\"0\"}");
	dp_metrics_gauge_add(DP_METRICS_STREAMS, 1); /* dp_chat: the stream's 200 went out */
	assert_true(value("switchyard_dp_active_streams{worker=\"0\"}") == before + 1);
	chat("m/a", "p", 200, true);
	assert_true(value("switchyard_dp_active_streams{worker=\"0\"}") == before);
}

static void test_unrouted_requests_count_under_none(void **state)
{
	dp_metrics_attach(0);
	chat("client/made-up", NULL, 404, false);
	assert_true(value("switchyard_dp_chat_requests_total{model=\"none\",provider=\"none\","
	                  "code_class=\"4xx\"}") >= 1);
	assert_int_equal(series_count("switchyard_dp_chat_requests_total{model=\"client/"), 0);
}

static void test_attempt_errors_and_retries(void **state)
{
	dp_metrics_attach(0);
	double retries = value("switchyard_dp_retries_total");
	Sy__Attempt a[3];
	Sy__Attempt *ap[3] = {&a[0], &a[1], &a[2]};
	const char *cls[3] = {"http_5xx", "weird_new_class", "cancelled"};
	for (int i = 0; i < 3; i++) {
		sy__attempt__init(&a[i]);
		a[i].model = "m/a";
		a[i].provider = "p2";
		a[i].error_class = (char *)cls[i];
	}
	Sy__UsageRecord rec = SY__USAGE_RECORD__INIT;
	rec.id = "gen-2-bbbbbbbbbbbbbbbbbbbb";
	rec.model = "m/a";
	rec.provider = "p2";
	rec.status = 499;
	rec.n_attempts = 3;
	rec.attempts = ap;
	dp_metrics_chat(NULL, &rec, 10);
	const char *l = "model=\"m/a\",provider=\"p2\",class=";
	char s[200];
	snprintf(s, sizeof(s), "switchyard_dp_upstream_errors_total{%s\"http_5xx\"}", l);
	assert_true(value(s) == 1);
	snprintf(s, sizeof(s), "switchyard_dp_upstream_errors_total{%s\"other\"}", l);
	assert_true(value(s) == 1);
	assert_int_equal(series_count("switchyard_dp_upstream_errors_total{model=\"m/a\","
	                              "provider=\"p2\",class=\"cancelled\"}"),
	                 0);
	assert_true(value("switchyard_dp_retries_total") == retries + 2);
	dp_metrics_ejection("m/a", "p2");
	assert_true(
	    value("switchyard_dp_endpoint_ejections_total{model=\"m/a\",provider=\"p2\"}") == 1);
}

static void test_access_line(void **state)
{
	dp_metrics_attach(0);
	char path[] = "/tmp/dp-metrics-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	sy_log_level = SY_LOG_INFO;
	chat("m/a b\nc", "p", 200, true);
	sy_log_level = SY_LOG_WARN;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char line[2048] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_null(fgets(line + strlen(line), (int)(sizeof(line) - strlen(line)), f));
	fclose(f);
	close(fd);
	unlink(path);
	assert_non_null(strstr(line,
	                       " access gen=gen-1-aaaaaaaaaaaaaaaaaaaa org=org_1 key=abcdef01 "
	                       "model=m/a?b?c provider=p status=200 tokens_in=10 "
	                       "tokens_out=20 cost=0.000005 latency_ms=30 overhead_us=42 "
	                       "stream=1 attempts=0 cancelled=0 class=-\n"));
	assert_null(strstr(line, "abcdef012")); /* 8 characters of the hash, no more */
}

static void test_overhead_clock_excludes_waits(void **state)
{
	struct dp_overhead o;
	dp_overhead_start(&o);
	dp_overhead_wait_begin(&o);
	usleep(20000);
	assert_true(dp_overhead_us(&o) < 10000); /* a wait in progress counts as waiting */
	dp_overhead_wait_begin(&o);              /* no-op while waiting */
	dp_overhead_wait_end(&o);
	dp_overhead_wait_end(&o); /* no-op */
	assert_true(o.waited_us >= 20000);
	int64_t before = dp_overhead_us(&o);
	usleep(5000); /* the gateway's own work */
	assert_true(dp_overhead_us(&o) >= before + 5000);
	assert_true(dp_overhead_us(&o) < 20000);

	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	dp_metrics_overhead_header(r, 1234);
	assert_string_equal(MHD_get_response_header(r, "X-Switchyard-Overhead-Us"), "1234");
	MHD_destroy_response(r);
}

static void test_labels_are_bounded(void **state)
{
	dp_metrics_attach(1);
	for (int i = 0; i < DP_METRICS_PAIRS + 44; i++) {
		char model[32];
		snprintf(model, sizeof(model), "flood/m%d", i);
		chat(model, "p", 200, false);
	}
	assert_true(series_count("switchyard_dp_prompt_tokens_total{") <= DP_METRICS_PAIRS);
	assert_true(value("switchyard_dp_chat_requests_total{model=\"other\",provider=\"other\","
	                  "code_class=\"2xx\"}") >= 44);
	/* a known pair still counts under its own name */
	double before = value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"2xx\"}");
	chat("m/a", "p", 200, false);
	assert_true(value("switchyard_dp_chat_requests_total{" PAIR ",code_class=\"2xx\"}") ==
	            before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chat_is_counted),
	    cmocka_unit_test(test_workers_are_summed),
	    cmocka_unit_test(test_streams_gauge_follows_settled_streams),
	    cmocka_unit_test(test_unrouted_requests_count_under_none),
	    cmocka_unit_test(test_attempt_errors_and_retries),
	    cmocka_unit_test(test_access_line),
	    cmocka_unit_test(test_overhead_clock_excludes_waits),
	    cmocka_unit_test(test_labels_are_bounded),
	};
	if (dp_metrics_init(2))
		return 1;
	sy_log_level = SY_LOG_WARN; /* access lines only where a test reads them */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
