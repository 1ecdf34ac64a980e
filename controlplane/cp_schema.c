/* cp_schema.c - one descriptor per entity kind. */
#include "cp_schema.h"
#include "cp_byok.h"
#include "cp_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Set an optional int64 field of m by name, if the message has it. */
static void set_time(ProtobufCMessage *m, const char *name, int64_t v)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	if (!f || f->type != PROTOBUF_C_TYPE_INT64 || f->label != PROTOBUF_C_LABEL_OPTIONAL)
		return;
	memcpy((char *)m + f->offset, &v, sizeof(v));
	protobuf_c_boolean yes = 1;
	memcpy((char *)m + f->quantifier_offset, &yes, sizeof(yes));
}

void cp_schema_stamp(ProtobufCMessage *m, bool created, int64_t now)
{
	if (created)
		set_time(m, "created_at", now);
	set_time(m, "updated_at", now);
}

/* Replace a string field with a copy of v. */
static int set_str(char **field, const char *v)
{
	char *s = strdup(v);
	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

/* ---- per kind: adapters from the typed functions ---------------------------------------- */

static int org_validate(const json_t *b, enum cp_vmode m, const char *id, struct cp_verr *e)
{
	return cp_validate_org(b, m, id, e);
}
static int org_set_id(ProtobufCMessage *m, const char *id)
{
	return set_str(&((Sy__Org *)m)->id, id);
}
static int org_apply(ProtobufCMessage *m, const json_t *b)
{
	return cp_json_apply_org((Sy__Org *)m, b);
}
static json_t *org_json(const ProtobufCMessage *m)
{
	return cp_json_org((const Sy__Org *)m);
}
static const char *org_of_org(const ProtobufCMessage *m)
{
	return ((const Sy__Org *)m)->id;
}

static int key_apply(ProtobufCMessage *m, const json_t *b)
{
	return cp_json_apply_key((Sy__ApiKey *)m, b);
}
static const char *org_of_key(const ProtobufCMessage *m)
{
	return ((const Sy__ApiKey *)m)->org_id;
}

static json_t *mkey_json(const ProtobufCMessage *m)
{
	return cp_json_mkey((const Sy__MgmtKey *)m);
}
static const char *org_of_mkey(const ProtobufCMessage *m)
{
	return ((const Sy__MgmtKey *)m)->org_id;
}

static int provider_set_id(ProtobufCMessage *m, const char *id)
{
	return set_str(&((Sy__Provider *)m)->slug, id);
}
static int provider_apply(ProtobufCMessage *m, const json_t *b)
{
	return cp_json_apply_provider((Sy__Provider *)m, b);
}
/* A provider is named after its slug and speaks OpenAI's API unless told otherwise. */
static int provider_complete(ProtobufCMessage *m)
{
	Sy__Provider *p = (Sy__Provider *)m;
	if (!p->name && !(p->name = strdup(p->slug)))
		return -ENOMEM;
	if (!p->adapter && !(p->adapter = strdup("openai")))
		return -ENOMEM;
	return 0;
}
static json_t *provider_json(const ProtobufCMessage *m)
{
	return cp_json_provider((const Sy__Provider *)m);
}

static int model_set_id(ProtobufCMessage *m, const char *id)
{
	return set_str(&((Sy__Model *)m)->id, id);
}
static int model_apply(ProtobufCMessage *m, const json_t *b)
{
	return cp_json_apply_model((Sy__Model *)m, b);
}
static int model_refs(struct cp_txn *t, const ProtobufCMessage *m, struct cp_verr *e)
{
	return cp_validate_model_refs(t, (const Sy__Model *)m, e);
}
static json_t *model_json(const ProtobufCMessage *m)
{
	return cp_json_model((const Sy__Model *)m);
}

static int autorouter_apply(ProtobufCMessage *m, const json_t *b)
{
	return cp_json_apply_autorouter((Sy__AutoRouter *)m, b);
}
static int autorouter_refs(struct cp_txn *t, const ProtobufCMessage *m, struct cp_verr *e)
{
	return cp_validate_autorouter_refs(t, (const Sy__AutoRouter *)m, e);
}
static json_t *autorouter_json(const ProtobufCMessage *m)
{
	return cp_json_autorouter((const Sy__AutoRouter *)m);
}

static int guardrail_set_id(ProtobufCMessage *m, const char *id)
{
	return set_str(&((Sy__Guardrail *)m)->id, id);
}
static int guardrail_apply(ProtobufCMessage *m, const json_t *b)
{
	return cp_json_apply_guardrail((Sy__Guardrail *)m, b);
}
static int guardrail_refs(struct cp_txn *t, const ProtobufCMessage *m, struct cp_verr *e)
{
	return cp_validate_guardrail_refs(t, (const Sy__Guardrail *)m, e);
}
static json_t *guardrail_json(const ProtobufCMessage *m)
{
	return cp_json_guardrail((const Sy__Guardrail *)m);
}

static json_t *credential_json(const ProtobufCMessage *m)
{
	return cp_byok_json((const Sy__OrgCredential *)m);
}
static const char *org_of_credential(const ProtobufCMessage *m)
{
	return ((const Sy__OrgCredential *)m)->org_id;
}

static const struct cp_schema schemas[CP_KIND_COUNT] = {
    [CP_ORG] = {.kind = CP_ORG,
                .collection = "orgs",
                .what = "org",
                .id_prefix = "org_",
                .create_action = "create orgs",
                .delete_action = "delete orgs",
                .validate = org_validate,
                .set_id = org_set_id,
                .apply = org_apply,
                .to_json = org_json,
                .org_of = org_of_org},
    [CP_KEY] = {.kind = CP_KEY,
                .collection = "keys",
                .what = "key",
                .apply = key_apply,
                .org_of = org_of_key},
    [CP_MKEY] = {.kind = CP_MKEY,
                 .collection = "management-keys",
                 .what = "management key",
                 .read_action = "read management keys",
                 .create_action = "create management keys",
                 .delete_action = "delete management keys",
                 .to_json = mkey_json,
                 .org_of = org_of_mkey},
    [CP_PROVIDER] = {.kind = CP_PROVIDER,
                     .collection = "providers",
                     .what = "provider",
                     .id_field = "slug",
                     .create_action = "change the provider catalog",
                     .change_action = "change the provider catalog",
                     .delete_action = "change the provider catalog",
                     .validate = cp_validate_provider,
                     .set_id = provider_set_id,
                     .apply = provider_apply,
                     .complete = provider_complete,
                     .to_json = provider_json},
    [CP_MODEL] = {.kind = CP_MODEL,
                  .collection = "models",
                  .what = "model",
                  .id_field = "id",
                  .create_action = "change the model catalog",
                  .change_action = "change the model catalog",
                  .delete_action = "change the model catalog",
                  .validate = cp_validate_model,
                  .set_id = model_set_id,
                  .apply = model_apply,
                  .refs = model_refs,
                  .to_json = model_json},
    [CP_AUTOROUTER] = {.kind = CP_AUTOROUTER,
                       .collection = "auto-router",
                       .what = "auto-router rules",
                       .change_action = "change the auto-router rules",
                       .delete_action = "change the auto-router rules",
                       .apply = autorouter_apply,
                       .refs = autorouter_refs,
                       .to_json = autorouter_json},
    [CP_GUARDRAIL] = {.kind = CP_GUARDRAIL,
                      .collection = "guardrails",
                      .what = "guardrail",
                      .id_prefix = "gr_",
                      .read_action = "read guardrails",
                      .create_action = "create guardrails",
                      .change_action = "change guardrails",
                      .delete_action = "delete guardrails",
                      .validate = cp_validate_guardrail,
                      .set_id = guardrail_set_id,
                      .apply = guardrail_apply,
                      .refs = guardrail_refs,
                      .to_json = guardrail_json},
    [CP_CREDENTIAL] = {.kind = CP_CREDENTIAL,
                       .what = "credential",
                       .to_json = credential_json,
                       .org_of = org_of_credential},
};

const struct cp_schema *cp_schema_of(enum cp_kind k)
{
	return &schemas[k];
}

const struct cp_schema *cp_schema_by_collection(const char *collection)
{
	for (size_t k = 0; k < CP_KIND_COUNT; k++)
		if (schemas[k].collection && !strcmp(schemas[k].collection, collection))
			return &schemas[k];
	return NULL;
}
