/* cp_retention_test.c - generations past the retention folded into daily aggregates. */
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
#include "cp_retention.h"
#include "cp_test_util.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_err.h"

#define HASH "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DAY 86400

static Sy__UsageRecord rec(const char *id, int64_t cost, int64_t at, uint32_t status)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT;
	r.id = (char *)id;
	r.org_id = "org_a";
	r.key_hash = HASH;
	r.model = "m/one";
	r.provider = "p1";
	r.has_cost = r.has_created_at = r.has_status = true;
	r.has_prompt_tokens = r.has_completion_tokens = true;
	r.cost = cost;
	r.created_at = at;
	r.status = status;
	r.prompt_tokens = 3;
	r.completion_tokens = 10;
	return r;
}

struct sums {
	uint64_t requests, prompt, completion, rows;
	sy_money cost;
};

static int add_row(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct sums *s = arg;
	Sy__UsageRecord *r = sy__usage_record__unpack(NULL, len, v);
	assert_non_null(r);
	s->rows++;
	s->requests += cp_retention_requests(r);
	s->cost += r->cost;
	s->prompt += r->prompt_tokens;
	s->completion += r->completion_tokens;
	sy__usage_record__free_unpacked(r, NULL);
	return 0;
}

static struct sums sums(struct cp_store *s)
{
	struct sums x = {0};
	struct cp_txn *t = cp_store_begin(s, false);
	assert_int_equal(cp_store_raw_each(t, CP_T_GENERATIONS, "", add_row, &x), 0);
	cp_store_abort(&t);
	return x;
}

static size_t audit(struct cp_store *s)
{
	size_t v = 0;
	FILE *out = fopen("/dev/null", "w");
	assert_int_equal(cp_audit_store(s, out, &v), 0);
	fclose(out);
	return v;
}

/* Usage example: old generations become one aggregate per day and kind; every sum the
 * activity, the reports and the audit read stays the same. */
static void test_fold_keeps_the_sums(void **state)
{
	struct test_fixture *f = *state;
	int64_t now = sy_unix_s(), old = sy_period_start(SY_PERIOD_DAILY, now) - 10 * DAY + 3600;
	Sy__UsageRecord a = rec("gen-a", 100, old, 200), b = rec("gen-b", 250, old + 60, 200),
	                c = rec("gen-c", 0, old + 120, 502), d = rec("gen-d", 40, old - DAY, 200),
	                e = rec("gen-e", 7, now, 200);
	Sy__UsageRecord *batch[] = {&a, &b, &c, &d, &e};
	size_t stored, dups, invalid, folded;
	assert_int_equal(cp_ledger_apply(f->s, NULL, batch, 5, &stored, &dups, &invalid), 0);
	assert_int_equal(stored, 5);
	struct sums before = sums(f->s);
	size_t violations = audit(f->s);
	assert_int_equal(violations, 0);

	assert_int_equal(cp_retention_fold(f->s, now - 7 * DAY, 1000, &folded), 0);
	assert_int_equal(folded, 4);
	struct sums after = sums(f->s);
	/* a, b (same day and kind) in one aggregate; c (an error) and d (a day earlier) apart */
	assert_int_equal(after.rows, 4);
	assert_int_equal(after.requests, before.requests);
	assert_int_equal(after.cost, before.cost);
	assert_int_equal(after.prompt, before.prompt);
	assert_int_equal(after.completion, before.completion);
	assert_int_equal(audit(f->s), violations);

	struct cp_txn *t = cp_store_begin(f->s, false);
	Sy__UsageRecord *r = NULL;
	assert_int_equal(cp_ledger_generation(t, "gen-a", &r), SY_ENOTFOUND);
	assert_int_equal(cp_ledger_generation(t, "gen-e", &r), 0); /* recent: kept */
	sy__usage_record__free_unpacked(r, NULL);
	cp_store_abort(&t);

	/* folding again finds nothing; a later fold adds into the same aggregate */
	assert_int_equal(cp_retention_fold(f->s, now - 7 * DAY, 1000, &folded), 0);
	assert_int_equal(folded, 0);
	Sy__UsageRecord late = rec("gen-late", 5, old + 300, 200);
	Sy__UsageRecord *b2[] = {&late};
	assert_int_equal(cp_ledger_apply(f->s, NULL, b2, 1, &stored, &dups, &invalid), 0);
	assert_int_equal(cp_retention_fold(f->s, now - 7 * DAY, 1000, &folded), 0);
	assert_int_equal(folded, 1);
	after = sums(f->s);
	assert_int_equal(after.rows, 4);
	assert_int_equal(after.requests, before.requests + 1);
	assert_int_equal(after.cost, before.cost + 5);
	assert_int_equal(audit(f->s), violations);
}

/* At most max per transaction: the rest waits for the next fold. */
static void test_fold_is_bounded(void **state)
{
	struct test_fixture *f = *state;
	int64_t old = sy_unix_s() - 30 * DAY;
	Sy__UsageRecord r[5];
	Sy__UsageRecord *batch[5];
	char ids[5][16];
	for (int i = 0; i < 5; i++) {
		snprintf(ids[i], sizeof(ids[i]), "gen-%d", i);
		r[i] = rec(ids[i], 10, old + i, 200);
		batch[i] = &r[i];
	}
	size_t stored, dups, invalid, folded;
	assert_int_equal(cp_ledger_apply(f->s, NULL, batch, 5, &stored, &dups, &invalid), 0);
	assert_int_equal(cp_retention_fold(f->s, old + DAY, 2, &folded), 0);
	assert_int_equal(folded, 2);
	assert_int_equal(cp_retention_fold(f->s, old + DAY, 10, &folded), 0);
	assert_int_equal(folded, 3);
	struct sums s = sums(f->s);
	assert_int_equal(s.requests, 5);
	assert_int_equal(s.cost, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fold_keeps_the_sums, test_fixture_setup,
	                                    test_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_fold_is_bounded, test_fixture_setup,
	                                    test_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
