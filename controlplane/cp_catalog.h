/* cp_catalog.h - --catalog FILE: providers and models imported at start (idempotent upsert).
 *
 * Format: {"providers": [{slug, name, adapter, base_url, api_key_env, data_collection,
 * *_timeout_ms}], "models": [{id, name, ..., endpoints: [...]}]} with the admin API's field
 * rules (see docs/controlplane.md). A provider's credential is read from the environment
 * variable api_key_env names and sealed under the KEK; without a KEK it is imported without
 * one (logged). Entries equal to what is stored are left alone, so re-importing the same file
 * changes nothing and bumps no seq. Every entry is validated before anything is written. */
#ifndef CP_CATALOG_H
#define CP_CATALOG_H

#include "cp_store.h"
#include "sy_secret.h"

#include <stdbool.h>
#include <stddef.h>

/* Import path into s in one write transaction (dry_run: validate everything, then abort).
 * 0, or a negative code with a message naming the file, entry and field in err. */
int cp_catalog_import(struct cp_store *s, const struct sy_kek *kek, const char *path, bool dry_run,
                      char *err, size_t errlen);

#endif
