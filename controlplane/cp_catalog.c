/* cp_catalog.c - validate a catalog file, then upsert what differs in one transaction. */
#include "cp_catalog.h"
#include "cp_schema.h"
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
static int check_list(struct import *im, const json_t *arr, const char *list,
                      const struct cp_schema *sc)
{
	const char *idfield = sc->id_field;
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		snprintf(im->err, im->errlen, "%s: \"%s\" must be an array", im->path, list);
		return SY_EINVAL;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *it = json_array_get(arr, i);
		struct cp_verr e;
		if (sc->validate(it, CP_V_CATALOG, NULL, &e))
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

/* Merge entry i of list into the stored entity of its id (a new one if absent) and store it
 * if that changed anything; timestamps say when it last changed. 0, SY_EINVAL (with the
 * reason in im->err) or another negative code. */
static int upsert(struct import *im, const struct cp_schema *sc, const char *list, size_t i,
                  const json_t *it)
{
	const char *id = json_string_value(json_object_get(it, sc->id_field));
	ProtobufCMessage *old = NULL, *m = NULL;
	struct cp_verr e;
	int rc = cp_store_get(im->t, sc->kind, id, &old);
	if (rc && rc != SY_ENOTFOUND)
		return rc;
	m = old ? cp_entity_dup(old) : cp_entity_new(sc->kind);
	if (!m || (!old && sc->set_id(m, id)) || sc->apply(m, it) ||
	    (sc->complete && sc->complete(m))) {
		rc = -ENOMEM;
	} else if (sc->refs && sc->refs(im->t, m, &e)) {
		rc = bad(im, list, i, it, sc->id_field, "%s", e.message);
	} else if (sc->kind == CP_PROVIDER && (rc = import_credential(im, (Sy__Provider *)m))) {
		; /* sealing failed */
	} else if (!old || !same(m, old)) {
		cp_schema_stamp(m, !old, im->now);
		im->changed++;
		rc = cp_store_put(im->t, sc->kind, m);
	} else {
		rc = 0;
	}
	cp_entity_free(&old);
	cp_entity_free(&m);
	return rc;
}

/* Every entry of one list, in order; the first failure is named in im->err. */
static int upsert_list(struct import *im, const json_t *arr, const char *list,
                       const struct cp_schema *sc)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		const json_t *it = json_array_get(arr, i);
		if ((rc = upsert(im, sc, list, i, it)) && rc != SY_EINVAL)
			bad(im, list, i, it, sc->id_field, "%s", sy_strerror(rc));
	}
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
	const struct cp_schema *ps = cp_schema_of(CP_PROVIDER), *ms = cp_schema_of(CP_MODEL);
	if ((rc = check_list(&im, provs, "providers", ps)) ||
	    (rc = check_list(&im, models, "models", ms)))
		goto out;
	if (!(im.t = cp_store_begin(s, true))) {
		snprintf(err, errlen, "%s: cannot open a store transaction", path);
		rc = SY_ESTORE;
		goto out;
	}
	if (!(rc = upsert_list(&im, provs, "providers", ps)))
		rc = upsert_list(&im, models, "models", ms);
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
