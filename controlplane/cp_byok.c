/* cp_byok.c - store, list and delete orgs' own provider credentials. */
#include "cp_byok.h"
#include "cp_auth.h"
#include "cp_json.h"
#include "cp_validate.h"
#include "sy_err.h"
#include "sy_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORGS "/api/v1/orgs/"
#define CREDS "/credentials"
#define SECRET_MAX 4096
#define ID_MAX 160

/* "/api/v1/orgs/{org}/credentials[/{slug}]" into org and slug ("" for the collection). */
static bool split(const char *path, char *org, size_t olen, char *slug, size_t slen)
{
	if (strncmp(path, ORGS, strlen(ORGS)))
		return false;
	const char *o = path + strlen(ORGS), *end = strchr(o, '/');
	if (!end || end == o || (size_t)(end - o) >= olen || strncmp(end, CREDS, strlen(CREDS)))
		return false;
	const char *rest = end + strlen(CREDS);
	if (*rest &&
	    (rest[0] != '/' || !rest[1] || strchr(rest + 1, '/') || strlen(rest + 1) >= slen))
		return false;
	snprintf(org, olen, "%.*s", (int)(end - o), o);
	snprintf(slug, slen, "%s", *rest ? rest + 1 : "");
	return true;
}

bool cp_byok_match(const char *path)
{
	char org[ID_MAX], slug[ID_MAX];
	return split(path, org, sizeof(org), slug, sizeof(slug));
}

json_t *cp_byok_json(const Sy__OrgCredential *oc)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:b,s:o,s:o}", "id", oc->id, "org_id", oc->org_id,
	                 "provider", oc->provider, "has_api_key",
	                 oc->has_api_key_enc && oc->api_key_enc.len, "disabled", oc->disabled,
	                 "created_at", cp_json_time(oc->created_at), "updated_at",
	                 cp_json_time(oc->updated_at));
}

struct listing {
	const char *org;
	json_t *arr;
};

static int list_item(const ProtobufCMessage *m, void *arg)
{
	struct listing *l = arg;
	const Sy__OrgCredential *oc = (const Sy__OrgCredential *)m;
	if (strcmp(oc->org_id, l->org))
		return 0;
	return json_array_append_new(l->arr, cp_byok_json(oc)) ? -ENOMEM : 0;
}

/* PUT: validate, seal, store. */
static void put(const struct cp_billing_call *c, const char *org, const char *slug,
                const struct sy_kek *kek)
{
	json_error_t jerr;
	json_t *body = c->req->body_len ? json_loadb(c->req->body, c->req->body_len,
	                                             JSON_REJECT_DUPLICATES, &jerr)
	                                : NULL;
	const json_t *key = json_object_get(body, "api_key");
	const json_t *dis = json_object_get(body, "disabled");
	char id[2 * ID_MAX];
	snprintf(id, sizeof(id), "%s:%s", org, slug);
	ProtobufCMessage *m = NULL;
	bool existed = cp_store_get(*c->t, CP_CREDENTIAL, id, &m) == 0;
	size_t n = json_string_length(key);
	static const char *const fields[] = {"api_key", "disabled", NULL};
	struct cp_verr ve;
	if (!json_is_object(body)) {
		cp_response_field_error(c->res, 400, "body", "body: must be a JSON object");
	} else if (cp_validate_fields(body, "", fields, &ve)) {
		cp_response_field_error(c->res, 400, ve.field, "%s", ve.message);
	} else if (!cp_store_has(*c->t, CP_PROVIDER, slug)) {
		cp_response_field_error(c->res, 404, NULL, "no provider \"%s\" exists", slug);
	} else if ((key || !existed) && (!json_is_string(key) || !n || n > SECRET_MAX ||
	                                 strlen(json_string_value(key)) != n)) {
		cp_response_field_error(
		    c->res, 400, "api_key",
		    "api_key: must be the provider credential, 1 to %d characters", SECRET_MAX);
	} else if (dis && !json_is_boolean(dis)) {
		cp_response_field_error(c->res, 400, "disabled", "disabled: must be true or false");
	} else {
		Sy__OrgCredential *oc = (Sy__OrgCredential *)m;
		if (!oc) {
			m = cp_entity_new(CP_CREDENTIAL);
			oc = (Sy__OrgCredential *)m;
			if (oc && (!(oc->id = strdup(id)) || !(oc->org_id = strdup(org)) ||
			           !(oc->provider = strdup(slug))))
				oc = NULL;
			if (oc) {
				oc->created_at = c->now;
				oc->has_created_at = true;
			}
		}
		int rc = oc ? 0 : -ENOMEM;
		if (!rc && key)
			rc = cp_credential_seal(oc, kek, json_string_value(key));
		if (rc == SY_ENOKEK) {
			cp_response_field_error(
			    c->res, 400, "api_key",
			    "api_key: no key-encryption key configured: set SWITCHYARD_KEK or "
			    "--kek-file");
		} else if (rc) {
			cp_response_internal(c->res, "byok", "credential", rc);
		} else {
			if (dis) {
				oc->has_disabled = true;
				oc->disabled = json_is_true(dis);
			}
			oc->updated_at = c->now;
			oc->has_updated_at = true;
			json_t *data = cp_byok_json(oc);
			unsigned status = existed ? 200 : 201;
			if ((rc = cp_store_put(*c->t, CP_CREDENTIAL, m)))
				cp_response_internal(c->res, "byok", "credential", rc);
			if (!rc && cp_billing_commit(c, status)) {
				cp_response_data(c->res, status, data);
				data = NULL;
			}
			json_decref(data);
		}
	}
	cp_entity_free(&m);
	json_decref(body);
}

void cp_byok_serve(const struct cp_billing_call *c, const struct sy_kek *kek)
{
	char org[ID_MAX], slug[ID_MAX];
	split(c->req->path, org, sizeof(org), slug, sizeof(slug));
	const char *method = c->req->method;
	if (!cp_auth_may_access(c->caller, org) || !cp_store_has(*c->t, CP_ORG, org)) {
		cp_response_field_error(c->res, 404, NULL, "org not found");
		return;
	}
	if (!slug[0]) {
		if (strcmp(method, "GET")) {
			cp_response_field_error(c->res, 405, NULL, "method %s not allowed here",
			                        method);
			return;
		}
		struct listing l = {.org = org, .arr = json_array()};
		int rc = l.arr ? cp_store_each(*c->t, CP_CREDENTIAL, list_item, &l) : -ENOMEM;
		if (rc) {
			json_decref(l.arr);
			cp_response_internal(c->res, "byok", "credentials", rc);
			return;
		}
		cp_response_data(c->res, 200, l.arr);
		return;
	}
	if (!strcmp(method, "PUT")) {
		put(c, org, slug, kek);
		return;
	}
	if (strcmp(method, "DELETE")) {
		cp_response_field_error(c->res, 405, NULL, "method %s not allowed here", method);
		return;
	}
	char id[2 * ID_MAX];
	snprintf(id, sizeof(id), "%s:%s", org, slug);
	int rc = cp_store_del(*c->t, CP_CREDENTIAL, id);
	if (rc == SY_ENOTFOUND)
		cp_response_field_error(c->res, 404, NULL, "org %s has no %s credential", org,
		                        slug);
	else if (rc)
		cp_response_internal(c->res, "byok", "credential", rc);
	else if (cp_billing_commit(c, 200))
		cp_response_json(c->res, 200, json_pack("{s:b}", "deleted", 1));
}
