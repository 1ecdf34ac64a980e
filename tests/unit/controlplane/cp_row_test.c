/* cp_row_test.c - ledger rows round-trip through their messages, and a store written with
 * layout 1 (the structs memcpy'd, as before the rows were versioned) opens and reads right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <lmdb.h>
#include <string.h>

#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_row.h"
#include "cp_test_util.h"
#include "sy_err.h"
#include "sy_log.h"

#define ORG "org_legacy"
#define HASH "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* Field by field: the structs have padding. */
static void assert_org_money_equal(const struct cp_org_money *a, const struct cp_org_money *b)
{
	assert_int_equal(a->credits, b->credits);
	assert_int_equal(a->purchased, b->purchased);
	assert_int_equal(a->posted, b->posted);
	assert_int_equal(a->pending, b->pending);
	assert_int_equal(a->overspend, b->overspend);
	assert_memory_equal(a->spend, b->spend, sizeof(a->spend));
	assert_memory_equal(a->spend_start, b->spend_start, sizeof(a->spend_start));
	assert_memory_equal(a->budget, b->budget, sizeof(a->budget));
	assert_memory_equal(a->has_budget, b->has_budget, sizeof(a->has_budget));
	assert_int_equal(a->ledger_seq, b->ledger_seq);
}

/* Usage example: encode a row into a buffer, store those bytes, decode them back. */
static void test_round_trip(void **state)
{
	uint8_t buf[CP_ROW_MAX];
	struct cp_org_money m = {.credits = 10,
	                         .purchased = 9,
	                         .posted = 3,
	                         .pending = 2,
	                         .overspend = 1,
	                         .spend = {4, 5, 6},
	                         .spend_start = {7, 8, 9},
	                         .budget = {11, 0, 13, 14},
	                         .has_budget = {1, 0, 1, 1},
	                         .ledger_seq = 42};
	struct cp_org_money m2;
	size_t n = cp_row_org_money_encode(&m, buf);
	assert_int_equal(cp_row_org_money_decode(buf, n, &m2), 0);
	assert_org_money_equal(&m, &m2);

	struct cp_lease l = {
	    .org_id = ORG, .key_hash = HASH, .amount = -5, .expires_ms = 1234, .closed = 1};
	struct cp_lease l2;
	n = cp_row_lease_encode(&l, buf);
	assert_int_equal(cp_row_lease_decode(buf, n, &l2), 0);
	assert_string_equal(l2.org_id, ORG);
	assert_string_equal(l2.key_hash, HASH);
	assert_int_equal(l2.amount, -5);
	assert_int_equal(l2.expires_ms, 1234);
	assert_int_equal(l2.closed, 1);

	struct cp_key_usage u = {1, 2, 3, 4, 5, 6, 7}, u2;
	n = cp_row_key_usage_encode(&u, buf);
	assert_int_equal(cp_row_key_usage_decode(buf, n, &u2), 0);
	assert_memory_equal(&u, &u2, sizeof(u));

	/* all zeros is the empty message, and reads back as zeros */
	struct cp_key_usage z = {0};
	memset(&u2, 0xff, sizeof(u2));
	assert_int_equal(cp_row_key_usage_encode(&z, buf), 0);
	assert_int_equal(cp_row_key_usage_decode(buf, 0, &u2), 0);
	assert_memory_equal(&z, &u2, sizeof(z));
}

