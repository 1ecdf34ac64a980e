/* cp_money.c - org credits and debits, leases, settlement and balance publishing. */
#include "cp_money.h"
#include "cp_byok_fee.h"
#include "cp_free.h"
#include "cp_guardrail_budget.h"
#include "cp_ledger.h"
#include "cp_row.h"
#include "cp_validate.h"
#include "sy_array.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_refusal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIRTY_ORG "org/"
#define DIRTY_KEY "key/"

/* cp_refusal is LeaseRefusal's numbering (the grant carries it as it is). */
_Static_assert((int)CP_REFUSE_BUDGET == (int)SY__LEASE_REFUSAL__LEASE_REFUSAL_BUDGET &&
                   (int)CP_REFUSE_BALANCE == (int)SY__LEASE_REFUSAL__LEASE_REFUSAL_BALANCE &&
                   (int)CP_REFUSE_KEY_LIMIT == (int)SY__LEASE_REFUSAL__LEASE_REFUSAL_KEY_LIMIT &&
                   (int)CP_REFUSE_UNKNOWN_KEY ==
                       (int)SY__LEASE_REFUSAL__LEASE_REFUSAL_UNKNOWN_KEY &&
                   (int)CP_REFUSE_EXPIRED == (int)SY__LEASE_REFUSAL__LEASE_REFUSAL_EXPIRED &&
                   (int)CP_REFUSE_GUARDRAIL == (int)SY__LEASE_REFUSAL__LEASE_REFUSAL_GUARDRAIL,
               "enum cp_refusal follows LeaseRefusal");

const char *cp_refusal_name(enum cp_refusal r)
{
	return sy_refusal_name((Sy__LeaseRefusal)r);
}

/* ---- rows ------------------------------------------------------------------------------ */

static int mark_dirty(struct cp_txn *t, const char *prefix, const char *id)
{
	char k[8 + 128];
	snprintf(k, sizeof(k), "%s%s", prefix, id);
	return cp_store_raw_put(t, CP_T_DIRTY, k, "", 0, false);
}

int cp_money_read(struct cp_txn *t, const char *org, struct cp_org_money *out)
{
	const void *v;
	size_t len;
	int rc = cp_store_raw_get(t, CP_T_ORG_MONEY, org, &v, &len);
	if (rc == SY_ENOTFOUND) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return rc ? rc : cp_row_org_money_decode(v, len, out);
}

int cp_money_mark_org(struct cp_txn *t, const char *org)
{
	return mark_dirty(t, DIRTY_ORG, org);
}

int cp_money_write(struct cp_txn *t, const char *org, const struct cp_org_money *m)
{
	uint8_t buf[CP_ROW_MAX];
	size_t len = cp_row_org_money_encode(m, buf);
	int rc = cp_store_raw_put(t, CP_T_ORG_MONEY, org, buf, len, false);
	return rc ? rc : mark_dirty(t, DIRTY_ORG, org);
}

/* The pending money of a key: one sy_money, host-endian (absent reads as 0). */
int cp_money_key_pending(struct cp_txn *t, const char *hash, sy_money *out)
{
	const void *v;
	size_t len;
	*out = 0;
	int rc = cp_store_raw_get(t, CP_T_KEY_PENDING, hash, &v, &len);
	if (rc)
		return rc == SY_ENOTFOUND ? 0 : rc;
	if (len != sizeof(*out)) {
		sy_err("money: a %zu-byte pending row", len);
		return SY_ESTORE;
	}
	memcpy(out, v, sizeof(*out));
	return 0;
}

static int add_key_pending(struct cp_txn *t, const char *hash, sy_money delta)
{
	sy_money p;
	int rc = cp_money_key_pending(t, hash, &p);
	if (rc)
		return rc;
	p += delta;
	if (p <= 0)
		return (rc = cp_store_raw_del(t, CP_T_KEY_PENDING, hash)) == SY_ENOTFOUND ? 0 : rc;
	return cp_store_raw_put(t, CP_T_KEY_PENDING, hash, &p, sizeof(p), false);
}

