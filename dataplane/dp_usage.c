/* dp_usage.c - usage records: durable spool, batched sends, acknowledgements, resends.
 *
 * A record lives in two places until the controlplane acknowledges its id: appended to the
 * worker's spool file and held in memory on one of two lists, `unsent` (to go out in the
 * next batch) or `inflight` (sent at sent_ms, waiting for its ack). Acks normally arrive in
 * send order, so looking ids up from the head of `inflight` is short. An in-flight record
 * not acknowledged within RESEND_MS goes back to `unsent`; the controlplane applies each id
 * at most once, so resending is always safe.
 *
 * The records travel on the worker's link (dp_link): while the controlplane is unreachable a
 * send fails at once (EAGAIN) and the records simply stay `unsent` until the resend timer
 * finds the connection back. Acks and generation replies come back through the link's
 * handlers for those two message types.
 *
 * The spool file is dp_spool's (its format is there). When nothing is pending and no intent is
 * open the file is truncated; when most of a large file is dead, the pending records and the
 * open intents are rewritten to a temporary file renamed over it.
 *
 * Intents (write-ahead): a request about to call upstream spools an intent (dp_usage_open),
 * held in memory on `intents` as its frame but never sent. Its final record (same id)
 * supersedes it: the intent's bytes are dead once that record is queued (dp_usage_close).
 * A worker killed in between leaves an intent without a final record in the spool; the next
 * start of the same worker id turns each such intent into a crash record, queued, spooled
 * and sent like any other, so the generation exists exactly once. Which intents a final
 * record resolves is decided by id, wherever the two lie in the file.
 *
 * Spool writes are batched per loop iteration: the records settled while the loop handles
 * one round of events are framed into `unwritten` and appended with one write(2) by a 0 ms
 * timer, which runs before the loop can wait again, and always before a record is sent. The
 * file is then fdatasync'ed within sync_ms (dp_spool's group commit).
 *
 * Bounded memory: at most memory_max pending records are held in memory. Beyond that, the
 * records of a batch just written are dropped from memory once they are on disk ("spilled"):
 * every record frame from spill_off to the end of the spool is then a spilled one (intents
 * aside), because once spilling starts every new record is spilled too. As acks free room,
 * spilled records are read back from spill_off in file order. The spool is neither truncated
 * nor compacted while any record is spilled. */
#include "dp_usage.h"
#include "dp_link.h"
#include "dp_loop.h"
#include "dp_spool.h"
#include "sy_buf.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 500         /* records per UsageBatch (one controlplane write transaction) */
#define FLUSH_MS 50           /* how long a record waits for others to share its batch */
#define RESEND_MS 2000        /* unacknowledged this long: send again */
#define TICK_MS 1000          /* resend scan interval */
#define QUERY_TIMEOUT_MS 2000 /* GET /generation lookups: the controlplane's answer */
/* A generation the client has just received may not have reached the controlplane yet (it
 * travels in the next batch). An id from the last RECENT_S seconds that the controlplane does
 * not know is asked for again every QUERY_RETRY_MS, for up to QUERY_WAIT_MS. */
#define RECENT_S 60
#define QUERY_RETRY_MS 50
#define QUERY_WAIT_MS 5000
#define COMPACT_MIN (1 << 20)    /* spool bytes before a rewrite is worth it */
#define COMPACT_CHUNK (64 << 10) /* bytes per write while compacting */

/* A record, or an open intent (msg NULL, frame set). */
struct rec {
	struct rec *prev, *next;
	Sy__UsageRecord *msg; /* unpacked copy (owned) */
	uint8_t *frame;       /* an intent's spool frame (owned), rewritten by compaction */
	size_t frame_len;
	size_t spool_len; /* bytes it takes in the spool, header included (0: not in it) */
	uint64_t batch;   /* u->batch when it was framed: not written yet while they are equal */
	size_t at;        /* its frame's offset in unwritten while not written */
	int64_t sent_ms;
};

