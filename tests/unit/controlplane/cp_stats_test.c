/* cp_stats_test.c - endpoint stats: windows, percentiles, uptime, degraded, publishing only
 * what changed, snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_stats.h"

#define T0 1800000000LL /* a minute boundary (divisible by 60) */
#define MIN 60

/* A usage record under construction: up to 4 attempts. */
struct rec {
	Sy__UsageRecord r;
	Sy__Attempt a[4];
	Sy__Attempt *ap[4];
};

/* A record of a request served (status 200) by model/provider after the failed attempts in
 * fails ("provider:class:latency_ms", NULL-terminated). */
static Sy__UsageRecord *served(struct rec *x, const char *model, const char *provider,
                               bool streamed, uint32_t ttft, uint32_t gen_ms, uint32_t tokens,
                               const char *const *fails)
{
	sy__usage_record__init(&x->r);
	x->r.id = (char *)"gen-1";
	x->r.model = (char *)model;
	x->r.provider = (char *)provider;
	x->r.has_status = x->r.has_streamed = x->r.has_ttft_ms = true;
	x->r.status = 200;
	x->r.streamed = streamed;
	x->r.ttft_ms = ttft;
	x->r.has_generation_time_ms = x->r.has_completion_tokens = true;
	x->r.generation_time_ms = gen_ms;
	x->r.completion_tokens = tokens;
	x->r.has_created_at = true;
	x->r.created_at = T0;
	size_t n = 0;
	static char buf[4][3][32];
	for (; fails && fails[n]; n++) {
		sscanf(fails[n], "%31[^:]:%31[^:]:%31s", buf[n][0], buf[n][1], buf[n][2]);
		sy__attempt__init(&x->a[n]);
		x->a[n].provider = buf[n][0];
		x->a[n].model = (char *)model;
		x->a[n].error_class = buf[n][1];
		x->a[n].has_latency_ms = true;
		x->a[n].latency_ms = (uint32_t)atoi(buf[n][2]);
	}
	sy__attempt__init(&x->a[n]);
	x->a[n].provider = (char *)provider;
	x->a[n].error_class = (char *)""; /* the model comes from the record */
	x->a[n].has_latency_ms = true;
	x->a[n].latency_ms = ttft + gen_ms;
	for (size_t i = 0; i <= n; i++)
		x->ap[i] = &x->a[i];
	x->r.attempts = x->ap;
	x->r.n_attempts = n + 1;
	return &x->r;
}

/* What fn saw: the last published stats of up to 8 models. */
struct seen {
	int calls;
	int fail; /* return this from fn */
	char model[8][64];
	Sy__EndpointStats *st[8];
	int n;
};

static int collect(const Sy__EndpointStats *st, void *arg)
{
	struct seen *s = arg;
	s->calls++;
	if (s->fail)
		return s->fail;
	assert_true(s->n < 8);
	size_t len = sy__endpoint_stats__get_packed_size(st);
	uint8_t *buf = malloc(len);
	sy__endpoint_stats__pack(st, buf);
	snprintf(s->model[s->n], sizeof(s->model[0]), "%s", st->model);
	s->st[s->n++] = sy__endpoint_stats__unpack(NULL, len, buf);
	free(buf);
	return 0;
}

static void seen_clear(struct seen *s)
{
	for (int i = 0; i < s->n; i++)
		sy__endpoint_stats__free_unpacked(s->st[i], NULL);
	memset(s, 0, sizeof(*s));
}

static const Sy__EndpointStat *find(const struct seen *s, const char *model, const char *prov)
{
	for (int i = 0; i < s->n; i++)
		for (size_t k = 0; !strcmp(s->model[i], model) && k < s->st[i]->n_endpoints; k++)
			if (!strcmp(s->st[i]->endpoints[k]->provider, prov))
				return s->st[i]->endpoints[k];
	return NULL;
}

