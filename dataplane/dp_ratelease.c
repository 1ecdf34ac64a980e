/* dp_ratelease.c - request tokens leased from the controlplane (see dp_ratelease.h). */
#include "dp_ratelease.h"
#include "dp_free.h"
#include "dp_loop.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_map.h"
#include "sy_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 200
#define RESEND_MS 200     /* an unanswered ask goes out again (within a request's wait) */
#define RETURN_MS 2000    /* tokens unused this long go back */
#define EXHAUSTED_MS 1000 /* an exhausted window refuses locally this long, then asks again */
#define FALLBACK_MS 1000  /* an unanswered limit stays on the local share this long */

struct counter {
	char key[96]; /* "<kind>:<id>" */
	int64_t window_start;
	uint32_t window_s, limit;
	uint32_t held;
	uint64_t req_id; /* the outstanding ask; 0 = none */
	int64_t asked_ms, used_ms, exhausted_until, fallback_until;
};

struct dp_ratelease {
	struct dp_loop *loop;
	struct dp_ratelease_config cfg;
	struct sy_map counters;
	struct dp_rate_wait *head, *tail;
	struct dp_timer *tick;
	uint64_t next_req;
};

/* ---- limits ------------------------------------------------------------------------------ */

size_t dp_ratelease_limits(const struct dp_admit_req *rq,
                           struct dp_rate_limit out[DP_RATE_LIMITS_MAX])
{
	const Sy__ApiKey *k = rq->key;
	uint32_t per_day = dp_free_daily_limit(rq->org);
	bool low = per_day == DP_FREE_PER_DAY_LOW;
	size_t n = 0;
	if (k->has_rpm && k->rpm)
		out[n++] = (struct dp_rate_limit){
		    "rpm", k->hash, k->rpm, 60, "requests per minute on this key", false};
	if (k->has_rpd && k->rpd)
		out[n++] = (struct dp_rate_limit){
		    "rpd", k->hash, k->rpd, 86400, "requests per day on this key", false};
	if (rq->free_model) {
		out[n++] = (struct dp_rate_limit){"fpm",
		                                  k->hash,
		                                  DP_FREE_PER_MINUTE,
		                                  60,
		                                  "requests per minute to :free models on this key",
		                                  false};
		out[n++] = (struct dp_rate_limit){
		    "fpd",
		    k->org_id,
		    per_day,
		    86400,
		    low ? "requests per day to :free models for an org that has bought less than "
		          "$10 of credits"
		        : "requests per day to :free models for this org",
		    false};
	}
	if (k->has_tpm && k->tpm)
		out[n++] = (struct dp_rate_limit){
		    "tpm", k->hash, k->tpm, 60, "tokens per minute on this key", true};
	return n;
}

void dp_ratelease_refuse(struct dp_admission *a, const struct dp_rate_limit *l,
                         int64_t window_start, int64_t now_s)
{
	int64_t end = window_start + l->window_s;
	a->status = 429;
	a->error_type = "rate_limited";
	a->rate_limited = true;
	a->rate = (struct dp_rate_info){l->limit, 0, end * 1000,
	                                (uint32_t)(end - now_s > 0 ? end - now_s : 1)};
	snprintf(a->message, sizeof(a->message), "Rate limit exceeded: %u %s", l->limit, l->what);
}

uint32_t dp_ratelease_chunk(uint32_t limit, int cluster_workers)
{
	uint64_t d = 16 * (uint64_t)(cluster_workers > 0 ? cluster_workers : 1);
	uint64_t c = limit / d;
	return c ? (uint32_t)c : 1;
}

/* ---- counters ---------------------------------------------------------------------------- */

