/* cp_byok.h - BYOK: an org's own provider credentials over the admin API.
 *
 *   GET    /api/v1/orgs/{id}/credentials          the org's credentials (never the secret)
 *   PUT    /api/v1/orgs/{id}/credentials/{slug}   {api_key, disabled?}: store or replace
 *   DELETE /api/v1/orgs/{id}/credentials/{slug}
 *
 * The credential is write-only: sealed under the KEK (its id "<org id>:<slug>" as associated
 * data) like the operator's provider credentials, and sent decrypted only to the workers, whose
 * requests for the org use it before the operator's (see dataplane/dp_byok.h). Org-scoped
 * management keys manage their own org's credentials. Changes commit through the audit hook of
 * the call (cp_auditlog). */
#ifndef CP_BYOK_H
#define CP_BYOK_H

#include "cp_billing.h"
#include "sy_secret.h"

#include <jansson.h>
#include <stdbool.h>

/* True if path is one of the endpoints above (method not considered). */
bool cp_byok_match(const char *path);
/* Serve one request; always fills c->res. kek seals credentials. */
void cp_byok_serve(const struct cp_billing_call *c, const struct sy_kek *kek);
/* {id, org_id, provider, has_api_key, disabled, created_at, updated_at}. */
json_t *cp_byok_json(const Sy__OrgCredential *oc);

#endif
