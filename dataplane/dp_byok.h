/* dp_byok.h - bring your own key: an org's own provider credentials in the plan.
 *
 * An org may store its own credential for a provider (admin API, controlplane/cp_byok.h).
 * Its requests to that provider then use it: the org pays the provider directly. The
 * attempt keeps the provider's price, so the generation's cost is what the provider bills,
 * and is recorded with is_byok; the controlplane charges the org only the BYOK fee on it
 * (controlplane/cp_byok_fee.h). The worker reserves and settles the whole cost, which bounds
 * any fee. Should the provider refuse it (e.g. 401 for a revoked key), the
 * attempt fails like any other and the next target is tried: the operator's credential for
 * the same endpoint only when the org allows it (byok_fallback), else the next endpoint. */
#ifndef DP_BYOK_H
#define DP_BYOK_H

#include "dp_route.h"

struct dp_view;

/* Rewrite plan for org (NULL: nothing to do): each target whose provider the org has an
 * enabled credential for uses it (bearer, byok); with org->byok_fallback the
 * operator's target follows it. What no longer fits in DP_ROUTE_MAX drops off the end. */
void dp_byok_apply(struct dp_route_plan *plan, const struct dp_view *v, const Sy__Org *org);

#endif