/* Usage example: records in, published percentiles and uptime out, once. */
static void test_usage_example(void **state)
{
	struct cp_stats *s = cp_stats_new();
	struct rec x;
	struct seen seen = {0};
	/* five streams: 100..500 ms to the first token, 10 tokens in 0.5 s = 20 tokens/s */
	for (uint32_t i = 1; i <= 5; i++)
		cp_stats_add(s, served(&x, "a/m", "p", true, 100 * i, 500, 10, NULL), T0);
	assert_int_equal(cp_stats_publish(s, T0, collect, &seen), 0);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.model[0], "a/m");
	assert_int_equal(seen.st[0]->updated_at, T0);
	const Sy__EndpointStat *st = find(&seen, "a/m", "p");
	assert_non_null(st);
	assert_non_null(st->latency_ms);
	assert_true(st->latency_ms->p50 == 300 && st->latency_ms->p75 == 400);
	assert_true(st->latency_ms->p90 == 500 && st->latency_ms->p99 == 500);
	assert_true(st->throughput->p50 == 20 && st->throughput->p99 == 20);
	assert_true(st->has_uptime_30m && st->uptime_30m == 100);
	assert_int_equal(st->attempts_30m, 5);
	assert_true(st->has_degraded && !st->degraded);
	/* nothing changed: nothing published */
	seen_clear(&seen);
	assert_int_equal(cp_stats_publish(s, T0 + 5, collect, &seen), 0);
	assert_int_equal(seen.calls, 0);
	cp_stats_free(&s);
	assert_null(s);
	cp_stats_free(&s); /* idempotent */
}

/* Fail-over: the failed attempt counts against its provider, and its time is not the
 * serving provider's latency; rate limits and client errors do not count. */
static void test_attempts_and_classes(void **state)
{
	struct cp_stats *s = cp_stats_new();
	struct rec x;
	struct seen seen = {0};
	const char *const fails[] = {"bad:http_5xx:700", "slow:rate_limited:5", NULL};
	cp_stats_add(s, served(&x, "a/m", "good", true, 1000, 100, 5, fails), T0);
	const char *const client[] = {"bad:client_error:3", "bad:cancelled:3", NULL};
	cp_stats_add(s, served(&x, "a/m", "good", true, 200, 100, 5, client), T0);
	assert_int_equal(cp_stats_publish(s, T0, collect, &seen), 0);
	const Sy__EndpointStat *bad = find(&seen, "a/m", "bad");
	const Sy__EndpointStat *good = find(&seen, "a/m", "good");
	assert_non_null(bad);
	assert_non_null(good);
	assert_null(find(&seen, "a/m", "slow")); /* a 429 says nothing about uptime */
	assert_true(bad->uptime_30m == 0 && bad->attempts_30m == 1);
	assert_null(bad->latency_ms);
	assert_true(good->uptime_30m == 100 && good->attempts_30m == 2);
	/* 1000 ms from the request, 705 of them spent on the failed attempts; 200 - 6 */
	assert_true(good->latency_ms->p50 == 194 && good->latency_ms->p99 == 295);
	assert_true(cp_stats_is_fault("stream_cut") && cp_stats_is_fault("connect"));
	assert_false(cp_stats_is_fault("rate_limited") || cp_stats_is_fault("context_length"));
	assert_false(cp_stats_is_fault(NULL) || cp_stats_is_fault(""));
	seen_clear(&seen);
	cp_stats_free(&s);
}

/* Speed comes from streams only; failed requests give none. */
static void test_speed_from_streams_only(void **state)
{
	struct cp_stats *s = cp_stats_new();
	struct rec x;
	struct seen seen = {0};
	cp_stats_add(s, served(&x, "a/m", "p", false, 900, 900, 50, NULL), T0);
	Sy__UsageRecord *r = served(&x, "a/m", "p", true, 50, 100, 10, NULL);
	r->status = 502;
	r->error_class = (char *)"stream_cut";
	cp_stats_add(s, r, T0);
	assert_int_equal(cp_stats_publish(s, T0, collect, &seen), 0);
	const Sy__EndpointStat *st = find(&seen, "a/m", "p");
	assert_non_null(st);
	assert_null(st->latency_ms);
	assert_null(st->throughput);
	assert_int_equal(st->attempts_30m, 2);
	seen_clear(&seen);
	cp_stats_free(&s);
}

