/* dp_view.c - immutable, reference-counted generations of the controlplane's state.
 *
 * Each entity is its own unpacked protobuf held by a small refcounted cell, so cloning a
 * generation copies pointer tables, never the entities: an update then replaces only the
 * cells it touches. Lookups go through one sy_map per kind; models and providers are also
 * kept in id order for listings. Everything runs on the worker's one thread: counts need no atomics. */
#include "dp_view.h"
#include "sy_array.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_map.h"
#include "sy_msg.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind {
	K_ORG,
	K_KEY,
	K_MKEY,
	K_PROVIDER,
	K_MODEL,
	K_STATS,
	K_AUTO,
	K_GUARD,
	K_CRED,
	K_COUNT
};

/* One entity shared by every generation that contains it. */
struct cell {
	unsigned refs;
	const char *id;        /* points into msg */
	ProtobufCMessage *msg; /* unpacked copy, freed with the cell */
};

struct list {
	struct cell **v; /* sorted by id */
	size_t n, cap;
};

struct dp_view {
	unsigned refs;
	uint64_t seq;
	struct sy_map t[K_COUNT]; /* id -> cell */
	struct list models, providers, guardrails;
};

static const struct kind_desc {
	const char *prefix; /* topic prefix including the '/' */
	Sy__Update__ValueCase vcase;
	const ProtobufCMessageDescriptor *desc;
	size_t id_off; /* offset of the char * id field in the message */
} kinds[K_COUNT] = {
    [K_ORG] = {"org/", SY__UPDATE__VALUE_ORG, &sy__org__descriptor, offsetof(Sy__Org, id)},
    [K_KEY] = {"key/", SY__UPDATE__VALUE_KEY, &sy__api_key__descriptor, offsetof(Sy__ApiKey, hash)},
    [K_MKEY] = {"mkey/", SY__UPDATE__VALUE_MKEY, &sy__mgmt_key__descriptor,
                offsetof(Sy__MgmtKey, hash)},
    [K_PROVIDER] = {"provider/", SY__UPDATE__VALUE_PROVIDER, &sy__provider__descriptor,
                    offsetof(Sy__Provider, slug)},
    [K_MODEL] = {"model/", SY__UPDATE__VALUE_MODEL, &sy__model__descriptor,
                 offsetof(Sy__Model, id)},
    [K_STATS] = {"stats/", SY__UPDATE__VALUE_STATS, &sy__endpoint_stats__descriptor,
                 offsetof(Sy__EndpointStats, model)},
    [K_AUTO] = {"autorouter/", SY__UPDATE__VALUE_AUTO_ROUTER, &sy__auto_router__descriptor,
                offsetof(Sy__AutoRouter, id)},
    [K_GUARD] = {"guardrail/", SY__UPDATE__VALUE_GUARDRAIL, &sy__guardrail__descriptor,
                 offsetof(Sy__Guardrail, id)},
    [K_CRED] = {"credential/", SY__UPDATE__VALUE_CREDENTIAL, &sy__org_credential__descriptor,
                offsetof(Sy__OrgCredential, id)},
};

/* ---- cells ------------------------------------------------------------------------------ */

static const char *msg_id(const ProtobufCMessage *m, enum kind k)
{
	return *(char *const *)((const char *)m + kinds[k].id_off);
}

/* A private copy of m: pack and unpack, so the cell owns every nested allocation. */
static struct cell *cell_new(const ProtobufCMessage *m, enum kind k)
{
	struct cell *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		goto out_free_cell;
	protobuf_c_message_pack(m, buf);
	c->msg = protobuf_c_message_unpack(kinds[k].desc, NULL, len, buf);
	free(buf);
	if (!c->msg)
		goto out_free_cell;
	c->id = msg_id(c->msg, k);
	c->refs = 1;
	return c;
out_free_cell:
	free(c);
	return NULL;
}

static struct cell *cell_ref(struct cell *c)
{
	c->refs++;
	return c;
}

static void cell_unref(struct cell *c)
{
	if (c && --c->refs == 0) {
		protobuf_c_message_free_unpacked(c->msg, NULL);
		free(c);
	}
}

/* ---- id tables (sy_map of cells keyed by their id) ------------------------------------- */

/* Insert or replace; takes the caller's reference on c. */
static int table_put(struct sy_map *t, struct cell *c)
{
	void *old;
	int rc = sy_map_put(t, c->id, c, &old);
	if (!rc)
		cell_unref(old);
	return rc;
}

static void table_del(struct sy_map *t, const char *id)
{
	cell_unref(sy_map_del(t, id));
}

