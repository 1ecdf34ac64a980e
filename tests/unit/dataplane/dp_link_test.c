/* dp_link_test.c - the worker's link to the controlplane: each message type goes to the
 * handler registered for it, a replaced handler is not called again, a removed or never
 * registered type is dropped, and the table refuses a ninth type. A ROUTER in the test plays
 * the controlplane. */
#include "dp_link.h"
#include "dp_loop.h"
#include "sy_err.h"
#include "sy_msg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include <cmocka.h>

struct counts {
	int ack, reply_old, reply, grant;
	uint64_t reply_id;
};

static void on_ack(const Sy__Envelope *env, void *arg)
{
	struct counts *c = arg;
	assert_int_equal(env->body_case, SY__ENVELOPE__BODY_USAGE_ACK);
	c->ack++;
}

static void on_reply_old(const Sy__Envelope *env, void *arg)
{
	((struct counts *)arg)->reply_old++;
}

static void on_reply(const Sy__Envelope *env, void *arg)
{
	struct counts *c = arg;
	assert_int_equal(env->body_case, SY__ENVELOPE__BODY_GENERATION_REPLY);
	c->reply++;
	c->reply_id = env->generation_reply->request_id;
}

static void on_grant(const Sy__Envelope *env, void *arg)
{
	((struct counts *)arg)->grant++;
}

static void stop(struct dp_loop *loop, void *arg)
{
	dp_loop_stop(loop);
}

/* Run the loop for ms. */
static void spin(struct dp_loop *loop, int64_t ms)
{
	dp_timer_add(loop, ms, stop, NULL);
	dp_loop_run(loop);
}

/* The router sends env to the peer ident. */
static void router_send(void *router, const char *ident, int il, const Sy__Envelope *env)
{
	assert_int_equal(zmq_send(router, ident, (size_t)il, ZMQ_SNDMORE), il);
	assert_int_equal(sy_zsend_env(router, NULL, 0, env, 0), 0);
}

static void test_dispatch_per_type(void **state)
{
	void *zctx = zmq_ctx_new();
	struct dp_loop *loop = dp_loop_new();
	void *router = zmq_socket(zctx, ZMQ_ROUTER);
	assert_non_null(router);
	assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
	char endpoint[64];
	size_t elen = sizeof(endpoint);
	assert_int_equal(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &elen), 0);

	struct dp_link *l = dp_link_new(loop, zctx, endpoint, NULL);
	assert_non_null(l);
	struct counts c = {0};
	assert_int_equal(dp_link_on(l, SY__ENVELOPE__BODY_USAGE_ACK, on_ack, &c), 0);
	assert_int_equal(dp_link_on(l, SY__ENVELOPE__BODY_GENERATION_REPLY, on_reply_old, &c), 0);
	assert_int_equal(dp_link_on(l, SY__ENVELOPE__BODY_GENERATION_REPLY, on_reply, &c), 0);
	assert_int_equal(dp_link_on(l, SY__ENVELOPE__BODY_LEASE_GRANT, on_grant, &c), 0);
	assert_int_equal(dp_link_on(l, SY__ENVELOPE__BODY_LEASE_GRANT, NULL, NULL), 0);

	/* the link speaks first (the ROUTER learns its identity) */
	Sy__GenerationQuery gq = SY__GENERATION_QUERY__INIT;
	gq.request_id = 1;
	gq.id = "gen-1";
	gq.key_hash = "k";
	Sy__Envelope q;
	sy_env_init(&q);
	q.body_case = SY__ENVELOPE__BODY_GENERATION_QUERY;
	q.generation_query = &gq;
	int rc = -EAGAIN;
	for (int i = 0; i < 200 && rc == -EAGAIN; i++) {
		rc = dp_link_send(l, &q);
		if (rc == -EAGAIN)
			spin(loop, 10); /* ZMQ_IMMEDIATE: not connected yet */
	}
	assert_int_equal(rc, 0);
	/* dp_link.h: a send may consume ZMQ_FD's edge, so the sender drains after sending (else
	 * what the router sends next may never wake the loop) */
	dp_link_drain(l);
	char ident[256];
	int il = zmq_recv(router, ident, sizeof(ident), 0);
	assert_true(il > 0);
	zmq_msg_t m;
	zmq_msg_init(&m);
	assert_true(zmq_msg_recv(&m, router, 0) >= 0);
	zmq_msg_close(&m);

	Sy__UsageAck ack = SY__USAGE_ACK__INIT;
	Sy__GenerationReply rep = SY__GENERATION_REPLY__INIT;
	rep.request_id = 42;
	Sy__LeaseGrant grant = SY__LEASE_GRANT__INIT;
	Sy__Envelope e;
	sy_env_init(&e);
	e.body_case = SY__ENVELOPE__BODY_USAGE_ACK;
	e.usage_ack = &ack;
	router_send(router, ident, il, &e);
	sy_env_init(&e);
	e.body_case = SY__ENVELOPE__BODY_LEASE_GRANT;
	e.lease_grant = &grant;
	router_send(router, ident, il, &e);
	sy_env_init(&e);
	e.body_case = SY__ENVELOPE__BODY_GENERATION_REPLY;
	e.generation_reply = &rep;
	router_send(router, ident, il, &e);
	for (int i = 0; i < 200 && c.reply == 0; i++)
		spin(loop, 10);

	assert_int_equal(c.ack, 1);
	assert_int_equal(c.reply, 1);
	assert_int_equal(c.reply_id, 42);
	assert_int_equal(c.reply_old, 0); /* replaced */
	assert_int_equal(c.grant, 0);     /* removed: dropped */

	dp_link_free(&l);
	assert_null(l);
	dp_link_free(&l); /* idempotent */
	zmq_close(router);
	dp_loop_free(&loop);
	zmq_ctx_term(zctx);
}

static void test_table_is_bounded(void **state)
{
	void *zctx = zmq_ctx_new();
	struct dp_loop *loop = dp_loop_new();
	struct dp_link *l = dp_link_new(loop, zctx, "tcp://127.0.0.1:1", NULL);
	assert_non_null(l);
	struct counts c = {0};
	for (int i = 0; i < DP_LINK_HANDLERS_MAX; i++)
		assert_int_equal(dp_link_on(l, (Sy__Envelope__BodyCase)(1000 + i), on_ack, &c), 0);
	assert_int_equal(dp_link_on(l, (Sy__Envelope__BodyCase)2000, on_ack, &c), SY_ETOOBIG);
	/* replacing one that is there still works, and removing one makes room */
	assert_int_equal(dp_link_on(l, (Sy__Envelope__BodyCase)1000, on_grant, &c), 0);
	assert_int_equal(dp_link_on(l, (Sy__Envelope__BodyCase)1003, NULL, NULL), 0);
	assert_int_equal(dp_link_on(l, (Sy__Envelope__BodyCase)2000, on_ack, &c), 0);
	dp_link_free(&l);
	dp_loop_free(&loop);
	zmq_ctx_term(zctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dispatch_per_type),
	    cmocka_unit_test(test_table_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
