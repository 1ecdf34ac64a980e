/* cp_ledger_test.c - usage intake counts each generation once, into the right periods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cp_ledger.h"
#include "cp_test_util.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_log.h"

#define HASH "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static Sy__UsageRecord rec(const char *id, const char *hash, int64_t cost, int64_t at)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)id;
	r.key_hash = (char *)hash;
	r.cost = cost;
	r.has_cost = true;
	r.created_at = at;
	r.has_created_at = at != 0;
	return r;
}

static struct cp_key_usage usage_now(struct test_fixture *f, const char *hash)
{
	struct cp_key_usage u;
	struct cp_txn *t = cp_store_begin(f->s, false);
	assert_int_equal(cp_ledger_key_usage(t, hash, sy_unix_s(), &u), 0);
	cp_store_abort(&t);
	return u;
}

/* Usage example: a batch sent twice counts once; both times every id is accounted for. */
static void test_resend_counts_once(void **state)
{
	struct test_fixture *f = *state;
	int64_t now = sy_unix_s();
	Sy__UsageRecord a = rec("gen-1", HASH, 100, now), b = rec("gen-2", HASH, 250, now);
	Sy__UsageRecord *batch[] = {&a, &b};
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, NULL, batch, 2, &stored, &dups, &invalid), 0);
	assert_int_equal(stored, 2);
	assert_int_equal(dups, 0);
	assert_int_equal(cp_ledger_apply(f->s, NULL, batch, 2, &stored, &dups, &invalid), 0);
	assert_int_equal(stored, 0);
	assert_int_equal(dups, 2);
	struct cp_key_usage u = usage_now(f, HASH);
	assert_int_equal(u.total, 350);
	assert_int_equal(u.daily, 350);
	assert_int_equal(u.weekly, 350);
	assert_int_equal(u.monthly, 350);
	/* Usage is not distributable state: seq does not move. */
	assert_int_equal(cp_store_seq(f->s), 0);
}

static void test_generation_lookup(void **state)
{
	struct test_fixture *f = *state;
	Sy__UsageRecord a = rec("gen-9", HASH, 5, sy_unix_s());
	a.model = "mock/echo";
	Sy__UsageRecord *batch[] = {&a};
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, NULL, batch, 1, &stored, &dups, &invalid), 0);
	struct cp_txn *t = cp_store_begin(f->s, false);
	Sy__UsageRecord *got = NULL;
	assert_int_equal(cp_ledger_generation(t, "gen-9", &got), 0);
	assert_string_equal(got->model, "mock/echo");
	assert_int_equal(got->cost, 5);
	sy__usage_record__free_unpacked(got, NULL);
	assert_int_equal(cp_ledger_generation(t, "gen-10", &got), SY_ENOTFOUND);
	cp_store_abort(&t);
}

/* A late record from last month counts in the total only; records of an older day do not
 * reset today's counter. */
static void test_periods(void **state)
{
	struct test_fixture *f = *state;
	int64_t now = sy_unix_s();
	int64_t last_month = sy_period_start(SY_PERIOD_MONTHLY, now) - 86400;
	Sy__UsageRecord today = rec("gen-a", HASH, 1000, now);
	Sy__UsageRecord old = rec("gen-b", HASH, 7, last_month);
	Sy__UsageRecord *b1[] = {&today}, *b2[] = {&old};
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, NULL, b1, 1, &stored, &dups, &invalid), 0);
	assert_int_equal(cp_ledger_apply(f->s, NULL, b2, 1, &stored, &dups, &invalid), 0);
	struct cp_key_usage u = usage_now(f, HASH);
	assert_int_equal(u.total, 1007);
	assert_int_equal(u.daily, 1000);
	assert_int_equal(u.monthly, 1000);
	assert_int_equal(cp_ledger_limit_usage(&u, "daily", false), 1000);
	assert_int_equal(cp_ledger_limit_usage(&u, NULL, false), 1007);

	/* Read a day later: the daily counter has expired, the total has not. */
	struct cp_txn *t = cp_store_begin(f->s, false);
	struct cp_key_usage later;
	assert_int_equal(cp_ledger_key_usage(t, HASH, now + 86400, &later), 0);
	cp_store_abort(&t);
	assert_int_equal(later.daily, 0);
	assert_int_equal(later.total, 1007);
	assert_int_equal(later.daily_start, sy_period_start(SY_PERIOD_DAILY, now + 86400));
}

static void test_invalid_records_refused(void **state)
{
	struct test_fixture *f = *state;
	Sy__UsageRecord neg = rec("gen-n", HASH, -5, 0), noid = rec("", HASH, 5, 0),
	                badhash = rec("gen-h", "not-a-hash", 5, 0), ok = rec("gen-ok", HASH, 3, 0);
	Sy__UsageRecord *batch[] = {&neg, &noid, &badhash, &ok};
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, NULL, batch, 4, &stored, &dups, &invalid), 0);
	assert_int_equal(invalid, 3);
	assert_int_equal(stored, 1);
	assert_int_equal(usage_now(f, HASH).total, 3);
	struct cp_txn *t = cp_store_begin(f->s, false);
	Sy__UsageRecord *got = NULL;
	assert_int_equal(cp_ledger_generation(t, "gen-n", &got), SY_ENOTFOUND);
	cp_store_abort(&t);
}

int main(void)
{
	sy_log_level = SY_LOG_ERROR;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_resend_counts_once, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_generation_lookup, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_periods, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_records_refused, test_fixture_setup,
	                                    test_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
