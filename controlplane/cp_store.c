/* cp_store.c - LMDB tables, seq bumping and the commit hook. */
#include "cp_store.h"
#include "cp_row.h"
#include "sy_array.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_log.h"

#include <assert.h>
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEQ_KEY "seq"
/* meta/layout: the ledger rows' layout (cp_row.h); absent = layout 1. */
#define LAYOUT_KEY "layout"
/* LMDB's default maximum key size (mdb_env_get_maxkeysize). */
#define MAX_KEY 511

static const struct kind_info {
	const char *name;  /* topic prefix and table name suffix */
	const char *table; /* LMDB database name */
	const ProtobufCMessageDescriptor *desc;
} kinds[CP_KIND_COUNT] = {
    [CP_ORG] = {"org", "orgs", &sy__org__descriptor},
    [CP_KEY] = {"key", "keys", &sy__api_key__descriptor},
    [CP_MKEY] = {"mkey", "mkeys", &sy__mgmt_key__descriptor},
    [CP_PROVIDER] = {"provider", "providers", &sy__provider__descriptor},
    [CP_MODEL] = {"model", "models", &sy__model__descriptor},
    [CP_AUTOROUTER] = {"autorouter", "autorouters", &sy__auto_router__descriptor},
    [CP_GUARDRAIL] = {"guardrail", "guardrails", &sy__guardrail__descriptor},
    [CP_CREDENTIAL] = {"credential", "credentials", &sy__org_credential__descriptor},
};

static const char *const table_names[CP_TABLE_COUNT] = {
    [CP_T_GENERATIONS] = "generations",
    [CP_T_KEY_USAGE] = "key_usage",
    [CP_T_ORG_MONEY] = "org_money",
    [CP_T_KEY_PENDING] = "key_pending",
    [CP_T_LEASES] = "leases",
    [CP_T_CREDITS] = "credit_ledger",
    [CP_T_GEN_BY_ORG] = "generations_by_org",
    [CP_T_DIRTY] = "dirty",
    [CP_T_HOLDERS] = "holders",
    [CP_T_AUDIT] = "audit",
    [CP_T_FREE_USE] = "free_use",
    [CP_T_BYOK_USE] = "byok_use",
};

struct cp_store {
	MDB_env *env;
	MDB_dbi kind_dbi[CP_KIND_COUNT];
	MDB_dbi table_dbi[CP_TABLE_COUNT];
	MDB_dbi meta;
	uint64_t seq; /* last committed */
	cp_store_commit_fn *hook;
	void *hook_arg;
	uint64_t map_max;    /* the map grows up to this many bytes (cp_store_make_room) */
	bool full;           /* at map_max and (nearly) full */
	int64_t full_warned; /* monotonic ms of the last "full" error line */
};

/* A write that failed with MDB_MAP_FULL since the last cp_store_make_room. Process-wide: a
 * process has one store, and mdb_fail (below) is where every failed LMDB call passes. */
static bool map_full_seen;

/* A change recorded during a write transaction: the packed entity, unpacked at commit. */
struct pending {
	uint64_t seq;
	enum cp_kind kind;
	bool deleted;
	uint8_t *val;
	size_t len;
};

struct cp_txn {
	struct cp_store *s;
	MDB_txn *txn;
	bool write;
	uint64_t seq;
	struct pending *pend;
	size_t npend, cappend;
};

static int mdb_fail(const char *what, int rc)
{
	if (rc == MDB_MAP_FULL)
		map_full_seen = true;
	sy_err("lmdb %s: %s", what, mdb_strerror(rc));
	return SY_ESTORE;
}

/* A uint64 of the meta table; absent reads as 0. */
static int read_meta(MDB_txn *txn, MDB_dbi meta, const char *key, uint64_t *out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc = mdb_get(txn, meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		*out = 0;
		return 0;
	}
	if (rc)
		return mdb_fail("get meta", rc);
	if (v.mv_size != sizeof(*out))
		return mdb_fail("meta value size", MDB_CORRUPTED);
	memcpy(out, v.mv_data, sizeof(*out));
	return 0;
}