static void add_faults(struct cp_stats *s, int n, int64_t now)
{
	struct rec x;
	for (int i = 0; i < n; i++) {
		Sy__UsageRecord *r = served(&x, "a/m", "p", false, 1, 1, 1, NULL);
		r->status = 502;
		r->error_class = (char *)"http_5xx";
		x.a[0].error_class = (char *)"http_5xx";
		r->created_at = now;
		cp_stats_add(s, r, now);
	}
}

/* Degraded: 5-minute uptime below 50% over at least CP_STATS_DEGRADED_MIN attempts; it
 * recovers when the failures leave the recent window. */
static void test_degraded(void **state)
{
	struct cp_stats *s = cp_stats_new();
	struct seen seen = {0};
	add_faults(s, CP_STATS_DEGRADED_MIN - 1, T0);
	assert_int_equal(cp_stats_publish(s, T0, collect, &seen), 0);
	assert_false(find(&seen, "a/m", "p")->degraded); /* too few attempts to judge */
	seen_clear(&seen);
	add_faults(s, 1, T0 + 10);
	assert_int_equal(cp_stats_publish(s, T0 + 10, collect, &seen), 0);
	assert_int_equal(seen.calls, 1);
	const Sy__EndpointStat *st = find(&seen, "a/m", "p");
	assert_true(st->degraded && st->uptime_5m == 0 && st->attempts_5m == 5);
	seen_clear(&seen);
	/* successes now, but the failures are still recent */
	struct rec x;
	for (int i = 0; i < 4; i++)
		cp_stats_add(s, served(&x, "a/m", "p", false, 1, 1, 1, NULL), T0 + 2 * MIN);
	assert_int_equal(cp_stats_publish(s, T0 + 2 * MIN, collect, &seen), 0);
	st = find(&seen, "a/m", "p");
	assert_true(st->degraded && st->attempts_5m == 9);
	seen_clear(&seen);
	/* five minutes on, only the successes are recent; the 30-minute uptime still counts all */
	assert_int_equal(cp_stats_publish(s, T0 + 5 * MIN, collect, &seen), 0);
	st = find(&seen, "a/m", "p");
	assert_false(st->degraded);
	assert_true(st->uptime_5m == 100 && st->attempts_5m == 4);
	assert_true(st->attempts_30m == 9 && st->uptime_30m > 44 && st->uptime_30m < 45);
	seen_clear(&seen);
	cp_stats_free(&s);
}

/* Stats age out of the 30-minute window: the model is cleared once, then forgotten. Records
 * created before the window are not counted at all. */
