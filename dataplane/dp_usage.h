/* dp_usage.h - the acknowledged channel that carries usage records to the controlplane.
 *
 * Records travel on the worker's link to the controlplane's usage ROUTER (dp_link, which
 * dp_usage_new connects and dp_usage owns). Every record is appended to a durable
 * spool file before the worker's loop waits again (the records submitted in one loop
 * iteration share one write) and always before it is sent; it is sent in batches, and kept
 * (and resent after a reconnect or restart) until the controlplane acknowledges its id. The
 * controlplane applies each id at most once, so resending is always safe. The same link
 * carries GET /generation lookups, and lease traffic (dp_money registers its own handlers). A request also spools an intent before it calls upstream
 * (dp_usage_open), so a worker killed mid-request still yields its generation, once. */
#ifndef DP_USAGE_H
#define DP_USAGE_H

#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_loop;
struct dp_usage;

struct sy_curve;
/* Connect to endpoint (a CURVE client when curve is set; NULL: plaintext), replaying whatever
 * spool_dir/usage-<worker>.spool holds. */
struct dp_usage *dp_usage_new(struct dp_loop *loop, void *zctx, const char *endpoint,
                              const struct sy_curve *curve, const char *spool_dir, int worker_id);
/* Flush what can be flushed and free; idempotent; nulls *up. */
void dp_usage_free(struct dp_usage **up);
/* Queue one record (copied): spooled durably before the loop waits again, then sent; resent
 * until acknowledged. 0 or a negative code when it cannot even be queued (out of memory: the
 * record is logged as lost). A failed spool write is logged; its records are still sent. */
int dp_usage_submit(struct dp_usage *u, const Sy__UsageRecord *rec);
/* A request's write-ahead intent (dp_usage_open), open until its final record supersedes it. */
struct dp_usage_intent;

/* What the crash record of a request says: the request whose worker died after its intent and
 * before its final record. Built when the next start of the same worker id replays the spool:
 * the fields of the request's latest intent, status 502, finish_reason "error", error_class
 * "worker_crash", cancelled, the tokens and cost of that intent (what had been sent to the
 * client by its last dp_usage_progress; 0 without one), and one attempt (the intent's
 * provider and model) with error_class "worker_crash". */
#define DP_USAGE_CRASH_STATUS 502
#define DP_USAGE_CRASH_CLASS "worker_crash"

/* Write ahead, before a request's first upstream attempt: spool rec (id, key, org, model,
 * provider, lease, reservation, created_at, streamed; no outcome) as the open intent of
 * generation rec->id. Never sent. Like a record it is written before the loop waits again,
 * by a 0 ms timer armed now: timers run in due-then-arming order before any fd event, so
 * nothing the request arms after this call (its upstream call, its processing comments) and
 * no byte to its client can come first. NULL when it cannot be queued (logged: the request
 * goes on, uncovered should the worker die). */
struct dp_usage_intent *dp_usage_open(struct dp_usage *u, const Sy__UsageRecord *rec);
/* How often (ms) a stream's intent is brought up to date with what was sent (see below). */
#define DP_USAGE_PROGRESS_MS 200
/* Bring intent i up to date: rec (same id) replaces what it says, typically the tokens sent
 * to the client so far, their cost, and the endpoint actually serving. Framed into this loop
 * iteration's spool write (no write of its own); the older intent's bytes are dead. The crash
 * record of a worker that dies now charges rec's tokens and cost. */
void dp_usage_progress(struct dp_usage *u, struct dp_usage_intent *i, const Sy__UsageRecord *rec);
/* The request's final record was submitted (or is lost): the intent is superseded and
 * freed. Idempotent; nulls *ip. */
void dp_usage_close(struct dp_usage *u, struct dp_usage_intent **ip);
/* Records spooled but not yet acknowledged. */
size_t dp_usage_pending(const struct dp_usage *u);
/* Of those, the ones held in memory (at most the memory cap; the others are on disk only). */
size_t dp_usage_in_memory(const struct dp_usage *u);
/* fsync: fdatasync the spool within sync_ms of each write (0: after each loop iteration's
 * write, before the loop waits again); the default: true, 0. memory_max: pending records held
 * in memory at most, the rest read back from the spool as acks make room (0, the default: no
 * cap). The replay at start loads the whole spool. */
void dp_usage_configure(struct dp_usage *u, bool fsync, uint32_t sync_ms, size_t memory_max);

/* Called with the stored record (NULL: not found or the controlplane did not answer within
 * the timeout). The record is only valid during the call. */
typedef void dp_generation_fn(const Sy__UsageRecord *rec, void *arg);
/* Ask the controlplane for generation id belonging to key_hash. */
int dp_usage_query_generation(struct dp_usage *u, const char *id, const char *key_hash,
                              dp_generation_fn *fn, void *arg);
/* Forget the lookups made with arg without calling them back (their requester is gone). */
void dp_usage_cancel_queries(struct dp_usage *u, void *arg);

struct dp_link;
/* The link the channel runs on, for the other modules that talk to the controlplane over it
 * (dp_money). Valid until dp_usage_free. */
struct dp_link *dp_usage_link(struct dp_usage *u);

#endif
