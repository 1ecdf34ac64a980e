/* dp_view_test.c - generations: apply, clone, refcount, lookup, delete, listings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dp_view.h"
#include "sy_err.h"
#include "sy_key.h"

static char hash_buf[8][SY_HASH_HEX_LEN + 1];

/* A valid key hash derived from n. */
static const char *hash_of(int n, int slot)
{
	char s[32];
	snprintf(s, sizeof(s), "key-%d", n);
	sy_sha256_hex(s, strlen(s), hash_buf[slot]);
	return hash_buf[slot];
}

static int put_key(struct dp_view *v, const char *hash, const char *org, bool disabled)
{
	char topic[80];
	snprintf(topic, sizeof(topic), "key/%s", hash);
	Sy__ApiKey k = SY__API_KEY__INIT;
	k.hash = (char *)hash;
	k.org_id = (char *)org;
	k.has_disabled = true;
	k.disabled = disabled;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_KEY;
	u.key = &k;
	return dp_view_apply(v, &u);
}

static int put_model(struct dp_view *v, const char *id, const char *name)
{
	char topic[128];
	snprintf(topic, sizeof(topic), "model/%s", id);
	Sy__Endpoint ep = SY__ENDPOINT__INIT, *eps[] = {&ep};
	ep.provider = "mock";
	ep.provider_model_id = "echo";
	Sy__Model m = SY__MODEL__INIT;
	m.id = (char *)id;
	m.name = (char *)name;
	m.n_endpoints = 1;
	m.endpoints = eps;
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_MODEL;
	u.model = &m;
	return dp_view_apply(v, &u);
}

static int put_provider(struct dp_view *v, const char *slug)
{
	char topic[128];
	snprintf(topic, sizeof(topic), "provider/%s", slug);
	Sy__Provider p = SY__PROVIDER__INIT;
	p.slug = (char *)slug;
	p.name = "Display";
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_PROVIDER;
	u.provider = &p;
	return dp_view_apply(v, &u);
}

static int del(struct dp_view *v, const char *topic)
{
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = (char *)topic;
	u.has_deleted = true;
	u.deleted = true;
	return dp_view_apply(v, &u);
}

/* Usage example: build a view from updates, look things up, publish a clone. */
static void test_apply_and_lookup(void **state)
{
	struct dp_view *v = dp_view_new();
	assert_non_null(v);
	const char *h = hash_of(1, 0);
	assert_int_equal(put_key(v, h, "org-1", false), 0);
	assert_int_equal(put_model(v, "openai/gpt-4o", "GPT-4o"), 0);
	dp_view_set_seq(v, 7);

	const Sy__ApiKey *k = dp_view_key(v, h);
	assert_non_null(k);
	assert_string_equal(k->org_id, "org-1");
	assert_false(k->disabled);
	assert_null(dp_view_key(v, hash_of(2, 1)));
	assert_null(dp_view_key(v, NULL));
	const Sy__Model *m = dp_view_model(v, "openai/gpt-4o");
	assert_non_null(m);
	assert_string_equal(m->name, "GPT-4o");
	assert_int_equal(m->n_endpoints, 1);
	assert_string_equal(m->endpoints[0]->provider_model_id, "echo");
	assert_int_equal(dp_view_seq(v), 7);
	dp_view_unref(&v);
	assert_null(v);
}

static void test_upsert_replaces(void **state)
{
	struct dp_view *v = dp_view_new();
	const char *h = hash_of(1, 0);
	assert_int_equal(put_key(v, h, "org-1", false), 0);
	assert_int_equal(put_key(v, h, "org-1", true), 0);
	assert_true(dp_view_key(v, h)->disabled);
	dp_view_unref(&v);
}

/* The update's own memory can go away: the view holds copies. */
static void test_apply_copies(void **state)
{
	struct dp_view *v = dp_view_new();
	char id[32] = "acme/model-a", name[32] = "Model A";
	assert_int_equal(put_model(v, id, name), 0);
	memset(name, 'x', sizeof(name) - 1);
	strcpy(id, "zzz/other");
	const Sy__Model *m = dp_view_model(v, "acme/model-a");
	assert_non_null(m);
	assert_string_equal(m->name, "Model A");
	dp_view_unref(&v);
}

