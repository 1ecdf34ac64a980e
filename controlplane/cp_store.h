/* cp_store.h - the controlplane's LMDB environment: entities, meta/seq and raw tables.
 *
 * Entities (orgs, API keys, management keys, providers, models, the auto router) are stored
 * as the protobuf-c encoding of their message in proto/switchyard.proto, one named database per
 * kind, keyed by the entity's id (org id, key hash, provider slug, model id, "default" for the
 * auto router). Every put or delete of an entity bumps meta/seq inside the same write
 * transaction: a transaction that changes k entities advances seq by k and each change gets
 * its own consecutive seq. After a successful commit the store hands the changes, in seq
 * order, to the commit hook (the publisher).
 *
 * Raw tables (generations, key usage) hold data that is not distributed to workers: writing
 * them does not bump seq.
 *
 * Messages returned by the store are heap trees owned by the caller: free them with
 * cp_entity_free (protobuf_c_message_free_unpacked), which also frees fields the caller
 * replaced with malloc'ed values. */
#ifndef CP_STORE_H
#define CP_STORE_H

#include "switchyard.pb-c.h"
#include "sy_secret.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kinds of distributable entity; also the Update topic prefixes. */
enum cp_kind {
	CP_ORG,
	CP_KEY,
	CP_MKEY,
	CP_PROVIDER,
	CP_MODEL,
	CP_AUTOROUTER, /* the auto router's rules: one entity, id "default" */
	CP_GUARDRAIL,  /* named policies assigned to orgs and keys */
	CP_CREDENTIAL, /* orgs' own provider credentials (BYOK), id "<org id>:<slug>" */
	CP_KIND_COUNT
};

/* Tables that are not distributed (no seq bump). */
enum cp_table {
	CP_T_GENERATIONS, /* generation id -> UsageRecord */
	CP_T_KEY_USAGE,   /* key hash -> LedgerKeyUsage (struct cp_key_usage, cp_row.h) */
	CP_T_ORG_MONEY,   /* org id -> LedgerOrgMoney (struct cp_org_money, cp_row.h) */
	CP_T_KEY_PENDING, /* key hash -> sy_money held by the key's live leases */
	CP_T_LEASES,      /* lease id -> LedgerLease (struct cp_lease, cp_row.h) */
	CP_T_CREDITS,     /* "<org id>/<seq, 20 digits>" -> LedgerEntry (top-ups, refunds) */
	CP_T_GEN_BY_ORG,  /* "<org id>/<created_at, 12 digits>/<generation id>" -> "" */
	CP_T_DIRTY,       /* "org/<id>" | "key/<hash>" -> "": balances to publish */
	CP_T_HOLDERS,  /* "lease/<id>" -> dataplane key; "key/<hash>/<dataplane key>" -> org id */
	CP_T_AUDIT,    /* "<unix ms, 13 digits>-<counter, 8>" -> AuditEntry (cp_auditlog) */
	CP_T_FREE_USE, /* org id -> today's `:free` requests (cp_free) */
	CP_T_BYOK_USE, /* org id -> this month's BYOK requests (cp_byok_fee) */
	CP_TABLE_COUNT
};

struct cp_store;
struct cp_txn;

/* One committed entity change, handed to the commit hook. */
struct cp_change {
	uint64_t seq; /* its own seq, consecutive within a transaction */
	enum cp_kind kind;
	bool deleted;          /* msg is the entity as it was before the delete */
	ProtobufCMessage *msg; /* owned by the store, valid during the hook */
};

/* Called after every commit that changed entities, with the changes in seq order. */
typedef void cp_store_commit_fn(const struct cp_change *changes, size_t n, void *arg);
/* Called for each raw row by cp_store_raw_each; a non-zero return stops and is returned. */
typedef int cp_store_raw_fn(const char *key, size_t keylen, const void *val, size_t len, void *arg);
/* Called for each entity by cp_store_each; a non-zero return stops and is returned. */
typedef int cp_store_each_fn(const ProtobufCMessage *msg, void *arg);

/* Open (creating dir and tables if missing) with a map of map_mb MiB; runs mdb_reader_check.
 * NULL on failure with *why set. */
struct cp_store *cp_store_open(const char *dir, size_t map_mb, const char **why);
/* Close; idempotent; nulls *sp. */
void cp_store_free(struct cp_store **sp);
/* Install the hook called after each commit that changed entities (one hook). */
void cp_store_on_commit(struct cp_store *s, cp_store_commit_fn *fn, void *arg);
/* Seq of the last committed change (0 on a fresh store). */
uint64_t cp_store_seq(const struct cp_store *s);
/* The LMDB map's size and the part of it in use (pages up to the last one written), in
 * bytes, for metrics. 0 or SY_ESTORE. */
