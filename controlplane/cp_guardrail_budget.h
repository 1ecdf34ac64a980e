/* cp_guardrail_budget.h - guardrails' spending limits, enforced through the key's leases.
 *
 * A guardrail with a `limit` and a `reset_interval` (daily, weekly or monthly, from 00:00 UTC;
 * weeks from Monday) gives every key it applies to — its own key_hashes and every key of its
 * org_ids — a limit of its own, like OpenRouter's guardrail budgets (per key, not shared).
 * A key's room under a guardrail is limit - the key's usage in that period (what its org was
 * charged, cp_ledger) - the key's pending money; a lease (cp_money_lease) is granted at most
 * the least room of the key's guardrails, and refused (CP_REFUSE_GUARDRAIL) when that is
 * below the request's need. Since every worker's lease comes out of the same key pending, the
 * limit holds across workers exactly as a key limit does. */
#ifndef CP_GUARDRAIL_BUDGET_H
#define CP_GUARDRAIL_BUDGET_H

#include "cp_ledger.h"
#include "cp_store.h"
#include "sy_cost.h"
#include "sy_money.h"

#include <stdbool.h>

/* The least room of the guardrails with a limit that apply to key k (of org org_id) at
 * now, given its usage u and pending money pend: *room (INT64_MAX when none applies), and
 * *period the reset interval of the guardrail giving it. 0 or SY_ESTORE. */
int cp_guardrail_budget_room(struct cp_txn *t, const Sy__ApiKey *k, const struct cp_key_usage *u,
                             sy_money pend, sy_money *room, enum sy_period *period);

#endif
