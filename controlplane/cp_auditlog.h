/* cp_auditlog.h - who changed what through the admin API: an append-only log in LMDB.
 *
 * Not to be confused with cp_audit (the ledger reconciliation behind --audit). Every admin
 * mutation appends one AuditEntry (proto/switchyard.proto) in the transaction of the change
 * itself, so a change and its record commit together or not at all. An entry names the
 * management key (the first 16 hex digits of its hash, its name and org), the method and route,
 * the object, the names of the fields the body set (never their values: a credential's name
 * shows, the credential does not), the status and the client's address. Read with
 * GET /api/v1/audit: newest first, paged by a cursor, filtered by object, actor and time. */
#ifndef CP_AUDITLOG_H
#define CP_AUDITLOG_H

#include "cp_store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Characters of a management key's hash an entry keeps: enough to tell keys apart, too few
 * to stand for the key's hash anywhere. */
#define CP_AUDITLOG_ACTOR_HEX 16
#define CP_AUDITLOG_PAGE_MAX 1000

/* Append e at now_ms (sets e->id and e->created_at_ms; e stays the caller's). 0, -ENOMEM or
 * SY_ESTORE. */
int cp_auditlog_append(struct cp_txn *t, Sy__AuditEntry *e, int64_t now_ms);

/* One committed admin change, as the admin API knows it. */
struct cp_auditlog_change {
	const Sy__MgmtKey *caller;
	const char *method;    /* POST | PATCH | PUT | DELETE */
	const char *path;      /* "/api/v1/keys/<hash>": route and object come from it */
	const char *object_id; /* a created object's id; NULL = the path's */
	const char *org_id;    /* the org the object belongs to; NULL = none or the path's org */
	const json_t *body;    /* its top-level member names are the changed fields; may be NULL */
	unsigned status;       /* the answer's status */
	const char *remote_addr; /* may be NULL */
	int64_t now_ms;
};

/* Append the entry for ch (cp_auditlog_append). */
int cp_auditlog_record(struct cp_txn *t, const struct cp_auditlog_change *ch);

/* What GET /api/v1/audit asks for. */
struct cp_auditlog_query {
	const char *org_id;      /* only entries of this org (an org-scoped caller); NULL = all */
	const char *object_id;   /* filters; NULL = any */
	const char *object_type; /* "key", "org", "provider", ... */
	const char *actor;       /* a prefix of the management key's hash, or its name */
	int64_t from_ms, to_ms;  /* created in [from, to); 0 = unbounded */
	const char *before;      /* cursor: entries older than this id; NULL = the newest */
	size_t limit;            /* 1 .. CP_AUDITLOG_PAGE_MAX */
};

/* {"data": [entries newest first], "next_cursor": id or null} into *out. 0, -ENOMEM or
 * SY_ESTORE. */
int cp_auditlog_list(struct cp_txn *t, const struct cp_auditlog_query *q, json_t **out);

/* Serve GET /api/v1/audit?object_id=&object_type=&actor=&org_id=&from=&to=&cursor=&limit=
 * (times ISO-8601 UTC, limit 1..1000, default 100) in read transaction t: a global caller sees
 * everything, an org-scoped one its org's entries only. Always fills res. */
struct cp_request;
struct cp_response;
void cp_auditlog_serve(struct cp_txn *t, const Sy__MgmtKey *caller, const struct cp_request *req,
                       struct cp_response *res);

#endif
