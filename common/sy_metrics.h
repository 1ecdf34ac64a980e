/* sy_metrics.h - Prometheus text exposition (format 0.0.4) and fixed-bucket histograms.
 *
 * Metric values are integers (counts, microseconds, money units) in plain structs that may
 * live in memory shared between processes. Each value has exactly one writer and any number
 * of readers: the writer updates with relaxed atomic load + store (no locked instruction),
 * readers load relaxed. A reader may see one counter of a request updated and another not
 * yet; every counter on its own only ever grows.
 *
 * Rendering appends to a sy_buf: sy_prom_family once per metric family, then its samples.
 * Labels are passed pre-rendered ("" or `model="a",provider="b"`) and built with
 * sy_prom_label, which escapes the values. */
#ifndef SY_METRICS_H
#define SY_METRICS_H

#include "sy_buf.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SY_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define SY_HIST_BUCKETS_MAX 16

/* Upper bounds of a histogram's buckets in microseconds, ascending; +Inf is implicit. */
struct sy_hist_bounds {
	size_t n;
	int64_t le_us[SY_HIST_BUCKETS_MAX];
};

/* Request latencies and times to first token: 5 ms .. 300 s. */
extern const struct sy_hist_bounds sy_hist_latency;
/* Time the gateway itself spends on a request: 10 us .. 1 s. */
extern const struct sy_hist_bounds sy_hist_overhead;

/* A histogram of durations. Bucket counts are per bucket (not cumulative); bucket[n] counts
 * observations above the last bound. */
struct sy_hist {
	_Atomic uint64_t bucket[SY_HIST_BUCKETS_MAX + 1];
	_Atomic uint64_t sum_us; /* sum of the observations */
};

/* Add v to a counter that only this process writes. */
static inline void sy_counter_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
	                      memory_order_relaxed);
}

/* Read a counter another process may be writing. */
static inline uint64_t sy_counter_get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Record one duration (single writer); a negative duration counts as 0. */
void sy_hist_observe(struct sy_hist *h, const struct sy_hist_bounds *b, int64_t us);
/* Add the counts of from into into (aggregation of several writers' histograms). */
void sy_hist_merge(struct sy_hist *into, const struct sy_hist *from);
/* Observations recorded (all buckets). */
uint64_t sy_hist_count(const struct sy_hist *h);

/* Append `key="value"` to labels (comma-separated after the first), escaping \, " and
 * newlines in value. 0, or SY_ETOOBIG (labels unchanged) when it does not fit in size. */
int sy_prom_label(char *labels, size_t size, const char *key, const char *value);
/* The "# HELP" and "# TYPE" lines of a family; type is counter, gauge or histogram. */
int sy_prom_family(struct sy_buf *b, const char *name, const char *type, const char *help);
/* One sample line `name{labels} value`; labels may be NULL or "". */
int sy_prom_u64(struct sy_buf *b, const char *name, const char *labels, uint64_t v);
int sy_prom_i64(struct sy_buf *b, const char *name, const char *labels, int64_t v);
/* A sample whose value is given as text (e.g. an exact decimal from sy_money_format). */
int sy_prom_text(struct sy_buf *b, const char *name, const char *labels, const char *value);
/* A duration in microseconds, exposed in seconds as an exact decimal. */
int sy_prom_seconds(struct sy_buf *b, const char *name, const char *labels, int64_t us);
/* The _bucket (cumulative, le in seconds), _sum (seconds) and _count lines of a histogram. */
int sy_prom_hist(struct sy_buf *b, const char *name, const char *labels, const struct sy_hist *h,
                 const struct sy_hist_bounds *bounds);

#endif
