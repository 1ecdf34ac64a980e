/* dp_failover.h - what to do after an upstream attempt failed (pure, no I/O).
 *
 * The shape of nginx's ngx_http_upstream_next: the outcome of the attempt (its failure class
 * from sy_failure, the upstream status, a Retry-After) and where the request stands in its
 * plan and budget go in; one decision comes out: retry the same endpoint (possibly after a
 * wait), go on to the next endpoint of the plan, skip to a later model, or give up (the
 * client gets the last failure). Only failures before anything reached the client come here:
 * after that a stream ends with the in-band error.
 *
 * The rules, in order:
 *  1. A context-length refusal skips to a later model with a longer context, or gives up.
 *  2. The request's own fault (client_error) and the gateway's stops give up.
 *  3. Out of budget (attempts made, or time since the request started) gives up.
 *  4. A 429 whose Retry-After is at most retry_after_max_ms and ends within the time budget
 *     is retried on the same endpoint after that wait, once, when it is the best choice: no
 *     other endpoint of the same model is left to try (what is left, if anything, is another
 *     model at another price).
 *  5. A transient fault (HTTP 500 or 502, or a reset before any response byte) is retried
 *     once on the same endpoint before moving on.
 *  6. Anything else retryable goes on to the next target of the plan.
 *  7. With no target left, a quick failure (it did not wait for a deadline) is retried once
 *     on the same endpoint.
 *  8. Otherwise give up. */
#ifndef DP_FAILOVER_H
#define DP_FAILOVER_H

#include "dp_adapter.h"
#include "dp_upstream.h"
#include "sy_failure.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dp_failover_next {
	DP_FAILOVER_GIVE_UP,
	DP_FAILOVER_RETRY_SAME,
	DP_FAILOVER_NEXT_ENDPOINT,
	DP_FAILOVER_NEXT_MODEL,
};

/* Why the same endpoint is tried again (Attempt.retry_reason of the retry). */
#define DP_FAILOVER_WHY_RETRY_AFTER "retry_after"
#define DP_FAILOVER_WHY_TRANSIENT "transient"
#define DP_FAILOVER_WHY_LAST_RESORT "last_resort"

/* The per-request budget (dataplane options; 0 = that limit is off). */
struct dp_failover_budget {
	uint32_t max_attempts;       /* attempts per request, every endpoint together */
	uint32_t time_ms;            /* no new attempt starts this long after the request */
	uint32_t retry_after_max_ms; /* longest Retry-After waited for on the same endpoint */
};

/* How the attempt ended. */
struct dp_failover_outcome {
	enum sy_fail cls;
	long status;            /* upstream HTTP status; 0 = no response */
	int64_t retry_after_ms; /* the upstream's Retry-After; -1 = none */
};

/* Where the request stands. */
struct dp_failover_state {
	size_t attempts;        /* made so far, the failed one included */
	int64_t elapsed_ms;     /* since the request started */
	bool retried_same;      /* the failed attempt was already a retry of its endpoint */
	bool endpoint_left;     /* another endpoint of the same model is left in the plan */
	bool target_left;       /* any target is left in the plan */
	bool longer_model_left; /* a later model with a longer context is left */
};

struct dp_failover_decision {
	enum dp_failover_next next;
	uint32_t wait_ms; /* RETRY_SAME: wait this long first */
	const char *why;  /* RETRY_SAME: DP_FAILOVER_WHY_* */
};

/* The class of an HTTP answer other than 2xx: the adapter's reading of it, and whether the
 * endpoint used the org's own credential (BYOK: a refused one is the org's, not the
 * provider's, trouble). */
enum sy_fail dp_failover_class_of_status(long status, enum dp_adapter_fault fault, bool byok);
/* The class of a transfer that did not complete. */
enum sy_fail dp_failover_class_of_result(enum dp_upstream_result r);

/* The next step after a failed attempt. */
struct dp_failover_decision dp_failover_decide(const struct dp_failover_budget *b,
                                               const struct dp_failover_outcome *o,
                                               const struct dp_failover_state *s);

/* Whether another attempt fits the budget at all (rule 3), for starts outside a decision. */
bool dp_failover_within_budget(const struct dp_failover_budget *b,
                               const struct dp_failover_state *s);

/* Unparsable events of one streamed attempt. */
struct dp_failover_garbage {
	uint32_t run;   /* in a row, up to the last one */
	uint32_t total; /* in the attempt */
};

/* An unparsable stream event: true = skip it and go on; false = this is the run_max-th in a
 * row (run_max 0 counts as 1), the stream ends with the in-band error. */
bool dp_failover_skip_garbage(struct dp_failover_garbage *g, uint32_t run_max);

/* Milliseconds of the time budget left (UINT32_MAX when it is off), 0 when spent. */
uint32_t dp_failover_time_left(const struct dp_failover_budget *b, int64_t elapsed_ms);

#endif
