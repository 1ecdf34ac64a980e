/* cp_row.c - ledger rows as protobuf messages, and the upgrade from layout 1 (raw structs). */
#include "cp_row.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_log.h"

#include <assert.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- layout 1: the structs as they were memcpy'd (frozen; never change these) ----------- */

struct key_usage_v1 {
	int64_t total, daily, daily_start, weekly, weekly_start, monthly, monthly_start;
};

struct org_money_v1 {
	int64_t credits, purchased, posted, pending, overspend;
	int64_t spend[3];
	int64_t spend_start[3];
	int64_t budget[4];
	uint8_t has_budget[4];
	uint64_t ledger_seq;
};

struct lease_v1 {
	char org_id[65];
	char key_hash[65];
	int64_t amount;
	int64_t expires_ms;
	uint8_t closed;
};

/* ---- encoding ------------------------------------------------------------------------- */

static size_t pack(const ProtobufCMessage *msg, uint8_t buf[CP_ROW_MAX])
{
	/* the rows are fixed-size structs: their encoding is bounded by CP_ROW_MAX */
	assert(protobuf_c_message_get_packed_size(msg) <= CP_ROW_MAX);
	return protobuf_c_message_pack(msg, buf);
}

/* An int64 field set only when non-zero: absent reads back as 0, and rows stay small. */
#define SET(msg, field, v) ((msg).field = (v), (msg).has_##field = (msg).field != 0)

size_t cp_row_key_usage_encode(const struct cp_key_usage *u, uint8_t buf[CP_ROW_MAX])
{
	Sy__LedgerKeyUsage r = SY__LEDGER_KEY_USAGE__INIT;
	SET(r, total, u->total);
	SET(r, daily, u->daily);
	SET(r, daily_start, u->daily_start);
	SET(r, weekly, u->weekly);
	SET(r, weekly_start, u->weekly_start);
	SET(r, monthly, u->monthly);
	SET(r, monthly_start, u->monthly_start);
	int64_t byok[CP_LEDGER_PERIODS], waived[CP_LEDGER_PERIODS], start[CP_LEDGER_PERIODS - 1];
	if (u->byok_start[SY_PERIOD_DAILY]) { /* the key had BYOK generations */
		memcpy(byok, u->byok, sizeof(byok));
		memcpy(waived, u->byok_waived, sizeof(waived));
		memcpy(start, u->byok_start, sizeof(start));
		r.n_byok = r.n_byok_waived = CP_LEDGER_PERIODS;
		r.n_byok_start = CP_LEDGER_PERIODS - 1;
		r.byok = byok;
		r.byok_waived = waived;
		r.byok_start = start;
	}
	return pack(&r.base, buf);
}

size_t cp_row_org_money_encode(const struct cp_org_money *m, uint8_t buf[CP_ROW_MAX])
{
	Sy__LedgerOrgMoney r = SY__LEDGER_ORG_MONEY__INIT;
	int64_t spend[CP_SPEND_PERIODS], spend_start[CP_SPEND_PERIODS], budget[CP_BUDGET_PERIODS];
	protobuf_c_boolean has_budget[CP_BUDGET_PERIODS];
	SET(r, credits, m->credits);
	SET(r, purchased, m->purchased);
	SET(r, posted, m->posted);
	SET(r, pending, m->pending);
	SET(r, overspend, m->overspend);
	SET(r, ledger_seq, m->ledger_seq);
	for (size_t i = 0; i < CP_SPEND_PERIODS; i++) {
		spend[i] = m->spend[i];
		spend_start[i] = m->spend_start[i];
	}
	for (size_t i = 0; i < CP_BUDGET_PERIODS; i++) {
		budget[i] = m->budget[i];
		has_budget[i] = m->has_budget[i] != 0;
	}
	r.n_spend = r.n_spend_start = CP_SPEND_PERIODS;
	r.spend = spend;
	r.spend_start = spend_start;
	r.n_budget = r.n_has_budget = CP_BUDGET_PERIODS;
	r.budget = budget;
	r.has_budget = has_budget;
	return pack(&r.base, buf);
}

