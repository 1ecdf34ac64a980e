/* cp_schema.h - what the admin API and the catalog import know about each entity kind, in one
 * descriptor per kind: how a body is validated and applied, what a new entity is filled with,
 * which references must exist, how it shows as JSON, which key may change it and which org it
 * belongs to. cp_admin serves providers, models and guardrails from the descriptors alone;
 * cp_catalog imports providers and models through the same ones. */
#ifndef CP_SCHEMA_H
#define CP_SCHEMA_H

#include "cp_store.h"
#include "cp_validate.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cp_schema {
	enum cp_kind kind;
	const char *collection; /* its path in the admin API: /api/v1/<collection>; NULL = none */
	const char *what;       /* in messages: "provider" */
	/* The body field holding a new entity's id ("slug", "id"); NULL: generated as
	 * id_prefix + random characters. */
	const char *id_field;
	const char *id_prefix;
	/* Scope: the action a scoped management key may not do (the 403 names it); NULL = any
	 * management key may. */
	const char *read_action, *create_action, *change_action, *delete_action;
	/* Field by field against mode; id is the path's on PATCH. 0 or SY_EINVAL with *e. */
	int (*validate)(const json_t *body, enum cp_vmode mode, const char *id, struct cp_verr *e);
	/* Set a new entity's id (before apply). 0 or -ENOMEM. */
	int (*set_id)(ProtobufCMessage *m, const char *id);
	/* Merge a validated body into m. 0 or -ENOMEM. */
	int (*apply)(ProtobufCMessage *m, const json_t *body);
	/* Defaults for what the body left out (after apply); NULL = none. 0 or -ENOMEM. */
	int (*complete)(ProtobufCMessage *m);
	/* That what m names exists in the store; NULL = it names nothing. 0 or SY_EINVAL. */
	int (*refs)(struct cp_txn *t, const ProtobufCMessage *m, struct cp_verr *e);
	/* The API's JSON of m (API keys: see cp_json_key, which needs their usage). */
	json_t *(*to_json)(const ProtobufCMessage *m);
	/* The org m belongs to (for scope and audit); NULL = none. */
	const char *(*org_of)(const ProtobufCMessage *m);
};

/* The descriptor of kind k. */
const struct cp_schema *cp_schema_of(enum cp_kind k);
/* The descriptor of the kind served at /api/v1/<collection>; NULL if none. */
const struct cp_schema *cp_schema_by_collection(const char *collection);
/* Stamp m's updated_at (and created_at when created) with now. */
void cp_schema_stamp(ProtobufCMessage *m, bool created, int64_t now);

#endif
