/* dp_usage_test.c - the acknowledged usage channel against an in-process fake controlplane
 * (a real ZeroMQ ROUTER on 127.0.0.1): batching, acks, resends, the spool across restarts,
 * write-ahead intents and the crash records of a dead worker, and generation lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "dp_loop.h"
#include "dp_usage.h"
#include "sy_clock.h"
#include "sy_msg.h"

#define MAX_IDS 2600

/* The controlplane's side: counts every id it receives, acks from the ack_from-th receipt
 * of an id on, and answers generation lookups for ids it has acknowledged. */
struct fake_cp {
	void *router;
	char endpoint[64];
	int ack_from;
	bool silent; /* never answer lookups */
	struct {
		char id[64];
		int seen;
		bool acked;
		int crashes;           /* receipts that were crash records */
		Sy__UsageRecord *last; /* the last receipt */
	} ids[MAX_IDS];
	size_t n_ids;
	size_t batches;
};

struct env {
	void *zctx;
	struct dp_loop *loop;
	char dir[64];
	struct fake_cp cp;
	struct dp_usage *u;
	/* generation lookup results */
	int replies;
	char reply_model[64];
	bool reply_null;
};

static int cp_find(struct fake_cp *cp, const char *id)
{
	for (size_t i = 0; i < cp->n_ids; i++)
		if (!strcmp(cp->ids[i].id, id))
			return (int)i;
	return -1;
}

static void cp_handle(struct fake_cp *cp, const void *ident, size_t ident_len, Sy__Envelope *in)
{
	Sy__Envelope out;
	sy_env_init(&out);
	if (in->body_case == SY__ENVELOPE__BODY_USAGE_BATCH) {
		cp->batches++;
		char *acked[MAX_IDS];
		size_t n = 0;
		for (size_t i = 0; i < in->usage_batch->n_records; i++) {
			const char *id = in->usage_batch->records[i]->id;
			int k = cp_find(cp, id);
			if (k < 0) {
				assert_true(cp->n_ids < MAX_IDS);
				k = (int)cp->n_ids++;
				snprintf(cp->ids[k].id, sizeof(cp->ids[k].id), "%s", id);
			}
			const Sy__UsageRecord *r = in->usage_batch->records[i];
			if (r->error_class && !strcmp(r->error_class, DP_USAGE_CRASH_CLASS))
				cp->ids[k].crashes++;
			if (cp->ids[k].last)
				sy__usage_record__free_unpacked(cp->ids[k].last, NULL);
			uint8_t buf[4096];
			size_t len = sy__usage_record__get_packed_size(r);
			assert_true(len <= sizeof(buf));
			sy__usage_record__pack(r, buf);
			cp->ids[k].last = sy__usage_record__unpack(NULL, len, buf);
			/* "slow-" records are lost the first time, whatever ack_from says */
			int from = strncmp(id, "slow-", 5) ? cp->ack_from : 2;
			if (++cp->ids[k].seen >= from && n < MAX_IDS) {
				cp->ids[k].acked = true;
				acked[n++] = cp->ids[k].id;
			}
		}
		if (!n)
			return;
		Sy__UsageAck ack = SY__USAGE_ACK__INIT;
		ack.n_ids = n;
		ack.ids = acked;
		out.body_case = SY__ENVELOPE__BODY_USAGE_ACK;
		out.usage_ack = &ack;
		assert_int_equal(sy_zsend_env(cp->router, ident, ident_len, &out, 0), 0);
	} else if (in->body_case == SY__ENVELOPE__BODY_GENERATION_QUERY) {
		if (cp->silent)
			return;
		const Sy__GenerationQuery *q = in->generation_query;
		Sy__GenerationReply rep = SY__GENERATION_REPLY__INIT;
		Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
		rep.request_id = q->request_id;
		int k = cp_find(cp, q->id);
		if (k >= 0 && cp->ids[k].acked && !strcmp(q->key_hash, "hash-1")) {
			r.id = q->id;
			r.model = "mock/echo";
			rep.record = &r;
		}
		out.body_case = SY__ENVELOPE__BODY_GENERATION_REPLY;
		out.generation_reply = &rep;
		assert_int_equal(sy_zsend_env(cp->router, ident, ident_len, &out, 0), 0);
	}
}

#include "dp_test_cp.h"

