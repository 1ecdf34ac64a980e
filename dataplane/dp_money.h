/* dp_money.h - a worker's side of money: credit leases, reservations and rate limits.
 *
 * Admission of a chat request, in order:
 *   1. rate limits (429): the key's rpm/rpd, and for `:free` models 20/minute per key and a
 *      daily count per org (50, or 1000 once the org has bought $10 of credits). They are
 *      held across workers by dp_ratelease (rq->rates_leased); without it, or when the
 *      controlplane cannot grant, each worker counts its own requests against a share of
 *      every limit: ceil(limit / cluster_workers).
 *   2. a prepaid org whose settled balance (credits - posted, as last published) is <= 0
 *      gets 402, even on a free model.
 *   3. the request's worst-case cost is reserved inside the worker's lease for its key. A
 *      lease is money the controlplane already moved into the org's (and key's) pending
 *      debits, so reserving needs no round trip. When the lease cannot cover it, the request
 *      waits (at most lease_wait_ms) while the lease asks the controlplane for more; a
 *      refusal gives 402 (org balance, key limit) or 403 (a budget, naming the broadest
 *      period; a guardrail's limit for the key, naming its period), no answer 503.
 * When the request ends, dp_money_settle gives back reserved - cost to the lease; the cost
 * itself travels in the usage record, whose settlement at the controlplane moves it from the
 * lease to posted. Leases are renewed while in use, and returned (closed) when idle.
 *
 * The overspend bound: an org never spends more than its credits (prepaid) or its budgets,
 * except by what a provider bills beyond a request's reservation (e.g. prompt tokens beyond
 * the estimate, completion beyond the reserved cap) and by requests still running on a
 * lease the controlplane released because it could not be renewed within its TTL (the
 * controlplane unreachable that long). Both are measured at settlement (the org's
 * `overspend`). Rate limits on the local shares admit at most
 * cluster_workers * ceil(limit / cluster_workers) requests per window across the cluster
 * (limit + cluster_workers - 1 at worst); dp_ratelease.h has the bound with leased tokens. */
#ifndef DP_MONEY_H
#define DP_MONEY_H

#include "dp_request.h"
#include "dp_route.h"
#include "sy_money.h"
#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

struct dp_loop;
struct dp_money;
struct dp_lease;
struct dp_timer;

/* Free models' limits (OpenRouter's). */
#define DP_FREE_PER_MINUTE 20
#define DP_FREE_PER_DAY_LOW 50
#define DP_FREE_PER_DAY 1000
#define DP_FREE_PURCHASE_USD 10

struct dp_link;

struct dp_money_config {
	struct dp_link *link;   /* to the controlplane (dp_link): lease requests and grants */
	int cluster_workers;    /* workers sharing the rate limits (>= 1) */
	uint32_t lease_wait_ms; /* how long a request may wait for the lease to grow */
	const char *worker_tag; /* identifies the worker in lease ids and logs */
};

/* The rate limit a request hit (429 headers). */
struct dp_rate_info {
	uint32_t limit;     /* the full limit (X-RateLimit-Limit) */
	uint32_t remaining; /* X-RateLimit-Remaining */
	int64_t reset_ms;   /* unix ms when the window ends (X-RateLimit-Reset) */
	uint32_t retry_s;   /* Retry-After */
};

struct dp_admission;
/* A waiting admission ended: a->status is 0 when admitted, else the refusal. */
typedef void dp_admit_fn(struct dp_admission *a, void *arg);

/* One request's admission and reservation; embedded in the request, zeroed before use. */
struct dp_admission {
	struct dp_money *m;
	struct dp_lease *lease;    /* reserved on (or waiting for) this lease */
	sy_money reserve;          /* the worst case to reserve */
	sy_money reserved;         /* what is reserved (0 until admitted) */
	char lease_id[48];         /* for the usage record; "" when nothing was reserved */
	struct dp_admission *next; /* the lease's waiters */
	struct dp_timer *timer;    /* waiting deadline */
	dp_admit_fn *fn;
	void *arg;
	bool waiting; /* fn not called yet */
	bool queued;  /* in the lease's queue */
	/* the refusal */
	int status;             /* 0 admitted; 402, 403, 429 or 503 */
	const char *error_type; /* metadata.error_type */
	const char *budget;     /* 403: the budget period */
	char message[200];
	bool rate_limited; /* rate holds the 429's headers */
	struct dp_rate_info rate;
};

/* What admission needs to know about a request. */
struct dp_admit_req {
	const Sy__Org *org;
	const Sy__ApiKey *key;
	sy_money reserve;  /* worst case (dp_money_worst_case) */
	bool free_model;   /* reached through a `:free` variant */
	bool rates_leased; /* dp_ratelease took tokens of every rate limit: no local share */
};

enum dp_admit_result {
	DP_ADMIT_OK,      /* admitted now, reservation taken */
	DP_ADMIT_WAIT,    /* fn will be called (from the loop, never from inside admit) */
	DP_ADMIT_REFUSED, /* a->status and the rest say why */
};

/* A worker's money state, talking to the controlplane on cfg->link, where it registers the
 * handler of lease grants itself (until dp_money_free). NULL on allocation failure. */
struct dp_money *dp_money_new(struct dp_loop *loop, const struct dp_money_config *cfg);
/* Return every lease (closing it) and free; idempotent; nulls *mp. Admissions must have
 * been settled or cancelled. */
void dp_money_free(struct dp_money **mp);

/* The worst case of a request over every target of its plan: its prompt estimate at the
 * prompt price, min(max_tokens, cap, the endpoint's max_completion_tokens) completion tokens
 * at the completion price, and the request fee. *free_model: some target is a `:free`
 * variant. */
sy_money dp_money_worst_case(const struct dp_route_plan *plan, const struct dp_chat_req *req,
                             uint32_t cap, bool *free_model);
/* Admit a request (see the top of this file). */
enum dp_admit_result dp_money_admit(struct dp_money *m, struct dp_admission *a,
                                    const struct dp_admit_req *rq, dp_admit_fn *fn, void *arg);
/* The request ended costing cost: reserved - cost goes back to the lease. Idempotent. */
void dp_money_settle(struct dp_admission *a, sy_money cost);
/* Stop waiting (the client left, or shutdown); fn is not called. Idempotent. */
void dp_money_cancel(struct dp_admission *a);

/* Lease arithmetic, exposed for tests: what a lease may still reserve. */
sy_money dp_lease_available(const struct dp_lease *l);
/* The lease of a key hash, NULL if none. */
struct dp_lease *dp_money_lease(struct dp_money *m, const char *key_hash);

#endif
