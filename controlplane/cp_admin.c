/* cp_admin.c - routes and handlers of the admin REST API. */
#include "cp_admin.h"
#include "cp_auditlog.h"
#include "cp_auth.h"
#include "cp_billing.h"
#include "cp_byok.h"
#include "cp_json.h"
#include "cp_ledger.h"
#include "cp_metrics.h"
#include "cp_reports.h"
#include "cp_validate.h"
#include "sy_array.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_PREFIX "/api/v1/"
#define ORG_ID_RANDOM 16

struct cp_admin {
	struct cp_store *s;
	const struct sy_kek *kek;
	const struct cp_stats *stats; /* NULL until cp_admin_set_stats */
};

/* Everything one request's handler works with. */
struct ctx {
	struct cp_admin *a;
	const struct cp_request *req;
	struct cp_response *res;
	struct cp_txn *t;    /* read or write transaction; NULL once committed */
	Sy__MgmtKey *caller; /* the authenticated management key */
	const char *id;      /* the path's item id, NULL for a collection */
	json_t *body;        /* parsed body of POST/PATCH */
	int64_t now;
	/* for the audit entry: a created object's id, the org the object belongs to */
	const char *audit_id;
	char audit_org[CP_NAME_MAX];
};

typedef void handler_fn(struct ctx *c);

/* ---- responses ------------------------------------------------------------------------- */

void cp_response_json(struct cp_response *res, unsigned status, json_t *root)
{
	res->status = status;
	res->body = root ? sy_json_dump(root) : NULL;
	json_decref(root);
	if (!res->body) {
		res->status = 500;
		res->body = sy_json_error(500, "out of memory", NULL);
	}
}

void cp_response_verror(struct cp_response *res, unsigned status, json_t *meta, const char *fmt,
                        va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	res->status = status;
	res->body = sy_json_error((int)status, msg, meta);
}

void cp_response_field_error(struct cp_response *res, unsigned status, const char *field,
                             const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cp_response_verror(res, status, field ? json_pack("{s:s}", "field", field) : NULL, fmt, ap);
	va_end(ap);
}

void cp_response_internal(struct cp_response *res, const char *module, const char *what, int rc)
{
	sy_err("%s: %s: %s", module, what, sy_strerror(rc));
	cp_response_field_error(res, 500, NULL, "internal error (%s)", sy_strerror(rc));
}

static void reply_data(struct ctx *c, unsigned status, json_t *data)
{
	cp_response_json(c->res, status, data ? json_pack("{s:o}", "data", data) : NULL);
}

