/* sy_cost.c - the cost of a generation and the billing periods, in exact money units. */
#include "sy_cost.h"
#include "sy_err.h"

#include <string.h>

int sy_price_parse(struct sy_price *p, const char *prompt, const char *completion,
                   const char *request, const char *cache_read, const char *cache_write,
                   const char **bad_field)
{
	struct sy_price parsed = {0};
	const struct {
		const char *name;
		const char *text;
		sy_money *out;
	} f[] = {
	    {"prompt", prompt, &parsed.prompt},
	    {"completion", completion, &parsed.completion},
	    {"request", request, &parsed.request},
	    {"input_cache_read", cache_read, &parsed.cache_read},
	    {"input_cache_write", cache_write, &parsed.cache_write},
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!f[i].text || !*f[i].text)
			continue;
		/* A negative price would pay the caller; no catalog means that. */
		if (sy_money_parse(f[i].text, f[i].out) || *f[i].out < 0) {
			if (bad_field)
				*bad_field = f[i].name;
			return SY_EINVAL;
		}
	}
	*p = parsed;
	return 0;
}

bool sy_price_is_free(const struct sy_price *p)
{
	return !p->prompt && !p->completion && !p->request && !p->cache_read && !p->cache_write;
}

static sy_money saturate(__int128 v)
{
	if (v > INT64_MAX)
		return INT64_MAX;
	if (v < 0)
		return 0;
	return (sy_money)v;
}

sy_money sy_cost(const struct sy_price *p, const struct sy_tokens *t, const char *finish_reason)
{
	bool no_finish = !finish_reason || !*finish_reason;
	if ((no_finish && t->completion == 0) || (finish_reason && !strcmp(finish_reason, "error")))
		return 0;
	/* Cached and cache-write tokens are a part of prompt; bill each kind once. A provider
	 * that reports more cached than prompt tokens gets no negative prompt charge. */
	int64_t uncached = (int64_t)t->prompt - t->cached - t->cache_write;
	if (uncached < 0)
		uncached = 0;
	__int128 c = (__int128)uncached * p->prompt;
	c += (__int128)t->cached * p->cache_read;
	c += (__int128)t->cache_write * p->cache_write;
	c += (__int128)t->completion * p->completion;
	c += p->request;
	return saturate(c);
}

sy_money sy_cost_completion(const struct sy_price *p, const struct sy_tokens *t, sy_money total)
{
	sy_money c = saturate((__int128)t->completion * p->completion);
	return c < total ? c : total;
}

sy_money sy_cost_worst_case(const struct sy_price *p, uint32_t prompt_tokens,
                            uint32_t max_completion)
{
	__int128 c = (__int128)prompt_tokens * p->prompt;
	c += (__int128)max_completion * p->completion;
	c += p->request;
	return saturate(c);
}

static const char *const period_names[] = {
    [SY_PERIOD_DAILY] = "daily",
    [SY_PERIOD_WEEKLY] = "weekly",
    [SY_PERIOD_MONTHLY] = "monthly",
    [SY_PERIOD_LIFETIME] = "lifetime",
};

int sy_period_parse(const char *name, enum sy_period *out)
{
	for (size_t i = 0; name && i < sizeof(period_names) / sizeof(period_names[0]); i++) {
		if (!strcmp(name, period_names[i])) {
			*out = (enum sy_period)i;
			return 0;
		}
	}
	return SY_EINVAL;
}

const char *sy_period_name(enum sy_period p)
{
	if ((size_t)p < sizeof(period_names) / sizeof(period_names[0]))
		return period_names[p];
	return "unknown";
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of the first day of the month containing day z (proleptic
 * Gregorian, after H. Hinnant's civil_from_days; no libc time zone state involved). */
static int64_t month_start_day(int64_t z)
{
	int64_t doe = z + 719468 - floor_div(z + 719468, 146097) * 146097;   /* day of 400y era */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* year of era */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* day of year from March 1 */
	int64_t mp = (5 * doy + 2) / 153;                      /* month, 0 = March */
	return z - (doy - (153 * mp + 2) / 5);
}

int64_t sy_period_start(enum sy_period p, int64_t t)
{
	int64_t day = floor_div(t, 86400);
	switch (p) {
	case SY_PERIOD_DAILY:
		return day * 86400;
	case SY_PERIOD_WEEKLY:
		/* 1970-01-01 was a Thursday: day 4 (Jan 5) is the first Monday. */
		return (day - ((day + 3) % 7 + 7) % 7) * 86400;
	case SY_PERIOD_MONTHLY:
		return month_start_day(day) * 86400;
	case SY_PERIOD_LIFETIME:
		break;
	}
	return 0;
}

int64_t sy_period_end(enum sy_period p, int64_t t)
{
	int64_t s = sy_period_start(p, t);
	switch (p) {
	case SY_PERIOD_DAILY:
		return s + 86400;
	case SY_PERIOD_WEEKLY:
		return s + 7 * 86400;
	case SY_PERIOD_MONTHLY:
		/* 31 days after the 1st always lands in the next month */
		return sy_period_start(p, s + 31 * 86400);
	case SY_PERIOD_LIFETIME:
		break;
	}
	return INT64_MAX;
}

void sy_period_add(enum sy_period p, sy_money *val, int64_t *start, int64_t t, sy_money amount)
{
	int64_t ps = sy_period_start(p, t);
	if (ps > *start) {
		*start = ps;
		*val = 0;
	}
	if (ps == *start)
		*val += amount;
}

sy_money sy_period_current(enum sy_period p, sy_money val, int64_t start, int64_t now)
{
	return start == sy_period_start(p, now) ? val : 0;
}

sy_money sy_limit_usage(const char *limit_reset, sy_money total, sy_money daily, sy_money weekly,
                        sy_money monthly)
{
	enum sy_period p;
	if (!limit_reset || sy_period_parse(limit_reset, &p))
		return total;
	switch (p) {
	case SY_PERIOD_DAILY:
		return daily;
	case SY_PERIOD_WEEKLY:
		return weekly;
	case SY_PERIOD_MONTHLY:
		return monthly;
	case SY_PERIOD_LIFETIME:
		break;
	}
	return total;
}

bool sy_price_within(double limit, sy_money price, double units_per_usd)
{
	double max = limit * units_per_usd;
	return (double)price <= max * (1 + 1e-9) + 1e-9;
}
