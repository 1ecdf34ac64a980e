/* dp_money_test.c - a worker's leases, reservations and rate limits against an in-process
 * fake controlplane (a real ZeroMQ ROUTER on 127.0.0.1 behind a real dp_usage channel). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "dp_loop.h"
#include "dp_money.h"
#include "dp_usage.h"
#include "sy_clock.h"
#include "sy_msg.h"

#define HASH "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ORG "org_money"

/* The controlplane's side: answers each LeaseRequest with the next scripted answer. */
struct fake_cp {
	void *router;
	char endpoint[64];
	bool silent;              /* never answer */
	sy_money grant;           /* granted per request: min(want, grant) */
	const char *refuse;       /* refusal reason instead of a grant */
	Sy__LeaseRefusal refusal; /* the same as the enum (NONE: not sent) */
	const char *period;
	int requests; /* LeaseRequests seen (renewals included) */
	sy_money last_want, last_need;
	sy_money granted;  /* sum of grants */
	sy_money returned; /* sum of LeaseReturn amounts */
	int closes;
};

struct env {
	void *zctx;
	struct dp_loop *loop;
	char dir[64];
	struct fake_cp cp;
	struct dp_usage *u;
	struct dp_money *m;
	Sy__Org org;
	Sy__ApiKey key;
	int called; /* admission callbacks */
};

static void cp_handle(struct fake_cp *cp, const void *ident, size_t il, Sy__Envelope *in)
{
	if (in->body_case == SY__ENVELOPE__BODY_LEASE_RETURN) {
		cp->returned += in->lease_return->amount;
		cp->closes += in->lease_return->close;
		return;
	}
	if (in->body_case != SY__ENVELOPE__BODY_LEASE_REQUEST)
		return;
	const Sy__LeaseRequest *rq = in->lease_request;
	cp->requests++;
	cp->last_want = rq->want;
	cp->last_need = rq->need;
	if (cp->silent)
		return;
	Sy__LeaseGrant g = SY__LEASE_GRANT__INIT;
	g.request_id = rq->request_id;
	g.lease_id = rq->lease_id;
	g.has_granted = g.has_ttl_ms = true;
	g.ttl_ms = 30000;
	if ((cp->refuse || cp->refusal) && rq->want) {
		g.refused = g.has_refused = true;
		g.reason = (char *)cp->refuse;
		g.refusal = cp->refusal;
		g.has_refusal = cp->refusal != SY__LEASE_REFUSAL__LEASE_REFUSAL_NONE;
		g.period = (char *)cp->period;
	} else {
		g.granted = rq->want < cp->grant ? rq->want : cp->grant;
		cp->granted += g.granted;
	}
	Sy__Envelope out;
	sy_env_init(&out);
	out.body_case = SY__ENVELOPE__BODY_LEASE_GRANT;
	out.lease_grant = &g;
	assert_int_equal(sy_zsend_env(cp->router, ident, il, &out, 0), 0);
}

#include "dp_test_cp.h"

static bool called_once(struct env *e)
{
	return e->called == 1;
}

/* A money state on the test's usage channel. */
static struct dp_money *money_new(struct env *e, int cluster_workers)
{
	struct dp_money_config cfg = {.link = dp_usage_link(e->u),
	                              .cluster_workers = cluster_workers,
	                              .lease_wait_ms = 300,
	                              .worker_tag = "t"};
	struct dp_money *m = dp_money_new(e->loop, &cfg);
	assert_non_null(m);
	return m;
}

static void money_free(struct env *e)
{
	dp_money_free(&e->m);
}

