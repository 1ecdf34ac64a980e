/* dp_ratelease_test.c - a worker's rate tokens: asking, waiting, using what it holds, the
 * exhausted window's 429, the fallback when the controlplane does not answer, tpm's
 * settlement. The controlplane is faked by the send function (asks recorded, grants handed to
 * dp_ratelease_on_message). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_loop.h"
#include "dp_ratelease.h"
#include "sy_clock.h"
#include "sy_msg.h"

#define HASH "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define ORG "org_rate"

struct env {
	struct dp_loop *loop;
	struct dp_ratelease *r;
	Sy__ApiKey key;
	Sy__Org org;
	/* the fake controlplane */
	int asks, returns;
	uint64_t last_id;
	char last_counter[96];
	int64_t last_window;
	uint32_t last_want, last_limit, returned, overdrawn;
	/* admission callbacks */
	int called;
	int last_status;
};

static int fake_send(void *arg, const Sy__Envelope *env)
{
	struct env *e = arg;
	if (env->body_case == SY__ENVELOPE__BODY_RATELEASE_REQUEST) {
		const Sy__RateleaseRequest *rq = env->ratelease_request;
		e->asks++;
		e->last_id = rq->request_id;
		snprintf(e->last_counter, sizeof(e->last_counter), "%s", rq->counter);
		e->last_window = rq->window_start;
		e->last_want = rq->want;
		e->last_limit = rq->limit;
	} else if (env->body_case == SY__ENVELOPE__BODY_RATELEASE_RETURN) {
		e->returns++;
		e->returned += env->ratelease_return->amount;
		e->overdrawn += env->ratelease_return->overdrawn;
	}
	return 0;
}

static void grant(struct env *e, uint32_t n, bool exhausted)
{
	Sy__RateleaseGrant g = SY__RATELEASE_GRANT__INIT;
	g.request_id = e->last_id;
	g.counter = e->last_counter;
	g.window_start = e->last_window;
	g.granted = n;
	g.exhausted = g.has_exhausted = exhausted;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_RATELEASE_GRANT;
	env.ratelease_grant = &g;
	dp_ratelease_on_message(&env, e->r);
}

static void stop_fn(struct dp_loop *loop, void *arg)
{
	(void)arg;
	dp_loop_stop(loop);
}

/* Run the loop for ms. */
static void pump(struct env *e, int ms)
{
	assert_non_null(dp_timer_add(e->loop, ms, stop_fn, NULL));
	assert_int_equal(dp_loop_run(e->loop), 0);
}

static void on_admit(struct dp_admission *a, void *arg)
{
	struct env *e = arg;
	e->called++;
	e->last_status = a->status;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	assert_non_null(e->loop = dp_loop_new());
	struct dp_ratelease_config cfg = {
	    .send = fake_send, .send_arg = e, .cluster_workers = 2, .wait_ms = 100};
	assert_non_null(e->r = dp_ratelease_new(e->loop, &cfg));
	sy__api_key__init(&e->key);
	e->key.hash = HASH;
	e->key.org_id = ORG;
	sy__org__init(&e->org);
	e->org.id = ORG;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	dp_ratelease_free(&e->r);
	dp_loop_free(&e->loop);
	free(e);
	return 0;
}

static struct dp_admit_req req(struct env *e, bool free_model)
{
	return (struct dp_admit_req){.org = &e->org, .key = &e->key, .free_model = free_model};
}

static void chunk_and_limits(void **state)
{
	struct env *e = *state;
	assert_int_equal(dp_ratelease_chunk(10, 6), 1);
	assert_int_equal(dp_ratelease_chunk(6000, 6), 62);
	assert_int_equal(dp_ratelease_chunk(100, 0), 6);
	struct dp_rate_limit ls[DP_RATE_LIMITS_MAX];
	struct dp_admit_req rq = req(e, false);
	assert_int_equal(dp_ratelease_limits(&rq, ls), 0);
	e->key.rpm = 7, e->key.has_rpm = true;
	e->key.rpd = 9, e->key.has_rpd = true;
	e->key.tpm = 1000, e->key.has_tpm = true;
	rq = req(e, true);
	assert_int_equal(dp_ratelease_limits(&rq, ls), 5);
	const char *kinds[] = {"rpm", "rpd", "fpm", "fpd", "tpm"};
	const uint32_t limits[] = {7, 9, 20, 50, 1000};
	for (int i = 0; i < 5; i++) {
		assert_string_equal(ls[i].kind, kinds[i]);
		assert_int_equal(ls[i].limit, limits[i]);
		assert_int_equal(ls[i].tokens, i == 4);
		assert_string_equal(ls[i].id, i == 3 ? ORG : HASH);
	}
	assert_int_equal(ls[1].window_s, 86400);
}

