/* cp_catalog.c - validate a catalog file, then upsert what differs in one transaction. */
#include "cp_catalog.h"
#include "cp_json.h"
#include "cp_validate.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_log.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct import {
	const char *path;
	struct cp_txn *t;
	const struct sy_kek *kek;
	int64_t now;
	size_t changed;
	char *err;
	size_t errlen;
};

static int bad(struct import *im, const char *list, size_t i, const json_t *item,
               const char *idfield, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int bad(struct import *im, const char *list, size_t i, const json_t *item,
               const char *idfield, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *id = json_string_value(json_object_get(item, idfield));
	snprintf(im->err, im->errlen, "%s: %s[%zu]%s%s%s: %s", im->path, list, i, id ? " (" : "",
	         id ? id : "", id ? ")" : "", msg);
	return SY_EINVAL;
}

/* True if a and b encode to the same bytes. */
static bool same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t na = protobuf_c_message_get_packed_size(a);
	if (na != protobuf_c_message_get_packed_size(b))
		return false;
	uint8_t *ba = malloc(na ? na : 1), *bb = malloc(na ? na : 1);
	bool eq = ba && bb;
	if (eq) {
		protobuf_c_message_pack(a, ba);
		protobuf_c_message_pack(b, bb);
		eq = memcmp(ba, bb, na) == 0;
	}
	if (ba)
		sodium_memzero(ba, na);
	free(ba);
	free(bb);
	return eq;
}

/* Validate every entry of one list (and that ids are unique) before anything is written. */
static int check_list(struct import *im, const json_t *arr, const char *list, const char *idfield,
                      bool providers)
{
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		snprintf(im->err, im->errlen, "%s: \"%s\" must be an array", im->path, list);
		return SY_EINVAL;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *it = json_array_get(arr, i);
		struct cp_verr e;
		int rc = providers ? cp_validate_provider(it, CP_V_CATALOG, NULL, &e)
		                   : cp_validate_model(it, CP_V_CATALOG, NULL, &e);
		if (rc)
			return bad(im, list, i, it, idfield, "%s", e.message);
		for (size_t k = 0; k < i; k++)
			if (json_equal(json_object_get(json_array_get(arr, k), idfield),
			               json_object_get(it, idfield)))
				return bad(im, list, i, it, idfield, "repeats %s[%zu]", list, k);
	}
	return 0;
}

/* Seal the credential named by api_key_env unless the stored one already equals it. */
static int import_credential(struct import *im, Sy__Provider *p)
{
	const char *val = p->api_key_env ? getenv(p->api_key_env) : NULL;
	if (!val || !*val)
		return 0;
	if (!im->kek->set) {
		sy_err("catalog: provider %s: %s is set but no key-encryption key is configured "
		       "(SWITCHYARD_KEK or --kek-file); imported without a credential",
		       p->slug, p->api_key_env);
		return 0;
	}
	char *cur = NULL;
	bool same_key = cp_provider_open(p, im->kek, &cur) == 0 && !strcmp(cur, val);
	if (cur) {
		sodium_memzero(cur, strlen(cur));
		free(cur);
	}
	return same_key ? 0 : cp_provider_seal(p, im->kek, val);
}

/* Fetch the stored entity (NULL if new) and a working copy to merge the entry into. */
static int begin_upsert(struct import *im, enum cp_kind k, const char *id, ProtobufCMessage **old,
                        ProtobufCMessage **m)
{
	int rc = cp_store_get(im->t, k, id, old);
	if (rc && rc != SY_ENOTFOUND)
		return rc;
	*m = *old ? cp_entity_dup(*old) : cp_entity_new(k);
	return *m ? 0 : -ENOMEM;
}

/* Store m if it differs from old; timestamps say when it last changed. */
static int finish_upsert(struct import *im, enum cp_kind k, ProtobufCMessage *m,
                         const ProtobufCMessage *old, int64_t *created, protobuf_c_boolean *hc,
                         int64_t *updated, protobuf_c_boolean *hu)
{
	if (old && same(m, old))
		return 0;
	if (!old) {
		*created = im->now;
		*hc = true;
	}
	*updated = im->now;
	*hu = true;
	im->changed++;
	return cp_store_put(im->t, k, m);
}

