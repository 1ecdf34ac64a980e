/* dp_sync_test.c - the Clone-pattern client against an in-process fake controlplane (an XPUB
 * and a ROUTER on 127.0.0.1): snapshot, queued and live updates, and every re-snapshot
 * trigger (gap, heartbeat mismatch, silence, short snapshot); volatile (unsequenced) updates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "dp_loop.h"
#include "dp_sync.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_clock.h"
#include "sy_msg.h"

struct fake_cp {
	void *pub, *router;
	char pub_ep[64], snap_ep[64];
	bool subscribed;
	int requests;
	char ident[256];
	size_t ident_len;
};

struct env {
	void *zctx;
	struct dp_config cfg;
	struct dp_worker w;
	struct fake_cp cp;
	struct dp_sync *sync;
};

static void cp_drain(struct fake_cp *cp)
{
	while (sy_zsock_readable(cp->pub)) {
		char b[256];
		int n = zmq_recv(cp->pub, b, sizeof(b), ZMQ_DONTWAIT);
		if (n > 0 && b[0] == 1)
			cp->subscribed = true;
	}
	while (sy_zsock_readable(cp->router)) {
		int n = zmq_recv(cp->router, cp->ident, sizeof(cp->ident), ZMQ_DONTWAIT);
		if (n < 0)
			break;
		cp->ident_len = (size_t)n;
		Sy__Envelope *e;
		int err;
		e = sy_zrecv_env(cp->router, &err);
		assert_non_null(e);
		assert_int_equal(e->body_case, SY__ENVELOPE__BODY_SNAPSHOT_REQUEST);
		assert_non_null(e->snapshot_request->worker_id);
		cp->requests++;
		sy_env_free(&e);
	}
}

struct run_ctx {
	struct env *e;
	bool (*pred)(struct env *, void *);
	void *arg;
	int64_t deadline;
	bool met;
};

static void check_fn(struct dp_loop *loop, void *arg)
{
	struct run_ctx *rc = arg;
	cp_drain(&rc->e->cp);
	if (rc->pred && rc->pred(rc->e, rc->arg)) {
		rc->met = true;
		dp_loop_stop(loop);
		return;
	}
	if (sy_mono_ms() >= rc->deadline) {
		dp_loop_stop(loop);
		return;
	}
	assert_non_null(dp_timer_add(loop, 5, check_fn, rc));
}

/* Run the worker's loop until pred holds or timeout_ms passes. */
static bool run_until(struct env *e, bool (*pred)(struct env *, void *), void *arg, int timeout_ms)
{
	struct run_ctx rc = {e, pred, arg, sy_mono_ms() + timeout_ms, false};
	assert_non_null(dp_timer_add(e->w.loop, 0, check_fn, &rc));
	assert_int_equal(dp_loop_run(e->w.loop), 0);
	return rc.met;
}

static bool requests_at_least(struct env *e, void *arg)
{
	return e->cp.subscribed && e->cp.requests >= *(int *)arg;
}

static bool view_seq_is(struct env *e, void *arg)
{
	return e->w.view && dp_view_seq(e->w.view) == *(uint64_t *)arg;
}

static void bind_ep(void *sock, char *ep, size_t eplen)
{
	assert_int_equal(sy_zsock_setup(sock), 0);
	assert_int_equal(zmq_bind(sock, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &eplen), 0);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->zctx = zmq_ctx_new();
	e->cp.pub = zmq_socket(e->zctx, ZMQ_XPUB);
	e->cp.router = zmq_socket(e->zctx, ZMQ_ROUTER);
	bind_ep(e->cp.pub, e->cp.pub_ep, sizeof(e->cp.pub_ep));
	bind_ep(e->cp.router, e->cp.snap_ep, sizeof(e->cp.snap_ep));
	e->cfg.zmq_publish = e->cp.pub_ep;
	e->cfg.zmq_snapshot = e->cp.snap_ep;
	e->w.cfg = &e->cfg;
	e->w.zctx = e->zctx;
	e->w.loop = dp_loop_new();
	e->sync = dp_sync_new(&e->w);
	assert_non_null(e->sync);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	dp_sync_free(&e->sync);
	dp_view_unref(&e->w.view);
	zmq_close(e->cp.pub);
	zmq_close(e->cp.router);
	dp_loop_free(&e->w.loop);
	zmq_ctx_term(e->zctx);
	free(e);
	return 0;
}

/* An update for model id (name given), or its deletion when name is NULL. */
static void fill_update(Sy__Update *u, Sy__Model *m, char *topic, size_t tlen, const char *id,
                        const char *name, uint64_t seq)
{
	sy__update__init(u);
	sy__model__init(m);
	snprintf(topic, tlen, "model/%s", id);
	u->topic = topic;
	u->has_seq = seq != 0;
	u->seq = seq;
	if (!name) {
		u->has_deleted = true;
		u->deleted = true;
		return;
	}
	m->id = (char *)id;
	m->name = (char *)name;
	u->value_case = SY__UPDATE__VALUE_MODEL;
	u->model = m;
}

