/* dp_metrics.h - the dataplane's Prometheus metrics, overhead clock and access log.
 *
 * Workers are forked processes sharing one port, so a scrape of GET /metrics reaches any one
 * of them. The supervisor maps one shared anonymous region before forking (dp_metrics_init)
 * with a slot per worker; each worker writes only its own slot (dp_metrics_attach), with
 * relaxed atomic stores, and the worker answering a scrape sums the counters of every slot
 * and lists each worker's gauges with a worker="N" label. A slot outlives its process: a
 * restarted worker attaches to the same slot, so counters never go backwards, while its
 * gauges start again from zero.
 *
 * Label cardinality is bounded: a slot holds at most DP_METRICS_PAIRS (model, provider)
 * pairs and everything beyond counts under model="other",provider="other". Model and
 * provider labels come from the catalog only: a request that never reached a provider
 * counts under provider="none" and, unless its model is in the worker's catalog, model="none".
 *
 * X-Switchyard-Overhead-Us is the time the gateway itself spent on a request: the time since
 * the request was received minus the time spent waiting on upstreams (struct dp_overhead).
 * On a stream it goes out with the headers, so it is the overhead up to then; the access
 * line and the overhead histogram carry the value for the whole request.
 *
 * In a process that did not attach to a slot (unit tests) the counting functions do nothing;
 * the overhead clock and header still work. dp_metrics.c holds the slots, the counting, the
 * rendering and the clock; dp_metrics_worker.c the parts that reach into the worker's other
 * modules (gauge sampling, GET /metrics), so modules that only count link nothing else. */
#ifndef DP_METRICS_H
#define DP_METRICS_H

#include "switchyard.pb-c.h"
#include "sy_buf.h"

#include <microhttpd.h>
#include <stdint.h>

struct dp_worker;

/* (model, provider) pairs per worker slot, the last one being model="other",provider="other". */
#define DP_METRICS_PAIRS 256
/* How often a worker copies its gauges into its slot. */
#define DP_METRICS_SAMPLE_MS 500

/* Per-worker gauges: X(id, metric name, help). Adding one is a line here, a row in
 * docs/metrics.md and a dp_metrics_gauge_set where its value is known. */
#define DP_METRICS_GAUGES(X)                                                                       \
	X(CONNECTIONS, "switchyard_dp_open_connections", "Client connections open")                \
	X(REQUESTS, "switchyard_dp_requests_in_progress",                                          \
	  "HTTP requests received and not yet completed")                                          \
	X(STREAMS, "switchyard_dp_active_streams", "Event streams being sent to clients")          \
	X(UPSTREAM_CALLS, "switchyard_dp_upstream_calls_in_progress",                              \
	  "Calls to upstream providers running")                                                   \
	X(USAGE_PENDING, "switchyard_dp_usage_pending_records",                                    \
	  "Usage records spooled and not yet acknowledged by the controlplane")                    \
	X(USAGE_MEMORY, "switchyard_dp_usage_memory_records",                                      \
	  "Of the unacknowledged usage records, those held in memory (the rest: spool only)")      \
	X(VIEW_SEQ, "switchyard_dp_sync_view_seq",                                                 \
	  "Controlplane seq of the state the worker serves")                                       \
	X(CP_SEQ, "switchyard_dp_sync_controlplane_seq",                                           \
	  "Controlplane seq announced by its last heartbeat")                                      \
	X(SYNC_LAG, "switchyard_dp_sync_lag_seq",                                                  \
	  "Changes the worker's state is behind the controlplane's last heartbeat")

/* Counters summed over workers: X(id, metric name, help). */
#define DP_METRICS_COUNTERS(X)                                                                     \
	X(RETRIES, "switchyard_dp_retries_total",                                                  \
	  "Upstream attempts beyond the first of a request (fail-over and retries)")               \
	X(RETRY_AFTER, "switchyard_dp_retries_retry_after_total",                                  \
	  "Retries of the same endpoint after waiting for its Retry-After")                        \
	X(RETRY_TRANSIENT, "switchyard_dp_retries_transient_total",                                \
	  "Retries of the same endpoint after a transient fault (500, 502, reset)")                \
	X(RETRY_LAST_RESORT, "switchyard_dp_retries_last_resort_total",                            \
	  "Retries of the last endpoint of a plan after a quick failure")                          \
	X(MALFORMED_SKIPPED, "switchyard_dp_stream_malformed_skipped_total",                       \
	  "Unparsable upstream stream events skipped in a stream that went on")                    \
	X(SNAPSHOTS, "switchyard_dp_sync_snapshots_total",                                         \
	  "State snapshots requested from the controlplane")