static void cp_close(struct env *e)
{
	if (e->cp.router)
		zmq_close(e->cp.router);
	e->cp.router = NULL;
}

/* What the controlplane last received for id (the test fails when it received nothing). */
static const Sy__UsageRecord *cp_record(struct env *e, const char *id)
{
	int k = cp_find(&e->cp, id);
	assert_true(k >= 0);
	assert_non_null(e->cp.ids[k].last);
	return e->cp.ids[k].last;
}

static bool all_acked(struct env *e)
{
	return dp_usage_pending(e->u) == 0;
}

static bool spooled(struct env *e)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/usage-0.spool", e->dir);
	return stat(path, &st) == 0 && st.st_size > 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->zctx = zmq_ctx_new();
	e->loop = dp_loop_new();
	snprintf(e->dir, sizeof(e->dir), "/tmp/dp-usage-test-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	e->cp.ack_from = 1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	dp_usage_free(&e->u);
	cp_close(e);
	for (size_t i = 0; i < e->cp.n_ids; i++)
		if (e->cp.ids[i].last)
			sy__usage_record__free_unpacked(e->cp.ids[i].last, NULL);
	dp_loop_free(&e->loop);
	zmq_ctx_term(e->zctx);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

static void submit(struct env *e, const char *id)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)id;
	r.model = "mock/echo";
	r.key_hash = "hash-1";
	r.has_completion_tokens = true;
	r.completion_tokens = 42;
	assert_int_equal(dp_usage_submit(e->u, &r), 0);
}

/* The intent dp_chat writes before a request's first attempt: identity, no outcome. */
static struct dp_usage_intent *open_intent(struct env *e, const char *id)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)id;
	r.key_hash = "hash-1";
	r.org_id = "org-1";
	r.model = "mock/slow";
	r.provider = "mock";
	r.lease_id = "w0-abc.1";
	r.has_reserved = r.has_created_at = r.has_streamed = true;
	r.reserved = 123456;
	r.created_at = 1790000000;
	r.streamed = true;
	struct dp_usage_intent *i = dp_usage_open(e->u, &r);
	assert_non_null(i);
	return i;
}

/* The final record of the request: it supersedes the intent. */
static void settle(struct env *e, const char *id, struct dp_usage_intent **ip)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)id;
	r.key_hash = "hash-1";
	r.model = "mock/slow";
	r.has_status = r.has_cost = true;
	r.status = 200;
	r.cost = 777;
	r.finish_reason = "stop";
	assert_int_equal(dp_usage_submit(e->u, &r), 0);
	dp_usage_close(e->u, ip);
	assert_null(*ip);
}

static off_t spool_size(struct env *e, int worker)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/usage-%d.spool", e->dir, worker);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Usage example: records are spooled, sent, acknowledged and the spool emptied. */
static void test_submit_ack(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	assert_non_null(e->u);
	submit(e, "gen-1");
	submit(e, "gen-2");
	submit(e, "gen-3");
	assert_int_equal(dp_usage_pending(e->u), 3);
	/* the records of one loop iteration are written together, before the loop waits and
	 * before anything is sent */
	off_t written = spool_size(e, 0);
	assert_true(run_until(e, spooled, 1000));
	assert_int_equal(e->cp.n_ids, 0);
	assert_true(spool_size(e, 0) > written);
	assert_true(run_until(e, all_acked, 5000));
	assert_int_equal(e->cp.n_ids, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(e->cp.ids[i].seen, 1);
	assert_int_equal(e->cp.batches, 1); /* batched together */
	assert_int_equal(spool_size(e, 0), 0);
}

/* A controlplane that loses the first delivery: the record is resent and then acked. */
static void test_resend_until_acked(void **state)
{
	struct env *e = *state;
	e->cp.ack_from = 2;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	submit(e, "gen-a");
	submit(e, "gen-b");
	int64_t t0 = sy_mono_ms();
	assert_true(run_until(e, all_acked, 8000));
	assert_true(sy_mono_ms() - t0 >= 1500); /* only after the resend interval */
	assert_int_equal(e->cp.n_ids, 2);
	assert_int_equal(e->cp.ids[0].seen, 2);
	assert_int_equal(e->cp.ids[1].seen, 2);
	assert_int_equal(spool_size(e, 0), 0);
}

/* Controlplane down: records wait in the spool across a worker restart, then arrive. */
static void test_spool_survives_restart(void **state)
{
	struct env *e = *state;
	/* learn a free port, then leave it unbound: nobody listens */
	cp_bind(e, "tcp://127.0.0.1:*");
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "%s", e->cp.endpoint);
	cp_close(e);

	e->u = dp_usage_new(e->loop, e->zctx, endpoint, NULL, e->dir, 3);
	submit(e, "gen-x");
	submit(e, "gen-y");
	assert_false(run_until(e, all_acked, 300));
	assert_int_equal(dp_usage_pending(e->u), 2);
	off_t size = spool_size(e, 3);
	assert_true(size > 0);
	dp_usage_free(&e->u); /* the worker stops with records unacknowledged */
	assert_int_equal(spool_size(e, 3), size);

	/* simulate a crash mid-write: a torn record at the end */
	char path[128];
	snprintf(path, sizeof(path), "%s/usage-3.spool", e->dir);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x50\x00\x00\x00\x0a\x05", 6), 6);
	close(fd);

	e->u = dp_usage_new(e->loop, e->zctx, endpoint, NULL, e->dir, 3);
	assert_non_null(e->u);
	assert_int_equal(dp_usage_pending(e->u), 2); /* replayed, torn tail dropped */
	assert_int_equal(spool_size(e, 3), size);
	cp_bind(e, endpoint); /* the controlplane comes back */
	assert_true(run_until(e, all_acked, 8000));
	assert_int_equal(e->cp.n_ids, 2);
	assert_true(cp_find(&e->cp, "gen-x") >= 0 && cp_find(&e->cp, "gen-y") >= 0);
	assert_int_equal(spool_size(e, 3), 0);
}

