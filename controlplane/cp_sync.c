/* cp_sync.c - snapshot ROUTER, update PUB and heartbeats. */
#include "cp_sync.h"
#include "cp_metrics.h"
#include "cp_stats.h"
#include "cp_zmq.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define DRAIN_BUDGET 16 /* snapshot requests served per loop pass */

struct cp_sync {
	void *router;
	void *pub;
	struct cp_store *s;
	const struct sy_kek *kek;
	struct cp_stats *stats; /* endpoint stats for snapshots; NULL = none */
};

/* One Update on the wire plus the storage its fields point into. */
struct wire {
	Sy__Update u;
	Sy__Provider prov;      /* shallow copy of a provider carrying the plain credential */
	Sy__OrgCredential cred; /* the same for an org's credential (BYOK) */
	ProtobufCMessage *own;  /* entity owned by the wire (snapshots), or NULL */
	char *secret;           /* decrypted credential, wiped on release */
	char *topic;
};

/* Fill w for entity m of kind k; m must outlive w. 0 or -ENOMEM. */
static int wire_init(struct cp_sync *y, struct wire *w, enum cp_kind k, const ProtobufCMessage *m,
                     bool deleted, uint64_t seq)
{
	sy__update__init(&w->u);
	w->own = NULL;
	w->secret = NULL;
	const char *id = cp_entity_id(k, m);
	size_t n = strlen(cp_kind_name(k)) + strlen(id) + 2;
	if (!(w->topic = malloc(n)))
		return -ENOMEM;
	snprintf(w->topic, n, "%s/%s", cp_kind_name(k), id);
	w->u.topic = w->topic;
	w->u.seq = seq;
	w->u.has_seq = seq != 0;
	w->u.deleted = deleted;
	w->u.has_deleted = deleted;
	switch (k) {
	case CP_ORG:
		w->u.value_case = SY__UPDATE__VALUE_ORG;
		w->u.org = (Sy__Org *)m;
		break;
	case CP_KEY:
		w->u.value_case = SY__UPDATE__VALUE_KEY;
		w->u.key = (Sy__ApiKey *)m;
		break;
	case CP_MKEY:
		w->u.value_case = SY__UPDATE__VALUE_MKEY;
		w->u.mkey = (Sy__MgmtKey *)m;
		break;
	case CP_MODEL:
		w->u.value_case = SY__UPDATE__VALUE_MODEL;
		w->u.model = (Sy__Model *)m;
		break;
	case CP_AUTOROUTER:
		w->u.value_case = SY__UPDATE__VALUE_AUTO_ROUTER;
		w->u.auto_router = (Sy__AutoRouter *)m;
		break;
	case CP_GUARDRAIL:
		w->u.value_case = SY__UPDATE__VALUE_GUARDRAIL;
		w->u.guardrail = (Sy__Guardrail *)m;
		break;
	case CP_PROVIDER: {
		const Sy__Provider *p = (const Sy__Provider *)m;
		w->prov = *p;
		w->prov.api_key_enc = (ProtobufCBinaryData){0, NULL};
		w->prov.has_api_key_enc = false;
		w->prov.api_key = NULL;
		int rc = deleted ? SY_ENOTFOUND : cp_provider_open(p, y->kek, &w->secret);
		if (rc && rc != SY_ENOTFOUND)
			sy_err("provider %s: cannot decrypt its credential (%s); workers get it "
			       "without one",
			       p->slug, sy_strerror(rc));
		w->prov.api_key = w->secret;
		w->prov.has_has_api_key = true;
		w->prov.has_api_key = w->secret != NULL;
		w->u.value_case = SY__UPDATE__VALUE_PROVIDER;
		w->u.provider = &w->prov;
		break;
	}
	case CP_CREDENTIAL: {
		const Sy__OrgCredential *oc = (const Sy__OrgCredential *)m;
		w->cred = *oc;
		w->cred.api_key_enc = (ProtobufCBinaryData){0, NULL};
		w->cred.has_api_key_enc = false;
		int rc = deleted ? SY_ENOTFOUND : cp_credential_open(oc, y->kek, &w->secret);
		if (rc && rc != SY_ENOTFOUND)
			sy_err("org %s: cannot decrypt its %s credential (%s); workers get it "
			       "without one",
			       oc->org_id, oc->provider, sy_strerror(rc));
		w->cred.api_key = w->secret;
		w->u.value_case = SY__UPDATE__VALUE_CREDENTIAL;
		w->u.credential = &w->cred;
		break;
	}
	case CP_KIND_COUNT:
		break;
	}
	return 0;
}

/* Fill w for a model's endpoint stats: volatile, so no seq; st must outlive w. */
static int wire_stats(struct wire *w, const Sy__EndpointStats *st)
{
	sy__update__init(&w->u);
	w->own = NULL;
	w->secret = NULL;
	size_t n = strlen("stats/") + strlen(st->model) + 1;
	if (!(w->topic = malloc(n)))
		return -ENOMEM;
	snprintf(w->topic, n, "stats/%s", st->model);
	w->u.topic = w->topic;
	w->u.value_case = SY__UPDATE__VALUE_STATS;
	w->u.stats = (Sy__EndpointStats *)st;
	return 0;
}

