/* cp_store_test.c - entity round trips, seq bumping with content, credentials at rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cp_store.h"
#include "cp_test_util.h"
#include "sy_err.h"
#include "sy_key.h"

struct fixture {
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s;
	/* What the commit hook saw. */
	uint64_t seqs[16];
	enum cp_kind kinds[16];
	bool deleted[16];
	char ids[16][80];
	size_t n;
};

static void hook(const struct cp_change *ch, size_t n, void *arg)
{
	struct fixture *f = arg;
	for (size_t i = 0; i < n && f->n < 16; i++, f->n++) {
		f->seqs[f->n] = ch[i].seq;
		f->kinds[f->n] = ch[i].kind;
		f->deleted[f->n] = ch[i].deleted;
		snprintf(f->ids[f->n], sizeof(f->ids[0]), "%s",
		         cp_entity_id(ch[i].kind, ch[i].msg));
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->s = test_store_new(f->dir);
	if (!f->s)
		return -1;
	cp_store_on_commit(f->s, hook, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	test_store_free(&f->s, f->dir);
	free(f);
	return 0;
}

static Sy__Org *org(const char *id, const char *name)
{
	Sy__Org *o = (Sy__Org *)cp_entity_new(CP_ORG);
	o->id = strdup(id);
	o->name = strdup(name);
	return o;
}

static void put_free(struct cp_txn *t, enum cp_kind k, void *msg)
{
	ProtobufCMessage *m = msg;
	assert_int_equal(cp_store_put(t, k, m), 0);
	cp_entity_free(&m);
}

/* Usage example: write an org in a transaction, read it back in another. */
static void test_org_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cp_txn *t = cp_store_begin(f->s, true);
	Sy__Org *o = org("org_a", "Acme");
	o->postpaid = o->has_postpaid = true;
	put_free(t, CP_ORG, o);
	assert_int_equal(cp_store_commit(&t), 0);
	assert_null(t);

	t = cp_store_begin(f->s, false);
	ProtobufCMessage *m = NULL;
	assert_int_equal(cp_store_get(t, CP_ORG, "org_a", &m), 0);
	assert_string_equal(((Sy__Org *)m)->name, "Acme");
	assert_true(((Sy__Org *)m)->postpaid);
	cp_entity_free(&m);
	assert_int_equal(cp_store_get(t, CP_ORG, "org_b", &m), SY_ENOTFOUND);
	assert_false(cp_store_has(t, CP_ORG, "org_b"));
	cp_store_abort(&t);
}

static void test_every_kind_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cp_txn *t = cp_store_begin(f->s, true);
	char hash[SY_HASH_HEX_LEN + 1];
	sy_sha256_hex("sk-sy-v1-x", 10, hash);

	Sy__ApiKey *k = (Sy__ApiKey *)cp_entity_new(CP_KEY);
	k->hash = strdup(hash);
	k->org_id = strdup("org_a");
	k->limit = 12345;
	k->has_limit = true;
	k->rpm = 7;
	k->has_rpm = true;
	put_free(t, CP_KEY, k);

	Sy__MgmtKey *mk = (Sy__MgmtKey *)cp_entity_new(CP_MKEY);
	mk->hash = strdup(hash);
	mk->org_id = strdup("org_a");
	put_free(t, CP_MKEY, mk);

	Sy__Provider *p = (Sy__Provider *)cp_entity_new(CP_PROVIDER);
	p->slug = strdup("openai");
	p->base_url = strdup("https://api.openai.com/v1");
	p->connect_timeout_ms = 1500;
	p->has_connect_timeout_ms = true;
	put_free(t, CP_PROVIDER, p);

	Sy__Model *mo = (Sy__Model *)cp_entity_new(CP_MODEL);
	mo->id = strdup("openai/gpt-5.2");
	mo->n_endpoints = 1;
	mo->endpoints = calloc(1, sizeof(*mo->endpoints));
	mo->endpoints[0] = malloc(sizeof(Sy__Endpoint));
	sy__endpoint__init(mo->endpoints[0]);
	mo->endpoints[0]->provider = strdup("openai");
	mo->endpoints[0]->provider_model_id = strdup("gpt-5.2");
	mo->endpoints[0]->pricing = malloc(sizeof(Sy__Pricing));
	sy__pricing__init(mo->endpoints[0]->pricing);
	mo->endpoints[0]->pricing->prompt = strdup("0.000002");
	put_free(t, CP_MODEL, mo);
	assert_int_equal(cp_store_commit(&t), 0);

	t = cp_store_begin(f->s, false);
	ProtobufCMessage *m = NULL;
	assert_int_equal(cp_store_get(t, CP_KEY, hash, &m), 0);
	assert_int_equal(((Sy__ApiKey *)m)->limit, 12345);
	assert_int_equal(((Sy__ApiKey *)m)->rpm, 7);
	cp_entity_free(&m);
	assert_int_equal(cp_store_get(t, CP_MKEY, hash, &m), 0);
	assert_string_equal(((Sy__MgmtKey *)m)->org_id, "org_a");
	cp_entity_free(&m);
	assert_int_equal(cp_store_get(t, CP_PROVIDER, "openai", &m), 0);
	assert_int_equal(((Sy__Provider *)m)->connect_timeout_ms, 1500);
	cp_entity_free(&m);
	assert_int_equal(cp_store_get(t, CP_MODEL, "openai/gpt-5.2", &m), 0);
	assert_string_equal(((Sy__Model *)m)->endpoints[0]->pricing->prompt, "0.000002");
	cp_entity_free(&m);
	cp_store_abort(&t);
}

