/* cp_sync.h - the Clone pattern's server side: snapshots, published updates, heartbeats.
 *
 * Snapshot ROUTER: a worker's DEALER sends Envelope{snapshot_request}; it gets every entity as
 * Envelope{snapshot_chunk} messages (at most CP_SYNC_CHUNK_ITEMS updates, seq 0, each) and then
 * Envelope{snapshot_end{seq, count}}, all read from one LMDB read transaction.
 * PUB: [topic][Envelope{update}] for every committed change (installed as the store's commit
 * hook) and ["hb"][Envelope{heartbeat{seq, time_ms}}] every SY_HEARTBEAT_MS.
 * Provider credentials are decrypted here, only for these messages. See proto/PROTOCOL.md. */
#ifndef CP_SYNC_H
#define CP_SYNC_H

#include "cp_store.h"
#include "sy_curve.h"
#include "sy_secret.h"

#include <stdbool.h>

/* Bounds on one snapshot chunk. */
#define CP_SYNC_CHUNK_ITEMS 256
#define CP_SYNC_CHUNK_BYTES (1024 * 1024)

struct cp_sync;

/* Bind the snapshot ROUTER and the PUB socket, as CURVE servers when curve is set (NULL or
 * unset: plaintext). kek must outlive the sync. NULL on failure with *why set. */
struct cp_sync *cp_sync_new(void *zctx, struct cp_store *s, const struct sy_kek *kek,
                            const char *snapshot_ep, const char *publish_ep,
                            const struct sy_curve *curve, const char **why);
/* Close the sockets; idempotent; nulls *sp. */
void cp_sync_free(struct cp_sync **sp);
/* The snapshot ROUTER's ZMQ_FD (edge-triggered: call cp_sync_drain on every loop pass). */
int cp_sync_fd(const struct cp_sync *y);
/* Serve waiting snapshot requests; true if more may be waiting (budget used up). */
bool cp_sync_drain(struct cp_sync *y);
struct cp_stats;
/* Include st's endpoint stats (as last published) in every snapshot; st outlives the sync. */
void cp_sync_set_stats(struct cp_sync *y, struct cp_stats *st);
/* A cp_stats_fn (arg is the cp_sync): publish one model's endpoint stats as an Update
 * without seq on topic stats/<model>. 0 or a negative code (dropped: not sent). */
int cp_sync_publish_stats(const Sy__EndpointStats *st, void *arg);
/* Publish a heartbeat with the store's current seq. */
void cp_sync_heartbeat(struct cp_sync *y);
/* Commit hook (cp_store_on_commit): publish each change as an Update; arg is the cp_sync. */
void cp_sync_publish(const struct cp_change *changes, size_t n, void *arg);

#endif