static void publish_update(struct env *e, uint64_t seq, const char *id, const char *name)
{
	Sy__Update u;
	Sy__Model m;
	char topic[64];
	fill_update(&u, &m, topic, sizeof(topic), id, name, seq);
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_UPDATE;
	env.update = &u;
	assert_int_equal(sy_zsend_env(e->cp.pub, topic, strlen(topic), &env, 0), 0);
}

static void publish_heartbeat(struct env *e, uint64_t seq)
{
	Sy__Heartbeat hb = SY__HEARTBEAT__INIT;
	hb.seq = seq;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	assert_int_equal(sy_zsend_env(e->cp.pub, "hb", 2, &env, 0), 0);
}

/* Answer the last request: one chunk with models ids[i] named names[i], then the end. */
static void send_snapshot(struct env *e, size_t n, const char *const *ids, const char *const *names,
                          uint64_t seq, uint32_t count)
{
	Sy__Update u[8], *items[8];
	Sy__Model m[8];
	char topics[8][64];
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		fill_update(&u[i], &m[i], topics[i], sizeof(topics[i]), ids[i], names[i], 0);
		items[i] = &u[i];
	}
	Sy__SnapshotChunk c = SY__SNAPSHOT_CHUNK__INIT;
	c.n_items = n;
	c.items = items;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_SNAPSHOT_CHUNK;
	env.snapshot_chunk = &c;
	assert_int_equal(sy_zsend_env(e->cp.router, e->cp.ident, e->cp.ident_len, &env, 0), 0);
	Sy__SnapshotEnd end = SY__SNAPSHOT_END__INIT;
	end.seq = seq;
	end.has_count = true;
	end.count = count;
	env.body_case = SY__ENVELOPE__BODY_SNAPSHOT_END;
	env.snapshot_end = &end;
	assert_int_equal(sy_zsend_env(e->cp.router, e->cp.ident, e->cp.ident_len, &env, 0), 0);
}

/* Wait for request number n (and the subscription), then answer it with a 2-model view. */
static void go_live(struct env *e, int n, uint64_t seq)
{
	assert_true(run_until(e, requests_at_least, &n, 5000));
	const char *ids[] = {"a/one", "b/two"}, *names[] = {"One", "Two"};
	send_snapshot(e, 2, ids, names, seq, 2);
	assert_true(run_until(e, view_seq_is, &seq, 3000));
}

/* Usage example: the first snapshot becomes the view, then updates apply in order. */
static void test_snapshot_then_updates(void **state)
{
	struct env *e = *state;
	assert_null(e->w.view);
	go_live(e, 1, 5);
	assert_int_equal(dp_view_model_count(e->w.view), 2);
	assert_string_equal(dp_view_model(e->w.view, "a/one")->name, "One");

	struct dp_view *held = dp_view_ref(e->w.view);
	publish_update(e, 6, "c/three", "Three");
	publish_update(e, 7, "a/one", NULL);
	uint64_t want = 7;
	assert_true(run_until(e, view_seq_is, &want, 3000));
	assert_non_null(dp_view_model(e->w.view, "c/three"));
	assert_null(dp_view_model(e->w.view, "a/one"));
	/* the generation a request held is unchanged */
	assert_non_null(dp_view_model(held, "a/one"));
	assert_int_equal(dp_view_seq(held), 5);
	dp_view_unref(&held);
	/* duplicates and old updates are ignored */
	publish_update(e, 7, "d/dup", "Dup");
	publish_heartbeat(e, 7);
	run_until(e, NULL, NULL, 200);
	assert_null(dp_view_model(e->w.view, "d/dup"));
	assert_int_equal(e->cp.requests, 1);
}

static void test_updates_queued_during_snapshot(void **state)
{
	struct env *e = *state;
	int one = 1;
	assert_true(run_until(e, requests_at_least, &one, 5000));
	publish_update(e, 5, "a/one", "Stale"); /* already in the snapshot */
	publish_update(e, 6, "c/three", "Three");
	publish_update(e, 7, "b/two", "Two v2");
	run_until(e, NULL, NULL, 150); /* let them arrive while the snapshot is pending */
	assert_null(e->w.view);
	const char *ids[] = {"a/one", "b/two"}, *names[] = {"Fresh", "Two"};
	send_snapshot(e, 2, ids, names, 5, 2);
	uint64_t want = 7;
	assert_true(run_until(e, view_seq_is, &want, 3000));
	assert_string_equal(dp_view_model(e->w.view, "a/one")->name, "Fresh");
	assert_string_equal(dp_view_model(e->w.view, "b/two")->name, "Two v2");
	assert_non_null(dp_view_model(e->w.view, "c/three"));
}