/* Re-encode every row of a versioned table from layout 1; *n counts them. */
static int upgrade_table(MDB_txn *txn, MDB_dbi dbi, enum cp_table tb, size_t *n)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t buf[CP_ROW_MAX];
	int rc = mdb_cursor_open(txn, dbi, &c);
	if (rc)
		return mdb_fail("cursor", rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		size_t len;
		if (cp_row_upgrade(tb, v.mv_data, v.mv_size, buf, &len)) {
			mdb_cursor_close(c);
			return SY_ESTORE;
		}
		MDB_val nv = {len, buf};
		if ((rc = mdb_cursor_put(c, &k, &nv, MDB_CURRENT)))
			break;
		(*n)++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : mdb_fail("upgrade a row", rc);
}

/* Bring the ledger rows to CP_ROW_LAYOUT inside the opening transaction. */
static const char *upgrade_layout(struct cp_store *s, MDB_txn *txn)
{
	uint64_t layout, now = CP_ROW_LAYOUT;
	size_t n = 0;
	if (read_meta(txn, s->meta, LAYOUT_KEY, &layout))
		return "meta/layout is corrupt";
	if (layout == CP_ROW_LAYOUT)
		return NULL;
	if (layout > CP_ROW_LAYOUT)
		return "the store was written by a newer version (meta/layout)";
	for (int t = 0; t < CP_TABLE_COUNT; t++)
		if (cp_row_versioned(t) && upgrade_table(txn, s->table_dbi[t], t, &n))
			return "a ledger row cannot be upgraded from layout 1";
	MDB_val k = {sizeof(LAYOUT_KEY) - 1, (void *)LAYOUT_KEY}, v = {sizeof(now), &now};
	if (mdb_put(txn, s->meta, &k, &v, 0))
		return "cannot write meta/layout";
	if (n)
		sy_info("store: %zu ledger rows upgraded to layout %d", n, CP_ROW_LAYOUT);
	return NULL;
}

struct cp_store *cp_store_open(const char *dir, size_t map_mb, const char **why)
{
	struct cp_store *s = calloc(1, sizeof(*s));
	MDB_txn *txn = NULL;
	int rc;
	if (!s) {
		*why = "out of memory";
		return NULL;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		*why = "cannot create the data directory";
		goto out_free;
	}
	if ((rc = mdb_env_create(&s->env))) {
		*why = mdb_strerror(rc);
		goto out_free;
	}
	mdb_env_set_maxdbs(s->env, CP_KIND_COUNT + CP_TABLE_COUNT + 1);
	if ((rc = mdb_env_set_mapsize(s->env, map_mb * 1024 * 1024)) ||
	    (rc = mdb_env_open(s->env, dir, 0, 0600))) {
		*why = mdb_strerror(rc);
		goto out_env;
	}
	int dead = 0;
	mdb_reader_check(s->env, &dead);
	if (dead)
		sy_warn("cleared %d stale LMDB reader slot(s)", dead);
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn))) {
		*why = mdb_strerror(rc);
		goto out_env;
	}
	for (int k = 0; k < CP_KIND_COUNT && !rc; k++)
		rc = mdb_dbi_open(txn, kinds[k].table, MDB_CREATE, &s->kind_dbi[k]);
	for (int t = 0; t < CP_TABLE_COUNT && !rc; t++)
		rc = mdb_dbi_open(txn, table_names[t], MDB_CREATE, &s->table_dbi[t]);
	if (!rc)
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta);
	if (rc) {
		*why = mdb_strerror(rc);
		goto out_txn;
	}
	s->map_max = (uint64_t)map_mb * 1024 * 1024;
	if (read_meta(txn, s->meta, SEQ_KEY, &s->seq)) {
		*why = "meta/seq is corrupt";
		goto out_txn;
	}
	if ((*why = upgrade_layout(s, txn)))
		goto out_txn;
	if ((rc = mdb_txn_commit(txn))) {
		*why = mdb_strerror(rc);
		goto out_env;
	}
	return s;

out_txn:
	mdb_txn_abort(txn);
out_env:
	mdb_env_close(s->env);
out_free:
	free(s);
	return NULL;
}

void cp_store_free(struct cp_store **sp)
{
	struct cp_store *s = *sp;
	if (!s)
		return;
	mdb_env_close(s->env);
	free(s);
	*sp = NULL;
}

