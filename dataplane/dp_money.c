/* dp_money.c - leases, reservations and rate limits of one worker.
 *
 * A lease per API key this worker serves (one key belongs to one org, so the key identifies
 * the (org, key) pair the controlplane checks). Its accounting, in money units:
 *   granted  = what the controlplane holds for this lease as far as we know: grants minus
 *              returns minus the costs of requests settled here (their usage records carry
 *              the cost to the controlplane, which takes it from the lease);
 *   reserved = the worst cases of the requests in flight;
 *   available = granted - reserved, what a new request may reserve.
 * At most one LeaseRequest per lease is outstanding; requests that do not fit wait in FIFO
 * order. A grant is credited whenever it arrives, even late or twice (each one really was
 * moved into pending), so the worker never believes it holds more than the controlplane
 * does. */
#include "dp_money.h"
#include "dp_link.h"
#include "dp_free.h"
#include "dp_loop.h"
#include "dp_ratelease.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_map.h"
#include "sy_msg.h"
#include "sy_refusal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 200
#define RESEND_MS 500        /* an unanswered lease request goes out again */
#define REFUSED_MS 250       /* a refusal answers later requests this long without asking */
#define LEASE_SLACK 8        /* a lease asks for this many worst cases beyond its need */
#define LOW_WATER 4          /* ... and asks ahead when fewer than this many are left */
#define RATE_MS 1000         /* the window a lease measures its spending over */
#define SWEEP_MS 10000       /* rate counters of past windows are dropped */
#define DEFAULT_TTL_MS 30000 /* until the first grant says otherwise */

/* ---- state ------------------------------------------------------------------------------ */

struct counter {
	char key[80];         /* "<limit>:<key hash or org id>" */
	int64_t window_start; /* unix seconds */
	int64_t window_s;
	uint32_t count;
};

struct dp_lease {
	char id[48];
	char key_hash[65];
	char org_id[65];
	sy_money granted;
	sy_money reserved;
	int64_t expires_ms; /* monotonic; 0 before the first grant */
	uint32_t ttl_ms;
	int64_t last_used_ms;
	bool retired; /* the controlplane dropped it: no new reservations */
	/* sizing: requests for more cover what is in flight plus a few seconds of spending */
	sy_money unit;                     /* the last worst case reserved */
	sy_money spent_window, spent_rate; /* costs settled in this and the last RATE_MS */
	int64_t window_start;
	/* the outstanding request */
	uint64_t req_id; /* 0 = none */
	int64_t req_sent_ms;
	bool req_unsent; /* the send failed: the tick retries */
	/* the last refusal, answered locally for REFUSED_MS */
	int64_t refused_until;
	sy_money refused_need;
	sy_money asked_credits;   /* the org's credits when the last request went out */
	sy_money refused_credits; /* ... and when it was refused: a top-up voids the refusal */
	char reason[16];
	char period[16];
	/* requests waiting for more */
	struct dp_admission *head, *tail;
};

struct dp_money {
	struct dp_loop *loop;
	struct dp_money_config cfg;
	char nonce[24];
	uint64_t next_lease, next_req;
	struct sy_map by_key; /* key hash -> current lease */
	struct sy_map by_id;  /* lease id -> lease (retired ones too) */
	struct sy_map counters;
	struct dp_timer *tick;
	int64_t next_sweep;
};

sy_money dp_lease_available(const struct dp_lease *l)
{
	return l->granted - l->reserved;
}

struct dp_lease *dp_money_lease(struct dp_money *m, const char *key_hash)
{
	return sy_map_get(&m->by_key, key_hash);
}

/* ---- worst case -------------------------------------------------------------------------- */

sy_money dp_money_worst_case(const struct dp_route_plan *plan, const struct dp_chat_req *req,
                             uint32_t cap, bool *free_model)
{
	sy_money worst = 0;
	*free_model = false;
	for (size_t i = 0; i < plan->n; i++) {
		const struct dp_route_target *t = &plan->t[i];
		uint32_t maxc = req->embeddings ? 0 : cap; /* embeddings: input tokens only */
		if (req->max_tokens > 0 && (uint64_t)req->max_tokens < maxc)
			maxc = (uint32_t)req->max_tokens;
		if (t->ep->has_max_completion_tokens && t->ep->max_completion_tokens &&
		    t->ep->max_completion_tokens < maxc)
			maxc = t->ep->max_completion_tokens;
		sy_money c = sy_cost_worst_case(&t->price, req->prompt_tokens_est, maxc);
		if (c > worst)
			worst = c;
		*free_model = *free_model || t->free_variant;
	}
	return worst;
}

