/* dp_metrics.c - per-worker slots in shared memory, summed on scrape; the access line.
 *
 * Layout: struct region { slots[workers] }, each slot written by one worker process only.
 * A slot's (model, provider) table grows by publishing a zeroed entry's names before its
 * count (release store), so a reader never sees an entry without its names. Lookups use a
 * process-local hash index over the table; a restarted worker rebuilds it from its slot. */
#include "dp_metrics.h"
#include "dp_failover.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_clock.h"
#include "sy_failure.h"
#include "sy_log.h"
#include "sy_map.h"
#include "sy_metrics.h"
#include "sy_money.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MODEL_MAX 128
#define PROVIDER_MAX 64
#define HTTP_CODES 600 /* by status code; [0] = none or out of range */
#define OVERHEAD_HEADER "X-Switchyard-Overhead-Us"

enum {
	HANDLER_CHAT,
	HANDLER_HTTP,
	N_HANDLERS
};
static const char *const handler_names[N_HANDLERS] = {"chat", "http"};

struct pair {
	char model[MODEL_MAX];
	char provider[PROVIDER_MAX];
	_Atomic uint64_t requests[6]; /* by status class code / 100; [0] = out of range */
	_Atomic uint64_t prompt_tokens;
	_Atomic uint64_t completion_tokens;
	_Atomic uint64_t cost; /* money units */
	_Atomic uint64_t errors[SY_FAIL_COUNT];
	_Atomic uint64_t ejections;
	struct sy_hist latency;
	struct sy_hist ttft;
};

struct table {
	_Atomic uint32_t n; /* entries published */
	struct pair pairs[DP_METRICS_PAIRS];
};

/* Process-local lookup over a table: "model\x1fprovider" -> pair (the keys are held here). */
struct index {
	struct sy_map map;
	char keys[DP_METRICS_PAIRS][MODEL_MAX + PROVIDER_MAX];
};

struct slot {
	_Atomic int64_t pid; /* the worker process writing it; 0 = never attached */
	struct table t;
	_Atomic uint64_t http[HTTP_CODES];
	struct sy_hist overhead[N_HANDLERS];
	_Atomic uint64_t counters[DP_METRICS_COUNTER_COUNT];
	_Atomic uint64_t gauges[DP_METRICS_GAUGE_COUNT]; /* int64 values, stored as their bits */
	_Atomic uint64_t last_sync_ms; /* monotonic ms of the last controlplane message */
};

struct region {
	int nslots;
	struct slot slots[];
};

static struct region *region;
static struct slot *me;       /* this worker's slot; NULL = not attached */
static struct index me_index; /* over me->t */

/* ---- the (model, provider) table ----------------------------------------------------- */

/* Empty ix with room for every pair up front: indexing one never allocates, never fails. */
static int index_init(struct index *ix)
{
	sy_map_release(&ix->map);
	return sy_map_reserve(&ix->map, DP_METRICS_PAIRS);
}

/* Index pair i of a table under "model\x1fprovider". */
static void index_put(struct index *ix, const struct pair *p, uint32_t i)
{
	snprintf(ix->keys[i], sizeof(ix->keys[i]), "%s%c%s", p->model, SY_MAP_PAIR_SEP,
	         p->provider);
	sy_map_put(&ix->map, ix->keys[i], (void *)p, NULL);
}

/* The entry for (model, provider), created when absent; "other" once the table is full.
 * Names longer than the entry holds are truncated (and compared truncated). */
static struct pair *table_get(struct table *t, struct index *ix, const char *model,
                              const char *provider)
{
	char m[MODEL_MAX], pr[PROVIDER_MAX];
	snprintf(m, sizeof(m), "%s", model);
	snprintf(pr, sizeof(pr), "%s", provider);
	uint32_t n = atomic_load_explicit(&t->n, memory_order_relaxed);
	struct pair *p = sy_map_get_pair(&ix->map, m, pr);
	if (p)
		return p;
	if (n == DP_METRICS_PAIRS)
		return &t->pairs[DP_METRICS_PAIRS - 1]; /* full: the last entry is "other" */
	if (n == DP_METRICS_PAIRS - 1) {
		snprintf(m, sizeof(m), "other");
		snprintf(pr, sizeof(pr), "other");
	}
	p = &t->pairs[n];
	memcpy(p->model, m, sizeof(m));
	memcpy(p->provider, pr, sizeof(pr));
	index_put(ix, p, n);
	atomic_store_explicit(&t->n, n + 1, memory_order_release);
	return p;
}

