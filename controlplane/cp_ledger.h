/* cp_ledger.h - usage intake into the store: generation records and per-key usage counters.
 *
 * Every UsageRecord is stored in the generations table under its id only if the id is absent,
 * so a resent batch never counts twice. The cost of each newly stored record is added to its
 * key's counters (total, and daily/weekly/monthly for the UTC period the record's created_at
 * falls in; weeks start on Monday) in the same write transaction, and settled against its org's
 * money and lease (cp_money_settle). A BYOK record's fee is decided before it is stored
 * (cp_byok_fee); its key's counters count what the org is charged (cp_byok_fee_charged). */
#ifndef CP_LEDGER_H
#define CP_LEDGER_H

#include "cp_store.h"
#include "sy_money.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_LEDGER_PERIODS 4 /* daily, weekly, monthly, lifetime (enum sy_period) */

/* A key's usage, in money units. The period values belong to the period starting at *_start
 * (unix seconds, UTC). */
struct cp_key_usage {
	sy_money total;
	sy_money daily;
	int64_t daily_start;
	sy_money weekly;
	int64_t weekly_start;
	sy_money monthly;
	int64_t monthly_start;
	/* BYOK generations (cp_byok_fee), per enum sy_period (lifetime = all time): their provider
	 * price (byok_usage) and the part of it the org was not charged */
	sy_money byok[CP_LEDGER_PERIODS];
	sy_money byok_waived[CP_LEDGER_PERIODS];
	int64_t byok_start[CP_LEDGER_PERIODS - 1]; /* daily, weekly, monthly */
};

/* Longest generation id accepted (the key of the generations table). */
#define CP_GEN_ID_MAX 128

struct cp_byok_fee;
/* Apply a batch in one write transaction: store each new valid record and count its cost
 * (BYOK records: their fee under fee, NULL = the defaults; the records get byok_waived).
 * *stored counts records newly stored, *dups already-present ids, *invalid records refused
 * (bad id or negative cost). 0 or a negative code (nothing applied). */
int cp_ledger_apply(struct cp_store *s, const struct cp_byok_fee *fee, Sy__UsageRecord *const *recs,
                    size_t n, size_t *stored, size_t *dups, size_t *invalid);
/* A key's usage as of now: period values of past periods read as 0. Absent key: all 0. */
int cp_ledger_key_usage(struct cp_txn *t, const char *hash, int64_t now, struct cp_key_usage *out);
/* Usage counted against the key's limit in the current period (limit_reset NULL = total):
 * what the org was charged, plus with include_byok the rest of its BYOK generations'
 * provider price (so all of it counts). u as from cp_ledger_key_usage. */
sy_money cp_ledger_limit_usage(const struct cp_key_usage *u, const char *limit_reset,
                               bool include_byok);
/* Fetch a stored generation into *out (free with sy__usage_record__free_unpacked).
 * 0, SY_ENOTFOUND or SY_ESTORE. */
int cp_ledger_generation(struct cp_txn *t, const char *id, Sy__UsageRecord **out);
/* Forget a key's counters (when the key is deleted). */
int cp_ledger_forget_key(struct cp_txn *t, const char *hash);

#endif
