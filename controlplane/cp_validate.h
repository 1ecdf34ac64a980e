/* cp_validate.h - field-by-field validation of admin API bodies and catalog entries.
 *
 * Every check runs before anything is written: a body that fails changes nothing. A field this
 * API does not know is refused, never ignored (a misspelt "limt" must not create an unlimited
 * key). The error names the first bad field with its path ("endpoints[1].pricing.prompt") and
 * says what it must be. */
#ifndef CP_VALIDATE_H
#define CP_VALIDATE_H

#include "cp_store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* What the body is for: create requires the required fields; patch forbids changing ids;
 * catalog is create plus api_key_env instead of api_key. */
enum cp_vmode {
	CP_V_CREATE,
	CP_V_PATCH,
	CP_V_CATALOG
};

/* The first validation failure. */
struct cp_verr {
	char field[128];   /* path of the bad field */
	char message[384]; /* "<field>: <what it must be>" */
};

/* Limits on ids and names. */
#define CP_NAME_MAX 128
#define CP_SLUG_MAX 64
#define CP_MODEL_ID_MAX 128

/* Fill e and return SY_EINVAL (for checks made outside this module). */
int cp_verr_set(struct cp_verr *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Refuse any member of obj not in known (NULL-terminated), naming it with prefix pre. */
int cp_validate_fields(const json_t *obj, const char *pre, const char *const known[],
                       struct cp_verr *e);

/* Org body {name, billing ("prepaid"|"postpaid"), postpaid (bool, the same)}. id: the path id
 * in patch mode (NULL otherwise). */
int cp_validate_org(const json_t *j, enum cp_vmode m, const char *id, struct cp_verr *e);
/* Key body {name, org_id, disabled, limit, limit_reset, expires_at, rpm, rpd} and its
 * restrictions {allowed_models, allowed_providers, ignored_providers, allowed_ips,
 * allowed_referrers, max_price, provider}; expires_at must lie after now. */
int cp_validate_key(const json_t *j, enum cp_vmode m, const char *hash, int64_t now,
                    struct cp_verr *e);
/* Management key body {name, org_id}. */
int cp_validate_mkey(const json_t *j, struct cp_verr *e);
/* Provider body {slug, name, adapter, base_url, api_key | api_key_env (catalog), timeouts,
 * data_collection}. */
int cp_validate_provider(const json_t *j, enum cp_vmode m, const char *slug, struct cp_verr *e);
/* Model body {id, name, description, context_length, modalities, supported_parameters,
 * tokenizer, endpoints[...]}. */
int cp_validate_model(const json_t *j, enum cp_vmode m, const char *id, struct cp_verr *e);
/* Every endpoint's provider exists in the store. */
int cp_validate_model_refs(struct cp_txn *t, const Sy__Model *m, struct cp_verr *e);
/* Auto-router body {default_model, rules: [{model, min_prompt_tokens, has_tools, keywords}]}
 * (PUT: the whole rule set). Each rule sets at least one condition; the auto router's own ids
 * cannot be a target. */
int cp_validate_autorouter(const json_t *j, struct cp_verr *e);
/* Every model the auto router names exists in the store (with a :free, :nitro or :floor
 * variant suffix, its base model does). */
int cp_validate_autorouter_refs(struct cp_txn *t, const Sy__AutoRouter *ar, struct cp_verr *e);

/* Guardrail body {name, description, allowed_models, allowed_providers, max_price,
 * enforce_zdr, allowed_data_regions, org_ids, key_hashes}. */
int cp_validate_guardrail(const json_t *j, enum cp_vmode m, const char *id, struct cp_verr *e);
/* Every org and key the guardrail is assigned to exists. */
int cp_validate_guardrail_refs(struct cp_txn *t, const Sy__Guardrail *g, struct cp_verr *e);

/* Syntax of ids: a provider slug, a model id "author/slug", an org id. */
bool cp_valid_slug(const char *s);
bool cp_valid_model_id(const char *s);
bool cp_valid_org_id(const char *s);
/* Parse ISO-8601 UTC ("2026-11-24T10:00:00Z", fractions and +hh:mm offsets accepted) into
 * unix seconds. 0 or SY_EINVAL. */
int cp_parse_time(const char *s, int64_t *out);
/* A day ("2026-01-31", its 00:00 UTC) or an ISO-8601 time as cp_parse_time, for query ranges.
 * 0 or SY_EINVAL. */
int cp_parse_when(const char *s, int64_t *out);

#endif
