/* cp_usage.c - usage batches in, acks and generation replies out. */
#include "cp_usage.h"
#include "cp_byok_fee.h"
#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_ratelease.h"
#include "cp_metrics.h"
#include "cp_retention.h"
#include "cp_stats.h"
#include "cp_zmq.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_msg.h"
#include "sy_clock.h"

#include <stdlib.h>
#include <sys/types.h>
#include <zmq.h>

#define DRAIN_BUDGET 64   /* messages handled per loop pass */
#define PUBLISH_BATCH 256 /* balances published per write transaction */

struct cp_usage {
	void *router;
	struct cp_store *s;
	uint32_t lease_ttl_ms;
	struct cp_stats *stats; /* fed every stored batch; NULL = none */
	int64_t retention_s;    /* cp_retention: 0 = keep every generation */
	int64_t fold_due_s;     /* the next fold (unix seconds) */
	struct cp_ratelease *rates;
	struct cp_byok_fee byok_fee;
};

#define FOLD_MAX 1000   /* generations folded per transaction */
#define FOLD_EVERY_S 60 /* between folds, unless the last one had more to do */

static void reply(struct cp_usage *u, const struct cp_zmsg *m, Sy__Envelope *env)
{
	int rc = sy_zsend_env(u->router, m->id, m->idlen, env, ZMQ_DONTWAIT);
	if (rc)
		sy_warn("usage: reply dropped: %s", sy_strerror(rc));
}

/* The records of b that m's sender may settle (cp_money_may_settle) into *out (malloc'ed).
 * The count, or -1 when the store cannot be read or memory runs out. */
static ssize_t authorized_records(struct cp_usage *u, const struct cp_zmsg *m,
                                  Sy__UsageRecord ***out)
{
	const Sy__UsageBatch *b = m->env->usage_batch;
	Sy__UsageRecord **ok = calloc(b->n_records ? b->n_records : 1, sizeof(*ok));
	struct cp_txn *t = cp_store_begin(u->s, false);
	size_t n = 0;
	if (!ok || !t) {
		free(ok);
		cp_store_abort(&t);
		return -1;
	}
	for (size_t i = 0; i < b->n_records; i++) {
		if (cp_money_may_settle(t, m->peer, b->records[i])) {
			ok[n++] = b->records[i];
			continue;
		}
		/* the record's id and key hash are the worker's; the sender's public key is not
		 * secret: enough to find the dataplane without logging anything that is */
		cp_metrics.usage_unauthorized++;
		sy_warn("usage: refused record %.64s: dataplane %s holds no lease for its key in "
		        "org %.64s",
		        b->records[i]->id, *m->peer ? m->peer : "(no CURVE key)",
		        b->records[i]->org_id ? b->records[i]->org_id : "(none)");
	}
	cp_store_abort(&t);
	*out = ok;
	return (ssize_t)n;
}

static void on_batch(struct cp_usage *u, const struct cp_zmsg *m)
{
	const Sy__UsageBatch *b = m->env->usage_batch;
	size_t stored, dups, invalid;
	Sy__UsageRecord **recs = NULL;
	cp_store_make_room(u->s); /* a full map refuses the batch: it waits in the spool */
	ssize_t n = authorized_records(u, m, &recs);
	int rc =
	    n < 0 ? SY_ESTORE
	          : cp_ledger_apply(u->s, &u->byok_fee, recs, (size_t)n, &stored, &dups, &invalid);
	if (rc) {
		free(recs);
		cp_metrics.usage_batches_failed++;
		sy_err("usage: batch of %zu not stored (%s); the worker will resend it",
		       b->n_records, sy_strerror(rc));
		return;
	}
	for (ssize_t i = 0; u->stats && i < n; i++)
		cp_stats_add(u->stats, recs[i], sy_unix_s());
	free(recs);
	cp_metrics.usage_batches++;
	cp_metrics.usage_stored += stored;
	cp_metrics.usage_duplicates += dups;
	cp_metrics.usage_invalid += invalid;
	if (invalid)
		sy_warn("usage: refused %zu invalid record(s) (bad id, key hash or cost)", invalid);
	sy_debug("usage: batch of %zu: %zu new, %zu already stored", b->n_records, stored, dups);
	char **ids = calloc(b->n_records ? b->n_records : 1, sizeof(*ids));
	if (!ids) {
		sy_err("usage: out of memory acknowledging a batch; the worker will resend it");
		return;
	}
	Sy__UsageAck ack = SY__USAGE_ACK__INIT;
	for (size_t i = 0; i < b->n_records; i++)
		if (b->records[i]->id && *b->records[i]->id)
			ids[ack.n_ids++] = b->records[i]->id;
	ack.ids = ids;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_USAGE_ACK;
	env.usage_ack = &ack;
	reply(u, m, &env);
	free(ids);
}