/* The handle dp_usage_open gives out. */
struct dp_usage_intent {
	struct rec rec;
};

struct rec_list {
	struct rec *head, *tail;
	size_t n;
};

struct query {
	struct query *next;
	struct dp_usage *u;
	uint64_t req_id; /* of the last GenerationQuery sent: older replies are stale */
	dp_generation_fn *fn;
	void *arg;
	struct dp_timer *timer;
	int64_t wait_until_ms; /* monotonic; 0: a "not found" is final */
	char id[128];
	char key_hash[80];
};

static void query_send(struct dp_usage *u, struct query *q);

struct dp_usage {
	struct dp_loop *loop;
	struct dp_link *link;   /* to the controlplane (owned) */
	struct dp_spool *spool; /* the durable file (owned) */
	size_t spool_live; /* bytes of pending records and open intents, unwritten ones included */
	struct rec_list unsent, inflight;
	struct rec_list intents; /* open */
	struct sy_buf unwritten; /* the frames of this iteration, not yet written */
	size_t n_unwritten;
	uint64_t batch;               /* the frames in unwritten carry this number */
	size_t memory_max;            /* pending records held in memory at most; 0 = no cap */
	size_t spilled;               /* pending records on disk only */
	size_t spill_off;             /* spool offset of the first spilled record */
	struct dp_timer *spool_timer; /* writes unwritten */
	struct dp_timer *flush_timer, *tick_timer;
	struct query *queries;
	uint64_t next_req;
};

/* ---- record lists ----------------------------------------------------------------------- */

static void list_push(struct rec_list *l, struct rec *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
}

static void list_unlink(struct rec_list *l, struct rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	l->n--;
}

static struct rec *list_find(const struct rec_list *l, const char *id)
{
	for (struct rec *r = l->head; r; r = r->next)
		if (strcmp(r->msg->id, id) == 0)
			return r;
	return NULL;
}

static void rec_free(struct rec *r)
{
	if (r->msg)
		sy__usage_record__free_unpacked(r->msg, NULL);
	free(r->frame);
	free(r);
}

static void list_free(struct rec_list *l)
{
	while (l->head) {
		struct rec *r = l->head;
		list_unlink(l, r);
		rec_free(r);
	}
}

/* ---- spool ---------------------------------------------------------------------------- */

/* Over the memory cap: the records of the batch just written (at spool offset base) leave
 * memory, from the first one over the cap on (all of them once spilling has started). */
static void spill(struct dp_usage *u, size_t base)
{
	size_t kept = u->unsent.n + u->inflight.n; /* then: the ones older than the batch */
	for (struct rec *r = u->unsent.head; r; r = r->next)
		kept -= r->batch == u->batch;
	for (struct rec *r = u->unsent.head, *next; r; r = next) {
		next = r->next;
		if (r->batch != u->batch)
			continue;
		if (!u->spilled && kept < u->memory_max) {
			kept++;
			continue;
		}
		if (!u->spilled)
			u->spill_off = base + r->at;
		list_unlink(&u->unsent, r);
		rec_free(r); /* its bytes stay live in the spool */
		u->spilled++;
	}
}