static void on_admit(struct dp_admission *a, void *arg)
{
	struct env *e = arg;
	e->called++;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->zctx = zmq_ctx_new();
	e->loop = dp_loop_new();
	snprintf(e->dir, sizeof(e->dir), "/tmp/dp-money-test-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	assert_non_null(e->u);
	e->m = money_new(e, 1);
	sy__org__init(&e->org);
	e->org.id = ORG;
	e->org.name = "money";
	e->org.credits = e->org.has_credits = 100;
	sy__api_key__init(&e->key);
	e->key.hash = HASH;
	e->key.org_id = ORG;
	e->cp.grant = 1000;
	/* the DEALER connects in the background: give it a moment */
	run_until(e, NULL, 50);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	money_free(e);
	dp_usage_free(&e->u);
	zmq_close(e->cp.router);
	zmq_ctx_term(e->zctx);
	dp_loop_free(&e->loop);
	char path[128];
	snprintf(path, sizeof(path), "%s/usage-0.spool", e->dir);
	unlink(path);
	rmdir(e->dir);
	free(e);
	return 0;
}

static enum dp_admit_result admit(struct env *e, struct dp_admission *a, sy_money reserve,
                                  bool free_model)
{
	memset(a, 0, sizeof(*a));
	struct dp_admit_req rq = {&e->org, &e->key, reserve, free_model};
	return dp_money_admit(e->m, a, &rq, on_admit, e);
}

/* Usage example: the first request waits for a lease; later ones reserve locally, and
 * settling gives back what a request did not spend. */
static void test_lease_then_local_reservations(void **state)
{
	struct env *e = *state;
	struct dp_admission a, b;
	assert_int_equal(admit(e, &a, 100, false), DP_ADMIT_WAIT);
	assert_true(run_until(e, called_once, 2000));
	assert_int_equal(a.status, 0);
	assert_int_equal(a.reserved, 100);
	assert_string_not_equal(a.lease_id, "");
	assert_int_equal(e->cp.requests, 1);
	assert_int_equal(e->cp.last_need, 100);
	assert_true(e->cp.last_want > 100); /* slack for the requests to come */
	sy_money g = e->cp.granted;
	assert_int_equal(g, e->cp.last_want);
	struct dp_lease *l = dp_money_lease(e->m, HASH);
	assert_non_null(l);
	assert_int_equal(dp_lease_available(l), g - 100);

	/* covered by the lease: admitted at once, no round trip */
	assert_int_equal(admit(e, &b, 300, false), DP_ADMIT_OK);
	assert_int_equal(dp_lease_available(l), g - 400);
	assert_int_equal(e->cp.requests, 1);

	/* running low (less than 4 of the last worst case left): the lease asks ahead, needing
	 * nothing, for more than is in flight */
	run_until(e, NULL, 100);
	assert_int_equal(e->cp.requests, 2);
	assert_int_equal(e->cp.last_need, 0);
	assert_true(e->cp.last_want >= 400 + 8 * 300);
	g = e->cp.granted;
	assert_int_equal(dp_lease_available(l), g - 400);

	/* a settles at 60 of its 100: 40 come back; b fails upstream: all of it comes back */
	dp_money_settle(&a, 60);
	assert_int_equal(dp_lease_available(l), g - 60 - 300);
	dp_money_settle(&b, 0);
	dp_money_settle(&b, 0); /* idempotent */
	assert_int_equal(dp_lease_available(l), g - 60);
}

/* A refusal answers every waiter it covers with its reason, and later ones locally. */
static void test_refusals(void **state)
{
	struct env *e = *state;
	struct dp_admission a, b;
	e->cp.refuse = "budget";
	e->cp.period = "monthly";
	assert_int_equal(admit(e, &a, 100, false), DP_ADMIT_WAIT);
	assert_true(run_until(e, called_once, 2000));
	assert_int_equal(a.status, 403);
	assert_string_equal(a.budget, "monthly");
	assert_non_null(strstr(a.message, "monthly budget"));
	assert_int_equal(a.reserved, 0);
	dp_money_settle(&a, 0); /* nothing reserved: nothing happens */
	/* asked again within the refusal's window: answered without the controlplane */
	int before = e->cp.requests;
	assert_int_equal(admit(e, &b, 100, false), DP_ADMIT_REFUSED);
	assert_int_equal(b.status, 403);
	assert_int_equal(e->cp.requests, before);

	e->cp.refuse = "key_limit";
	run_until(e, NULL, 300);
	e->called = 0;
	assert_int_equal(admit(e, &b, 100, false), DP_ADMIT_WAIT);
	assert_true(run_until(e, called_once, 2000));
	assert_int_equal(b.status, 402);
	assert_string_equal(b.error_type, "key_limit_exceeded");
}

/* A refusal carried by LeaseGrant.refusal alone (no reason string) reads the same. */
static void test_refusal_enum(void **state)
{
	struct env *e = *state;
	struct dp_admission a;
	e->cp.refusal = SY__LEASE_REFUSAL__LEASE_REFUSAL_KEY_LIMIT;
	assert_int_equal(admit(e, &a, 100, false), DP_ADMIT_WAIT);
	assert_true(run_until(e, called_once, 2000));
	assert_int_equal(a.status, 402);
	assert_string_equal(a.error_type, "key_limit_exceeded");
}

/* No answer within lease_wait_ms: 503, and the waiter is gone from the queue. */
static void test_no_answer(void **state)
{
	struct env *e = *state;
	struct dp_admission a;
	e->cp.silent = true;
	assert_int_equal(admit(e, &a, 100, false), DP_ADMIT_WAIT);
	assert_true(run_until(e, called_once, 2000));
	assert_int_equal(a.status, 503);
	assert_string_equal(a.error_type, "credits_unavailable");
	assert_true(e->cp.requests >= 1);
}

/* A client that leaves while waiting is forgotten; what its grant brought stays usable. */
static void test_cancel_while_waiting(void **state)
{
	struct env *e = *state;
	struct dp_admission a, b;
	assert_int_equal(admit(e, &a, 100, false), DP_ADMIT_WAIT);
	dp_money_cancel(&a);
	run_until(e, NULL, 100);
	assert_int_equal(e->called, 0);
	struct dp_lease *l = dp_money_lease(e->m, HASH);
	assert_int_equal(dp_lease_available(l), e->cp.granted);
	assert_int_equal(admit(e, &b, 100, false), DP_ADMIT_OK);
	dp_money_settle(&b, 100);
	assert_int_equal(dp_lease_available(l), e->cp.granted - 100);
}

/* A prepaid org without a positive settled balance gets 402 even for free models;
 * postpaid orgs are not checked. */
static void test_balance_gate(void **state)
{
	struct env *e = *state;
	struct dp_admission a;
	e->org.debits_posted = e->org.has_debits_posted = 100;
	assert_int_equal(admit(e, &a, 0, true), DP_ADMIT_REFUSED);
	assert_int_equal(a.status, 402);
	assert_string_equal(a.error_type, "insufficient_credits");
	e->org.postpaid = e->org.has_postpaid = true;
	assert_int_equal(admit(e, &a, 0, true), DP_ADMIT_OK);
	assert_int_equal(e->cp.requests, 0); /* free: no lease needed */
}

/* Rate limits: each worker allows its share; the 429 carries the window. */
static void test_rate_limits(void **state)
{
	struct env *e = *state;
	struct dp_admission a;
	e->key.rpm = 3;
	e->key.has_rpm = true;
	for (int i = 0; i < 3; i++)
		assert_int_equal(admit(e, &a, 0, false), DP_ADMIT_OK);
	int64_t now = sy_unix_s();
	assert_int_equal(admit(e, &a, 0, false), DP_ADMIT_REFUSED);
	assert_int_equal(a.status, 429);
	assert_true(a.rate_limited);
	assert_int_equal(a.rate.limit, 3);
	assert_int_equal(a.rate.remaining, 0);
	assert_true(a.rate.reset_ms > now * 1000 && a.rate.reset_ms <= (now + 61) * 1000);
	assert_true(a.rate.retry_s >= 1 && a.rate.retry_s <= 60);
	assert_non_null(strstr(a.message, "3 requests per minute"));

	/* :free models: 20 a minute per key */
	e->key.has_rpm = false;
	e->key.hash = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
	for (int i = 0; i < DP_FREE_PER_MINUTE; i++)
		assert_int_equal(admit(e, &a, 0, true), DP_ADMIT_OK);
	assert_int_equal(admit(e, &a, 0, true), DP_ADMIT_REFUSED);
	assert_int_equal(a.rate.limit, DP_FREE_PER_MINUTE);
	assert_int_equal(admit(e, &a, 0, false), DP_ADMIT_OK); /* paid models are not limited */
}

/* A worker's share of a limit shared by several. */
static void test_rate_share(void **state)
{
	struct env *e = *state;
	money_free(e);
	e->m = money_new(e, 4);
	struct dp_admission a;
	e->key.rpd = 10;
	e->key.has_rpd = true;
	for (int i = 0; i < 3; i++) /* ceil(10 / 4) */
		assert_int_equal(admit(e, &a, 0, false), DP_ADMIT_OK);
	assert_int_equal(admit(e, &a, 0, false), DP_ADMIT_REFUSED);
	assert_int_equal(a.rate.limit, 10);
	assert_non_null(strstr(a.message, "per day"));
}

/* Leases are returned when the worker stops. */
static void test_free_returns_leases(void **state)
{
	struct env *e = *state;
	struct dp_admission a;
	assert_int_equal(admit(e, &a, 100, false), DP_ADMIT_WAIT);
	assert_true(run_until(e, called_once, 2000));
	dp_money_settle(&a, 30);
	money_free(e);
	run_until(e, NULL, 100);
	assert_int_equal(e->cp.returned, e->cp.granted - 30);
	assert_int_equal(e->cp.closes, 1);
}

/* The worst case over a plan: the dearest target, completion capped. */
static void test_worst_case(void **state)
{
	Sy__Endpoint ep1 = SY__ENDPOINT__INIT, ep2 = SY__ENDPOINT__INIT;
	ep2.max_completion_tokens = 50;
	ep2.has_max_completion_tokens = true;
	struct dp_route_plan plan = {.n = 2};
	plan.t[0] = (struct dp_route_target){.ep = &ep1, .price = {.prompt = 1, .completion = 2}};
	plan.t[1] = (struct dp_route_target){.ep = &ep2,
	                                     .price = {.prompt = 1, .completion = 10, .request = 7},
	                                     .free_variant = true};
	struct dp_chat_req req = {.max_tokens = -1, .prompt_tokens_est = 10};
	bool free_model = false;
	/* cap 100: 10 + 100 * 2 = 210 vs 10 + 50 * 10 + 7 = 517 */
	assert_int_equal(dp_money_worst_case(&plan, &req, 100, &free_model), 517);
	assert_true(free_model);
	req.max_tokens = 20; /* 10 + 20 * 10 + 7 */
	assert_int_equal(dp_money_worst_case(&plan, &req, 100, &free_model), 217);
	plan.n = 1;
	req.max_tokens = 1000; /* capped at 100: 10 + 200 */
	assert_int_equal(dp_money_worst_case(&plan, &req, 100, &free_model), 210);
	assert_false(free_model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lease_then_local_reservations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_enum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_while_waiting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_balance_gate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_share, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_returns_leases, setup, teardown),
	    cmocka_unit_test(test_worst_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
