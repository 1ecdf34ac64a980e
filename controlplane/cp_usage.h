/* cp_usage.h - the usage ROUTER: acknowledged usage intake and generation lookups.
 *
 * A worker's DEALER sends Envelope{usage_batch}: the batch is applied in one write transaction
 * (cp_ledger_apply: each id at most once) and answered with Envelope{usage_ack} listing every
 * id of the batch, duplicates included, so the worker can drop them from its spool. A batch
 * that cannot be stored is not acknowledged (the worker resends it).
 * Envelope{generation_query} is answered with Envelope{generation_reply}, carrying the record
 * only when it belongs to the asking key.
 * Envelope{lease_request} is answered with Envelope{lease_grant} (cp_money_lease: a grant is
 * committed before it is sent); Envelope{lease_return} gets no answer. */
#ifndef CP_USAGE_H
#define CP_USAGE_H

#include "cp_store.h"
#include "sy_curve.h"

#include <stdbool.h>

struct cp_usage;

/* Default lease lifetime without renewal. */
#define CP_USAGE_LEASE_TTL_MS 30000

/* Bind the usage ROUTER, a CURVE server when curve is set. NULL on failure with *why set. */
struct cp_usage *cp_usage_new(void *zctx, struct cp_store *s, const char *endpoint,
                              const struct sy_curve *curve, const char **why);
/* Close; idempotent; nulls *up. */
void cp_usage_free(struct cp_usage **up);
/* The ROUTER's ZMQ_FD (edge-triggered: call cp_usage_drain on every loop pass). */
int cp_usage_fd(const struct cp_usage *u);
/* Handle waiting messages; true if more may be waiting (budget used up). */
bool cp_usage_drain(struct cp_usage *u);
struct cp_stats;
/* Feed every stored usage batch's records to st (endpoint stats); st outlives the usage. */
void cp_usage_set_stats(struct cp_usage *u, struct cp_stats *st);
/* Set how long a lease lives without renewal (default CP_USAGE_LEASE_TTL_MS). */
void cp_usage_set_lease_ttl(struct cp_usage *u, uint32_t ttl_ms);
struct cp_byok_fee;
/* The BYOK fee charged on BYOK generations (cp_byok_fee; default cp_byok_fee_default). */
void cp_usage_set_byok_fee(struct cp_usage *u, const struct cp_byok_fee *fee);
/* Fold generations older than retention_s seconds into daily aggregates (cp_retention), from
 * cp_usage_tick; 0 (the default) keeps them all. */
void cp_usage_set_retention(struct cp_usage *u, int64_t retention_s);
/* Periodic work: grow the store's map when needed, fold old generations, release expired
 * leases, publish changed balances to the workers (orgs'
 * credits and debits, keys' usage). True if balances are left to publish. */
bool cp_usage_tick(struct cp_usage *u);

#endif
