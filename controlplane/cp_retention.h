/* cp_retention.h - generations past the retention age are folded into daily aggregates.
 *
 * A generation older than the cutoff leaves the store; its numbers do not. It is added into
 * the aggregate of its org, UTC day, key, model, provider, app and outcome (error or not): a
 * UsageRecord with id "agg-<day>-<hash>", created_at the day's start, the sums of the folded
 * records' cost and tokens, and aggregated_requests the number of requests folded into it.
 * The aggregate is stored and indexed like a generation, so the activity, the usage reports,
 * the key's period counters and the audit's sums (every cost lies in the same UTC day, week
 * and month as before) all stay exact; what is lost is the per-request detail (attempts,
 * latencies, finish reasons) of the folded generations. */
#ifndef CP_RETENTION_H
#define CP_RETENTION_H

#include "cp_store.h"

#include <stddef.h>
#include <stdint.h>

/* Prefix of an aggregate's id. */
#define CP_RETENTION_AGG_PREFIX "agg-"

/* Fold at most max generations created before cutoff (unix seconds) into their aggregates, in
 * one write transaction. *folded: how many. 0 or a negative code (nothing changed). */
int cp_retention_fold(struct cp_store *s, int64_t cutoff, size_t max, size_t *folded);

/* The requests a stored record stands for: aggregated_requests for an aggregate, else 1. */
uint32_t cp_retention_requests(const Sy__UsageRecord *r);

#endif
