/* cp_money_test.c - credits, leases, settlement, expiry, publishing and the audit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_audit.h"
#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_row.h"
#include "cp_test_util.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_err.h"

#define ORG "org_test"
#define HASH "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define USD SY_MONEY_SCALE

struct fixture {
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s;
	FILE *out; /* audit output */
};

/* An org (postpaid or not) with one key (limit < 0: none). */
static void add_org_and_key(struct fixture *f, bool postpaid, sy_money limit, const char *reset)
{
	struct cp_txn *t = cp_store_begin(f->s, true);
	ProtobufCMessage *om = cp_entity_new(CP_ORG), *km = cp_entity_new(CP_KEY);
	Sy__Org *o = (Sy__Org *)om;
	Sy__ApiKey *k = (Sy__ApiKey *)km;
	o->id = strdup(ORG);
	o->name = strdup("test");
	o->postpaid = o->has_postpaid = postpaid;
	k->hash = strdup(HASH);
	k->org_id = strdup(ORG);
	if (limit >= 0) {
		k->limit = limit;
		k->has_limit = true;
		k->limit_reset = reset ? strdup(reset) : NULL;
	}
	assert_int_equal(cp_store_put(t, CP_ORG, om), 0);
	assert_int_equal(cp_store_put(t, CP_KEY, km), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	cp_entity_free(&om);
	cp_entity_free(&km);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->s = test_store_new(f->dir);
	f->out = fopen("/dev/null", "w");
	*state = f;
	return f->s && f->out ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	test_store_free(&f->s, f->dir);
	fclose(f->out);
	free(f);
	return 0;
}

static void credit(struct fixture *f, sy_money amount)
{
	struct cp_txn *t = cp_store_begin(f->s, true);
	assert_int_equal(cp_money_credit(t, ORG, amount, "test", sy_unix_s(), NULL), 0);
	assert_int_equal(cp_store_commit(&t), 0);
}

/* Ask for a lease in its own transaction, committed when granted. */
static struct cp_grant lease(struct fixture *f, const char *id, sy_money want, sy_money need,
                             int64_t now_ms)
{
	Sy__LeaseRequest rq = SY__LEASE_REQUEST__INIT;
	rq.request_id = 1;
	rq.lease_id = (char *)id;
	rq.org_id = ORG;
	rq.key_hash = HASH;
	rq.want = want;
	rq.has_want = true;
	rq.need = need;
	rq.has_need = true;
	struct cp_grant g;
	struct cp_txn *t = cp_store_begin(f->s, true);
	assert_int_equal(cp_money_lease(t, &rq, now_ms, 1000, &g), 0);
	if (g.refusal == CP_GRANTED)
		assert_int_equal(cp_store_commit(&t), 0);
	cp_store_abort(&t);
	return g;
}

static void give_back(struct fixture *f, const char *id, sy_money amount, bool close)
{
	Sy__LeaseReturn r = SY__LEASE_RETURN__INIT;
	r.lease_id = (char *)id;
	r.amount = amount;
	r.has_amount = true;
	r.close = r.has_close = close;
	struct cp_txn *t = cp_store_begin(f->s, true);
	assert_int_equal(cp_money_return(t, &r), 0);
	assert_int_equal(cp_store_commit(&t), 0);
}

static void settle(struct fixture *f, const char *gen, const char *lease_id, sy_money cost)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)gen;
	r.org_id = ORG;
	r.key_hash = HASH;
	r.lease_id = (char *)lease_id;
	r.cost = cost;
	r.has_cost = true;
	r.created_at = sy_unix_s();
	r.has_created_at = true;
	Sy__UsageRecord *batch[] = {&r};
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, NULL, batch, 1, &stored, &dups, &invalid), 0);
}

static struct cp_org_money money(struct fixture *f)
{
	struct cp_org_money m;
	struct cp_txn *t = cp_store_begin(f->s, false);
	assert_int_equal(cp_money_read(t, ORG, &m), 0);
	cp_store_abort(&t);
	return m;
}