int cp_money_lease_get(struct cp_txn *t, const char *id, struct cp_lease *out)
{
	const void *v;
	size_t len;
	int rc = cp_store_raw_get(t, CP_T_LEASES, id, &v, &len);
	return rc ? rc : cp_row_lease_decode(v, len, out);
}

/* Delete a lease and the record of who holds it. */
static int lease_del(struct cp_txn *t, const char *id)
{
	char hk[8 + CP_LEASE_ID_MAX + 1];
	int rc = cp_store_raw_del(t, CP_T_LEASES, id);
	snprintf(hk, sizeof(hk), "lease/%s", id);
	if (rc == 0 || rc == SY_ENOTFOUND)
		rc = cp_store_raw_del(t, CP_T_HOLDERS, hk);
	return rc == SY_ENOTFOUND ? 0 : rc;
}

static int lease_put(struct cp_txn *t, const char *id, const struct cp_lease *l)
{
	uint8_t buf[CP_ROW_MAX];
	if (l->amount <= 0 && l->closed)
		return lease_del(t, id);
	size_t len = cp_row_lease_encode(l, buf);
	return cp_store_raw_put(t, CP_T_LEASES, id, buf, len, false);
}

/* Move amount (<= l->amount) out of lease l and the pending debits of its org and key. */
static int release(struct cp_txn *t, struct cp_lease *l, sy_money amount)
{
	struct cp_org_money m;
	if (amount <= 0)
		return 0;
	int rc = cp_money_read(t, l->org_id, &m);
	if (rc)
		return rc;
	m.pending -= amount;
	if (m.pending < 0) {
		sy_err("money: org %s pending would go negative; clamped", l->org_id);
		m.pending = 0;
	}
	l->amount -= amount;
	if ((rc = cp_money_write(t, l->org_id, &m)))
		return rc;
	return add_key_pending(t, l->key_hash, -amount);
}

/* ---- room ------------------------------------------------------------------------------ */

sy_money cp_money_spent(const struct cp_org_money *m, enum sy_period p, int64_t now)
{
	if (p == SY_PERIOD_LIFETIME)
		return m->posted;
	return sy_period_current(p, m->spend[p], m->spend_start[p], now);
}

static sy_money min_money(sy_money a, sy_money b)
{
	return a < b ? a : b;
}

enum cp_refusal cp_money_room(const struct cp_org_money *m, bool postpaid, bool key_limited,
                              sy_money key_room, int64_t now, sy_money need, sy_money *room,
                              enum sy_period *period)
{
	static const enum sy_period broadest_first[] = {SY_PERIOD_LIFETIME, SY_PERIOD_MONTHLY,
	                                                SY_PERIOD_WEEKLY, SY_PERIOD_DAILY};
	sy_money r = INT64_MAX;
	enum cp_refusal refusal = CP_GRANTED;
	for (size_t i = 0; i < sizeof(broadest_first) / sizeof(broadest_first[0]); i++) {
		enum sy_period p = broadest_first[i];
		if (!m->has_budget[p])
			continue;
		sy_money left = m->budget[p] - cp_money_spent(m, p, now) - m->pending;
		if (left < need && refusal == CP_GRANTED) {
			refusal = CP_REFUSE_BUDGET;
			*period = p;
		}
		r = min_money(r, left);
	}
	if (!postpaid) {
		sy_money bal = m->credits - m->posted - m->pending;
		if (bal < need && refusal == CP_GRANTED)
			refusal = CP_REFUSE_BALANCE;
		r = min_money(r, bal);
	}
	if (key_limited) {
		if (key_room < need && refusal == CP_GRANTED)
			refusal = CP_REFUSE_KEY_LIMIT;
		r = min_money(r, key_room);
	}
	*room = r < 0 ? 0 : r;
	return refusal;
}

