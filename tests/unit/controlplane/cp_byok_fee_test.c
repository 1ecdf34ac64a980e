/* cp_byok_fee_test.c - the BYOK fee: its rounding, the free requests of a month, the month's
 * rollover, and the charge settled and counted at intake (cp_ledger). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_audit.h"
#include "cp_byok_fee.h"
#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_test_util.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_log.h"

#define ORG "org_test"
#define HASH "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DEC_2026 1796083200 /* 2026-12-01T00:00:00Z */
#define JAN_2027 1798761600 /* 2027-01-01T00:00:00Z */

static Sy__UsageRecord rec(const char *id, int64_t cost, int64_t at, bool byok)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)id;
	r.org_id = (char *)ORG;
	r.key_hash = (char *)HASH;
	r.has_cost = true;
	r.cost = cost;
	r.has_created_at = true;
	r.created_at = at;
	r.has_is_byok = true;
	r.is_byok = byok;
	return r;
}

/* The fee is bp/10000 of the cost rounded up to a whole unit, never above the cost. */
static void test_fee_rounding(void **state)
{
	(void)state;
	assert_int_equal(cp_byok_fee_of(350000, 500), 17500);          /* exact: 5 % */
	assert_int_equal(cp_byok_fee_of(1, 500), 1);                   /* 0.05 unit rounds up */
	assert_int_equal(cp_byok_fee_of(21, 500), 2);                  /* 1.05 -> 2 */
	assert_int_equal(cp_byok_fee_of(20, 500), 1);                  /* 1.00 exactly */
	assert_int_equal(cp_byok_fee_of(12345, 0), 0);                 /* no fee */
	assert_int_equal(cp_byok_fee_of(0, 500), 0);                   /* nothing to charge on */
	assert_int_equal(cp_byok_fee_of(12345, 10000), 12345);         /* 100 % is the cost */
	assert_int_equal(cp_byok_fee_of(12345, 20000), 12345);         /* clamped to 100 % */
	assert_int_equal(cp_byok_fee_of(INT64_MAX, 10000), INT64_MAX); /* no overflow */
	assert_int_equal(cp_byok_fee_of(INT64_MAX, 5000), INT64_MAX / 2 + 1);
}

/* Apply one record through the ledger; returns the stored record's byok_waived. */
static int64_t apply(struct test_fixture *f, const struct cp_byok_fee *fee, Sy__UsageRecord r)
{
	Sy__UsageRecord *batch[] = {&r};
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, fee, batch, 1, &stored, &dups, &invalid), 0);
	struct cp_txn *t = cp_store_begin(f->s, false);
	Sy__UsageRecord *got = NULL;
	assert_int_equal(cp_ledger_generation(t, r.id, &got), 0);
	cp_store_abort(&t);
	int64_t w = got->has_byok_waived ? got->byok_waived : -1;
	sy__usage_record__free_unpacked(got, NULL);
	return w;
}

static sy_money posted(struct test_fixture *f)
{
	struct cp_org_money m;
	struct cp_txn *t = cp_store_begin(f->s, false);
	assert_int_equal(cp_money_read(t, ORG, &m), 0);
	cp_store_abort(&t);
	return m.posted;
}

/* Usage example: two free BYOK requests a month; the third pays 5 %; a resent record is not
 * counted again; a new month starts free again; a late record of the old month pays. */