/* A transaction with k changes advances seq by k; each change has its own seq; the hook sees
 * them in order after the commit, and an aborted transaction leaves neither seq nor content. */
static void test_seq_moves_with_content(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(cp_store_seq(f->s), 0);
	struct cp_txn *t = cp_store_begin(f->s, true);
	put_free(t, CP_ORG, org("org_a", "A"));
	put_free(t, CP_ORG, org("org_b", "B"));
	put_free(t, CP_ORG, org("org_c", "C"));
	assert_int_equal(cp_store_txn_seq(t), 3);
	assert_int_equal(f->n, 0); /* nothing published before the commit */
	assert_int_equal(cp_store_seq(f->s), 0);
	assert_int_equal(cp_store_commit(&t), 0);
	assert_int_equal(cp_store_seq(f->s), 3);
	assert_int_equal(f->n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(f->seqs[i], i + 1);
		assert_int_equal(f->kinds[i], CP_ORG);
		assert_false(f->deleted[i]);
	}
	assert_string_equal(f->ids[1], "org_b");

	/* Aborted: no seq, no content, no publish. */
	t = cp_store_begin(f->s, true);
	put_free(t, CP_ORG, org("org_d", "D"));
	assert_int_equal(cp_store_del(t, CP_ORG, "org_a"), 0);
	cp_store_abort(&t);
	assert_int_equal(cp_store_seq(f->s), 3);
	assert_int_equal(f->n, 3);
	t = cp_store_begin(f->s, false);
	assert_int_equal(cp_store_txn_seq(t), 3);
	assert_false(cp_store_has(t, CP_ORG, "org_d"));
	assert_true(cp_store_has(t, CP_ORG, "org_a"));
	cp_store_abort(&t);

	/* A delete publishes the entity as it was. */
	t = cp_store_begin(f->s, true);
	assert_int_equal(cp_store_del(t, CP_ORG, "org_b"), 0);
	assert_int_equal(cp_store_del(t, CP_ORG, "org_b"), SY_ENOTFOUND);
	assert_int_equal(cp_store_commit(&t), 0);
	assert_int_equal(cp_store_seq(f->s), 4);
	assert_int_equal(f->n, 4);
	assert_true(f->deleted[3]);
	assert_int_equal(f->seqs[3], 4);
	assert_string_equal(f->ids[3], "org_b");
}

