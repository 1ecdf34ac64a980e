/* cp_free.c - today's `:free` requests per org, a fixed-size row in CP_T_FREE_USE. */
#include "cp_free.h"
#include "cp_money.h"
#include "cp_store.h"
#include "sy_cost.h"
#include "sy_err.h"

#include <string.h>

struct free_use {
	int64_t day;    /* unix seconds of the UTC day counted */
	uint32_t count; /* `:free` requests that day */
	uint32_t pad;
};

static int read_use(struct cp_txn *t, const char *org, struct free_use *u)
{
	const void *v;
	size_t len;
	memset(u, 0, sizeof(*u));
	int rc = cp_store_raw_get(t, CP_T_FREE_USE, org, &v, &len);
	if (rc == SY_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (len != sizeof(*u))
		return SY_ESTORE;
	memcpy(u, v, sizeof(*u));
	return 0;
}

int cp_free_count(struct cp_txn *t, const Sy__UsageRecord *r, int64_t now)
{
	const char *org = r->org_id;
	if (!r->free_variant || !org || !*org || strlen(org) > 64)
		return 0;
	struct free_use u;
	int rc = read_use(t, org, &u);
	if (rc)
		return rc;
	int64_t day = sy_period_start(SY_PERIOD_DAILY,
	                              r->has_created_at && r->created_at > 0 ? r->created_at : now);
	if (day < u.day)
		return 0;
	if (day > u.day)
		u = (struct free_use){.day = day};
	u.count++;
	if ((rc = cp_store_raw_put(t, CP_T_FREE_USE, org, &u, sizeof(u), false)))
		return rc;
	return cp_money_mark_org(t, org);
}

bool cp_free_publish(struct cp_txn *t, Sy__Org *o)
{
	struct free_use u;
	if (read_use(t, o->id, &u) || !u.day)
		return false;
	bool changed = !o->has_free_requests_day || o->free_requests_day != u.day ||
	               o->free_requests_today != u.count;
	o->has_free_requests_day = o->has_free_requests_today = true;
	o->free_requests_day = u.day;
	o->free_requests_today = u.count;
	return changed;
}
