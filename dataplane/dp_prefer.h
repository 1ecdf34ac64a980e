/* dp_prefer.h - provider.preferred_min_throughput and provider.preferred_max_latency.
 *
 * OpenRouter's soft speed preferences: an endpoint measured below the throughput (tokens/s)
 * or above the latency (seconds to the first token) is tried after the endpoints that meet
 * them (or have no measurement yet) — deprioritized, never excluded. Each is a number (the
 * p50) or {"p50", "p75", "p90", "p99"} cutoffs, compared with the percentiles the
 * controlplane publishes for the endpoint (GET /models/.../endpoints); without published
 * percentiles, a p50 cutoff is compared with the worker's own running average. */
#ifndef DP_PREFER_H
#define DP_PREFER_H

#include "switchyard.pb-c.h"

#include <jansson.h>
#include <stdbool.h>

/* What is known of one endpoint's speed; 0 / NULL = not measured. */
struct dp_prefer_speed {
	double tps;                   /* tokens per second, the worker's average (or a p50) */
	double ttft_ms;               /* time to first token, ms */
	const Sy__Percentiles *tps_p; /* published percentiles */
	const Sy__Percentiles *ttft_p;
};

/* True if the endpoint misses a speed preference of prefs (the request's provider object)
 * that it has a measurement for. */
bool dp_prefer_missed(const json_t *prefs, const struct dp_prefer_speed *s);

#endif