static struct counter *counter_of(struct dp_ratelease *r, const struct dp_rate_limit *l,
                                  int64_t now_s)
{
	char key[96];
	snprintf(key, sizeof(key), "%s:%s", l->kind, l->id);
	struct counter *c = sy_map_get(&r->counters, key);
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return NULL;
		snprintf(c->key, sizeof(c->key), "%s", key);
		if (sy_map_put(&r->counters, c->key, c, NULL)) {
			free(c);
			return NULL;
		}
	}
	int64_t start = now_s - now_s % l->window_s;
	if (c->window_start != start || c->window_s != l->window_s) {
		/* tokens of a past window are worth nothing: the controlplane forgets it too */
		c->window_start = start;
		c->window_s = l->window_s;
		c->held = 0;
		c->req_id = 0;
		c->exhausted_until = 0;
	}
	if (c->limit != l->limit)
		c->exhausted_until = 0; /* a changed limit: the controlplane decides again */
	c->limit = l->limit;
	return c;
}

static void ask(struct dp_ratelease *r, struct counter *c, int64_t now)
{
	Sy__RateleaseRequest rq = SY__RATELEASE_REQUEST__INIT;
	rq.request_id = c->req_id = ++r->next_req;
	rq.counter = c->key;
	rq.window_start = c->window_start;
	rq.window_s = c->window_s;
	rq.limit = c->limit;
	rq.want = dp_ratelease_chunk(c->limit, r->cfg.cluster_workers);
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_RATELEASE_REQUEST;
	env.ratelease_request = &rq;
	c->asked_ms = now;
	int rc = r->cfg.send(r->cfg.send_arg, &env);
	if (rc)
		sy_debug("ratelease: ask for %.8s... not sent (%s); retried", c->key,
		         sy_strerror(rc));
}

/* Give back amount unused tokens of a window, and report overdrawn ones (tpm). */
static void send_return(struct dp_ratelease *r, const char *counter, int64_t window_start,
                        uint32_t amount, uint32_t overdrawn)
{
	Sy__RateleaseReturn rt = SY__RATELEASE_RETURN__INIT;
	rt.counter = (char *)counter;
	rt.window_start = window_start;
	rt.amount = amount;
	rt.overdrawn = overdrawn;
	rt.has_overdrawn = overdrawn > 0;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_RATELEASE_RETURN;
	env.ratelease_return = &rt;
	/* not sent: unused tokens stay unused until the window ends (an under-admission only);
	 * overdrawn ones go uncounted (the overshoot the bound allows for tpm) */
	int rc = r->cfg.send(r->cfg.send_arg, &env);
	if (rc)
		sy_debug("ratelease: return not sent (%s)", sy_strerror(rc));
}

static void give_back(struct dp_ratelease *r, struct counter *c)
{
	send_return(r, c->key, c->window_start, c->held, 0);
	c->held = 0;
}

/* ---- admission --------------------------------------------------------------------------- */

/* Decide w now: OK (tokens taken, or the local fallback), REFUSED (w->a holds the 429) or
 * WAIT (an ask is out). */
static enum dp_admit_result decide(struct dp_ratelease *r, struct dp_rate_wait *w)
{
	int64_t now = dp_loop_now_ms(r->loop), now_s = sy_unix_s();
	struct counter *cs[DP_RATE_LIMITS_MAX];
	bool wait = false, fallback = false;
	for (size_t i = 0; i < w->n; i++) {
		struct counter *c = cs[i] = counter_of(r, &w->lim[i], now_s);
		if (!c) {
			fallback = true; /* out of memory: the local share still holds */
			continue;
		}
		if (c->held)
			continue;
		if (now < c->exhausted_until) {
			dp_ratelease_refuse(w->a, &w->lim[i], c->window_start, now_s);
			return DP_ADMIT_REFUSED;
		}
		if (now < c->fallback_until) {
			fallback = true;
			continue;
		}
		if (w->expired) {
			sy_warn(
			    "ratelease: the controlplane did not grant request tokens in %u ms: "
			    "the worker's local share of the limit applies for now",
			    r->cfg.wait_ms);
			c->fallback_until = now + FALLBACK_MS;
			fallback = true;
			continue;
		}
		if (!c->req_id)
			ask(r, c, now);
		wait = true;
	}
	if (wait)
		return DP_ADMIT_WAIT;
	w->leased = !fallback;
	if (fallback)
		return DP_ADMIT_OK;
	for (size_t i = 0; i < w->n; i++) {
		struct counter *c = cs[i];
		uint32_t chunk = dp_ratelease_chunk(c->limit, r->cfg.cluster_workers);
		c->held--;
		c->used_ms = now;
		if (w->lim[i].tokens) {
			snprintf(w->tpm_counter, sizeof(w->tpm_counter), "%s", c->key);
			w->tpm_window = c->window_start;
		}
		/* large limits ask a little ahead, so requests need not wait */
		if (chunk >= 4 && c->held <= chunk / 4 && !c->req_id && now >= c->exhausted_until)
			ask(r, c, now);
	}
	return DP_ADMIT_OK;
}