/* Read spilled records back while there is room (below the cap); true if any came back. */
static bool unspill(struct dp_usage *u)
{
	size_t loaded = 0;
	uint8_t hdr[4];
	while (u->spilled && u->unsent.n + u->inflight.n < u->memory_max &&
	       dp_spool_pread(u->spool, hdr, 4, u->spill_off)) {
		bool intent;
		size_t n = dp_spool_frame_len(hdr, &intent);
		uint8_t *data = intent ? NULL : malloc(n ? n : 1);
		if (!intent) {
			Sy__UsageRecord *m =
			    data && dp_spool_pread(u->spool, data, n, u->spill_off + 4)
			        ? sy__usage_record__unpack(NULL, n, data)
			        : NULL;
			struct rec *r = m ? calloc(1, sizeof(*r)) : NULL;
			free(data);
			if (!r) {
				if (m)
					sy__usage_record__free_unpacked(m, NULL);
				sy_err("usage spool: cannot read a spilled record back; retrying "
				       "later");
				break;
			}
			r->msg = m;
			r->spool_len = 4 + n;
			r->batch = u->batch - 1; /* written */
			list_push(&u->unsent, r);
			u->spilled--;
			loaded++;
		}
		u->spill_off += 4 + n;
	}
	if (loaded)
		sy_debug("usage spool: %zu spilled record(s) back in memory, %zu still on disk",
		         loaded, u->spilled);
	return loaded;
}

/* This iteration's frames in one append (dp_spool: written, then synced within sync_ms). */
static void spool_write(struct dp_usage *u)
{
	dp_timer_cancel(&u->spool_timer);
	if (!u->n_unwritten)
		return;
	size_t base = dp_spool_size(u->spool);
	int rc = dp_spool_append(u->spool, u->unwritten.data, u->unwritten.len);
	if (!rc) {
		if (u->memory_max)
			spill(u, base);
	} else {
		/* they are still sent, but a crash before their ack loses them */
		sy_err("usage spool: %zu record(s) could not be written (%s); they are kept in "
		       "memory only",
		       u->n_unwritten, sy_strerror(rc));
		struct rec_list *lists[] = {&u->unsent, &u->intents};
		for (int i = 0; i < 2; i++) {
			for (struct rec *r = lists[i]->head; r; r = r->next) {
				if (r->batch != u->batch)
					continue;
				u->spool_live -= r->spool_len;
				r->spool_len = 0;
			}
		}
	}
	sy_buf_reset(&u->unwritten);
	u->n_unwritten = 0;
	u->batch++;
}

static void spool_timer_fn(struct dp_loop *loop, void *arg)
{
	struct dp_usage *u = arg;
	u->spool_timer = NULL;
	spool_write(u);
}

/* Rewrite the spool with only the pending records, atomically (write, fsync, rename). */
static void spool_compact(struct dp_usage *u)
{
	int rc = dp_spool_rewrite_begin(u->spool);
	if (rc) {
		sy_warn("usage spool: cannot compact: %s", sy_strerror(rc));
		return;
	}
	/* every record and open intent in memory, the unwritten ones included */
	size_t total = 0;
	struct sy_buf b;
	sy_buf_init(&b, 0);
	struct rec_list *lists[] = {&u->intents, &u->inflight, &u->unsent};
	for (int i = 0; i < 3; i++) {
		for (struct rec *r = lists[i]->head; r; r = r->next) {
			if (r->msg ? dp_spool_frame(&b, r->msg, false)
			           : sy_buf_append(&b, (const char *)r->frame, r->frame_len))
				goto out_abandon;
			if (b.len >= COMPACT_CHUNK || (!r->next && b.len)) {
				if (dp_spool_rewrite_write(u->spool, b.data, b.len))
					goto out_abandon;
				total += b.len;
				sy_buf_reset(&b);
			}
		}
	}
	if (dp_spool_rewrite_commit(u->spool))
		goto out_abandon;
	sy_buf_release(&b);
	for (int i = 0; i < 3; i++) /* a record whose write had failed is in the file now */
		for (struct rec *r = lists[i]->head; r; r = r->next)
			r->spool_len =
			    r->msg ? 4 + sy__usage_record__get_packed_size(r->msg) : r->frame_len;
	u->spool_live = total;
	sy_buf_reset(&u->unwritten);
	u->n_unwritten = 0;
	u->batch++;
	dp_timer_cancel(&u->spool_timer);
	sy_debug("usage spool compacted to %zu bytes", total);
	return;
out_abandon:
	sy_buf_release(&b);
	sy_warn("usage spool: compaction failed, keeping the old file");
	dp_spool_rewrite_abort(u->spool);
}