static size_t audit(struct fixture *f)
{
	size_t v = 99;
	assert_int_equal(cp_audit_store(f->s, f->out, &v), 0);
	return v;
}

/* Usage example: credits, a lease, two settled generations and the unused part returned. */
static void test_lease_settle_return(void **state)
{
	struct fixture *f = *state;
	int64_t now = sy_unix_ms();
	add_org_and_key(f, false, -1, NULL);
	credit(f, 10 * USD);
	struct cp_grant g = lease(f, "w0.1", 4 * USD, 1 * USD, now);
	assert_int_equal(g.refusal, CP_GRANTED);
	assert_int_equal(g.granted, 4 * USD);
	struct cp_org_money m = money(f);
	assert_int_equal(m.pending, 4 * USD);
	assert_int_equal(m.credits - m.posted - m.pending, 6 * USD);

	settle(f, "gen-a", "w0.1", USD / 2);
	settle(f, "gen-b", "w0.1", USD / 4);
	settle(f, "gen-b", "w0.1", USD / 4); /* a resend counts once */
	m = money(f);
	assert_int_equal(m.posted, USD * 3 / 4);
	assert_int_equal(m.pending, 4 * USD - USD * 3 / 4);
	assert_int_equal(m.overspend, 0);

	give_back(f, "w0.1", 4 * USD - USD * 3 / 4, true);
	m = money(f);
	assert_int_equal(m.pending, 0);
	struct cp_lease l;
	struct cp_txn *t = cp_store_begin(f->s, false);
	assert_int_equal(cp_money_lease_get(t, "w0.1", &l), SY_ENOTFOUND); /* closed and empty */
	sy_money kp = 1;
	assert_int_equal(cp_money_key_pending(t, HASH, &kp), 0);
	assert_int_equal(kp, 0);
	cp_store_abort(&t);
	assert_int_equal(audit(f), 0);
}

/* Leases and keys belong to the dataplane granted them; only its costs settle on them. */
static void test_holders(void **state)
{
	struct fixture *f = *state;
	const char *a = "dataplane-a-public-key-in-z85-40-chars..", *b = "";
	add_org_and_key(f, true, -1, NULL);
	Sy__LeaseRequest rq = SY__LEASE_REQUEST__INIT;
	rq.lease_id = "w0.1";
	rq.org_id = ORG;
	rq.key_hash = HASH;
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = "gen-1";
	r.org_id = ORG;
	r.key_hash = HASH;
	r.lease_id = "w0.1";
	r.cost = USD;
	r.has_cost = true;
	struct cp_txn *t = cp_store_begin(f->s, false);
	assert_false(cp_money_may_settle(t, a, &r)); /* nobody holds anything yet */
	assert_true(cp_money_lease_held(t, a, "w0.1"));
	cp_store_abort(&t);
	assert_true(lease(f, "w0.1", USD, 1, sy_unix_ms()).refusal == CP_GRANTED);
	t = cp_store_begin(f->s, true);
	assert_int_equal(cp_money_hold(t, a, &rq), 0);
	assert_int_equal(cp_store_commit(&t), 0);

	t = cp_store_begin(f->s, false);
	assert_true(cp_money_may_settle(t, a, &r));
	assert_false(cp_money_may_settle(t, b, &r)); /* another dataplane: not its key */
	assert_false(cp_money_lease_held(t, b, "w0.1"));
	r.org_id = "org_other";
	assert_false(cp_money_may_settle(t, a, &r)); /* the key is held in ORG only */
	r.org_id = ORG;
	r.lease_id = "w9.9"; /* a lease gone (expired): the key still counts */
	assert_true(cp_money_may_settle(t, a, &r));
	r.cost = 0; /* no money moves: anyone authenticated */
	assert_true(cp_money_may_settle(t, b, &r));
	r.cost = USD;
	r.key_hash = NULL;
	assert_false(cp_money_may_settle(t, a, &r));
	cp_store_abort(&t);

	/* closing the empty lease forgets who held it; the key stays held */
	give_back(f, "w0.1", USD, true);
	t = cp_store_begin(f->s, false);
	assert_true(cp_money_lease_held(t, b, "w0.1"));
	r.key_hash = HASH;
	r.lease_id = "w0.1";
	assert_true(cp_money_may_settle(t, a, &r));
	cp_store_abort(&t);
}