static void error_res(struct cp_response *res, unsigned status, json_t *meta, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void error_res(struct cp_response *res, unsigned status, json_t *meta, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cp_response_verror(res, status, meta, fmt, ap);
	va_end(ap);
}

#define fail_meta(c, status, meta, ...) error_res((c)->res, (status), (meta), __VA_ARGS__)
#define fail(c, status, ...) fail_meta((c), (status), NULL, __VA_ARGS__)

/* 400 (or another status) naming the bad field in message and metadata. */
static void fail_field(struct ctx *c, unsigned status, const struct cp_verr *e)
{
	fail_meta(c, status, json_pack("{s:s}", "field", e->field), "%s", e->message);
}

/* A store or allocation failure: 404 for SY_ENOTFOUND, else 500 (logged, not shown). */
static void fail_rc(struct ctx *c, int rc, const char *what)
{
	if (rc == SY_ENOTFOUND) {
		fail(c, 404, "%s not found", what);
		return;
	}
	sy_err("admin: %s: %s", what, sy_strerror(rc));
	fail(c, 500, "internal error (%s)", sy_strerror(rc));
}

/* Money controls and everything beyond one org need a global key: an org-scoped key would
 * otherwise give its own org credit or lift its own limits. */
bool cp_admin_require_global(const Sy__MgmtKey *caller, struct cp_response *res, const char *action)
{
	if (cp_auth_is_global(caller))
		return true;
	error_res(res, 403, NULL,
	          "this management key is scoped to one org; only a global management key may %s",
	          action);
	return false;
}

static bool require_global(struct ctx *c, const char *action)
{
	return cp_admin_require_global(c->caller, c->res, action);
}

static const char *query(struct ctx *c, const char *name)
{
	return c->req->query ? c->req->query(c->req->query_arg, name) : NULL;
}

/* Load the path's entity; on failure the response is set and NULL returned. */
static ProtobufCMessage *load(struct ctx *c, enum cp_kind k, const char *what)
{
	ProtobufCMessage *m = NULL;
	int rc = cp_store_get(c->t, k, c->id, &m);
	if (rc)
		fail_rc(c, rc, what);
	return m;
}

/* Append the audit entry of the change about to commit (cp_auditlog). */
static int audit(struct ctx *c, unsigned status)
{
	struct cp_auditlog_change ch = {
	    .caller = c->caller,
	    .method = c->req->method,
	    .path = c->req->path,
	    .object_id = c->audit_id,
	    .org_id = c->audit_org[0] ? c->audit_org : NULL,
	    .body = c->body,
	    .status = status,
	    .remote_addr = c->req->remote_addr,
	    .now_ms = sy_unix_ms(),
	};
	return cp_auditlog_record(c->t, &ch);
}

/* The money endpoints read their own bodies: the field names come from a parse of it here
 * (freed with the request). */
static int billing_audit(void *arg, unsigned status)
{
	struct ctx *c = arg;
	if (!c->body && c->req->body_len)
		c->body = json_loadb(c->req->body, c->req->body_len, 0, NULL);
	return audit(c, status);
}

/* Audit, then commit: the change and its entry commit together. */
static bool commit(struct ctx *c, unsigned status)
{
	int rc = audit(c, status);
	if (!rc)
		rc = cp_store_commit(&c->t);
	if (rc)
		fail_rc(c, rc, "commit");
	return rc == 0;
}

/* The org an entity belongs to, for its audit entry. */
static void audit_entity(struct ctx *c, enum cp_kind k, const ProtobufCMessage *m)
{
	const char *org = k == CP_ORG    ? ((const Sy__Org *)m)->id
	                  : k == CP_KEY  ? ((const Sy__ApiKey *)m)->org_id
	                  : k == CP_MKEY ? ((const Sy__MgmtKey *)m)->org_id
	                                 : NULL;
	c->audit_id = cp_entity_id(k, m);
	snprintf(c->audit_org, sizeof(c->audit_org), "%s", org ? org : "");
}

/* JSON of an entity as the API shows it (keys with their usage as of now). */
static json_t *entity_json(struct ctx *c, enum cp_kind k, const ProtobufCMessage *m)
{
	struct cp_key_usage u;
	switch (k) {
	case CP_ORG:
		return cp_json_org((const Sy__Org *)m);
	case CP_KEY:
		if (cp_ledger_key_usage(c->t, ((const Sy__ApiKey *)m)->hash, c->now, &u))
			return NULL;
		return cp_json_key((const Sy__ApiKey *)m, &u);
	case CP_MKEY:
		return cp_json_mkey((const Sy__MgmtKey *)m);
	case CP_PROVIDER:
		return cp_json_provider((const Sy__Provider *)m);
	case CP_MODEL:
		return cp_json_model((const Sy__Model *)m);
	case CP_AUTOROUTER:
		return cp_json_autorouter((const Sy__AutoRouter *)m);
	case CP_GUARDRAIL:
		return cp_json_guardrail((const Sy__Guardrail *)m);
	case CP_CREDENTIAL:
		return cp_byok_json((const Sy__OrgCredential *)m);
	case CP_KIND_COUNT:
		break;
	}
	return NULL;
}

/* Store m, commit and answer {"data": m} (plus "key": plain for a newly created key). */
static void put_reply(struct ctx *c, enum cp_kind k, const ProtobufCMessage *m, unsigned status,
                      const char *plain)
{
	int rc = cp_store_put(c->t, k, m);
	if (rc) {
		fail_rc(c, rc, cp_kind_name(k));
		return;
	}
	json_t *root = json_pack("{s:o}", "data", entity_json(c, k, m));
	if (root && plain)
		json_object_set_new(root, "key", json_string(plain));
	audit_entity(c, k, m);
	if (!root || !commit(c, status)) {
		json_decref(root);
		if (!c->res->body)
			fail_rc(c, -ENOMEM, "response");
		return;
	}
	cp_response_json(c->res, status, root);
}

static void reply_deleted(struct ctx *c)
{
	if (commit(c, 200))
		cp_response_json(c->res, 200, json_pack("{s:b}", "deleted", 1));
}

/* ---- lists ------------------------------------------------------------------------------ */

struct list {
	struct ctx *c;
	enum cp_kind kind;
	json_t *arr;
	const char *org;       /* keys: only this org's (NULL = all) */
	bool include_disabled; /* keys */
};

static int list_item(const ProtobufCMessage *m, void *arg)
{
	struct list *l = arg;
	if (l->kind == CP_ORG && !cp_auth_may_access(l->c->caller, ((const Sy__Org *)m)->id))
		return 0;
	if (l->kind == CP_KEY) {
		const Sy__ApiKey *k = (const Sy__ApiKey *)m;
		if ((l->org && strcmp(k->org_id, l->org)) || (k->disabled && !l->include_disabled))
			return 0;
	}
	return json_array_append_new(l->arr, entity_json(l->c, l->kind, m)) ? -ENOMEM : 0;
}

static void list(struct ctx *c, struct list *l)
{
	l->c = c;
	l->arr = json_array();
	int rc = l->arr ? cp_store_each(c->t, l->kind, list_item, l) : -ENOMEM;
	if (rc) {
		json_decref(l->arr);
		fail_rc(c, rc, "list");
		return;
	}
	reply_data(c, 200, l->arr);
}

/* Ids collected during a scan, to act on after it. */
struct ids {
	char **v;
	size_t n, cap;
};

static int ids_push(struct ids *ids, const char *id)
{
	char **v = sy_array_grow(ids->v, ids->n, &ids->cap, sizeof(*v), 8);
	if (!v)
		return -ENOMEM;
	ids->v = v;
	if (!(ids->v[ids->n] = strdup(id)))
		return -ENOMEM;
	ids->n++;
	return 0;
}

static void ids_release(struct ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
}

/* ---- orgs ------------------------------------------------------------------------------- */

static void orgs_list(struct ctx *c)
{
	struct list l = {.kind = CP_ORG};
	list(c, &l);
}

static void orgs_create(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "create orgs"))
		return;
	if (cp_validate_org(c->body, CP_V_CREATE, NULL, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	ProtobufCMessage *m = cp_entity_new(CP_ORG);
	Sy__Org *o = (Sy__Org *)m;
	char id[sizeof("org_") + ORG_ID_RANDOM] = "org_";
	sy_random_alnum(id + 4, ORG_ID_RANDOM);
	if (!o || !(o->id = strdup(id)) || cp_json_apply_org(o, c->body)) {
		cp_entity_free(&m);
		fail_rc(c, -ENOMEM, "org");
		return;
	}
	o->created_at = o->updated_at = c->now;
	o->has_created_at = o->has_updated_at = true;
	put_reply(c, CP_ORG, m, 201, NULL);
	cp_entity_free(&m);
}

/* Load the path's org if the caller may see it (404 otherwise, hiding foreign orgs). */
static ProtobufCMessage *load_org(struct ctx *c)
{
	if (!cp_auth_may_access(c->caller, c->id)) {
		fail(c, 404, "org not found");
		return NULL;
	}
	return load(c, CP_ORG, "org");
}

static void orgs_get(struct ctx *c)
{
	ProtobufCMessage *m = load_org(c);
	if (m)
		reply_data(c, 200, cp_json_org((Sy__Org *)m));
	cp_entity_free(&m);
}

static void orgs_patch(struct ctx *c)
{
	struct cp_verr e;
	ProtobufCMessage *m = load_org(c);
	if (!m)
		return;
	Sy__Org *o = (Sy__Org *)m;
	bool billing = json_object_get(c->body, "billing") || json_object_get(c->body, "postpaid");
	if (cp_validate_org(c->body, CP_V_PATCH, c->id, &e)) {
		fail_field(c, 400, &e);
	} else if (billing && !require_global(c, "change an org's billing mode")) {
		; /* prepaid/postpaid decides whether the org's credits bound its spend */
	} else if (cp_json_apply_org(o, c->body)) {
		fail_rc(c, -ENOMEM, "org");
	} else {
		o->updated_at = c->now;
		o->has_updated_at = true;
		put_reply(c, CP_ORG, m, 200, NULL);
	}
	cp_entity_free(&m);
}

/* An org's keys: the active ones block deletion, disabled ones go with the org. */
struct org_scan {
	const char *org;
	size_t active;
	struct ids ids;
};

static int org_key(const ProtobufCMessage *m, void *arg)
{
	struct org_scan *s = arg;
	const Sy__ApiKey *k = (const Sy__ApiKey *)m;
	if (strcmp(k->org_id, s->org))
		return 0;
	if (!k->disabled) {
		s->active++;
		return 0;
	}
	return ids_push(&s->ids, k->hash);
}

/* The org's own provider credentials go with it. */
static int org_credential(const ProtobufCMessage *m, void *arg)
{
	struct org_scan *s = arg;
	const Sy__OrgCredential *oc = (const Sy__OrgCredential *)m;
	return !strcmp(oc->org_id, s->org) ? ids_push(&s->ids, oc->id) : 0;
}

static int org_mkey(const ProtobufCMessage *m, void *arg)
{
	struct org_scan *s = arg;
	const Sy__MgmtKey *k = (const Sy__MgmtKey *)m;
	return k->org_id && !strcmp(k->org_id, s->org) ? ids_push(&s->ids, k->hash) : 0;
}

static void orgs_delete(struct ctx *c)
{
	if (!require_global(c, "delete orgs"))
		return;
	ProtobufCMessage *m = load(c, CP_ORG, "org");
	if (!m)
		return;
	cp_entity_free(&m);
	struct org_scan keys = {.org = c->id}, mkeys = {.org = c->id}, creds = {.org = c->id};
	int rc = cp_store_each(c->t, CP_KEY, org_key, &keys);
	if (!rc)
		rc = cp_store_each(c->t, CP_MKEY, org_mkey, &mkeys);
	if (!rc)
		rc = cp_store_each(c->t, CP_CREDENTIAL, org_credential, &creds);
	if (!rc && keys.active) {
		fail(c, 409, "org has %zu active API key(s); disable or delete them first",
		     keys.active);
		goto out;
	}
	for (size_t i = 0; !rc && i < keys.ids.n; i++)
		if (!(rc = cp_store_del(c->t, CP_KEY, keys.ids.v[i])))
			rc = cp_ledger_forget_key(c->t, keys.ids.v[i]);
	for (size_t i = 0; !rc && i < mkeys.ids.n; i++)
		rc = cp_store_del(c->t, CP_MKEY, mkeys.ids.v[i]);
	for (size_t i = 0; !rc && i < creds.ids.n; i++)
		rc = cp_store_del(c->t, CP_CREDENTIAL, creds.ids.v[i]);
	if (!rc)
		rc = cp_store_del(c->t, CP_ORG, c->id);
	if (rc)
		fail_rc(c, rc, "org");
	else
		reply_deleted(c);
out:
	ids_release(&keys.ids);
	ids_release(&mkeys.ids);
	ids_release(&creds.ids);
}

/* ---- API keys ---------------------------------------------------------------------------- */

static void keys_list(struct ctx *c)
{
	struct list l = {.kind = CP_KEY, .org = query(c, "org_id")};
	const char *inc = query(c, "include_disabled");
	if (inc && strcmp(inc, "true") && strcmp(inc, "false")) {
		struct cp_verr e;
		cp_verr_set(&e, "include_disabled", "must be true or false");
		fail_field(c, 400, &e);
		return;
	}
	l.include_disabled = inc && !strcmp(inc, "true");
	if (l.org && !cp_auth_may_access(c->caller, l.org)) {
		fail_meta(c, 403, json_pack("{s:s}", "field", "org_id"),
		          "org_id: this management key may only list its own org's keys");
		return;
	}
	if (!cp_auth_is_global(c->caller))
		l.org = c->caller->org_id;
	list(c, &l);
}

/* The org a new key belongs to, checked against the caller's scope and the store. */
static const char *key_org(struct ctx *c)
{
	struct cp_verr e;
	const json_t *v = json_object_get(c->body, "org_id");
	const char *org = json_is_string(v) ? json_string_value(v) : NULL;
	if (!org && cp_auth_is_global(c->caller)) {
		cp_verr_set(&e, "org_id", "is required");
		fail_field(c, 400, &e);
		return NULL;
	}
	if (!org)
		return c->caller->org_id;
	if (!cp_auth_may_access(c->caller, org)) {
		cp_verr_set(&e, "org_id", "this management key is scoped to another org");
		fail_field(c, 403, &e);
		return NULL;
	}
	if (!cp_store_has(c->t, CP_ORG, org)) {
		cp_verr_set(&e, "org_id", "no org \"%s\" exists", org);
		fail_field(c, 400, &e);
		return NULL;
	}
	return org;
}

static void keys_create(struct ctx *c)
{
	struct cp_verr e;
	if (cp_validate_key(c->body, CP_V_CREATE, NULL, c->now, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	const char *org = key_org(c);
	if (!org)
		return;
	char plain[SY_KEY_LEN + 1], label[64];
	sy_key_generate(SY_KEY_PREFIX, plain, sizeof(plain));
	sy_key_label(plain, label, sizeof(label));
	ProtobufCMessage *m = cp_entity_new(CP_KEY);
	Sy__ApiKey *k = (Sy__ApiKey *)m;
	if (!k || !(k->hash = malloc(SY_HASH_HEX_LEN + 1)) || !(k->org_id = strdup(org)) ||
	    !(k->label = strdup(label)) || cp_json_apply_key(k, c->body)) {
		fail_rc(c, -ENOMEM, "key");
		goto out;
	}
	sy_sha256_hex(plain, strlen(plain), k->hash);
	k->created_at = k->updated_at = c->now;
	k->has_created_at = k->has_updated_at = true;
	put_reply(c, CP_KEY, m, 201, plain);
out:
	sodium_memzero(plain, sizeof(plain));
	cp_entity_free(&m);
}

/* Load the path's key if the caller may see its org (404 otherwise). */
static ProtobufCMessage *load_key(struct ctx *c)
{
	ProtobufCMessage *m = load(c, CP_KEY, "key");
	if (m && !cp_auth_may_access(c->caller, ((Sy__ApiKey *)m)->org_id)) {
		cp_entity_free(&m);
		fail(c, 404, "key not found");
	}
	return m;
}

static void keys_get(struct ctx *c)
{
	ProtobufCMessage *m = load_key(c);
	if (m)
		reply_data(c, 200, entity_json(c, CP_KEY, m));
	cp_entity_free(&m);
}

static void keys_patch(struct ctx *c)
{
	struct cp_verr e;
	ProtobufCMessage *m = load_key(c);
	if (!m)
		return;
	Sy__ApiKey *k = (Sy__ApiKey *)m;
	const json_t *org = json_object_get(c->body, "org_id");
	if (cp_validate_key(c->body, CP_V_PATCH, c->id, c->now, &e)) {
		fail_field(c, 400, &e);
	} else if (org && strcmp(json_string_value(org), k->org_id)) {
		cp_verr_set(&e, "org_id", "cannot be changed");
		fail_field(c, 400, &e);
	} else if (cp_json_apply_key(k, c->body)) {
		fail_rc(c, -ENOMEM, "key");
	} else {
		k->updated_at = c->now;
		k->has_updated_at = true;
		put_reply(c, CP_KEY, m, 200, NULL);
	}
	cp_entity_free(&m);
}

static void keys_delete(struct ctx *c)
{
	ProtobufCMessage *m = load_key(c);
	if (!m)
		return;
	audit_entity(c, CP_KEY, m);
	c->audit_id = NULL; /* the path's */
	cp_entity_free(&m);
	int rc = cp_store_del(c->t, CP_KEY, c->id);
	if (!rc)
		rc = cp_ledger_forget_key(c->t, c->id);
	if (rc)
		fail_rc(c, rc, "key");
	else
		reply_deleted(c);
}

/* ---- management keys -------------------------------------------------------------------- */

static void mkeys_list(struct ctx *c)
{
	struct list l = {.kind = CP_MKEY};
	if (require_global(c, "list management keys"))
		list(c, &l);
}

static void mkeys_create(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "create management keys"))
		return;
	if (cp_validate_mkey(c->body, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	const json_t *v = json_object_get(c->body, "org_id");
	const char *org = json_is_string(v) ? json_string_value(v) : NULL;
	if (org && !cp_store_has(c->t, CP_ORG, org)) {
		cp_verr_set(&e, "org_id", "no org \"%s\" exists", org);
		fail_field(c, 400, &e);
		return;
	}
	char plain[sizeof(SY_MKEY_PREFIX) + SY_HASH_HEX_LEN];
	sy_key_generate(SY_MKEY_PREFIX, plain, sizeof(plain));
	Sy__MgmtKey *k = cp_auth_mkey_new(
	    plain, json_string_value(json_object_get(c->body, "name")), org, c->now);
	ProtobufCMessage *m = k ? &k->base : NULL;
	if (!m)
		fail_rc(c, -ENOMEM, "management key");
	else
		put_reply(c, CP_MKEY, m, 201, plain);
	sodium_memzero(plain, sizeof(plain));
	cp_entity_free(&m);
}

static void mkeys_get(struct ctx *c)
{
	if (!require_global(c, "read management keys"))
		return;
	ProtobufCMessage *m = load(c, CP_MKEY, "management key");
	if (m)
		reply_data(c, 200, cp_json_mkey((Sy__MgmtKey *)m));
	cp_entity_free(&m);
}

static void mkeys_delete(struct ctx *c)
{
	if (!require_global(c, "delete management keys"))
		return;
	if (!strcmp(c->id, c->caller->hash)) {
		fail(c, 409, "cannot delete the management key used for this request");
		return;
	}
	ProtobufCMessage *m = load(c, CP_MKEY, "management key");
	if (!m)
		return;
	audit_entity(c, CP_MKEY, m);
	c->audit_id = NULL;
	cp_entity_free(&m);
	int rc = cp_store_del(c->t, CP_MKEY, c->id);
	if (rc)
		fail_rc(c, rc, "management key");
	else
		reply_deleted(c);
}

/* ---- providers ---------------------------------------------------------------------------- */

static void providers_list(struct ctx *c)
{
	struct list l = {.kind = CP_PROVIDER};
	list(c, &l);
}

static void providers_get(struct ctx *c)
{
	ProtobufCMessage *m = load(c, CP_PROVIDER, "provider");
	if (m)
		reply_data(c, 200, cp_json_provider((Sy__Provider *)m));
	cp_entity_free(&m);
}

/* Apply the body's write-only api_key: seal it under the KEK, or clear it on null. */
static bool apply_credential(struct ctx *c, Sy__Provider *p)
{
	const json_t *v = json_object_get(c->body, "api_key");
	if (!v)
		return true;
	if (json_is_null(v)) {
		cp_provider_clear_credential(p);
		return true;
	}
	int rc = cp_provider_seal(p, c->a->kek, json_string_value(v));
	if (rc == SY_ENOKEK) {
		fail_meta(c, 400, json_pack("{s:s}", "field", "api_key"),
		          "api_key: no key-encryption key configured: set SWITCHYARD_KEK or "
		          "--kek-file");
		return false;
	}
	if (rc)
		fail_rc(c, rc, "provider credential");
	return rc == 0;
}

/* Fill defaults and timestamps, then store and answer. */
static void save_provider(struct ctx *c, Sy__Provider *p, unsigned status)
{
	if (apply_credential(c, p)) {
		if (status == 201) {
			p->created_at = c->now;
			p->has_created_at = true;
		}
		p->updated_at = c->now;
		p->has_updated_at = true;
		put_reply(c, CP_PROVIDER, &p->base, status, NULL);
	}
}

static void providers_create(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "change the provider catalog"))
		return;
	if (cp_validate_provider(c->body, CP_V_CREATE, NULL, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	const char *slug = json_string_value(json_object_get(c->body, "slug"));
	if (cp_store_has(c->t, CP_PROVIDER, slug)) {
		fail(c, 409, "provider \"%s\" already exists; PATCH it instead", slug);
		return;
	}
	ProtobufCMessage *m = cp_entity_new(CP_PROVIDER);
	Sy__Provider *p = (Sy__Provider *)m;
	if (!p || !(p->slug = strdup(slug)) || cp_json_apply_provider(p, c->body) ||
	    (!p->name && !(p->name = strdup(slug))) ||
	    (!p->adapter && !(p->adapter = strdup("openai"))))
		fail_rc(c, -ENOMEM, "provider");
	else
		save_provider(c, p, 201);
	cp_entity_free(&m);
}

static void providers_patch(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "change the provider catalog"))
		return;
	if (cp_validate_provider(c->body, CP_V_PATCH, c->id, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	ProtobufCMessage *m = load(c, CP_PROVIDER, "provider");
	if (!m)
		return;
	if (cp_json_apply_provider((Sy__Provider *)m, c->body))
		fail_rc(c, -ENOMEM, "provider");
	else
		save_provider(c, (Sy__Provider *)m, 200);
	cp_entity_free(&m);
}

struct uses {
	const char *slug;
	char model[CP_MODEL_ID_MAX + 1];
};

static int model_uses(const ProtobufCMessage *msg, void *arg)
{
	struct uses *u = arg;
	const Sy__Model *m = (const Sy__Model *)msg;
	for (size_t i = 0; i < m->n_endpoints; i++) {
		if (!strcmp(m->endpoints[i]->provider, u->slug)) {
			snprintf(u->model, sizeof(u->model), "%s", m->id);
			return 1;
		}
	}
	return 0;
}

static void providers_delete(struct ctx *c)
{
	if (!require_global(c, "change the provider catalog"))
		return;
	struct uses u = {.slug = c->id};
	int rc = cp_store_each(c->t, CP_MODEL, model_uses, &u);
	if (rc == 1) {
		fail(c, 409, "provider \"%s\" serves model \"%s\"; remove its endpoints first",
		     c->id, u.model);
		return;
	}
	if (!rc)
		rc = cp_store_del(c->t, CP_PROVIDER, c->id);
	if (rc)
		fail_rc(c, rc, "provider");
	else
		reply_deleted(c);
}

/* ---- models ------------------------------------------------------------------------------- */

static void models_list(struct ctx *c)
{
	struct list l = {.kind = CP_MODEL};
	list(c, &l);
}

static void models_get(struct ctx *c)
{
	ProtobufCMessage *m = load(c, CP_MODEL, "model");
	if (m)
		reply_data(c, 200, cp_json_model((Sy__Model *)m));
	cp_entity_free(&m);
}

/* Check the endpoints' providers exist, stamp and store. */
static void save_model(struct ctx *c, Sy__Model *m, unsigned status)
{
	struct cp_verr e;
	if (cp_validate_model_refs(c->t, m, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	if (status == 201) {
		m->created_at = c->now;
		m->has_created_at = true;
	}
	m->updated_at = c->now;
	m->has_updated_at = true;
	put_reply(c, CP_MODEL, &m->base, status, NULL);
}

static void models_create(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "change the model catalog"))
		return;
	if (cp_validate_model(c->body, CP_V_CREATE, NULL, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	const char *id = json_string_value(json_object_get(c->body, "id"));
	if (cp_store_has(c->t, CP_MODEL, id)) {
		fail(c, 409, "model \"%s\" already exists; PATCH it instead", id);
		return;
	}
	ProtobufCMessage *m = cp_entity_new(CP_MODEL);
	Sy__Model *mo = (Sy__Model *)m;
	if (!mo || !(mo->id = strdup(id)) || cp_json_apply_model(mo, c->body))
		fail_rc(c, -ENOMEM, "model");
	else
		save_model(c, mo, 201);
	cp_entity_free(&m);
}

static void models_patch(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "change the model catalog"))
		return;
	if (cp_validate_model(c->body, CP_V_PATCH, c->id, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	ProtobufCMessage *m = load(c, CP_MODEL, "model");
	if (!m)
		return;
	if (cp_json_apply_model((Sy__Model *)m, c->body))
		fail_rc(c, -ENOMEM, "model");
	else
		save_model(c, (Sy__Model *)m, 200);
	cp_entity_free(&m);
}

static void models_delete(struct ctx *c)
{
	if (!require_global(c, "change the model catalog"))
		return;
	int rc = cp_store_del(c->t, CP_MODEL, c->id);
	if (rc)
		fail_rc(c, rc, "model");
	else
		reply_deleted(c);
}

/* ---- the auto router (openrouter/auto, switchyard/auto) ---------------------------------- */

/* Any management key may read the rules: they hold nothing secret. */
static void autorouter_get(struct ctx *c)
{
	c->id = SY_AUTO_ROUTER_ID;
	ProtobufCMessage *m = NULL;
	int rc = cp_store_get(c->t, CP_AUTOROUTER, c->id, &m);
	if (rc == SY_ENOTFOUND)
		fail(c, 404, "no auto-router rules are configured (PUT /api/v1/auto-router)");
	else if (rc)
		fail_rc(c, rc, "auto-router rules");
	else
		reply_data(c, 200, cp_json_autorouter((Sy__AutoRouter *)m));
	cp_entity_free(&m);
}

/* Replace the whole rule set. */
static void autorouter_put(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "change the auto-router rules"))
		return;
	if (cp_validate_autorouter(c->body, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	ProtobufCMessage *m = NULL, *old = NULL;
	bool existed = cp_store_get(c->t, CP_AUTOROUTER, SY_AUTO_ROUTER_ID, &old) == 0;
	Sy__AutoRouter *ar = (Sy__AutoRouter *)(m = cp_entity_new(CP_AUTOROUTER));
	if (!ar || !(ar->id = strdup(SY_AUTO_ROUTER_ID)) || cp_json_apply_autorouter(ar, c->body)) {
		fail_rc(c, -ENOMEM, "auto-router rules");
	} else if (cp_validate_autorouter_refs(c->t, ar, &e)) {
		fail_field(c, 400, &e);
	} else {
		ar->has_created_at = ar->has_updated_at = true;
		ar->created_at = existed ? ((Sy__AutoRouter *)old)->created_at : c->now;
		ar->updated_at = c->now;
		put_reply(c, CP_AUTOROUTER, m, existed ? 200 : 201, NULL);
	}
	cp_entity_free(&old);
	cp_entity_free(&m);
}

static void autorouter_delete(struct ctx *c)
{
	if (!require_global(c, "change the auto-router rules"))
		return;
	int rc = cp_store_del(c->t, CP_AUTOROUTER, SY_AUTO_ROUTER_ID);
	if (rc == SY_ENOTFOUND)
		fail(c, 404, "no auto-router rules are configured");
	else if (rc)
		fail_rc(c, rc, "auto-router rules");
	else
		reply_deleted(c);
}

/* ---- guardrails (global management keys only: they name orgs and keys) ------------------- */

static void guardrails_list(struct ctx *c)
{
	struct list l = {.kind = CP_GUARDRAIL};
	if (require_global(c, "read guardrails"))
		list(c, &l);
}

static void guardrails_get(struct ctx *c)
{
	if (!require_global(c, "read guardrails"))
		return;
	ProtobufCMessage *m = load(c, CP_GUARDRAIL, "guardrail");
	if (m)
		reply_data(c, 200, cp_json_guardrail((Sy__Guardrail *)m));
	cp_entity_free(&m);
}

/* Apply the body, check its references, stamp and store. */
static void save_guardrail(struct ctx *c, Sy__Guardrail *g, unsigned status)
{
	struct cp_verr e;
	if (cp_json_apply_guardrail(g, c->body)) {
		fail_rc(c, -ENOMEM, "guardrail");
		return;
	}
	if (cp_validate_guardrail_refs(c->t, g, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	if (status == 201) {
		g->created_at = c->now;
		g->has_created_at = true;
	}
	g->updated_at = c->now;
	g->has_updated_at = true;
	put_reply(c, CP_GUARDRAIL, &g->base, status, NULL);
}

static void guardrails_create(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "create guardrails"))
		return;
	if (cp_validate_guardrail(c->body, CP_V_CREATE, NULL, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	ProtobufCMessage *m = cp_entity_new(CP_GUARDRAIL);
	Sy__Guardrail *g = (Sy__Guardrail *)m;
	char id[sizeof("gr_") + ORG_ID_RANDOM] = "gr_";
	sy_random_alnum(id + 3, ORG_ID_RANDOM);
	if (!g || !(g->id = strdup(id)))
		fail_rc(c, -ENOMEM, "guardrail");
	else
		save_guardrail(c, g, 201);
	cp_entity_free(&m);
}

static void guardrails_patch(struct ctx *c)
{
	struct cp_verr e;
	if (!require_global(c, "change guardrails"))
		return;
	if (cp_validate_guardrail(c->body, CP_V_PATCH, c->id, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	ProtobufCMessage *m = load(c, CP_GUARDRAIL, "guardrail");
	if (m)
		save_guardrail(c, (Sy__Guardrail *)m, 200);
	cp_entity_free(&m);
}

static void guardrails_delete(struct ctx *c)
{
	if (!require_global(c, "delete guardrails"))
		return;
	int rc = cp_store_del(c->t, CP_GUARDRAIL, c->id);
	if (rc)
		fail_rc(c, rc, "guardrail");
	else
		reply_deleted(c);
}

/* ---- the audit log ------------------------------------------------------------------------ */

static void audit_list(struct ctx *c)
{
	cp_auditlog_serve(c->t, c->caller, c->req, c->res);
}

/* ---- routing ------------------------------------------------------------------------------ */

static const struct route {
	const char *coll; /* first path segment after /api/v1/ */
	bool item;        /* /coll/{id} rather than /coll */
	const char *method;
	handler_fn *fn;
} routes[] = {
    {"orgs", false, "GET", orgs_list},
    {"orgs", false, "POST", orgs_create},
    {"orgs", true, "GET", orgs_get},
    {"orgs", true, "PATCH", orgs_patch},
    {"orgs", true, "DELETE", orgs_delete},
    {"keys", false, "GET", keys_list},
    {"keys", false, "POST", keys_create},
    {"keys", true, "GET", keys_get},
    {"keys", true, "PATCH", keys_patch},
    {"keys", true, "DELETE", keys_delete},
    {"management-keys", false, "GET", mkeys_list},
    {"management-keys", false, "POST", mkeys_create},
    {"management-keys", true, "GET", mkeys_get},
    {"management-keys", true, "DELETE", mkeys_delete},
    {"providers", false, "GET", providers_list},
    {"providers", false, "POST", providers_create},
    {"providers", true, "GET", providers_get},
    {"providers", true, "PATCH", providers_patch},
    {"providers", true, "DELETE", providers_delete},
    {"models", false, "GET", models_list},
    {"models", false, "POST", models_create},
    {"models", true, "GET", models_get},
    {"models", true, "PATCH", models_patch},
    {"models", true, "DELETE", models_delete},
    {"auto-router", false, "GET", autorouter_get},
    {"auto-router", false, "PUT", autorouter_put},
    {"auto-router", false, "DELETE", autorouter_delete},
    {"audit", false, "GET", audit_list},
    {"guardrails", false, "GET", guardrails_list},
    {"guardrails", false, "POST", guardrails_create},
    {"guardrails", true, "GET", guardrails_get},
    {"guardrails", true, "PATCH", guardrails_patch},
    {"guardrails", true, "DELETE", guardrails_delete},
};

/* Find the route for method and path; sets *id and the response on 404/405. */
static const struct route *route(struct ctx *c, const char *path, char *coll, size_t colllen)
{
	const char *rest = path + sizeof(API_PREFIX) - 1, *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	snprintf(coll, colllen, "%.*s", (int)n, rest);
	c->id = slash && slash[1] ? slash + 1 : NULL;
	bool models = !strcmp(coll, "models");
	bool path_ok = !(c->id && strchr(c->id, '/') && !models) && !(slash && !slash[1]);
	const struct route *found = NULL;
	for (size_t i = 0; path_ok && i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (strcmp(r->coll, coll) || r->item != (c->id != NULL))
			continue;
		found = r;
		if (!strcmp(r->method, c->req->method))
			return r;
	}
	if (found)
		fail(c, 405, "method %s not allowed here", c->req->method);
	else
		fail(c, 404, "no such admin endpoint");
	return NULL;
}

static void serve(struct ctx *c, char *coll, size_t colllen)
{
	const struct cp_request *req = c->req;
	if (!strcmp(req->path, "/health")) {
		cp_response_json(c->res, 200, cp_metrics_health(c->a->s));
		return;
	}
	if (!strcmp(req->path, "/metrics") && !strcmp(req->method, "GET")) {
		if ((c->res->body = cp_metrics_render(c->a->s))) {
			c->res->status = 200;
			c->res->content_type = "text/plain; version=0.0.4";
		}
		return;
	}
	if (strncmp(req->path, API_PREFIX, sizeof(API_PREFIX) - 1)) {
		fail(c, 404, "no such admin endpoint");
		return;
	}
	bool write = strcmp(req->method, "GET") != 0;
	if (!(c->t = cp_store_begin(c->a->s, write))) {
		fail_rc(c, SY_ESTORE, "transaction");
		return;
	}
	int rc = cp_auth_lookup(c->t, req->authorization, &c->caller);
	if (rc) {
		const char *bearer =
		    req->authorization ? strstr(req->authorization, SY_KEY_PREFIX) : NULL;
		if (rc != SY_ENOTFOUND)
			fail_rc(c, rc, "authentication");
		else if (bearer)
			fail(c, 401,
			     "inference API keys cannot call the admin API; use a "
			     "management key");
		else
			fail(c, 401,
			     "missing or invalid management key (Authorization: Bearer "
			     "sk-sy-mgmt-v1-...)");
		return;
	}
	if (cp_byok_match(req->path)) {
		snprintf(coll, colllen, "credentials");
		struct cp_billing_call bc = {&c->t,  c->caller,     req, c->res,
		                             c->now, billing_audit, c};
		cp_byok_serve(&bc, c->a->kek);
		return;
	}
	if (cp_billing_match(req->path)) {
		snprintf(coll, colllen, "billing");
		struct cp_billing_call bc = {&c->t,  c->caller,     req, c->res,
		                             c->now, billing_audit, c};
		cp_billing_serve(&bc);
		return;
	}
	if (cp_reports_match(req->path)) {
		snprintf(coll, colllen, "reports");
		struct cp_reports_call rpc = {c->t, c->caller, req, c->res, c->now, c->a->stats};
		cp_reports_serve(&rpc);
		return;
	}
	const struct route *r = route(c, req->path, coll, colllen);
	if (!r)
		return;
	if (!strcmp(req->method, "POST") || !strcmp(req->method, "PATCH") ||
	    !strcmp(req->method, "PUT")) {
		json_error_t err;
		c->body = req->body_len
		              ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err)
		              : NULL;
		if (!c->body) {
			fail_meta(c, 400, json_pack("{s:s}", "field", "body"),
			          "body: must be a JSON object%s%s", req->body_len ? ": " : "",
			          req->body_len ? err.text : "");
			return;
		}
	}
	r->fn(c);
}

struct cp_admin *cp_admin_new(struct cp_store *s, const struct sy_kek *kek)
{
	struct cp_admin *a = calloc(1, sizeof(*a));
	if (a) {
		a->s = s;
		a->kek = kek;
	}
	return a;
}

void cp_admin_set_stats(struct cp_admin *a, const struct cp_stats *st)
{
	a->stats = st;
}

void cp_admin_free(struct cp_admin **ap)
{
	free(*ap);
	*ap = NULL;
}

void cp_admin_handle(struct cp_admin *a, const struct cp_request *req, struct cp_response *res)
{
	struct ctx c = {.a = a, .req = req, .res = res, .now = sy_unix_s()};
	char coll[32] = "-";
	res->status = 500;
	res->body = NULL;
	res->content_type = NULL;
	serve(&c, coll, sizeof(coll));
	if (!res->body)
		fail(&c, 500, "internal error: no response");
	if (res->status >= 200 && res->status < 600)
		cp_metrics.admin_responses[res->status / 100]++;
	/* Ids (key hashes) stay out of the log: only the collection is named. */
	sy_debug("admin %s %s -> %u", req->method, coll, res->status);
	cp_store_abort(&c.t);
	json_decref(c.body);
	ProtobufCMessage *caller = c.caller ? &c.caller->base : NULL;
	cp_entity_free(&caller);
}
