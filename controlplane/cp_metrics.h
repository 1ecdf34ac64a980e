/* cp_metrics.h - counters served on GET /metrics (Prometheus text format, no auth, like
 * /health). The controlplane is single-threaded, so plain integers suffice. */
#ifndef CP_METRICS_H
#define CP_METRICS_H

#include <stdint.h>

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
	uint64_t generation_queries;
};

extern struct cp_metrics cp_metrics;

/* The exposition text (malloc'ed; NULL when out of memory); seq is the store's seq. */
char *cp_metrics_render(uint64_t seq);

#endif
