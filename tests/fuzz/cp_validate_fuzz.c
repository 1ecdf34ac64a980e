/* cp_validate_fuzz.c - libFuzzer target: admin API bodies (controlplane/cp_validate.c).
 *
 * The input is a request body as the admin API reads it (jansson, duplicate keys refused).
 * It goes through every validator in every mode; a body one accepts is applied to a fresh
 * entity as the handlers do (cp_json_apply_*), shown back as JSON, and copied through
 * protobuf, as storing it does. A refusal must name a field and say what it must be. */
#include "cp_json.h"
#include "cp_ledger.h"
#include "cp_store.h"
#include "cp_validate.h"
#include "sy_msg.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000 /* 2027: expires_at must lie after it */

/* A refusal names what is wrong; an acceptance leaves e alone. */
static bool accepted(int rc, const struct cp_verr *e)
{
	if (rc && !e->message[0])
		abort();
	return rc == 0;
}

/* Apply j to a fresh entity with its id set, show it and store-copy it. */
static void round_trip(enum cp_kind k, const json_t *j, const char *id)
{
	ProtobufCMessage *m = cp_entity_new(k);
	if (!m)
		return;
	char *dup = strdup(id);
	json_t *shown = NULL;
	int rc = -1;
	switch (k) {
	case CP_ORG:
		((Sy__Org *)m)->id = dup;
		if (!(rc = cp_json_apply_org((Sy__Org *)m, j)))
			shown = cp_json_org((Sy__Org *)m);
		break;
	case CP_KEY:
		((Sy__ApiKey *)m)->hash = dup;
		if (!((Sy__ApiKey *)m)->org_id)
			((Sy__ApiKey *)m)->org_id = strdup("org_fuzz");
		if (!(rc = cp_json_apply_key((Sy__ApiKey *)m, j)))
			shown = cp_json_key((Sy__ApiKey *)m, &(struct cp_key_usage){0});
		break;
	case CP_PROVIDER:
		((Sy__Provider *)m)->slug = dup;
		if (!(rc = cp_json_apply_provider((Sy__Provider *)m, j)))
			shown = cp_json_provider((Sy__Provider *)m);
		break;
	case CP_MODEL:
		((Sy__Model *)m)->id = dup;
		if (!(rc = cp_json_apply_model((Sy__Model *)m, j)))
			shown = cp_json_model((Sy__Model *)m);
		break;
	case CP_AUTOROUTER:
		((Sy__AutoRouter *)m)->id = dup;
		if (!(rc = cp_json_apply_autorouter((Sy__AutoRouter *)m, j)))
			shown = cp_json_autorouter((Sy__AutoRouter *)m);
		break;
	default:
		free(dup);
		break;
	}
	if (!rc) {
		char *text = shown ? json_dumps(shown, 0) : NULL;
		free(text);
		ProtobufCMessage *copy = cp_entity_dup(m);
		cp_entity_free(&copy);
	}
	json_decref(shown);
	cp_entity_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return 0;
	static const enum cp_vmode modes[] = {CP_V_CREATE, CP_V_PATCH, CP_V_CATALOG};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		enum cp_vmode m = modes[i];
		bool patch = m == CP_V_PATCH;
		struct cp_verr e = {{0}, {0}};
		const char *id;
		if (accepted(cp_validate_org(j, m, patch ? "org_fuzz" : NULL, &e), &e))
			round_trip(CP_ORG, j, "org_fuzz");
		memset(&e, 0, sizeof(e));
		id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
		if (accepted(cp_validate_key(j, m, patch ? id : NULL, NOW, &e), &e))
			round_trip(CP_KEY, j, id);
		memset(&e, 0, sizeof(e));
		if (accepted(cp_validate_provider(j, m, patch ? "fuzz" : NULL, &e), &e))
			round_trip(CP_PROVIDER, j, "fuzz");
		memset(&e, 0, sizeof(e));
		if (accepted(cp_validate_model(j, m, patch ? "fuzz/model" : NULL, &e), &e))
			round_trip(CP_MODEL, j, "fuzz/model");
	}
	struct cp_verr e = {{0}, {0}};
	(void)accepted(cp_validate_mkey(j, &e), &e);
	memset(&e, 0, sizeof(e));
	if (accepted(cp_validate_autorouter(j, &e), &e))
		round_trip(CP_AUTOROUTER, j, SY_AUTO_ROUTER_ID);
	json_decref(j);
	return 0;
}