/* ---- rate limits ------------------------------------------------------------------------- */

static uint32_t share(const struct dp_money *m, uint32_t limit)
{
	uint32_t w = (uint32_t)m->cfg.cluster_workers;
	return (limit + w - 1) / w;
}

static struct counter *counter_of(struct dp_money *m, const struct dp_rate_limit *l, int64_t now_s,
                                  bool create)
{
	char key[80];
	snprintf(key, sizeof(key), "%s:%s", l->kind, l->id);
	struct counter *c = sy_map_get(&m->counters, key);
	if (!c && create) {
		if (!(c = calloc(1, sizeof(*c))))
			return NULL;
		snprintf(c->key, sizeof(c->key), "%s", key);
		c->window_s = l->window_s;
		if (sy_map_put(&m->counters, c->key, c, NULL)) {
			free(c);
			return NULL;
		}
	}
	int64_t start = now_s - now_s % l->window_s;
	if (c && c->window_start != start) {
		c->window_start = start;
		c->count = 0;
	}
	return c;
}

/* The local share of every limit (without rate leases, or when the controlplane does not
 * grant them: dp_ratelease). */
static bool rate_check(struct dp_money *m, struct dp_admission *a, const struct dp_admit_req *rq)
{
	struct dp_rate_limit ls[DP_RATE_LIMITS_MAX];
	size_t n = dp_ratelease_limits(rq, ls);
	int64_t now_s = sy_unix_s();
	for (size_t i = 0; i < n; i++) {
		struct counter *c = counter_of(m, &ls[i], now_s, false);
		if (!c || ls[i].tokens || c->count < share(m, ls[i].limit))
			continue;
		dp_ratelease_refuse(a, &ls[i], c->window_start, now_s);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		struct counter *c = counter_of(m, &ls[i], now_s, true);
		if (c)
			c->count++;
	}
	return true;
}

/* Keep a counter of the current window; free one of a past window. */
static bool counter_live(void *val, void *arg)
{
	struct counter *c = val;
	if (c->window_start + c->window_s > *(const int64_t *)arg)
		return true;
	free(c);
	return false;
}

static void sweep_counters(struct dp_money *m, int64_t now_s)
{
	sy_map_filter(&m->counters, counter_live, &now_s);
}

/* ---- talking to the controlplane --------------------------------------------------------- */

static int send_request(struct dp_money *m, struct dp_lease *l, sy_money want, sy_money need)
{
	Sy__LeaseRequest rq = SY__LEASE_REQUEST__INIT;
	rq.request_id = l->req_id = ++m->next_req;
	rq.lease_id = l->id;
	rq.org_id = l->org_id;
	rq.key_hash = l->key_hash;
	rq.want = want;
	rq.has_want = true;
	rq.need = need;
	rq.has_need = true;
	rq.worker_id = m->nonce;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_LEASE_REQUEST;
	env.lease_request = &rq;
	l->req_sent_ms = dp_loop_now_ms(m->loop);
	int rc = dp_link_post(m->cfg.link, &env);
	l->req_unsent = rc != 0;
	return rc;
}

static void send_return(struct dp_money *m, const char *id, sy_money amount, bool close)
{
	Sy__LeaseReturn r = SY__LEASE_RETURN__INIT;
	r.lease_id = (char *)id;
	r.amount = amount > 0 ? amount : 0;
	r.has_amount = true;
	r.close = close;
	r.has_close = true;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_LEASE_RETURN;
	env.lease_return = &r;
	int rc = dp_link_post(m->cfg.link, &env);
	if (rc)
		sy_debug("money: lease %s return not sent (%s); it expires instead", id,
		         sy_strerror(rc));
}

/* Ask for what the waiters need, plus room for LEASE_SLACK more requests, for as much again
 * as is in flight, and for two windows of spending: under steady load a lease asks every few
 * seconds, not every few requests. need is what the first waiter lacks (0 when asking
 * ahead: then the grant may be anything the controlplane can spare). */
