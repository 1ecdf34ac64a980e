/* sy_map.c - open addressing, linear probing, backward-shift deletion. */
#include "sy_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 16
#define K1 0x9e3779b97f4a7c15ULL
#define K2 0xff51afd7ed558ccdULL
/* Two-part keys longer than this are joined on the heap to be looked up. */
#define PAIR_STACK 256

/* Eight bytes at a time, then murmur3's finaliser so the low bits (the slot) depend on every
 * byte. Not resistant to chosen collisions, as FNV-1a before it was not. Hand-written: xxHash
 * would do as well, but is not worth a new runtime library for these lines; libsodium's
 * SipHash was slower on the short keys that matter here (model ids). */
static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = K1 ^ (n * K2), w;
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * K1;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * K1;
	h ^= h >> 33;
	h *= K2;
	h ^= h >> 33;
	return h;
}

uint64_t sy_map_hash(const char *s)
{
	return hash_bytes(s, strlen(s));
}

/* The slot holding key (hash h), or the empty slot where it would go. */
static size_t find(const struct sy_map *m, uint64_t h, const char *key)
{
	size_t mask = m->cap - 1, i = h & mask;
	while (m->slot[i].key && (m->slot[i].hash != h || strcmp(m->slot[i].key, key)))
		i = (i + 1) & mask;
	return i;
}

void *sy_map_get(const struct sy_map *m, const char *key)
{
	return m->cap ? m->slot[find(m, sy_map_hash(key), key)].val : NULL;
}

void *sy_map_get_pair(const struct sy_map *m, const char *a, const char *b)
{
	if (!m->cap)
		return NULL;
	char stack[PAIR_STACK];
	size_t la = strlen(a), lb = strlen(b);
	char *key = la + lb + 2 <= sizeof(stack) ? stack : malloc(la + lb + 2);
	if (!key)
		return NULL;
	memcpy(key, a, la);
	key[la] = SY_MAP_PAIR_SEP;
	memcpy(key + la + 1, b, lb + 1);
	void *val = m->slot[find(m, hash_bytes(key, la + lb + 1), key)].val;
	if (key != stack)
		free(key);
	return val;
}

static int resize(struct sy_map *m, size_t cap)
{
	struct sy_map_slot *slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slot[i].key)
			continue;
		size_t j = m->slot[i].hash & (cap - 1);
		while (slot[j].key)
			j = (j + 1) & (cap - 1);
		slot[j] = m->slot[i];
	}
	free(m->slot);
	m->slot = slot;
	m->cap = cap;
	return 0;
}

int sy_map_put(struct sy_map *m, const char *key, void *val, void **old)
{
	uint64_t h = sy_map_hash(key);
	if ((m->n + 1) * 2 > m->cap) {
		int rc = resize(m, m->cap ? m->cap * 2 : MIN_CAP);
		if (rc)
			return rc;
	}
	size_t i = find(m, h, key);
	if (old)
		*old = m->slot[i].val;
	if (!m->slot[i].key)
		m->n++;
	m->slot[i] = (struct sy_map_slot){h, key, val};
	return 0;
}

int sy_map_reserve(struct sy_map *m, size_t n)
{
	size_t cap = m->cap ? m->cap : MIN_CAP;
	while (n * 2 > cap)
		cap *= 2;
	return cap > m->cap ? resize(m, cap) : 0;
}

/* Empty slot i and shift the cluster after it back so every probe stays unbroken. */
static void remove_at(struct sy_map *m, size_t i)
{
	size_t mask = m->cap - 1;
	m->slot[i] = (struct sy_map_slot){0};
	m->n--;
	for (size_t j = (i + 1) & mask; m->slot[j].key; j = (j + 1) & mask) {
		size_t home = m->slot[j].hash & mask;
		/* j moves back into the hole unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			m->slot[i] = m->slot[j];
			m->slot[j] = (struct sy_map_slot){0};
			i = j;
		}
	}
}

void *sy_map_del(struct sy_map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = find(m, sy_map_hash(key), key);
	void *val = m->slot[i].val;
	if (m->slot[i].key)
		remove_at(m, i);
	return val;
}

size_t sy_map_filter(struct sy_map *m, bool (*keep)(void *val, void *arg), void *arg)
{
	size_t removed = 0;
	for (size_t i = 0; i < m->cap;) {
		/* a removal shifts a later entry into i (or one already kept: kept again) */
		if (m->slot[i].key && !keep(m->slot[i].val, arg)) {
			remove_at(m, i);
			removed++;
			continue;
		}
		i++;
	}
	return removed;
}

bool sy_map_next(const struct sy_map *m, size_t *i, void **val)
{
	for (; *i < m->cap; (*i)++) {
		if (m->slot[*i].key) {
			*val = m->slot[(*i)++].val;
			return true;
		}
	}
	return false;
}

int sy_map_copy(struct sy_map *dst, const struct sy_map *src)
{
	*dst = (struct sy_map){0};
	if (!src->cap)
		return 0;
	if (!(dst->slot = malloc(src->cap * sizeof(*dst->slot))))
		return -ENOMEM;
	memcpy(dst->slot, src->slot, src->cap * sizeof(*dst->slot));
	dst->cap = src->cap;
	dst->n = src->n;
	return 0;
}

void sy_map_release(struct sy_map *m)
{
	free(m->slot);
	*m = (struct sy_map){0};
}