/* A full batch (500 records) goes out without waiting for the flush timer; big backlogs
 * span batches. */
static void test_many_records(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	for (int i = 0; i < 2500; i++) {
		char id[32];
		snprintf(id, sizeof(id), "gen-%d", i);
		submit(e, id);
	}
	assert_true(run_until(e, all_acked, 5000));
	assert_int_equal(e->cp.n_ids, 2500);
	assert_true(e->cp.batches >= 3);
	for (size_t i = 0; i < e->cp.n_ids; i++)
		assert_int_equal(e->cp.ids[i].seen, 1);
}

static bool only_slow_left(struct env *e)
{
	return dp_usage_pending(e->u) == 2;
}

/* Once most of a large spool is acknowledged, it is rewritten with only what is pending, and
 * that survives a restart. */
static void test_spool_compaction(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	char model[500];
	memset(model, 'm', sizeof(model) - 1);
	model[sizeof(model) - 1] = '\0';
	for (int i = 0; i < 2500; i++) {
		Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
		char id[32];
		snprintf(id, sizeof(id), i == 7 || i == 1500 ? "slow-%d" : "gen-%d", i);
		r.id = id;
		r.model = model;
		assert_int_equal(dp_usage_submit(e->u, &r), 0);
	}
	assert_true(run_until(e, only_slow_left, 5000));
	/* 2500 records of more than 500 bytes: without a rewrite the file would keep them all
	 * until the last ack (which only truncates when nothing at all is pending) */
	off_t size = spool_size(e, 0);
	assert_true(size > 0 && size < 2500 * 500 / 2);
	dp_usage_free(&e->u);
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	/* the rewritten spool replays: the two, and what was acknowledged since the rewrite
	 * (resending is safe), but not what the rewrite dropped */
	assert_true(dp_usage_pending(e->u) >= 2 && dp_usage_pending(e->u) < 1250);
	assert_true(run_until(e, all_acked, 8000));
	assert_true(cp_find(&e->cp, "slow-7") >= 0 && cp_find(&e->cp, "slow-1500") >= 0);
	assert_int_equal(spool_size(e, 0), 0);
}

/* Controlplane away under load with a memory cap of 10: what is over the cap waits in the
 * spool only; when the controlplane is back every record arrives, once, and the spool
 * empties. */