static void test_gap_resnapshots(void **state)
{
	struct env *e = *state;
	go_live(e, 1, 5);
	publish_update(e, 7, "c/three", "Three"); /* 6 never came */
	int two = 2;
	assert_true(run_until(e, requests_at_least, &two, 3000));
	/* the old view keeps serving meanwhile */
	assert_non_null(e->w.view);
	assert_int_equal(dp_view_seq(e->w.view), 5);
	assert_null(dp_view_model(e->w.view, "c/three"));
	const char *ids[] = {"c/three"}, *names[] = {"Three"};
	send_snapshot(e, 1, ids, names, 7, 1);
	uint64_t want = 7;
	assert_true(run_until(e, view_seq_is, &want, 3000));
	assert_int_equal(dp_view_model_count(e->w.view), 1);
	assert_int_equal(dp_sync_snapshots(e->sync), 2);
}

static void test_heartbeat_mismatch_resnapshots(void **state)
{
	struct env *e = *state;
	go_live(e, 1, 5);
	publish_heartbeat(e, 5);
	run_until(e, NULL, NULL, 100);
	assert_int_equal(e->cp.requests, 1);
	publish_heartbeat(e, 9); /* updates 6..9 were dropped by the PUB */
	int two = 2;
	assert_true(run_until(e, requests_at_least, &two, 3000));
	assert_int_equal(dp_view_seq(e->w.view), 5);
}

static void test_silence_resnapshots(void **state)
{
	struct env *e = *state;
	go_live(e, 1, 5);
	int64_t t0 = sy_mono_ms();
	int two = 2;
	assert_true(run_until(e, requests_at_least, &two, 6000));
	int64_t waited = sy_mono_ms() - t0;
	assert_true(waited >= 3 * SY_HEARTBEAT_MS - 100); /* not before 3 silent intervals */
	assert_non_null(e->w.view);                       /* still serving */
}

/* Heartbeats keep a quiet but healthy link live. */
static void test_heartbeats_keep_alive(void **state)
{
	struct env *e = *state;
	go_live(e, 1, 5);
	for (int i = 0; i < 8; i++) {
		publish_heartbeat(e, 5);
		run_until(e, NULL, NULL, 500);
	}
	assert_int_equal(e->cp.requests, 1);
}

static void test_short_snapshot_rejected(void **state)
{
	struct env *e = *state;
	int one = 1, two = 2;
	assert_true(run_until(e, requests_at_least, &one, 5000));
	const char *ids[] = {"a/one"}, *names[] = {"One"};
	send_snapshot(e, 1, ids, names, 5, 3); /* announces 3, carries 1 */
	assert_true(run_until(e, requests_at_least, &two, 3000));
	assert_null(e->w.view);
}

/* An endpoint-stats update for model: volatile, so without a seq. */
static void publish_stats(struct env *e, const char *model, bool degraded)
{
	Sy__EndpointStat st = SY__ENDPOINT_STAT__INIT, *sp = &st;
	st.provider = (char *)"p";
	st.has_degraded = true;
	st.degraded = degraded;
	Sy__EndpointStats ss = SY__ENDPOINT_STATS__INIT;
	ss.model = (char *)model;
	ss.n_endpoints = 1;
	ss.endpoints = &sp;
	char topic[64];
	snprintf(topic, sizeof(topic), "stats/%s", model);
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_STATS;
	u.stats = &ss;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_UPDATE;
	env.update = &u;
	assert_int_equal(sy_zsend_env(e->cp.pub, topic, strlen(topic), &env, 0), 0);
}

static bool degraded_is(struct env *e, void *arg)
{
	const Sy__EndpointStat *st =
	    e->w.view ? dp_view_endpoint_stat(e->w.view, "a/one", "p") : NULL;
	return st && st->degraded == *(bool *)arg;
}

/* Updates without a seq (endpoint stats) apply during a snapshot and live, never move the
 * seq and never count as a gap. */
static void test_volatile_updates(void **state)
{
	struct env *e = *state;
	int one = 1;
	bool yes = true, no = false;
	assert_true(run_until(e, requests_at_least, &one, 5000));
	publish_stats(e, "a/one", true); /* queued while the snapshot is pending */
	run_until(e, NULL, NULL, 150);
	go_live(e, 1, 5);
	assert_true(degraded_is(e, &yes));
	publish_stats(e, "a/one", false);
	assert_true(run_until(e, degraded_is, &no, 3000));
	assert_int_equal(dp_view_seq(e->w.view), 5);
	publish_heartbeat(e, 5);
	publish_update(e, 6, "c/three", "Three");
	uint64_t want = 6;
	assert_true(run_until(e, view_seq_is, &want, 3000));
	assert_true(degraded_is(e, &no)); /* carried into the next generation */
	assert_null(dp_view_endpoint_stat(e->w.view, "a/one", "q"));
	assert_null(dp_view_endpoint_stat(e->w.view, "b/two", "p"));
	assert_int_equal(e->cp.requests, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_snapshot_then_updates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_updates_queued_during_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gap_resnapshots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_heartbeat_mismatch_resnapshots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silence_resnapshots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_heartbeats_keep_alive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_snapshot_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_volatile_updates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
