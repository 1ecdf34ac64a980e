/* cp_audit.c - recompute every org's and key's money from the records and compare. */
#include "cp_audit.h"
#include "cp_byok_fee.h"
#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_retention.h"
#include "cp_row.h"
#include "sy_err.h"
#include "sy_map.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What the records say about one org or key. */
struct tally {
	char id[72];
	sy_money gen_cost;                 /* sum of what generations charged (cp_byok_fee) */
	sy_money byok_cost, byok_waived;   /* keys: BYOK generations' provider price, waived */
	int64_t byok_month;                /* orgs: the month its BYOK requests are counted for */
	uint64_t byok_requests;            /* orgs: its BYOK generations of that month */
	sy_money period[CP_SPEND_PERIODS]; /* keys: costs in the stored counters' periods */
	sy_money leased;                   /* sum of live lease amounts */
	sy_money ledger, purchased;        /* orgs: sums of credit ledger entries */
	uint64_t entries;
	size_t generations;
	bool seen;                 /* orgs: has a money row; keys: has a usage row */
	struct cp_key_usage usage; /* keys: the stored counters */
};

/* The tally of id (truncated to what a tally holds), created zeroed; NULL without memory. */
static struct tally *tally_get(struct sy_map *m, const char *id, size_t idlen)
{
	char key[sizeof(((struct tally *)0)->id)];
	if (idlen >= sizeof(key))
		idlen = sizeof(key) - 1;
	memcpy(key, id, idlen);
	key[idlen] = '\0';
	struct tally *t = sy_map_get(m, key);
	if (t || !(t = calloc(1, sizeof(*t))))
		return t;
	memcpy(t->id, key, idlen + 1);
	if (sy_map_put(m, t->id, t, NULL)) {
		free(t);
		return NULL;
	}
	return t;
}

static void tallies_free(struct sy_map *m)
{
	void *t;
	for (size_t i = 0; sy_map_next(m, &i, &t);)
		free(t);
	sy_map_release(m);
}

struct audit {
	struct cp_txn *t;
	FILE *out;
	struct sy_map orgs, keys; /* id -> struct tally */
	size_t violations, generations, leases, unpublished;
	int err;
};