static void request_more(struct dp_money *m, struct dp_lease *l)
{
	sy_money waiting = 0, head = l->head ? l->head->reserve : 0;
	for (struct dp_admission *a = l->head; a; a = a->next)
		waiting += a->reserve;
	sy_money avail = dp_lease_available(l);
	sy_money need = head > avail ? head - avail : 0;
	sy_money want = waiting > avail ? waiting - avail : 0;
	want += (head ? head : l->unit) * LEASE_SLACK + l->reserved + 2 * l->spent_rate;
	send_request(m, l, want, need);
}

/* Ask ahead, before requests have to wait, when the lease runs low. */
static void maybe_ask_ahead(struct dp_money *m, struct dp_lease *l)
{
	sy_money low = l->unit * LOW_WATER > l->reserved ? l->unit * LOW_WATER : l->reserved;
	if (!l->req_id && !l->retired && !l->head && l->expires_ms && dp_lease_available(l) < low)
		request_more(m, l);
}

/* ---- leases ------------------------------------------------------------------------------ */

static struct dp_lease *lease_new(struct dp_money *m, const Sy__ApiKey *k)
{
	struct dp_lease *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	snprintf(l->id, sizeof(l->id), "%s.%llu", m->nonce, (unsigned long long)++m->next_lease);
	snprintf(l->key_hash, sizeof(l->key_hash), "%s", k->hash);
	snprintf(l->org_id, sizeof(l->org_id), "%s", k->org_id);
	l->ttl_ms = DEFAULT_TTL_MS;
	l->last_used_ms = dp_loop_now_ms(m->loop);
	if (sy_map_put(&m->by_id, l->id, l, NULL) || sy_map_put(&m->by_key, l->key_hash, l, NULL)) {
		sy_map_del(&m->by_id, l->id);
		free(l);
		return NULL;
	}
	return l;
}

static void lease_free(struct dp_money *m, struct dp_lease *l)
{
	sy_map_del(&m->by_id, l->id);
	if (sy_map_get(&m->by_key, l->key_hash) == l)
		sy_map_del(&m->by_key, l->key_hash);
	free(l);
}

/* The lease stops taking reservations; a fresh one replaces it for its key. */
static void retire(struct dp_money *m, struct dp_lease *l)
{
	l->retired = true;
	if (sy_map_get(&m->by_key, l->key_hash) == l)
		sy_map_del(&m->by_key, l->key_hash);
}

/* Give the unused part back and forget the lease (nothing may be reserved on it). */
static void close_lease(struct dp_money *m, struct dp_lease *l)
{
	send_return(m, l->id, dp_lease_available(l), true);
	lease_free(m, l);
}

/* Usable for new reservations: granted, not retired, and far enough from expiry that the
 * renewals will come through. */
static bool usable(const struct dp_lease *l, int64_t now)
{
	return !l->retired && l->expires_ms && now + l->ttl_ms / 3 < l->expires_ms;
}

static void unlink_waiter(struct dp_lease *l, struct dp_admission *a)
{
	struct dp_admission **pp = &l->head, *prev = NULL;
	for (; *pp && *pp != a; pp = &(*pp)->next)
		prev = *pp;
	if (!*pp)
		return;
	*pp = a->next;
	if (l->tail == a)
		l->tail = prev;
	a->next = NULL;
}

static void take(struct dp_lease *l, struct dp_admission *a, int64_t now)
{
	a->lease = l;
	a->reserved = a->reserve;
	snprintf(a->lease_id, sizeof(a->lease_id), "%s", l->id);
	l->reserved += a->reserve;
	l->unit = a->reserve;
	l->last_used_ms = now;
}

