/* cp_stats.c - rolling per-endpoint windows of one-minute buckets, percentiles, uptime.
 *
 * Models are kept sorted by id (binary search; snapshots come out in id order), each with its
 * endpoints in a short array. A bucket belongs to the minute it was last written in and is
 * recycled when that minute is more than a window ago. Each bucket keeps at most
 * CP_STATS_SAMPLES samples per measure by reservoir sampling; percentiles weight every kept
 * sample by seen/kept, so a busy minute counts as much as it should. */
#include "cp_stats.h"
#include "sy_array.h"
#include "sy_failure.h"
#include "sy_log.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct reservoir {
	uint32_t seen; /* samples offered this minute */
	uint32_t n;    /* samples kept */
	float v[CP_STATS_SAMPLES];
};

struct bucket {
	int64_t minute; /* unix minute this bucket counts (0 = never used) */
	uint32_t ok, faults;
	struct reservoir lat, tps;
};

struct endpoint {
	char *provider;
	struct bucket b[CP_STATS_BUCKETS];
};

struct model {
	char *id;
	struct endpoint *eps;
	size_t n, cap;
	uint8_t *pub; /* the EndpointStats last published, packed without updated_at */
	size_t pub_len;
	int64_t pub_at;
	bool dirty; /* counted something since its last publication */
};

struct cp_stats {
	struct model *m; /* sorted by id */
	size_t n, cap;
	size_t n_endpoints;
	uint64_t rng;
	bool warned;        /* the endpoint bound was hit (logged once) */
	int64_t pub_minute; /* the minute of the last publication: windows move by minutes */
};

bool cp_stats_is_fault(const char *cls)
{
	return sy_failure_is_provider_fault(cls);
}

struct cp_stats *cp_stats_new(void)
{
	struct cp_stats *s = calloc(1, sizeof(*s));
	if (s)
		s->rng = 0x9E3779B97F4A7C15ULL;
	return s;
}

static void model_release(struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->eps[i].provider);
	free(m->eps);
	free(m->id);
	free(m->pub);
}

void cp_stats_free(struct cp_stats **sp)
{
	struct cp_stats *s = *sp;
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		model_release(&s->m[i]);
	free(s->m);
	free(s);
	*sp = NULL;
}

/* ---- intake ------------------------------------------------------------------------------ */

static uint64_t next_random(struct cp_stats *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void sample(struct cp_stats *s, struct reservoir *r, double v)
{
	r->seen++;
	if (r->n < CP_STATS_SAMPLES) {
		r->v[r->n++] = (float)v;
		return;
	}
	uint64_t j = next_random(s) % r->seen;
	if (j < CP_STATS_SAMPLES)
		r->v[j] = (float)v;
}

/* Index of model id, or where it would go; *found says which. */
static size_t model_search(const struct cp_stats *s, const char *id, bool *found)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->m[mid].id, id);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct model *model_get(struct cp_stats *s, const char *id)
{
	bool found;
	size_t i = model_search(s, id, &found);
	if (found)
		return &s->m[i];
	struct model *m = sy_array_grow(s->m, s->n, &s->cap, sizeof(*m), 16);
	if (!m)
		return NULL;
	s->m = m;
	char *dup = strdup(id);
	if (!dup)
		return NULL;
	memmove(&s->m[i + 1], &s->m[i], (s->n - i) * sizeof(*s->m));
	s->m[i] = (struct model){.id = dup};
	s->n++;
	return &s->m[i];
}

static struct endpoint *endpoint_get(struct cp_stats *s, struct model *m, const char *provider)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->eps[i].provider, provider))
			return &m->eps[i];
	struct endpoint *eps = sy_array_grow(m->eps, m->n, &m->cap, sizeof(*eps), 4);
	if (!eps)
		return NULL;
	m->eps = eps;
	struct endpoint *e = &m->eps[m->n];
	*e = (struct endpoint){.provider = strdup(provider)};
	if (!e->provider)
		return NULL;
	m->n++;
	s->n_endpoints++;
	return e;
}

