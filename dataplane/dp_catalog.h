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
struct dp_catalog_query;

/* {"data":[Model...],"links":{"next":...},"total_count":N}: the models that have at least
 * one endpoint on a known provider and pass mq's filters (NULL: all), in id order, priced
 * from their cheapest endpoint (a model with free endpoints (dp_free) also as "<id>:free",
 * priced from those); total_count counts them all, data holds mq's page and
 * links.next (path with the query of the next page) is null on the last page. With pol
 * (GET /models/user): only the models and endpoints that policy allows. */
json_t *dp_catalog_models(const struct dp_view *v, const struct dp_policy *pol,
                          const struct dp_catalog_query *mq, const char *path);
/* GET /models/count: {"data":{"count":N}}, the models dp_catalog_models would list. */
json_t *dp_catalog_models_count(const struct dp_view *v, const struct dp_catalog_query *mq);
/* GET /model/{author}/{slug}: {"data":Model} as /models shows m; NULL when m has no endpoint
 * on a known provider (not listed). */
json_t *dp_catalog_model(const struct dp_view *v, const Sy__Model *m);
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
