/* cp_usage.h - the usage ROUTER: acknowledged usage intake and generation lookups.
 *
 * A worker's DEALER sends Envelope{usage_batch}: the batch is applied in one write transaction
 * (cp_ledger_apply: each id at most once) and answered with Envelope{usage_ack} listing every
 * id of the batch, duplicates included, so the worker can drop them from its spool. A batch
 * that cannot be stored is not acknowledged (the worker resends it).
 * Envelope{generation_query} is answered with Envelope{generation_reply}, carrying the record
 * only when it belongs to the asking key. */
#ifndef CP_USAGE_H
#define CP_USAGE_H

#include "cp_store.h"

#include <stdbool.h>

struct cp_usage;

/* Bind the usage ROUTER. NULL on failure with *why set. */
struct cp_usage *cp_usage_new(void *zctx, struct cp_store *s, const char *endpoint,
			      const char **why);
/* Close; idempotent; nulls *up. */
void cp_usage_free(struct cp_usage **up);
/* The ROUTER's ZMQ_FD (edge-triggered: call cp_usage_drain on every loop pass). */
int cp_usage_fd(const struct cp_usage *u);
/* Handle waiting messages; true if more may be waiting (budget used up). */
bool cp_usage_drain(struct cp_usage *u);

#endif