static void test_memory_cap_spills_to_the_spool(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "%s", e->cp.endpoint);
	cp_close(e);
	e->u = dp_usage_new(e->loop, e->zctx, endpoint, NULL, e->dir, 0);
	dp_usage_configure(e->u, true, 0, 10);
	for (int i = 0; i < 300; i++) {
		char id[32];
		snprintf(id, sizeof(id), "gen-%d", i);
		submit(e, id);
		if (i % 7 == 6) { /* a loop iteration: the batch is written, the excess spilled */
			assert_false(run_until(e, all_acked, 5));
			assert_true(dp_usage_in_memory(e->u) <= 10);
		}
	}
	assert_false(run_until(e, all_acked, 50));
	assert_int_equal(dp_usage_in_memory(e->u), 10);
	assert_int_equal(dp_usage_pending(e->u), 300);
	cp_bind(e, endpoint);
	assert_true(run_until(e, all_acked, 15000));
	assert_int_equal(e->cp.n_ids, 300);
	for (size_t i = 0; i < e->cp.n_ids; i++)
		assert_int_equal(e->cp.ids[i].seen, 1);
	assert_int_equal(spool_size(e, 0), 0);
}

/* The spilled records survive a restart like any other (the replay loads the whole spool). */
static void test_spilled_records_survive_a_restart(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "%s", e->cp.endpoint);
	cp_close(e);
	e->u = dp_usage_new(e->loop, e->zctx, endpoint, NULL, e->dir, 0);
	dp_usage_configure(e->u, true, 50, 5);
	for (int i = 0; i < 40; i++) {
		char id[32];
		snprintf(id, sizeof(id), "gen-%d", i);
		submit(e, id);
	}
	assert_false(run_until(e, all_acked, 50));
	assert_int_equal(dp_usage_in_memory(e->u), 5);
	dp_usage_free(&e->u);
	e->u = dp_usage_new(e->loop, e->zctx, endpoint, NULL, e->dir, 0);
	assert_int_equal(dp_usage_pending(e->u), 40);
	cp_bind(e, endpoint);
	assert_true(run_until(e, all_acked, 10000));
	assert_int_equal(e->cp.n_ids, 40);
}

/* One spool, one writer: a second channel on the same spool is refused while the first
 * lives, and allowed once it is gone. */
static void test_spool_locked(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 1);
	assert_non_null(e->u);
	struct dp_usage *second = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 1);
	assert_null(second);
	struct dp_usage *other = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 2);
	assert_non_null(other); /* another worker's spool */
	dp_usage_free(&other);
	dp_usage_free(&e->u);
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 1);
	assert_non_null(e->u);
}

static bool crash_acked(struct env *e)
{
	int k = cp_find(&e->cp, "gen-crash");
	return k >= 0 && e->cp.ids[k].acked && all_acked(e);
}

static bool at_most_slow_left(struct env *e)
{
	return dp_usage_pending(e->u) <= 1;
}

/* A worker that dies between a request's intent and its final record: the next start turns
 * the intent into exactly one crash record, sent like any other, and never again. */
static void test_intent_without_final_becomes_one_crash_record(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	off_t before = spool_size(e, 0);
	struct dp_usage_intent *intent = open_intent(e, "gen-crash");
	assert_int_equal(spool_size(e, 0), before); /* written with the iteration's batch */
	submit(e, "gen-other");
	assert_true(run_until(e, all_acked, 5000));
	/* the intent is never sent, and keeps the spool from being emptied */
	assert_int_equal(e->cp.n_ids, 1);
	assert_int_equal(cp_find(&e->cp, "gen-crash"), -1);
	assert_true(spool_size(e, 0) > 0);
	assert_int_equal(dp_usage_pending(e->u), 0);

	/* the worker dies: the intent stays open in the spool (dp_usage_free leaves the file as
	 * a kill would, with the intent never closed) */
	(void)intent;
	dp_usage_free(&e->u);
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	assert_non_null(e->u);
	/* the crash record, and gen-other again: acknowledged, but still in the file the open
	 * intent kept (resending is safe) */
	assert_int_equal(dp_usage_pending(e->u), 2);
	assert_true(run_until(e, crash_acked, 5000));
	int k = cp_find(&e->cp, "gen-crash");
	assert_int_equal(e->cp.ids[k].seen, 1);
	assert_int_equal(e->cp.ids[k].crashes, 1);
	const Sy__UsageRecord *r = cp_record(e, "gen-crash");
	assert_true(r->has_status);
	assert_int_equal(r->status, DP_USAGE_CRASH_STATUS);
	assert_string_equal(r->error_class, DP_USAGE_CRASH_CLASS);
	assert_string_equal(r->finish_reason, "error");
	assert_true(r->has_cancelled && r->cancelled);
	assert_true(r->has_cost);
	assert_int_equal(r->cost, 0);
	assert_true(r->has_completion_tokens);
	assert_int_equal(r->completion_tokens, 0);
	/* what the intent knew is kept: the controlplane settles the reservation by it */
	assert_string_equal(r->key_hash, "hash-1");
	assert_string_equal(r->org_id, "org-1");
	assert_string_equal(r->model, "mock/slow");
	assert_string_equal(r->provider, "mock");
	assert_string_equal(r->lease_id, "w0-abc.1");
	assert_int_equal(r->reserved, 123456);
	assert_int_equal(r->created_at, 1790000000);
	assert_true(r->streamed);
	assert_int_equal(r->n_attempts, 1);
	assert_string_equal(r->attempts[0]->provider, "mock");
	assert_string_equal(r->attempts[0]->error_class, DP_USAGE_CRASH_CLASS);
	assert_int_equal(spool_size(e, 0), 0); /* acknowledged: nothing left */

	/* dying again changes nothing: no second crash record */
	dp_usage_free(&e->u);
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	assert_int_equal(dp_usage_pending(e->u), 0);
	run_until(e, NULL, 300);
	assert_int_equal(e->cp.ids[k].seen, 1);
}