/* ---- leases ---------------------------------------------------------------------------- */

static bool lease_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (!n || n > CP_LEASE_ID_MAX)
		return false;
	for (; *id; id++)
		if ((unsigned char)*id <= 0x20 || *id == 0x7f || *id == '/')
			return false;
	return true;
}

/* The key's room under its limit (limit - usage in its reset period - pending; 0 without a
 * limit) and under its guardrails' limits (cp_guardrail_budget). */
static int key_room(struct cp_txn *t, const Sy__ApiKey *k, int64_t now, sy_money *room,
                    sy_money *groom, enum sy_period *gperiod)
{
	struct cp_key_usage u;
	sy_money pend;
	int rc = cp_ledger_key_usage(t, k->hash, now, &u);
	if (!rc)
		rc = cp_money_key_pending(t, k->hash, &pend);
	if (rc)
		return rc;
	*room = k->has_limit
	            ? k->limit -
	                  cp_ledger_limit_usage(&u, k->limit_reset, k->include_byok_in_limit) - pend
	            : 0;
	return cp_guardrail_budget_room(t, k, &u, pend, groom, gperiod);
}

int cp_money_lease(struct cp_txn *t, const Sy__LeaseRequest *rq, int64_t now_ms, uint32_t ttl_ms,
                   struct cp_grant *g)
{
	*g = (struct cp_grant){CP_GRANTED, SY_PERIOD_DAILY, 0};
	sy_money want = rq->has_want ? rq->want : 0, need = rq->has_need ? rq->need : 0;
	if (!lease_id_ok(rq->lease_id) || !cp_valid_org_id(rq->org_id) ||
	    !sy_is_hash_hex(rq->key_hash) || want < 0 || need < 0)
		return SY_EINVAL;
	if (need > want)
		want = need;
	struct cp_lease l;
	int rc = cp_money_lease_get(t, rq->lease_id, &l);
	if (rc && rc != SY_ENOTFOUND)
		return rc;
	bool exists = rc == 0;
	rc = 0;
	if (exists && (strcmp(l.org_id, rq->org_id) || strcmp(l.key_hash, rq->key_hash))) {
		g->refusal = CP_REFUSE_UNKNOWN_KEY;
		return 0;
	}
	if (!exists && want == 0) {
		g->refusal = CP_REFUSE_EXPIRED;
		return 0;
	}
	ProtobufCMessage *km = NULL, *om = NULL;
	if (cp_store_get(t, CP_KEY, rq->key_hash, &km) ||
	    strcmp(((Sy__ApiKey *)km)->org_id, rq->org_id) || ((Sy__ApiKey *)km)->disabled ||
	    cp_store_get(t, CP_ORG, rq->org_id, &om)) {
		g->refusal = CP_REFUSE_UNKNOWN_KEY;
		goto out;
	}
	const Sy__ApiKey *k = (const Sy__ApiKey *)km;
	const Sy__Org *o = (const Sy__Org *)om;
	int64_t now = now_ms / 1000;
	if (want > 0) {
		struct cp_org_money m;
		sy_money kroom, room, groom;
		enum sy_period gperiod;
		if ((rc = cp_money_read(t, rq->org_id, &m)) ||
		    (rc = key_room(t, k, now, &kroom, &groom, &gperiod)))
			goto out;
		g->refusal = cp_money_room(&m, o->postpaid, k->has_limit, kroom, now, need, &room,
		                           &g->period);
		if (g->refusal == CP_GRANTED && groom < need) {
			g->refusal = CP_REFUSE_GUARDRAIL;
			g->period = gperiod;
		}
		if (g->refusal != CP_GRANTED)
			goto out;
		g->granted = min_money(want, min_money(room, groom));
		m.pending += g->granted;
		if ((rc = cp_money_write(t, rq->org_id, &m)) ||
		    (rc = add_key_pending(t, rq->key_hash, g->granted)))
			goto out;
	}
	if (!exists) {
		memset(&l, 0, sizeof(l));
		snprintf(l.org_id, sizeof(l.org_id), "%s", rq->org_id);
		snprintf(l.key_hash, sizeof(l.key_hash), "%s", rq->key_hash);
	}
	l.amount += g->granted;
	l.expires_ms = now_ms + ttl_ms;
	l.closed = 0;
	rc = lease_put(t, rq->lease_id, &l);
out:
	cp_entity_free(&km);
	cp_entity_free(&om);
	return rc;
}

