/* dp_health.c - endpoint ejection and speed averages in a map. */
#include "dp_health.h"
#include "dp_metrics.h"
#include "sy_map.h"

#include <stdlib.h>
#include <string.h>

/* A probe that never reported back (should not happen) stops blocking after this. */
#define PROBE_LOST_MS 60000
/* Successes in a row after which an endpoint's ejection history is forgotten. */
#define FORGIVE_AFTER 10
/* Weight of a new speed sample. */
#define EWMA_ALPHA 0.2

struct ep {
	uint32_t fails;        /* consecutive provider faults */
	uint32_t ejections;    /* ejections without FORGIVE_AFTER successes in between */
	uint32_t successes;    /* consecutive successes */
	int64_t ejected_until; /* 0 = admitted; past = due for a probe */
	int64_t retry_until;   /* Retry-After window */
	int64_t probe_started; /* 0 = no probe running */
	double ttft_ms, tps;   /* averages; 0 = not measured */
};

struct entry {
	struct ep ep;
	char key[]; /* "a\x1fb": its key in the map */
};

struct dp_health {
	struct sy_map eps; /* "model\x1fprovider" -> entry */
};

static struct entry *find(const struct sy_map *t, const char *a, const char *b)
{
	return a && b ? sy_map_get_pair(t, a, b) : NULL;
}

/* The entry for (a, b), created zeroed when absent; NULL on allocation failure. */
static struct entry *get(struct sy_map *t, const char *a, const char *b)
{
	struct entry *e = find(t, a, b);
	if (e || !a || !b)
		return e;
	size_t la = strlen(a), lb = strlen(b);
	e = calloc(1, sizeof(*e) + la + lb + 2);
	if (!e)
		return NULL;
	memcpy(e->key, a, la);
	e->key[la] = SY_MAP_PAIR_SEP;
	memcpy(e->key + la + 1, b, lb + 1);
	if (sy_map_put(t, e->key, e, NULL)) {
		free(e);
		return NULL;
	}
	return e;
}

static void table_release(struct sy_map *t)
{
	void *e;
	for (size_t i = 0; sy_map_next(t, &i, &e);)
		free(e);
	sy_map_release(t);
}

struct dp_health *dp_health_new(void)
{
	return calloc(1, sizeof(struct dp_health));
}

void dp_health_free(struct dp_health **hp)
{
	struct dp_health *h = *hp;
	if (!h)
		return;
	table_release(&h->eps);
	free(h);
	*hp = NULL;
}

/* ---- ejection ------------------------------------------------------------------------- */

bool dp_health_ok(const struct dp_health *h, const char *model_id, const char *provider,
                  int64_t now_ms)
{
	const struct entry *e = find(&h->eps, model_id, provider);
	if (!e)
		return true;
	const struct ep *p = &e->ep;
	if (now_ms < p->retry_until)
		return false;
	if (!p->ejected_until)
		return true;
	if (now_ms < p->ejected_until)
		return false;
	return !p->probe_started || now_ms - p->probe_started >= PROBE_LOST_MS;
}

void dp_health_begin(struct dp_health *h, const char *model_id, const char *provider,
                     int64_t now_ms)
{
	struct entry *e = find(&h->eps, model_id, provider);
	if (e && e->ep.ejected_until && now_ms >= e->ep.ejected_until)
		e->ep.probe_started = now_ms;
}

static void eject(struct ep *p, int64_t now_ms)
{
	uint32_t shift = p->ejections < 16 ? p->ejections : 16;
	int64_t ms = (int64_t)DP_HEALTH_EJECT_BASE_MS << shift;
	p->ejections++;
	p->fails = 0;
	p->ejected_until = now_ms + (ms < DP_HEALTH_EJECT_MAX_MS ? ms : DP_HEALTH_EJECT_MAX_MS);
}

void dp_health_end(struct dp_health *h, const char *model_id, const char *provider,
                   enum dp_health_outcome outcome, int64_t now_ms)
{
	struct entry *e = outcome == DP_HEALTH_FAULT ? get(&h->eps, model_id, provider)
	                                             : find(&h->eps, model_id, provider);
	if (!e)
		return;
	struct ep *p = &e->ep;
	p->probe_started = 0;
	switch (outcome) {
	case DP_HEALTH_SUCCESS:
		p->fails = 0;
		p->ejected_until = 0;
		if (++p->successes >= FORGIVE_AFTER)
			p->ejections = 0;
		break;
	case DP_HEALTH_FAULT:
		p->successes = 0;
		/* a failed probe (or a use while ejected) goes straight back out, for longer */
		if (p->ejected_until || ++p->fails >= DP_HEALTH_EJECT_AFTER) {
			eject(p, now_ms);
			dp_metrics_ejection(model_id, provider);
		}
		break;
	case DP_HEALTH_NEUTRAL:
		break;
	}
}

void dp_health_retry_after(struct dp_health *h, const char *model_id, const char *provider,
                           int64_t until_ms)
{
	struct entry *e = get(&h->eps, model_id, provider);
	if (e && until_ms > e->ep.retry_until)
		e->ep.retry_until = until_ms;
}

/* ---- speed ---------------------------------------------------------------------------- */

static void ewma(double *avg, double sample)
{
	if (sample <= 0)
		return;
	*avg = *avg > 0 ? *avg + EWMA_ALPHA * (sample - *avg) : sample;
}

void dp_health_sample(struct dp_health *h, const char *model_id, const char *provider,
                      uint32_t ttft_ms, double tokens_per_s)
{
	struct entry *e = get(&h->eps, model_id, provider);
	if (!e)
		return;
	ewma(&e->ep.ttft_ms, ttft_ms ? (double)ttft_ms : -1.0);
	ewma(&e->ep.tps, tokens_per_s);
}

double dp_health_latency(const struct dp_health *h, const char *model_id, const char *provider)
{
	const struct entry *e = find(&h->eps, model_id, provider);
	return e ? e->ep.ttft_ms : 0;
}

double dp_health_throughput(const struct dp_health *h, const char *model_id, const char *provider)
{
	const struct entry *e = find(&h->eps, model_id, provider);
	return e ? e->ep.tps : 0;
}