/* The bucket counting (model, provider) in this minute; NULL past the bounds. */
static struct bucket *bucket_of(struct cp_stats *s, const char *model, const char *provider,
                                int64_t minute)
{
	if (s->n_endpoints >= CP_STATS_MAX_ENDPOINTS) {
		/* only known endpoints still count */
		bool found;
		size_t i = model_search(s, model, &found);
		struct model *m = found ? &s->m[i] : NULL;
		size_t k = 0;
		while (m && k < m->n && strcmp(m->eps[k].provider, provider))
			k++;
		if (!m || k == m->n) {
			if (!s->warned)
				sy_warn("stats: more than %d endpoints; new ones are not measured",
				        CP_STATS_MAX_ENDPOINTS);
			s->warned = true;
			return NULL;
		}
	}
	struct model *m = model_get(s, model);
	struct endpoint *e = m ? endpoint_get(s, m, provider) : NULL;
	if (!e)
		return NULL;
	m->dirty = true;
	struct bucket *b = &e->b[minute % CP_STATS_BUCKETS];
	if (b->minute != minute)
		*b = (struct bucket){.minute = minute};
	return b;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

void cp_stats_add(struct cp_stats *s, const Sy__UsageRecord *r, int64_t now)
{
	int64_t minute = now / CP_STATS_BUCKET_S;
	if (r->has_created_at && r->created_at <= now - CP_STATS_BUCKETS * CP_STATS_BUCKET_S)
		return;
	uint32_t before = 0; /* time spent on the attempts before the last one */
	for (size_t i = 0; i < r->n_attempts; i++) {
		const Sy__Attempt *a = r->attempts[i];
		const char *model = nonempty(a->model) ? a->model : r->model;
		bool ok = !nonempty(a->error_class), fault = cp_stats_is_fault(a->error_class);
		if (i + 1 < r->n_attempts)
			before += a->latency_ms;
		if (!nonempty(model) || !nonempty(a->provider) || !(ok || fault))
			continue;
		struct bucket *b = bucket_of(s, model, a->provider, minute);
		if (b && ok)
			b->ok++;
		else if (b)
			b->faults++;
	}
	/* speed only from streams: a whole answer at once times neither its first token nor
	 * its generation */
	if (!r->streamed || r->status != 200 || nonempty(r->error_class) || !nonempty(r->model) ||
	    !nonempty(r->provider) || !r->has_ttft_ms)
		return;
	struct bucket *b = bucket_of(s, r->model, r->provider, minute);
	if (!b)
		return;
	sample(s, &b->lat, r->ttft_ms > before ? r->ttft_ms - before : 0);
	if (r->generation_time_ms && r->completion_tokens)
		sample(s, &b->tps, r->completion_tokens * 1000.0 / r->generation_time_ms);
}

/* ---- aggregation ------------------------------------------------------------------------- */

struct weighted {
	float v;
	float w;
};

static int by_value(const void *a, const void *b)
{
	float x = ((const struct weighted *)a)->v, y = ((const struct weighted *)b)->v;
	return (x > y) - (x < y);
}

/* Percentiles of the samples of measure off (lat or tps) in the buckets of the window;
 * false when there is none. ws has room for every sample of the window. */
static bool percentiles(const struct endpoint *e, int64_t minute, size_t off, struct weighted *ws,
                        Sy__Percentiles *out)
{
	size_t n = 0;
	double total = 0;
	for (int i = 0; i < CP_STATS_BUCKETS; i++) {
		const struct bucket *b = &e->b[i];
		if (!b->minute || b->minute <= minute - CP_STATS_BUCKETS || b->minute > minute)
			continue;
		const struct reservoir *r = (const struct reservoir *)((const char *)b + off);
		for (uint32_t k = 0; k < r->n; k++) {
			ws[n] = (struct weighted){r->v[k], (float)r->seen / (float)r->n};
			total += ws[n++].w;
		}
	}
	if (!n)
		return false;
	qsort(ws, n, sizeof(*ws), by_value);
	static const double ps[] = {0.50, 0.75, 0.90, 0.99};
	double *dst[] = {&out->p50, &out->p75, &out->p90, &out->p99};
	for (size_t p = 0; p < 4; p++) {
		/* nearest rank: the first sample whose cumulative weight reaches p of the total */
		double cum = 0, target = ps[p] * total;
		size_t k = 0;
		while (k + 1 < n && (cum += ws[k].w) < target - 1e-9)
			k++;
		*dst[p] = round(ws[k].v * 100.0) / 100.0; /* samples are floats: no false digits */
	}
	return true;
}

/* Attempts counted in the last `buckets` minutes. */
static void counts(const struct endpoint *e, int64_t minute, int buckets, uint32_t *ok,
                   uint32_t *faults)
{
	*ok = *faults = 0;
	for (int i = 0; i < CP_STATS_BUCKETS; i++) {
		const struct bucket *b = &e->b[i];
		if (b->minute && b->minute > minute - buckets && b->minute <= minute) {
			*ok += b->ok;
			*faults += b->faults;
		}
	}
}

/* One endpoint's stats as of minute; false when its window holds nothing. */
static bool endpoint_stat(const struct endpoint *e, int64_t minute, struct weighted *ws,
                          Sy__EndpointStat *st, Sy__Percentiles *lat, Sy__Percentiles *tps)
{
	uint32_t ok30, f30, ok5, f5;
	sy__endpoint_stat__init(st);
	sy__percentiles__init(lat);
	sy__percentiles__init(tps);
	st->provider = e->provider;
	if (percentiles(e, minute, offsetof(struct bucket, lat), ws, lat))
		st->latency_ms = lat;
	if (percentiles(e, minute, offsetof(struct bucket, tps), ws, tps))
		st->throughput = tps;
	counts(e, minute, CP_STATS_BUCKETS, &ok30, &f30);
	counts(e, minute, CP_STATS_RECENT, &ok5, &f5);
	if (ok30 + f30) {
		st->has_uptime_30m = st->has_attempts_30m = true;
		st->uptime_30m = 100.0 * ok30 / (ok30 + f30);
		st->attempts_30m = ok30 + f30;
	}
	if (ok5 + f5) {
		st->has_uptime_5m = st->has_attempts_5m = true;
		st->uptime_5m = 100.0 * ok5 / (ok5 + f5);
		st->attempts_5m = ok5 + f5;
		st->has_degraded = true;
		st->degraded = st->attempts_5m >= CP_STATS_DEGRADED_MIN &&
		               st->uptime_5m < CP_STATS_DEGRADED_UPTIME;
	}
	return st->latency_ms || st->throughput || st->has_uptime_30m;
}

/* Drop the endpoints whose window holds nothing. */
static void prune(struct cp_stats *s, struct model *m, int64_t minute)
{
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		bool live = false;
		for (int b = 0; b < CP_STATS_BUCKETS && !live; b++)
			live = m->eps[i].b[b].minute > minute - CP_STATS_BUCKETS;
		if (live) {
			m->eps[k++] = m->eps[i];
		} else {
			free(m->eps[i].provider);
			s->n_endpoints--;
		}
	}
	m->n = k;
}

