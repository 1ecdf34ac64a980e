/* sy_msg.c - envelope pack/unpack and socket setup. */
#include "sy_msg.h"
#include "sy_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

void sy_env_init(Sy__Envelope *env)
{
	sy__envelope__init(env);
	env->version = SY_PROTO_VERSION;
}

unsigned char *sy_env_pack(const Sy__Envelope *env, size_t *len)
{
	size_t n = sy__envelope__get_packed_size(env);
	unsigned char *buf = malloc(n ? n : 1);
	if (!buf)
		return NULL;
	*len = sy__envelope__pack(env, buf);
	return buf;
}

Sy__Envelope *sy_env_unpack(const void *data, size_t len, int *err)
{
	if (len > SY_MSG_MAX) {
		*err = SY_ETOOBIG;
		return NULL;
	}
	Sy__Envelope *env = sy__envelope__unpack(NULL, len, data);
	if (!env) {
		*err = SY_EPROTO;
		return NULL;
	}
	if (env->version != SY_PROTO_VERSION) {
		sy__envelope__free_unpacked(env, NULL);
		*err = SY_EVERSION;
		return NULL;
	}
	if (env->body_case == SY__ENVELOPE__BODY__NOT_SET) {
		sy__envelope__free_unpacked(env, NULL);
		*err = SY_EPROTO;
		return NULL;
	}
	*err = 0;
	return env;
}

void sy_env_free(Sy__Envelope **envp)
{
	if (*envp)
		sy__envelope__free_unpacked(*envp, NULL);
	*envp = NULL;
}

int sy_zsock_setup(void *sock)
{
	int64_t max = SY_MSG_MAX;
	int linger = 0, ivl = SY_HEARTBEAT_MS, ttl = SY_HEARTBEAT_MS * 3,
	    timeout = SY_HEARTBEAT_MS * 3;
	if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof(ivl)) ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TTL, &ttl, sizeof(ttl)) ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof(timeout)))
		return -errno;
	return 0;
}

int sy_zsend_env(void *sock, const void *frame, size_t frame_len, const Sy__Envelope *env,
                 int flags)
{
	size_t len = 0;
	unsigned char *buf = sy_env_pack(env, &len);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	if (frame && zmq_send(sock, frame, frame_len, ZMQ_SNDMORE | flags) < 0)
		rc = -errno;
	else if (zmq_send(sock, buf, len, flags) < 0)
		rc = -errno;
	free(buf);
	return rc;
}

bool sy_zsock_readable(void *sock)
{
	int ev = 0;
	size_t sz = sizeof(ev);
	return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz) == 0 && (ev & ZMQ_POLLIN);
}

Sy__Envelope *sy_zrecv_env(void *sock, int *err)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	for (;;) {
		if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
			*err = -errno;
			zmq_msg_close(&m);
			return NULL;
		}
		if (!zmq_msg_more(&m))
			break;
	}
	Sy__Envelope *env = sy_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), err);
	zmq_msg_close(&m);
	return env;
}

bool sy_auto_router_is(const char *id)
{
	return !strcmp(id, SY_AUTO_ROUTER_OPENROUTER) || !strcmp(id, SY_AUTO_ROUTER_SWITCHYARD);
}

bool sy_zendpoint_local(const char *ep)
{
	if (!strncmp(ep, "ipc://", 6) || !strncmp(ep, "inproc://", 9))
		return true;
	if (strncmp(ep, "tcp://", 6))
		return false;
	const char *host = ep + 6, *colon = strrchr(host, ':');
	size_t n = colon ? (size_t)(colon - host) : 0;
	char h[64];
	if (!n || n >= sizeof(h) || strchr(host, ';')) /* "src;dst" pairs are for connects */
		return false;
	memcpy(h, host, n);
	h[n] = '\0';
	struct in_addr a4;
	if (!strcmp(h, "localhost") || !strcmp(h, "[::1]"))
		return true;
	return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}
