/* cp_zap.h - the ZAP handler: which dataplane public keys may use the ZeroMQ sockets.
 *
 * libzmq asks a REP socket bound at inproc://zeromq.zap.01 (ZAP, RFC 27) about every CURVE
 * handshake on the controlplane's server sockets. This handler answers 200 for a client
 * public key listed in the authorized-keys file and 400 for any other, so a connection
 * without an authorized key never gets past the handshake. An accepted connection's
 * messages carry the client's Z85 public key as their "User-Id" (zmq_msg_gets), which the
 * usage ROUTER uses to tell dataplanes apart. The file holds one Z85 key per line, optionally
 * followed by a name; a line starting with '#' is a comment. It is read again when it changes, so dataplanes
 * can be added and removed without a restart. The REP socket lives on the controlplane's one
 * loop like the others; libzmq waits for the reply without blocking its I/O threads. */
#ifndef CP_ZAP_H
#define CP_ZAP_H

#include <stdbool.h>

struct cp_zap;

/* Read the authorized keys from path and bind the ZAP endpoint in zctx; must come before any
 * CURVE server socket is bound (without a handler libzmq admits every client). NULL on
 * failure with *why set. */
struct cp_zap *cp_zap_new(void *zctx, const char *path, const char **why);
/* Close; idempotent; nulls *zp. */
void cp_zap_free(struct cp_zap **zp);
/* The REP socket's ZMQ_FD (edge-triggered: call cp_zap_drain on every loop pass). */
int cp_zap_fd(const struct cp_zap *z);
/* Answer waiting requests; true if more may be waiting (budget used up). */
bool cp_zap_drain(struct cp_zap *z);
/* Number of keys currently authorized. */
int cp_zap_count(const struct cp_zap *z);

#endif
