/* dp_free.h - free endpoints and the free tier (OpenRouter's `:free` models).
 *
 * A free endpoint (all prices zero and tag "free", as the catalog defines a model's free
 * variant) serves only the model's `:free` variant, whose requests count against the
 * free-model limits; the base id never routes to it and /models lists the variant as its
 * own entry. An untagged endpoint that costs nothing (a self-hosted model) is not a free
 * variant: it serves the base id and the free-model limits do not apply. */
#ifndef DP_FREE_H
#define DP_FREE_H

#include "switchyard.pb-c.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* True if ep serves only its model's `:free` variant. */
bool dp_free_endpoint(const Sy__Endpoint *ep);
/* Requests per day to `:free` models org may make (50, or 1000 once it bought $10). */
uint32_t dp_free_daily_limit(const Sy__Org *org);
/* GET /key's free-tier members, set on d: is_free_tier (the org never bought credits) and
 * free_model_daily_requests {limit, remaining, used} from the org's count of today's `:free`
 * requests as the controlplane last published it (0 once that day is over). org may be NULL
 * (not synced yet: a free tier with nothing used). */
void dp_free_key_fields(json_t *d, const Sy__Org *org, int64_t now);

#endif