/* Publish model m if its stats changed; sets *gone when it has nothing left to say. */
static int publish_model(struct cp_stats *s, struct model *m, int64_t now, struct weighted *ws,
                         cp_stats_fn *fn, void *arg, bool *gone)
{
	int64_t minute = now / CP_STATS_BUCKET_S;
	int rc = -ENOMEM;
	prune(s, m, minute);
	size_t n = m->n ? m->n : 1;
	Sy__EndpointStat *es = calloc(n, sizeof(*es));
	Sy__EndpointStat **ptrs = calloc(n, sizeof(*ptrs));
	Sy__Percentiles *pc = calloc(2 * n, sizeof(*pc));
	uint8_t *buf = NULL;
	Sy__EndpointStats msg = SY__ENDPOINT_STATS__INIT;
	if (!es || !ptrs || !pc)
		goto out;
	msg.model = m->id;
	msg.endpoints = ptrs;
	for (size_t i = 0; i < m->n; i++) {
		Sy__EndpointStat *st = &es[msg.n_endpoints];
		if (endpoint_stat(&m->eps[i], minute, ws, st, &pc[2 * i], &pc[2 * i + 1]))
			ptrs[msg.n_endpoints++] = st;
	}
	*gone = msg.n_endpoints == 0;
	size_t len = sy__endpoint_stats__get_packed_size(&msg);
	if (!(buf = malloc(len)))
		goto out;
	sy__endpoint_stats__pack(&msg, buf);
	rc = 0;
	if (m->pub ? m->pub_len == len && !memcmp(m->pub, buf, len) : *gone)
		goto out; /* unchanged, or nothing ever said and nothing to say */
	msg.has_updated_at = true;
	msg.updated_at = now;
	if ((rc = fn(&msg, arg)))
		goto out; /* not given out: tried again next time */
	free(m->pub);
	m->pub = buf;
	m->pub_len = len;
	m->pub_at = now;
	buf = NULL;
out:
	free(buf);
	free(pc);
	free(ptrs);
	free(es);
	return rc;
}

int cp_stats_publish(struct cp_stats *s, int64_t now, cp_stats_fn *fn, void *arg)
{
	struct weighted *ws = malloc(CP_STATS_BUCKETS * CP_STATS_SAMPLES * sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	int rc = 0;
	size_t k = 0;
	/* within a minute only new samples change anything: recompute just those models */
	bool rolled = now / CP_STATS_BUCKET_S != s->pub_minute;
	s->pub_minute = now / CP_STATS_BUCKET_S;
	for (size_t i = 0; i < s->n; i++) {
		bool gone = false;
		int r = rolled || s->m[i].dirty
		            ? publish_model(s, &s->m[i], now, ws, fn, arg, &gone)
		            : 0;
		if (r && !rc)
			rc = r;
		s->m[i].dirty = r != 0; /* not given out: try again next time */
		if (!r && gone) {
			model_release(&s->m[i]); /* its clearing went out (or nothing ever did) */
			continue;
		}
		s->m[k++] = s->m[i];
	}
	s->n = k;
	free(ws);
	return rc;
}

int cp_stats_each(const struct cp_stats *s, cp_stats_fn *fn, void *arg)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct model *m = &s->m[i];
		if (!m->pub)
			continue;
		Sy__EndpointStats *st = sy__endpoint_stats__unpack(NULL, m->pub_len, m->pub);
		if (!st)
			return -ENOMEM;
		st->has_updated_at = true;
		st->updated_at = m->pub_at;
		int rc = st->n_endpoints ? fn(st, arg) : 0;
		sy__endpoint_stats__free_unpacked(st, NULL);
		if (rc)
			return rc;
	}
	return 0;
}