static uint32_t table_size(const struct table *t)
{
	return atomic_load_explicit(&t->n, memory_order_acquire);
}

/* ---- setup --------------------------------------------------------------------------- */

int dp_metrics_init(int workers)
{
	size_t len = sizeof(struct region) + (size_t)workers * sizeof(struct slot);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	region = p;
	region->nslots = workers;
	return 0;
}

void dp_metrics_attach(int worker)
{
	if (!region || worker < 0 || worker >= region->nslots)
		return;
	if (index_init(&me_index)) {
		sy_err("metrics: out of memory: worker %d's metrics are not counted", worker);
		return;
	}
	me = &region->slots[worker];
	uint32_t n = table_size(&me->t);
	for (uint32_t i = 0; i < n; i++)
		index_put(&me_index, &me->t.pairs[i], i);
	for (size_t g = 0; g < DP_METRICS_GAUGE_COUNT; g++)
		atomic_store_explicit(&me->gauges[g], 0, memory_order_relaxed);
	atomic_store_explicit(&me->last_sync_ms, 0, memory_order_relaxed);
	atomic_store_explicit(&me->pid, (int64_t)getpid(), memory_order_relaxed);
}

/* ---- counting -------------------------------------------------------------------------- */

void dp_metrics_gauge_set(enum dp_metrics_gauge g, int64_t v)
{
	if (me)
		atomic_store_explicit(&me->gauges[g], (uint64_t)v, memory_order_relaxed);
}

void dp_metrics_gauge_add(enum dp_metrics_gauge g, int64_t delta)
{
	if (me)
		sy_counter_add(&me->gauges[g], (uint64_t)delta); /* two's complement wraps right */
}

void dp_metrics_count(enum dp_metrics_counter c, uint64_t n)
{
	if (me)
		sy_counter_add(&me->counters[c], n);
}

void dp_metrics_retry_same(const char *why)
{
	if (!strcmp(why, DP_FAILOVER_WHY_RETRY_AFTER))
		dp_metrics_count(DP_METRICS_RETRY_AFTER, 1);
	else if (!strcmp(why, DP_FAILOVER_WHY_TRANSIENT))
		dp_metrics_count(DP_METRICS_RETRY_TRANSIENT, 1);
	else
		dp_metrics_count(DP_METRICS_RETRY_LAST_RESORT, 1);
}

void dp_metrics_sync_heard(int64_t mono_ms)
{
	if (me)
		atomic_store_explicit(&me->last_sync_ms, (uint64_t)mono_ms, memory_order_relaxed);
}

void dp_metrics_http_done(unsigned status)
{
	if (me)
		sy_counter_add(&me->http[status >= 100 && status < HTTP_CODES ? status : 0], 1);
}

void dp_metrics_ejection(const char *model, const char *provider)
{
	if (me)
		sy_counter_add(&table_get(&me->t, &me_index, model, provider)->ejections, 1);
}

static void count_attempts(const Sy__UsageRecord *rec)
{
	for (size_t i = 0; i < rec->n_attempts; i++) {
		const Sy__Attempt *a = rec->attempts[i];
		/* a failure counts under its class's label (sy_failure); the gateway's own
		 * stops (cancelled, shutdown) have none */
		const char *label = a->error_class && a->error_class[0]
		                        ? sy_failure_get(sy_failure_find(a->error_class))->metric
		                        : NULL;
		if (!label)
			continue;
		struct pair *p = table_get(&me->t, &me_index, a->model ? a->model : "none",
		                           a->provider ? a->provider : "none");
		sy_counter_add(&p->errors[sy_failure_find(label)], 1);
	}
	if (rec->n_attempts > 1)
		dp_metrics_count(DP_METRICS_RETRIES, rec->n_attempts - 1);
}

static void access_line(const Sy__UsageRecord *rec, int64_t overhead_us)
{
	char gen[64], org[64], model[MODEL_MAX], prov[PROVIDER_MAX], cls[32], cost[32];
	sy_money_format(rec->cost, cost, sizeof(cost));
	sy_info("access gen=%s org=%s key=%.8s model=%s provider=%s status=%u tokens_in=%u "
	        "tokens_out=%u cost=%s latency_ms=%u overhead_us=%lld stream=%d attempts=%zu "
	        "cancelled=%d class=%s",
	        sy_log_field(gen, sizeof(gen), rec->id),
	        sy_log_field(org, sizeof(org), rec->org_id),
	        rec->key_hash && rec->key_hash[0] ? rec->key_hash : "-",
	        sy_log_field(model, sizeof(model), rec->model),
	        sy_log_field(prov, sizeof(prov), rec->provider), rec->status, rec->prompt_tokens,
	        rec->completion_tokens, cost, rec->latency_ms, (long long)overhead_us,
	        rec->streamed ? 1 : 0, rec->n_attempts, rec->cancelled ? 1 : 0,
	        sy_log_field(cls, sizeof(cls), rec->error_class));
}

