/* dp_health.h - a worker's routing memory: endpoint health and measured speed.
 *
 * Endpoints are (model id, provider slug) pairs. Health is outlier ejection: after
 * DP_HEALTH_EJECT_AFTER consecutive provider faults (never client-caused 4xx) an endpoint is
 * ejected for a base time that doubles with each repeated ejection (capped); when the time is
 * up one request at a time probes it, and a success re-admits it. A 429's Retry-After keeps
 * an endpoint out for that long. Callers decide what "never eject the last endpoint of a
 * model" means for their plan: this module only answers per endpoint.
 *
 * Speed is an exponentially weighted average of time to first token and tokens per second.
 * Everything is per worker and single-threaded (sticky sessions need no memory: dp_sticky). */
#ifndef DP_HEALTH_H
#define DP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#define DP_HEALTH_EJECT_AFTER 3
#define DP_HEALTH_EJECT_BASE_MS 5000
#define DP_HEALTH_EJECT_MAX_MS 300000

struct dp_health;

/* How an attempt on an endpoint ended. */
enum dp_health_outcome {
	DP_HEALTH_SUCCESS, /* answered */
	DP_HEALTH_FAULT,   /* provider's fault: connect, timeout, reset, 5xx, broken answer */
	DP_HEALTH_NEUTRAL, /* says nothing about the provider: client error, cancelled */
};

/* Empty memory; NULL on allocation failure. */
struct dp_health *dp_health_new(void);
/* Free; idempotent; nulls *hp. */
void dp_health_free(struct dp_health **hp);

/* True unless the endpoint is ejected (and not due for a probe, or a probe is running) or
 * inside a Retry-After window. Unknown endpoints are healthy. */
bool dp_health_ok(const struct dp_health *h, const char *model_id, const char *provider,
                  int64_t now_ms);
/* An attempt on the endpoint starts; claims the probe of an endpoint due for re-admission. */
void dp_health_begin(struct dp_health *h, const char *model_id, const char *provider,
                     int64_t now_ms);
/* The attempt ended. */
void dp_health_end(struct dp_health *h, const char *model_id, const char *provider,
                   enum dp_health_outcome outcome, int64_t now_ms);
/* The endpoint asked to be left alone until until_ms (a 429's Retry-After). */
void dp_health_retry_after(struct dp_health *h, const char *model_id, const char *provider,
                           int64_t until_ms);

/* A speed sample from a served request: time to first token and tokens per second (<= 0:
 * not measured). */
void dp_health_sample(struct dp_health *h, const char *model_id, const char *provider,
                      uint32_t ttft_ms, double tokens_per_s);
/* Average time to first token in ms and throughput in tokens/s; 0 when not measured. */
double dp_health_latency(const struct dp_health *h, const char *model_id, const char *provider);
double dp_health_throughput(const struct dp_health *h, const char *model_id, const char *provider);

#endif