int cp_money_return(struct cp_txn *t, const Sy__LeaseReturn *r)
{
	struct cp_lease l;
	sy_money amount = r->has_amount ? r->amount : 0;
	if (!lease_id_ok(r->lease_id) || amount < 0)
		return SY_EINVAL;
	int rc = cp_money_lease_get(t, r->lease_id, &l);
	if (rc)
		return rc == SY_ENOTFOUND ? 0 : rc;
	if ((rc = release(t, &l, min_money(amount, l.amount))))
		return rc;
	if (r->has_close && r->close)
		l.closed = 1;
	return lease_put(t, r->lease_id, &l);
}

/* ---- holders ---------------------------------------------------------------------------- */

static int holder_key(char *buf, size_t n, const char *hash, const char *peer)
{
	return (size_t)snprintf(buf, n, "key/%s/%s", hash, peer) < n ? 0 : SY_EINVAL;
}

int cp_money_hold(struct cp_txn *t, const char *peer, const Sy__LeaseRequest *rq)
{
	char k[128];
	int rc = holder_key(k, sizeof(k), rq->key_hash, peer);
	if (rc ||
	    (rc = cp_store_raw_put(t, CP_T_HOLDERS, k, rq->org_id, strlen(rq->org_id), false)))
		return rc;
	snprintf(k, sizeof(k), "lease/%s", rq->lease_id);
	return cp_store_raw_put(t, CP_T_HOLDERS, k, peer, strlen(peer), false);
}

bool cp_money_lease_held(struct cp_txn *t, const char *peer, const char *lease_id)
{
	char k[8 + CP_LEASE_ID_MAX + 1];
	const void *v;
	size_t len;
	if (!lease_id || !lease_id_ok(lease_id) ||
	    cp_store_raw_get(t, CP_T_LEASES, lease_id, &v, &len))
		return true; /* no live lease by that id: nobody else holds it */
	snprintf(k, sizeof(k), "lease/%s", lease_id);
	if (cp_store_raw_get(t, CP_T_HOLDERS, k, &v, &len))
		len = 0, v = ""; /* a lease from before holders were recorded: no one's */
	return len == strlen(peer) && !memcmp(v, peer, len);
}

bool cp_money_may_settle(struct cp_txn *t, const char *peer, const Sy__UsageRecord *r)
{
	char k[128];
	const void *v;
	size_t len;
	if (!r->has_cost || r->cost <= 0)
		return true; /* moves no money: anything an authenticated dataplane served */
	if (!r->key_hash || !sy_is_hash_hex(r->key_hash) || !r->org_id ||
	    holder_key(k, sizeof(k), r->key_hash, peer) ||
	    cp_store_raw_get(t, CP_T_HOLDERS, k, &v, &len))
		return false;
	return len == strlen(r->org_id) && !memcmp(v, r->org_id, len) &&
	       cp_money_lease_held(t, peer, r->lease_id);
}

/* ---- settlement ------------------------------------------------------------------------ */

