/* cp_metrics.h - counters served on GET /metrics (Prometheus text format, no auth, like
 * /health; operators keep the admin port on a private network). The controlplane is
 * single-threaded, so plain integers suffice. Besides the counters, each scrape reads the
 * store: seq, LMDB map use, and the ledger's totals over every org and lease (one read
 * transaction, a scan of the org money and lease tables). Every metric is listed in
 * docs/metrics.md. */
#ifndef CP_METRICS_H
#define CP_METRICS_H

#include <jansson.h>

#include <stdint.h>

struct cp_store;

struct cp_metrics {
	uint64_t admin_responses[6]; /* by status class: [2] = 2xx ... [5] = 5xx */
	uint64_t snapshots_served;   /* snapshots streamed to the end */
	uint64_t snapshots_aborted;  /* peer vanished or out of memory mid-snapshot */
	uint64_t snapshot_items;     /* updates sent inside snapshots */
	uint64_t updates_published;  /* updates handed to the PUB socket */
	uint64_t updates_dropped;    /* updates the PUB socket refused */
	uint64_t heartbeats;
	uint64_t usage_batches;        /* batches stored and acknowledged */
	uint64_t usage_batches_failed; /* batches not stored (the worker resends) */
	uint64_t usage_stored;         /* records newly stored */
	uint64_t usage_duplicates;     /* resent records already stored */
	uint64_t usage_invalid;        /* records refused */
	uint64_t usage_unauthorized;   /* records refused: key or lease not held by the sender */
	uint64_t zap_accepted;         /* CURVE handshakes of authorized dataplane keys */
	uint64_t zap_refused;          /* CURVE handshakes of keys not authorized */
	uint64_t generation_queries;
};

extern struct cp_metrics cp_metrics;

/* The exposition text of the counters and of store s (malloc'ed; NULL when out of memory or
 * when the store cannot be read). */
char *cp_metrics_render(struct cp_store *s);
/* GET /health: {"status": "ok" | "store_full", "seq", "store": {"map_bytes", "max_bytes",
 * "used_bytes", "fullness" (used / map), "full"}}; NULL when out of memory. */
json_t *cp_metrics_health(struct cp_store *s);

#endif
