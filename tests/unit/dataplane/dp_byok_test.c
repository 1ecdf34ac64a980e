/* dp_byok_test.c - an org's own credentials in the plan: used first, the operator's after
 * them only with byok_fallback, other orgs and disabled credentials untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dp_byok.h"
#include "dp_view.h"

static void put_credential(struct dp_view *v, const char *org, const char *slug, const char *key,
                           bool disabled)
{
	char id[64], topic[80];
	snprintf(id, sizeof(id), "%s:%s", org, slug);
	snprintf(topic, sizeof(topic), "credential/%s", id);
	Sy__OrgCredential oc = SY__ORG_CREDENTIAL__INIT;
	oc.id = id;
	oc.org_id = (char *)org;
	oc.provider = (char *)slug;
	oc.api_key = (char *)key;
	oc.has_disabled = oc.disabled = disabled;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_CREDENTIAL;
	u.credential = &oc;
	assert_int_equal(dp_view_apply(v, &u), 0);
}

/* "slug[byok]" for each target. */
static const char *plan_str(const struct dp_route_plan *p)
{
	static char s[256];
	size_t used = 0;
	s[0] = '\0';
	for (size_t i = 0; i < p->n; i++)
		used += (size_t)snprintf(s + used, sizeof(s) - used, "%s%s%s", i ? " " : "",
		                         p->t[i].prov->slug, p->t[i].byok ? "[byok]" : "");
	return s;
}

static void test_own_credential_first(void **state)
{
	Sy__Provider pa = SY__PROVIDER__INIT, pb = SY__PROVIDER__INIT;
	pa.slug = "pa";
	pb.slug = "pb";
	struct dp_route_plan plan = {.n = 2};
	plan.t[0] = (struct dp_route_target){.prov = &pa, .price = {.prompt = 10000}};
	plan.t[1] = (struct dp_route_target){.prov = &pb, .price = {.prompt = 20000}};
	const struct dp_route_plan orig = plan;
	struct dp_view *v = dp_view_new();
	put_credential(v, "org_a", "pa", "sk-own", false);
	put_credential(v, "org_a", "pb", "sk-off", true);
	Sy__Org org = SY__ORG__INIT;
	org.id = "org_a";

	dp_byok_apply(&plan, v, &org);
	assert_string_equal(plan_str(&plan), "pa[byok] pb");
	assert_string_equal(plan.t[0].bearer, "sk-own");
	assert_int_equal(plan.t[0].price.prompt, 10000); /* the provider price: the fee is on it */
	assert_null(plan.t[1].bearer);

	plan = orig;
	org.has_byok_fallback = org.byok_fallback = true;
	dp_byok_apply(&plan, v, &org);
	assert_string_equal(plan_str(&plan), "pa[byok] pa pb");
	assert_int_equal(plan.t[1].price.prompt, 10000);

	plan = orig;
	org.id = "org_b";
	dp_byok_apply(&plan, v, &org);
	assert_string_equal(plan_str(&plan), "pa pb");
	dp_byok_apply(&plan, v, NULL);
	assert_string_equal(plan_str(&plan), "pa pb");
	dp_view_unref(&v);
}

/* A full plan stays within DP_ROUTE_MAX: what no longer fits drops off the end. */
static void test_full_plan(void **state)
{
	Sy__Provider pa = SY__PROVIDER__INIT;
	pa.slug = "pa";
	struct dp_route_plan plan = {.n = DP_ROUTE_MAX};
	for (size_t i = 0; i < DP_ROUTE_MAX; i++)
		plan.t[i] = (struct dp_route_target){.prov = &pa};
	struct dp_view *v = dp_view_new();
	put_credential(v, "org_a", "pa", "sk-own", false);
	Sy__Org org = SY__ORG__INIT;
	org.id = "org_a";
	org.byok_fallback = true;
	dp_byok_apply(&plan, v, &org);
	assert_int_equal(plan.n, DP_ROUTE_MAX);
	assert_true(plan.t[0].byok && !plan.t[1].byok && plan.t[DP_ROUTE_MAX - 2].byok);
	dp_view_unref(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_credential_first),
	    cmocka_unit_test(test_full_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
