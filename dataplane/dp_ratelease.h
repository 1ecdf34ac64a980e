/* dp_ratelease.h - rate limits held across every worker: request tokens leased from the
 * controlplane.
 *
 * A key's rpm/rpd and the `:free` limits (20 a minute per key, the org's daily allowance) are
 * counted per window (a whole UTC minute or day). For each (limit, key or org, window) a
 * worker holds a few request tokens granted by the controlplane, which never grants more than
 * the window's limit to all workers together; a request takes one token of every limit it
 * falls under, with no round trip while the worker holds some. A worker asks for more when it
 * runs out (the request waits for the answer) or, for large limits, a little before; it gives
 * back what it has not used after RETURN_MS idle. A grant says when the window is exhausted:
 * later requests get 429 locally for a second, then ask again (a return elsewhere may have
 * freed tokens).
 *
 * A key's tpm (tokens per minute) works the same way with tokens for requests: a request
 * takes one token when admitted and the rest of its prompt + completion tokens when it
 * settles, beyond what the worker holds if need be (reported to the controlplane, which
 * counts them into the window). So a window admits requests while tokens remain, and ends
 * over its tpm by at most the tokens of the requests in flight when it ran out.
 *
 * When the controlplane does not answer within wait_ms, the request falls back to the
 * worker's local share of every request limit (dp_money: ceil(limit / cluster_workers)), and
 * the limits stay on that fallback for FALLBACK_MS before asking again; tpm is not enforced
 * then (fail open: its tokens are known only after the fact). docs/money.md states the
 * bounds. */
#ifndef DP_RATELEASE_H
#define DP_RATELEASE_H

#include "dp_money.h"

#include <stddef.h>
#include <stdint.h>

/* One limit a request falls under. */
struct dp_rate_limit {
	const char *kind; /* rpm, rpd, fpm, fpd, tpm */
	const char *id;   /* key hash or org id */
	uint32_t limit;
	uint32_t window_s; /* 60 or 86400 */
	const char *what;  /* for the 429's message */
	bool tokens;       /* tpm: counts tokens (settled), not requests; no local share */
};

#define DP_RATE_LIMITS_MAX 5

/* The limits rq falls under, into out; their number. */
size_t dp_ratelease_limits(const struct dp_admit_req *rq,
                           struct dp_rate_limit out[DP_RATE_LIMITS_MAX]);
/* Fill a's 429 for limit l, whose window started at window_start (unix seconds). */
void dp_ratelease_refuse(struct dp_admission *a, const struct dp_rate_limit *l,
                         int64_t window_start, int64_t now_s);
/* Tokens a worker asks for at once: limit / (16 * cluster_workers), at least 1; what the
 * other workers may hold unused is then at most a sixteenth of the limit. */
uint32_t dp_ratelease_chunk(uint32_t limit, int cluster_workers);

/* Sends one envelope to the controlplane without blocking: 0 or a negative code. */
typedef int dp_ratelease_send_fn(void *arg, const Sy__Envelope *env);

struct dp_ratelease_config {
	dp_ratelease_send_fn *send; /* the controlplane link's dp_link_post */
	void *send_arg;
	int cluster_workers; /* sizing of the asks (>= 1) */
	uint32_t wait_ms;    /* a request's wait for tokens before the local fallback */
};

struct dp_ratelease;

/* One request's wait for tokens; embedded in the request, zeroed before use. */
struct dp_rate_wait {
	struct dp_ratelease *r;
	struct dp_rate_wait *next; /* the waiters, FIFO */
	struct dp_timer *timer;    /* the deadline, then the delivery */
	struct dp_admission *a;    /* where a refusal goes */
	dp_admit_fn *fn;
	void *arg;
	struct dp_rate_limit lim[DP_RATE_LIMITS_MAX];
	char ids[DP_RATE_LIMITS_MAX][80]; /* lim[i].id points here */
	size_t n;
	bool waiting; /* fn not called yet */
	bool expired; /* the deadline passed: no more waiting, fall back */
	/* admitted on tokens of every limit: dp_money skips its local share check */
	bool leased;
	/* tpm: the counter and window the request took its first token of (settle takes the
	 * rest); "" when none */
	char tpm_counter[96];
	int64_t tpm_window;
};

struct dp_ratelease *dp_ratelease_new(struct dp_loop *loop, const struct dp_ratelease_config *cfg);
/* Give back the tokens held and free; waiters must have been cancelled. Nulls *rp. */
void dp_ratelease_free(struct dp_ratelease **rp);

/* Take a token of every limit rq falls under. OK: admitted (w->leased says how), REFUSED:
 * a holds the 429, WAIT: fn(a, arg) follows from the loop, a->status 0 when admitted. */
enum dp_admit_result dp_ratelease_admit(struct dp_ratelease *r, struct dp_rate_wait *w,
                                        struct dp_admission *a, const struct dp_admit_req *rq,
                                        dp_admit_fn *fn, void *arg);
/* The request settled having used tokens (prompt + completion): its tpm window counts
 * them, taken from the tokens held and reported to the controlplane beyond them.
 * Idempotent. */
void dp_ratelease_settle(struct dp_rate_wait *w, uint32_t tokens);
/* Stop waiting; fn is not called. Idempotent. */
void dp_ratelease_cancel(struct dp_rate_wait *w);
/* A RateleaseGrant from the controlplane (other bodies are ignored). */
void dp_ratelease_on_message(const Sy__Envelope *env, void *arg);

/* Tokens held for the current window of "<kind>:<id>" (tests). */
uint32_t dp_ratelease_held(struct dp_ratelease *r, const char *kind, const char *id,
                           uint32_t window_s);

#endif
