/* dp_metrics_worker.c - a worker's side of the metrics: sampling its gauges, answering
 * GET /metrics.
 *
 * Kept apart from dp_metrics.c, which every module that counts links: this file reaches into
 * the worker's HTTP server, usage channel, sync and upstream client, and only the worker
 * itself (dp_main, dp_http) needs that. */
#include "dp_http.h"
#include "dp_loop.h"
#include "dp_metrics.h"
#include "dp_sync.h"
#include "dp_upstream.h"
#include "dp_usage.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_metrics.h"

#include <stdbool.h>

static bool watching;
static uint64_t snapshots_seen; /* dp_sync_snapshots at the last sample */

static void sample(struct dp_worker *w)
{
	dp_metrics_gauge_set(DP_METRICS_CONNECTIONS, w->http ? dp_http_connections(w->http) : 0);
	dp_metrics_gauge_set(DP_METRICS_REQUESTS, w->http ? dp_http_active(w->http) : 0);
	/* the upstream client lives from dp_worker_open to dp_worker_close, past the loop */
	dp_metrics_gauge_set(DP_METRICS_UPSTREAM_CALLS, (int64_t)dp_upstream_running(w->upstream));
	dp_metrics_gauge_set(DP_METRICS_USAGE_PENDING,
	                     w->usage ? (int64_t)dp_usage_pending(w->usage) : 0);
	dp_metrics_gauge_set(DP_METRICS_USAGE_MEMORY,
	                     w->usage ? (int64_t)dp_usage_in_memory(w->usage) : 0);
	uint64_t view = w->view ? dp_view_seq(w->view) : 0;
	dp_metrics_gauge_set(DP_METRICS_VIEW_SEQ, (int64_t)view);
	if (!w->sync)
		return;
	uint64_t cp = dp_sync_controlplane_seq(w->sync);
	dp_metrics_gauge_set(DP_METRICS_CP_SEQ, (int64_t)cp);
	dp_metrics_gauge_set(DP_METRICS_SYNC_LAG, cp > view ? (int64_t)(cp - view) : 0);
	dp_metrics_sync_heard(dp_sync_last_message_ms(w->sync));
	uint64_t snaps = dp_sync_snapshots(w->sync);
	dp_metrics_count(DP_METRICS_SNAPSHOTS, snaps - snapshots_seen);
	snapshots_seen = snaps;
}

static void watch_fn(struct dp_loop *loop, void *arg)
{
	sample(arg);
	dp_timer_add(loop, DP_METRICS_SAMPLE_MS, watch_fn, arg);
}

void dp_metrics_watch(struct dp_worker *w)
{
	if (watching)
		return;
	watching = true;
	watch_fn(w->loop, w);
}

enum MHD_Result dp_metrics_respond(struct dp_worker *w, struct MHD_Connection *c)
{
	struct dp_overhead o;
	dp_overhead_start(&o);
	sample(w);
	struct sy_buf b;
	sy_buf_init(&b, 0);
	if (dp_metrics_render(&b)) {
		sy_buf_release(&b);
		return dp_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                          "out of memory rendering the metrics");
	}
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		sy_buf_release(&b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, SY_METRICS_CONTENT_TYPE);
	dp_metrics_http_overhead(r, dp_overhead_us(&o));
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