static void waits_for_tokens_then_uses_them(void **state)
{
	struct env *e = *state;
	e->key.rpm = 320, e->key.has_rpm = true; /* chunk: 320 / (16 x 2) = 10 */
	struct dp_admit_req rq = req(e, false);
	struct dp_admission a = {0};
	struct dp_rate_wait w = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w, &a, &rq, on_admit, e), DP_ADMIT_WAIT);
	assert_int_equal(e->asks, 1);
	assert_string_equal(e->last_counter, "rpm:" HASH);
	int64_t now = sy_unix_s();
	assert_int_equal(e->last_window, now - now % 60);
	assert_int_equal(e->last_want, 10);
	assert_int_equal(e->last_limit, 320);
	grant(e, 10, false);
	pump(e, 10);
	assert_int_equal(e->called, 1);
	assert_int_equal(e->last_status, 0);
	assert_true(w.leased);
	assert_int_equal(dp_ratelease_held(e->r, "rpm", HASH, 60), 9);
	/* the next ones need no round trip; at a quarter of a chunk left it asks ahead */
	for (int i = 0; i < 7; i++) {
		struct dp_rate_wait w2 = {0};
		assert_int_equal(dp_ratelease_admit(e->r, &w2, &a, &rq, on_admit, e), DP_ADMIT_OK);
		assert_true(w2.leased);
	}
	assert_int_equal(dp_ratelease_held(e->r, "rpm", HASH, 60), 2);
	assert_int_equal(e->asks, 2);
	/* freeing gives back what is held */
	dp_ratelease_free(&e->r);
	assert_int_equal(e->returned, 2);
}

static void exhausted_window_refuses(void **state)
{
	struct env *e = *state;
	e->key.rpm = 3, e->key.has_rpm = true;
	struct dp_admit_req rq = req(e, false);
	struct dp_admission a = {0};
	struct dp_rate_wait w = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w, &a, &rq, on_admit, e), DP_ADMIT_WAIT);
	grant(e, 0, true); /* the other workers took the window */
	pump(e, 10);
	assert_int_equal(e->called, 1);
	assert_int_equal(e->last_status, 429);
	assert_true(a.rate_limited);
	assert_int_equal(a.rate.limit, 3);
	assert_int_equal(a.rate.remaining, 0);
	int64_t now = sy_unix_s();
	assert_int_equal(a.rate.reset_ms, (now - now % 60 + 60) * 1000);
	assert_non_null(strstr(a.message, "3 requests per minute"));
	/* refused locally now, without asking */
	struct dp_admission a2 = {0};
	struct dp_rate_wait w2 = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w2, &a2, &rq, on_admit, e), DP_ADMIT_REFUSED);
	assert_int_equal(a2.status, 429);
	assert_int_equal(e->asks, 1);
	/* a changed limit asks again */
	e->key.rpm = 4;
	struct dp_rate_wait w3 = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w3, &a2, &rq, on_admit, e), DP_ADMIT_WAIT);
	assert_int_equal(e->asks, 2);
	dp_ratelease_cancel(&w3);
	pump(e, 10);
	assert_int_equal(e->called, 1); /* cancelled: no callback */
}

static void no_answer_falls_back_to_the_local_share(void **state)
{
	struct env *e = *state;
	e->key.rpd = 5, e->key.has_rpd = true;
	struct dp_admit_req rq = req(e, false);
	struct dp_admission a = {0};
	struct dp_rate_wait w = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w, &a, &rq, on_admit, e), DP_ADMIT_WAIT);
	pump(e, 60);
	assert_int_equal(e->called, 0);
	assert_true(e->asks >= 1); /* asked, and resent */
	pump(e, 100);
	assert_int_equal(e->called, 1);
	assert_int_equal(e->last_status, 0);
	assert_false(w.leased); /* dp_money's share decides */
	/* on the fallback for a while: no waiting */
	struct dp_rate_wait w2 = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w2, &a, &rq, on_admit, e), DP_ADMIT_OK);
	assert_false(w2.leased);
	/* a late grant ends the fallback */
	grant(e, 1, false);
	struct dp_rate_wait w3 = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w3, &a, &rq, on_admit, e), DP_ADMIT_OK);
	assert_true(w3.leased);
}

static void tpm_settles_the_tokens_used(void **state)
{
	struct env *e = *state;
	e->key.tpm = 100, e->key.has_tpm = true; /* chunk 3 */
	struct dp_admit_req rq = req(e, false);
	struct dp_admission a = {0};
	struct dp_rate_wait w = {0};
	assert_int_equal(dp_ratelease_admit(e->r, &w, &a, &rq, on_admit, e), DP_ADMIT_WAIT);
	assert_string_equal(e->last_counter, "tpm:" HASH);
	grant(e, 3, false);
	pump(e, 10);
	assert_int_equal(e->last_status, 0);
	assert_true(w.leased);
	assert_int_equal(dp_ratelease_held(e->r, "tpm", HASH, 60), 2);
	/* 20 tokens used: 1 at admission, 2 held, 17 beyond them */
	dp_ratelease_settle(&w, 20);
	assert_int_equal(dp_ratelease_held(e->r, "tpm", HASH, 60), 0);
	assert_int_equal(e->overdrawn, 17);
	dp_ratelease_settle(&w, 20); /* idempotent */
	assert_int_equal(e->overdrawn, 17);
	/* a request without tpm settles nothing */
	struct dp_rate_wait none = {0};
	dp_ratelease_settle(&none, 50);
	assert_int_equal(e->returns, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(chunk_and_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(waits_for_tokens_then_uses_them, setup, teardown),
	    cmocka_unit_test_setup_teardown(exhausted_window_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(no_answer_falls_back_to_the_local_share, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(tpm_settles_the_tokens_used, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