/* The room is the least of balance, key limit and budgets; refusals name the binding one. */
static void test_room(void **state)
{
	int64_t now = 1700000000;
	struct cp_org_money m = {.credits = 100, .posted = 30, .pending = 20};
	sy_money room;
	enum sy_period p = SY_PERIOD_DAILY;
	assert_int_equal(cp_money_room(&m, false, false, 0, now, 10, &room, &p), CP_GRANTED);
	assert_int_equal(room, 50);
	assert_int_equal(cp_money_room(&m, false, false, 0, now, 51, &room, &p), CP_REFUSE_BALANCE);
	/* postpaid: no balance check, nothing else bounds it */
	assert_int_equal(cp_money_room(&m, true, false, 0, now, 1000, &room, &p), CP_GRANTED);
	assert_int_equal(room, INT64_MAX);
	/* the key's room binds */
	assert_int_equal(cp_money_room(&m, false, true, 7, now, 5, &room, &p), CP_GRANTED);
	assert_int_equal(room, 7);
	assert_int_equal(cp_money_room(&m, false, true, 7, now, 8, &room, &p), CP_REFUSE_KEY_LIMIT);
	/* budgets count posted spend of the period plus everything pending */
	m.has_budget[SY_PERIOD_DAILY] = 1;
	m.budget[SY_PERIOD_DAILY] = 40;
	m.spend[SY_PERIOD_DAILY] = 10;
	m.spend_start[SY_PERIOD_DAILY] = sy_period_start(SY_PERIOD_DAILY, now);
	assert_int_equal(cp_money_room(&m, true, false, 0, now, 10, &room, &p), CP_GRANTED);
	assert_int_equal(room, 10);
	/* yesterday's spend does not count today */
	assert_int_equal(cp_money_room(&m, true, false, 0, now + 86400, 10, &room, &p), CP_GRANTED);
	assert_int_equal(room, 20);
	/* two budgets exceeded: the broadest is named, before the balance */
	m.has_budget[SY_PERIOD_MONTHLY] = 1;
	m.budget[SY_PERIOD_MONTHLY] = 45;
	m.posted = 30;
	m.spend[SY_PERIOD_MONTHLY] = 30;
	m.spend_start[SY_PERIOD_MONTHLY] = sy_period_start(SY_PERIOD_MONTHLY, now);
	assert_int_equal(cp_money_room(&m, false, false, 0, now, 11, &room, &p), CP_REFUSE_BUDGET);
	assert_int_equal(p, SY_PERIOD_MONTHLY);
	m.has_budget[SY_PERIOD_LIFETIME] = 1;
	m.budget[SY_PERIOD_LIFETIME] = 40;
	assert_int_equal(cp_money_room(&m, false, false, 0, now, 11, &room, &p), CP_REFUSE_BUDGET);
	assert_int_equal(p, SY_PERIOD_LIFETIME);
	assert_int_equal(room, 0);
}

