/* sy_msg.h - Envelope framing on ZeroMQ sockets (see proto/PROTOCOL.md).
 *
 * Every message body is one sy.Envelope. Receivers validate size, decoding and version
 * before looking at the body; a message that fails is dropped with a warning. */
#ifndef SY_MSG_H
#define SY_MSG_H

#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

#define SY_PROTO_VERSION 1
/* Hard cap on one ZeroMQ message (ZMQ_MAXMSGSIZE on every socket). */
#define SY_MSG_MAX (16 * 1024 * 1024)
/* Heartbeat interval on the PUB socket; three silent intervals mean the peer is gone. */
#define SY_HEARTBEAT_MS 1000
/* The id of the cluster's one AutoRouter entity (topic autorouter/default). */
#define SY_AUTO_ROUTER_ID "default"
/* The two model ids a request uses to ask for the auto router. */
#define SY_AUTO_ROUTER_OPENROUTER "openrouter/auto"
#define SY_AUTO_ROUTER_SWITCHYARD "switchyard/auto"

/* True if a request's model id names the auto router (either of the two ids above). */
bool sy_auto_router_is(const char *id);

/* Prepare an envelope with the current version. */
void sy_env_init(Sy__Envelope *env);
/* Serialise into a malloc'ed buffer. NULL on failure. */
unsigned char *sy_env_pack(const Sy__Envelope *env, size_t *len);
/* Decode and validate; NULL (with *err set to SY_EPROTO or SY_EVERSION) when invalid.
 * Free with sy_env_free. */
Sy__Envelope *sy_env_unpack(const void *data, size_t len, int *err);
void sy_env_free(Sy__Envelope **envp);

/* Apply the options every Switchyard socket gets: ZMQ_MAXMSGSIZE, linger, ZMTP heartbeats. */
int sy_zsock_setup(void *sock);
/* True if endpoint only reaches this host (tcp:// on a loopback address, ipc://, inproc://):
 * without CURVE neither side of the links uses anything else. */
bool sy_zendpoint_local(const char *endpoint);
/* Send [frames...][envelope] (frames may be NULL/0). 0 or negative errno. */
int sy_zsend_env(void *sock, const void *frame, size_t frame_len, const Sy__Envelope *env,
                 int flags);

/* True when sock has a message waiting (ZMQ_EVENTS has ZMQ_POLLIN). ZMQ_FD is edge-triggered:
 * drain with this after every wake-up and every send. */
bool sy_zsock_readable(void *sock);
/* Receive one message without blocking and decode its last frame as an envelope (leading
 * frames, such as a ROUTER identity or an empty delimiter, are skipped). NULL with *err set:
 * -EAGAIN when nothing is waiting, or sy_env_unpack's code for an invalid message. */
Sy__Envelope *sy_zrecv_env(void *sock, int *err);

#endif