static void test_free_requests_then_fee(void **state)
{
	struct test_fixture *f = *state;
	const struct cp_byok_fee fee = {500, 2};
	assert_int_equal(apply(f, &fee, rec("g1", 1000, DEC_2026 + 10, true)), 1000);
	assert_int_equal(apply(f, &fee, rec("g2", 1000, DEC_2026 + 20, true)), 1000);
	assert_int_equal(posted(f), 0);
	/* resent: a duplicate, neither counted nor charged again */
	assert_int_equal(apply(f, &fee, rec("g2", 1000, DEC_2026 + 20, true)), 1000);
	assert_int_equal(apply(f, &fee, rec("g3", 1000, DEC_2026 + 30, true)), 950);
	assert_int_equal(posted(f), 50);
	/* not BYOK: the whole cost, and not counted as a BYOK request */
	assert_int_equal(apply(f, &fee, rec("g4", 1000, DEC_2026 + 40, false)), -1);
	assert_int_equal(posted(f), 1050);
	struct cp_txn *t = cp_store_begin(f->s, false);
	uint32_t n;
	assert_int_equal(cp_byok_fee_count(t, ORG, DEC_2026, &n), 0);
	assert_int_equal(n, 3);
	cp_store_abort(&t);
	/* the next month starts free again */
	assert_int_equal(apply(f, &fee, rec("g5", 1000, JAN_2027 + 5, true)), 1000);
	/* a December record arriving after January's: the fee */
	assert_int_equal(apply(f, &fee, rec("g6", 1000, DEC_2026 + 50, true)), 950);
	assert_int_equal(posted(f), 1100);
	t = cp_store_begin(f->s, false);
	assert_int_equal(cp_byok_fee_count(t, ORG, JAN_2027, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp_byok_fee_count(t, ORG, DEC_2026, &n), 0);
	assert_int_equal(n, 0);
	struct cp_key_usage u;
	assert_int_equal(cp_ledger_key_usage(t, HASH, JAN_2027 + 60, &u), 0);
	assert_int_equal(u.total, 1100); /* the key counts what the org was charged */
	assert_int_equal(u.monthly, 0);  /* January's only request was free */
	/* BYOK usage is the provider price; the limit counts all of it only when included */
	assert_int_equal(u.byok[SY_PERIOD_LIFETIME], 5000);
	assert_int_equal(u.byok[SY_PERIOD_MONTHLY], 1000);
	assert_int_equal(u.byok_waived[SY_PERIOD_LIFETIME], 4900);
	assert_int_equal(cp_ledger_limit_usage(&u, NULL, false), 1100);
	assert_int_equal(cp_ledger_limit_usage(&u, NULL, true), 6000); /* every cost */
	assert_int_equal(cp_ledger_limit_usage(&u, "monthly", false), 0);
	assert_int_equal(cp_ledger_limit_usage(&u, "monthly", true), 1000);
	assert_int_equal(cp_ledger_limit_usage(&u, "daily", true), 1000); /* g5, that day */
	cp_store_abort(&t);
}

/* No free requests: every BYOK request pays from the first; the default config is 5 %. */
static void test_no_free_requests(void **state)
{
	struct test_fixture *f = *state;
	const struct cp_byok_fee fee = {250, 0};
	assert_int_equal(apply(f, &fee, rec("h1", 999, DEC_2026, true)), 999 - 25);
	assert_int_equal(apply(f, NULL, rec("h2", 999, DEC_2026, true)), 999); /* 1 M free */
	assert_int_equal(posted(f), 25);
	Sy__UsageRecord r = rec("x", 999, DEC_2026, true);
	r.has_byok_waived = true;
	r.byok_waived = 999 - 50;
	assert_int_equal(cp_byok_fee_charged(&r), 50);
}

static size_t audit(struct test_fixture *f)
{
	size_t v = 99;
	FILE *out = fopen("/dev/null", "w");
	assert_non_null(out);
	assert_int_equal(cp_audit_store(f->s, out, &v), 0);
	fclose(out);
	return v;
}

/* Usage example: the audit reconciles BYOK fees, free requests and BYOK usage; a month's
 * count, a key's BYOK counter or a generation's waived part that does not add up is
 * reported. */
static void test_audit(void **state)
{
	struct test_fixture *f = *state;
	const struct cp_byok_fee fee = {500, 1};
	int64_t now = sy_unix_s();
	apply(f, &fee, rec("a1", 1000, now, true));
	apply(f, &fee, rec("a2", 1000, now, true));
	apply(f, &fee, rec("a3", 1000, now, false));
	assert_int_equal(posted(f), 1050);
	assert_int_equal(audit(f), 0);
	/* the month's count off by one */
	struct cp_txn *t = cp_store_begin(f->s, true);
	struct {
		int64_t month;
		uint32_t count, pad;
	} use = {sy_period_start(SY_PERIOD_MONTHLY, now), 3, 0};
	assert_int_equal(cp_store_raw_put(t, CP_T_BYOK_USE, ORG, &use, sizeof(use), false), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	assert_int_equal(audit(f), 1);
	use.count = 2;
	t = cp_store_begin(f->s, true);
	assert_int_equal(cp_store_raw_put(t, CP_T_BYOK_USE, ORG, &use, sizeof(use), false), 0);
	/* a generation claiming to waive more of a non-BYOK cost */
	Sy__UsageRecord r = rec("a4", 500, now, false);
	r.has_byok_waived = true;
	r.byok_waived = 500;
	size_t n = sy__usage_record__get_packed_size(&r);
	uint8_t buf[256];
	assert_true(n <= sizeof(buf));
	sy__usage_record__pack(&r, buf);
	assert_int_equal(cp_store_raw_put(t, CP_T_GENERATIONS, "a4", buf, n, true), 0);
	char idx[128];
	snprintf(idx, sizeof(idx), "%s/%012lld/a4", ORG, (long long)now);
	assert_int_equal(cp_store_raw_put(t, CP_T_GEN_BY_ORG, idx, "", 0, false), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	assert_int_equal(audit(f), 1);
}

int main(void)
{
	sy_log_level = SY_LOG_ERROR;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fee_rounding),
	    cmocka_unit_test_setup_teardown(test_free_requests_then_fee, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_no_free_requests, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_audit, test_fixture_setup, test_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
