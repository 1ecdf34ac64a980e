/* dp_sync.c - the Clone pattern's client side (zguide chapter 5).
 *
 * States: SNAPSHOT (a request is out or about to be; updates are queued) and LIVE (updates
 * apply in order). Each snapshot attempt uses a fresh DEALER socket, so a late answer to an
 * abandoned request can never be mistaken for the current one; SnapshotEnd's count is
 * checked against the items received as well. Updates without a seq carry volatile state
 * (endpoint stats): they bypass the sequence, never make a gap, and apply as they come. */
#include "dp_sync.h"
#include "dp_loop.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_curve.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <zmq.h>

#define SILENCE_MS (3 * SY_HEARTBEAT_MS) /* no message this long: the peer is gone */
#define WATCH_MS 250
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define QUEUE_MAX 100000 /* updates held while a snapshot streams */

enum sync_state {
	SYNC_SNAPSHOT,
	SYNC_LIVE
};

struct dp_sync {
	struct dp_worker *w;
	enum sync_state state;
	void *sub;
	int sub_fd;
	void *snap; /* DEALER of the current attempt; NULL between attempts */
	int snap_fd;
	struct dp_view *building; /* the snapshot being received */
	uint32_t received;        /* items in it so far */
	Sy__Envelope **queue;     /* updates that arrived during the snapshot, in order */
	size_t nqueue, capqueue;
	struct dp_view *next; /* live updates of the current drain, published at its end */
	uint64_t seq;         /* seq of the newest applied state */
	uint64_t cp_seq;      /* seq named by the controlplane's last heartbeat */
	int64_t last_pub_ms;  /* last message of any kind on the SUB */
	int64_t last_snap_ms; /* request sent or last snapshot message */
	int64_t backoff_ms;
	uint64_t snapshots;
	struct dp_timer *watch_timer, *retry_timer;
};

static void snapshot_request(struct dp_sync *s);

static int64_t now_ms(const struct dp_sync *s)
{
	return dp_loop_now_ms(s->w->loop);
}

static void queue_clear(struct dp_sync *s)
{
	for (size_t i = 0; i < s->nqueue; i++)
		sy_env_free(&s->queue[i]);
	s->nqueue = 0;
}

static void snap_close(struct dp_sync *s)
{
	if (!s->snap)
		return;
	dp_loop_del_fd(s->w->loop, s->snap_fd);
	zmq_close(s->snap);
	s->snap = NULL;
}

/* Make *vp the worker's current generation. */
static void publish(struct dp_sync *s, struct dp_view **vp)
{
	struct dp_worker *w = s->w;
	uint64_t old = w->view ? dp_view_seq(w->view) : 0;
	dp_worker_set_view(w, vp);
	sy_debug("view seq %" PRIu64 " -> %" PRIu64, old, dp_view_seq(w->view));
}

static void flush_next(struct dp_sync *s)
{
	if (!s->next)
		return;
	dp_view_set_seq(s->next, s->seq);
	publish(s, &s->next);
}

static void retry_fn(struct dp_loop *loop, void *arg)
{
	struct dp_sync *s = arg;
	s->retry_timer = NULL;
	snapshot_request(s);
}

/* Leave LIVE (or abandon the current attempt) and ask again after the backoff; the current
 * view keeps serving meanwhile. */
