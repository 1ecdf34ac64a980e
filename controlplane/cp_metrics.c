/* cp_metrics.c - Prometheus text exposition of the controlplane's counters and store. */
#include "cp_metrics.h"
#include "cp_money.h"
#include "cp_row.h"
#include "cp_store.h"
#include "sy_buf.h"
#include "sy_metrics.h"
#include "sy_money.h"

#include <stdio.h>
#include <string.h>

struct cp_metrics cp_metrics;

/* Sums over the ledger's tables. */
struct ledger {
	sy_money credits, posted, pending, overspend;
	uint64_t orgs;
	uint64_t leases;
	sy_money held;
};

static int add_org(const char *key, size_t keylen, const void *val, size_t len, void *arg)
{
	struct ledger *l = arg;
	struct cp_org_money m;
	if (cp_row_org_money_decode(val, len, &m))
		return 0; /* logged; cp_audit reports it */
	l->credits += m.credits;
	l->posted += m.posted;
	l->pending += m.pending;
	l->overspend += m.overspend;
	l->orgs++;
	return 0;
}

static int add_lease(const char *key, size_t keylen, const void *val, size_t len, void *arg)
{
	struct ledger *l = arg;
	struct cp_lease lease;
	if (cp_row_lease_decode(val, len, &lease))
		return 0;
	l->leases++;
	l->held += lease.amount;
	return 0;
}

static int gauge(struct sy_buf *b, const char *name, const char *help, uint64_t v)
{
	return sy_prom_family(b, name, "gauge", help) | sy_prom_u64(b, name, NULL, v);
}

static int usd_gauge(struct sy_buf *b, const char *name, const char *help, sy_money v)
{
	char usd[32];
	sy_money_format(v, usd, sizeof(usd));
	return sy_prom_family(b, name, "gauge", help) | sy_prom_text(b, name, NULL, usd);
}

static int render_store(struct sy_buf *b, struct cp_store *s)
{
	uint64_t map = 0, used = 0;
	struct ledger l = {0};
	struct cp_txn *t = cp_store_begin(s, false);
	int rc = t ? 0 : -1;
	rc |= cp_store_map_use(s, &map, &used);
	if (!rc)
		rc = cp_store_raw_each(t, CP_T_ORG_MONEY, "", add_org, &l);
	if (!rc)
		rc = cp_store_raw_each(t, CP_T_LEASES, "", add_lease, &l);
	cp_store_abort(&t);
	if (rc)
		return rc;
	rc |= gauge(b, "switchyard_cp_seq", "Sequence number of the last committed change",
	            cp_store_seq(s));
	rc |= gauge(b, "switchyard_cp_lmdb_map_size_bytes", "Size of the LMDB map (--map-size-mb)",
	            map);
	rc |= gauge(b, "switchyard_cp_lmdb_used_bytes",
	            "Bytes of the LMDB map in use (last page written times the page size)", used);
	rc |= gauge(b, "switchyard_cp_lmdb_map_max_bytes",
	            "Size the LMDB map may grow to (--map-max-mb)", cp_store_map_max(s));
	rc |= gauge(b, "switchyard_cp_lmdb_full",
	            "1 when the LMDB map is full at its maximum: writes and usage batches fail",
	            cp_store_is_full(s));
	rc |= gauge(b, "switchyard_cp_ledger_orgs", "Orgs with a money record", l.orgs);
	rc |= usd_gauge(b, "switchyard_cp_ledger_credits_usd",
	                "Credits of all orgs (top-ups minus refunds), in USD", l.credits);
	rc |= usd_gauge(b, "switchyard_cp_ledger_posted_usd",
	                "Settled generation costs of all orgs, in USD", l.posted);
	rc |= usd_gauge(b, "switchyard_cp_ledger_pending_usd",
	                "Debits held by live leases of all orgs, in USD", l.pending);
	rc |= usd_gauge(b, "switchyard_cp_ledger_overspend_usd",
	                "Cost settled beyond what the request's lease still held, in USD",
	                l.overspend);
	rc |= gauge(b, "switchyard_cp_leases", "Leases held by dataplane workers", l.leases);
	rc |= usd_gauge(b, "switchyard_cp_leases_held_usd",
	                "Money still held on the workers' leases, in USD", l.held);
	return rc;
}

