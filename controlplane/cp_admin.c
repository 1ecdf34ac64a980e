/* cp_admin.c - routes and handlers of the admin REST API. */
#include "cp_admin.h"
#include "cp_auditlog.h"
#include "cp_auth.h"
#include "cp_billing.h"
#include "cp_byok.h"
#include "cp_json.h"
#include "cp_ledger.h"
#include "cp_metrics.h"
#include "cp_rankings.h"
#include "cp_reports.h"
#include "cp_route.h"
#include "cp_schema.h"
#include "cp_validate.h"
#include "sy_array.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_msg.h"
#include "sy_proc.h"

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
	struct cp_txn *t;               /* read or write transaction; NULL once committed */
	Sy__MgmtKey *caller;            /* the authenticated management key */
	const char *id;                 /* the path's item id, NULL for a collection */
	const struct cp_schema *schema; /* the route's entity kind */
	json_t *body;                   /* parsed body of POST/PATCH */
	int64_t now;
	/* for the audit entry: a created object's id, the org the object belongs to */
	const char *audit_id;
	char audit_org[CP_NAME_MAX];
};

typedef void handler_fn(struct ctx *c);

/* ---- responses ------------------------------------------------------------------------- */

static void reply_data(struct ctx *c, unsigned status, json_t *data)
{
	cp_response_data(c->res, status, data);
}

#define fail_meta(c, status, meta, ...) cp_response_error((c)->res, (status), (meta), __VA_ARGS__)
#define fail(c, status, ...) fail_meta((c), (status), NULL, __VA_ARGS__)

static void fail_field(struct ctx *c, unsigned status, const struct cp_verr *e)
{
	cp_response_verr(c->res, status, e);
}

static void fail_rc(struct ctx *c, int rc, const char *what)
{
	cp_response_rc(c->res, "admin", what, rc);
}

/* Money controls and everything beyond one org need a global key: an org-scoped key would
 * otherwise give its own org credit or lift its own limits. */