int cp_store_map_use(const struct cp_store *s, uint64_t *map_bytes, uint64_t *used_bytes);
/* The map grows up to max_mb MiB (default: the size it was opened with). */
void cp_store_set_map_max(struct cp_store *s, size_t max_mb);
uint64_t cp_store_map_max(const struct cp_store *s);
/* Called between transactions (none of this process may be open): when more than 3/4 of the
 * map is used or a write failed with MDB_MAP_FULL since the last call, double the map (up to
 * its maximum). 0 when there is room; SY_ESTORE when the map is at its maximum and full
 * (logged at error, at most once a minute: the operator must raise the maximum). */
int cp_store_make_room(struct cp_store *s);
/* The last cp_store_make_room found the map full at its maximum. */
bool cp_store_is_full(const struct cp_store *s);

/* Begin a transaction; NULL on failure. Read transactions see one consistent state. */
struct cp_txn *cp_store_begin(struct cp_store *s, bool write);
/* Commit, then run the commit hook; frees the transaction and nulls *tp. 0 or SY_ESTORE. */
int cp_store_commit(struct cp_txn **tp);
/* Abandon (read transactions end this way); idempotent; nulls *tp. */
void cp_store_abort(struct cp_txn **tp);
/* The seq this transaction sees, including its own changes so far. */
uint64_t cp_store_txn_seq(const struct cp_txn *t);

/* Fetch an entity by id into *out. 0, SY_ENOTFOUND or SY_ESTORE. */
int cp_store_get(struct cp_txn *t, enum cp_kind k, const char *id, ProtobufCMessage **out);
/* True if an entity with this id exists. */
bool cp_store_has(struct cp_txn *t, enum cp_kind k, const char *id);
/* Insert or replace (id taken from msg); bumps seq. 0, SY_EINVAL or SY_ESTORE. */
int cp_store_put(struct cp_txn *t, enum cp_kind k, const ProtobufCMessage *msg);
/* Delete by id; bumps seq. 0, SY_ENOTFOUND or SY_ESTORE. */
int cp_store_del(struct cp_txn *t, enum cp_kind k, const char *id);
/* Visit every entity of a kind in id order. 0, SY_ESTORE or the callback's return. */
int cp_store_each(struct cp_txn *t, enum cp_kind k, cp_store_each_fn *fn, void *arg);

/* Raw table access. get: the value stays valid until the transaction ends. 0, SY_ENOTFOUND,
 * SY_ESTORE; put with no_overwrite returns SY_EEXIST when the key is present. */
int cp_store_raw_get(struct cp_txn *t, enum cp_table tb, const char *key, const void **val,
                     size_t *len);
int cp_store_raw_put(struct cp_txn *t, enum cp_table tb, const char *key, const void *val,
                     size_t len, bool no_overwrite);
int cp_store_raw_del(struct cp_txn *t, enum cp_table tb, const char *key);
/* Visit the rows whose key starts with prefix ("" = all) in key order; the callback may not
 * change the table. 0, SY_ESTORE or the callback's return. */
int cp_store_raw_each(struct cp_txn *t, enum cp_table tb, const char *prefix, cp_store_raw_fn *fn,
                      void *arg);

/* Visit the rows whose key sorts before `before` (NULL = all), last first; the callback may
 * not change the table. 0, SY_ESTORE or the callback's return. */
int cp_store_raw_each_back(struct cp_txn *t, enum cp_table tb, const char *before,
                           cp_store_raw_fn *fn, void *arg);

/* Topic prefix of a kind: "org", "key", "mkey", "provider", "model", "autorouter". */
const char *cp_kind_name(enum cp_kind k);
/* The id of an entity (org id, key hash, provider slug, model id). */
const char *cp_entity_id(enum cp_kind k, const ProtobufCMessage *msg);
/* A fresh, initialised, heap-allocated entity of a kind; NULL on allocation failure. */
ProtobufCMessage *cp_entity_new(enum cp_kind k);
/* Deep copy through pack/unpack; NULL on failure. */
ProtobufCMessage *cp_entity_dup(const ProtobufCMessage *msg);
/* Free a message tree; idempotent; nulls *mp. */
void cp_entity_free(ProtobufCMessage **mp);

/* Encrypt plain under the KEK (slug as associated data) into p->api_key_enc, replacing any
 * previous credential. 0, SY_ENOKEK or -ENOMEM. */
int cp_provider_seal(Sy__Provider *p, const struct sy_kek *kek, const char *plain);
/* Drop the stored credential. */
void cp_provider_clear_credential(Sy__Provider *p);
/* The same for an org's credential (its id as associated data). */
int cp_credential_seal(Sy__OrgCredential *oc, const struct sy_kek *kek, const char *plain);
int cp_credential_open(const Sy__OrgCredential *oc, const struct sy_kek *kek, char **plain);
/* Decrypt p's credential into a malloc'ed string. 0, SY_ENOTFOUND (none set), SY_ENOKEK or
 * SY_ECRYPTO (wrong KEK or tampered data). */
int cp_provider_open(const Sy__Provider *p, const struct sy_kek *kek, char **plain);

#endif
