/* dp_catalog.h - the JSON bodies of the public read-only endpoints, from a view.
 *
 * Shapes follow OpenRouter's public API as its official SDK validates them (API-NOTES.md):
 * GET /models, /models/{author}/{slug}/endpoints, /providers, /key and /generation.
 * Every builder returns a new reference (NULL on allocation failure) and never includes a
 * credential: provider keys, base URLs and key hashes stay out. */
#ifndef DP_CATALOG_H
#define DP_CATALOG_H

#include "switchyard.pb-c.h"

#include <jansson.h>

struct dp_view;
struct dp_policy;

/* {"data":[Model...],"links":{"next":null},"total_count":N}: the models that have at least
 * one endpoint on a known provider, in id order, priced from their cheapest endpoint; a model
 * with free endpoints (dp_free) also as "<id>:free", priced from those. With
 * pol (GET /models/user): only the models and endpoints that policy allows. */
json_t *dp_catalog_models(const struct dp_view *v, const struct dp_policy *pol);
/* OpenRouter's modality filters of GET /models on a dp_catalog_models list: input and output
 * (the query's input_modalities and output_modalities, NULL when absent) are comma-separated
 * modalities, and a model stays when its architecture lists any of them; "all" (or NULL for
 * input) keeps every model. Output defaults to "text", as OpenRouter's: embeddings models
 * show only when asked for. total_count follows. */
void dp_catalog_filter_modalities(json_t *list, const char *input, const char *output);
/* {"data":{id,name,created,description,architecture,endpoints:[...]}} for model m. */
json_t *dp_catalog_model_endpoints(const struct dp_view *v, const Sy__Model *m);
/* {"data":[{name,slug,privacy_policy_url,terms_of_service_url,status_page_url}...]}. */
json_t *dp_catalog_providers(const struct dp_view *v);
/* GET /endpoints/zdr: {"data": [endpoint]}, every endpoint whose provider retains no data. */
json_t *dp_catalog_zdr_endpoints(const struct dp_view *v);
/* {"data":{...}} for GET /key called with inference key k of org (NULL: not synced yet). */
json_t *dp_catalog_key(const Sy__ApiKey *k, const Sy__Org *org);
/* {"data":{...}} for GET /key called with management key mk. */
json_t *dp_catalog_mgmt_key(const Sy__MgmtKey *mk);
/* {"data":{...}} for GET /generation: OpenRouter's generation fields from a usage record.
 * v (may be NULL) supplies provider display names for the attempts. */
json_t *dp_catalog_generation(const struct dp_view *v, const Sy__UsageRecord *r);

#endif
