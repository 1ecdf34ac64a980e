/* sy_cost.h - price table arithmetic and billing periods, exact in money units.
 *
 * One code path computes the cost of every generation, streamed or not, in the dataplane
 * (for the response's usage.cost) and in the controlplane (ledger, audit). */
#ifndef SY_COST_H
#define SY_COST_H

#include "sy_money.h"

#include <stdbool.h>
#include <stdint.h>

/* An endpoint's prices in money units per token (request: per request). */
struct sy_price {
	sy_money prompt;
	sy_money completion;
	sy_money request;
	sy_money cache_read;
	sy_money cache_write;
};

/* Token counts of one generation, as the provider reported them (or the gateway counted). */
struct sy_tokens {
	uint32_t prompt;      /* all prompt tokens, cached ones included */
	uint32_t completion;  /* all completion tokens, reasoning included */
	uint32_t cached;      /* prompt tokens read from cache */
	uint32_t cache_write; /* prompt tokens written to cache */
	uint32_t reasoning;   /* completion tokens spent reasoning (reported separately) */
};

/* Parse the decimal-string prices (any may be NULL or "" = 0). SY_EINVAL names the bad
 * field in *bad_field. */
int sy_price_parse(struct sy_price *p, const char *prompt, const char *completion,
                   const char *request, const char *cache_read, const char *cache_write,
                   const char **bad_field);
/* A price limit check: price (money units) at most limit USD per unit (units_per_usd money
 * units make a USD of the limit: SY_MONEY_SCALE / 1e6 for limits per million tokens). A
 * relative slack absorbs the binary representation of decimal limits like 0.3. */
bool sy_price_within(double limit, sy_money price, double units_per_usd);
/* True if every price is zero (a free endpoint). */
bool sy_price_is_free(const struct sy_price *p);
/* Cost of a generation. finish_reason is the normalised one (NULL = none arrived).
 * Zero-completion insurance: 0 when completion == 0 with a NULL finish reason, or when the
 * finish reason is "error". Cached and cache-write tokens are billed at their own prices and
 * not again as prompt tokens. */
sy_money sy_cost(const struct sy_price *p, const struct sy_tokens *t, const char *finish_reason);
/* The completion part of a generation's cost total (sy_cost of the same price and tokens):
 * completion tokens at the completion price, at most total; the rest of total is the
 * prompt's (cached and cache-write tokens and the request fee included), so the two parts
 * always add up to total exactly. */
sy_money sy_cost_completion(const struct sy_price *p, const struct sy_tokens *t, sy_money total);
/* Worst-case cost used for reservations: prompt_tokens at the prompt price plus
 * max_completion at the completion price plus the request fee. */
sy_money sy_cost_worst_case(const struct sy_price *p, uint32_t prompt_tokens,
                            uint32_t max_completion);

enum sy_period {
	SY_PERIOD_DAILY,
	SY_PERIOD_WEEKLY,
	SY_PERIOD_MONTHLY,
	SY_PERIOD_LIFETIME
};
/* "daily"|"weekly"|"monthly"|"lifetime" -> period; SY_EINVAL otherwise. */
int sy_period_parse(const char *name, enum sy_period *out);
const char *sy_period_name(enum sy_period p);
/* Start (unix seconds, UTC) of the period containing t: 00:00 UTC; weeks start Monday;
 * months on the 1st; lifetime = 0. */
int64_t sy_period_start(enum sy_period p, int64_t t);
/* Start of the period after the one containing t (INT64_MAX for lifetime). */
int64_t sy_period_end(enum sy_period p, int64_t t);
/* Count amount at time t into a period counter (*val belongs to the period starting at
 * *start): a later period resets the counter first; an earlier one is not counted (a late
 * record only counts in the wider periods it still belongs to). */
void sy_period_add(enum sy_period p, sy_money *val, int64_t *start, int64_t t, sy_money amount);
/* The usage a key limit with this reset ("daily"|"weekly"|"monthly"; NULL or anything else
 * = never resets) counts: the matching period's value, else the total. */
sy_money sy_limit_usage(const char *limit_reset, sy_money total, sy_money daily, sy_money weekly,
                        sy_money monthly);
/* A period counter's value as of now: 0 when its period has ended. */
sy_money sy_period_current(enum sy_period p, sy_money val, int64_t start, int64_t now);

#endif