static void test_clone_is_independent(void **state)
{
	struct dp_view *v = dp_view_new();
	const char *h1 = hash_of(1, 0), *h2 = hash_of(2, 1);
	assert_int_equal(put_key(v, h1, "org-1", false), 0);
	assert_int_equal(put_model(v, "a/one", "One"), 0);
	dp_view_set_seq(v, 3);

	struct dp_view *c = dp_view_clone(v);
	assert_non_null(c);
	assert_int_equal(dp_view_seq(c), 3);
	/* the clone shares the unchanged entity */
	assert_ptr_equal(dp_view_key(c, h1), dp_view_key(v, h1));
	assert_int_equal(put_key(c, h1, "org-1", true), 0);
	assert_int_equal(put_key(c, h2, "org-2", false), 0);
	assert_int_equal(del(c, "model/a/one"), 0);
	dp_view_set_seq(c, 5);

	/* the old generation is untouched */
	assert_false(dp_view_key(v, h1)->disabled);
	assert_null(dp_view_key(v, h2));
	assert_non_null(dp_view_model(v, "a/one"));
	assert_int_equal(dp_view_model_count(v), 1);
	assert_int_equal(dp_view_seq(v), 3);
	/* the new one has the changes */
	assert_true(dp_view_key(c, h1)->disabled);
	assert_non_null(dp_view_key(c, h2));
	assert_null(dp_view_model(c, "a/one"));
	assert_int_equal(dp_view_model_count(c), 0);

	/* dropping the old generation leaves the clone's entities alive */
	dp_view_unref(&v);
	assert_string_equal(dp_view_key(c, h2)->org_id, "org-2");
	dp_view_unref(&c);
}

/* A request holding a reference keeps its generation after the worker swapped it out. */
static void test_refcount_keeps_generation(void **state)
{
	struct dp_view *cur = dp_view_new();
	assert_int_equal(put_model(cur, "a/one", "One"), 0);
	struct dp_view *held = dp_view_ref(cur);
	const Sy__Model *m = dp_view_model(held, "a/one");

	struct dp_view *next = dp_view_clone(cur);
	assert_int_equal(del(next, "model/a/one"), 0);
	dp_view_unref(&cur);
	cur = next;

	assert_string_equal(m->name, "One"); /* still valid: held keeps it alive */
	assert_null(dp_view_model(cur, "a/one"));
	dp_view_unref(&held);
	dp_view_unref(&held); /* idempotent on NULL */
	dp_view_unref(&cur);
}

