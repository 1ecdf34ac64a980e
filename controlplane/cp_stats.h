/* cp_stats.h - endpoint stats: what the workers measured, aggregated and published back.
 *
 * Every usage record the controlplane receives feeds rolling windows per endpoint (model,
 * provider), in one-minute buckets over the last 30 minutes (speed from streamed records only:
 * a whole answer at once times neither its first token nor its generation):
 *   - latency: the served attempt's time to first token (the record's ttft_ms less the
 *     attempts that failed before it), as percentiles;
 *   - throughput: completion tokens per second of generation time, as percentiles;
 *   - uptime: the percentage of attempts without a provider fault, over the last 30 and the
 *     last 5 minutes. As on OpenRouter, attempts that say nothing about the provider
 *     (rate-limited, client errors, cancelled) are not counted.
 * An endpoint whose 5-minute uptime is below CP_STATS_DEGRADED_UPTIME over at least
 * CP_STATS_DEGRADED_MIN attempts is marked degraded; workers route around it.
 *
 * Nothing here is stored in LMDB: after a restart the windows refill from new traffic.
 * cp_stats_publish is throttled by its caller and gives out only models whose stats changed;
 * cp_stats_each replays what was last given out, for snapshots. A resent usage batch is
 * counted again (the ledger deduplicates money, not these samples). Bounded: at most
 * CP_STATS_MAX_ENDPOINTS endpoints are tracked, samples are kept by reservoir sampling. */
#ifndef CP_STATS_H
#define CP_STATS_H

#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

#define CP_STATS_BUCKET_S 60
#define CP_STATS_BUCKETS 30 /* the 30-minute window */
#define CP_STATS_RECENT 5   /* buckets of the recent window (uptime_5m, degraded) */
#define CP_STATS_SAMPLES 32 /* kept per bucket and measure */
#define CP_STATS_DEGRADED_UPTIME 50.0
#define CP_STATS_DEGRADED_MIN 5
#define CP_STATS_MAX_ENDPOINTS 4096

struct cp_stats;

/* Called with one model's stats; the message lives only during the call. Non-zero stops. */
typedef int cp_stats_fn(const Sy__EndpointStats *st, void *arg);

/* Empty windows; NULL on allocation failure. */
struct cp_stats *cp_stats_new(void);
/* Free; idempotent; nulls *sp. */
void cp_stats_free(struct cp_stats **sp);
/* Count one usage record received at now (unix seconds). Records older than the window are
 * ignored. */
void cp_stats_add(struct cp_stats *s, const Sy__UsageRecord *r, int64_t now);
/* Compute every model's stats as of now and call fn for each model whose stats differ from
 * what fn was last given (an empty endpoint list clears a model's). 0 or -ENOMEM. */
int cp_stats_publish(struct cp_stats *s, int64_t now, cp_stats_fn *fn, void *arg);
/* Call fn for every model's stats as last published (none empty), in model id order. 0,
 * -ENOMEM or fn's return. */
int cp_stats_each(const struct cp_stats *s, cp_stats_fn *fn, void *arg);
/* True if an attempt's error class is the provider's fault (counts against uptime). */
bool cp_stats_is_fault(const char *error_class);

#endif
