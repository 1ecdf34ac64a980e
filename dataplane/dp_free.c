/* dp_free.c - which endpoints serve only `:free`, and the free tier of GET /key. */
#include "dp_free.h"
#include "dp_money.h"
#include "sy_cost.h"

#include <string.h>

/* All prices parse and are zero. */
static bool zero_priced(const Sy__Endpoint *ep)
{
	const Sy__Pricing *pr = ep->pricing;
	struct sy_price p;
	if (!pr)
		return true;
	return !sy_price_parse(&p, pr->prompt, pr->completion, pr->request, pr->input_cache_read,
	                       pr->input_cache_write, NULL) &&
	       sy_price_is_free(&p);
}

bool dp_free_endpoint(const Sy__Endpoint *ep)
{
	return ep->tag && !strcmp(ep->tag, "free") && zero_priced(ep);
}

uint32_t dp_free_daily_limit(const Sy__Org *org)
{
	bool low = !org || org->credits_purchased < DP_FREE_PURCHASE_USD * SY_MONEY_SCALE;
	return low ? DP_FREE_PER_DAY_LOW : DP_FREE_PER_DAY;
}

void dp_free_key_fields(json_t *d, const Sy__Org *org, int64_t now)
{
	uint32_t limit = dp_free_daily_limit(org);
	int64_t day = sy_period_start(SY_PERIOD_DAILY, now);
	uint32_t used = org && org->has_free_requests_day && org->free_requests_day == day
	                    ? org->free_requests_today
	                    : 0;
	json_object_set_new(d, "is_free_tier", json_boolean(!org || org->credits_purchased <= 0));
	json_object_set_new(d, "free_model_daily_requests",
	                    json_pack("{s:I,s:I,s:I}", "limit", (json_int_t)limit, "remaining",
	                              (json_int_t)(used < limit ? limit - used : 0), "used",
	                              (json_int_t)used));
}