/* After acks: empty spool when nothing is pending, compaction when mostly dead. */
static void spool_trim(struct dp_usage *u)
{
	if (u->spilled)
		return; /* the spilled records are read back from their offsets */
	if (u->unsent.n + u->inflight.n + u->intents.n == 0) {
		if (dp_spool_size(u->spool) && !dp_spool_cut(u->spool, 0))
			u->spool_live = 0;
		return;
	}
	size_t size = dp_spool_size(u->spool);
	if (size > COMPACT_MIN && u->spool_live * 2 < size)
		spool_compact(u);
}

/* Frame rec into unwritten as a new pending record (on unsent) or open intent (on intents);
 * NULL when out of memory, with nothing queued. */
static struct rec *queue(struct dp_usage *u, const Sy__UsageRecord *rec, bool intent)
{
	size_t at = u->unwritten.len;
	struct rec *r = calloc(1, intent ? sizeof(struct dp_usage_intent) : sizeof(*r));
	int rc = r ? dp_spool_frame(&u->unwritten, rec, intent) : -ENOMEM;
	if (!rc) {
		const uint8_t *p = (const uint8_t *)u->unwritten.data + at;
		size_t len = u->unwritten.len - at;
		if (intent) { /* kept as bytes: only compaction ever needs it again */
			r->frame = malloc(len);
			if (r->frame)
				memcpy(r->frame, p, len);
			r->frame_len = len;
		} else { /* the copy the channel keeps (and sends from) */
			r->msg = sy__usage_record__unpack(NULL, len - 4, p + 4);
		}
		rc = r->msg || r->frame ? 0 : -ENOMEM;
	}
	if (rc) {
		u->unwritten.len = at; /* the unwritten frames stay whole */
		if (u->unwritten.data)
			u->unwritten.data[at] = '\0';
		free(r);
		return NULL;
	}
	r->spool_len = u->unwritten.len - at;
	r->batch = u->batch;
	r->at = at;
	u->spool_live += r->spool_len;
	u->n_unwritten++;
	list_push(intent ? &u->intents : &u->unsent, r);
	return r;
}

/* The crash record of a request whose intent has no final record (see dp_usage.h). */
static int queue_crash_record(struct dp_usage *u, const Sy__UsageRecord *intent)
{
	Sy__UsageRecord c = *intent;
	Sy__Attempt a = SY__ATTEMPT__INIT, *ap = &a;
	a.provider = intent->provider;
	a.model = intent->model;
	a.error_class = DP_USAGE_CRASH_CLASS;
	c.has_status = c.has_cancelled = c.has_cost = true;
	c.status = DP_USAGE_CRASH_STATUS;
	c.cancelled = true;
	c.cost = intent->has_cost ? intent->cost : 0; /* what was sent, per its last progress */
	c.finish_reason = "error";
	c.error_class = DP_USAGE_CRASH_CLASS;
	c.has_prompt_tokens = c.has_completion_tokens = c.has_cached_tokens = true;
	c.has_cache_write_tokens = c.has_reasoning_tokens = true;
	c.n_attempts = 1;
	c.attempts = &ap;
	return queue(u, &c, false) ? 0 : -ENOMEM;
}

