/* dp_link.c - the worker's link to the controlplane (see dp_link.h). */
#include "dp_link.h"
#include "dp_loop.h"
#include "sy_curve.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <zmq.h>

struct handler {
	Sy__Envelope__BodyCase body;
	dp_link_fn *fn;
	void *arg;
};

struct dp_link {
	struct dp_loop *loop;
	void *sock;
	int fd; /* ZMQ_FD, edge-triggered */
	struct handler h[DP_LINK_HANDLERS_MAX];
	size_t n_h;
	struct dp_timer *drain_timer; /* a drain after dp_link_post, from the loop */
};

static void dispatch(struct dp_link *l, const Sy__Envelope *env)
{
	for (size_t i = 0; i < l->n_h; i++) {
		if (l->h[i].body == env->body_case) {
			l->h[i].fn(env, l->h[i].arg);
			return;
		}
	}
	sy_warn("usage: unexpected message (body %d)", (int)env->body_case);
}

void dp_link_drain(struct dp_link *l)
{
	while (sy_zsock_readable(l->sock)) {
		int err;
		Sy__Envelope *env = sy_zrecv_env(l->sock, &err);
		if (!env) {
			if (err == -EAGAIN)
				break;
			sy_warn("usage: dropping an invalid message: %s", sy_strerror(err));
			continue;
		}
		dispatch(l, env);
		sy_env_free(&env);
	}
}

static void fd_fn(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	dp_link_drain(arg);
}

struct dp_link *dp_link_new(struct dp_loop *loop, void *zctx, const char *endpoint,
                            const struct sy_curve *curve)
{
	struct dp_link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->loop = loop;
	l->fd = -1;
	int one = 1;
	size_t fdlen = sizeof(l->fd);
	l->sock = zmq_socket(zctx, ZMQ_DEALER);
	if (!l->sock || sy_zsock_setup(l->sock) || sy_curve_client(l->sock, curve) ||
	    zmq_setsockopt(l->sock, ZMQ_IMMEDIATE, &one, sizeof(one)) ||
	    zmq_connect(l->sock, endpoint) || zmq_getsockopt(l->sock, ZMQ_FD, &l->fd, &fdlen) ||
	    dp_loop_add_fd(loop, l->fd, EPOLLIN | EPOLLET, fd_fn, l)) {
		sy_err("usage: cannot connect to %s: %s", endpoint, zmq_strerror(zmq_errno()));
		l->fd = -1;
		dp_link_free(&l);
	}
	return l;
}

void dp_link_free(struct dp_link **lp)
{
	struct dp_link *l = *lp;
	if (!l)
		return;
	*lp = NULL;
	dp_timer_cancel(&l->drain_timer);
	if (l->fd >= 0)
		dp_loop_del_fd(l->loop, l->fd);
	if (l->sock)
		zmq_close(l->sock);
	free(l);
}

int dp_link_on(struct dp_link *l, Sy__Envelope__BodyCase body, dp_link_fn *fn, void *arg)
{
	size_t i = 0;
	while (i < l->n_h && l->h[i].body != body)
		i++;
	if (!fn) {
		if (i < l->n_h)
			l->h[i] = l->h[--l->n_h];
		return 0;
	}
	if (i == DP_LINK_HANDLERS_MAX)
		return SY_ETOOBIG;
	if (i == l->n_h)
		l->n_h++;
	l->h[i] = (struct handler){body, fn, arg};
	return 0;
}

int dp_link_send(struct dp_link *l, const Sy__Envelope *env)
{
	return sy_zsend_env(l->sock, NULL, 0, env, ZMQ_DONTWAIT);
}

static void drain_timer_fn(struct dp_loop *loop, void *arg)
{
	struct dp_link *l = arg;
	l->drain_timer = NULL;
	dp_link_drain(l);
}

int dp_link_post(void *link, const Sy__Envelope *env)
{
	struct dp_link *l = link;
	int rc = dp_link_send(l, env);
	if (!l->drain_timer)
		l->drain_timer = dp_timer_add(l->loop, 0, drain_timer_fn, l);
	return rc;
}