static void unlink_waiter(struct dp_ratelease *r, struct dp_rate_wait *w)
{
	struct dp_rate_wait **pp = &r->head, *prev = NULL;
	for (; *pp && *pp != w; pp = &(*pp)->next)
		prev = *pp;
	if (!*pp)
		return;
	*pp = w->next;
	if (r->tail == w)
		r->tail = prev;
	w->next = NULL;
}

static void deliver(struct dp_loop *loop, void *arg)
{
	struct dp_rate_wait *w = arg;
	(void)loop;
	w->timer = NULL;
	w->waiting = false;
	w->fn(w->a, w->arg);
}

/* w is decided: out of the queue, told from the loop. */
static void finish(struct dp_ratelease *r, struct dp_rate_wait *w)
{
	unlink_waiter(r, w);
	dp_timer_cancel(&w->timer);
	if (!(w->timer = dp_timer_add(r->loop, 0, deliver, w)))
		deliver(r->loop, w);
}

static void serve_waiters(struct dp_ratelease *r)
{
	for (struct dp_rate_wait *w = r->head, *next; w; w = next) {
		next = w->next;
		if (decide(r, w) != DP_ADMIT_WAIT)
			finish(r, w);
	}
}

static void wait_timeout(struct dp_loop *loop, void *arg)
{
	struct dp_rate_wait *w = arg;
	(void)loop;
	w->timer = NULL;
	w->expired = true;
	decide(w->r, w); /* cannot wait any more */
	finish(w->r, w);
}

enum dp_admit_result dp_ratelease_admit(struct dp_ratelease *r, struct dp_rate_wait *w,
                                        struct dp_admission *a, const struct dp_admit_req *rq,
                                        dp_admit_fn *fn, void *arg)
{
	w->r = r;
	w->a = a;
	w->n = dp_ratelease_limits(rq, w->lim);
	for (size_t i = 0; i < w->n; i++) {
		snprintf(w->ids[i], sizeof(w->ids[i]), "%s", w->lim[i].id);
		w->lim[i].id = w->ids[i];
	}
	enum dp_admit_result res = decide(r, w);
	if (res != DP_ADMIT_WAIT)
		return res;
	if (!(w->timer = dp_timer_add(r->loop, r->cfg.wait_ms, wait_timeout, w))) {
		w->leased = false; /* out of memory: the local share decides */
		return DP_ADMIT_OK;
	}
	w->fn = fn;
	w->arg = arg;
	w->waiting = true;
	w->next = NULL;
	if (r->tail)
		r->tail->next = w;
	else
		r->head = w;
	r->tail = w;
	return DP_ADMIT_WAIT;
}

void dp_ratelease_settle(struct dp_rate_wait *w, uint32_t tokens)
{
	if (!w->tpm_counter[0] || !w->r)
		return;
	struct dp_ratelease *r = w->r;
	uint32_t rest = tokens > 0 ? tokens - 1 : 0; /* one was taken at admission */
	struct counter *c = sy_map_get(&r->counters, w->tpm_counter);
	if (c && c->window_start == w->tpm_window) {
		uint32_t take = rest < c->held ? rest : c->held;
		c->held -= take;
		rest -= take;
	}
	if (rest)
		send_return(r, w->tpm_counter, w->tpm_window, 0, rest);
	w->tpm_counter[0] = '\0';
}