static void resnapshot(struct dp_sync *s, const char *why)
{
	flush_next(s);
	sy_info("re-snapshotting in %" PRId64 " ms: %s", s->backoff_ms, why);
	s->state = SYNC_SNAPSHOT;
	snap_close(s);
	dp_view_unref(&s->building);
	queue_clear(s);
	if (!s->retry_timer)
		s->retry_timer = dp_timer_add(s->w->loop, s->backoff_ms, retry_fn, s);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Apply one update to the generation being assembled, warning on an invalid one: the seq
 * still advances, since the same entity would fail again after a re-snapshot. */
static void apply_one(struct dp_view *v, const Sy__Update *u)
{
	int rc = dp_view_apply(v, u);
	if (rc)
		sy_warn("sync: ignoring invalid update (%s, seq %" PRIu64 "): %s", u->topic, u->seq,
		        sy_strerror(rc));
}

/* ---- snapshot socket ---------------------------------------------------------------------- */

static void on_snapshot_end(struct dp_sync *s, const Sy__SnapshotEnd *end)
{
	if (end->has_count && end->count != s->received) {
		char why[96];
		snprintf(why, sizeof(why), "snapshot announced %u items, %u arrived", end->count,
		         s->received);
		resnapshot(s, why);
		return;
	}
	struct dp_view *v = s->building ? s->building : dp_view_new();
	s->building = NULL;
	if (!v) {
		resnapshot(s, "out of memory");
		return;
	}
	uint64_t seq = end->seq;
	size_t skipped = 0, applied = 0;
	for (size_t i = 0; i < s->nqueue; i++) {
		const Sy__Update *u = s->queue[i]->update;
		if (!u->has_seq) { /* volatile: the newest value wins, the snapshot's included */
			apply_one(v, u);
			continue;
		}
		if (u->seq <= seq) {
			skipped++;
			continue;
		}
		if (u->seq != seq + 1) {
			dp_view_unref(&v);
			resnapshot(s, "gap between the snapshot and the queued updates");
			return;
		}
		apply_one(v, u);
		seq = u->seq;
		applied++;
	}
	queue_clear(s);
	snap_close(s);
	dp_view_set_seq(v, seq);
	bool first = s->w->view == NULL;
	publish(s, &v);
	s->seq = seq;
	s->state = SYNC_LIVE;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->last_pub_ms = now_ms(s); /* silence counts from here */
	sy_log(first ? SY_LOG_INFO : SY_LOG_DEBUG,
	       "snapshot applied: seq %" PRIu64 ", %u items, %zu queued updates applied "
	       "(%zu older)",
	       seq, s->received, applied, skipped);
}

static void on_snapshot_msg(struct dp_sync *s, Sy__Envelope *env)
{
	s->last_snap_ms = now_ms(s);
	if (env->body_case == SY__ENVELOPE__BODY_SNAPSHOT_CHUNK) {
		if (!s->building && !(s->building = dp_view_new())) {
			resnapshot(s, "out of memory");
			return;
		}
		const Sy__SnapshotChunk *c = env->snapshot_chunk;
		for (size_t i = 0; i < c->n_items; i++)
			apply_one(s->building, c->items[i]);
		s->received += (uint32_t)c->n_items;
	} else if (env->body_case == SY__ENVELOPE__BODY_SNAPSHOT_END) {
		on_snapshot_end(s, env->snapshot_end);
	} else {
		sy_warn("sync: unexpected message on the snapshot socket (body %d)",
		        (int)env->body_case);
	}
}

static void snap_drain(struct dp_sync *s)
{
	/* on_snapshot_end closes the socket: re-check it on every turn */
	while (s->snap && sy_zsock_readable(s->snap)) {
		int err;
		Sy__Envelope *env = sy_zrecv_env(s->snap, &err);
		if (!env) {
			if (err == -EAGAIN)
				break;
			sy_warn("sync: dropping an invalid snapshot message: %s", sy_strerror(err));
			continue;
		}
		on_snapshot_msg(s, env);
		sy_env_free(&env);
	}
}

static void snap_fd_fn(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	snap_drain(arg);
}

/* A fresh DEALER and a SnapshotRequest on it. The request waits in ZeroMQ's queue until the
 * connection is up, so a controlplane that starts later still gets it. */
static void snapshot_request(struct dp_sync *s)
{
	struct dp_worker *w = s->w;
	snap_close(s);
	dp_view_unref(&s->building);
	s->received = 0;
	s->state = SYNC_SNAPSHOT;
	s->last_snap_ms = now_ms(s);
	s->snapshots++;

	size_t fdlen = sizeof(s->snap_fd);
	s->snap = zmq_socket(w->zctx, ZMQ_DEALER);
	if (!s->snap || sy_zsock_setup(s->snap) || sy_curve_client(s->snap, w->cfg->curve) ||
	    zmq_connect(s->snap, w->cfg->zmq_snapshot) ||
	    zmq_getsockopt(s->snap, ZMQ_FD, &s->snap_fd, &fdlen) ||
	    dp_loop_add_fd(w->loop, s->snap_fd, EPOLLIN | EPOLLET, snap_fd_fn, s)) {
		sy_err("sync: cannot connect to %s: %s", w->cfg->zmq_snapshot,
		       zmq_strerror(zmq_errno()));
		if (s->snap)
			zmq_close(s->snap);
		s->snap = NULL;
		return; /* the watch timer retries */
	}
	char wid[64];
	snprintf(wid, sizeof(wid), "dp/%d/%ld", w->id, (long)getpid());
	Sy__SnapshotRequest req = SY__SNAPSHOT_REQUEST__INIT;
	req.worker_id = wid;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_SNAPSHOT_REQUEST;
	env.snapshot_request = &req;
	int rc = sy_zsend_env(s->snap, NULL, 0, &env, ZMQ_DONTWAIT);
	if (rc)
		sy_warn("sync: snapshot request not sent: %s", sy_strerror(rc));
	snap_drain(s);
}

/* ---- update socket ------------------------------------------------------------------------ */

/* The generation this drain's live updates go to: a copy of the current one. */
static struct dp_view *next_view(struct dp_sync *s)
{
	if (!s->next && !(s->next = dp_view_clone(s->w->view)))
		resnapshot(s, "out of memory");
	return s->next;
}

static void on_update(struct dp_sync *s, Sy__Envelope **envp)
{
	const Sy__Update *u = (*envp)->update;
	if (s->state == SYNC_SNAPSHOT) {
		if (s->nqueue == QUEUE_MAX) {
			resnapshot(s, "too many updates while the snapshot streams");
			return;
		}
		if (s->nqueue == s->capqueue) {
			size_t cap = s->capqueue ? s->capqueue * 2 : 64;
			Sy__Envelope **q = realloc(s->queue, cap * sizeof(*q));
			if (!q) {
				resnapshot(s, "out of memory");
				return;
			}
			s->queue = q;
			s->capqueue = cap;
		}
		s->queue[s->nqueue++] = *envp;
		*envp = NULL;
		return;
	}
	if (!u->has_seq) {
		/* volatile state (endpoint stats): outside the sequence, applied as it comes */
		if (next_view(s))
			apply_one(s->next, u);
		return;
	}
	if (u->seq <= s->seq)
		return; /* already part of the view */
	if (u->seq != s->seq + 1) {
		char why[96];
		snprintf(why, sizeof(why), "gap: update seq %" PRIu64 " after %" PRIu64, u->seq,
		         s->seq);
		resnapshot(s, why);
		return;
	}
	if (!next_view(s))
		return;
	apply_one(s->next, u);
	s->seq = u->seq;
}

static void on_heartbeat(struct dp_sync *s, const Sy__Heartbeat *hb)
{
	s->cp_seq = hb->seq;
	/* PUB delivers in order, so a heartbeat comes after every update it counts */
	if (s->state == SYNC_LIVE && hb->seq != s->seq) {
		char why[96];
		snprintf(why, sizeof(why), "heartbeat at seq %" PRIu64 ", view at %" PRIu64,
		         hb->seq, s->seq);
		resnapshot(s, why);
	}
}

static void sub_drain(struct dp_sync *s)
{
	while (sy_zsock_readable(s->sub)) {
		int err;
		Sy__Envelope *env = sy_zrecv_env(s->sub, &err);
		if (!env) {
			if (err == -EAGAIN)
				break;
			sy_warn("sync: dropping an invalid update message: %s", sy_strerror(err));
			continue;
		}
		s->last_pub_ms = now_ms(s);
		if (env->body_case == SY__ENVELOPE__BODY_UPDATE)
			on_update(s, &env);
		else if (env->body_case == SY__ENVELOPE__BODY_HEARTBEAT)
			on_heartbeat(s, env->heartbeat);
		else
			sy_warn("sync: unexpected message on the update socket (body %d)",
			        (int)env->body_case);
		sy_env_free(&env);
	}
	flush_next(s);
}

static void sub_fd_fn(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	sub_drain(arg);
}

/* Periodic: silence on the PUB while live, or a snapshot that stopped streaming. Also drains
 * both sockets, a cheap guard against a missed edge. */
static void watch_fn(struct dp_loop *loop, void *arg)
{
	struct dp_sync *s = arg;
	s->watch_timer = NULL;
	sub_drain(s);
	snap_drain(s);
	int64_t now = now_ms(s);
	if (s->state == SYNC_LIVE && now - s->last_pub_ms > SILENCE_MS)
		resnapshot(s, "no heartbeat from the controlplane for 3 intervals");
	else if (s->state == SYNC_SNAPSHOT && !s->retry_timer && now - s->last_snap_ms > SILENCE_MS)
		resnapshot(s, s->snap ? "snapshot did not arrive" : "snapshot socket failed");
	s->watch_timer = dp_timer_add(loop, WATCH_MS, watch_fn, s);
}

/* ---- public --------------------------------------------------------------------------------- */

struct dp_sync *dp_sync_new(struct dp_worker *w)
{
	struct dp_sync *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->w = w;
	s->sub_fd = -1;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->last_pub_ms = dp_loop_now_ms(w->loop);
	size_t fdlen = sizeof(s->sub_fd);
	s->sub = zmq_socket(w->zctx, ZMQ_SUB);
	if (!s->sub || sy_zsock_setup(s->sub) || sy_curve_client(s->sub, w->cfg->curve) ||
	    zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, "", 0) ||
	    zmq_connect(s->sub, w->cfg->zmq_publish) ||
	    zmq_getsockopt(s->sub, ZMQ_FD, &s->sub_fd, &fdlen) ||
	    dp_loop_add_fd(w->loop, s->sub_fd, EPOLLIN | EPOLLET, sub_fd_fn, s)) {
		sy_err("sync: cannot subscribe to %s: %s", w->cfg->zmq_publish,
		       zmq_strerror(zmq_errno()));
		goto out_free;
	}
	s->watch_timer = dp_timer_add(w->loop, WATCH_MS, watch_fn, s);
	if (!s->watch_timer)
		goto out_free;
	snapshot_request(s);
	return s;
out_free:
	dp_sync_free(&s);
	return NULL;
}

void dp_sync_free(struct dp_sync **sp)
{
	struct dp_sync *s = *sp;
	if (!s)
		return;
	*sp = NULL;
	dp_timer_cancel(&s->watch_timer);
	dp_timer_cancel(&s->retry_timer);
	snap_close(s);
	if (s->sub) {
		if (s->sub_fd >= 0)
			dp_loop_del_fd(s->w->loop, s->sub_fd);
		zmq_close(s->sub);
	}
	dp_view_unref(&s->building);
	dp_view_unref(&s->next);
	queue_clear(s);
	free(s->queue);
	free(s);
}

uint64_t dp_sync_snapshots(const struct dp_sync *s)
{
	return s->snapshots;
}

uint64_t dp_sync_controlplane_seq(const struct dp_sync *s)
{
	return s->cp_seq;
}

int64_t dp_sync_last_message_ms(const struct dp_sync *s)
{
	return s->last_pub_ms;
}