/* Intent and final record both spooled, the final not yet acknowledged when the worker dies:
 * the replay sends the final record only. */
/* A stream's intent kept current (dp_usage_progress): the crash record charges the tokens
 * and cost of the latest one, even when the spool holds several, and after a compaction. */
static void test_crash_record_charges_the_latest_progress(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	struct dp_usage_intent *intent = open_intent(e, "gen-sent");
	run_until(e, NULL, 20);
	for (uint32_t sent = 10; sent <= 30; sent += 10) { /* three loop iterations */
		Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
		r.id = "gen-sent";
		r.key_hash = "hash-1";
		r.org_id = "org-1";
		r.model = "mock/slow";
		r.provider = "fallback";
		r.lease_id = "w0-abc.1";
		r.has_reserved = r.has_completion_tokens = r.has_prompt_tokens = r.has_cost = true;
		r.reserved = 123456;
		r.prompt_tokens = 5;
		r.completion_tokens = sent;
		r.cost = 1000 * sent;
		dp_usage_progress(e->u, intent, &r);
		run_until(e, NULL, 20);
	}
	(void)intent; /* killed: never closed */
	dp_usage_free(&e->u);
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	assert_int_equal(dp_usage_pending(e->u), 1); /* one crash record, not four */
	assert_true(run_until(e, all_acked, 5000));
	const Sy__UsageRecord *r = cp_record(e, "gen-sent");
	assert_string_equal(r->error_class, DP_USAGE_CRASH_CLASS);
	assert_string_equal(r->finish_reason, "error");
	assert_int_equal(r->completion_tokens, 30);
	assert_int_equal(r->prompt_tokens, 5);
	assert_int_equal(r->cost, 30000);
	assert_string_equal(r->provider, "fallback"); /* the endpoint that served */
	assert_int_equal(e->cp.ids[cp_find(&e->cp, "gen-sent")].seen, 1);
}

static void test_intent_with_final_replays_only_the_final(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*"); /* learn a free port, then leave it unbound */
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "%s", e->cp.endpoint);
	cp_close(e);
	e->u = dp_usage_new(e->loop, e->zctx, endpoint, NULL, e->dir, 0);
	struct dp_usage_intent *done = open_intent(e, "gen-done");
	struct dp_usage_intent *open = open_intent(e, "gen-open");
	settle(e, "gen-done", &done);
	dp_usage_close(e->u, &done); /* idempotent */
	assert_false(run_until(e, all_acked, 200));
	assert_int_equal(dp_usage_pending(e->u), 1);
	(void)open; /* the worker dies with this request in flight */
	dp_usage_free(&e->u);

	e->u = dp_usage_new(e->loop, e->zctx, endpoint, NULL, e->dir, 0);
	assert_int_equal(dp_usage_pending(e->u), 2); /* gen-done, and gen-open's crash record */
	cp_bind(e, endpoint);
	assert_true(run_until(e, all_acked, 8000));
	assert_int_equal(e->cp.n_ids, 2);
	const Sy__UsageRecord *r = cp_record(e, "gen-done");
	assert_int_equal(r->status, 200);
	assert_int_equal(r->cost, 777);
	assert_null(r->error_class);
	assert_int_equal(e->cp.ids[cp_find(&e->cp, "gen-done")].crashes, 0);
	assert_int_equal(e->cp.ids[cp_find(&e->cp, "gen-open")].crashes, 1);
	assert_int_equal(spool_size(e, 0), 0);
}

