/* cp_money.h - the ledger of record: org credits and debits, budgets, leases and settlement.
 *
 * Per org (CP_T_ORG_MONEY): credits (the sum of its append-only credit ledger, CP_T_CREDITS),
 * debits_posted (settled generation costs), debits_pending (held by live leases), the posted
 * spend of the current day, week and month, and its budgets. The org's balance is
 * credits - posted - pending: what it may still spend.
 *
 * Leases: a worker asks for a slice of an (org, key)'s remaining allowance; the grant moves
 * into the org's and the key's pending debits in the same write transaction, so no two
 * workers can ever be handed the same money. Settling a generation moves its cost from the
 * lease (pending) to posted. What a worker returns, and what an expired lease still holds,
 * leaves pending again.
 *
 * Every function taking a cp_txn works inside the caller's write transaction (read-only ones
 * excepted): nothing is committed here, so a caller's failure changes nothing. Writes to an
 * org's money or a key's usage record the row in CP_T_DIRTY; cp_money_publish copies them onto
 * the Org and ApiKey entities the workers receive. */
#ifndef CP_MONEY_H
#define CP_MONEY_H

#include "cp_store.h"
#include "sy_cost.h"
#include "sy_money.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The spend periods counted per org besides lifetime (= debits_posted): daily, weekly and
 * monthly, indexed by enum sy_period. */
#define CP_SPEND_PERIODS 3
#define CP_BUDGET_PERIODS 4 /* daily, weekly, monthly, lifetime */
/* Longest lease id accepted from a worker. */
#define CP_LEASE_ID_MAX 64
/* Longest note on a credit ledger entry. */
#define CP_NOTE_MAX 256

/* An org's money, stored as a LedgerOrgMoney message (cp_row.h). */
struct cp_org_money {
	sy_money credits;   /* sum of the credit ledger (top-ups minus refunds) */
	sy_money purchased; /* sum of its positive entries (the free-model daily limit) */
	sy_money posted;    /* settled generation costs */
	sy_money pending;   /* held by live leases */
	sy_money overspend; /* settled beyond what the request's lease still held: measured */
	sy_money spend[CP_SPEND_PERIODS];      /* posted in the period starting at spend_start */
	int64_t spend_start[CP_SPEND_PERIODS]; /* unix seconds, UTC */
	sy_money budget[CP_BUDGET_PERIODS];    /* limit per enum sy_period, when has_budget */
	uint8_t has_budget[CP_BUDGET_PERIODS];
	uint64_t ledger_seq; /* entries in its credit ledger */
};

/* A lease, keyed by the worker's lease id. */
struct cp_lease {
	char org_id[65];
	char key_hash[65];
	sy_money amount;    /* still held in pending */
	int64_t expires_ms; /* unix milliseconds */
	uint8_t closed;     /* the worker gave it up; what is left awaits usage records */
};

/* The outcome of a lease request (numbered as proto enum LeaseRefusal). */
enum cp_refusal {
	CP_GRANTED,
	CP_REFUSE_BUDGET,          /* an org budget (the broadest exceeded period is named) */
	CP_REFUSE_BALANCE,         /* a prepaid org's balance */
	CP_REFUSE_KEY_LIMIT,       /* the key's limit in its reset period */
	CP_REFUSE_UNKNOWN_KEY,     /* no such key in that org, or the key is disabled */
	CP_REFUSE_EXPIRED,         /* renewal of a lease that no longer exists */
	CP_REFUSE_GUARDRAIL = 110, /* a guardrail's limit for the key (cp_guardrail_budget) */
};

/* The wire name of a refusal ("budget", "balance", ...; "" for CP_GRANTED). */
const char *cp_refusal_name(enum cp_refusal r);

/* An org's money; an org that never had any reads as zeros. 0 or SY_ESTORE. */
int cp_money_read(struct cp_txn *t, const char *org, struct cp_org_money *out);
/* Mark an org's balance snapshot for publishing. 0 or SY_ESTORE. */
int cp_money_mark_org(struct cp_txn *t, const char *org);
/* Store an org's money and mark its balance for publishing. 0 or SY_ESTORE. */
int cp_money_write(struct cp_txn *t, const char *org, const struct cp_org_money *m);
/* What a key's live leases hold. */
int cp_money_key_pending(struct cp_txn *t, const char *hash, sy_money *out);
/* A lease by id: 0, SY_ENOTFOUND or SY_ESTORE. */
int cp_money_lease_get(struct cp_txn *t, const char *id, struct cp_lease *out);

