/* cp_auditlog.c - append and page the admin audit log. */
#include "cp_auditlog.h"
#include "cp_admin.h"
#include "cp_validate.h"
#include "cp_json.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX (13 + 1 + 8 + 1) /* "<unix ms>-<counter>" */
#define PAGE_DEFAULT 100
#define API_PREFIX "/api/v1/"
#define ROUTE_MAX 160

/* The newest entry's id, into last ("" when the log is empty). */
static int newest(const char *key, size_t kl, const void *val, size_t len, void *arg)
{
	snprintf(arg, ID_MAX, "%.*s", (int)kl, key);
	return 1;
}

int cp_auditlog_append(struct cp_txn *t, Sy__AuditEntry *e, int64_t now_ms)
{
	/* ids sort in the order of the changes: a millisecond and a counter within it, never
	 * below the newest id (write transactions are serialised; the clock may step back) */
	char id[ID_MAX], last[ID_MAX] = "";
	int rc = cp_store_raw_each_back(t, CP_T_AUDIT, NULL, newest, last);
	if (rc < 0)
		return rc;
	long long last_ms = 0;
	unsigned seq = 0;
	if (last[0] && sscanf(last, "%13lld-%8u", &last_ms, &seq) == 2 && last_ms >= now_ms)
		snprintf(id, sizeof(id), "%013lld-%08u", last_ms, seq + 1);
	else
		snprintf(id, sizeof(id), "%013lld-%08u", (long long)now_ms, 0u);
	e->id = id;
	e->has_created_at_ms = true;
	e->created_at_ms = now_ms;
	size_t len = sy__audit_entry__get_packed_size(e);
	uint8_t *buf = malloc(len ? len : 1);
	rc = -ENOMEM;
	if (buf) {
		sy__audit_entry__pack(e, buf);
		rc = cp_store_raw_put(t, CP_T_AUDIT, id, buf, len, true);
	}
	free(buf);
	e->id = NULL;
	return rc;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *entry_json(const Sy__AuditEntry *e)
{
	json_t *fields = json_array();
	for (size_t i = 0; fields && i < e->n_fields; i++)
		json_array_append_new(fields, json_string(e->fields[i]));
	char at[40] = "";
	json_t *t = cp_json_time(e->created_at_ms / 1000);
	if (json_is_string(t)) /* "...:SSZ" with the milliseconds put back */
		snprintf(at, sizeof(at), "%.19s.%03lldZ", json_string_value(t),
		         (long long)(e->created_at_ms % 1000));
	json_decref(t);
	return json_pack("{s:s,s:s,s:{s:o,s:o,s:o},s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "id", e->id,
	                 "created_at", at, "actor", "hash_prefix", str_or_null(e->actor_hash),
	                 "name", str_or_null(e->actor_name), "org_id", str_or_null(e->actor_org_id),
	                 "method", str_or_null(e->method), "route", str_or_null(e->route),
	                 "object_type", str_or_null(e->object_type), "object_id",
	                 str_or_null(e->object_id), "org_id", str_or_null(e->org_id), "fields",
	                 fields, "status", (json_int_t)e->status, "remote_addr",
	                 str_or_null(e->remote_addr));
}

struct page {
	const struct cp_auditlog_query *q;
	json_t *data;
	char last[ID_MAX]; /* id of the last entry shown: the next page's cursor */
	bool more;         /* a matching entry is left after the page */
	int rc;
};

static bool eq(const char *want, const char *have)
{
	return !want || (have && !strcmp(want, have));
}

static bool wanted(const struct cp_auditlog_query *q, const Sy__AuditEntry *e, int64_t at)
{
	if (q->to_ms && at >= q->to_ms)
		return false;
	if (!eq(q->org_id, e->org_id) || !eq(q->object_id, e->object_id) ||
	    !eq(q->object_type, e->object_type))
		return false;
	return !q->actor ||
	       (e->actor_hash && !strncmp(e->actor_hash, q->actor, strlen(q->actor))) ||
	       (e->actor_name && !strcmp(e->actor_name, q->actor));
}

#define STOP 1

static int page_item(const char *key, size_t kl, const void *val, size_t len, void *arg)
{
	struct page *p = arg;
	Sy__AuditEntry *e = sy__audit_entry__unpack(NULL, len, val);
	if (!e)
		return 0; /* unreadable: shown to nobody */
	/* time filters read the id's millisecond: ids, unlike a clock, never go back */
	char ms[14] = "";
	if (kl > 13)
		memcpy(ms, key, 13);
	int64_t at = strtoll(ms, NULL, 10);
	int ret = 0;
	if (p->q->from_ms && at < p->q->from_ms) {
		ret = STOP; /* newest first: everything further is older still */
	} else if (wanted(p->q, e, at)) {
		if (json_array_size(p->data) == p->q->limit) {
			p->more = true;
			ret = STOP;
		} else if (json_array_append_new(p->data, entry_json(e))) {
			p->rc = -ENOMEM;
			ret = STOP;
		} else {
			snprintf(p->last, sizeof(p->last), "%s", e->id);
		}
	}
	sy__audit_entry__free_unpacked(e, NULL);
	return ret;
}

int cp_auditlog_list(struct cp_txn *t, const struct cp_auditlog_query *q, json_t **out)
{
	struct page p = {.q = q, .data = json_array()};
	if (!p.data)
		return -ENOMEM;
	/* with a time bound, start at its id: ids begin with their millisecond */
	char to_id[ID_MAX];
	const char *before = q->before;
	if (q->to_ms && !before) {
		snprintf(to_id, sizeof(to_id), "%013lld", (long long)q->to_ms);
		before = to_id;
	}
	int rc = cp_store_raw_each_back(t, CP_T_AUDIT, before, page_item, &p);
	if (rc < 0 || p.rc) {
		json_decref(p.data);
		return rc < 0 ? rc : p.rc;
	}
	*out = json_pack("{s:o,s:o}", "data", p.data, "next_cursor",
	                 p.more ? json_string(p.last) : json_null());
	return *out ? 0 : -ENOMEM;
}

/* ---- what a change was ------------------------------------------------------------------ */

/* The object type of a collection (the path's first segment). */
static const char *object_type(const char *coll, size_t n)
{
	static const char *const types[][2] = {
	    {"orgs", "org"},
	    {"keys", "key"},
	    {"management-keys", "management_key"},
	    {"providers", "provider"},
	    {"models", "model"},
	    {"auto-router", "auto_router"},
	    {"guardrails", "guardrail"},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i][0]) == n && !strncmp(coll, types[i][0], n))
			return types[i][1];
	return NULL;
}