static void test_listings_sorted(void **state)
{
	struct dp_view *v = dp_view_new();
	const char *ids[] = {"m/c", "a/z", "m/a", "b/b", "a/a"};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(put_model(v, ids[i], ids[i]), 0);
	assert_int_equal(put_model(v, "m/a", "again"), 0); /* replace keeps one entry */
	assert_int_equal(put_provider(v, "zeta"), 0);
	assert_int_equal(put_provider(v, "alpha"), 0);

	const char *want[] = {"a/a", "a/z", "b/b", "m/a", "m/c"};
	assert_int_equal(dp_view_model_count(v), 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(dp_view_model_at(v, i)->id, want[i]);
	assert_null(dp_view_model_at(v, 5));
	assert_string_equal(dp_view_model(v, "m/a")->name, "again");
	assert_int_equal(dp_view_provider_count(v), 2);
	assert_string_equal(dp_view_provider_at(v, 0)->slug, "alpha");
	assert_string_equal(dp_view_provider_at(v, 1)->slug, "zeta");
	assert_non_null(dp_view_provider(v, "zeta"));

	assert_int_equal(del(v, "model/b/b"), 0);
	assert_int_equal(del(v, "model/not/there"), 0);
	assert_int_equal(dp_view_model_count(v), 4);
	assert_string_equal(dp_view_model_at(v, 2)->id, "m/a");
	dp_view_unref(&v);
}

/* Many inserts and deletes exercise growth and backward-shift deletion. */
static void test_many_keys_and_deletes(void **state)
{
	struct dp_view *v = dp_view_new();
	enum {
		N = 2000
	};
	for (int i = 0; i < N; i++)
		assert_int_equal(put_key(v, hash_of(i, 0), "org", false), 0);
	for (int i = 0; i < N; i += 3) {
		char topic[80];
		snprintf(topic, sizeof(topic), "key/%s", hash_of(i, 0));
		assert_int_equal(del(v, topic), 0);
	}
	for (int i = 0; i < N; i++) {
		const Sy__ApiKey *k = dp_view_key(v, hash_of(i, 0));
		if (i % 3 == 0)
			assert_null(k);
		else
			assert_non_null(k);
	}
	dp_view_unref(&v);
}

static void test_org_and_mkey(void **state)
{
	struct dp_view *v = dp_view_new();
	Sy__Org o = SY__ORG__INIT;
	o.id = "org-1";
	o.name = "Acme";
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = "org/org-1";
	u.value_case = SY__UPDATE__VALUE_ORG;
	u.org = &o;
	assert_int_equal(dp_view_apply(v, &u), 0);
	assert_string_equal(dp_view_org(v, "org-1")->name, "Acme");

	const char *h = hash_of(9, 0);
	char topic[80];
	snprintf(topic, sizeof(topic), "mkey/%s", h);
	Sy__MgmtKey mk = SY__MGMT_KEY__INIT;
	mk.hash = (char *)h;
	Sy__Update mu = SY__UPDATE__INIT;
	mu.topic = topic;
	mu.value_case = SY__UPDATE__VALUE_MKEY;
	mu.mkey = &mk;
	assert_int_equal(dp_view_apply(v, &mu), 0);
	assert_non_null(dp_view_mkey(v, h));
	assert_null(dp_view_key(v, h)); /* separate namespaces */
	assert_int_equal(del(v, "org/org-1"), 0);
	assert_null(dp_view_org(v, "org-1"));
	dp_view_unref(&v);
}

static void test_invalid_updates_rejected(void **state)
{
	struct dp_view *v = dp_view_new();
	const char *h = hash_of(1, 0);
	/* topic id differs from the entity's id */
	char topic[80];
	snprintf(topic, sizeof(topic), "key/%s", hash_of(2, 1));
	Sy__ApiKey k = SY__API_KEY__INIT;
	k.hash = (char *)h;
	k.org_id = "org";
	Sy__Update u = SY__UPDATE__INIT;
	u.topic = topic;
	u.value_case = SY__UPDATE__VALUE_KEY;
	u.key = &k;
	assert_int_equal(dp_view_apply(v, &u), SY_EPROTO);
	/* value of the wrong kind */
	snprintf(topic, sizeof(topic), "org/%s", h);
	assert_int_equal(dp_view_apply(v, &u), SY_EPROTO);
	/* no value */
	Sy__Update empty = SY__UPDATE__INIT;
	empty.topic = "model/a/b";
	assert_int_equal(dp_view_apply(v, &empty), SY_EPROTO);
	/* empty id */
	empty.topic = "model/";
	assert_int_equal(dp_view_apply(v, &empty), SY_EPROTO);
	/* a key hash that is not 64 lowercase hex */
	assert_int_equal(put_key(v, "ABC", "org", false), SY_EPROTO);
	/* an unknown kind is ignored (forward compatibility) */
	empty.topic = "budget/org-1/daily";
	assert_int_equal(dp_view_apply(v, &empty), 0);
	assert_null(dp_view_key(v, h));
	assert_int_equal(dp_view_model_count(v), 0);
	dp_view_unref(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apply_and_lookup),
	    cmocka_unit_test(test_upsert_replaces),
	    cmocka_unit_test(test_apply_copies),
	    cmocka_unit_test(test_clone_is_independent),
	    cmocka_unit_test(test_refcount_keeps_generation),
	    cmocka_unit_test(test_listings_sorted),
	    cmocka_unit_test(test_many_keys_and_deletes),
	    cmocka_unit_test(test_org_and_mkey),
	    cmocka_unit_test(test_invalid_updates_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
