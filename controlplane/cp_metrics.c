/* cp_metrics.c - Prometheus text exposition of the controlplane's counters. */
#include "cp_metrics.h"
#include "sy_buf.h"

#include <inttypes.h>

struct cp_metrics cp_metrics;

char *cp_metrics_render(uint64_t seq)
{
	static const struct {
		const char *name, *help;
		const uint64_t *val;
	} counters[] = {
	    {"snapshots_served_total", "Snapshots streamed to a worker to the end",
	     &cp_metrics.snapshots_served},
	    {"snapshots_aborted_total", "Snapshots abandoned midway",
	     &cp_metrics.snapshots_aborted},
	    {"snapshot_items_total", "Updates sent inside snapshots", &cp_metrics.snapshot_items},
	    {"updates_published_total", "Updates published on the PUB socket",
	     &cp_metrics.updates_published},
	    {"updates_dropped_total", "Updates the PUB socket refused",
	     &cp_metrics.updates_dropped},
	    {"heartbeats_total", "Heartbeats published", &cp_metrics.heartbeats},
	    {"usage_batches_total", "Usage batches stored and acknowledged",
	     &cp_metrics.usage_batches},
	    {"usage_batches_failed_total", "Usage batches that could not be stored",
	     &cp_metrics.usage_batches_failed},
	    {"usage_records_stored_total", "Usage records newly stored", &cp_metrics.usage_stored},
	    {"usage_records_duplicate_total", "Resent usage records already stored",
	     &cp_metrics.usage_duplicates},
	    {"usage_records_invalid_total", "Usage records refused as invalid",
	     &cp_metrics.usage_invalid},
	    {"generation_queries_total", "Generation lookups answered",
	     &cp_metrics.generation_queries},
	};
	struct sy_buf b;
	int rc = 0;
	sy_buf_init(&b, 0);
	rc |=
	    sy_buf_printf(&b,
	                  "# HELP switchyard_cp_seq Sequence number of the last committed change\n"
	                  "# TYPE switchyard_cp_seq gauge\nswitchyard_cp_seq %" PRIu64 "\n",
	                  seq);
	rc |= sy_buf_puts(&b, "# HELP switchyard_cp_admin_responses_total Admin API responses by "
	                      "status class\n# TYPE switchyard_cp_admin_responses_total counter\n");
	for (int c = 2; c <= 5; c++)
		rc |= sy_buf_printf(
		    &b, "switchyard_cp_admin_responses_total{code=\"%dxx\"} %" PRIu64 "\n", c,
		    cp_metrics.admin_responses[c]);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		rc |= sy_buf_printf(&b,
		                    "# HELP switchyard_cp_%s %s\n# TYPE switchyard_cp_%s counter\n"
		                    "switchyard_cp_%s %" PRIu64 "\n",
		                    counters[i].name, counters[i].help, counters[i].name,
		                    counters[i].name, *counters[i].val);
	if (rc) {
		sy_buf_release(&b);
		return NULL;
	}
	return b.data;
}