/* A refusal moves nothing; a grant never exceeds the room. */
static void test_refusal_and_partial_grant(void **state)
{
	struct fixture *f = *state;
	int64_t now = sy_unix_ms();
	add_org_and_key(f, false, 3 * USD, "daily");
	credit(f, 5 * USD);
	struct cp_grant g = lease(f, "w0.1", 10 * USD, USD, now);
	assert_int_equal(g.refusal, CP_GRANTED);
	assert_int_equal(g.granted, 3 * USD); /* the key limit binds */
	g = lease(f, "w1.1", USD, USD, now);
	assert_int_equal(g.refusal, CP_REFUSE_KEY_LIMIT);
	assert_int_equal(g.granted, 0);
	assert_int_equal(money(f).pending, 3 * USD);
	/* unknown key or org mismatch */
	Sy__LeaseRequest rq = SY__LEASE_REQUEST__INIT;
	rq.lease_id = "w2.1";
	rq.org_id = "org_other";
	rq.key_hash = HASH;
	rq.want = rq.need = 1;
	rq.has_want = rq.has_need = true;
	struct cp_txn *t = cp_store_begin(f->s, true);
	assert_int_equal(cp_money_lease(t, &rq, now, 1000, &g), 0);
	assert_int_equal(g.refusal, CP_REFUSE_UNKNOWN_KEY);
	rq.lease_id = "bad/id";
	assert_int_equal(cp_money_lease(t, &rq, now, 1000, &g), SY_EINVAL);
	cp_store_abort(&t);
	/* renewing a lease that does not exist says so */
	g = lease(f, "w9.9", 0, 0, now);
	assert_int_equal(g.refusal, CP_REFUSE_EXPIRED);
	assert_int_equal(audit(f), 0);
}

/* Costs beyond what a lease holds are posted anyway and measured as overspend. */
static void test_overspend_measured(void **state)
{
	struct fixture *f = *state;
	add_org_and_key(f, false, -1, NULL);
	credit(f, 10 * USD);
	lease(f, "w0.1", USD, USD, sy_unix_ms());
	settle(f, "gen-a", "w0.1", 3 * USD / 2);
	settle(f, "gen-b", "gone.7", USD); /* its lease expired already */
	struct cp_org_money m = money(f);
	assert_int_equal(m.posted, 5 * USD / 2);
	assert_int_equal(m.pending, 0);
	assert_int_equal(m.overspend, 3 * USD / 2);
	assert_int_equal(audit(f), 0);
}

/* Expired leases release what they hold; the start-up grace postpones expiry. */
static void test_expiry_and_grace(void **state)
{
	struct fixture *f = *state;
	int64_t now = sy_unix_ms();
	size_t released = 9;
	add_org_and_key(f, false, -1, NULL);
	credit(f, 10 * USD);
	lease(f, "w0.1", 2 * USD, USD, now); /* ttl 1000 ms */
	lease(f, "w0.2", 3 * USD, USD, now);
	assert_int_equal(cp_money_expire(f->s, now + 500, &released), 0);
	assert_int_equal(released, 0);
	assert_int_equal(cp_money_grace(f->s, now + 5000), 0);
	assert_int_equal(cp_money_expire(f->s, now + 2000, &released), 0);
	assert_int_equal(released, 0);
	assert_int_equal(money(f).pending, 5 * USD);
	/* a record arriving before expiry settles against its lease */
	settle(f, "gen-a", "w0.2", USD);
	assert_int_equal(cp_money_expire(f->s, now + 5000, &released), 0);
	assert_int_equal(released, 2);
	struct cp_org_money m = money(f);
	assert_int_equal(m.pending, 0);
	assert_int_equal(m.posted, USD);
	assert_int_equal(m.credits - m.posted - m.pending, 9 * USD);
	assert_int_equal(audit(f), 0);
}

/* Refunds cannot exceed the balance; each entry is numbered; credits sum the ledger. */
static void test_credits_ledger(void **state)
{
	struct fixture *f = *state;
	add_org_and_key(f, false, -1, NULL);
	credit(f, 10 * USD);
	credit(f, -3 * USD);
	lease(f, "w0.1", 6 * USD, USD, sy_unix_ms());
	struct cp_txn *t = cp_store_begin(f->s, true);
	Sy__LedgerEntry *e = NULL;
	assert_int_equal(cp_money_credit(t, ORG, -2 * USD, NULL, 1, &e), SY_ECONFLICT);
	assert_int_equal(cp_money_credit(t, ORG, 0, NULL, 1, &e), SY_EINVAL);
	assert_int_equal(cp_money_credit(t, ORG, -USD, "refund", 1, &e), 0);
	assert_int_equal(e->seq, 3);
	assert_int_equal(e->credits_after, 6 * USD);
	sy__ledger_entry__free_unpacked(e, NULL);
	assert_int_equal(cp_store_commit(&t), 0);
	struct cp_org_money m = money(f);
	assert_int_equal(m.credits, 6 * USD);
	assert_int_equal(m.purchased, 10 * USD);
	assert_int_equal(m.ledger_seq, 3);
	assert_int_equal(audit(f), 0);
}