int cp_money_settle(struct cp_txn *t, const Sy__UsageRecord *r, int64_t now)
{
	const char *org = r->org_id;
	if (!org || !*org || strlen(org) > 64 || strchr(org, '/'))
		return 0;
	int64_t at = r->has_created_at && r->created_at > 0 ? r->created_at : now;
	char idx[64 + 16 + CP_GEN_ID_MAX + 4];
	snprintf(idx, sizeof(idx), "%s/%012lld/%s", org, (long long)(at > 0 ? at : 0), r->id);
	int rc = cp_store_raw_put(t, CP_T_GEN_BY_ORG, idx, "", 0, false);
	sy_money cost = r->has_cost ? r->cost : 0;
	if (rc || cost <= 0)
		return rc;
	/* the worker took the whole cost from its lease (a BYOK request's too: its reservation
	 * bounds the fee); the org is charged cost - byok_waived, the rest leaves pending */
	struct cp_lease l;
	sy_money covered = 0, charged = cp_byok_fee_charged(r);
	bool leased = r->lease_id && lease_id_ok(r->lease_id) &&
	              cp_money_lease_get(t, r->lease_id, &l) == 0 && !strcmp(l.org_id, org);
	if (leased) {
		covered = min_money(cost, l.amount);
		if ((rc = release(t, &l, covered)) || (rc = lease_put(t, r->lease_id, &l)))
			return rc;
	}
	struct cp_org_money m;
	if ((rc = cp_money_read(t, org, &m)))
		return rc;
	m.posted += charged;
	for (int p = 0; p < CP_SPEND_PERIODS; p++)
		sy_period_add((enum sy_period)p, &m.spend[p], &m.spend_start[p], at, charged);
	if (charged > covered) {
		m.overspend += charged - covered;
		sy_warn("money: generation %s of org %s settled %lld units beyond its lease%s",
		        r->id, org, (long long)(charged - covered), leased ? "" : " (none left)");
	}
	if ((rc = cp_money_write(t, org, &m)))
		return rc;
	if (r->key_hash && sy_is_hash_hex(r->key_hash))
		rc = mark_dirty(t, DIRTY_KEY, r->key_hash);
	return rc;
}

/* ---- expiry ---------------------------------------------------------------------------- */

struct ids {
	char (*v)[CP_LEASE_ID_MAX + 1];
	size_t n, cap;
	int64_t now_ms;
};

static int ids_push(struct ids *ids, const char *key, size_t keylen)
{
	if (keylen > CP_LEASE_ID_MAX)
		return 0;
	void *v = sy_array_grow(ids->v, ids->n, &ids->cap, sizeof(*ids->v), 16);
	if (!v)
		return -ENOMEM;
	ids->v = v;
	memcpy(ids->v[ids->n], key, keylen);
	ids->v[ids->n++][keylen] = '\0';
	return 0;
}

static int collect_expired(const char *key, size_t keylen, const void *val, size_t len, void *arg)
{
	struct ids *ids = arg;
	struct cp_lease l;
	if (cp_row_lease_decode(val, len, &l))
		return 0; /* logged; cp_audit reports it */
	return l.expires_ms <= ids->now_ms ? ids_push(ids, key, keylen) : 0;
}

int cp_money_expire(struct cp_store *s, int64_t now_ms, size_t *released)
{
	struct ids ids = {.now_ms = now_ms};
	*released = 0;
	struct cp_txn *t = cp_store_begin(s, false);
	int rc = t ? cp_store_raw_each(t, CP_T_LEASES, "", collect_expired, &ids) : SY_ESTORE;
	cp_store_abort(&t);
	if (rc || !ids.n)
		goto out;
	if (!(t = cp_store_begin(s, true))) {
		rc = SY_ESTORE;
		goto out;
	}
	for (size_t i = 0; i < ids.n && !rc; i++) {
		struct cp_lease l;
		if (cp_money_lease_get(t, ids.v[i], &l) || l.expires_ms > now_ms)
			continue;
		sy_info("money: lease %s of org %s expired: releasing %lld units", ids.v[i],
		        l.org_id, (long long)l.amount);
		if (!(rc = release(t, &l, l.amount)))
			rc = lease_del(t, ids.v[i]);
		(*released)++;
	}
	if (rc)
		cp_store_abort(&t);
	else
		rc = cp_store_commit(&t);
out:
	free(ids.v);
	return rc;
}