void cp_store_on_commit(struct cp_store *s, cp_store_commit_fn *fn, void *arg)
{
	s->hook = fn;
	s->hook_arg = arg;
}

uint64_t cp_store_seq(const struct cp_store *s)
{
	return s->seq;
}

int cp_store_map_use(const struct cp_store *s, uint64_t *map_bytes, uint64_t *used_bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st))
		return SY_ESTORE;
	*map_bytes = info.me_mapsize;
	*used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	return 0;
}

void cp_store_set_map_max(struct cp_store *s, size_t max_mb)
{
	s->map_max = (uint64_t)max_mb * 1024 * 1024;
}

bool cp_store_is_full(const struct cp_store *s)
{
	return s->full;
}

uint64_t cp_store_map_max(const struct cp_store *s)
{
	return s->map_max;
}

int cp_store_make_room(struct cp_store *s)
{
	uint64_t map, used;
	bool hit = map_full_seen;
	map_full_seen = false;
	if (cp_store_map_use(s, &map, &used))
		return SY_ESTORE;
	if (!hit && used <= map / 4 * 3) {
		s->full = false;
		return 0;
	}
	if (map < s->map_max) {
		uint64_t grown = map * 2 < s->map_max ? map * 2 : s->map_max;
		int rc = mdb_env_set_mapsize(s->env, (size_t)grown);
		if (rc)
			return mdb_fail("set_mapsize", rc);
		sy_warn("store: the LMDB map was %llu%% used: grown from %llu to %llu MiB "
		        "(--map-max-mb %llu)",
		        (unsigned long long)(used * 100 / map), (unsigned long long)(map >> 20),
		        (unsigned long long)(grown >> 20), (unsigned long long)(s->map_max >> 20));
		s->full = false;
		return 0;
	}
	/* at the maximum: the operator must act; writes fail until then (usage batches wait in
	 * the workers' spools, nothing is lost) */
	s->full = hit || used > map / 20 * 19;
	int64_t now = sy_mono_ms();
	if (s->full && (!s->full_warned || now - s->full_warned >= 60000)) {
		s->full_warned = now;
		sy_err("store: the LMDB map is full at its maximum (%llu MiB, --map-max-mb): usage "
		       "batches are refused and wait in the dataplanes' spools; raise --map-max-mb "
		       "or set --generation-retention-days",
		       (unsigned long long)(map >> 20));
	}
	return s->full ? SY_ESTORE : 0;
}

struct cp_txn *cp_store_begin(struct cp_store *s, bool write)
{
	struct cp_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc) {
		mdb_fail("txn_begin", rc);
		free(t);
		return NULL;
	}
	t->s = s;
	t->write = write;
	if (read_meta(t->txn, s->meta, SEQ_KEY, &t->seq)) {
		mdb_txn_abort(t->txn);
		free(t);
		return NULL;
	}
	return t;
}

static void free_pending(struct cp_txn *t)
{
	for (size_t i = 0; i < t->npend; i++)
		free(t->pend[i].val);
	free(t->pend);
	free(t);
}