static void on_query(struct cp_usage *u, const struct cp_zmsg *m)
{
	const Sy__GenerationQuery *q = m->env->generation_query;
	Sy__GenerationReply gr = SY__GENERATION_REPLY__INIT;
	Sy__UsageRecord *rec = NULL;
	struct cp_txn *t = cp_store_begin(u->s, false);
	gr.request_id = q->request_id;
	cp_metrics.generation_queries++;
	if (t && cp_ledger_generation(t, q->id, &rec) == 0 && rec->key_hash &&
	    sy_ct_streq(rec->key_hash, q->key_hash))
		gr.record = rec;
	cp_store_abort(&t);
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_GENERATION_REPLY;
	env.generation_reply = &gr;
	reply(u, m, &env);
	if (rec)
		sy__usage_record__free_unpacked(rec, NULL);
}

static void on_lease_request(struct cp_usage *u, const struct cp_zmsg *m)
{
	const Sy__LeaseRequest *rq = m->env->lease_request;
	struct cp_grant g;
	struct cp_txn *t = cp_store_begin(u->s, true);
	int rc = t ? 0 : SY_ESTORE;
	if (t && !cp_money_lease_held(t, m->peer, rq->lease_id)) {
		sy_warn("usage: dataplane %s asked for lease %.64s of another dataplane: refused",
		        *m->peer ? m->peer : "(no CURVE key)", rq->lease_id);
		g = (struct cp_grant){.refusal = CP_REFUSE_UNKNOWN_KEY};
	} else if (t) {
		rc = cp_money_lease(t, rq, sy_unix_ms(), u->lease_ttl_ms, &g);
	}
	/* a refusal writes nothing: no commit (and no disk flush) for it */
	if (!rc && g.refusal == CP_GRANTED && !(rc = cp_money_hold(t, m->peer, rq)))
		rc = cp_store_commit(&t);
	cp_store_abort(&t);
	if (rc) {
		sy_warn("usage: lease request for org %s not served: %s", rq->org_id,
		        sy_strerror(rc));
		return; /* the worker times out and asks again */
	}
	Sy__LeaseGrant lg = SY__LEASE_GRANT__INIT;
	lg.request_id = rq->request_id;
	lg.lease_id = rq->lease_id;
	lg.granted = g.granted;
	lg.has_granted = true;
	lg.ttl_ms = u->lease_ttl_ms;
	lg.has_ttl_ms = true;
	if (g.refusal != CP_GRANTED) {
		lg.refused = lg.has_refused = true;
		lg.refusal = (Sy__LeaseRefusal)g.refusal;
		lg.has_refusal = true;
		lg.reason = (char *)cp_refusal_name(g.refusal);
		if (g.refusal == CP_REFUSE_BUDGET || g.refusal == CP_REFUSE_GUARDRAIL)
			lg.period = (char *)sy_period_name(g.period);
	}
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_LEASE_GRANT;
	env.lease_grant = &lg;
	reply(u, m, &env);
}

static void on_lease_return(struct cp_usage *u, const struct cp_zmsg *m)
{
	const Sy__LeaseReturn *r = m->env->lease_return;
	struct cp_txn *t = cp_store_begin(u->s, true);
	int rc = t ? 0 : SY_ESTORE;
	if (t && !cp_money_lease_held(t, m->peer, r->lease_id)) {
		sy_warn("usage: dataplane %s returned lease %.64s of another dataplane: ignored",
		        *m->peer ? m->peer : "(no CURVE key)", r->lease_id);
		cp_store_abort(&t);
		return;
	}
	if (t)
		rc = cp_money_return(t, r);
	if (!rc)
		rc = cp_store_commit(&t);
	cp_store_abort(&t);
	if (rc)
		sy_warn(
		    "usage: lease return not applied (%s); the lease expires with what it holds",
		    sy_strerror(rc));
}