static int collect_all(const char *key, size_t keylen, const void *val, size_t len, void *arg)
{
	return ids_push(arg, key, keylen);
}

int cp_money_grace(struct cp_store *s, int64_t until_ms)
{
	struct ids ids = {0};
	struct cp_txn *t = cp_store_begin(s, true);
	int rc = t ? cp_store_raw_each(t, CP_T_LEASES, "", collect_all, &ids) : SY_ESTORE;
	for (size_t i = 0; i < ids.n && !rc; i++) {
		struct cp_lease l;
		if ((rc = cp_money_lease_get(t, ids.v[i], &l)))
			break;
		if (l.expires_ms < until_ms) {
			l.expires_ms = until_ms;
			rc = lease_put(t, ids.v[i], &l);
		}
	}
	if (rc || !ids.n)
		cp_store_abort(&t);
	else
		rc = cp_store_commit(&t);
	free(ids.v);
	return rc;
}

/* ---- credits --------------------------------------------------------------------------- */

int cp_money_credit(struct cp_txn *t, const char *org, sy_money amount, const char *note,
                    int64_t now, Sy__LedgerEntry **out)
{
	struct cp_org_money m;
	if (!amount || (note && strlen(note) > CP_NOTE_MAX))
		return SY_EINVAL;
	int rc = cp_money_read(t, org, &m);
	if (rc)
		return rc;
	if (amount < 0 && -amount > m.credits - m.posted - m.pending)
		return SY_ECONFLICT;
	m.credits += amount;
	if (amount > 0)
		m.purchased += amount;
	Sy__LedgerEntry e = SY__LEDGER_ENTRY__INIT;
	e.seq = ++m.ledger_seq;
	e.org_id = (char *)org;
	e.amount = amount;
	e.note = (char *)note;
	e.created_at = now;
	e.has_created_at = true;
	e.credits_after = m.credits;
	e.has_credits_after = true;
	size_t n = sy__ledger_entry__get_packed_size(&e);
	uint8_t *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	sy__ledger_entry__pack(&e, buf);
	char k[64 + 24];
	snprintf(k, sizeof(k), "%s/%020llu", org, (unsigned long long)e.seq);
	rc = cp_store_raw_put(t, CP_T_CREDITS, k, buf, n, true);
	if (!rc)
		rc = cp_money_write(t, org, &m);
	if (!rc && out && !(*out = sy__ledger_entry__unpack(NULL, n, buf)))
		rc = -ENOMEM;
	free(buf);
	return rc;
}

/* ---- publishing ------------------------------------------------------------------------ */

/* Set an int64 snapshot field; true if it changed. */
static bool set_field(protobuf_c_boolean *has, int64_t *field, int64_t v)
{
	bool changed = !*has || *field != v;
	*has = true;
	*field = v;
	return changed;
}

int cp_money_publish_org(struct cp_txn *t, const char *org)
{
	struct cp_org_money m;
	ProtobufCMessage *msg = NULL;
	int rc = cp_money_read(t, org, &m);
	if (rc)
		return rc;
	if ((rc = cp_store_get(t, CP_ORG, org, &msg)))
		return rc == SY_ENOTFOUND ? 0 : rc;
	Sy__Org *o = (Sy__Org *)msg;
	bool changed = set_field(&o->has_credits, &o->credits, m.credits);
	changed |= set_field(&o->has_debits_posted, &o->debits_posted, m.posted);
	changed |= set_field(&o->has_debits_pending, &o->debits_pending, m.pending);
	changed |= set_field(&o->has_credits_purchased, &o->credits_purchased, m.purchased);
	changed |= cp_free_publish(t, o);
	if (changed)
		rc = cp_store_put(t, CP_ORG, msg);
	cp_entity_free(&msg);
	return rc;
}