static int upsert_provider(struct import *im, const json_t *it)
{
	const char *slug = json_string_value(json_object_get(it, "slug"));
	ProtobufCMessage *old = NULL, *m = NULL;
	int rc = begin_upsert(im, CP_PROVIDER, slug, &old, &m);
	if (rc)
		goto out;
	Sy__Provider *p = (Sy__Provider *)m;
	if ((!p->slug && !(p->slug = strdup(slug))) || cp_json_apply_provider(p, it) ||
	    (!p->name && !(p->name = strdup(slug))) ||
	    (!p->adapter && !(p->adapter = strdup("openai")))) {
		rc = -ENOMEM;
		goto out;
	}
	if (!(rc = import_credential(im, p)))
		rc = finish_upsert(im, CP_PROVIDER, m, old, &p->created_at, &p->has_created_at,
		                   &p->updated_at, &p->has_updated_at);
out:
	cp_entity_free(&old);
	cp_entity_free(&m);
	return rc;
}

static int upsert_model(struct import *im, const json_t *it, size_t i)
{
	const char *id = json_string_value(json_object_get(it, "id"));
	ProtobufCMessage *old = NULL, *m = NULL;
	struct cp_verr e;
	int rc = begin_upsert(im, CP_MODEL, id, &old, &m);
	if (rc)
		goto out;
	Sy__Model *mo = (Sy__Model *)m;
	if ((!mo->id && !(mo->id = strdup(id))) || cp_json_apply_model(mo, it)) {
		rc = -ENOMEM;
		goto out;
	}
	if (cp_validate_model_refs(im->t, mo, &e))
		rc = bad(im, "models", i, it, "id", "%s", e.message);
	else
		rc = finish_upsert(im, CP_MODEL, m, old, &mo->created_at, &mo->has_created_at,
		                   &mo->updated_at, &mo->has_updated_at);
out:
	cp_entity_free(&old);
	cp_entity_free(&m);
	return rc;
}

int cp_catalog_import(struct cp_store *s, const struct sy_kek *kek, const char *path, bool dry_run,
                      char *err, size_t errlen)
{
	struct import im = {
	    .path = path, .kek = kek, .now = sy_unix_s(), .err = err, .errlen = errlen};
	json_error_t jerr;
	int rc = 0;
	err[0] = '\0';
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		return SY_EINVAL;
	}
	const json_t *provs = json_object_get(root, "providers"),
	             *models = json_object_get(root, "models");
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: must hold a JSON object {\"providers\", \"models\"}",
		         path);
		rc = SY_EINVAL;
		goto out;
	}
	static const char *const fields[] = {"providers", "models", NULL};
	struct cp_verr e;
	if (cp_validate_fields(root, "", fields, &e)) {
		snprintf(err, errlen, "%s: %s", path, e.message);
		rc = SY_EINVAL;
		goto out;
	}
	if ((rc = check_list(&im, provs, "providers", "slug", true)) ||
	    (rc = check_list(&im, models, "models", "id", false)))
		goto out;
	if (!(im.t = cp_store_begin(s, true))) {
		snprintf(err, errlen, "%s: cannot open a store transaction", path);
		rc = SY_ESTORE;
		goto out;
	}
	for (size_t i = 0; !rc && i < json_array_size(provs); i++)
		if ((rc = upsert_provider(&im, json_array_get(provs, i))))
			bad(&im, "providers", i, json_array_get(provs, i), "slug", "%s",
			    sy_strerror(rc));
	for (size_t i = 0; !rc && i < json_array_size(models); i++)
		rc = upsert_model(&im, json_array_get(models, i), i);
	if (rc && rc != SY_EINVAL && !*err)
		snprintf(err, errlen, "%s: %s", path, sy_strerror(rc));
	if (rc || dry_run) {
		cp_store_abort(&im.t);
	} else if ((rc = cp_store_commit(&im.t))) {
		snprintf(err, errlen, "%s: cannot commit the import", path);
		goto out;
	}
	if (!rc)
		sy_info("catalog %s: %zu provider(s), %zu model(s), %zu %s", path,
		        json_array_size(provs), json_array_size(models), im.changed,
		        dry_run ? "would change" : "changed");
out:
	json_decref(root);
	return rc;
}
