/* cp_byok_fee.h - the BYOK fee: what an org pays for a generation served with its own
 * provider credential.
 *
 * Such a generation keeps its cost at the provider's price (what the provider bills the org),
 * but the org is charged only a fee: bp basis points of that cost (500 = 5 %, OpenRouter's),
 * rounded up to the next money unit, after free_per_month free BYOK requests per org and UTC
 * calendar month. The controlplane decides it once, when it stores the record (cp_ledger), and
 * writes the part of the cost not charged into the record's byok_waived; everything that
 * counts money (settlement, key usage, the audit, activity) then uses cp_byok_fee_charged.
 * The requests are counted per org in CP_T_BYOK_USE (the current month only): a record of an
 * earlier month arriving after the count moved on (a spool replayed across the month's end)
 * pays the fee. */
#ifndef CP_BYOK_FEE_H
#define CP_BYOK_FEE_H

#include "cp_store.h"
#include "sy_money.h"
#include "switchyard.pb-c.h"

#include <stdint.h>

#define CP_BYOK_FEE_BP 500             /* 5 % */
#define CP_BYOK_FEE_BP_MAX 10000       /* 100 %: the fee never exceeds the cost */
#define CP_BYOK_FREE_PER_MONTH 1000000 /* free BYOK requests per org and month */

struct cp_byok_fee {
	uint32_t bp;             /* fee in basis points of the cost, at most CP_BYOK_FEE_BP_MAX */
	uint32_t free_per_month; /* free BYOK requests per org and UTC calendar month */
};

/* The defaults above. */
extern const struct cp_byok_fee cp_byok_fee_default;

/* bp basis points of cost, rounded up to a whole money unit (exact, no overflow). */
sy_money cp_byok_fee_of(sy_money cost, uint32_t bp);
/* What the org is charged for r: its cost minus byok_waived. */
sy_money cp_byok_fee_charged(const Sy__UsageRecord *r);
/* For a BYOK record about to be stored for the first time: count it against its org's month
 * and set r->byok_waived (cost for a free request, else cost - fee). Other records are left
 * alone. cfg NULL = cp_byok_fee_default. 0 or SY_ESTORE. */
int cp_byok_fee_apply(struct cp_txn *t, const struct cp_byok_fee *cfg, Sy__UsageRecord *r,
                      int64_t now);
/* The BYOK requests counted for org in the month starting at month_start (0 if another month
 * is counted). 0 or SY_ESTORE. */
int cp_byok_fee_count(struct cp_txn *t, const char *org, int64_t month_start, uint32_t *count);

#endif
