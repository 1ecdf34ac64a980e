/* dp_test_cp.h - the loop side of a fake controlplane ROUTER, shared by the dataplane unit
 * tests that talk to dp_usage / dp_money over a real ZeroMQ socket.
 *
 * The including test defines, before including this header:
 *   struct fake_cp  with `void *router` (NULL while the fake controlplane is down) and
 *                   `char endpoint[64]` (where it listens);
 *   struct env      with `void *zctx`, `struct dp_loop *loop` and `struct fake_cp cp`;
 *   cp_handle()     void cp_handle(struct fake_cp *, const void *ident, size_t ident_len,
 *                   Sy__Envelope *): what the fake controlplane does with one message. */
#ifndef DP_TEST_CP_H
#define DP_TEST_CP_H

#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>

#include "dp_loop.h"
#include "sy_clock.h"
#include "sy_msg.h"

/* Bind the fake controlplane's ROUTER to endpoint ("tcp://127.0.0.1:*": any free port). */
static void cp_bind(struct env *e, const char *endpoint)
{
	e->cp.router = zmq_socket(e->zctx, ZMQ_ROUTER);
	assert_non_null(e->cp.router);
	assert_int_equal(sy_zsock_setup(e->cp.router), 0);
	assert_int_equal(zmq_bind(e->cp.router, endpoint), 0);
	size_t len = sizeof(e->cp.endpoint);
	assert_int_equal(zmq_getsockopt(e->cp.router, ZMQ_LAST_ENDPOINT, e->cp.endpoint, &len), 0);
}

/* Hand every message waiting on the fake controlplane's ROUTER to cp_handle. */
static void cp_drain(struct fake_cp *cp)
{
	while (cp->router && sy_zsock_readable(cp->router)) {
		char ident[256];
		int il = zmq_recv(cp->router, ident, sizeof(ident), ZMQ_DONTWAIT);
		if (il < 0)
			break;
		zmq_msg_t m;
		zmq_msg_init(&m);
		assert_true(zmq_msg_recv(&m, cp->router, 0) >= 0);
		int err;
		Sy__Envelope *e = sy_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), &err);
		assert_non_null(e);
		cp_handle(cp, ident, (size_t)il, e);
		sy_env_free(&e);
		zmq_msg_close(&m);
	}
}

struct run_ctx {
	struct env *e;
	bool (*pred)(struct env *);
	int64_t deadline;
	bool met;
};

static void check_fn(struct dp_loop *loop, void *arg)
{
	struct run_ctx *rc = arg;
	cp_drain(&rc->e->cp);
	if (rc->pred && rc->pred(rc->e)) {
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

/* Run the loop, serving the fake controlplane, until pred holds or timeout_ms passes. */
static bool run_until(struct env *e, bool (*pred)(struct env *), int timeout_ms)
{
	struct run_ctx rc = {e, pred, sy_mono_ms() + timeout_ms, false};
	assert_non_null(dp_timer_add(e->loop, 0, check_fn, &rc));
	assert_int_equal(dp_loop_run(e->loop), 0);
	return rc.met;
}

#endif