/* Balances reach the Org and ApiKey entities (and so the workers) through the publisher. */
static void test_publish(void **state)
{
	struct fixture *f = *state;
	add_org_and_key(f, false, -1, NULL);
	credit(f, 10 * USD);
	lease(f, "w0.1", 2 * USD, USD, sy_unix_ms());
	settle(f, "gen-a", "w0.1", USD);
	uint64_t seq = cp_store_seq(f->s);
	bool left = true;
	assert_int_equal(cp_money_publish(f->s, sy_unix_s(), 256, &left), 0);
	assert_false(left);
	assert_true(cp_store_seq(f->s) > seq); /* org and key republished */
	struct cp_txn *t = cp_store_begin(f->s, false);
	ProtobufCMessage *om = NULL, *km = NULL;
	assert_int_equal(cp_store_get(t, CP_ORG, ORG, &om), 0);
	assert_int_equal(cp_store_get(t, CP_KEY, HASH, &km), 0);
	const Sy__Org *o = (const Sy__Org *)om;
	const Sy__ApiKey *k = (const Sy__ApiKey *)km;
	assert_int_equal(o->credits, 10 * USD);
	assert_int_equal(o->debits_posted, USD);
	assert_int_equal(o->debits_pending, USD);
	assert_int_equal(k->usage, USD);
	assert_int_equal(k->usage_daily, USD);
	cp_entity_free(&om);
	cp_entity_free(&km);
	cp_store_abort(&t);
	/* nothing changed since: nothing republished */
	seq = cp_store_seq(f->s);
	assert_int_equal(cp_money_publish(f->s, sy_unix_s(), 256, &left), 0);
	assert_int_equal(cp_store_seq(f->s), seq);
	assert_int_equal(audit(f), 0);
}