/* seq survives closing and reopening the environment. */
static void test_seq_persists(void **state)
{
	struct fixture *f = *state;
	struct cp_txn *t = cp_store_begin(f->s, true);
	put_free(t, CP_ORG, org("org_a", "A"));
	put_free(t, CP_ORG, org("org_b", "B"));
	assert_int_equal(cp_store_commit(&t), 0);
	cp_store_free(&f->s);
	const char *why = NULL;
	f->s = cp_store_open(f->dir, 64, &why);
	assert_non_null(f->s);
	assert_int_equal(cp_store_seq(f->s), 2);
}

static int count_item(const ProtobufCMessage *m, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_each_and_raw_tables(void **state)
{
	struct fixture *f = *state;
	struct cp_txn *t = cp_store_begin(f->s, true);
	put_free(t, CP_ORG, org("org_a", "A"));
	put_free(t, CP_ORG, org("org_b", "B"));
	assert_int_equal(cp_store_raw_put(t, CP_T_GENERATIONS, "gen-1", "x", 1, true), 0);
	assert_int_equal(cp_store_raw_put(t, CP_T_GENERATIONS, "gen-1", "y", 1, true), SY_EEXIST);
	assert_int_equal(cp_store_txn_seq(t), 2); /* raw tables do not bump seq */
	assert_int_equal(cp_store_commit(&t), 0);
	t = cp_store_begin(f->s, false);
	int n = 0;
	assert_int_equal(cp_store_each(t, CP_ORG, count_item, &n), 0);
	assert_int_equal(n, 2);
	const void *v;
	size_t len;
	assert_int_equal(cp_store_raw_get(t, CP_T_GENERATIONS, "gen-1", &v, &len), 0);
	assert_int_equal(len, 1);
	assert_memory_equal(v, "x", 1);
	assert_int_equal(cp_store_raw_get(t, CP_T_GENERATIONS, "gen-2", &v, &len), SY_ENOTFOUND);
	cp_store_abort(&t);
}

/* Write generations of 2 KiB, one transaction each, until a write fails (or, with
 * to_three_quarters, the map is 3/4 used); the count written. */
static int fill(struct cp_store *s, int from, int max, bool to_three_quarters)
{
	static char blob[2048];
	int i;
	for (i = from; i < from + max; i++) {
		char id[32];
		snprintf(id, sizeof(id), "gen-%06d", i);
		struct cp_txn *t = cp_store_begin(s, true);
		if (!t)
			break;
		if (cp_store_raw_put(t, CP_T_GENERATIONS, id, blob, sizeof(blob), true)) {
			cp_store_abort(&t);
			break;
		}
		if (cp_store_commit(&t))
			break;
		uint64_t map, used;
		assert_int_equal(cp_store_map_use(s, &map, &used), 0);
		if (to_three_quarters && used > map / 4 * 3)
			return i + 1 - from; /* time for the owner to make room */
	}
	return i - from;
}

/* The map doubles when 3/4 full, up to its maximum; full there, writes fail and the store
 * says so until the maximum is raised. */
static void test_map_grows_then_fills(void **state)
{
	struct fixture *f = *state;
	cp_store_free(&f->s);
	const char *why = NULL;
	f->s = cp_store_open(f->dir, 1, &why);
	assert_non_null(f->s);
	cp_store_set_map_max(f->s, 2);
	assert_int_equal(cp_store_map_max(f->s), 2u << 20);
	uint64_t map, used;
	int n = fill(f->s, 0, 10000, true);
	assert_int_equal(cp_store_make_room(f->s), 0); /* past 3/4: doubled */
	assert_int_equal(cp_store_map_use(f->s, &map, &used), 0);
	assert_int_equal(map, 2u << 20);
	assert_false(cp_store_is_full(f->s));
	/* at the maximum: writes fail with MDB_MAP_FULL and the store is full */
	n += fill(f->s, n, 10000, false);
	assert_int_equal(cp_store_make_room(f->s), SY_ESTORE);
	assert_true(cp_store_is_full(f->s));
	assert_int_equal(cp_store_map_use(f->s, &map, &used), 0);
	assert_int_equal(map, 2u << 20);
	/* the operator raises the maximum: room again, nothing written was lost */
	cp_store_set_map_max(f->s, 8);
	assert_int_equal(cp_store_make_room(f->s), 0);
	assert_false(cp_store_is_full(f->s));
	assert_int_equal(fill(f->s, n, 1, false), 1);
	struct cp_txn *t = cp_store_begin(f->s, false);
	const void *v;
	size_t len;
	char id[32];
	snprintf(id, sizeof(id), "gen-%06d", n - 1);
	assert_int_equal(cp_store_raw_get(t, CP_T_GENERATIONS, id, &v, &len), 0);
	cp_store_abort(&t);
}

/* SHA-256 hex of a key, as the store's key ids. */
static void test_key_hashing(void **state)
{
	char h[SY_HASH_HEX_LEN + 1];
	sy_sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(sy_is_hash_hex(h));
	char k1[SY_KEY_LEN + 1], k2[SY_KEY_LEN + 1];
	sy_key_generate(SY_KEY_PREFIX, k1, sizeof(k1));
	sy_key_generate(SY_KEY_PREFIX, k2, sizeof(k2));
	assert_int_equal(strlen(k1), SY_KEY_LEN);
	assert_string_not_equal(k1, k2);
}

/* Credentials: sealed under the KEK with the slug as associated data; a wrong KEK, another
 * slug or no KEK cannot open them, and the plaintext is nowhere in the stored bytes. */
static void test_credential_encryption(void **state)
{
	struct fixture *f = *state;
	struct sy_kek kek, other, none = {0};
	assert_int_equal(
	    sy_kek_from_hex(&kek,
	                    "1111111111111111111111111111111111111111111111111111111111111111"),
	    0);
	assert_int_equal(
	    sy_kek_from_hex(&other,
	                    "2222222222222222222222222222222222222222222222222222222222222222"),
	    0);
	const char *secret = "sk-proj-CANARY-credential-0123456789";

	Sy__Provider *p = (Sy__Provider *)cp_entity_new(CP_PROVIDER);
	p->slug = strdup("openai");
	assert_int_equal(cp_provider_seal(p, &none, secret), SY_ENOKEK);
	assert_false(p->has_api_key_enc);
	assert_int_equal(cp_provider_seal(p, &kek, secret), 0);
	assert_true(p->has_api_key_enc);
	assert_null(memmem(p->api_key_enc.data, p->api_key_enc.len, secret, strlen(secret)));
	struct cp_txn *t = cp_store_begin(f->s, true);
	put_free(t, CP_PROVIDER, p);
	assert_int_equal(cp_store_commit(&t), 0);

	t = cp_store_begin(f->s, false);
	ProtobufCMessage *m = NULL;
	assert_int_equal(cp_store_get(t, CP_PROVIDER, "openai", &m), 0);
	cp_store_abort(&t);
	Sy__Provider *got = (Sy__Provider *)m;
	assert_null(got->api_key);
	char *plain = NULL;
	assert_int_equal(cp_provider_open(got, &kek, &plain), 0);
	assert_string_equal(plain, secret);
	free(plain);
	plain = NULL;
	assert_int_equal(cp_provider_open(got, &other, &plain), SY_ECRYPTO);
	assert_int_equal(cp_provider_open(got, &none, &plain), SY_ENOKEK);
	assert_null(plain);
	/* The same ciphertext under another provider's slug does not open. */
	free(got->slug);
	got->slug = strdup("deepseek");
	assert_int_equal(cp_provider_open(got, &kek, &plain), SY_ECRYPTO);
	cp_provider_clear_credential(got);
	assert_int_equal(cp_provider_open(got, &kek, &plain), SY_ENOTFOUND);
	cp_entity_free(&m);
}

int main(void)
{
	if (sy_crypto_init())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_org_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_kind_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_moves_with_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_persists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_each_and_raw_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_grows_then_fills, setup, teardown),
	    cmocka_unit_test(test_key_hashing),
	    cmocka_unit_test_setup_teardown(test_credential_encryption, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