static void violation(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(struct audit *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("VIOLATION: ", a->out);
	vfprintf(a->out, fmt, ap);
	fputc('\n', a->out);
	va_end(ap);
	a->violations++;
}

static const char *usd(sy_money m, char *buf, size_t n)
{
	sy_money_format(m, buf, n);
	return buf;
}

/* ---- passes over the tables ------------------------------------------------------------ */

static int on_key_usage(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct audit *a = arg;
	struct tally *t = tally_get(&a->keys, k, kl);
	if (!t)
		return -ENOMEM;
	if (cp_row_key_usage_decode(v, len, &t->usage)) {
		violation(a, "key %.12s...: usage row cannot be decoded", t->id);
		return 0;
	}
	t->seen = true;
	return 0;
}

/* A BYOK generation of the month its org's BYOK requests are counted for (cp_byok_fee). */
static int tally_byok_month(struct audit *a, const Sy__UsageRecord *r, int64_t at)
{
	int64_t month = sy_period_start(SY_PERIOD_MONTHLY, at);
	uint32_t n;
	struct tally *o = tally_get(&a->orgs, r->org_id, strlen(r->org_id));
	if (!o)
		return -ENOMEM;
	int rc = cp_byok_fee_count(a->t, r->org_id, month, &n);
	if (!rc && n) {
		o->byok_month = month;
		o->byok_requests += cp_retention_requests(r);
	}
	return rc;
}

static int on_generation(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct audit *a = arg;
	Sy__UsageRecord *r = sy__usage_record__unpack(NULL, len, v);
	if (!r) {
		violation(a, "generation %.*s cannot be decoded", (int)kl, k);
		return 0;
	}
	a->generations++;
	sy_money cost = cp_byok_fee_charged(r); /* what the org was charged */
	int64_t at = r->has_created_at && r->created_at > 0 ? r->created_at : 0;
	if (cost < 0)
		violation(a, "generation %s has a negative cost", r->id);
	if (r->has_byok_waived && (r->byok_waived < 0 || cost < 0 || !r->is_byok))
		violation(a, "generation %s waives %lld units of its cost %lld%s", r->id,
		          (long long)r->byok_waived, (long long)(r->has_cost ? r->cost : 0),
		          r->is_byok ? "" : " but is not BYOK");
	if (r->org_id && *r->org_id) {
		struct tally *o = tally_get(&a->orgs, r->org_id, strlen(r->org_id));
		if (!o) {
			sy__usage_record__free_unpacked(r, NULL);
			return -ENOMEM;
		}
		o->gen_cost += cost;
		o->generations++;
		char idx[256];
		const void *iv;
		size_t il;
		snprintf(idx, sizeof(idx), "%s/%012lld/%s", r->org_id, (long long)at, r->id);
		if (at && cp_store_raw_get(a->t, CP_T_GEN_BY_ORG, idx, &iv, &il))
			violation(a, "generation %s is missing from the activity index", r->id);
	} else if (cost > 0) {
		violation(a, "generation %s costs %lld units but names no org", r->id,
		          (long long)cost);
	}
	int rc = r->is_byok && r->org_id && *r->org_id ? tally_byok_month(a, r, at) : 0;
	if (rc) {
		sy__usage_record__free_unpacked(r, NULL);
		return rc;
	}
	if (r->key_hash && *r->key_hash && (cost > 0 || r->is_byok)) {
		struct tally *t = tally_get(&a->keys, r->key_hash, strlen(r->key_hash));
		if (!t) {
			sy__usage_record__free_unpacked(r, NULL);
			return -ENOMEM;
		}
		t->gen_cost += cost;
		t->generations++;
		if (r->is_byok) {
			t->byok_cost += r->has_cost ? r->cost : 0;
			t->byok_waived += r->has_byok_waived ? r->byok_waived : 0;
		}
		const int64_t starts[CP_SPEND_PERIODS] = {
		    t->usage.daily_start, t->usage.weekly_start, t->usage.monthly_start};
		for (int p = 0; p < CP_SPEND_PERIODS; p++)
			if (at && sy_period_start((enum sy_period)p, at) == starts[p])
				t->period[p] += cost;
	}
	sy__usage_record__free_unpacked(r, NULL);
	return 0;
}

static int on_lease(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct audit *a = arg;
	struct cp_lease l;
	a->leases++;
	if (cp_row_lease_decode(v, len, &l)) {
		violation(a, "lease %.*s: row cannot be decoded", (int)kl, k);
		return 0;
	}
	if (l.amount < 0)
		violation(a, "lease %.*s holds a negative amount", (int)kl, k);
	struct tally *o = tally_get(&a->orgs, l.org_id, strlen(l.org_id));
	struct tally *t = tally_get(&a->keys, l.key_hash, strlen(l.key_hash));
	if (!o || !t)
		return -ENOMEM;
	o->leased += l.amount;
	t->leased += l.amount;
	return 0;
}

static int on_credit(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct audit *a = arg;
	Sy__LedgerEntry *e = sy__ledger_entry__unpack(NULL, len, v);
	if (!e) {
		violation(a, "credit ledger entry %.*s cannot be decoded", (int)kl, k);
		return 0;
	}
	struct tally *o = tally_get(&a->orgs, e->org_id, strlen(e->org_id));
	if (o) {
		o->ledger += e->amount;
		o->purchased += e->amount > 0 ? e->amount : 0;
		o->entries++;
		if (e->has_credits_after && e->credits_after != o->ledger)
			violation(a,
			          "org %s: ledger entry %llu says credits %lld, the entries before "
			          "it sum to %lld",
			          o->id, (unsigned long long)e->seq, (long long)e->credits_after,
			          (long long)o->ledger);
	}
	sy__ledger_entry__free_unpacked(e, NULL);
	return o ? 0 : -ENOMEM;
}

static int on_org_money(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct audit *a = arg;
	struct tally *o = tally_get(&a->orgs, k, kl);
	if (!o)
		return -ENOMEM;
	o->seen = true;
	return 0;
}

/* ---- comparisons ------------------------------------------------------------------------ */

static bool is_dirty(struct audit *a, const char *prefix, const char *id)
{
	char k[160];
	const void *v;
	size_t len;
	snprintf(k, sizeof(k), "%s%s", prefix, id);
	return cp_store_raw_get(a->t, CP_T_DIRTY, k, &v, &len) == 0;
}

static void check_org(struct audit *a, struct tally *o)
{
	struct cp_org_money m;
	char b1[48], b2[48], b3[48], b4[48];
	if ((a->err = cp_money_read(a->t, o->id, &m)))
		return;
	if (!o->seen && (o->gen_cost || o->leased || o->entries))
		violation(a, "org %s has generations, leases or credits but no money record",
		          o->id);
	uint32_t byok;
	if (o->byok_month && !(a->err = cp_byok_fee_count(a->t, o->id, o->byok_month, &byok)) &&
	    byok != o->byok_requests && byok != UINT32_MAX)
		violation(a, "org %s: %u BYOK requests counted this month but it has %llu", o->id,
		          byok, (unsigned long long)o->byok_requests);
	if (m.credits != o->ledger || m.purchased != o->purchased || m.ledger_seq != o->entries)
		violation(a,
		          "org %s: credits %s (purchased %s, %llu entries) but its ledger sums to "
		          "%s (purchased %s, %llu entries)",
		          o->id, usd(m.credits, b1, 48), usd(m.purchased, b2, 48),
		          (unsigned long long)m.ledger_seq, usd(o->ledger, b3, 48),
		          usd(o->purchased, b4, 48), (unsigned long long)o->entries);
	if (m.posted != o->gen_cost)
		violation(a, "org %s: posted debits %s but its %zu generations cost %s", o->id,
		          usd(m.posted, b1, 48), o->generations, usd(o->gen_cost, b2, 48));
	if (m.pending != o->leased || m.pending < 0)
		violation(a, "org %s: pending debits %s but its leases hold %s", o->id,
		          usd(m.pending, b1, 48), usd(o->leased, b2, 48));
	sy_money balance = m.credits - m.posted - m.pending;
	ProtobufCMessage *msg = NULL;
	int rc = cp_store_get(a->t, CP_ORG, o->id, &msg);
	if (rc == 0) {
		const Sy__Org *org = (const Sy__Org *)msg;
		sy_money shown = org->credits - org->debits_posted - org->debits_pending;
		bool same = org->credits == m.credits && org->debits_posted == m.posted &&
		            org->debits_pending == m.pending;
		if (!same && is_dirty(a, "org/", o->id)) {
			fprintf(a->out,
			        "note: org %s: the balance workers show (%s) awaits its "
			        "publication (%s)\n",
			        o->id, usd(shown, b1, 48), usd(balance, b2, 48));
			a->unpublished++;
		} else if (!same && (m.credits || m.posted || m.pending)) {
			violation(a,
			          "org %s: workers show a balance of %s (credits %s - posted %s - "
			          "pending ...), the ledger says %s",
			          o->id, usd(shown, b1, 48), usd(org->credits, b2, 48),
			          usd(org->debits_posted, b3, 48), usd(balance, b4, 48));
		}
	} else if (rc != SY_ENOTFOUND) {
		a->err = rc;
	}
	cp_entity_free(&msg);
	char b5[48];
	fprintf(a->out,
	        "org %s: credits %s, posted %s, pending %s, balance %s, overspend %s, "
	        "%zu generations\n",
	        o->id, usd(m.credits, b1, 48), usd(m.posted, b2, 48), usd(m.pending, b3, 48),
	        usd(balance, b4, 48), usd(m.overspend, b5, 48), o->generations);
}

static void check_key(struct audit *a, struct tally *k)
{
	char b1[48], b2[48], b3[48], b4[48];
	const struct cp_key_usage *u = &k->usage;
	/* a deleted key's counters went with it; its generations stay (and count for its org) */
	bool counted = k->seen || cp_store_has(a->t, CP_KEY, k->id);
	/* key hashes are not logged anywhere else; a prefix identifies the key to an operator */
	if (counted && u->total != k->gen_cost)
		violation(a, "key %.12s...: usage %s but its generations cost %s", k->id,
		          usd(u->total, b1, 48), usd(k->gen_cost, b2, 48));
	if (counted && (u->byok[SY_PERIOD_LIFETIME] != k->byok_cost ||
	                u->byok_waived[SY_PERIOD_LIFETIME] != k->byok_waived))
		violation(a,
		          "key %.12s...: BYOK usage %s (%s not charged) but its BYOK generations "
		          "cost %s (%s not charged)",
		          k->id, usd(u->byok[SY_PERIOD_LIFETIME], b1, 48),
		          usd(u->byok_waived[SY_PERIOD_LIFETIME], b2, 48),
		          usd(k->byok_cost, b3, 48), usd(k->byok_waived, b4, 48));
	const sy_money stored[CP_SPEND_PERIODS] = {u->daily, u->weekly, u->monthly};
	for (int p = 0; counted && p < CP_SPEND_PERIODS; p++)
		if (stored[p] != k->period[p])
			violation(a,
			          "key %.12s...: %s usage %s but its generations of that period "
			          "cost %s",
			          k->id, sy_period_name((enum sy_period)p), usd(stored[p], b1, 48),
			          usd(k->period[p], b2, 48));
	sy_money pend;
	if ((a->err = cp_money_key_pending(a->t, k->id, &pend)))
		return;
	if (pend != k->leased)
		violation(a, "key %.12s...: pending %s but its leases hold %s", k->id,
		          usd(pend, b1, 48), usd(k->leased, b2, 48));
	ProtobufCMessage *msg = NULL;
	if (cp_store_get(a->t, CP_KEY, k->id, &msg) == 0) {
		const Sy__ApiKey *key = (const Sy__ApiKey *)msg;
		if (key->has_usage && key->usage != u->total) {
			if (is_dirty(a, "key/", k->id))
				a->unpublished++;
			else
				violation(a,
				          "key %.12s...: workers show usage %s, the ledger says %s",
				          k->id, usd(key->usage, b1, 48), usd(u->total, b2, 48));
		}
	}
	cp_entity_free(&msg);
}

int cp_audit_store(struct cp_store *s, FILE *out, size_t *violations)
{
	struct audit a = {.out = out};
	int rc;
	if (!(a.t = cp_store_begin(s, false)))
		return SY_ESTORE;
	/* key counters first: the generation pass sums costs into their periods */
	if ((rc = cp_store_raw_each(a.t, CP_T_KEY_USAGE, "", on_key_usage, &a)) ||
	    (rc = cp_store_raw_each(a.t, CP_T_ORG_MONEY, "", on_org_money, &a)) ||
	    (rc = cp_store_raw_each(a.t, CP_T_GENERATIONS, "", on_generation, &a)) ||
	    (rc = cp_store_raw_each(a.t, CP_T_LEASES, "", on_lease, &a)) ||
	    (rc = cp_store_raw_each(a.t, CP_T_CREDITS, "", on_credit, &a)))
		goto out;
	void *t;
	for (size_t i = 0; !a.err && sy_map_next(&a.orgs, &i, &t);)
		check_org(&a, t);
	for (size_t i = 0; !a.err && sy_map_next(&a.keys, &i, &t);)
		check_key(&a, t);
	rc = a.err;
	if (!rc)
		fprintf(out,
		        "audit: %zu orgs, %zu keys, %zu generations, %zu live leases, %zu "
		        "snapshot(s) awaiting publication: %s (%zu violation(s))\n",
		        a.orgs.n, a.keys.n, a.generations, a.leases, a.unpublished,
		        a.violations ? "INVARIANTS DO NOT HOLD" : "invariants hold", a.violations);
out:
	cp_store_abort(&a.t);
	tallies_free(&a.orgs);
	tallies_free(&a.keys);
	*violations = a.violations;
	return rc;
}

int cp_audit_run(const char *dir, FILE *out)
{
	struct stat st;
	char path[4096];
	const char *why = NULL;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st)) {
		fprintf(stderr, "audit: no store in %s\n", dir);
		return -1;
	}
	struct cp_store *s = cp_store_open(dir, 1024, &why);
	if (!s) {
		fprintf(stderr, "audit: cannot open the store in %s: %s\n", dir, why);
		return -1;
	}
	size_t violations = 0;
	int rc = cp_audit_store(s, out, &violations);
	cp_store_free(&s);
	if (rc) {
		fprintf(stderr, "audit: reading the store failed: %s\n", sy_strerror(rc));
		return -1;
	}
	return violations ? 1 : 0;
}