void cp_usage_set_stats(struct cp_usage *u, struct cp_stats *st)
{
	u->stats = st;
}

void cp_usage_set_lease_ttl(struct cp_usage *u, uint32_t ttl_ms)
{
	u->lease_ttl_ms = ttl_ms;
}

void cp_usage_set_byok_fee(struct cp_usage *u, const struct cp_byok_fee *fee)
{
	u->byok_fee = *fee;
}

void cp_usage_set_retention(struct cp_usage *u, int64_t retention_s)
{
	u->retention_s = retention_s;
}

static void fold_old(struct cp_usage *u)
{
	int64_t now = sy_unix_s();
	size_t folded = 0;
	if (!u->retention_s || now < u->fold_due_s)
		return;
	int rc = cp_retention_fold(u->s, now - u->retention_s, FOLD_MAX, &folded);
	if (rc)
		sy_err("retention: folding old generations failed: %s", sy_strerror(rc));
	else if (folded)
		sy_info("retention: %zu generation(s) older than %lld days folded into daily "
		        "aggregates",
		        folded, (long long)(u->retention_s / 86400));
	u->fold_due_s = folded == FOLD_MAX ? now : now + FOLD_EVERY_S;
}

bool cp_usage_tick(struct cp_usage *u)
{
	size_t released = 0;
	bool left = false;
	cp_store_make_room(u->s); /* between transactions: the map may grow */
	fold_old(u);
	cp_ratelease_sweep(u->rates, sy_unix_s());
	int rc = cp_money_expire(u->s, sy_unix_ms(), &released);
	if (rc)
		sy_err("usage: lease expiry failed: %s", sy_strerror(rc));
	if ((rc = cp_money_publish(u->s, sy_unix_s(), PUBLISH_BATCH, &left)))
		sy_err("usage: publishing balances failed: %s", sy_strerror(rc));
	return left;
}

bool cp_usage_drain(struct cp_usage *u)
{
	for (int i = 0; i < DRAIN_BUDGET; i++) {
		struct cp_zmsg m;
		int rc = cp_zmq_recv_routed(u->router, "usage", &m);
		if (rc == 0)
			return false;
		if (rc < 0)
			continue;
		switch (m.env->body_case) {
		case SY__ENVELOPE__BODY_USAGE_BATCH:
			on_batch(u, &m);
			break;
		case SY__ENVELOPE__BODY_GENERATION_QUERY:
			on_query(u, &m);
			break;
		case SY__ENVELOPE__BODY_LEASE_REQUEST:
			on_lease_request(u, &m);
			break;
		case SY__ENVELOPE__BODY_LEASE_RETURN:
			on_lease_return(u, &m);
			break;
		default:
			if (cp_ratelease_on_message(u->rates, u->router, &m))
				break;
			sy_warn("usage: dropped an envelope of type %d", (int)m.env->body_case);
			break;
		}
		sy_env_free(&m.env);
	}
	return true;
}

struct cp_usage *cp_usage_new(void *zctx, struct cp_store *s, const char *endpoint,
                              const struct sy_curve *curve, const char **why)
{
	struct cp_usage *u = calloc(1, sizeof(*u));
	if (!u) {
		*why = "out of memory";
		return NULL;
	}
	u->s = s;
	u->lease_ttl_ms = CP_USAGE_LEASE_TTL_MS;
	if (!(u->rates = cp_ratelease_new())) {
		*why = "out of memory";
		free(u);
		return NULL;
	}
	u->byok_fee = cp_byok_fee_default;
	if (!(u->router = cp_zmq_bind(zctx, ZMQ_ROUTER, endpoint, curve, why))) {
		cp_ratelease_free(&u->rates);
		free(u);
		return NULL;
	}
	return u;
}

void cp_usage_free(struct cp_usage **up)
{
	struct cp_usage *u = *up;
	if (!u)
		return;
	zmq_close(u->router);
	cp_ratelease_free(&u->rates);
	free(u);
	*up = NULL;
}

int cp_usage_fd(const struct cp_usage *u)
{
	return cp_zmq_fd(u->router);
}