static void run_hook(struct cp_store *s, const struct pending *p, size_t n)
{
	struct cp_change *ch = calloc(n, sizeof(*ch));
	size_t got = 0;
	if (!ch) {
		sy_err("out of memory publishing %zu change(s); workers will resync on the gap", n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		ProtobufCMessage *m =
		    protobuf_c_message_unpack(kinds[p[i].kind].desc, NULL, p[i].len, p[i].val);
		if (!m) {
			sy_err("cannot decode change seq=%llu; workers will resync on the gap",
			       (unsigned long long)p[i].seq);
			continue;
		}
		ch[got++] = (struct cp_change){p[i].seq, p[i].kind, p[i].deleted, m};
	}
	s->hook(ch, got, s->hook_arg);
	for (size_t i = 0; i < got; i++)
		cp_entity_free(&ch[i].msg);
	free(ch);
}

int cp_store_commit(struct cp_txn **tp)
{
	struct cp_txn *t = *tp;
	*tp = NULL;
	int rc = mdb_txn_commit(t->txn);
	if (rc) {
		free_pending(t);
		return mdb_fail("commit", rc);
	}
	if (t->write && t->npend) {
		t->s->seq = t->seq;
		if (t->s->hook)
			run_hook(t->s, t->pend, t->npend);
	}
	free_pending(t);
	return 0;
}

void cp_store_abort(struct cp_txn **tp)
{
	struct cp_txn *t = *tp;
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	free_pending(t);
	*tp = NULL;
}

uint64_t cp_store_txn_seq(const struct cp_txn *t)
{
	return t->seq;
}

static MDB_val key_of(const char *id)
{
	return (MDB_val){strlen(id), (void *)id};
}

/* An id LMDB can store as a key: not empty, at most MAX_KEY bytes. */
static bool key_ok(const MDB_val *key)
{
	return key->mv_size && key->mv_size <= MAX_KEY;
}

static ProtobufCMessage *unpack_val(enum cp_kind k, const MDB_val *v)
{
	return protobuf_c_message_unpack(kinds[k].desc, NULL, v->mv_size, v->mv_data);
}

/* Look id up in dbi: 0 with *key and *v set, SY_ENOTFOUND, or a store error. */
static int lookup(struct cp_txn *t, MDB_dbi dbi, const char *id, MDB_val *key, MDB_val *v)
{
	*key = key_of(id);
	if (!key_ok(key))
		return SY_ENOTFOUND;
	int rc = mdb_get(t->txn, dbi, key, v);
	if (rc == MDB_NOTFOUND)
		return SY_ENOTFOUND;
	return rc ? mdb_fail("get", rc) : 0;
}

int cp_store_get(struct cp_txn *t, enum cp_kind k, const char *id, ProtobufCMessage **out)
{
	MDB_val key, v;
	int rc = lookup(t, t->s->kind_dbi[k], id, &key, &v);
	if (rc)
		return rc;
	*out = unpack_val(k, &v);
	if (!*out) {
		sy_err("corrupt %s record in the store", kinds[k].name);
		return SY_ESTORE;
	}
	return 0;
}

bool cp_store_has(struct cp_txn *t, enum cp_kind k, const char *id)
{
	MDB_val key = key_of(id), v;
	if (!key_ok(&key))
		return false;
	return mdb_get(t->txn, t->s->kind_dbi[k], &key, &v) == 0;
}

/* Record a change and advance seq (in memory and in meta, same transaction). */
static int bump(struct cp_txn *t, enum cp_kind k, bool deleted, const void *val, size_t len)
{
	struct pending *p = sy_array_grow(t->pend, t->npend, &t->cappend, sizeof(*p), 8);
	if (!p)
		return -ENOMEM;
	t->pend = p;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, val, len);
	uint64_t seq = t->seq + 1;
	MDB_val mk = {sizeof(SEQ_KEY) - 1, (void *)SEQ_KEY}, mv = {sizeof(seq), &seq};
	int rc = mdb_put(t->txn, t->s->meta, &mk, &mv, 0);
	if (rc) {
		free(copy);
		return mdb_fail("put meta/seq", rc);
	}
	t->seq = seq;
	t->pend[t->npend++] = (struct pending){seq, k, deleted, copy, len};
	return 0;
}

int cp_store_put(struct cp_txn *t, enum cp_kind k, const ProtobufCMessage *msg)
{
	assert(t->write && msg->descriptor == kinds[k].desc);
	const char *id = cp_entity_id(k, msg);
	if (!id || !*id || strlen(id) > MAX_KEY)
		return SY_EINVAL;
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	protobuf_c_message_pack(msg, buf);
	MDB_val key = key_of(id), v = {n, buf};
	int rc = mdb_put(t->txn, t->s->kind_dbi[k], &key, &v, 0);
	if (rc)
		rc = mdb_fail("put", rc);
	else
		rc = bump(t, k, false, buf, n);
	free(buf);
	return rc;
}

