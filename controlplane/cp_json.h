/* cp_json.h - the one mapping between admin API JSON and the entity messages.
 *
 * Output functions build the JSON object the admin API returns for an entity (new reference,
 * NULL on allocation failure). Apply functions copy the fields present in a body that
 * cp_validate already accepted onto a message (a fresh one for create, the stored one for
 * patch); null clears a nullable field. They return 0 or -ENOMEM. Ids, timestamps and
 * credentials are the caller's business. */
#ifndef CP_JSON_H
#define CP_JSON_H

#include "cp_ledger.h"
#include "switchyard.pb-c.h"

#include "sy_money.h"

#include <jansson.h>
#include <stdint.h>

/* An amount of money as JSON: USD as a real number (what the admin API shows). */
json_t *cp_json_usd(sy_money m);
/* ISO-8601 UTC string ("2026-11-24T10:00:00Z") for unix seconds; null when t <= 0. */
json_t *cp_json_time(int64_t t);

json_t *cp_json_org(const Sy__Org *o);
/* A key with its usage (u as from cp_ledger_key_usage). */
json_t *cp_json_key(const Sy__ApiKey *k, const struct cp_key_usage *u);
json_t *cp_json_mkey(const Sy__MgmtKey *k);
/* A provider; the credential shows only as has_api_key. */
json_t *cp_json_provider(const Sy__Provider *p);
json_t *cp_json_model(const Sy__Model *m);
/* {id, default_model, rules: [{model, min_prompt_tokens, has_tools, keywords}], created_at,
 * updated_at}; a rule shows only the conditions it sets. */
json_t *cp_json_autorouter(const Sy__AutoRouter *ar);
json_t *cp_json_guardrail(const Sy__Guardrail *g);

int cp_json_apply_org(Sy__Org *o, const json_t *j);
int cp_json_apply_key(Sy__ApiKey *k, const json_t *j);
/* Provider fields except api_key (sealed by the caller); api_key_env as given. */
int cp_json_apply_provider(Sy__Provider *p, const json_t *j);
/* Model fields; "endpoints" replaces the whole list. */
int cp_json_apply_model(Sy__Model *m, const json_t *j);
/* default_model, and "rules" replacing the whole list (absent or null: no rules). */
int cp_json_apply_autorouter(Sy__AutoRouter *ar, const json_t *j);
/* Apply a validated guardrail body (cp_validate_guardrail). 0 or -ENOMEM. */
int cp_json_apply_guardrail(Sy__Guardrail *g, const json_t *j);

#endif