/* The route with its id replaced by {id} ("orgs/{id}/budgets/daily"), the object type and
 * the id the path names (into id, empty when none). */
static void describe(const char *path, char *route, size_t rlen, const char **type, char *id,
                     size_t idlen)
{
	const char *rest =
	    strncmp(path, API_PREFIX, strlen(API_PREFIX)) ? path : path + strlen(API_PREFIX);
	size_t n = strcspn(rest, "/");
	*type = object_type(rest, n);
	id[0] = '\0';
	if (!rest[n] || !rest[n + 1]) {
		snprintf(route, rlen, "%s", rest);
		if (*type && !strcmp(*type, "auto_router"))
			snprintf(id, idlen, "%s", SY_AUTO_ROUTER_ID);
		return;
	}
	const char *idp = rest + n + 1;
	/* a model's id is "author/slug": the rest of its path */
	size_t idn = *type && !strcmp(*type, "model") ? strlen(idp) : strcspn(idp, "/");
	snprintf(id, idlen, "%.*s", (int)idn, idp);
	snprintf(route, rlen, "%.*s/{id}%s", (int)n, rest, idp + idn);
}

static int field_names(const json_t *body, Sy__AuditEntry *e)
{
	size_t n = json_is_object(body) ? json_object_size(body) : 0;
	if (!n)
		return 0;
	if (!(e->fields = calloc(n, sizeof(*e->fields))))
		return -ENOMEM;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)body, k, v)
	{
		if (e->n_fields < n)
			e->fields[e->n_fields++] = (char *)k;
	}
	return 0;
}

