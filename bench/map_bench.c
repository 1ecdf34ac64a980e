/* map_bench.c - lookup cost of common/sy_map against the table dp_view and dp_money used
 * before it (FNV-1a, open addressing, the value's key compared on every probe), on the
 * dataplane's hot lookups: API keys by their 64-hex hash and models by id, hits and misses.
 * Not a test: `make bench-map` prints ns per lookup for each. */
#include "sy_clock.h"
#include "sy_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the previous table, as dp_view.c had it (reference only) -------------------------- */

struct cell {
	const char *id;
};

struct old_table {
	struct cell **slot;
	size_t cap, n;
};

static uint64_t old_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t old_find(const struct old_table *t, const char *id)
{
	size_t mask = t->cap - 1, i = old_hash(id) & mask;
	while (t->slot[i] && strcmp(t->slot[i]->id, id) != 0)
		i = (i + 1) & mask;
	return i;
}

static struct cell *old_get(const struct old_table *t, const char *id)
{
	return t->cap ? t->slot[old_find(t, id)] : NULL;
}

static void old_put(struct old_table *t, struct cell *c)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct old_table nt = {calloc(cap, sizeof(struct cell *)), cap, t->n};
		for (size_t i = 0; i < t->cap; i++)
			if (t->slot[i])
				nt.slot[old_find(&nt, t->slot[i]->id)] = t->slot[i];
		free(t->slot);
		*t = nt;
	}
	size_t i = old_find(t, c->id);
	if (!t->slot[i])
		t->n++;
	t->slot[i] = c;
}

/* ---- the run --------------------------------------------------------------------------- */

#define ROUNDS 1000000
#define REPEATS 7

static volatile uintptr_t sink;

static double ns_per(int64_t t0_us, long n)
{
	return (double)(sy_mono_us() - t0_us) * 1000.0 / (double)n;
}

static void run(const char *what, size_t n, int keylen)
{
	struct cell *cells = calloc(n, sizeof(*cells));
	char(*ids)[80] = calloc(2 * n, sizeof(*ids)); /* n present, n absent */
	struct old_table old = {0};
	struct sy_map map = {0};
	for (size_t i = 0; i < 2 * n; i++) {
		if (keylen == 64)
			snprintf(ids[i], sizeof(ids[i]), "%016zx%016zx%016zx%016zx",
			         i * 2654435761u, i ^ 0x5bd1e995, i * 40503u, i + 7);
		else
			snprintf(ids[i], sizeof(ids[i]), "provider-%zu/model-%zu-instruct", i % 9,
			         i);
	}
	for (size_t i = 0; i < n; i++) {
		cells[i].id = ids[i];
		old_put(&old, &cells[i]);
		sy_map_put(&map, ids[i], &cells[i], NULL);
	}
	for (int miss = 0; miss < 2; miss++) {
		const char *kind = miss ? "miss" : "hit";
		double before = 1e9, after = 1e9;
		/* alternating runs, the best of each: the machine is shared */
		for (int rep = 0; rep < REPEATS; rep++) {
			int64_t t0 = sy_mono_us();
			for (long r = 0; r < ROUNDS; r++)
				sink +=
				    (uintptr_t)old_get(&old, ids[(size_t)r % n + (miss ? n : 0)]);
			double b = ns_per(t0, ROUNDS);
			t0 = sy_mono_us();
			for (long r = 0; r < ROUNDS; r++)
				sink += (uintptr_t)sy_map_get(&map,
				                              ids[(size_t)r % n + (miss ? n : 0)]);
			double a = ns_per(t0, ROUNDS);
			before = b < before ? b : before;
			after = a < after ? a : after;
		}
		printf("%-28s %6zu entries %-4s  before %6.1f ns  sy_map %6.1f ns (best of %d)\n",
		       what, n, kind, before, after, REPEATS);
	}
	free(old.slot);
	sy_map_release(&map);
	free(ids);
	free(cells);
}

int main(void)
{
	run("dp_view keys (64-hex hash)", 1000, 64);
	run("dp_view keys (64-hex hash)", 100000, 64);
	run("dp_view models (id)", 200, 0);
	run("dp_money leases (key hash)", 64, 64);
	return 0;
}