static void wire_release(struct wire *w)
{
	if (w->secret) {
		sodium_memzero(w->secret, strlen(w->secret));
		free(w->secret);
	}
	free(w->topic);
	cp_entity_free(&w->own);
}

/* Like sy_zsend_env, non-blocking, but wipes the packed bytes: they may hold a credential. */
static int send_env(void *sock, const void *frame, size_t flen, const Sy__Envelope *env)
{
	size_t len = 0;
	unsigned char *buf = sy_env_pack(env, &len);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	if (frame && zmq_send(sock, frame, flen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		rc = -errno;
	else if (zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0)
		rc = -errno;
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

/* ---- snapshots --------------------------------------------------------------------------- */

struct snap {
	struct cp_sync *y;
	const struct cp_zmsg *req;
	enum cp_kind kind;
	struct wire *items;
	Sy__Update **ptrs;
	size_t n, bytes;
	uint32_t count;
};

static int flush_chunk(struct snap *sn)
{
	if (!sn->n)
		return 0;
	Sy__SnapshotChunk ch = SY__SNAPSHOT_CHUNK__INIT;
	Sy__Envelope env;
	sy_env_init(&env);
	ch.items = sn->ptrs;
	ch.n_items = sn->n;
	env.body_case = SY__ENVELOPE__BODY_SNAPSHOT_CHUNK;
	env.snapshot_chunk = &ch;
	int rc = send_env(sn->y->router, sn->req->id, sn->req->idlen, &env);
	for (size_t i = 0; i < sn->n; i++)
		wire_release(&sn->items[i]);
	sn->n = sn->bytes = 0;
	return rc;
}

/* Add the item just filled in at sn->items[sn->n] (owning own), flushing a full chunk. */
static int snap_push(struct snap *sn, ProtobufCMessage *own)
{
	struct wire *w = &sn->items[sn->n];
	w->own = own;
	sn->ptrs[sn->n++] = &w->u;
	sn->bytes += sy__update__get_packed_size(&w->u);
	sn->count++;
	if (sn->n == CP_SYNC_CHUNK_ITEMS || sn->bytes >= CP_SYNC_CHUNK_BYTES)
		return flush_chunk(sn);
	return 0;
}

static int snap_item(const ProtobufCMessage *m, void *arg)
{
	struct snap *sn = arg;
	ProtobufCMessage *own = cp_entity_dup(m);
	if (!own || wire_init(sn->y, &sn->items[sn->n], sn->kind, own, false, 0)) {
		cp_entity_free(&own);
		return -ENOMEM;
	}
	return snap_push(sn, own);
}

static int snap_stats(const Sy__EndpointStats *st, void *arg)
{
	struct snap *sn = arg;
	ProtobufCMessage *own = cp_entity_dup(&st->base);
	if (!own || wire_stats(&sn->items[sn->n], (const Sy__EndpointStats *)own)) {
		cp_entity_free(&own);
		return -ENOMEM;
	}
	return snap_push(sn, own);
}

static void serve_snapshot(struct cp_sync *y, const struct cp_zmsg *req)
{
	/* Referenced entities first: orgs and providers before the keys and models using them. */
	static const enum cp_kind order[] = {CP_ORG, CP_PROVIDER,   CP_MODEL,     CP_MKEY,
	                                     CP_KEY, CP_AUTOROUTER, CP_GUARDRAIL, CP_CREDENTIAL};
	struct snap sn = {.y = y, .req = req};
	struct cp_txn *t = cp_store_begin(y->s, false);
	int rc = -ENOMEM;
	sn.items = calloc(CP_SYNC_CHUNK_ITEMS, sizeof(*sn.items));
	sn.ptrs = calloc(CP_SYNC_CHUNK_ITEMS, sizeof(*sn.ptrs));
	if (!t || !sn.items || !sn.ptrs)
		goto out;
	rc = 0;
	for (size_t i = 0; !rc && i < sizeof(order) / sizeof(order[0]); i++) {
		sn.kind = order[i];
		rc = cp_store_each(t, order[i], snap_item, &sn);
	}
	if (!rc && y->stats) /* as last published: the update stream continues from there */
		rc = cp_stats_each(y->stats, snap_stats, &sn);
	if (!rc)
		rc = flush_chunk(&sn);
	if (!rc) {
		Sy__SnapshotEnd end = SY__SNAPSHOT_END__INIT;
		Sy__Envelope env;
		sy_env_init(&env);
		end.seq = cp_store_txn_seq(t);
		end.count = sn.count;
		end.has_count = true;
		env.body_case = SY__ENVELOPE__BODY_SNAPSHOT_END;
		env.snapshot_end = &end;
		rc = send_env(y->router, req->id, req->idlen, &env);
		if (!rc) {
			cp_metrics.snapshots_served++;
			cp_metrics.snapshot_items += sn.count;
			sy_info("served a snapshot: %u item(s) at seq %llu", sn.count,
			        (unsigned long long)end.seq);
		}
	}
out:
	if (rc) {
		cp_metrics.snapshots_aborted++;
		sy_warn("snapshot aborted: %s", sy_strerror(rc));
	}
	for (size_t i = 0; sn.items && i < sn.n; i++)
		wire_release(&sn.items[i]);
	free(sn.items);
	free(sn.ptrs);
	cp_store_abort(&t);
}

bool cp_sync_drain(struct cp_sync *y)
{
	for (int i = 0; i < DRAIN_BUDGET; i++) {
		struct cp_zmsg m;
		int rc = cp_zmq_recv_routed(y->router, "snapshot", &m);
		if (rc == 0)
			return false;
		if (rc < 0)
			continue;
		if (m.env->body_case == SY__ENVELOPE__BODY_SNAPSHOT_REQUEST)
			serve_snapshot(y, &m);
		else
			sy_warn("snapshot: dropped an envelope of type %d", (int)m.env->body_case);
		sy_env_free(&m.env);
	}
	return true;
}

/* ---- updates and heartbeats ---------------------------------------------------------------- */

void cp_sync_publish(const struct cp_change *ch, size_t n, void *arg)
{
	struct cp_sync *y = arg;
	for (size_t i = 0; i < n; i++) {
		struct wire w;
		Sy__Envelope env;
		if (wire_init(y, &w, ch[i].kind, ch[i].msg, ch[i].deleted, ch[i].seq)) {
			sy_err("out of memory publishing seq=%llu", (unsigned long long)ch[i].seq);
			continue;
		}
		sy_env_init(&env);
		env.body_case = SY__ENVELOPE__BODY_UPDATE;
		env.update = &w.u;
		int rc = send_env(y->pub, w.topic, strlen(w.topic), &env);
		if (rc) {
			cp_metrics.updates_dropped++;
			sy_warn("publish seq=%llu dropped: %s", (unsigned long long)ch[i].seq,
			        sy_strerror(rc));
		} else {
			cp_metrics.updates_published++;
		}
		wire_release(&w);
	}
}

void cp_sync_set_stats(struct cp_sync *y, struct cp_stats *st)
{
	y->stats = st;
}

int cp_sync_publish_stats(const Sy__EndpointStats *st, void *arg)
{
	struct cp_sync *y = arg;
	struct wire w;
	Sy__Envelope env;
	if (wire_stats(&w, st))
		return -ENOMEM;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_UPDATE;
	env.update = &w.u;
	int rc = send_env(y->pub, w.topic, strlen(w.topic), &env);
	if (rc)
		sy_warn("publish %s dropped: %s", w.topic, sy_strerror(rc));
	wire_release(&w);
	return rc;
}

void cp_sync_heartbeat(struct cp_sync *y)
{
	Sy__Heartbeat hb = SY__HEARTBEAT__INIT;
	Sy__Envelope env;
	sy_env_init(&env);
	hb.seq = cp_store_seq(y->s);
	hb.time_ms = sy_unix_ms();
	hb.has_time_ms = true;
	env.body_case = SY__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	if (sy_zsend_env(y->pub, "hb", 2, &env, ZMQ_DONTWAIT))
		sy_debug("heartbeat dropped");
	else
		cp_metrics.heartbeats++;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

struct cp_sync *cp_sync_new(void *zctx, struct cp_store *s, const struct sy_kek *kek,
                            const char *snapshot_ep, const char *publish_ep,
                            const struct sy_curve *curve, const char **why)
{
	struct cp_sync *y = calloc(1, sizeof(*y));
	if (!y) {
		*why = "out of memory";
		return NULL;
	}
	y->s = s;
	y->kek = kek;
	/* A snapshot is written in one go: no HWM drops, and a vanished peer aborts it. */
	int zero = 0, one = 1;
	y->router = cp_zmq_bind(zctx, ZMQ_ROUTER, snapshot_ep, curve, why);
	if (y->router && (zmq_setsockopt(y->router, ZMQ_SNDHWM, &zero, sizeof(zero)) ||
	                  zmq_setsockopt(y->router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one))))
		*why = "cannot set snapshot socket options";
	else if (y->router)
		y->pub = cp_zmq_bind(zctx, ZMQ_PUB, publish_ep, curve, why);
	if (!y->pub) {
		cp_sync_free(&y);
		return NULL;
	}
	return y;
}

void cp_sync_free(struct cp_sync **yp)
{
	struct cp_sync *y = *yp;
	if (!y)
		return;
	if (y->router)
		zmq_close(y->router);
	if (y->pub)
		zmq_close(y->pub);
	free(y);
	*yp = NULL;
}

int cp_sync_fd(const struct cp_sync *y)
{
	return cp_zmq_fd(y->router);
}
