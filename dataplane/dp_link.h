/* dp_link.h - the worker's link to the controlplane: one DEALER to its usage ROUTER, and one
 * handler per message type.
 *
 * The link carries usage batches and generation lookups (dp_usage) and lease traffic
 * (dp_money). Each module registers the handlers of the message types it answers
 * (dp_link_on); an envelope of a type nobody registered is logged and dropped. The DEALER
 * has ZMQ_IMMEDIATE set: while the controlplane is unreachable a send fails at once
 * (-EAGAIN) instead of queueing inside ZeroMQ, and the sender keeps what it could not send.
 * ZMQ_FD is edge-triggered and a send may consume the edge, so after sending, the sender
 * drains (dp_link_drain) or lets the loop drain soon (dp_link_post). */
#ifndef DP_LINK_H
#define DP_LINK_H

#include "switchyard.pb-c.h"

struct dp_loop;
struct dp_link;
struct sy_curve;

/* Handlers per link: one per message type, and there are few. */
#define DP_LINK_HANDLERS_MAX 8

/* Called with a received envelope of the type it was registered for; valid during the call. */
typedef void dp_link_fn(const Sy__Envelope *env, void *arg);

/* Connect to endpoint (a CURVE client when curve is set; NULL: plaintext). NULL on failure
 * (logged). */
struct dp_link *dp_link_new(struct dp_loop *loop, void *zctx, const char *endpoint,
                            const struct sy_curve *curve);
/* Close and free; idempotent; nulls *lp. */
void dp_link_free(struct dp_link **lp);
/* Send envelopes of type body to fn (fn NULL: stop; they are dropped again). 0, or SY_ETOOBIG
 * when DP_LINK_HANDLERS_MAX types already have one. */
int dp_link_on(struct dp_link *l, Sy__Envelope__BodyCase body, dp_link_fn *fn, void *arg);
/* Send env without blocking: 0, -EAGAIN while the controlplane is unreachable, or another
 * negative code. The caller drains (dp_link_drain) when it may be called back. */
int dp_link_send(struct dp_link *l, const Sy__Envelope *env);
/* dp_link_send from anywhere, also from inside a handler: the loop drains soon (a 0 ms
 * timer), never this call. The signature of a send callback (link is the struct dp_link). */
int dp_link_post(void *link, const Sy__Envelope *env);
/* Receive and dispatch every envelope waiting now. */
void dp_link_drain(struct dp_link *l);

#endif