char *cp_metrics_render(struct cp_store *s)
{
	static const struct {
		const char *name, *help;
		const uint64_t *val;
	} counters[] = {
	    {"switchyard_cp_snapshots_served_total", "Snapshots streamed to a worker to the end",
	     &cp_metrics.snapshots_served},
	    {"switchyard_cp_snapshots_aborted_total", "Snapshots abandoned midway",
	     &cp_metrics.snapshots_aborted},
	    {"switchyard_cp_snapshot_items_total", "Updates sent inside snapshots",
	     &cp_metrics.snapshot_items},
	    {"switchyard_cp_updates_published_total", "Updates published on the PUB socket",
	     &cp_metrics.updates_published},
	    {"switchyard_cp_updates_dropped_total", "Updates the PUB socket refused",
	     &cp_metrics.updates_dropped},
	    {"switchyard_cp_heartbeats_total", "Heartbeats published", &cp_metrics.heartbeats},
	    {"switchyard_cp_usage_batches_total", "Usage batches stored and acknowledged",
	     &cp_metrics.usage_batches},
	    {"switchyard_cp_usage_batches_failed_total", "Usage batches that could not be stored",
	     &cp_metrics.usage_batches_failed},
	    {"switchyard_cp_usage_records_stored_total", "Usage records newly stored",
	     &cp_metrics.usage_stored},
	    {"switchyard_cp_usage_records_duplicate_total", "Resent usage records already stored",
	     &cp_metrics.usage_duplicates},
	    {"switchyard_cp_usage_records_invalid_total", "Usage records refused as invalid",
	     &cp_metrics.usage_invalid},
	    {"switchyard_cp_usage_records_unauthorized_total",
	     "Usage records refused because the sending dataplane holds no lease for their key",
	     &cp_metrics.usage_unauthorized},
	    {"switchyard_cp_zap_accepted_total",
	     "ZeroMQ CURVE handshakes accepted (authorized dataplane keys)",
	     &cp_metrics.zap_accepted},
	    {"switchyard_cp_zap_refused_total", "ZeroMQ CURVE handshakes refused (unknown keys)",
	     &cp_metrics.zap_refused},
	    {"switchyard_cp_generation_queries_total", "Generation lookups answered",
	     &cp_metrics.generation_queries},
	};
	struct sy_buf b;
	sy_buf_init(&b, 0);
	int rc = render_store(&b, s);
	rc |= sy_prom_family(&b, "switchyard_cp_admin_responses_total", "counter",
	                     "Admin API responses by status class");
	for (int c = 2; c <= 5; c++) {
		char l[32];
		snprintf(l, sizeof(l), "code=\"%dxx\"", c);
		rc |= sy_prom_u64(&b, "switchyard_cp_admin_responses_total", l,
		                  cp_metrics.admin_responses[c]);
	}
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		rc |= sy_prom_family(&b, counters[i].name, "counter", counters[i].help);
		rc |= sy_prom_u64(&b, counters[i].name, NULL, *counters[i].val);
	}
	if (rc) {
		sy_buf_release(&b);
		return NULL;
	}
	return b.data;
}

json_t *cp_metrics_health(struct cp_store *s)
{
	uint64_t map = 0, used = 0;
	cp_store_map_use(s, &map, &used);
	bool full = cp_store_is_full(s);
	return json_pack("{s:s,s:I,s:{s:I,s:I,s:I,s:f,s:b}}", "status", full ? "store_full" : "ok",
	                 "seq", (json_int_t)cp_store_seq(s), "store", "map_bytes", (json_int_t)map,
	                 "max_bytes", (json_int_t)cp_store_map_max(s), "used_bytes",
	                 (json_int_t)used, "fullness", map ? (double)used / (double)map : 0.0,
	                 "full", full);
}
