/* cp_usage_fuzz.c - libFuzzer target: envelopes the controlplane's usage socket receives
 * (the protobuf decode paths behind controlplane/cp_usage.c).
 *
 * The input is the last frame of a message on the usage ROUTER: decoded with sy_env_unpack,
 * then handled as cp_usage does (usage batches into the ledger, lease requests and returns,
 * generation queries) against a scratch store holding one org and one key. The store lives
 * under /dev/shm when there is one, so a commit costs no disk flush, and is made anew when
 * it fills up. */
#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_store.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORG "org_fuzz"
#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[64];
static struct cp_store *store;
static unsigned uses;

static void store_drop(void)
{
	static const char *const files[] = {"data.mdb", "lock.mdb"};
	char path[96];
	cp_store_free(&store);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* A fresh store with one prepaid org holding credits and one key of it. */
static void store_make(void)
{
	const char *why = NULL;
	snprintf(dir, sizeof(dir), "%s/sy-fuzz-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir) || !(store = cp_store_open(dir, 64, &why)))
		abort();
	struct cp_txn *t = cp_store_begin(store, true);
	ProtobufCMessage *om = cp_entity_new(CP_ORG), *km = cp_entity_new(CP_KEY);
	Sy__Org *o = (Sy__Org *)om;
	Sy__ApiKey *k = (Sy__ApiKey *)km;
	o->id = strdup(ORG);
	o->name = strdup("fuzz");
	k->hash = strdup(HASH);
	k->org_id = strdup(ORG);
	k->limit = 1000000000;
	k->has_limit = true;
	if (!t || cp_store_put(t, CP_ORG, om) || cp_store_put(t, CP_KEY, km) ||
	    cp_money_credit(t, ORG, 100000000000, "fuzz", 1, NULL) || cp_store_commit(&t))
		abort();
	cp_entity_free(&om);
	cp_entity_free(&km);
	uses = 0;
}

static void handle(const Sy__Envelope *env)
{
	struct cp_txn *t;
	size_t stored, dups, invalid;
	struct cp_grant g;
	Sy__UsageRecord *rec = NULL;
	switch (env->body_case) {
	case SY__ENVELOPE__BODY_USAGE_BATCH:
		(void)cp_ledger_apply(store, NULL, env->usage_batch->records,
		                      env->usage_batch->n_records, &stored, &dups, &invalid);
		break;
	case SY__ENVELOPE__BODY_LEASE_REQUEST:
		t = cp_store_begin(store, true);
		if (t && cp_money_lease(t, env->lease_request, 1700000000000, 30000, &g) == 0 &&
		    g.refusal == CP_GRANTED)
			(void)cp_store_commit(&t);
		cp_store_abort(&t);
		break;
	case SY__ENVELOPE__BODY_LEASE_RETURN:
		t = cp_store_begin(store, true);
		if (t && cp_money_return(t, env->lease_return) == 0)
			(void)cp_store_commit(&t);
		cp_store_abort(&t);
		break;
	case SY__ENVELOPE__BODY_GENERATION_QUERY:
		t = cp_store_begin(store, false);
		if (t && cp_ledger_generation(t, env->generation_query->id, &rec) == 0)
			sy__usage_record__free_unpacked(rec, NULL);
		cp_store_abort(&t);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!store) {
		sy_log_set_level_name("error"); /* refused records are warnings */
		store_make();
		atexit(store_drop);
	} else if (++uses == 20000) {
		store_drop(); /* keep the ledger from filling the map */
		store_make();
	}
	int err = 0;
	Sy__Envelope *env = sy_env_unpack(data, size, &err);
	if (!env)
		return 0;
	handle(env);
	sy_env_free(&env);
	return 0;
}