static void refuse(struct dp_admission *a, const char *reason, const char *period)
{
	static const char *const periods[] = {"daily", "weekly", "monthly", "lifetime"};
	a->status = 402;
	a->error_type = "insufficient_credits";
	bool guardrail = !strcmp(reason, "guardrail");
	if (guardrail || !strcmp(reason, "budget")) {
		a->status = 403;
		a->error_type = guardrail ? "guardrail_budget_exceeded" : "budget_exceeded";
		a->budget = "lifetime";
		for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
			if (period && !strcmp(period, periods[i]))
				a->budget = periods[i];
		if (guardrail)
			snprintf(
			    a->message, sizeof(a->message),
			    "Guardrail budget exceeded: a guardrail's %s spending limit for this "
			    "key is used up",
			    a->budget);
		else
			snprintf(a->message, sizeof(a->message),
			         "Budget exceeded: the org's %s budget is used up", a->budget);
	} else if (!strcmp(reason, "key_limit")) {
		a->error_type = "key_limit_exceeded";
		snprintf(a->message, sizeof(a->message),
		         "Key limit reached: this key's spending limit is used up");
	} else if (!strcmp(reason, "unknown_key")) {
		a->status = 401;
		a->error_type = "invalid_key";
		snprintf(a->message, sizeof(a->message), "This API key is not valid (any more)");
	} else if (!strcmp(reason, "expired")) {
		a->status = 503;
		a->error_type = "credits_unavailable";
		snprintf(a->message, sizeof(a->message),
		         "Could not reserve credits for this request (the controlplane is not "
		         "reachable); retry shortly");
	} else {
		snprintf(a->message, sizeof(a->message),
		         "Insufficient credits: the org's balance cannot cover this request; add "
		         "credits and retry");
	}
}

static void deliver(struct dp_loop *loop, void *arg)
{
	struct dp_admission *a = arg;
	a->timer = NULL;
	a->waiting = false;
	a->fn(a, a->arg);
}

/* A waiting admission is decided (and out of the queue): tell its owner from the loop. */
static void finish_wait(struct dp_admission *a)
{
	a->queued = false;
	dp_timer_cancel(&a->timer);
	if (a->status)
		a->lease = NULL;
	if (!(a->timer = dp_timer_add(a->m->loop, 0, deliver, a)))
		deliver(a->m->loop, a);
}

/* Serve the waiters that fit, FIFO. */
static void serve_waiters(struct dp_money *m, struct dp_lease *l)
{
	int64_t now = dp_loop_now_ms(m->loop);
	while (l->head && usable(l, now) && dp_lease_available(l) >= l->head->reserve) {
		struct dp_admission *a = l->head;
		unlink_waiter(l, a);
		take(l, a, now);
		finish_wait(a);
	}
}

static void fail_waiters(struct dp_lease *l, const char *reason, const char *period)
{
	while (l->head) {
		struct dp_admission *a = l->head;
		unlink_waiter(l, a);
		refuse(a, reason, period);
		finish_wait(a);
	}
}

static void on_grant(struct dp_money *m, const Sy__LeaseGrant *g)
{
	struct dp_lease *l = sy_map_get(&m->by_id, g->lease_id);
	sy_money granted = g->has_granted && g->granted > 0 ? g->granted : 0;
	if (!l) {
		/* a late grant for a lease given up: give it straight back */
		if (granted)
			send_return(m, g->lease_id, granted, true);
		return;
	}
	int64_t now = dp_loop_now_ms(m->loop);
	bool current = g->request_id == l->req_id;
	if (current)
		l->req_id = 0;
	if (g->has_refused && g->refused) {
		Sy__LeaseRefusal why = g->has_refusal ? g->refusal : sy_refusal_parse(g->reason);
		const char *reason = sy_refusal_name(why);
		if (!*reason) /* NONE or a value newer than this worker: refused all the same */
			reason = sy_refusal_name(why = SY__LEASE_REFUSAL__LEASE_REFUSAL_BALANCE);
		if (why == SY__LEASE_REFUSAL__LEASE_REFUSAL_EXPIRED ||
		    why == SY__LEASE_REFUSAL__LEASE_REFUSAL_UNKNOWN_KEY) {
			/* the controlplane no longer holds it: in-flight requests settle without
			 * it; new ones start a new lease */
			l->granted = l->reserved;
			retire(m, l);
		}
		if (!current)
			return;
		snprintf(l->reason, sizeof(l->reason), "%s", reason);
		snprintf(l->period, sizeof(l->period), "%s", g->period ? g->period : "");
		l->refused_until = now + REFUSED_MS;
		l->refused_credits = l->asked_credits;
		sy_money avail = dp_lease_available(l);
		l->refused_need =
		    l->head && l->head->reserve > avail ? l->head->reserve - avail : 1;
		serve_waiters(m, l);
		fail_waiters(l, reason, l->period);
	} else {
		l->granted += granted;
		if (g->has_ttl_ms && g->ttl_ms)
			l->ttl_ms = g->ttl_ms;
		if (current || granted)
			l->expires_ms = now + l->ttl_ms;
		l->refused_until = 0;
		serve_waiters(m, l);
		if (l->head && !l->req_id)
			request_more(m, l);
	}
	if (l->retired && !l->reserved && !l->head)
		close_lease(m, l);
}

