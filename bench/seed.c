/* bench/seed.c - switchyard-bench-seed: write N API keys straight into a stopped
 * controlplane's store, for the flat-cost run of `make bench-flat` (bench/flat.sh).
 *
 *   switchyard-bench-seed DATA_DIR ORG_ID N
 *
 * Creating a million keys through the admin API takes a transaction and an HTTP round trip
 * each; this writes them with cp_store_put, 100 000 per transaction, as the admin path's
 * entities (ApiKey, hash = SHA-256 hex of "bench-seed-<i>", in ORG_ID, named "seed-<i>").
 * The controlplane must not be running. Its next start serves them like any other key: the
 * store's sequence number moves, so dataplanes take them with the next snapshot.
 */
#include "cp_store.h"
#include "sy_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PER_TXN 100000

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: switchyard-bench-seed DATA_DIR ORG_ID N\n");
		return 2;
	}
	long n = strtol(argv[3], NULL, 10);
	const char *why = NULL;
	if (n < 1 || sy_crypto_init()) {
		fprintf(stderr, "switchyard-bench-seed: N must be positive\n");
		return 2;
	}
	/* the controlplane grows the map as it needs; a million keys take a few hundred MB */
	struct cp_store *s = cp_store_open(argv[1], 1024 + (size_t)(n / 2000), &why);
	if (!s) {
		fprintf(stderr, "switchyard-bench-seed: %s: %s\n", argv[1],
		        why ? why : "cannot open");
		return 1;
	}
	int64_t now = (int64_t)time(NULL);
	int rc = 0;
	for (long i = 0; i < n && !rc; i += PER_TXN) {
		struct cp_txn *t = cp_store_begin(s, true);
		if (!t) {
			rc = 1;
			break;
		}
		for (long j = i; j < n && j < i + PER_TXN && !rc; j++) {
			char plain[64], hash[65], name[32];
			snprintf(plain, sizeof(plain), "bench-seed-%ld", j);
			snprintf(name, sizeof(name), "seed-%ld", j);
			sy_sha256_hex(plain, strlen(plain), hash);
			Sy__ApiKey k = SY__API_KEY__INIT;
			k.hash = hash;
			k.org_id = argv[2];
			k.name = name;
			k.created_at = k.updated_at = now;
			k.has_created_at = k.has_updated_at = true;
			rc = cp_store_put(t, CP_KEY, &k.base);
		}
		if (rc)
			cp_store_abort(&t);
		else
			rc = cp_store_commit(&t);
	}
	cp_store_free(&s);
	if (rc) {
		fprintf(stderr, "switchyard-bench-seed: writing the keys failed (%d)\n", rc);
		return 1;
	}
	printf("%ld keys written to %s\n", n, argv[1]);
	return 0;
}