/* A copy holding its own reference on every cell. */
static int table_copy(struct sy_map *dst, const struct sy_map *src)
{
	void *c;
	if (sy_map_copy(dst, src))
		return -ENOMEM;
	for (size_t i = 0; sy_map_next(dst, &i, &c);)
		cell_ref(c);
	return 0;
}

static void table_release(struct sy_map *t)
{
	void *c;
	for (size_t i = 0; sy_map_next(t, &i, &c);)
		cell_unref(c);
	sy_map_release(t);
}

/* ---- sorted list -------------------------------------------------------------------------- */

/* Index of id, or of where it would be inserted; *found tells which. */
static size_t list_search(const struct list *l, const char *id, bool *found)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid]->id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Insert or replace; takes its own reference on c. */
static int list_put(struct list *l, struct cell *c)
{
	bool found;
	size_t i = list_search(l, c->id, &found);
	if (found) {
		cell_unref(l->v[i]);
		l->v[i] = cell_ref(c);
		return 0;
	}
	struct cell **v = sy_array_grow(l->v, l->n, &l->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	l->v = v;
	memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof(*l->v));
	l->v[i] = cell_ref(c);
	l->n++;
	return 0;
}

static void list_del(struct list *l, const char *id)
{
	bool found;
	size_t i = list_search(l, id, &found);
	if (!found)
		return;
	cell_unref(l->v[i]);
	memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

static int list_copy(struct list *dst, const struct list *src)
{
	*dst = (struct list){NULL, src->n, src->n};
	if (!src->n)
		return 0;
	dst->v = malloc(src->n * sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++)
		dst->v[i] = cell_ref(src->v[i]);
	return 0;
}

static void list_release(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cell_unref(l->v[i]);
	free(l->v);
	*l = (struct list){0};
}

static struct list *sorted_list(struct dp_view *v, enum kind k)
{
	return k == K_MODEL      ? &v->models
	       : k == K_PROVIDER ? &v->providers
	       : k == K_GUARD    ? &v->guardrails
	                         : NULL;
}

/* ---- generations ---------------------------------------------------------------------------- */

struct dp_view *dp_view_new(void)
{
	struct dp_view *v = calloc(1, sizeof(*v));
	if (v)
		v->refs = 1;
	return v;
}

static void view_release(struct dp_view *v)
{
	for (int k = 0; k < K_COUNT; k++)
		table_release(&v->t[k]);
	list_release(&v->models);
	list_release(&v->providers);
	list_release(&v->guardrails);
}

struct dp_view *dp_view_clone(const struct dp_view *src)
{
	struct dp_view *v = dp_view_new();
	if (!v)
		return NULL;
	v->seq = src->seq;
	for (int k = 0; k < K_COUNT; k++)
		if (table_copy(&v->t[k], &src->t[k]))
			goto out_free;
	if (list_copy(&v->models, &src->models) || list_copy(&v->providers, &src->providers) ||
	    list_copy(&v->guardrails, &src->guardrails))
		goto out_free;
	return v;
out_free:
	view_release(v);
	free(v);
	return NULL;
}

static const ProtobufCMessage *update_value(const Sy__Update *u)
{
	switch (u->value_case) {
	case SY__UPDATE__VALUE_ORG:
		return &u->org->base;
	case SY__UPDATE__VALUE_KEY:
		return &u->key->base;
	case SY__UPDATE__VALUE_MKEY:
		return &u->mkey->base;
	case SY__UPDATE__VALUE_PROVIDER:
		return &u->provider->base;
	case SY__UPDATE__VALUE_MODEL:
		return &u->model->base;
	case SY__UPDATE__VALUE_STATS:
		return &u->stats->base;
	case SY__UPDATE__VALUE_AUTO_ROUTER:
		return &u->auto_router->base;
	case SY__UPDATE__VALUE_GUARDRAIL:
		return &u->guardrail->base;
	case SY__UPDATE__VALUE_CREDENTIAL:
		return &u->credential->base;
	default:
		return NULL;
	}
}

/* Entity-specific checks beyond what protobuf-c enforces (required fields). */
static bool value_valid(const ProtobufCMessage *m, enum kind k)
{
	if (k == K_KEY)
		return sy_is_hash_hex(((const Sy__ApiKey *)m)->hash) &&
		       ((const Sy__ApiKey *)m)->org_id[0];
	if (k == K_MKEY)
		return sy_is_hash_hex(((const Sy__MgmtKey *)m)->hash);
	return true;
}

int dp_view_apply(struct dp_view *v, const Sy__Update *u)
{
	enum kind k;
	const char *id = NULL;
	for (k = 0; k < K_COUNT; k++) {
		size_t n = strlen(kinds[k].prefix);
		if (strncmp(u->topic, kinds[k].prefix, n) == 0) {
			id = u->topic + n;
			break;
		}
	}
	/* A newer controlplane may publish kinds this worker does not use yet. */
	if (k == K_COUNT)
		return 0;
	if (!*id)
		return SY_EPROTO;
	struct list *l = sorted_list(v, k);
	if (u->has_deleted && u->deleted) {
		table_del(&v->t[k], id);
		if (l)
			list_del(l, id);
		return 0;
	}
	const ProtobufCMessage *m = update_value(u);
	if (!m || u->value_case != kinds[k].vcase || strcmp(msg_id(m, k), id) != 0 ||
	    !value_valid(m, k))
		return SY_EPROTO;
	struct cell *c = cell_new(m, k);
	if (!c)
		return -ENOMEM;
	if (l && list_put(l, c)) {
		cell_unref(c);
		return -ENOMEM;
	}
	int rc = table_put(&v->t[k], c);
	if (rc) {
		if (l)
			list_del(l, id);
		cell_unref(c);
	}
	return rc;
}

void dp_view_set_seq(struct dp_view *v, uint64_t seq)
{
	v->seq = seq;
}

uint64_t dp_view_seq(const struct dp_view *v)
{
	return v->seq;
}

struct dp_view *dp_view_ref(struct dp_view *v)
{
	v->refs++;
	return v;
}

void dp_view_unref(struct dp_view **vp)
{
	struct dp_view *v = *vp;
	if (!v)
		return;
	*vp = NULL;
	if (--v->refs)
		return;
	view_release(v);
	free(v);
}

static const void *lookup(const struct dp_view *v, enum kind k, const char *id)
{
	struct cell *c = id ? sy_map_get(&v->t[k], id) : NULL;
	return c ? c->msg : NULL;
}

const Sy__ApiKey *dp_view_key(const struct dp_view *v, const char *hash)
{
	return lookup(v, K_KEY, hash);
}

const Sy__MgmtKey *dp_view_mkey(const struct dp_view *v, const char *hash)
{
	return lookup(v, K_MKEY, hash);
}

const Sy__Org *dp_view_org(const struct dp_view *v, const char *id)
{
	return lookup(v, K_ORG, id);
}

const Sy__Provider *dp_view_provider(const struct dp_view *v, const char *slug)
{
	return lookup(v, K_PROVIDER, slug);
}

const Sy__Model *dp_view_model(const struct dp_view *v, const char *id)
{
	return lookup(v, K_MODEL, id);
}

const Sy__EndpointStat *dp_view_endpoint_stat(const struct dp_view *v, const char *model_id,
                                              const char *provider)
{
	const Sy__EndpointStats *st = lookup(v, K_STATS, model_id);
	for (size_t i = 0; st && i < st->n_endpoints; i++)
		if (!strcmp(st->endpoints[i]->provider, provider))
			return st->endpoints[i];
	return NULL;
}

const Sy__AutoRouter *dp_view_auto_router(const struct dp_view *v)
{
	return lookup(v, K_AUTO, SY_AUTO_ROUTER_ID);
}

size_t dp_view_model_count(const struct dp_view *v)
{
	return v->models.n;
}

const Sy__Model *dp_view_model_at(const struct dp_view *v, size_t i)
{
	return i < v->models.n ? (const Sy__Model *)v->models.v[i]->msg : NULL;
}

size_t dp_view_provider_count(const struct dp_view *v)
{
	return v->providers.n;
}

const Sy__Provider *dp_view_provider_at(const struct dp_view *v, size_t i)
{
	return i < v->providers.n ? (const Sy__Provider *)v->providers.v[i]->msg : NULL;
}

size_t dp_view_guardrail_count(const struct dp_view *v)
{
	return v->guardrails.n;
}

const Sy__Guardrail *dp_view_guardrail_at(const struct dp_view *v, size_t i)
{
	return i < v->guardrails.n ? (const Sy__Guardrail *)v->guardrails.v[i]->msg : NULL;
}

const Sy__OrgCredential *dp_view_credential(const struct dp_view *v, const char *org_id,
                                            const char *provider)
{
	char id[256];
	if ((size_t)snprintf(id, sizeof(id), "%s:%s", org_id, provider) >= sizeof(id))
		return NULL;
	return lookup(v, K_CRED, id);
}
