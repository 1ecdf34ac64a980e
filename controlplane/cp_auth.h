/* cp_auth.h - management keys: who calls the admin API and what they may touch.
 *
 * A management key is global (no org_id: it administers everything, including other
 * management keys and the catalog) or scoped to one org (it sees and changes only that org and
 * its API keys, and may read the catalog). Only the SHA-256 of a key is stored. */
#ifndef CP_AUTH_H
#define CP_AUTH_H

#include "cp_store.h"

#include <stdbool.h>
#include <stdint.h>

/* Resolve an Authorization header ("Bearer sk-sy-mgmt-v1-...") to its management key.
 * 0 with *out set (free with cp_entity_free), or SY_ENOTFOUND for a missing, malformed or
 * unknown key. */
int cp_auth_lookup(struct cp_txn *t, const char *authorization, Sy__MgmtKey **out);
/* True for a global (not org-scoped) management key. */
bool cp_auth_is_global(const Sy__MgmtKey *k);
/* True if k may see and change org_id's data. */
bool cp_auth_may_access(const Sy__MgmtKey *k, const char *org_id);
/* A management key entity for a plaintext key (hash, label, created_at = now); org_id NULL =
 * global. NULL on allocation failure. */
Sy__MgmtKey *cp_auth_mkey_new(const char *plain, const char *name, const char *org_id, int64_t now);
/* True if s is a well-formed key with the given prefix followed by 64 lowercase hex. */
bool cp_auth_key_format(const char *s, const char *prefix);

/* Make sure the store can be administered: env_key (SWITCHYARD_ADMIN_KEY) set -> its hash is
 * a global management key (added if absent); otherwise, when the store holds no management
 * key, generate one, write it to <data_dir>/admin.key (mode 0600) and log the path (never the
 * key). 0, or a negative code with *why set. */
int cp_auth_bootstrap(struct cp_store *s, const char *data_dir, const char *env_key,
                      const char **why);

#endif