int cp_store_del(struct cp_txn *t, enum cp_kind k, const char *id)
{
	assert(t->write);
	MDB_val key, v;
	int rc = lookup(t, t->s->kind_dbi[k], id, &key, &v);
	if (rc)
		return rc;
	/* v points into the map and dies with the delete: record the old value first. */
	if ((rc = bump(t, k, true, v.mv_data, v.mv_size)))
		return rc;
	rc = mdb_del(t->txn, t->s->kind_dbi[k], &key, NULL);
	return rc ? mdb_fail("del", rc) : 0;
}

int cp_store_each(struct cp_txn *t, enum cp_kind k, cp_store_each_fn *fn, void *arg)
{
	MDB_cursor *c;
	MDB_val key, v;
	int rc = mdb_cursor_open(t->txn, t->s->kind_dbi[k], &c);
	if (rc)
		return mdb_fail("cursor_open", rc);
	int ret = 0;
	for (rc = mdb_cursor_get(c, &key, &v, MDB_FIRST); !rc && !ret;
	     rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
		ProtobufCMessage *m = unpack_val(k, &v);
		if (!m) {
			sy_err("corrupt %s record in the store", kinds[k].name);
			ret = SY_ESTORE;
			break;
		}
		ret = fn(m, arg);
		cp_entity_free(&m);
	}
	if (!ret && rc != MDB_NOTFOUND)
		ret = mdb_fail("cursor_get", rc);
	mdb_cursor_close(c);
	return ret;
}

int cp_store_raw_get(struct cp_txn *t, enum cp_table tb, const char *key, const void **val,
                     size_t *len)
{
	MDB_val k, v;
	int rc = lookup(t, t->s->table_dbi[tb], key, &k, &v);
	if (rc)
		return rc;
	*val = v.mv_data;
	*len = v.mv_size;
	return 0;
}

int cp_store_raw_put(struct cp_txn *t, enum cp_table tb, const char *key, const void *val,
                     size_t len, bool no_overwrite)
{
	assert(t->write);
	MDB_val k = key_of(key), v = {len, (void *)val};
	if (!key_ok(&k))
		return SY_EINVAL;
	int rc = mdb_put(t->txn, t->s->table_dbi[tb], &k, &v, no_overwrite ? MDB_NOOVERWRITE : 0);
	if (rc == MDB_KEYEXIST)
		return SY_EEXIST;
	return rc ? mdb_fail("put", rc) : 0;
}

int cp_store_raw_del(struct cp_txn *t, enum cp_table tb, const char *key)
{
	assert(t->write);
	MDB_val k = key_of(key);
	if (!key_ok(&k))
		return SY_ENOTFOUND;
	int rc = mdb_del(t->txn, t->s->table_dbi[tb], &k, NULL);
	if (rc == MDB_NOTFOUND)
		return SY_ENOTFOUND;
	return rc ? mdb_fail("del", rc) : 0;
}

int cp_store_raw_each(struct cp_txn *t, enum cp_table tb, const char *prefix, cp_store_raw_fn *fn,
                      void *arg)
{
	MDB_cursor *c;
	size_t plen = strlen(prefix);
	MDB_val key = {plen, (void *)prefix}, v;
	int rc = mdb_cursor_open(t->txn, t->s->table_dbi[tb], &c);
	if (rc)
		return mdb_fail("cursor_open", rc);
	int ret = 0;
	for (rc = mdb_cursor_get(c, &key, &v, plen ? MDB_SET_RANGE : MDB_FIRST); !rc && !ret;
	     rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
		if (key.mv_size < plen || memcmp(key.mv_data, prefix, plen))
			break;
		ret = fn(key.mv_data, key.mv_size, v.mv_data, v.mv_size, arg);
	}
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = mdb_fail("cursor_get", rc);
	mdb_cursor_close(c);
	return ret;
}

int cp_store_raw_each_back(struct cp_txn *t, enum cp_table tb, const char *before,
                           cp_store_raw_fn *fn, void *arg)
{
	MDB_cursor *c;
	MDB_val key = {before ? strlen(before) : 0, (void *)before}, v;
	int rc = mdb_cursor_open(t->txn, t->s->table_dbi[tb], &c);
	if (rc)
		return mdb_fail("cursor_open", rc);
	/* start at the first row at or after `before` and step back from it */
	MDB_cursor_op first = MDB_LAST;
	if (before) {
		rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
		first = rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV;
		if (rc && rc != MDB_NOTFOUND) {
			mdb_cursor_close(c);
			return mdb_fail("cursor_get", rc);
		}
	}
	int ret = 0;
	for (rc = mdb_cursor_get(c, &key, &v, first); !rc && !ret;
	     rc = mdb_cursor_get(c, &key, &v, MDB_PREV))
		ret = fn(key.mv_data, key.mv_size, v.mv_data, v.mv_size, arg);
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = mdb_fail("cursor_get", rc);
	mdb_cursor_close(c);
	return ret;
}

