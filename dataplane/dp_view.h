/* dp_view.h - a worker's in-memory copy of the controlplane's state, as immutable generations.
 *
 * dp_sync builds a new generation from a snapshot (or the current one plus updates) and swaps
 * it in; a request takes a reference to the generation it started with and keeps it until it
 * ends, so lookups never see a half-applied update. Objects returned by lookups live as long
 * as the generation. */
#ifndef DP_VIEW_H
#define DP_VIEW_H

#include "switchyard.pb-c.h"

#include <stddef.h>
#include <stdint.h>

struct dp_view;

/* An empty, mutable view (seq 0) to fill with dp_view_apply. NULL on failure. */
struct dp_view *dp_view_new(void);
/* A mutable copy of v (refcount 1) to apply updates to before publishing. NULL on failure. */
struct dp_view *dp_view_clone(const struct dp_view *v);
/* Apply one upsert/delete (copies what it needs from u). 0, SY_EPROTO for an invalid update. */
int dp_view_apply(struct dp_view *v, const Sy__Update *u);
/* Set the seq this view reflects. */
void dp_view_set_seq(struct dp_view *v, uint64_t seq);
uint64_t dp_view_seq(const struct dp_view *v);

/* Take a reference. */
struct dp_view *dp_view_ref(struct dp_view *v);
/* Drop a reference (frees at zero); idempotent; nulls *vp. */
void dp_view_unref(struct dp_view **vp);

/* Lookups: NULL when absent. */
const Sy__ApiKey *dp_view_key(const struct dp_view *v, const char *hash);
const Sy__MgmtKey *dp_view_mkey(const struct dp_view *v, const char *hash);
const Sy__Org *dp_view_org(const struct dp_view *v, const char *id);
const Sy__Provider *dp_view_provider(const struct dp_view *v, const char *slug);
const Sy__Model *dp_view_model(const struct dp_view *v, const char *id);
/* The controlplane's published measurements of an endpoint (stats/<model id>), NULL when it
 * has none. */
const Sy__EndpointStat *dp_view_endpoint_stat(const struct dp_view *v, const char *model_id,
                                              const char *provider);
/* The auto-router rules (autorouter/default), NULL when none are configured. */
const Sy__AutoRouter *dp_view_auto_router(const struct dp_view *v);
/* Models and providers in id order, for listings. */
size_t dp_view_model_count(const struct dp_view *v);
const Sy__Model *dp_view_model_at(const struct dp_view *v, size_t i);
size_t dp_view_provider_count(const struct dp_view *v);
const Sy__Provider *dp_view_provider_at(const struct dp_view *v, size_t i);
/* The org's own credential for a provider (BYOK), NULL when it has none. */
const Sy__OrgCredential *dp_view_credential(const struct dp_view *v, const char *org_id,
                                            const char *provider);
/* Guardrails in id order (dp_policy finds those that apply to a key). */
size_t dp_view_guardrail_count(const struct dp_view *v);
const Sy__Guardrail *dp_view_guardrail_at(const struct dp_view *v, size_t i);

#endif