void dp_metrics_chat(const struct dp_worker *w, const Sy__UsageRecord *rec, int64_t overhead_us)
{
	if (sy_log_level >= SY_LOG_INFO)
		access_line(rec, overhead_us);
	if (!me)
		return;
	const char *provider = rec->provider && rec->provider[0] ? rec->provider : NULL;
	const char *model =
	    rec->model && (provider || (w && w->view && dp_view_model(w->view, rec->model)))
	        ? rec->model
	        : "none";
	struct pair *p = table_get(&me->t, &me_index, model, provider ? provider : "none");
	sy_counter_add(&p->requests[rec->status < 600 ? rec->status / 100 : 0], 1);
	sy_counter_add(&p->prompt_tokens, rec->prompt_tokens);
	sy_counter_add(&p->completion_tokens, rec->completion_tokens);
	if (rec->cost > 0)
		sy_counter_add(&p->cost, (uint64_t)rec->cost);
	sy_hist_observe(&p->latency, &sy_hist_latency, (int64_t)rec->latency_ms * 1000);
	if (rec->has_ttft_ms)
		sy_hist_observe(&p->ttft, &sy_hist_latency, (int64_t)rec->ttft_ms * 1000);
	sy_hist_observe(&me->overhead[HANDLER_CHAT], &sy_hist_overhead, overhead_us);
	/* a stream whose 200 went out was counted as active when it started */
	if (rec->streamed && rec->status == 200)
		dp_metrics_gauge_add(DP_METRICS_STREAMS, -1);
	count_attempts(rec);
}

/* ---- the overhead clock and header ----------------------------------------------------- */

void dp_overhead_start(struct dp_overhead *o)
{
	*o = (struct dp_overhead){.start_us = sy_mono_us()};
}

void dp_overhead_wait_begin(struct dp_overhead *o)
{
	if (!o->wait_from_us)
		o->wait_from_us = sy_mono_us();
}

void dp_overhead_wait_end(struct dp_overhead *o)
{
	if (!o->wait_from_us)
		return;
	o->waited_us += sy_mono_us() - o->wait_from_us;
	o->wait_from_us = 0;
}

int64_t dp_overhead_us(const struct dp_overhead *o)
{
	int64_t now = sy_mono_us();
	int64_t own =
	    now - o->start_us - o->waited_us - (o->wait_from_us ? now - o->wait_from_us : 0);
	return own > 0 ? own : 0;
}

void dp_metrics_overhead_header(struct MHD_Response *r, int64_t overhead_us)
{
	char v[24];
	snprintf(v, sizeof(v), "%lld", (long long)(overhead_us > 0 ? overhead_us : 0));
	MHD_add_response_header(r, OVERHEAD_HEADER, v);
}

void dp_metrics_http_overhead(struct MHD_Response *r, int64_t overhead_us)
{
	dp_metrics_overhead_header(r, overhead_us);
	if (me)
		sy_hist_observe(&me->overhead[HANDLER_HTTP], &sy_hist_overhead, overhead_us);
}

/* ---- rendering ------------------------------------------------------------------------- */

/* Everything summed over the slots, in process-local memory. */
struct sum {
	struct table t;
	struct index ix;
	uint64_t http[HTTP_CODES];
	struct sy_hist overhead[N_HANDLERS];
	uint64_t counters[DP_METRICS_COUNTER_COUNT];
};

static void add_pair(struct pair *into, const struct pair *p)
{
	for (size_t i = 0; i < 6; i++)
		sy_counter_add(&into->requests[i], sy_counter_get(&p->requests[i]));
	sy_counter_add(&into->prompt_tokens, sy_counter_get(&p->prompt_tokens));
	sy_counter_add(&into->completion_tokens, sy_counter_get(&p->completion_tokens));
	sy_counter_add(&into->cost, sy_counter_get(&p->cost));
	for (size_t i = 0; i < SY_FAIL_COUNT; i++)
		sy_counter_add(&into->errors[i], sy_counter_get(&p->errors[i]));
	sy_counter_add(&into->ejections, sy_counter_get(&p->ejections));
	sy_hist_merge(&into->latency, &p->latency);
	sy_hist_merge(&into->ttft, &p->ttft);
}

