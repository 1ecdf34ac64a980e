/* dp_byok.c - the org's own credential before (or instead of) the operator's. */
#include "dp_byok.h"
#include "dp_view.h"

void dp_byok_apply(struct dp_route_plan *plan, const struct dp_view *v, const Sy__Org *org)
{
	if (!org)
		return;
	struct dp_route_target out[DP_ROUTE_MAX];
	size_t n = 0;
	for (size_t i = 0; i < plan->n && n < DP_ROUTE_MAX; i++) {
		const struct dp_route_target *t = &plan->t[i];
		const Sy__OrgCredential *oc = dp_view_credential(v, org->id, t->prov->slug);
		if (oc && !oc->disabled && oc->api_key && oc->api_key[0]) {
			out[n] = *t;
			out[n].bearer = oc->api_key;
			out[n].byok =
			    true; /* at the provider's price: the reservation bounds the fee */
			n++;
			if (!org->byok_fallback)
				continue;
		}
		if (n < DP_ROUTE_MAX)
			out[n++] = *t;
	}
	for (size_t i = 0; i < n; i++)
		plan->t[i] = out[i];
	plan->n = n;
}
