/* cp_reports.h - the admin API's read-only reports, what the web console shows.
 *
 *   GET /api/v1/reports/usage?org_id=&from=&to=
 *       one pass over the range's generations: per day and model, per model, per key, per
 *       app (X-Title, else HTTP-Referer) and per endpoint (error rate, p50/p95 latency)
 *   GET /api/v1/generations[.csv]?org_id=&from=&to=&key_hash=&model=&provider=&status=
 *       &limit=&offset=
 *       the generation log, newest first, filtered and paged (CSV: every match, no paging)
 *   GET /api/v1/generations/{id}     one generation with its attempts
 *   GET /api/v1/endpoint-stats       the endpoint stats last published to the workers
 *   GET /api/v1/management-key       the calling management key (global or its org), so a
 *                                    client learns its scope without probing for a 403
 *
 * Ranges default to the last 30 UTC days (today included). Org-scoped management keys see
 * only their org (another org_id answers 403, another org's generation 404). Generations
 * carry tokens, cost, attempts, latency and finish reasons, never a prompt or completion
 * (the controlplane has none). */
#ifndef CP_REPORTS_H
#define CP_REPORTS_H

#include "cp_admin.h"
#include "cp_store.h"

#include <stdbool.h>
#include <stdint.h>

struct cp_stats;

/* Most generations one page of GET /generations holds. */
#define CP_REPORTS_PAGE_MAX 500
/* Most generations one report or CSV reads (a narrower range answers beyond it). */
#define CP_REPORTS_ROWS_MAX 200000

/* One authenticated GET on a report path. */
struct cp_reports_call {
	struct cp_txn *t;             /* the request's read transaction */
	const Sy__MgmtKey *caller;    /* the management key */
	const struct cp_request *req; /* method, path, query */
	struct cp_response *res;
	int64_t now;                  /* unix seconds */
	const struct cp_stats *stats; /* endpoint stats; NULL when the process keeps none */
};

/* True if path is one of the report endpoints above (method not considered). */
bool cp_reports_match(const char *path);
/* Serve one request; always fills c->res. */
void cp_reports_serve(const struct cp_reports_call *c);

#endif