/* Compaction keeps the open intents (and drops the closed ones): after a rewrite, a dead
 * worker's request in flight still becomes its crash record. */
static void test_compaction_keeps_open_intents(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	struct dp_usage_intent *open = open_intent(e, "gen-crash");
	struct dp_usage_intent *done = open_intent(e, "gen-done");
	char model[500];
	memset(model, 'm', sizeof(model) - 1);
	model[sizeof(model) - 1] = '\0';
	for (int i = 0; i < 2500; i++) {
		Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
		char id[32];
		snprintf(id, sizeof(id), i == 7 ? "slow-%d" : "gen-%d", i);
		r.id = id;
		r.model = model;
		assert_int_equal(dp_usage_submit(e->u, &r), 0);
		if (i == 100)
			settle(e, "gen-done", &done);
	}
	assert_true(run_until(e, at_most_slow_left, 5000));
	off_t size = spool_size(e, 0);
	assert_true(size > 0 && size < 2500 * 500 / 2); /* rewritten */
	(void)open;
	dp_usage_free(&e->u); /* the worker dies */
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	assert_true(run_until(e, crash_acked, 8000));
	int k = cp_find(&e->cp, "gen-crash");
	assert_int_equal(e->cp.ids[k].seen, 1);
	assert_int_equal(e->cp.ids[k].crashes, 1);
	assert_int_equal(e->cp.ids[cp_find(&e->cp, "gen-done")].crashes, 0);
	assert_int_equal(spool_size(e, 0), 0);
}

static void on_generation(const Sy__UsageRecord *rec, void *arg)
{
	struct env *e = arg;
	e->replies++;
	e->reply_null = rec == NULL;
	snprintf(e->reply_model, sizeof(e->reply_model), "%s", rec ? rec->model : "");
}

static bool got_reply(struct env *e)
{
	return e->replies > 0;
}

static void test_generation_query(void **state)
{
	struct env *e = *state;
	cp_bind(e, "tcp://127.0.0.1:*");
	e->u = dp_usage_new(e->loop, e->zctx, e->cp.endpoint, NULL, e->dir, 0);
	submit(e, "gen-q");
	assert_true(run_until(e, all_acked, 5000));

	assert_int_equal(dp_usage_query_generation(e->u, "gen-q", "hash-1", on_generation, e), 0);
	assert_int_equal(e->replies, 0); /* never answered from inside the call */
	assert_true(run_until(e, got_reply, 3000));
	assert_false(e->reply_null);
	assert_string_equal(e->reply_model, "mock/echo");

	/* another key's generation is not found */
	e->replies = 0;
	assert_int_equal(dp_usage_query_generation(e->u, "gen-q", "hash-2", on_generation, e), 0);
	assert_true(run_until(e, got_reply, 3000));
	assert_true(e->reply_null);

	/* no answer: NULL after the timeout */
	e->replies = 0;
	e->cp.silent = true;
	int64_t t0 = sy_mono_ms();
	assert_int_equal(dp_usage_query_generation(e->u, "gen-q", "hash-1", on_generation, e), 0);
	assert_true(run_until(e, got_reply, 4000));
	assert_true(e->reply_null);
	assert_true(sy_mono_ms() - t0 >= 1900);

	/* a cancelled lookup never calls back */
	e->replies = 0;
	assert_int_equal(dp_usage_query_generation(e->u, "gen-q", "hash-1", on_generation, e), 0);
	dp_usage_cancel_queries(e->u, e);
	assert_false(run_until(e, got_reply, 2500));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_submit_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resend_until_acked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spool_survives_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spool_compaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spool_locked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memory_cap_spills_to_the_spool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spilled_records_survive_a_restart, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_intent_without_final_becomes_one_crash_record,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_intent_with_final_replays_only_the_final, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_compaction_keeps_open_intents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_record_charges_the_latest_progress, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_generation_query, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
