/* cp_zmq.h - the controlplane's ZeroMQ plumbing: bound sockets and routed receives.
 *
 * ROUTER sockets receive [identity][envelope]; every envelope is validated (size, decoding,
 * version, body present) by sy_env_unpack before anyone looks at it. */
#ifndef CP_ZMQ_H
#define CP_ZMQ_H

#include "switchyard.pb-c.h"
#include "sy_curve.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest peer identity kept (ZeroMQ's own limit is 255 bytes). */
#define CP_ZMQ_ID_MAX 256

/* One message received on a ROUTER. */
struct cp_zmsg {
	unsigned char id[CP_ZMQ_ID_MAX]; /* the peer's routing identity */
	size_t idlen;
	/* the sender's CURVE public key (its ZAP User-Id); "" without CURVE */
	char peer[SY_CURVE_KEY_LEN + 1];
	Sy__Envelope *env; /* validated; free with sy_env_free */
};

/* A socket of type (ZMQ_ROUTER, ZMQ_PUB) with the common options, bound to endpoint: a CURVE
 * server when curve is set (cp_zap decides who may connect). NULL on failure with *why set. */
void *cp_zmq_bind(void *zctx, int type, const char *endpoint, const struct sy_curve *curve,
                  const char **why);

/* The socket's ZMQ_FD, or -1. */
int cp_zmq_fd(void *sock);
/* Receive one routed message without blocking: 1 = got one (m->env set), 0 = nothing
 * waiting, SY_EPROTO = an invalid message was dropped (and logged). */
int cp_zmq_recv_routed(void *sock, const char *what, struct cp_zmsg *m);

#endif