static void on_grant_env(const Sy__Envelope *env, void *arg)
{
	on_grant(arg, env->lease_grant);
}

/* ---- the tick ------------------------------------------------------------------------------ */

static void tick_lease(struct dp_money *m, struct dp_lease *l, int64_t now)
{
	bool busy = l->reserved || l->head;
	if (l->req_id && (l->req_unsent || now - l->req_sent_ms >= RESEND_MS)) {
		if (l->head)
			request_more(m, l);
		else
			send_request(m, l, 0, 0);
		return;
	}
	if (l->expires_ms && now >= l->expires_ms && !l->retired) {
		sy_warn("money: lease %s expired before it could be renewed (controlplane "
		        "unreachable?)",
		        l->id);
		retire(m, l);
		fail_waiters(l, "expired", "");
	}
	if (l->retired) {
		if (!busy)
			close_lease(m, l);
		return;
	}
	bool recent = now - l->last_used_ms < l->ttl_ms / 3;
	if (!busy && !recent) {
		close_lease(m, l);
		return;
	}
	if (!l->req_id && l->expires_ms && l->expires_ms - now < l->ttl_ms * 2 / 3)
		send_request(m, l, 0, 0); /* renew */
}

static void tick_fn(struct dp_loop *loop, void *arg)
{
	struct dp_money *m = arg;
	int64_t now = dp_loop_now_ms(loop);
	m->tick = NULL;
	/* closing leases changes the map: collect first */
	size_t n = m->by_id.n, k = 0;
	struct dp_lease **v = n ? calloc(n, sizeof(*v)) : NULL;
	void *val;
	for (size_t i = 0; v && sy_map_next(&m->by_id, &i, &val);)
		v[k++] = val;
	for (size_t i = 0; i < k; i++)
		tick_lease(m, v[i], now);
	free(v);
	if (now >= m->next_sweep) {
		sweep_counters(m, sy_unix_s());
		m->next_sweep = now + SWEEP_MS;
	}
	m->tick = dp_timer_add(loop, TICK_MS, tick_fn, m);
}

/* ---- admission ----------------------------------------------------------------------------- */

static void wait_timeout(struct dp_loop *loop, void *arg)
{
	struct dp_admission *a = arg;
	a->timer = NULL;
	if (a->lease)
		unlink_waiter(a->lease, a);
	a->lease = NULL;
	a->status = 503;
	a->error_type = "credits_unavailable";
	snprintf(a->message, sizeof(a->message),
	         "Could not reserve credits for this request in time (the controlplane did not "
	         "answer); retry shortly");
	finish_wait(a);
}

enum dp_admit_result dp_money_admit(struct dp_money *m, struct dp_admission *a,
                                    const struct dp_admit_req *rq, dp_admit_fn *fn, void *arg)
{
	const Sy__Org *o = rq->org;
	a->m = m;
	a->reserve = rq->reserve;
	if (!rq->rates_leased && !rate_check(m, a, rq))
		return DP_ADMIT_REFUSED;
	bool postpaid = o && o->has_postpaid && o->postpaid;
	if (!postpaid && (!o || o->credits - o->debits_posted <= 0)) {
		refuse(a, "balance", "");
		return DP_ADMIT_REFUSED;
	}
	if (rq->reserve <= 0)
		return DP_ADMIT_OK;
	int64_t now = dp_loop_now_ms(m->loop);
	struct dp_lease *l = sy_map_get(&m->by_key, rq->key->hash);
	/* a lease too close to its expiry to take new work (its renewals did not get
	 * through): in-flight requests finish on it, new ones start a fresh lease */
	if (l && l->expires_ms && !usable(l, now) && !l->head) {
		retire(m, l);
		l = NULL;
	}
	if (!l && !(l = lease_new(m, rq->key))) {
		a->status = 503;
		a->error_type = "internal";
		snprintf(a->message, sizeof(a->message), "out of memory");
		return DP_ADMIT_REFUSED;
	}
	if (!l->head && usable(l, now) && dp_lease_available(l) >= rq->reserve) {
		take(l, a, now);
		maybe_ask_ahead(m, l);
		return DP_ADMIT_OK;
	}
	if (now < l->refused_until && rq->reserve - dp_lease_available(l) >= l->refused_need &&
	    (!o || o->credits == l->refused_credits)) {
		refuse(a, l->reason, l->period);
		return DP_ADMIT_REFUSED;
	}
	if (!(a->timer = dp_timer_add(m->loop, m->cfg.lease_wait_ms, wait_timeout, a))) {
		a->status = 503;
		a->error_type = "internal";
		snprintf(a->message, sizeof(a->message), "out of memory");
		return DP_ADMIT_REFUSED;
	}
	a->fn = fn;
	a->arg = arg;
	a->waiting = a->queued = true;
	a->lease = l;
	a->next = NULL;
	if (l->tail)
		l->tail->next = a;
	else
		l->head = a;
	l->tail = a;
	l->last_used_ms = now;
	l->asked_credits = o ? o->credits : 0;
	if (!l->req_id)
		request_more(m, l);
	return DP_ADMIT_WAIT;
}