bool cp_admin_require_global(const Sy__MgmtKey *caller, struct cp_response *res, const char *action)
{
	if (cp_auth_is_global(caller))
		return true;
	cp_response_error(res, 403, NULL,
	                  "this management key is scoped to one org; only a global management key "
	                  "may %s",
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
	const struct cp_schema *sc = cp_schema_of(k);
	const char *org = sc->org_of ? sc->org_of(m) : NULL;
	c->audit_id = cp_entity_id(k, m);
	snprintf(c->audit_org, sizeof(c->audit_org), "%s", org ? org : "");
}

/* JSON of an entity as the API shows it (keys with their usage as of now). */
static json_t *entity_json(struct ctx *c, enum cp_kind k, const ProtobufCMessage *m)
{
	struct cp_key_usage u;
	if (k != CP_KEY)
		return cp_schema_of(k)->to_json(m);
	if (cp_ledger_key_usage(c->t, ((const Sy__ApiKey *)m)->hash, c->now, &u))
		return NULL;
	return cp_json_key((const Sy__ApiKey *)m, &u);
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
	size_t skip;           /* keys: the first matches left out (?offset=) */
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
		if (l->skip) {
			l->skip--;
			return 0;
		}
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

/* ---- any kind, from its schema (cp_schema) ----------------------------------------------- */

/* True if the caller may do action (NULL: any management key may); else the 403 is set. */
static bool allowed(struct ctx *c, const char *action)
{
	return !action || require_global(c, action);
}

/* A new entity's id: prefix and random characters. */
static const char *new_id(char *buf, size_t size, const char *prefix)
{
	size_t n = strlen(prefix);
	snprintf(buf, size, "%s", prefix);
	sy_random_alnum(buf + n, ORG_ID_RANDOM);
	return buf;
}

/* Apply the body to m, then what the kind adds, check its references, stamp and store. */
static void save(struct ctx *c, ProtobufCMessage *m, unsigned status)
{
	const struct cp_schema *sc = c->schema;
	struct cp_verr e;
	if (sc->apply(m, c->body) || (sc->complete && sc->complete(m))) {
		fail_rc(c, -ENOMEM, sc->what);
		return;
	}
	if (sc->kind == CP_PROVIDER && !apply_credential(c, (Sy__Provider *)m))
		return;
	if (sc->refs && sc->refs(c->t, m, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	cp_schema_stamp(m, status == 201, c->now);
	put_reply(c, sc->kind, m, status, NULL);
}

/* Load the path's entity if the caller may see the org it belongs to (404 otherwise, hiding
 * other orgs' entities). */
static ProtobufCMessage *load_scoped(struct ctx *c)
{
	const struct cp_schema *sc = c->schema;
	ProtobufCMessage *m = load(c, sc->kind, sc->what);
	if (m && sc->org_of && !cp_auth_may_access(c->caller, sc->org_of(m))) {
		cp_entity_free(&m);
		fail(c, 404, "%s not found", sc->what);
	}
	return m;
}

static void entity_list(struct ctx *c)
{
	struct list l = {.kind = c->schema->kind};
	if (allowed(c, c->schema->read_action))
		list(c, &l);
}

static void entity_get(struct ctx *c)
{
	const struct cp_schema *sc = c->schema;
	if (!allowed(c, sc->read_action))
		return;
	ProtobufCMessage *m = load_scoped(c);
	if (m)
		reply_data(c, 200, entity_json(c, sc->kind, m));
	cp_entity_free(&m);
}

static void entity_create(struct ctx *c)
{
	const struct cp_schema *sc = c->schema;
	struct cp_verr e;
	char gen[24];
	if (!allowed(c, sc->create_action))
		return;
	if (sc->validate(c->body, CP_V_CREATE, NULL, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	const char *id = sc->id_field ? json_string_value(json_object_get(c->body, sc->id_field))
	                              : new_id(gen, sizeof(gen), sc->id_prefix);
	if (sc->id_field && cp_store_has(c->t, sc->kind, id)) {
		fail(c, 409, "%s \"%s\" already exists; PATCH it instead", sc->what, id);
		return;
	}
	ProtobufCMessage *m = cp_entity_new(sc->kind);
	if (!m || sc->set_id(m, id))
		fail_rc(c, -ENOMEM, sc->what);
	else
		save(c, m, 201);
	cp_entity_free(&m);
}

static void entity_patch(struct ctx *c)
{
	const struct cp_schema *sc = c->schema;
	struct cp_verr e;
	if (!allowed(c, sc->change_action))
		return;
	if (sc->validate(c->body, CP_V_PATCH, c->id, &e)) {
		fail_field(c, 400, &e);
		return;
	}
	ProtobufCMessage *m = load_scoped(c);
	if (m)
		save(c, m, 200);
	cp_entity_free(&m);
}

static void entity_delete(struct ctx *c)
{
	const struct cp_schema *sc = c->schema;
	if (!allowed(c, sc->delete_action))
		return;
	int rc = cp_store_del(c->t, sc->kind, c->id);
	if (rc)
		fail_rc(c, rc, sc->what);
	else
		reply_deleted(c);
}

/* ---- orgs ------------------------------------------------------------------------------- */

static void orgs_patch(struct ctx *c)
{
	struct cp_verr e;
	ProtobufCMessage *m = load_scoped(c);
	if (!m)
		return;
	bool billing = json_object_get(c->body, "billing") || json_object_get(c->body, "postpaid");
	if (cp_validate_org(c->body, CP_V_PATCH, c->id, &e)) {
		fail_field(c, 400, &e);
	} else if (billing && !require_global(c, "change an org's billing mode")) {
		; /* prepaid/postpaid decides whether the org's credits bound its spend */
	} else {
		save(c, m, 200);
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
	const char *inc = query(c, "include_disabled"), *ws = query(c, "workspace_id");
	const char *offset = query(c, "offset");
	long long skip = 0;
	struct cp_verr e;
	if (ws && l.org && strcmp(ws, l.org))
		cp_verr_set(&e, "workspace_id",
		            "names another org than org_id (they are the same)");
	else if (offset && !sy_parse_num(offset, 0, 1000000000, &skip))
		cp_verr_set(&e, "offset", "must be an integer from 0 to 1000000000");
	else
		e.field[0] = '\0';
	if (e.field[0]) {
		fail_field(c, 400, &e);
		return;
	}
	l.org = l.org ? l.org : ws;
	l.skip = (size_t)skip;
	if (inc && strcmp(inc, "true") && strcmp(inc, "false")) {
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

/* The only org, while the scan has seen one. */
struct only_org {
	char *id; /* the caller's buffer */
	size_t cap;
	int n;
};

static int count_org(const ProtobufCMessage *m, void *arg)
{
	struct only_org *o = arg;
	snprintf(o->id, o->cap, "%s", ((const Sy__Org *)m)->id);
	return ++o->n > 1; /* a second one: stop */
}

/* The org a new key belongs to (org_id, or OpenRouter's workspace_id; for a global key
 * without either, the only org when there is exactly one), checked against the caller's
 * scope and the store. */
static const char *key_org(struct ctx *c, char *only_id, size_t cap)
{
	struct cp_verr e;
	const json_t *v = json_object_get(c->body, "org_id");
	const json_t *ws = json_object_get(c->body, "workspace_id");
	const char *org = json_is_string(v) ? json_string_value(v) : json_string_value(ws);
	if (json_is_string(v) && json_is_string(ws) && strcmp(org, json_string_value(ws))) {
		cp_verr_set(&e, "workspace_id",
		            "names another org than org_id (they are the same)");
		fail_field(c, 400, &e);
		return NULL;
	}
	struct only_org only = {only_id, cap, 0};
	if (!org && cp_auth_is_global(c->caller) &&
	    !cp_store_each(c->t, CP_ORG, count_org, &only) && only.n == 1)
		org = only_id;
	if (!org && cp_auth_is_global(c->caller)) {
		cp_verr_set(&e, "org_id", "is required (there is not exactly one org)");
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
	char only[128];
	const char *org = key_org(c, only, sizeof(only));
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
	cp_schema_stamp(m, true, c->now);
	put_reply(c, CP_KEY, m, 201, plain);
out:
	sodium_memzero(plain, sizeof(plain));
	cp_entity_free(&m);
}

static void keys_patch(struct ctx *c)
{
	struct cp_verr e;
	ProtobufCMessage *m = load_scoped(c);
	if (!m)
		return;
	Sy__ApiKey *k = (Sy__ApiKey *)m;
	const json_t *org = json_object_get(c->body, "org_id");
	if (cp_validate_key(c->body, CP_V_PATCH, c->id, c->now, &e)) {
		fail_field(c, 400, &e);
	} else if (org && strcmp(json_string_value(org), k->org_id)) {
		cp_verr_set(&e, "org_id", "cannot be changed");
		fail_field(c, 400, &e);
	} else {
		save(c, m, 200);
	}
	cp_entity_free(&m);
}

static void keys_delete(struct ctx *c)
{
	ProtobufCMessage *m = load_scoped(c);
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

/* A provider that serves a model stays (409). */
static void providers_delete(struct ctx *c)
{
	if (!require_global(c, "change the provider catalog"))
		return;
	struct uses u = {.slug = c->id};
	int rc = cp_store_each(c->t, CP_MODEL, model_uses, &u);
	if (rc == 1)
		fail(c, 409, "provider \"%s\" serves model \"%s\"; remove its endpoints first",
		     c->id, u.model);
	else if (rc)
		fail_rc(c, rc, "provider");
	else
		entity_delete(c);
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
    {"orgs", false, "GET", entity_list},
    {"orgs", false, "POST", entity_create},
    {"orgs", true, "GET", entity_get},
    {"orgs", true, "PATCH", orgs_patch},
    {"orgs", true, "DELETE", orgs_delete},
    {"keys", false, "GET", keys_list},
    {"keys", false, "POST", keys_create},
    {"keys", true, "GET", entity_get},
    {"keys", true, "PATCH", keys_patch},
    {"keys", true, "DELETE", keys_delete},
    {"management-keys", false, "GET", mkeys_list},
    {"management-keys", false, "POST", mkeys_create},
    {"management-keys", true, "GET", entity_get},
    {"management-keys", true, "DELETE", mkeys_delete},
    {"providers", false, "GET", entity_list},
    {"providers", false, "POST", entity_create},
    {"providers", true, "GET", entity_get},
    {"providers", true, "PATCH", entity_patch},
    {"providers", true, "DELETE", providers_delete},
    {"models", false, "GET", entity_list},
    {"models", false, "POST", entity_create},
    {"models", true, "GET", entity_get},
    {"models", true, "PATCH", entity_patch},
    {"models", true, "DELETE", entity_delete},
    {"auto-router", false, "GET", autorouter_get},
    {"auto-router", false, "PUT", autorouter_put},
    {"auto-router", false, "DELETE", autorouter_delete},
    {"audit", false, "GET", audit_list},
    {"guardrails", false, "GET", entity_list},
    {"guardrails", false, "POST", entity_create},
    {"guardrails", true, "GET", entity_get},
    {"guardrails", true, "PATCH", entity_patch},
    {"guardrails", true, "DELETE", entity_delete},
};

/* Find the route for method and path; sets c->id, or the response on 404/405. A row serves
 * /coll, or /coll/{id} when item (model ids may hold '/'). */
static const struct route *route(struct ctx *c, const char *path, char *coll, size_t colllen)
{
	const char *rest = path + sizeof(API_PREFIX) - 1;
	bool matched = false;
	snprintf(coll, colllen, "%.*s", (int)strcspn(rest, "/"), rest);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		char pattern[64];
		struct cp_route_caps caps;
		snprintf(pattern, sizeof(pattern), "%s%s", r->coll,
		         !r->item                    ? ""
		         : strcmp(r->coll, "models") ? "/{}"
		                                     : "/{*}");
		if (!cp_route_match(pattern, rest, &caps))
			continue;
		matched = true;
		c->id = r->item ? caps.at[0] : NULL; /* the path's last segment(s): a string */
		if (!strcmp(r->method, c->req->method))
			return r;
	}
	cp_route_fail(c->res, matched, c->req->method);
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
	if (cp_rankings_match(req->path)) {
		snprintf(coll, colllen, "rankings");
		struct cp_reports_call rpc = {c->t, c->caller, req, c->res, c->now, c->a->stats};
		cp_rankings_serve(&rpc);
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
	c->schema = cp_schema_by_collection(coll);
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