size_t cp_row_lease_encode(const struct cp_lease *l, uint8_t buf[CP_ROW_MAX])
{
	Sy__LedgerLease r = SY__LEDGER_LEASE__INIT;
	r.org_id = (char *)l->org_id;
	r.key_hash = (char *)l->key_hash;
	SET(r, amount, l->amount);
	SET(r, expires_ms, l->expires_ms);
	SET(r, closed, l->closed != 0);
	return pack(&r.base, buf);
}

/* ---- decoding ------------------------------------------------------------------------- */

static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *d, const void *v, size_t len)
{
	ProtobufCMessage *msg = protobuf_c_message_unpack(d, NULL, len, v);
	if (!msg)
		sy_err("ledger: a %zu-byte row is not a %s", len, d->short_name);
	return msg;
}

static int bad_row(const char *what)
{
	sy_err("ledger: a stored row does not fit: %s", what);
	return SY_ESTORE;
}

int cp_row_key_usage_decode(const void *v, size_t len, struct cp_key_usage *out)
{
	Sy__LedgerKeyUsage *r =
	    (Sy__LedgerKeyUsage *)unpack(&sy__ledger_key_usage__descriptor, v, len);
	if (!r)
		return SY_ESTORE;
	*out = (struct cp_key_usage){
	    .total = r->total,
	    .daily = r->daily,
	    .daily_start = r->daily_start,
	    .weekly = r->weekly,
	    .weekly_start = r->weekly_start,
	    .monthly = r->monthly,
	    .monthly_start = r->monthly_start,
	};
	int rc = 0;
	if (r->n_byok > CP_LEDGER_PERIODS || r->n_byok_waived > CP_LEDGER_PERIODS ||
	    r->n_byok_start > CP_LEDGER_PERIODS - 1)
		rc = bad_row("key usage with more periods than known");
	for (size_t i = 0; !rc && i < r->n_byok; i++)
		out->byok[i] = r->byok[i];
	for (size_t i = 0; !rc && i < r->n_byok_waived; i++)
		out->byok_waived[i] = r->byok_waived[i];
	for (size_t i = 0; !rc && i < r->n_byok_start; i++)
		out->byok_start[i] = r->byok_start[i];
	sy__ledger_key_usage__free_unpacked(r, NULL);
	return rc;
}

int cp_row_org_money_decode(const void *v, size_t len, struct cp_org_money *out)
{
	Sy__LedgerOrgMoney *r =
	    (Sy__LedgerOrgMoney *)unpack(&sy__ledger_org_money__descriptor, v, len);
	if (!r)
		return SY_ESTORE;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (r->n_spend > CP_SPEND_PERIODS || r->n_spend_start > CP_SPEND_PERIODS ||
	    r->n_budget > CP_BUDGET_PERIODS || r->n_has_budget > CP_BUDGET_PERIODS) {
		rc = bad_row("org money with more periods than known");
		goto out;
	}
	out->credits = r->credits;
	out->purchased = r->purchased;
	out->posted = r->posted;
	out->pending = r->pending;
	out->overspend = r->overspend;
	out->ledger_seq = r->ledger_seq;
	for (size_t i = 0; i < r->n_spend; i++)
		out->spend[i] = r->spend[i];
	for (size_t i = 0; i < r->n_spend_start; i++)
		out->spend_start[i] = r->spend_start[i];
	for (size_t i = 0; i < r->n_budget; i++)
		out->budget[i] = r->budget[i];
	for (size_t i = 0; i < r->n_has_budget; i++)
		out->has_budget[i] = r->has_budget[i] ? 1 : 0;
out:
	sy__ledger_org_money__free_unpacked(r, NULL);
	return rc;
}

