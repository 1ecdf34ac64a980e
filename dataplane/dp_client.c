/* dp_client.c - the client's connection of one chat (see dp_client.h). */
#include "dp_client.h"
#include "dp_cors.h"
#include "dp_loop.h"
#include "dp_metrics.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define WATCH_DELAY_MS 50
#define PROCESSING ": OPENROUTER PROCESSING\n\n"

void dp_client_init(struct dp_client *cl, struct dp_worker *w, struct MHD_Connection *c,
                    const char *id, const struct dp_overhead *ovh, const struct dp_skin *skin,
                    void *const *skin_state, const struct dp_client_ops *ops, void *arg)
{
	*cl = (struct dp_client){.w = w,
	                         .conn = c,
	                         .id = id,
	                         .ovh = ovh,
	                         .skin = skin,
	                         .skin_state = skin_state,
	                         .ops = ops,
	                         .arg = arg,
	                         .fd = -1};
	sy_buf_init(&cl->out, 0);
}

static void unwatch(struct dp_client *cl)
{
	if (cl->fd < 0)
		return;
	dp_loop_del_fd(cl->w->loop, cl->fd);
	cl->fd = -1;
}

void dp_client_release(struct dp_client *cl)
{
	unwatch(cl);
	dp_timer_cancel(&cl->comment_timer);
	dp_timer_cancel(&cl->watch_timer);
	sy_buf_release(&cl->out);
}

/* ---- suspend, resume and the hang-up watch --------------------------------------------- */

/* The client hung up while we waited: nobody will read more. */
static void on_hup(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	struct dp_client *cl = arg;
	unwatch(cl);
	cl->gone = true;
	dp_timer_cancel(&cl->comment_timer);
	cl->ops->hangup(cl->arg);
}

static void watch(struct dp_client *cl)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(cl->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci || cl->fd >= 0)
		return;
	if (!dp_loop_add_fd(cl->w->loop, ci->connect_fd, EPOLLRDHUP, on_hup, cl))
		cl->fd = ci->connect_fd;
}

static void on_watch_due(struct dp_loop *loop, void *arg)
{
	struct dp_client *cl = arg;
	cl->watch_timer = NULL;
	if (cl->suspended)
		watch(cl);
}

/* MHD does not watch a suspended connection. Ours starts after WATCH_DELAY_MS: most
 * suspensions (a quick answer, the gap between two chunks) are shorter, and a timer costs
 * less than the two epoll_ctl calls of a watch. */
void dp_client_suspend(struct dp_client *cl)
{
	MHD_suspend_connection(cl->conn);
	cl->suspended = true;
	if (!cl->watch_timer && cl->fd < 0)
		cl->watch_timer = dp_timer_add(cl->w->loop, WATCH_DELAY_MS, on_watch_due, cl);
}

void dp_client_wake(struct dp_client *cl)
{
	if (!cl->suspended)
		return;
	dp_timer_cancel(&cl->watch_timer);
	unwatch(cl);
	cl->suspended = false;
	dp_client_resume(cl->w, cl->conn);
}

/* ---- answers ---------------------------------------------------------------------------- */

/* The headers of every chat answer: its generation id and CORS. */
static void add_id_header(const struct dp_client *cl, struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Generation-Id", cl->id);
	dp_cors_add(r);
}

enum MHD_Result dp_client_json(struct dp_client *cl, int status, char *json)
{
	static const char oom[] = "{\"error\":{\"code\":500,\"message\":\"out of memory\"}}";
	json = dp_skin_reply(cl->skin, *cl->skin_state, status, json);
	struct MHD_Response *r =
	    json ? MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE)
	         : MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
	                                           MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(json);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	add_id_header(cl, r);
	dp_metrics_overhead_header(r, dp_overhead_us(cl->ovh));
	cl->ops->headers(cl->arg, status, r);
	enum MHD_Result ret = MHD_queue_response(cl->conn, (unsigned)status, r);
	MHD_destroy_response(r);
	cl->queued = true;
	cl->status = status;
	cl->out_done = true;
	dp_client_wake(cl);
	return ret;
}

static ssize_t read_out(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct dp_client *cl = cls;
	if (!cl->out.len) {
		if (cl->gone)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (cl->out_done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		dp_client_suspend(cl);
		return 0;
	}
	size_t n = cl->out.len < max ? cl->out.len : max;
	memcpy(buf, cl->out.data, n);
	sy_buf_consume(&cl->out, n);
	if (cl->paused && cl->out.len < DP_CLIENT_OUT_HIGH / 2) {
		cl->paused = false;
		cl->ops->drained(cl->arg);
	}
	return (ssize_t)n;
}

int dp_client_stream(struct dp_client *cl)
{
	if (cl->queued)
		return 0;
	enum MHD_Result ret = MHD_NO;
	struct MHD_Response *r =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, read_out, cl, NULL);
	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		MHD_add_response_header(r, "X-Accel-Buffering", "no");
		add_id_header(cl, r);
		dp_metrics_overhead_header(r, dp_overhead_us(cl->ovh)); /* up to now */
		ret = MHD_queue_response(cl->conn, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
	}
	if (ret != MHD_YES) {
		sy_err("chat id=%s: cannot start the event stream", cl->id);
		dp_client_json(cl, 500,
		               sy_json_error(500, "could not start the event stream", NULL));
		return SY_EINVAL;
	}
	cl->queued = true;
	cl->status = 200;
	dp_metrics_gauge_add(DP_METRICS_STREAMS, 1);
	return 0;
}

void dp_client_emit(struct dp_client *cl, const char *p, size_t n)
{
	if (sy_buf_append(&cl->out, p, n)) {
		sy_err("chat id=%s: out of memory queueing a chunk", cl->id);
		cl->out_done = true;
	}
}

void dp_client_frame(struct dp_client *cl, struct sy_buf *to, enum dp_skin_part part,
                     const char *json)
{
	if (!json || dp_skin_stream(cl->skin, *cl->skin_state, part, json, to)) {
		sy_err("chat id=%s: out of memory framing a chunk", cl->id);
		cl->out_done = true;
	}
}

void dp_client_end(struct dp_client *cl)
{
	cl->out_done = true;
	dp_client_wake(cl);
}

bool dp_client_backlogged(struct dp_client *cl)
{
	if (cl->out.len <= DP_CLIENT_OUT_HIGH)
		return false;
	cl->paused = true;
	return true;
}

/* ---- processing comments ---------------------------------------------------------------- */

static void on_comment(struct dp_loop *loop, void *arg)
{
	struct dp_client *cl = arg;
	cl->comment_timer = NULL;
	if (cl->out_done || cl->gone)
		return;
	if (dp_client_stream(cl))
		return;
	const char *ka = cl->skin->keepalive ? cl->skin->keepalive : PROCESSING;
	dp_client_emit(cl, ka, strlen(ka));
	dp_client_wake(cl);
	dp_client_comments_start(cl, cl->comment_ms);
}

void dp_client_comments_start(struct dp_client *cl, uint32_t ms)
{
	cl->comment_ms = ms;
	if (ms)
		cl->comment_timer = dp_timer_add(cl->w->loop, ms, on_comment, cl);
}

void dp_client_comments_stop(struct dp_client *cl)
{
	dp_timer_cancel(&cl->comment_timer);
}