const char *cp_kind_name(enum cp_kind k)
{
	return kinds[k].name;
}

const char *cp_entity_id(enum cp_kind k, const ProtobufCMessage *m)
{
	switch (k) {
	case CP_ORG:
		return ((const Sy__Org *)m)->id;
	case CP_KEY:
		return ((const Sy__ApiKey *)m)->hash;
	case CP_MKEY:
		return ((const Sy__MgmtKey *)m)->hash;
	case CP_PROVIDER:
		return ((const Sy__Provider *)m)->slug;
	case CP_MODEL:
		return ((const Sy__Model *)m)->id;
	case CP_AUTOROUTER:
		return ((const Sy__AutoRouter *)m)->id;
	case CP_GUARDRAIL:
		return ((const Sy__Guardrail *)m)->id;
	case CP_CREDENTIAL:
		return ((const Sy__OrgCredential *)m)->id;
	case CP_KIND_COUNT:
		break;
	}
	return NULL;
}

ProtobufCMessage *cp_entity_new(enum cp_kind k)
{
	ProtobufCMessage *m = calloc(1, kinds[k].desc->sizeof_message);
	if (m)
		protobuf_c_message_init(kinds[k].desc, m);
	return m;
}

ProtobufCMessage *cp_entity_dup(const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NULL;
	protobuf_c_message_pack(msg, buf);
	ProtobufCMessage *m = protobuf_c_message_unpack(msg->descriptor, NULL, n, buf);
	free(buf);
	return m;
}

void cp_entity_free(ProtobufCMessage **mp)
{
	if (*mp)
		protobuf_c_message_free_unpacked(*mp, NULL);
	*mp = NULL;
}

int cp_provider_seal(Sy__Provider *p, const struct sy_kek *kek, const char *plain)
{
	unsigned char *c = NULL;
	size_t n = 0;
	int rc = sy_secret_seal(kek, p->slug, plain, &c, &n);
	if (rc)
		return rc;
	cp_provider_clear_credential(p);
	p->api_key_enc.data = c;
	p->api_key_enc.len = n;
	p->has_api_key_enc = true;
	p->has_api_key = true;
	p->has_has_api_key = true;
	return 0;
}

void cp_provider_clear_credential(Sy__Provider *p)
{
	free(p->api_key_enc.data);
	p->api_key_enc.data = NULL;
	p->api_key_enc.len = 0;
	p->has_api_key_enc = false;
	p->has_api_key = false;
	p->has_has_api_key = true;
}

int cp_provider_open(const Sy__Provider *p, const struct sy_kek *kek, char **plain)
{
	if (!p->has_api_key_enc || !p->api_key_enc.len)
		return SY_ENOTFOUND;
	return sy_secret_open(kek, p->slug, p->api_key_enc.data, p->api_key_enc.len, plain);
}

int cp_credential_seal(Sy__OrgCredential *oc, const struct sy_kek *kek, const char *plain)
{
	unsigned char *c = NULL;
	size_t n = 0;
	int rc = sy_secret_seal(kek, oc->id, plain, &c, &n);
	if (rc)
		return rc;
	free(oc->api_key_enc.data);
	oc->api_key_enc.data = c;
	oc->api_key_enc.len = n;
	oc->has_api_key_enc = true;
	return 0;
}

int cp_credential_open(const Sy__OrgCredential *oc, const struct sy_kek *kek, char **plain)
{
	if (!oc->has_api_key_enc || !oc->api_key_enc.len)
		return SY_ENOTFOUND;
	return sy_secret_open(kek, oc->id, oc->api_key_enc.data, oc->api_key_enc.len, plain);
}
