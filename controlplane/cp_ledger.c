/* cp_ledger.c - idempotent usage intake and per-key period counters. */
#include "cp_ledger.h"
#include "cp_byok_fee.h"
#include "cp_free.h"
#include "cp_money.h"
#include "cp_row.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int read_usage(struct cp_txn *t, const char *hash, struct cp_key_usage *u)
{
	const void *v;
	size_t len;
	int rc = cp_store_raw_get(t, CP_T_KEY_USAGE, hash, &v, &len);
	if (rc == SY_ENOTFOUND) {
		memset(u, 0, sizeof(*u));
		return 0;
	}
	return rc ? rc : cp_row_key_usage_decode(v, len, u);
}

/* A BYOK generation's provider price and waived part into the key's BYOK periods (the two
 * share their period starts). */
static void add_byok(struct cp_key_usage *u, int64_t at, sy_money cost, sy_money waived)
{
	u->byok[SY_PERIOD_LIFETIME] += cost;
	u->byok_waived[SY_PERIOD_LIFETIME] += waived;
	for (int p = 0; p < CP_LEDGER_PERIODS - 1; p++) {
		int64_t ps = sy_period_start((enum sy_period)p, at);
		if (ps > u->byok_start[p]) {
			u->byok_start[p] = ps;
			u->byok[p] = u->byok_waived[p] = 0;
		}
		if (ps == u->byok_start[p]) {
			u->byok[p] += cost;
			u->byok_waived[p] += waived;
		}
	}
}

static bool record_valid(const Sy__UsageRecord *r)
{
	size_t n = r->id ? strlen(r->id) : 0;
	return n > 0 && n <= CP_GEN_ID_MAX && (!r->has_cost || r->cost >= 0) &&
	       (!r->key_hash || !*r->key_hash || sy_is_hash_hex(r->key_hash));
}

static int apply_one(struct cp_txn *t, const struct cp_byok_fee *fee, Sy__UsageRecord *r,
                     int64_t now, size_t *stored, size_t *dups)
{
	const void *v;
	size_t vlen;
	int rc = 0;
	if (r->is_byok) { /* the fee is decided once: only for a record not stored yet */
		if (!(rc = cp_store_raw_get(t, CP_T_GENERATIONS, r->id, &v, &vlen))) {
			(*dups)++;
			return 0;
		}
		if (rc != SY_ENOTFOUND || (rc = cp_byok_fee_apply(t, fee, r, now)))
			return rc;
	}
	size_t n = sy__usage_record__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	sy__usage_record__pack(r, buf);
	rc = cp_store_raw_put(t, CP_T_GENERATIONS, r->id, buf, n, true);
	free(buf);
	if (rc == SY_EEXIST) {
		(*dups)++;
		return 0;
	}
	if (rc)
		return rc;
	(*stored)++;
	if ((rc = cp_money_settle(t, r, now)) || (rc = cp_free_count(t, r, now)))
		return rc;
	sy_money charged = cp_byok_fee_charged(r);
	if (!r->key_hash || !*r->key_hash || (!charged && !r->is_byok))
		return 0;
	struct cp_key_usage u;
	if ((rc = read_usage(t, r->key_hash, &u)))
		return rc;
	int64_t at = r->has_created_at && r->created_at > 0 ? r->created_at : now;
	if (r->is_byok)
		add_byok(&u, at, r->has_cost ? r->cost : 0,
		         r->has_byok_waived ? r->byok_waived : 0);
	u.total += charged;
	sy_period_add(SY_PERIOD_DAILY, &u.daily, &u.daily_start, at, charged);
	sy_period_add(SY_PERIOD_WEEKLY, &u.weekly, &u.weekly_start, at, charged);
	sy_period_add(SY_PERIOD_MONTHLY, &u.monthly, &u.monthly_start, at, charged);
	uint8_t row[CP_ROW_MAX];
	size_t len = cp_row_key_usage_encode(&u, row);
	return cp_store_raw_put(t, CP_T_KEY_USAGE, r->key_hash, row, len, false);
}

int cp_ledger_apply(struct cp_store *s, const struct cp_byok_fee *fee, Sy__UsageRecord *const *recs,
                    size_t n, size_t *stored, size_t *dups, size_t *invalid)
{
	*stored = *dups = *invalid = 0;
	struct cp_txn *t = cp_store_begin(s, true);
	if (!t)
		return SY_ESTORE;
	int64_t now = sy_unix_s();
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (!record_valid(recs[i])) {
			(*invalid)++;
			continue;
		}
		rc = apply_one(t, fee, recs[i], now, stored, dups);
	}
	if (rc) {
		cp_store_abort(&t);
		*stored = *dups = 0;
		return rc;
	}
	return cp_store_commit(&t);
}

int cp_ledger_key_usage(struct cp_txn *t, const char *hash, int64_t now, struct cp_key_usage *out)
{
	struct cp_key_usage u;
	int rc = read_usage(t, hash, &u);
	if (rc)
		return rc;
	out->total = u.total;
	out->daily_start = sy_period_start(SY_PERIOD_DAILY, now);
	out->weekly_start = sy_period_start(SY_PERIOD_WEEKLY, now);
	out->monthly_start = sy_period_start(SY_PERIOD_MONTHLY, now);
	out->daily = sy_period_current(SY_PERIOD_DAILY, u.daily, u.daily_start, now);
	out->weekly = sy_period_current(SY_PERIOD_WEEKLY, u.weekly, u.weekly_start, now);
	out->monthly = sy_period_current(SY_PERIOD_MONTHLY, u.monthly, u.monthly_start, now);
	out->byok[SY_PERIOD_LIFETIME] = u.byok[SY_PERIOD_LIFETIME];
	out->byok_waived[SY_PERIOD_LIFETIME] = u.byok_waived[SY_PERIOD_LIFETIME];
	for (int p = 0; p < CP_LEDGER_PERIODS - 1; p++) {
		out->byok_start[p] = sy_period_start((enum sy_period)p, now);
		out->byok[p] =
		    sy_period_current((enum sy_period)p, u.byok[p], u.byok_start[p], now);
		out->byok_waived[p] =
		    sy_period_current((enum sy_period)p, u.byok_waived[p], u.byok_start[p], now);
	}
	return 0;
}

sy_money cp_ledger_limit_usage(const struct cp_key_usage *u, const char *limit_reset,
                               bool include_byok)
{
	const sy_money *w = u->byok_waived;
	sy_money n = sy_limit_usage(limit_reset, u->total, u->daily, u->weekly, u->monthly);
	return include_byok
	           ? n + sy_limit_usage(limit_reset, w[SY_PERIOD_LIFETIME], w[SY_PERIOD_DAILY],
	                                w[SY_PERIOD_WEEKLY], w[SY_PERIOD_MONTHLY])
	           : n;
}

int cp_ledger_generation(struct cp_txn *t, const char *id, Sy__UsageRecord **out)
{
	const void *v;
	size_t len;
	int rc = cp_store_raw_get(t, CP_T_GENERATIONS, id, &v, &len);
	if (rc)
		return rc;
	*out = sy__usage_record__unpack(NULL, len, v);
	return *out ? 0 : SY_ESTORE;
}

int cp_ledger_forget_key(struct cp_txn *t, const char *hash)
{
	int rc = cp_store_raw_del(t, CP_T_KEY_USAGE, hash);
	return rc == SY_ENOTFOUND ? 0 : rc;
}
