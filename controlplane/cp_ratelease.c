/* cp_ratelease.c - request tokens of rate-limit windows, granted to workers. */
#include "cp_ratelease.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_map.h"
#include "sy_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define WANT_MAX 100000 /* tokens one request may ask for */
#define SKEW_S 5        /* a worker's clock may run this far ahead into the next window */

struct window {
	char key[128]; /* "<counter>@<window start>" */
	int64_t end;   /* unix seconds */
	uint32_t limit;
	uint32_t granted;
};

struct cp_ratelease {
	struct sy_map windows;
};

struct cp_ratelease *cp_ratelease_new(void)
{
	return calloc(1, sizeof(struct cp_ratelease));
}

static bool drop_all(void *val, void *arg)
{
	(void)arg;
	free(val);
	return false;
}

void cp_ratelease_free(struct cp_ratelease **rp)
{
	struct cp_ratelease *r = *rp;
	if (!r)
		return;
	*rp = NULL;
	sy_map_filter(&r->windows, drop_all, NULL);
	sy_map_release(&r->windows);
	free(r);
}

static struct window *find(const struct cp_ratelease *r, const char *counter, int64_t window_start,
                           char *key, size_t keylen)
{
	snprintf(key, keylen, "%s@%lld", counter, (long long)window_start);
	return sy_map_get(&r->windows, key);
}

uint32_t cp_ratelease_grant(struct cp_ratelease *r, const char *counter, int64_t window_start,
                            uint32_t window_s, uint32_t limit, uint32_t want, int64_t now_s,
                            bool *exhausted)
{
	*exhausted = true;
	if (!window_s || window_start % window_s || window_start > now_s + SKEW_S ||
	    window_start + window_s <= now_s || strlen(counter) > 100)
		return 0;
	char key[128];
	struct window *w = find(r, counter, window_start, key, sizeof(key));
	if (!w) {
		if (!(w = calloc(1, sizeof(*w))))
			return 0;
		snprintf(w->key, sizeof(w->key), "%s", key);
		w->end = window_start + window_s;
		if (sy_map_put(&r->windows, w->key, w, NULL)) {
			free(w);
			return 0;
		}
	}
	w->limit = limit;
	uint32_t left = w->limit > w->granted ? w->limit - w->granted : 0;
	uint32_t g = want < left ? want : left;
	if (g > WANT_MAX)
		g = WANT_MAX;
	w->granted += g;
	*exhausted = g == left;
	return g;
}

void cp_ratelease_return(struct cp_ratelease *r, const char *counter, int64_t window_start,
                         uint32_t amount)
{
	char key[128];
	struct window *w = find(r, counter, window_start, key, sizeof(key));
	if (w)
		w->granted -= amount < w->granted ? amount : w->granted;
}

void cp_ratelease_charge(struct cp_ratelease *r, const char *counter, int64_t window_start,
                         uint32_t amount)
{
	char key[128];
	struct window *w = find(r, counter, window_start, key, sizeof(key));
	if (w)
		w->granted = amount > UINT32_MAX - w->granted ? UINT32_MAX : w->granted + amount;
}

uint32_t cp_ratelease_granted(const struct cp_ratelease *r, const char *counter,
                              int64_t window_start)
{
	char key[128];
	const struct window *w = find(r, counter, window_start, key, sizeof(key));
	return w ? w->granted : 0;
}

static bool live(void *val, void *arg)
{
	struct window *w = val;
	if (w->end > *(const int64_t *)arg)
		return true;
	free(w);
	return false;
}

void cp_ratelease_sweep(struct cp_ratelease *r, int64_t now_s)
{
	sy_map_filter(&r->windows, live, &now_s);
}

static void on_request(struct cp_ratelease *r, void *router, const struct cp_zmsg *m)
{
	const Sy__RateleaseRequest *rq = m->env->ratelease_request;
	Sy__RateleaseGrant g = SY__RATELEASE_GRANT__INIT;
	bool exhausted;
	g.request_id = rq->request_id;
	g.counter = rq->counter;
	g.window_start = rq->window_start;
	g.granted = cp_ratelease_grant(r, rq->counter, rq->window_start, rq->window_s, rq->limit,
	                               rq->want, sy_unix_s(), &exhausted);
	g.exhausted = g.has_exhausted = exhausted;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_RATELEASE_GRANT;
	env.ratelease_grant = &g;
	int rc = sy_zsend_env(router, m->id, m->idlen, &env, ZMQ_DONTWAIT);
	if (rc) {
		/* the worker asks again; the tokens go back so they are not lost for the window */
		cp_ratelease_return(r, rq->counter, rq->window_start, g.granted);
		sy_warn("ratelease: grant dropped: %s", sy_strerror(rc));
	}
}

bool cp_ratelease_on_message(struct cp_ratelease *r, void *router, const struct cp_zmsg *m)
{
	switch (m->env->body_case) {
	case SY__ENVELOPE__BODY_RATELEASE_REQUEST:
		on_request(r, router, m);
		return true;
	case SY__ENVELOPE__BODY_RATELEASE_RETURN: {
		const Sy__RateleaseReturn *rt = m->env->ratelease_return;
		cp_ratelease_return(r, rt->counter, rt->window_start, rt->amount);
		if (rt->has_overdrawn)
			cp_ratelease_charge(r, rt->counter, rt->window_start, rt->overdrawn);
		return true;
	}
	default:
		return false;
	}
}