/* A row that is not the message, or does not fit the struct, is a store error. */
static void test_bad_rows(void **state)
{
	struct cp_lease l;
	struct cp_org_money m;
	uint8_t junk[] = {0xff, 0xff, 0xff};
	assert_int_equal(cp_row_lease_decode(junk, sizeof(junk), &l), SY_ESTORE);
	/* an org id longer than the struct holds */
	char id[200];
	memset(id, 'o', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	Sy__LedgerLease r = SY__LEDGER_LEASE__INIT;
	r.org_id = id;
	uint8_t buf[512];
	size_t n = sy__ledger_lease__pack(&r, buf);
	assert_int_equal(cp_row_lease_decode(buf, n, &l), SY_ESTORE);
	/* more budget periods than there are */
	int64_t budgets[CP_BUDGET_PERIODS + 1] = {0};
	Sy__LedgerOrgMoney om = SY__LEDGER_ORG_MONEY__INIT;
	om.n_budget = CP_BUDGET_PERIODS + 1;
	om.budget = budgets;
	n = sy__ledger_org_money__pack(&om, buf);
	assert_int_equal(cp_row_org_money_decode(buf, n, &m), SY_ESTORE);
	/* a layout-1 row of the wrong size cannot be upgraded */
	assert_int_equal(cp_row_upgrade(CP_T_LEASES, junk, sizeof(junk), buf, &n), SY_ESTORE);
	assert_false(cp_row_versioned(CP_T_GENERATIONS));
}

/* ---- a store written by layout 1 ------------------------------------------------------- */

/* The structs exactly as layout 1 memcpy'd them into LMDB. */
struct org_money_v1 {
	int64_t credits, purchased, posted, pending, overspend;
	int64_t spend[3], spend_start[3], budget[4];
	uint8_t has_budget[4];
	uint64_t ledger_seq;
};
struct lease_v1 {
	char org_id[65], key_hash[65];
	int64_t amount, expires_ms;
	uint8_t closed;
};
struct key_usage_v1 {
	int64_t total, daily, daily_start, weekly, weekly_start, monthly, monthly_start;
};

static void put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *val, size_t len)
{
	MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

/* Write dir/data.mdb as a layout-1 controlplane left it: no meta/layout, raw structs. */
static void write_layout1(const char *dir, const void *extra_lease, size_t extra_len)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi money, leases, usage, meta;
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 32);
	assert_int_equal(mdb_env_set_mapsize(env, 64 << 20), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "org_money", MDB_CREATE, &money), 0);
	assert_int_equal(mdb_dbi_open(txn, "leases", MDB_CREATE, &leases), 0);
	assert_int_equal(mdb_dbi_open(txn, "key_usage", MDB_CREATE, &usage), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
	uint64_t seq = 7;
	put(txn, meta, "seq", &seq, sizeof(seq));
	struct org_money_v1 m = {.credits = 1000,
	                         .purchased = 900,
	                         .posted = 300,
	                         .pending = 50,
	                         .overspend = 2,
	                         .spend = {10, 20, 30},
	                         .spend_start = {86400, 86400 * 4, 86400 * 30},
	                         .budget = {0, 0, 5000, 0},
	                         .has_budget = {0, 0, 1, 0},
	                         .ledger_seq = 3};
	put(txn, money, ORG, &m, sizeof(m));
	struct lease_v1 l = {.org_id = ORG,
	                     .key_hash = HASH,
	                     .amount = 50,
	                     .expires_ms = 4102444800000LL,
	                     .closed = 0};
	put(txn, leases, "w0-abcdefgh.1", &l, sizeof(l));
	if (extra_lease)
		put(txn, leases, "w0-abcdefgh.2", extra_lease, extra_len);
	struct key_usage_v1 u = {.total = 300, .daily = 10, .daily_start = 86400};
	put(txn, usage, HASH, &u, sizeof(u));
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void check_legacy_values(struct cp_store *s)
{
	struct cp_txn *t = cp_store_begin(s, false);
	assert_non_null(t);
	struct cp_org_money m;
	assert_int_equal(cp_money_read(t, ORG, &m), 0);
	assert_int_equal(m.credits, 1000);
	assert_int_equal(m.purchased, 900);
	assert_int_equal(m.posted, 300);
	assert_int_equal(m.pending, 50);
	assert_int_equal(m.overspend, 2);
	assert_int_equal(m.spend[2], 30);
	assert_int_equal(m.spend_start[1], 86400 * 4);
	assert_int_equal(m.budget[2], 5000);
	assert_int_equal(m.has_budget[2], 1);
	assert_int_equal(m.has_budget[0], 0);
	assert_int_equal(m.ledger_seq, 3);
	struct cp_lease l;
	assert_int_equal(cp_money_lease_get(t, "w0-abcdefgh.1", &l), 0);
	assert_string_equal(l.org_id, ORG);
	assert_string_equal(l.key_hash, HASH);
	assert_int_equal(l.amount, 50);
	assert_int_equal(l.expires_ms, 4102444800000LL);
	assert_int_equal(l.closed, 0);
	struct cp_key_usage u;
	assert_int_equal(cp_ledger_key_usage(t, HASH, 86400 + 60, &u), 0);
	assert_int_equal(u.total, 300);
	assert_int_equal(u.daily, 10);
	cp_store_abort(&t);
}

/* A layout-1 store is upgraded when opened, keeps its seq, and reads as it was written;
 * opening it again finds it upgraded and reads the same. */
static void test_opens_layout1_store(void **state)
{
	char dir[sizeof(TEST_DIR_TEMPLATE)] = TEST_DIR_TEMPLATE;
	const char *why = NULL;
	assert_non_null(mkdtemp(dir));
	write_layout1(dir, NULL, 0);
	struct cp_store *s = cp_store_open(dir, 64, &why);
	assert_non_null(s);
	assert_int_equal(cp_store_seq(s), 7);
	check_legacy_values(s);
	/* and the upgraded lease is usable: giving it back releases its money */
	struct cp_txn *t = cp_store_begin(s, true);
	Sy__LeaseReturn r = SY__LEASE_RETURN__INIT;
	r.lease_id = "w0-abcdefgh.1";
	r.amount = 50;
	r.has_amount = true;
	assert_int_equal(cp_money_return(t, &r), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	cp_store_free(&s);

	s = cp_store_open(dir, 64, &why);
	assert_non_null(s);
	t = cp_store_begin(s, false);
	struct cp_org_money m;
	assert_int_equal(cp_money_read(t, ORG, &m), 0);
	assert_int_equal(m.pending, 0);
	assert_int_equal(m.credits, 1000);
	cp_store_abort(&t);
	test_store_free(&s, dir);
}

/* A layout-1 row of the wrong size stops the open (nothing is half-upgraded). */
static void test_layout1_bad_row_refused(void **state)
{
	char dir[sizeof(TEST_DIR_TEMPLATE)] = TEST_DIR_TEMPLATE;
	const char *why = NULL;
	assert_non_null(mkdtemp(dir));
	write_layout1(dir, "short", 5);
	struct cp_store *s = cp_store_open(dir, 64, &why);
	assert_null(s);
	assert_non_null(why);
	assert_non_null(strstr(why, "layout 1"));
	test_store_free(&s, dir);
}

int main(void)
{
	sy_log_level = SY_LOG_ERROR;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_bad_rows),
	    cmocka_unit_test(test_opens_layout1_store),
	    cmocka_unit_test(test_layout1_bad_row_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