void dp_money_settle(struct dp_admission *a, sy_money cost)
{
	struct dp_lease *l = a->lease;
	if (a->waiting || !l || !a->reserved)
		return;
	struct dp_money *m = a->m;
	int64_t now = dp_loop_now_ms(m->loop);
	l->reserved -= a->reserved;
	l->granted -= cost;
	a->reserved = 0;
	a->lease = NULL;
	l->last_used_ms = now;
	if (now - l->window_start >= RATE_MS) {
		/* a window with no settlement at all reads as no spending */
		l->spent_rate = now - l->window_start < 2 * RATE_MS ? l->spent_window : 0;
		l->spent_window = 0;
		l->window_start = now;
	}
	l->spent_window += cost;
	if (l->retired) {
		if (!l->reserved && !l->head)
			close_lease(m, l);
		return;
	}
	serve_waiters(m, l);
	maybe_ask_ahead(m, l);
}

void dp_money_cancel(struct dp_admission *a)
{
	if (!a->waiting)
		return;
	a->waiting = false;
	dp_timer_cancel(&a->timer);
	if (a->queued && a->lease)
		unlink_waiter(a->lease, a);
	a->queued = false;
	/* admitted but not told yet: the reservation goes back unused */
	dp_money_settle(a, 0);
	a->lease = NULL;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

struct dp_money *dp_money_new(struct dp_loop *loop, const struct dp_money_config *cfg)
{
	struct dp_money *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->loop = loop;
	m->cfg = *cfg;
	if (m->cfg.cluster_workers < 1)
		m->cfg.cluster_workers = 1;
	if (!m->cfg.lease_wait_ms)
		m->cfg.lease_wait_ms = 2000;
	/* lease ids must not repeat across restarts of the same worker */
	char rnd[9];
	sy_random_alnum(rnd, 8);
	snprintf(m->nonce, sizeof(m->nonce), "%.10s-%s", cfg->worker_tag ? cfg->worker_tag : "w",
	         rnd);
	m->next_sweep = dp_loop_now_ms(loop) + SWEEP_MS;
	if (!(m->tick = dp_timer_add(loop, TICK_MS, tick_fn, m)) ||
	    dp_link_on(cfg->link, SY__ENVELOPE__BODY_LEASE_GRANT, on_grant_env, m)) {
		dp_timer_cancel(&m->tick);
		free(m);
		return NULL;
	}
	return m;
}

void dp_money_free(struct dp_money **mp)
{
	struct dp_money *m = *mp;
	if (!m)
		return;
	*mp = NULL;
	dp_link_on(m->cfg.link, SY__ENVELOPE__BODY_LEASE_GRANT, NULL, NULL);
	dp_timer_cancel(&m->tick);
	void *val;
	for (size_t i = 0; sy_map_next(&m->by_id, &i, &val);) {
		struct dp_lease *l = val;
		send_return(m, l->id, dp_lease_available(l), true);
		free(l);
	}
	for (size_t i = 0; sy_map_next(&m->counters, &i, &val);)
		free(val);
	sy_map_release(&m->by_id);
	sy_map_release(&m->by_key);
	sy_map_release(&m->counters);
	free(m);
}
