/* sy_metrics.c - Prometheus text rendering and histograms. */
#include "sy_metrics.h"
#include "sy_err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const struct sy_hist_bounds sy_hist_latency = {
    15,
    {5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
     30000000, 60000000, 120000000, 300000000},
};

const struct sy_hist_bounds sy_hist_overhead = {
    14,
    {10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 250000, 1000000},
};

void sy_hist_observe(struct sy_hist *h, const struct sy_hist_bounds *b, int64_t us)
{
	if (us < 0)
		us = 0;
	size_t i = 0;
	while (i < b->n && us > b->le_us[i])
		i++;
	sy_counter_add(&h->bucket[i], 1);
	sy_counter_add(&h->sum_us, (uint64_t)us);
}

void sy_hist_merge(struct sy_hist *into, const struct sy_hist *from)
{
	for (size_t i = 0; i <= SY_HIST_BUCKETS_MAX; i++)
		sy_counter_add(&into->bucket[i], sy_counter_get(&from->bucket[i]));
	sy_counter_add(&into->sum_us, sy_counter_get(&from->sum_us));
}

uint64_t sy_hist_count(const struct sy_hist *h)
{
	uint64_t n = 0;
	for (size_t i = 0; i <= SY_HIST_BUCKETS_MAX; i++)
		n += sy_counter_get(&h->bucket[i]);
	return n;
}

int sy_prom_label(char *labels, size_t size, const char *key, const char *value)
{
	size_t len = strlen(labels), at = len;
	int n = snprintf(labels + at, size - at, "%s%s=\"", len ? "," : "", key);
	if (n < 0 || (size_t)n >= size - at)
		goto too_big;
	at += (size_t)n;
	for (const char *p = value; *p; p++) {
		const char *esc = *p == '\\'   ? "\\\\"
		                  : *p == '"'  ? "\\\""
		                  : *p == '\n' ? "\\n"
		                               : NULL;
		size_t k = esc ? 2 : 1;
		if (at + k >= size)
			goto too_big;
		memcpy(labels + at, esc ? esc : p, k);
		at += k;
	}
	if (at + 2 > size)
		goto too_big;
	labels[at++] = '"';
	labels[at] = '\0';
	return 0;
too_big:
	labels[len] = '\0';
	return SY_ETOOBIG;
}

int sy_prom_family(struct sy_buf *b, const char *name, const char *type, const char *help)
{
	return sy_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int sy_prom_text(struct sy_buf *b, const char *name, const char *labels, const char *value)
{
	if (labels && labels[0])
		return sy_buf_printf(b, "%s{%s} %s\n", name, labels, value);
	return sy_buf_printf(b, "%s %s\n", name, value);
}

int sy_prom_u64(struct sy_buf *b, const char *name, const char *labels, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIu64, v);
	return sy_prom_text(b, name, labels, s);
}

int sy_prom_i64(struct sy_buf *b, const char *name, const char *labels, int64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRId64, v);
	return sy_prom_text(b, name, labels, s);
}

/* Exact decimal seconds of us microseconds: "0.000025", "1.5", "300". */
static void seconds(char *out, size_t outlen, int64_t us)
{
	uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	int n = snprintf(out, outlen, "%s%" PRIu64 ".%06" PRIu64, us < 0 ? "-" : "", a / 1000000,
	                 a % 1000000);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

int sy_prom_seconds(struct sy_buf *b, const char *name, const char *labels, int64_t us)
{
	char s[32];
	seconds(s, sizeof(s), us);
	return sy_prom_text(b, name, labels, s);
}

int sy_prom_hist(struct sy_buf *b, const char *name, const char *labels, const struct sy_hist *h,
                 const struct sy_hist_bounds *bounds)
{
	const char *sep = labels && labels[0] ? "," : "";
	const char *l = labels ? labels : "";
	uint64_t cum = 0;
	int rc = 0;
	for (size_t i = 0; i <= bounds->n && !rc; i++) {
		char le[32];
		if (i < bounds->n)
			seconds(le, sizeof(le), bounds->le_us[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		cum += sy_counter_get(&h->bucket[i]);
		rc = sy_buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", name, l, sep, le,
		                   cum);
	}
	char metric[128];
	snprintf(metric, sizeof(metric), "%s_sum", name);
	if (!rc)
		rc = sy_prom_seconds(b, metric, labels, (int64_t)sy_counter_get(&h->sum_us));
	snprintf(metric, sizeof(metric), "%s_count", name);
	if (!rc)
		rc = sy_prom_u64(b, metric, labels, cum);
	return rc;
}
