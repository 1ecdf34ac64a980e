/* cp_byok_fee.c - the BYOK fee and this month's BYOK requests per org (CP_T_BYOK_USE). */
#include "cp_byok_fee.h"
#include "sy_cost.h"
#include "sy_err.h"

#include <string.h>

const struct cp_byok_fee cp_byok_fee_default = {CP_BYOK_FEE_BP, CP_BYOK_FREE_PER_MONTH};

/* A fixed-size row, like cp_free's. */
struct byok_use {
	int64_t month;  /* unix seconds of the UTC month counted */
	uint32_t count; /* BYOK requests that month */
	uint32_t pad;
};

sy_money cp_byok_fee_of(sy_money cost, uint32_t bp)
{
	if (cost <= 0 || !bp)
		return 0;
	if (bp > CP_BYOK_FEE_BP_MAX)
		bp = CP_BYOK_FEE_BP_MAX;
	/* cost = q * 10000 + r: q * bp cannot overflow (bp <= 10000), r * bp < 10^8 */
	sy_money q = cost / CP_BYOK_FEE_BP_MAX, r = cost % CP_BYOK_FEE_BP_MAX;
	return q * (sy_money)bp + (r * (sy_money)bp + CP_BYOK_FEE_BP_MAX - 1) / CP_BYOK_FEE_BP_MAX;
}

sy_money cp_byok_fee_charged(const Sy__UsageRecord *r)
{
	sy_money cost = r->has_cost ? r->cost : 0;
	return cost - (r->has_byok_waived ? r->byok_waived : 0);
}

static int read_use(struct cp_txn *t, const char *org, struct byok_use *u)
{
	const void *v;
	size_t len;
	memset(u, 0, sizeof(*u));
	int rc = cp_store_raw_get(t, CP_T_BYOK_USE, org, &v, &len);
	if (rc == SY_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (len != sizeof(*u))
		return SY_ESTORE;
	memcpy(u, v, sizeof(*u));
	return 0;
}

int cp_byok_fee_count(struct cp_txn *t, const char *org, int64_t month_start, uint32_t *count)
{
	struct byok_use u;
	int rc = read_use(t, org, &u);
	*count = !rc && u.month == month_start ? u.count : 0;
	return rc;
}

int cp_byok_fee_apply(struct cp_txn *t, const struct cp_byok_fee *cfg, Sy__UsageRecord *r,
                      int64_t now)
{
	const char *org = r->org_id;
	if (!r->is_byok || !org || !*org || strlen(org) > 64)
		return 0;
	if (!cfg)
		cfg = &cp_byok_fee_default;
	struct byok_use u;
	int rc = read_use(t, org, &u);
	if (rc)
		return rc;
	int64_t month = sy_period_start(
	    SY_PERIOD_MONTHLY, r->has_created_at && r->created_at > 0 ? r->created_at : now);
	bool free = false;
	if (month >= u.month) {
		if (month > u.month)
			u = (struct byok_use){.month = month};
		free = u.count < cfg->free_per_month;
		if (u.count < UINT32_MAX)
			u.count++;
		if ((rc = cp_store_raw_put(t, CP_T_BYOK_USE, org, &u, sizeof(u), false)))
			return rc;
	}
	sy_money cost = r->has_cost ? r->cost : 0;
	r->has_byok_waived = true;
	r->byok_waived = free ? cost : cost - cp_byok_fee_of(cost, cfg->bp);
	return 0;
}