/* Copy a stored id into a fixed-size field; false if it does not fit. */
static bool copy_id(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

int cp_row_lease_decode(const void *v, size_t len, struct cp_lease *out)
{
	Sy__LedgerLease *r = (Sy__LedgerLease *)unpack(&sy__ledger_lease__descriptor, v, len);
	if (!r)
		return SY_ESTORE;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (!copy_id(out->org_id, sizeof(out->org_id), r->org_id) ||
	    !copy_id(out->key_hash, sizeof(out->key_hash), r->key_hash))
		rc = bad_row("lease with an over-long org id or key hash");
	out->amount = r->amount;
	out->expires_ms = r->expires_ms;
	out->closed = r->closed;
	sy__ledger_lease__free_unpacked(r, NULL);
	return rc;
}

/* ---- upgrade from layout 1 ------------------------------------------------------------- */

bool cp_row_versioned(enum cp_table tb)
{
	return tb == CP_T_KEY_USAGE || tb == CP_T_ORG_MONEY || tb == CP_T_LEASES;
}

static size_t key_usage_v1(const void *v, uint8_t buf[CP_ROW_MAX])
{
	struct key_usage_v1 o;
	memcpy(&o, v, sizeof(o));
	struct cp_key_usage u = {
	    .total = o.total,
	    .daily = o.daily,
	    .daily_start = o.daily_start,
	    .weekly = o.weekly,
	    .weekly_start = o.weekly_start,
	    .monthly = o.monthly,
	    .monthly_start = o.monthly_start,
	};
	return cp_row_key_usage_encode(&u, buf);
}

static size_t org_money_v1(const void *v, uint8_t buf[CP_ROW_MAX])
{
	struct org_money_v1 o;
	struct cp_org_money m = {0};
	memcpy(&o, v, sizeof(o));
	m.credits = o.credits;
	m.purchased = o.purchased;
	m.posted = o.posted;
	m.pending = o.pending;
	m.overspend = o.overspend;
	m.ledger_seq = o.ledger_seq;
	for (size_t i = 0; i < COUNT(o.spend); i++) {
		m.spend[i] = o.spend[i];
		m.spend_start[i] = o.spend_start[i];
	}
	for (size_t i = 0; i < COUNT(o.budget); i++) {
		m.budget[i] = o.budget[i];
		m.has_budget[i] = o.has_budget[i];
	}
	return cp_row_org_money_encode(&m, buf);
}

static size_t lease_v1(const void *v, uint8_t buf[CP_ROW_MAX])
{
	struct lease_v1 o;
	struct cp_lease l = {0};
	memcpy(&o, v, sizeof(o));
	o.org_id[sizeof(o.org_id) - 1] = o.key_hash[sizeof(o.key_hash) - 1] = '\0';
	memcpy(l.org_id, o.org_id, sizeof(o.org_id));
	memcpy(l.key_hash, o.key_hash, sizeof(o.key_hash));
	l.amount = o.amount;
	l.expires_ms = o.expires_ms;
	l.closed = o.closed;
	return cp_row_lease_encode(&l, buf);
}

static const struct {
	size_t size;
	size_t (*convert)(const void *v, uint8_t buf[CP_ROW_MAX]);
} v1[CP_TABLE_COUNT] = {
    [CP_T_KEY_USAGE] = {sizeof(struct key_usage_v1), key_usage_v1},
    [CP_T_ORG_MONEY] = {sizeof(struct org_money_v1), org_money_v1},
    [CP_T_LEASES] = {sizeof(struct lease_v1), lease_v1},
};

int cp_row_upgrade(enum cp_table tb, const void *v, size_t len, uint8_t buf[CP_ROW_MAX],
                   size_t *outlen)
{
	if (!cp_row_versioned(tb) || len != v1[tb].size)
		return bad_row("a layout-1 row of an unexpected size");
	*outlen = v1[tb].convert(v, buf);
	return 0;
}