int cp_auditlog_record(struct cp_txn *t, const struct cp_auditlog_change *ch)
{
	char route[ROUTE_MAX], path_id[CP_MODEL_ID_MAX + 1], actor[CP_AUDITLOG_ACTOR_HEX + 1];
	const char *type;
	describe(ch->path, route, sizeof(route), &type, path_id, sizeof(path_id));
	Sy__AuditEntry e = SY__AUDIT_ENTRY__INIT;
	snprintf(actor, sizeof(actor), "%s", ch->caller->hash);
	e.actor_hash = actor;
	e.actor_name = ch->caller->name;
	e.actor_org_id = ch->caller->org_id;
	e.method = (char *)ch->method;
	e.route = route;
	e.object_type = (char *)type;
	e.object_id = (char *)(ch->object_id ? ch->object_id : path_id[0] ? path_id : NULL);
	e.org_id = (char *)ch->org_id;
	if (!e.org_id && type && !strcmp(type, "org"))
		e.org_id = e.object_id;
	e.has_status = true;
	e.status = ch->status;
	e.remote_addr = (char *)ch->remote_addr;
	int rc = field_names(ch->body, &e);
	if (!rc)
		rc = cp_auditlog_append(t, &e, ch->now_ms);
	free(e.fields);
	return rc;
}

/* ---- GET /api/v1/audit ------------------------------------------------------------------ */

static void fail(struct cp_response *res, unsigned status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(struct cp_response *res, unsigned status, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cp_response_verror(res, status, field ? json_pack("{s:s}", "field", field) : NULL, fmt, ap);
	va_end(ap);
}

static const char *arg(const struct cp_request *req, const char *name)
{
	return req->query ? req->query(req->query_arg, name) : NULL;
}

/* An ISO-8601 time into unix ms (0 when absent); false when malformed. */
static bool time_arg(const struct cp_request *req, const char *name, int64_t *ms)
{
	const char *v = arg(req, name);
	int64_t s = 0;
	*ms = 0;
	if (v && cp_parse_time(v, &s))
		return false;
	*ms = s * 1000;
	return true;
}

void cp_auditlog_serve(struct cp_txn *t, const Sy__MgmtKey *caller, const struct cp_request *req,
                       struct cp_response *res)
{
	struct cp_auditlog_query q = {
	    .object_id = arg(req, "object_id"),
	    .object_type = arg(req, "object_type"),
	    .actor = arg(req, "actor"),
	    .org_id = arg(req, "org_id"),
	    .before = arg(req, "cursor"),
	    .limit = PAGE_DEFAULT,
	};
	const char *limit = arg(req, "limit");
	if (limit) {
		char *end;
		unsigned long n = strtoul(limit, &end, 10);
		if (!*limit || *end || n < 1 || n > CP_AUDITLOG_PAGE_MAX) {
			fail(res, 400, "limit", "limit: must be an integer from 1 to %d",
			     CP_AUDITLOG_PAGE_MAX);
			return;
		}
		q.limit = n;
	}
	if (!time_arg(req, "from", &q.from_ms) || !time_arg(req, "to", &q.to_ms)) {
		const char *bad = time_arg(req, "from", &q.from_ms) ? "to" : "from";
		fail(res, 400, bad, "%s: must be an ISO-8601 UTC time such as 2026-01-31T00:00:00Z",
		     bad);
		return;
	}
	if (q.before && strlen(q.before) >= ID_MAX) {
		fail(res, 400, "cursor", "cursor: must be a next_cursor this endpoint returned");
		return;
	}
	if (caller->org_id) {
		if (q.org_id && strcmp(q.org_id, caller->org_id)) {
			fail(res, 403, "org_id",
			     "org_id: this management key may only read its own org's entries");
			return;
		}
		q.org_id = caller->org_id;
	}
	json_t *out = NULL;
	int rc = cp_auditlog_list(t, &q, &out);
	if (rc) {
		sy_err("audit log: %s", sy_strerror(rc));
		fail(res, 500, NULL, "internal error (%s)", sy_strerror(rc));
		return;
	}
	cp_response_json(res, 200, out);
}
