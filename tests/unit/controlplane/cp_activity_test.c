/* cp_activity_test.c - generations summed by dimension (cp_activity_collect): groupings,
 * the range, the org and key filters, apps, the sort by tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cp_activity.h"
#include "cp_ledger.h"
#include "cp_test_util.h"

#define T0 1790000000LL /* 2026-09-21T14:13:20Z */
#define DAY 86400

static void add(struct test_fixture *f, const char *id, const char *org, const char *key,
                const char *model, const char *provider, int64_t at, unsigned completion,
                const char *title, const char *referer)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT, *p = &r;
	r.id = (char *)id;
	r.key_hash = (char *)key;
	r.org_id = (char *)org;
	r.model = (char *)model;
	r.provider = (char *)provider;
	r.provider_name = provider[0] == 'a' ? "Alpha Cloud" : "Beta Cloud";
	r.created_at = at;
	r.has_created_at = true;
	r.has_cost = r.has_prompt_tokens = r.has_completion_tokens = true;
	r.cost = 7;
	r.prompt_tokens = 10;
	r.completion_tokens = completion;
	r.app_title = (char *)title;
	r.http_referer = (char *)referer;
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, NULL, &p, 1, &stored, &dups, &invalid), 0);
	assert_int_equal(stored, 1);
}

static const char *const K1 = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *const K2 = "2222222222222222222222222222222222222222222222222222222222222222";

static int setup(void **state)
{
	int rc = test_fixture_setup(state);
	struct test_fixture *f = *state;
	add(f, "gen-1", "org_a", K1, "m/x", "alpha", T0, 5, "App", "https://app");
	add(f, "gen-2", "org_a", K1, "m/x", "alpha", T0 + 60, 5, NULL, "https://ref");
	add(f, "gen-3", "org_a", K2, "m/y", "beta", T0 + DAY, 100, NULL, NULL);
	add(f, "gen-4", "org_b", K1, "m/x", "beta", T0 + DAY, 20, "App", NULL);
	add(f, "gen-5", "org_a", K1, "m/x", "alpha", T0 + 9 * DAY, 1, NULL, NULL); /* later */
	return rc;
}

/* The groups as "v|v|...=requests/completion" joined by spaces, in their order. */
static const char *show(const struct cp_activity *a, unsigned dims, char *buf, size_t n)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < a->n; i++) {
		pos += (size_t)snprintf(buf + pos, n - pos, "%s", i ? " " : "");
		for (int d = 0; d < CP_DIM_N; d++)
			if (dims & CP_DIM(d))
				pos += (size_t)snprintf(buf + pos, n - pos, "%s|", a->g[i].v[d]);
		pos += (size_t)snprintf(buf + pos, n - pos, "=%llu/%llu",
		                        (unsigned long long)a->g[i].requests,
		                        (unsigned long long)a->g[i].completion);
	}
	return buf;
}

static void test_groupings(void **state)
{
	struct test_fixture *f = *state;
	struct cp_txn *t = cp_store_begin(f->s, false);
	assert_non_null(t);
	const unsigned ep = CP_DIM(CP_DIM_DATE) | CP_DIM(CP_DIM_MODEL) | CP_DIM(CP_DIM_PROVIDER);
	struct {
		struct cp_activity_query q;
		const char *want;
	} cases[] = {
	    {{.from = T0, .to = T0 + 2 * DAY, .dims = ep},
	     "2026-09-21|m/x|alpha|=2/10 2026-09-22|m/x|beta|=1/20 2026-09-22|m/y|beta|=1/100"},
	    {{.org = "org_a", .from = T0, .to = T0 + 2 * DAY, .dims = ep | CP_DIM(CP_DIM_ORG)},
	     "2026-09-21|m/x|alpha|org_a|=2/10 2026-09-22|m/y|beta|org_a|=1/100"},
	    {{.from = T0, .to = T0 + 10 * DAY, .dims = CP_DIM(CP_DIM_MODEL)},
	     "m/x|=4/31 m/y|=1/100"},
	    {{.from = T0 + 1, .to = T0 + DAY, .dims = CP_DIM(CP_DIM_MODEL)}, "m/x|=1/5"},
	    {{.key_hash = K2, .from = T0, .to = T0 + 10 * DAY, .dims = CP_DIM(CP_DIM_KEY)},
	     "2222222222222222222222222222222222222222222222222222222222222222|=1/100"},
	    {{.from = T0, .to = T0 + 10 * DAY, .dims = CP_DIM(CP_DIM_APP)},
	     "|=2/101 App|=2/25 https://ref|=1/5"},
	    {{.org = "org_c", .from = 0, .to = T0 * 2, .dims = CP_DIM(CP_DIM_DATE)}, ""},
	};
	char buf[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_activity a;
		assert_int_equal(cp_activity_collect(t, &cases[i].q, &a), 0);
		if (strcmp(show(&a, cases[i].q.dims, buf, sizeof(buf)), cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, buf, cases[i].want);
		if (cases[i].q.dims & CP_DIM(CP_DIM_PROVIDER))
			assert_string_equal(a.g[0].provider_name, "Alpha Cloud");
		assert_true(a.n == 0 || a.g[0].usage == 7 * (int64_t)a.g[0].requests);
		cp_activity_release(&a);
	}
	/* by tokens, most first: the app without a name too (callers skip it) */
	struct cp_activity a;
	struct cp_activity_query q = {.from = T0, .to = T0 + 10 * DAY, .dims = CP_DIM(CP_DIM_APP)};
	assert_int_equal(cp_activity_collect(t, &q, &a), 0);
	cp_activity_sort_by_tokens(&a);
	assert_string_equal(show(&a, q.dims, buf, sizeof(buf)),
	                    "|=2/101 App|=2/25 https://ref|=1/5");
	cp_activity_release(&a);
	q.dims = CP_DIM(CP_DIM_KEY);
	assert_int_equal(cp_activity_collect(t, &q, &a), 0);
	cp_activity_sort_by_tokens(&a);
	assert_string_equal(a.g[0].v[CP_DIM_KEY], K2); /* 110 tokens before 71 */
	cp_activity_release(&a);
	cp_store_abort(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_groupings, setup, test_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
