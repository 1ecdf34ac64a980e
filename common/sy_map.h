/* sy_map.h - a small string-keyed hash map of pointers: open addressing with linear probing and
 * backward-shift deletion (no tombstones), each key's hash kept in its slot so probes compare
 * a hash before a key and growing never rehashes a string. At most half full.
 *
 * Keys are borrowed: each key must stay valid, unchanged, while its entry is in the map
 * (typically it lives in the value). Values are never NULL. Not thread-safe.
 *
 * Hand-written rather than a library's: glib's GHashTable would be a new dependency for the
 * dataplane's hot lookups (API keys, models, leases), and these few lines are measured
 * against the tables they replaced in bench/map_bench.c (make bench-map).
 *
 *   struct sy_map m = {0};
 *   sy_map_put(&m, item->id, item, NULL);
 *   struct item *it = sy_map_get(&m, "id");
 *   sy_map_release(&m);                       // the values are the caller's to free */
#ifndef SY_MAP_H
#define SY_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The separator of a two-part key ("a\x1f" "b"): see sy_map_get_pair. */
#define SY_MAP_PAIR_SEP '\x1f'

struct sy_map_slot {
	uint64_t hash;
	const char *key; /* NULL = empty */
	void *val;
};

struct sy_map {
	struct sy_map_slot *slot;
	size_t cap; /* a power of two, or 0 */
	size_t n;   /* entries */
};

/* The hash of a string (see sy_map.c). */
uint64_t sy_map_hash(const char *s);
/* The value under key; NULL if absent. */
void *sy_map_get(const struct sy_map *m, const char *key);
/* The value under the two-part key a SY_MAP_PAIR_SEP b (joined on the stack, or on the heap
 * when long); NULL if absent or out of memory. */
void *sy_map_get_pair(const struct sy_map *m, const char *a, const char *b);
/* Insert or replace; *old (may be NULL) receives the replaced value, or NULL. 0 or -ENOMEM
 * (the map unchanged). */
int sy_map_put(struct sy_map *m, const char *key, void *val, void **old);
/* Make room for n entries: until the map holds n, sy_map_put allocates nothing (and cannot
 * fail). 0 or -ENOMEM. */
int sy_map_reserve(struct sy_map *m, size_t n);
/* Remove key; its value, or NULL if absent. */
void *sy_map_del(struct sy_map *m, const char *key);
/* Remove every entry keep() refuses (keep may free the value then); the number removed. */
size_t sy_map_filter(struct sy_map *m, bool (*keep)(void *val, void *arg), void *arg);
/* Step through the entries: for (size_t i = 0; sy_map_next(m, &i, &val);). The map must not
 * change during the walk (collect first, or use sy_map_filter). */
bool sy_map_next(const struct sy_map *m, size_t *i, void **val);
/* *dst becomes a copy of src (same keys and values). 0 or -ENOMEM (*dst empty). */
int sy_map_copy(struct sy_map *dst, const struct sy_map *src);
/* Free the slots (not the keys or values); the map is empty and usable again. */
void sy_map_release(struct sy_map *m);

#endif