/* The audit notices money that does not add up. */
static void test_audit_finds_violations(void **state)
{
	struct fixture *f = *state;
	add_org_and_key(f, false, -1, NULL);
	credit(f, 10 * USD);
	lease(f, "w0.1", 2 * USD, USD, sy_unix_ms());
	settle(f, "gen-a", "w0.1", USD);
	bool left;
	assert_int_equal(cp_money_publish(f->s, sy_unix_s(), 256, &left), 0);
	assert_int_equal(audit(f), 0);
	/* posted debits no longer match the generations, pending no longer the leases */
	struct cp_txn *t = cp_store_begin(f->s, true);
	struct cp_org_money m;
	assert_int_equal(cp_money_read(t, ORG, &m), 0);
	m.posted += 5;
	m.pending -= 5;
	uint8_t row[CP_ROW_MAX];
	size_t len = cp_row_org_money_encode(&m, row);
	assert_int_equal(cp_store_raw_put(t, CP_T_ORG_MONEY, ORG, row, len, false), 0);
	/* and a key counter drifts */
	struct cp_key_usage u;
	assert_int_equal(cp_ledger_key_usage(t, HASH, sy_unix_s(), &u), 0);
	u.total += 1;
	len = cp_row_key_usage_encode(&u, row);
	assert_int_equal(cp_store_raw_put(t, CP_T_KEY_USAGE, HASH, row, len, false), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	/* posted vs generations, pending vs leases, the org balance workers were shown, the key's
	 * usage vs its generations, the key usage workers were shown */
	assert_int_equal(audit(f), 5);
}

/* A deleted key's counters go with it; its generations still count for its org. */
static void test_audit_deleted_key(void **state)
{
	struct fixture *f = *state;
	add_org_and_key(f, false, -1, NULL);
	credit(f, 10 * USD);
	lease(f, "w0.1", 2 * USD, USD, sy_unix_ms());
	settle(f, "gen-a", "w0.1", USD);
	give_back(f, "w0.1", USD, true);
	struct cp_txn *t = cp_store_begin(f->s, true);
	assert_int_equal(cp_store_del(t, CP_KEY, HASH), 0);
	assert_int_equal(cp_ledger_forget_key(t, HASH), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	assert_int_equal(audit(f), 0);
	assert_int_equal(money(f).posted, USD);
}

static void add_guardrail(struct fixture *f, const char *id, sy_money limit, const char *reset,
                          bool on_org)
{
	struct cp_txn *t = cp_store_begin(f->s, true);
	ProtobufCMessage *gm = cp_entity_new(CP_GUARDRAIL);
	Sy__Guardrail *g = (Sy__Guardrail *)gm;
	g->id = strdup(id);
	g->limit = limit;
	g->has_limit = true;
	g->reset_interval = strdup(reset);
	char **list = calloc(1, sizeof(char *));
	list[0] = strdup(on_org ? ORG : HASH);
	if (on_org) {
		g->org_ids = list;
		g->n_org_ids = 1;
	} else {
		g->key_hashes = list;
		g->n_key_hashes = 1;
	}
	assert_int_equal(cp_store_put(t, CP_GUARDRAIL, gm), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	cp_entity_free(&gm);
}

/* Usage example: a key's guardrails (its own and its org's) each give it a limit; a lease is
 * refused naming the period when the least room cannot cover the need, granted at most that
 * room otherwise, and a daily limit has its room back the next day. */
static void test_guardrail_limits(void **state)
{
	struct fixture *f = *state;
	add_org_and_key(f, true, -1, NULL);
	add_guardrail(f, "gr_daily", 100, "daily", false);
	add_guardrail(f, "gr_weekly", 150, "weekly", true);
	int64_t now_ms = sy_unix_ms();
	struct cp_grant g = lease(f, "l1", 60, 60, now_ms);
	assert_int_equal(g.refusal, CP_GRANTED);
	assert_int_equal(g.granted, 60);
	settle(f, "gen-g1", "l1", 60);
	g = lease(f, "l2", 50, 50, now_ms); /* 40 left today */
	assert_int_equal(g.refusal, CP_REFUSE_GUARDRAIL);
	assert_int_equal(g.period, SY_PERIOD_DAILY);
	g = lease(f, "l2", 50, 30, now_ms);
	assert_int_equal(g.refusal, CP_GRANTED);
	assert_int_equal(g.granted, 40);
	settle(f, "gen-g2", "l2", 40);
	g = lease(f, "l3", 1, 1, now_ms);
	assert_int_equal(g.refusal, CP_REFUSE_GUARDRAIL);
	/* tomorrow: the daily limit is back; the weekly one still counts today's 100 if the
	 * week goes on */
	int64_t next_ms = now_ms + 86400 * 1000;
	bool same_week = sy_period_start(SY_PERIOD_WEEKLY, now_ms / 1000) ==
	                 sy_period_start(SY_PERIOD_WEEKLY, next_ms / 1000);
	g = lease(f, "l3", 100, 30, next_ms);
	assert_int_equal(g.refusal, CP_GRANTED);
	assert_int_equal(g.granted, same_week ? 50 : 100);
	g = lease(f, "l4", 100, 100, next_ms); /* l3's grant is pending */
	assert_int_equal(g.refusal, CP_REFUSE_GUARDRAIL);
	assert_int_equal(g.period, same_week ? SY_PERIOD_WEEKLY : SY_PERIOD_DAILY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lease_settle_return, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holders, setup, teardown),
	    cmocka_unit_test(test_room),
	    cmocka_unit_test_setup_teardown(test_refusal_and_partial_grant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overspend_measured, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_and_grace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_credits_ledger, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_finds_violations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_deleted_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guardrail_limits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
