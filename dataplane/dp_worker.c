/* dp_worker.c - the worker's own parts, built and freed in one place (see dp_worker.h). */
#include "dp_worker.h"
#include "dp_health.h"
#include "dp_loop.h"
#include "dp_upstream.h"
#include "dp_view.h"
#include "sy_log.h"

#include <errno.h>

#include <zmq.h>

int dp_worker_open(struct dp_worker *w, int id, const struct dp_config *cfg)
{
	*w = (struct dp_worker){.id = id, .cfg = cfg};
	w->loop = dp_loop_new();
	w->zctx = w->loop ? zmq_ctx_new() : NULL;
	w->upstream = w->zctx ? dp_upstream_new(w->loop) : NULL;
	w->health = w->upstream ? dp_health_new() : NULL;
	if (w->health)
		return 0;
	sy_err("worker %d: cannot build its event loop, ZeroMQ context or upstream client", id);
	dp_worker_close(w);
	return -ENOMEM;
}

void dp_worker_close(struct dp_worker *w)
{
	dp_upstream_free(&w->upstream);
	dp_health_free(&w->health);
	dp_view_unref(&w->view);
	if (w->zctx)
		zmq_ctx_term(w->zctx);
	w->zctx = NULL;
	dp_loop_free(&w->loop);
}

void dp_worker_set_view(struct dp_worker *w, struct dp_view **vp)
{
	dp_view_unref(&w->view);
	w->view = *vp;
	*vp = NULL;
}