static void add_slot(struct sum *s, const struct slot *sl)
{
	uint32_t n = table_size(&sl->t);
	for (uint32_t i = 0; i < n; i++) {
		const struct pair *p = &sl->t.pairs[i];
		add_pair(table_get(&s->t, &s->ix, p->model, p->provider), p);
	}
	for (size_t i = 0; i < HTTP_CODES; i++)
		s->http[i] += sy_counter_get(&sl->http[i]);
	for (size_t i = 0; i < N_HANDLERS; i++)
		sy_hist_merge(&s->overhead[i], &sl->overhead[i]);
	for (size_t i = 0; i < DP_METRICS_COUNTER_COUNT; i++)
		s->counters[i] += sy_counter_get(&sl->counters[i]);
}

static bool slot_alive(const struct slot *sl)
{
	pid_t pid = (pid_t)atomic_load_explicit(&sl->pid, memory_order_relaxed);
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void pair_labels(char *l, size_t size, const struct pair *p)
{
	l[0] = '\0';
	sy_prom_label(l, size, "model", p->model);
	sy_prom_label(l, size, "provider", p->provider);
}

#define LABELS_MAX 512

static int render_pairs(struct sy_buf *b, const struct table *t)
{
	static const char *const classes[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
	uint32_t n = table_size(t);
	char l[LABELS_MAX];
	int rc = 0;

	rc |=
	    sy_prom_family(b, "switchyard_dp_chat_requests_total", "counter",
	                   "Chat completion requests settled, by model, provider and status class");
	for (uint32_t i = 0; i < n; i++)
		for (size_t c = 0; c < 6; c++) {
			uint64_t v = sy_counter_get(&t->pairs[i].requests[c]);
			if (!v)
				continue;
			pair_labels(l, sizeof(l), &t->pairs[i]);
			sy_prom_label(l, sizeof(l), "code_class", classes[c]);
			rc |= sy_prom_u64(b, "switchyard_dp_chat_requests_total", l, v);
		}

	static const struct {
		const char *name, *help;
		size_t off;
	} sums[] = {
	    {"switchyard_dp_prompt_tokens_total", "Prompt tokens billed",
	     offsetof(struct pair, prompt_tokens)},
	    {"switchyard_dp_completion_tokens_total", "Completion tokens billed",
	     offsetof(struct pair, completion_tokens)},
	    {"switchyard_dp_endpoint_ejections_total",
	     "Times outlier detection ejected the endpoint", offsetof(struct pair, ejections)},
	};
	for (size_t k = 0; k < sizeof(sums) / sizeof(sums[0]); k++) {
		rc |= sy_prom_family(b, sums[k].name, "counter", sums[k].help);
		for (uint32_t i = 0; i < n; i++) {
			const _Atomic uint64_t *v =
			    (const _Atomic uint64_t *)((const char *)&t->pairs[i] + sums[k].off);
			pair_labels(l, sizeof(l), &t->pairs[i]);
			rc |= sy_prom_u64(b, sums[k].name, l, sy_counter_get(v));
		}
	}

	rc |= sy_prom_family(b, "switchyard_dp_cost_usd_total", "counter",
	                     "Cost billed to clients, in USD");
	for (uint32_t i = 0; i < n; i++) {
		char usd[32];
		sy_money_format((sy_money)sy_counter_get(&t->pairs[i].cost), usd, sizeof(usd));
		pair_labels(l, sizeof(l), &t->pairs[i]);
		rc |= sy_prom_text(b, "switchyard_dp_cost_usd_total", l, usd);
	}

	rc |= sy_prom_family(b, "switchyard_dp_upstream_errors_total", "counter",
	                     "Upstream attempts that failed, by endpoint and error class");
	for (uint32_t i = 0; i < n; i++)
		for (int c = 0; c < SY_FAIL_COUNT; c++) {
			uint64_t v = sy_counter_get(&t->pairs[i].errors[c]);
			if (!v)
				continue;
			pair_labels(l, sizeof(l), &t->pairs[i]);
			sy_prom_label(l, sizeof(l), "class", sy_failure_get((enum sy_fail)c)->name);
			rc |= sy_prom_u64(b, "switchyard_dp_upstream_errors_total", l, v);
		}

	rc |= sy_prom_family(b, "switchyard_dp_request_duration_seconds", "histogram",
	                     "Chat completion latency, from the request to its end");
	for (uint32_t i = 0; i < n; i++) {
		if (!sy_hist_count(&t->pairs[i].latency))
			continue;
		pair_labels(l, sizeof(l), &t->pairs[i]);
		rc |= sy_prom_hist(b, "switchyard_dp_request_duration_seconds", l,
		                   &t->pairs[i].latency, &sy_hist_latency);
	}
	rc |= sy_prom_family(b, "switchyard_dp_time_to_first_token_seconds", "histogram",
	                     "Time from the request to the first token (to the whole answer when "
	                     "not streaming)");
	for (uint32_t i = 0; i < n; i++) {
		if (!sy_hist_count(&t->pairs[i].ttft))
			continue;
		pair_labels(l, sizeof(l), &t->pairs[i]);
		rc |= sy_prom_hist(b, "switchyard_dp_time_to_first_token_seconds", l,
		                   &t->pairs[i].ttft, &sy_hist_latency);
	}
	return rc;
}

static int render_workers(struct sy_buf *b, int nslots)
{
	char l[64];
	int rc = 0;
#define GAUGE(id, name, help)                                                                      \
	rc |= sy_prom_family(b, name, "gauge", help);                                              \
	for (int i = 0; i < nslots; i++) {                                                         \
		const struct slot *sl = &region->slots[i];                                         \
		if (!slot_alive(sl))                                                               \
			continue;                                                                  \
		snprintf(l, sizeof(l), "worker=\"%d\"", i);                                        \
		rc |= sy_prom_i64(b, name, l,                                                      \
		                  (int64_t)atomic_load_explicit(&sl->gauges[DP_METRICS_##id],      \
		                                                memory_order_relaxed));            \
	}
	DP_METRICS_GAUGES(GAUGE)
#undef GAUGE
	rc |= sy_prom_family(b, "switchyard_dp_sync_last_message_age_seconds", "gauge",
	                     "Time since the worker last heard from the controlplane");
	int64_t now = sy_mono_ms();
	for (int i = 0; i < nslots; i++) {
		const struct slot *sl = &region->slots[i];
		int64_t last =
		    (int64_t)atomic_load_explicit(&sl->last_sync_ms, memory_order_relaxed);
		if (!slot_alive(sl) || !last)
			continue;
		snprintf(l, sizeof(l), "worker=\"%d\"", i);
		rc |= sy_prom_seconds(b, "switchyard_dp_sync_last_message_age_seconds", l,
		                      (now - last) * 1000);
	}
	rc |= sy_prom_family(b, "switchyard_dp_worker_up", "gauge",
	                     "1 while the worker process is running");
	for (int i = 0; i < nslots; i++) {
		snprintf(l, sizeof(l), "worker=\"%d\"", i);
		rc |= sy_prom_u64(b, "switchyard_dp_worker_up", l, slot_alive(&region->slots[i]));
	}
	return rc;
}

int dp_metrics_render(struct sy_buf *out)
{
	int nslots = region ? region->nslots : 0;
	struct sum *s = calloc(1, sizeof(*s));
	if (!s || index_init(&s->ix)) {
		free(s);
		return -ENOMEM;
	}
	for (int i = 0; i < nslots; i++)
		add_slot(s, &region->slots[i]);
	char l[64];
	int rc = sy_prom_family(out, "switchyard_dp_http_requests_total", "counter",
	                        "HTTP requests answered, every endpoint, by status code");
	for (size_t i = 0; i < HTTP_CODES; i++) {
		if (!s->http[i])
			continue;
		snprintf(l, sizeof(l), "code=\"%zu\"", i);
		rc |= sy_prom_u64(out, "switchyard_dp_http_requests_total", l, s->http[i]);
	}
	rc |= render_pairs(out, &s->t);
#define COUNTER(id, name, help)                                                                    \
	rc |= sy_prom_family(out, name, "counter", help);                                          \
	rc |= sy_prom_u64(out, name, NULL, s->counters[DP_METRICS_##id]);
	DP_METRICS_COUNTERS(COUNTER)
#undef COUNTER
	rc |= sy_prom_family(out, "switchyard_dp_overhead_seconds", "histogram",
	                     "Time the gateway itself spent on a request (elapsed minus upstream "
	                     "waits), by handler: chat completions or the HTTP layer");
	for (size_t i = 0; i < N_HANDLERS; i++) {
		l[0] = '\0';
		sy_prom_label(l, sizeof(l), "handler", handler_names[i]);
		rc |= sy_prom_hist(out, "switchyard_dp_overhead_seconds", l, &s->overhead[i],
		                   &sy_hist_overhead);
	}
	rc |= render_workers(out, nslots);
	sy_map_release(&s->ix.map);
	free(s);
	return rc ? -ENOMEM : 0;
}