static void test_window_and_clearing(void **state)
{
	struct cp_stats *s = cp_stats_new();
	struct rec x;
	struct seen seen = {0};
	cp_stats_add(s, served(&x, "a/m", "p", true, 100, 100, 10, NULL), T0);
	cp_stats_add(s, served(&x, "b/m", "p", true, 100, 100, 10, NULL), T0 + 20 * MIN);
	Sy__UsageRecord *old = served(&x, "c/m", "p", true, 100, 100, 10, NULL);
	old->created_at = T0 - 31 * MIN;
	cp_stats_add(s, old, T0);
	assert_int_equal(cp_stats_publish(s, T0 + 20 * MIN, collect, &seen), 0);
	assert_int_equal(seen.calls, 2);
	assert_null(find(&seen, "c/m", "p"));
	seen_clear(&seen);

	/* a/m's minute left the window; b/m's left the recent one */
	assert_int_equal(cp_stats_publish(s, T0 + 30 * MIN, collect, &seen), 0);
	assert_int_equal(seen.calls, 2);
	assert_string_equal(seen.model[0], "a/m");
	assert_int_equal(seen.st[0]->n_endpoints, 0);
	const Sy__EndpointStat *b = find(&seen, "b/m", "p");
	assert_true(b->has_uptime_30m && !b->has_uptime_5m && !b->has_degraded);
	seen_clear(&seen);
	assert_int_equal(cp_stats_publish(s, T0 + 31 * MIN, collect, &seen), 0);
	assert_int_equal(seen.calls, 0); /* said once */

	/* a snapshot replays what was published, models without stats left out */
	assert_int_equal(cp_stats_each(s, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.model[0], "b/m");
	assert_int_equal(seen.st[0]->updated_at, T0 + 30 * MIN);
	assert_non_null(find(&seen, "b/m", "p")->latency_ms);
	seen_clear(&seen);
	cp_stats_free(&s);
}

/* A publication the callback refuses (a dropped PUB send) is tried again. */
static void test_refused_publication_retried(void **state)
{
	struct cp_stats *s = cp_stats_new();
	struct rec x;
	struct seen seen = {.fail = -11};
	cp_stats_add(s, served(&x, "a/m", "p", true, 100, 100, 10, NULL), T0);
	assert_int_equal(cp_stats_publish(s, T0, collect, &seen), -11);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(cp_stats_each(s, collect, &seen), 0);
	assert_int_equal(seen.calls, 1); /* nothing published yet, nothing to replay */
	seen_clear(&seen);
	assert_int_equal(cp_stats_publish(s, T0 + 1, collect, &seen), 0);
	assert_int_equal(seen.calls, 1);
	assert_non_null(find(&seen, "a/m", "p"));
	seen_clear(&seen);
	/* a change from the window moving (the 5-minute figures leave), refused, then retried
	 * within the same minute */
	seen.fail = -11;
	assert_int_equal(cp_stats_publish(s, T0 + 5 * MIN, collect, &seen), -11);
	seen_clear(&seen);
	assert_int_equal(cp_stats_publish(s, T0 + 5 * MIN + 1, collect, &seen), 0);
	assert_int_equal(seen.calls, 1);
	assert_false(find(&seen, "a/m", "p")->has_uptime_5m);
	seen_clear(&seen);
	/* nothing new within a minute: nothing recomputed, nothing published */
	assert_int_equal(cp_stats_publish(s, T0 + 5 * MIN + 2, collect, &seen), 0);
	assert_int_equal(seen.calls, 0);
	cp_stats_free(&s);
}

/* A busy minute keeps a sample of its values; percentiles weigh minutes by their traffic. */
static void test_reservoir_weights(void **state)
{
	struct cp_stats *s = cp_stats_new();
	struct rec x;
	struct seen seen = {0};
	/* minute 1: 1000 requests at 100 ms; minute 2: 20 at 1000 ms */
	for (int i = 0; i < 1000; i++)
		cp_stats_add(s, served(&x, "a/m", "p", true, 100, 100, 10, NULL), T0);
	for (int i = 0; i < 20; i++)
		cp_stats_add(s, served(&x, "a/m", "p", true, 1000, 100, 10, NULL), T0 + MIN);
	assert_int_equal(cp_stats_publish(s, T0 + MIN, collect, &seen), 0);
	const Sy__EndpointStat *st = find(&seen, "a/m", "p");
	assert_true(st->latency_ms->p50 == 100 && st->latency_ms->p90 == 100);
	assert_true(st->latency_ms->p99 == 1000); /* 2% of the traffic */
	assert_int_equal(st->attempts_30m, 1020);
	seen_clear(&seen);
	cp_stats_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage_example),
	    cmocka_unit_test(test_attempts_and_classes),
	    cmocka_unit_test(test_speed_from_streams_only),
	    cmocka_unit_test(test_degraded),
	    cmocka_unit_test(test_window_and_clearing),
	    cmocka_unit_test(test_refused_publication_retried),
	    cmocka_unit_test(test_reservoir_weights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