void dp_ratelease_cancel(struct dp_rate_wait *w)
{
	if (!w->waiting)
		return;
	w->waiting = false;
	dp_timer_cancel(&w->timer);
	unlink_waiter(w->r, w);
}

/* ---- the controlplane's answers ---------------------------------------------------------- */

void dp_ratelease_on_message(const Sy__Envelope *env, void *arg)
{
	struct dp_ratelease *r = arg;
	if (env->body_case != SY__ENVELOPE__BODY_RATELEASE_GRANT)
		return;
	const Sy__RateleaseGrant *g = env->ratelease_grant;
	struct counter *c = sy_map_get(&r->counters, g->counter);
	if (!c || c->window_start != g->window_start) {
		/* a past window's tokens: worthless, and forgotten by the controlplane; waiters
		 * of the new window ask for theirs */
		serve_waiters(r);
		return;
	}
	int64_t now = dp_loop_now_ms(r->loop);
	if (g->request_id == c->req_id)
		c->req_id = 0;
	c->held += g->granted;
	c->fallback_until = 0;
	if (g->has_exhausted && g->exhausted)
		c->exhausted_until = now + EXHAUSTED_MS;
	if (g->granted)
		c->used_ms = now;
	serve_waiters(r);
}

/* ---- the tick ---------------------------------------------------------------------------- */

static bool tick_counter(void *val, void *arg)
{
	struct counter *c = val;
	struct dp_ratelease *r = arg;
	int64_t now = dp_loop_now_ms(r->loop);
	if (c->window_start + c->window_s <= sy_unix_s() && !c->held) {
		free(c); /* a past window, and no waiter refers to counters by pointer */
		return false;
	}
	if (c->req_id && now - c->asked_ms >= RESEND_MS)
		ask(r, c, now);
	else if (c->held && now - c->used_ms >= RETURN_MS)
		give_back(r, c);
	return true;
}

static void tick_fn(struct dp_loop *loop, void *arg)
{
	struct dp_ratelease *r = arg;
	r->tick = NULL;
	sy_map_filter(&r->counters, tick_counter, r);
	r->tick = dp_timer_add(loop, TICK_MS, tick_fn, r);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

struct dp_ratelease *dp_ratelease_new(struct dp_loop *loop, const struct dp_ratelease_config *cfg)
{
	struct dp_ratelease *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->loop = loop;
	r->cfg = *cfg;
	if (r->cfg.cluster_workers < 1)
		r->cfg.cluster_workers = 1;
	if (!r->cfg.wait_ms)
		r->cfg.wait_ms = 500;
	if (!(r->tick = dp_timer_add(loop, TICK_MS, tick_fn, r))) {
		free(r);
		return NULL;
	}
	return r;
}

static bool drop(void *val, void *arg)
{
	struct counter *c = val;
	if (c->held)
		give_back(arg, c);
	free(c);
	return false;
}

void dp_ratelease_free(struct dp_ratelease **rp)
{
	struct dp_ratelease *r = *rp;
	if (!r)
		return;
	*rp = NULL;
	dp_timer_cancel(&r->tick);
	sy_map_filter(&r->counters, drop, r);
	sy_map_release(&r->counters);
	free(r);
}

uint32_t dp_ratelease_held(struct dp_ratelease *r, const char *kind, const char *id,
                           uint32_t window_s)
{
	char key[96];
	snprintf(key, sizeof(key), "%s:%s", kind, id);
	const struct counter *c = sy_map_get(&r->counters, key);
	int64_t now_s = sy_unix_s();
	return c && c->window_s == window_s && c->window_start == now_s - now_s % window_s ? c->held
	                                                                                   : 0;
}
