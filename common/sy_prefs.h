/* sy_prefs.h - OpenRouter's `provider` preferences object: one check for the dataplane (a
 * request's own) and the controlplane (a key's defaults, merged under the request's). */
#ifndef SY_PREFS_H
#define SY_PREFS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Check p (not null) field by field: order/only/ignore/quantizations/allowed_data_regions
 * arrays of strings, allow_fallbacks/require_parameters/zdr/enforce_distillable_text booleans
 * (enforce_distillable_text true is refused: not supported), data_collection "allow"|"deny",
 * sort, preferred_min_throughput/preferred_max_latency (a non-negative number or an object of
 * p50/p75/p90/p99 non-negative numbers),
 * max_price {prompt|completion|request|image|audio: non-negative number or numeric string}.
 * 0, or SY_EINVAL with a message naming the field ("provider.sort must be ...") in err. */
int sy_prefs_check(const json_t *p, char *err, size_t errlen);
/* The percentile names of speed cutoffs, NULL-terminated. */
extern const char *const sy_prefs_percentiles[5];
/* A max_price value: a number or a string holding one ("0.5", as @openrouter/sdk sends
 * them), finite and >= 0, into *out (may be NULL). */
bool sy_prefs_price(const json_t *v, double *out);

#endif
