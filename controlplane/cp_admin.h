/* cp_admin.h - the admin REST API, independent of the HTTP server that carries it.
 *
 * cp_http feeds each complete request to cp_admin_handle; unit tests call it directly. Every
 * request is authenticated by a management key, validated field by field against the body and
 * the caller's scope, and served from one LMDB transaction: a request that fails changes
 * nothing. Responses are JSON: {"data": ...} on success, OpenRouter's
 * {"error":{"code","message"}} otherwise. GET /health and GET /metrics (Prometheus text) need
 * no key. */
#ifndef CP_ADMIN_H
#define CP_ADMIN_H

#include "cp_response.h"
#include "cp_store.h"
#include "sy_secret.h"

#include <stdbool.h>
#include <stddef.h>

struct cp_admin;

/* One complete request. */
struct cp_request {
	const char *method;        /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;          /* decoded path without the query, e.g. "/api/v1/orgs" */
	const char *authorization; /* Authorization header, NULL if absent */
	const char *body;          /* request body (may be NULL when body_len is 0) */
	size_t body_len;
	/* Query argument lookup (NULL when absent); query may be NULL for none. */
	const char *(*query)(void *query_arg, const char *name);
	void *query_arg;
	const char *remote_addr; /* the client's address (numeric), NULL if unknown */
};

/* True if caller is a global management key; otherwise res gets the 403 saying that only a
 * global key may do action (e.g. "create orgs"). Which key kind may call which route is the
 * table in docs/controlplane.md. */
bool cp_admin_require_global(const Sy__MgmtKey *caller, struct cp_response *res,
                             const char *action);

/* An admin API over store s; kek (may have set == false) seals provider credentials and must
 * outlive the admin. NULL on allocation failure. */
struct cp_admin *cp_admin_new(struct cp_store *s, const struct sy_kek *kek);
struct cp_stats;
/* Let GET /api/v1/endpoint-stats show st (which must outlive the admin). */
void cp_admin_set_stats(struct cp_admin *a, const struct cp_stats *st);
/* Free; idempotent; nulls *ap. */
void cp_admin_free(struct cp_admin **ap);
/* Serve one request; always fills res (res->body NULL only when out of memory). */
void cp_admin_handle(struct cp_admin *a, const struct cp_request *req, struct cp_response *res);

#endif