/* Spend counted against a budget period now (lifetime: everything posted). */
sy_money cp_money_spent(const struct cp_org_money *m, enum sy_period p, int64_t now);
/* Room for more pending money, pure arithmetic: the least of the prepaid balance, the key's
 * room (key_room, when key_limited) and every budget's limit - spent - pending. When it is
 * below need the refusal is returned (budgets first, broadest period first, then the
 * balance, then the key limit) and *period names the budget. *room is INT64_MAX when
 * nothing bounds it (postpaid, no budget, no key limit). */
enum cp_refusal cp_money_room(const struct cp_org_money *m, bool postpaid, bool key_limited,
                              sy_money key_room, int64_t now, sy_money need, sy_money *room,
                              enum sy_period *period);

/* A lease grant or refusal. */
struct cp_grant {
	enum cp_refusal refusal;
	enum sy_period period; /* CP_REFUSE_BUDGET */
	sy_money granted;
};
/* Serve a LeaseRequest at now_ms: renew (want 0) or grant min(want, room) if room >= need,
 * extending the lease to now_ms + ttl_ms. A refusal writes nothing. 0, SY_EINVAL (malformed
 * request) or SY_ESTORE. */
int cp_money_lease(struct cp_txn *t, const Sy__LeaseRequest *rq, int64_t now_ms, uint32_t ttl_ms,
                   struct cp_grant *g);
/* Apply a LeaseReturn: the returned amount (at most what the lease holds) leaves pending;
 * close marks it given up, deleting it once nothing is left on it. Unknown leases are
 * ignored. 0, SY_EINVAL or SY_ESTORE. */
int cp_money_return(struct cp_txn *t, const Sy__LeaseReturn *r);
/* Settle a generation record that was just stored: its cost leaves its lease (as much as is
 * left) and pending, what the org is charged for it (cp_byok_fee_charged: the cost, or a BYOK
 * generation's fee) goes to posted, into the spend periods of its created_at (now when
 * absent), and the activity index. 0 or SY_ESTORE. */
int cp_money_settle(struct cp_txn *t, const Sy__UsageRecord *r, int64_t now);
/* Release every lease whose expiry passed (its amount leaves pending), in one write
 * transaction. *released counts them. 0 or SY_ESTORE. */
int cp_money_expire(struct cp_store *s, int64_t now_ms, size_t *released);
/* Push every lease's expiry to at least until_ms: after a controlplane start, workers get
 * one TTL to renew what they could not renew while it was down. */
int cp_money_grace(struct cp_store *s, int64_t until_ms);

/* Append a credit ledger entry (amount > 0 top-up, < 0 refund) and update the credits. A
 * refund larger than the balance is SY_ECONFLICT. *out (may be NULL) receives the entry
 * (free with sy__ledger_entry__free_unpacked). 0, SY_EINVAL, SY_ECONFLICT or SY_ESTORE. */
int cp_money_credit(struct cp_txn *t, const char *org, sy_money amount, const char *note,
                    int64_t now, Sy__LedgerEntry **out);

/* Which dataplane holds what. A dataplane is named by its CURVE public key (the ZAP User-Id
 * of its connection; "" without CURVE). A lease belongs to the dataplane that first asked for
 * it; a dataplane holds a key once it was granted a lease for it, and keeps holding it (its
 * usage records may arrive after the lease expired, or after a restart). */

/* Record, inside the transaction granting rq, that peer holds rq's lease and key. */
int cp_money_hold(struct cp_txn *t, const char *peer, const Sy__LeaseRequest *rq);
/* True unless lease_id names a live lease that another dataplane holds. */
bool cp_money_lease_held(struct cp_txn *t, const char *peer, const char *lease_id);
/* True if peer may settle r: a record without cost always; one with a cost only for a key
 * that peer holds in the record's org, and only on a lease of its own (or one gone). */
bool cp_money_may_settle(struct cp_txn *t, const char *peer, const Sy__UsageRecord *r);

/* Copy an org's money onto its Org entity now (within t), so workers see it at once. */
int cp_money_publish_org(struct cp_txn *t, const char *org);
/* Publish up to max marked balances (orgs and keys) in one write transaction. *left is true
 * when more are waiting. 0 or SY_ESTORE. */
int cp_money_publish(struct cp_store *s, int64_t now, size_t max, bool *left);

#endif