/* By id, then in spool order (r->at holds the frame's offset while replaying). */
static int by_id(const void *a, const void *b)
{
	const struct rec *x = *(struct rec *const *)a, *y = *(struct rec *const *)b;
	int c = strcmp(x->msg->id, y->msg->id);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

static int by_id_only(const void *a, const void *b)
{
	const struct rec *x = *(struct rec *const *)a, *y = *(struct rec *const *)b;
	return strcmp(x->msg->id, y->msg->id);
}

/* Intents without a final record among the replayed ones: their worker died with the
 * request. Each becomes a crash record, once, from the request's latest intent (progress
 * rewrites it; the last in the spool is the latest), queued and written now; the intents
 * themselves are freed (their bytes are dead). */
static int resolve_intents(struct dp_usage *u, struct rec_list *open)
{
	if (!open->n)
		return 0;
	int rc = 0;
	size_t n = 0, crashed = 0;
	struct rec **v = calloc(open->n, sizeof(*v));
	bool *done = calloc(open->n, sizeof(*done));
	if (!v || !done) {
		rc = -ENOMEM;
		goto out;
	}
	for (struct rec *r = open->head; r; r = r->next)
		v[n++] = r;
	qsort(v, n, sizeof(*v), by_id);
	for (struct rec *r = u->unsent.head; r; r = r->next) {
		struct rec key = {.msg = r->msg}, *kp = &key;
		struct rec **hit = bsearch(&kp, v, n, sizeof(*v), by_id_only);
		if (hit)
			done[hit - v] = true;
	}
	for (size_t i = 0, end; i < n && !rc; i = end) {
		bool superseded = false;
		for (end = i; end < n && !strcmp(v[end]->msg->id, v[i]->msg->id); end++)
			superseded = superseded || done[end];
		if (superseded)
			continue;
		rc = queue_crash_record(u, v[end - 1]->msg);
		crashed += !rc;
	}
	if (crashed) {
		sy_warn("usage spool: %zu request(s) were in flight when this worker died: "
		        "recorded with error_class %s",
		        crashed, DP_USAGE_CRASH_CLASS);
		spool_write(u);
	}
out:
	free(v);
	free(done);
	list_free(open);
	return rc;
}

/* Load what a previous run left: every complete, valid record becomes unsent, every intent
 * without its final record a crash record. A torn tail (the process died inside a write) is
 * cut off. */
static int spool_replay(struct dp_usage *u)
{
	uint8_t *data;
	size_t size, off = 0;
	int rc = dp_spool_read(u->spool, &data, &size);
	if (rc)
		return rc;
	size_t loaded = 0, bad = 0;
	struct rec_list open = {0};
	while (size - off >= 4) {
		bool intent;
		size_t n = dp_spool_frame_len(data + off, &intent);
		if (n > SY_MSG_MAX || n > size - off - 4)
			break;
		Sy__UsageRecord *m = sy__usage_record__unpack(NULL, n, data + off + 4);
		struct rec *r = m ? calloc(1, sizeof(*r)) : NULL;
		if (r) {
			r->msg = m;
			if (intent) {
				r->at = off;
				list_push(&open, r);
			} else {
				r->spool_len = 4 + n;
				list_push(&u->unsent, r);
				u->spool_live += 4 + n;
				loaded++;
			}
		} else {
			if (m)
				sy__usage_record__free_unpacked(m, NULL);
			bad++;
		}
		off += 4 + n;
	}
	free(data);
	if (off < size) {
		sy_warn("usage spool: cutting a torn record (%zu bytes) off the end", size - off);
		if ((rc = dp_spool_cut(u->spool, off))) {
			list_free(&open);
			return rc;
		}
	}
	if (loaded || bad)
		sy_info("usage spool: replaying %zu unacknowledged records (%zu unreadable)",
		        loaded, bad);
	return resolve_intents(u, &open);
}

/* ---- sending ---------------------------------------------------------------------------- */

/* Send batches while there is something unsent and the socket takes it. */
static void flush(struct dp_usage *u)
{
	Sy__UsageRecord *batch[BATCH_MAX];
	spool_write(u); /* nothing goes out before it is spooled */
	while (u->unsent.n) {
		size_t n = 0;
		for (struct rec *r = u->unsent.head; r && n < BATCH_MAX; r = r->next)
			batch[n++] = r->msg;
		Sy__UsageBatch b = SY__USAGE_BATCH__INIT;
		b.n_records = n;
		b.records = batch;
		Sy__Envelope env;
		sy_env_init(&env);
		env.body_case = SY__ENVELOPE__BODY_USAGE_BATCH;
		env.usage_batch = &b;
		int rc = dp_link_send(u->link, &env);
		if (rc) {
			if (rc != -EAGAIN)
				sy_warn("usage: send failed: %s", sy_strerror(rc));
			break; /* not connected: the tick retries */
		}
		int64_t now = dp_loop_now_ms(u->loop);
		for (size_t i = 0; i < n; i++) {
			struct rec *r = u->unsent.head;
			list_unlink(&u->unsent, r);
			r->sent_ms = now;
			list_push(&u->inflight, r);
		}
	}
	dp_link_drain(u->link);
}

static void flush_timer_fn(struct dp_loop *loop, void *arg)
{
	struct dp_usage *u = arg;
	u->flush_timer = NULL;
	flush(u);
}

/* Periodic: what waited too long for its ack goes out again. */
static void tick_fn(struct dp_loop *loop, void *arg)
{
	struct dp_usage *u = arg;
	int64_t now = dp_loop_now_ms(loop);
	size_t requeued = 0;
	while (u->inflight.head && now - u->inflight.head->sent_ms >= RESEND_MS) {
		struct rec *r = u->inflight.head;
		list_unlink(&u->inflight, r);
		list_push(&u->unsent, r);
		requeued++;
	}
	if (requeued)
		sy_debug("usage: resending %zu unacknowledged records", requeued);
	flush(u);
	u->tick_timer = dp_timer_add(loop, TICK_MS, tick_fn, u);
}

/* ---- receiving -------------------------------------------------------------------------- */

static void on_ack(const Sy__Envelope *env, void *arg)
{
	struct dp_usage *u = arg;
	const Sy__UsageAck *ack = env->usage_ack;
	for (size_t i = 0; i < ack->n_ids; i++) {
		struct rec_list *l = &u->inflight;
		struct rec *r = list_find(l, ack->ids[i]);
		if (!r) {
			l = &u->unsent;
			r = list_find(l, ack->ids[i]);
		}
		if (!r)
			continue; /* a duplicate ack for a resent record */
		list_unlink(l, r);
		u->spool_live -= r->spool_len;
		rec_free(r);
	}
	if (u->spilled && unspill(u) && !u->flush_timer)
		u->flush_timer = dp_timer_add(u->loop, 0, flush_timer_fn, u);
	spool_trim(u);
}

static void query_finish(struct dp_usage *u, struct query *q, const Sy__UsageRecord *rec)
{
	for (struct query **pp = &u->queries; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	dp_timer_cancel(&q->timer);
	q->fn(rec, q->arg);
	free(q);
}

static void query_retry_fn(struct dp_loop *loop, void *arg)
{
	struct query *q = arg;
	q->timer = NULL;
	query_send(q->u, q);
	if (!q->timer) /* out of memory: answer "not found" rather than never */
		query_finish(q->u, q, NULL);
	else
		dp_link_drain(q->u->link);
}

static void on_reply(const Sy__Envelope *env, void *arg)
{
	struct dp_usage *u = arg;
	const Sy__GenerationReply *rep = env->generation_reply;
	for (struct query *q = u->queries; q; q = q->next) {
		if (q->req_id != rep->request_id)
			continue;
		if (!rep->record && sy_mono_ms() + QUERY_RETRY_MS < q->wait_until_ms) {
			dp_timer_cancel(&q->timer);
			q->timer = dp_timer_add(u->loop, QUERY_RETRY_MS, query_retry_fn, q);
			if (q->timer)
				return;
		}
		query_finish(u, q, rep->record);
		return;
	}
}

/* ---- public ------------------------------------------------------------------------------- */

struct dp_usage *dp_usage_new(struct dp_loop *loop, void *zctx, const char *endpoint,
                              const struct sy_curve *curve, const char *spool_dir, int worker_id)
{
	struct dp_usage *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->loop = loop;
	sy_buf_init(&u->unwritten, 0);
	u->spool = dp_spool_open(loop, spool_dir, worker_id);
	if (!u->spool)
		goto out_free;
	int rc = spool_replay(u);
	if (rc) {
		sy_err("usage spool: cannot read %s: %s", dp_spool_path(u->spool), sy_strerror(rc));
		goto out_free;
	}
	u->link = dp_link_new(loop, zctx, endpoint, curve);
	if (!u->link || dp_link_on(u->link, SY__ENVELOPE__BODY_USAGE_ACK, on_ack, u) ||
	    dp_link_on(u->link, SY__ENVELOPE__BODY_GENERATION_REPLY, on_reply, u))
		goto out_free;
	u->tick_timer = dp_timer_add(loop, TICK_MS, tick_fn, u);
	if (u->unsent.n)
		u->flush_timer = dp_timer_add(loop, 0, flush_timer_fn, u);
	if (!u->tick_timer)
		goto out_free;
	return u;
out_free:
	dp_usage_free(&u);
	return NULL;
}

void dp_usage_free(struct dp_usage **up)
{
	struct dp_usage *u = *up;
	if (!u)
		return;
	*up = NULL;
	if (u->link)
		flush(u); /* whatever is still unacknowledged stays in the spool for next time */
	else if (u->spool)
		spool_write(u);
	while (u->queries)
		query_finish(u, u->queries, NULL);
	dp_timer_cancel(&u->spool_timer);
	dp_timer_cancel(&u->flush_timer);
	dp_timer_cancel(&u->tick_timer);
	dp_link_free(&u->link);
	if (u->intents.n) /* their requests never settled: recorded as crashed next time */
		sy_warn("usage: %zu request intent(s) still open at exit", u->intents.n);
	list_free(&u->inflight);
	list_free(&u->unsent);
	list_free(&u->intents);
	dp_spool_close(&u->spool); /* synced first */
	sy_buf_release(&u->unwritten);
	free(u);
}

/* The frames just queued are written before the loop waits again (or now, without a timer). */
static void arm_spool_write(struct dp_usage *u)
{
	if (!u->spool_timer)
		u->spool_timer = dp_timer_add(u->loop, 0, spool_timer_fn, u);
	if (!u->spool_timer)
		spool_write(u);
}

int dp_usage_submit(struct dp_usage *u, const Sy__UsageRecord *rec)
{
	if (!rec->id || !*rec->id)
		return SY_EINVAL;
	if (!queue(u, rec, false)) {
		sy_err("usage: record %s could not be spooled: %s", rec->id, sy_strerror(-ENOMEM));
		return -ENOMEM;
	}
	arm_spool_write(u);
	if (u->unsent.n >= BATCH_MAX) {
		dp_timer_cancel(&u->flush_timer);
		flush(u);
	} else if (!u->flush_timer) {
		u->flush_timer = dp_timer_add(u->loop, FLUSH_MS, flush_timer_fn, u);
	}
	return 0;
}

struct dp_usage_intent *dp_usage_open(struct dp_usage *u, const Sy__UsageRecord *rec)
{
	struct rec *r = rec->id && *rec->id ? queue(u, rec, true) : NULL;
	if (!r) {
		sy_err("usage: the intent of %s could not be spooled", rec->id ? rec->id : "?");
		return NULL;
	}
	arm_spool_write(u);
	return (struct dp_usage_intent *)r;
}

void dp_usage_progress(struct dp_usage *u, struct dp_usage_intent *i, const Sy__UsageRecord *rec)
{
	size_t at = u->unwritten.len;
	uint8_t *frame =
	    dp_spool_frame(&u->unwritten, rec, true) ? NULL : malloc(u->unwritten.len - at);
	if (!frame) { /* the older intent stays: a crash then charges less */
		u->unwritten.len = at;
		if (u->unwritten.data)
			u->unwritten.data[at] = '\0';
		return;
	}
	size_t len = u->unwritten.len - at;
	memcpy(frame, u->unwritten.data + at, len);
	free(i->rec.frame);
	i->rec.frame = frame;
	i->rec.frame_len = len;
	u->spool_live += len - i->rec.spool_len;
	i->rec.spool_len = len;
	i->rec.batch = u->batch;
	i->rec.at = at;
	u->n_unwritten++;
	arm_spool_write(u);
}

void dp_usage_close(struct dp_usage *u, struct dp_usage_intent **ip)
{
	struct dp_usage_intent *i = *ip;
	if (!i)
		return;
	*ip = NULL;
	list_unlink(&u->intents, &i->rec);
	u->spool_live -= i->rec.spool_len;
	rec_free(&i->rec);
}

size_t dp_usage_pending(const struct dp_usage *u)
{
	return u->unsent.n + u->inflight.n + u->spilled;
}

size_t dp_usage_in_memory(const struct dp_usage *u)
{
	return u->unsent.n + u->inflight.n;
}

void dp_usage_configure(struct dp_usage *u, bool fsync, uint32_t sync_ms, size_t memory_max)
{
	dp_spool_configure(u->spool, fsync, sync_ms);
	u->memory_max = memory_max;
}

static void query_timeout_fn(struct dp_loop *loop, void *arg)
{
	struct query *q = arg;
	q->timer = NULL;
	query_finish(q->u, q, NULL);
}

/* Whether id ("gen-<unix seconds>-...") was made in the last RECENT_S seconds. */
static bool id_recent(const char *id)
{
	char *end;
	if (strncmp(id, "gen-", 4))
		return false;
	long long t = strtoll(id + 4, &end, 10);
	long long now = sy_unix_s();
	return end != id + 4 && *end == '-' && t <= now + 5 && t >= now - RECENT_S;
}

/* Send q's GenerationQuery under a new request id and arm its timeout. */
static void query_send(struct dp_usage *u, struct query *q)
{
	q->req_id = ++u->next_req;
	Sy__GenerationQuery gq = SY__GENERATION_QUERY__INIT;
	gq.request_id = q->req_id;
	gq.id = q->id;
	gq.key_hash = q->key_hash;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_GENERATION_QUERY;
	env.generation_query = &gq;
	int rc = dp_link_send(u->link, &env);
	/* not connected: answer "not available" from the loop, never from inside this call */
	q->timer = dp_timer_add(u->loop, rc ? 0 : QUERY_TIMEOUT_MS, query_timeout_fn, q);
}

int dp_usage_query_generation(struct dp_usage *u, const char *id, const char *key_hash,
                              dp_generation_fn *fn, void *arg)
{
	if (strlen(id) >= sizeof(((struct query *)0)->id) ||
	    strlen(key_hash) >= sizeof(((struct query *)0)->key_hash))
		return SY_EINVAL;
	struct query *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	*q = (struct query){.u = u, .fn = fn, .arg = arg};
	strcpy(q->id, id);
	strcpy(q->key_hash, key_hash);
	if (id_recent(id))
		q->wait_until_ms = sy_mono_ms() + QUERY_WAIT_MS;
	query_send(u, q);
	if (!q->timer) {
		free(q);
		return -ENOMEM;
	}
	q->next = u->queries;
	u->queries = q;
	dp_link_drain(u->link);
	return 0;
}

void dp_usage_cancel_queries(struct dp_usage *u, void *arg)
{
	for (struct query **pp = &u->queries; *pp;) {
		struct query *q = *pp;
		if (q->arg == arg) {
			*pp = q->next;
			dp_timer_cancel(&q->timer);
			free(q);
		} else {
			pp = &q->next;
		}
	}
}

struct dp_link *dp_usage_link(struct dp_usage *u)
{
	return u->link;
}
