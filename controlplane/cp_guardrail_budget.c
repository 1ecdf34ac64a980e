/* cp_guardrail_budget.c - the least room a key has under its guardrails' limits. */
#include "cp_guardrail_budget.h"

#include <stdint.h>
#include <string.h>

struct scan {
	const Sy__ApiKey *k;
	const struct cp_key_usage *u;
	sy_money pend;
	sy_money room;
	enum sy_period period;
};

static bool listed(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static int one(const ProtobufCMessage *msg, void *arg)
{
	const Sy__Guardrail *g = (const Sy__Guardrail *)msg;
	struct scan *s = arg;
	enum sy_period p;
	if (!g->has_limit || !g->reset_interval || sy_period_parse(g->reset_interval, &p) ||
	    p == SY_PERIOD_LIFETIME ||
	    (!listed(g->key_hashes, g->n_key_hashes, s->k->hash) &&
	     !listed(g->org_ids, g->n_org_ids, s->k->org_id)))
		return 0;
	sy_money room = g->limit - cp_ledger_limit_usage(s->u, g->reset_interval, false) - s->pend;
	if (room < s->room) {
		s->room = room;
		s->period = p;
	}
	return 0;
}

int cp_guardrail_budget_room(struct cp_txn *t, const Sy__ApiKey *k, const struct cp_key_usage *u,
                             sy_money pend, sy_money *room, enum sy_period *period)
{
	struct scan s = {k, u, pend, INT64_MAX, SY_PERIOD_DAILY};
	int rc = cp_store_each(t, CP_GUARDRAIL, one, &s);
	*room = s.room < 0 ? 0 : s.room;
	*period = s.period;
	return rc;
}
