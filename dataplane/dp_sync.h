/* dp_sync.h - keeps a worker's view in step with the controlplane (Clone pattern).
 *
 * SUBscribe to the update PUB first, then ask for a snapshot on a DEALER; updates that arrive
 * while the snapshot streams are queued and those newer than the snapshot are applied after
 * it. From then on updates apply in seq order, each drain of the socket producing one new
 * generation swapped into w->view. A gap in seq, a heartbeat naming another seq, or three
 * silent heartbeat intervals start a new snapshot (with backoff) while the current view goes
 * on serving. */
#ifndef DP_SYNC_H
#define DP_SYNC_H

#include <stdint.h>

struct dp_worker;
struct dp_sync;

/* Connect to w->cfg->zmq_publish and zmq_snapshot on w->loop with w->zctx and request the
 * first snapshot. NULL on failure. */
struct dp_sync *dp_sync_new(struct dp_worker *w);
/* Close the sockets; w->view is left as it is. Idempotent; nulls *sp. */
void dp_sync_free(struct dp_sync **sp);
/* Snapshots requested so far (the first one included); for tests and logs. */
uint64_t dp_sync_snapshots(const struct dp_sync *s);
/* The seq named by the controlplane's last heartbeat (0 before the first), for lag metrics. */
uint64_t dp_sync_controlplane_seq(const struct dp_sync *s);
/* Monotonic ms of the last message on the update socket (or of the last snapshot applied). */
int64_t dp_sync_last_message_ms(const struct dp_sync *s);

#endif