static int publish_key(struct cp_txn *t, const char *hash, int64_t now)
{
	ProtobufCMessage *msg = NULL;
	struct cp_key_usage u;
	int rc = cp_store_get(t, CP_KEY, hash, &msg);
	if (rc)
		return rc == SY_ENOTFOUND ? 0 : rc;
	Sy__ApiKey *k = (Sy__ApiKey *)msg;
	if (!(rc = cp_ledger_key_usage(t, hash, now, &u))) {
		bool changed = set_field(&k->has_usage, &k->usage, u.total);
		changed |= set_field(&k->has_usage_daily, &k->usage_daily, u.daily);
		changed |= set_field(&k->has_usage_weekly, &k->usage_weekly, u.weekly);
		changed |= set_field(&k->has_usage_monthly, &k->usage_monthly, u.monthly);
		changed |=
		    set_field(&k->has_byok_usage, &k->byok_usage, u.byok[SY_PERIOD_LIFETIME]);
		changed |= set_field(&k->has_byok_usage_daily, &k->byok_usage_daily,
		                     u.byok[SY_PERIOD_DAILY]);
		changed |= set_field(&k->has_byok_usage_weekly, &k->byok_usage_weekly,
		                     u.byok[SY_PERIOD_WEEKLY]);
		changed |= set_field(&k->has_byok_usage_monthly, &k->byok_usage_monthly,
		                     u.byok[SY_PERIOD_MONTHLY]);
		changed |= set_field(&k->has_byok_waived, &k->byok_waived,
		                     u.byok_waived[SY_PERIOD_LIFETIME]);
		changed |= set_field(&k->has_byok_waived_daily, &k->byok_waived_daily,
		                     u.byok_waived[SY_PERIOD_DAILY]);
		changed |= set_field(&k->has_byok_waived_weekly, &k->byok_waived_weekly,
		                     u.byok_waived[SY_PERIOD_WEEKLY]);
		changed |= set_field(&k->has_byok_waived_monthly, &k->byok_waived_monthly,
		                     u.byok_waived[SY_PERIOD_MONTHLY]);
		if (changed) {
			k->usage_at = now;
			k->has_usage_at = true;
			rc = cp_store_put(t, CP_KEY, msg);
		}
	}
	cp_entity_free(&msg);
	return rc;
}

struct dirty {
	char (*v)[8 + 128];
	size_t n, max;
	bool more;
};

static int collect_dirty(const char *key, size_t keylen, const void *val, size_t len, void *arg)
{
	struct dirty *d = arg;
	if (d->n == d->max) {
		d->more = true;
		return 1;
	}
	if (keylen < sizeof(d->v[0])) {
		memcpy(d->v[d->n], key, keylen);
		d->v[d->n++][keylen] = '\0';
	}
	return 0;
}

int cp_money_publish(struct cp_store *s, int64_t now, size_t max, bool *left)
{
	struct dirty d = {.max = max};
	*left = false;
	if (!(d.v = calloc(max ? max : 1, sizeof(*d.v))))
		return -ENOMEM;
	struct cp_txn *t = cp_store_begin(s, true);
	int rc = t ? cp_store_raw_each(t, CP_T_DIRTY, "", collect_dirty, &d) : SY_ESTORE;
	if (rc == 1)
		rc = 0;
	for (size_t i = 0; i < d.n && !rc; i++) {
		const char *k = d.v[i];
		if (!strncmp(k, DIRTY_ORG, strlen(DIRTY_ORG)))
			rc = cp_money_publish_org(t, k + strlen(DIRTY_ORG));
		else if (!strncmp(k, DIRTY_KEY, strlen(DIRTY_KEY)))
			rc = publish_key(t, k + strlen(DIRTY_KEY), now);
		if (!rc)
			rc = cp_store_raw_del(t, CP_T_DIRTY, k);
	}
	if (rc || !d.n)
		cp_store_abort(&t);
	else
		rc = cp_store_commit(&t);
	*left = d.more;
	free(d.v);
	return rc;
}
