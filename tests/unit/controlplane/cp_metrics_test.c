/* cp_metrics_test.c - the controlplane's exposition: counters, seq, LMDB map use, ledger
 * totals over orgs and leases. */
#include "cp_metrics.h"
#include "cp_money.h"
#include "cp_row.h"
#include "cp_test_util.h"
#include "sy_log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Usage: count, render, find the samples. */
static void test_counters_and_seq(void **state)
{
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s = test_store_new(dir);
	assert_non_null(s);
	cp_metrics = (struct cp_metrics){0};
	cp_metrics.usage_stored = 3;
	cp_metrics.admin_responses[4] = 2;
	char *text = cp_metrics_render(s);
	assert_non_null(text);
	assert_non_null(strstr(text, "# TYPE switchyard_cp_usage_records_stored_total counter\n"
	                             "switchyard_cp_usage_records_stored_total 3\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_admin_responses_total{code=\"4xx\"} 2\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_seq 0\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_lmdb_map_size_bytes 67108864\n"));
	const char *used = strstr(text, "\nswitchyard_cp_lmdb_used_bytes ");
	assert_non_null(used);
	long long u = atoll(used + strlen("\nswitchyard_cp_lmdb_used_bytes "));
	assert_true(u > 0 && u % 4096 == 0 && u < 67108864);
	assert_non_null(strstr(text, "\nswitchyard_cp_leases 0\n"));
	free(text);
	test_store_free(&s, dir);
}

static void test_ledger_totals(void **state)
{
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s = test_store_new(dir);
	assert_non_null(s);
	struct cp_txn *t = cp_store_begin(s, true);
	struct cp_org_money a = {.credits = 10 * SY_MONEY_SCALE,
	                         .posted = SY_MONEY_SCALE / 4,
	                         .pending = SY_MONEY_SCALE / 2};
	struct cp_org_money b = {.credits = 5 * SY_MONEY_SCALE, .overspend = 7};
	assert_int_equal(cp_money_write(t, "org_a", &a), 0);
	assert_int_equal(cp_money_write(t, "org_b", &b), 0);
	struct cp_lease l1 = {.org_id = "org_a", .amount = SY_MONEY_SCALE / 4};
	struct cp_lease l2 = {.org_id = "org_a", .amount = SY_MONEY_SCALE / 4};
	uint8_t row[CP_ROW_MAX];
	size_t len = cp_row_lease_encode(&l1, row);
	assert_int_equal(cp_store_raw_put(t, CP_T_LEASES, "lease-1", row, len, false), 0);
	len = cp_row_lease_encode(&l2, row);
	assert_int_equal(cp_store_raw_put(t, CP_T_LEASES, "lease-2", row, len, false), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	char *text = cp_metrics_render(s);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nswitchyard_cp_ledger_orgs 2\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_ledger_credits_usd 15\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_ledger_posted_usd 0.25\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_ledger_pending_usd 0.5\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_ledger_overspend_usd 0.0000000007\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_leases 2\n"));
	assert_non_null(strstr(text, "\nswitchyard_cp_leases_held_usd 0.5\n"));
	free(text);
	test_store_free(&s, dir);
}

int main(void)
{
	sy_log_level = SY_LOG_WARN;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters_and_seq),
	    cmocka_unit_test(test_ledger_totals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
