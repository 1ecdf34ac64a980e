/* cp_zmq.c - socket setup and validated routed receives. */
#include "cp_zmq.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

void *cp_zmq_bind(void *zctx, int type, const char *endpoint, const struct sy_curve *curve,
                  const char **why)
{
	void *s = zmq_socket(zctx, type);
	if (!s) {
		*why = "cannot create a ZeroMQ socket";
		return NULL;
	}
	if (sy_zsock_setup(s)) {
		*why = "cannot set ZeroMQ socket options";
		goto out_close;
	}
	if (sy_curve_server(s, curve)) {
		*why = "cannot make the socket a CURVE server";
		goto out_close;
	}
	if (zmq_bind(s, endpoint)) {
		*why = zmq_strerror(errno);
		goto out_close;
	}
	return s;
out_close:
	zmq_close(s);
	return NULL;
}

int cp_zmq_fd(void *sock)
{
	int fd = -1;
	size_t len = sizeof(fd);
	return zmq_getsockopt(sock, ZMQ_FD, &fd, &len) ? -1 : fd;
}

/* Discard the rest of a multipart message. */
static void skip_rest(void *sock, zmq_msg_t *part)
{
	while (zmq_msg_more(part)) {
		zmq_msg_close(part);
		zmq_msg_init(part);
		if (zmq_msg_recv(part, sock, ZMQ_DONTWAIT) < 0)
			break;
	}
}

int cp_zmq_recv_routed(void *sock, const char *what, struct cp_zmsg *m)
{
	zmq_msg_t part;
	zmq_msg_init(&part);
	m->env = NULL;
	if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&part);
		return 0;
	}
	int rc = SY_EPROTO;
	m->idlen = zmq_msg_size(&part);
	if (!zmq_msg_more(&part) || m->idlen > sizeof(m->id)) {
		sy_warn("%s: dropped a message without identity and body", what);
		goto out;
	}
	memcpy(m->id, zmq_msg_data(&part), m->idlen);
	zmq_msg_close(&part);
	zmq_msg_init(&part);
	if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0 || zmq_msg_more(&part)) {
		sy_warn("%s: dropped a message that is not [identity][envelope]", what);
		goto out;
	}
	/* set by the ZAP handler on every message of an authenticated connection */
	const char *user = zmq_msg_gets(&part, "User-Id");
	snprintf(m->peer, sizeof(m->peer), "%s", user ? user : "");
	int err = 0;
	m->env = sy_env_unpack(zmq_msg_data(&part), zmq_msg_size(&part), &err);
	if (!m->env) {
		sy_warn("%s: dropped an invalid envelope: %s", what, sy_strerror(err));
		goto out;
	}
	rc = 1;
out:
	skip_rest(sock, &part);
	zmq_msg_close(&part);
	return rc;
}