#define DP_METRICS_ID(id, name, help) DP_METRICS_##id,
enum dp_metrics_gauge {
	DP_METRICS_GAUGES(DP_METRICS_ID) DP_METRICS_GAUGE_COUNT
};
enum dp_metrics_counter {
	DP_METRICS_COUNTERS(DP_METRICS_ID) DP_METRICS_COUNTER_COUNT
};
#undef DP_METRICS_ID

/* Supervisor, before forking: map the shared region with a slot per worker. 0 or -ENOMEM. */
int dp_metrics_init(int workers);
/* Worker, after fork: write to slot worker from now on; its gauges start from zero. */
void dp_metrics_attach(int worker);
/* Worker: copy w's gauges (connections, requests, upstream calls, usage pending, sync) into
 * its slot now and every DP_METRICS_SAMPLE_MS on w->loop (the timer goes with the loop). */
void dp_metrics_watch(struct dp_worker *w);

/* Set or move one of this worker's gauges. */
void dp_metrics_gauge_set(enum dp_metrics_gauge g, int64_t v);
void dp_metrics_gauge_add(enum dp_metrics_gauge g, int64_t delta);
/* Add n to a counter. */
void dp_metrics_count(enum dp_metrics_counter c, uint64_t n);
/* One retry of the same endpoint, by its dp_failover reason (DP_FAILOVER_WHY_*). */
void dp_metrics_retry_same(const char *why);
/* The worker last heard from the controlplane at mono_ms (monotonic ms; the scrape shows the
 * age). */
void dp_metrics_sync_heard(int64_t mono_ms);

/* An HTTP request ended with status (0 if none was sent). */
void dp_metrics_http_done(unsigned status);
/* A chat request settled with rec (its usage record): count it by model, provider and status
 * class, add its tokens and cost, its attempts' upstream errors and retries, observe its
 * latency, time to first token and overhead, and write its access line (info level):
 * `access gen= org= key=<8 hash chars> model= provider= status= tokens_in= tokens_out=
 * cost=<USD> latency_ms= overhead_us= stream=0|1 attempts= cancelled=0|1 class=`.
 * w (may be NULL) supplies the catalog that vouches for model labels. */
void dp_metrics_chat(const struct dp_worker *w, const Sy__UsageRecord *rec, int64_t overhead_us);
/* The endpoint (model, provider) was ejected by outlier detection. */
void dp_metrics_ejection(const char *model, const char *provider);

/* Add the X-Switchyard-Overhead-Us header to r. */
void dp_metrics_overhead_header(struct MHD_Response *r, int64_t overhead_us);
/* The same for a response the HTTP layer answers itself, observed in the overhead histogram
 * as handler="http" (chats are observed when they settle, as handler="chat"). */
void dp_metrics_http_overhead(struct MHD_Response *r, int64_t overhead_us);

/* Append every metric of every worker in Prometheus text format. 0 or -ENOMEM. */
int dp_metrics_render(struct sy_buf *out);
/* Answer GET /metrics on c (worker w refreshes its own gauges first). */
enum MHD_Result dp_metrics_respond(struct dp_worker *w, struct MHD_Connection *c);

/* The clock behind X-Switchyard-Overhead-Us: elapsed time minus upstream waits. */
struct dp_overhead {
	int64_t start_us;     /* monotonic us when the request was received */
	int64_t waited_us;    /* upstream waits that ended */
	int64_t wait_from_us; /* start of the wait in progress; 0 = not waiting */
};

/* The request was received now. */
void dp_overhead_start(struct dp_overhead *o);
/* An upstream call is running and the gateway waits on it (no-op while already waiting). */
void dp_overhead_wait_begin(struct dp_overhead *o);
/* The gateway works again: an upstream callback runs or the call ended (no-op if not
 * waiting). */
void dp_overhead_wait_end(struct dp_overhead *o);
/* The gateway's own time so far, in microseconds (a wait in progress counts as waiting). */
int64_t dp_overhead_us(const struct dp_overhead *o);

#endif
