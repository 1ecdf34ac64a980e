/* dp_chat.c - one chat completion: validate, route, call upstream with fail-over, answer,
 * settle exactly once.
 *
 * Life of a chat: dp_chat_start parses and routes (errors answer at once), suspends the
 * connection and starts the first attempt. An attempt that fails before anything reached the
 * client moves to the next target of the plan (or, with no target left, retries a quick
 * failure of the same endpoint once); a 400 context-length error moves only to a later model
 * with a longer context. Non-streaming answers are rewritten and sent whole. Streams are
 * forwarded chunk by chunk through a queue that an MHD callback response reads.
 *
 * Streams and fail-over: the 200 and its headers go out with the first processing comment
 * or the first token, whichever comes first. Fail-over stays possible until the first data
 * chunk carrying content (or a finish) was forwarded: comments carry no output, so a switch
 * of provider behind them is invisible. Chunks before that (e.g. a role-only preamble) are
 * held back. After that, failures become the in-band error chunk (finish_reason "error"),
 * after which the stream ends without [DONE], as OpenRouter does.
 *
 * The chat is freed in dp_chat_closed (MHD's completion notifier), where it also settles:
 * one usage record per request on every path. Answers given at once from dp_chat_start
 * settle and free there. */
#include "dp_chat.h"
#include "dp_client.h"
#include "dp_adapter.h"
#include "dp_autorouter.h"
#include "dp_byok.h"
#include "dp_embed.h"
#include "dp_debug.h"
#include "dp_heal.h"
#include "dp_failover.h"
#include "dp_errtype.h"
#include "dp_health.h"
#include "dp_jtext.h"
#include "dp_loop.h"
#include "dp_metrics.h"
#include "dp_middleout.h"
#include "dp_money.h"
#include "dp_policy.h"
#include "dp_ratelease.h"
#include "dp_request.h"
#include "dp_response.h"
#include "dp_route.h"
#include "dp_skin.h"
#include "dp_sse.h"
#include "dp_upstream.h"
#include "dp_usage.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_buf.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_failure.h"
#include "sy_json.h"
#include "sy_key.h"
#include "sy_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define MAX_ATTEMPTS (2 * DP_ROUTE_MAX) /* every target, each retried once */
#define BODY_MAX (16u << 20)            /* a non-streaming upstream answer */
#define ERROR_BODY_MAX (64u << 10)      /* what is kept of an upstream error body */
#define RAW_MAX 1024                    /* of that, shown to the client in metadata.raw */
#define SSE_EVENT_MAX (4u << 20)        /* one upstream stream event */
#define HELD_MAX (1u << 20)             /* chunks held back before the first token */
#define HEAL_MAX BODY_MAX               /* a healed stream's content kept */

/* Why an attempt failed, and what the client gets if it is the last word. */
struct failure {
	enum sy_fail cls;        /* its row in the failure table (sy_failure) */
	const char *error_class; /* Attempt.error_class: the class's name */
	int status;              /* HTTP status for the client */
	const char *error_type;  /* metadata.error_type */
	char message[256];
};

struct dp_chat {
	struct dp_worker *w;
	struct dp_chat *prev, *next; /* w->chats */
	struct dp_view *view;
	const Sy__ApiKey *key;
	struct dp_chat_req req;
	struct dp_chat_req fitted; /* req made to fit the current endpoint (dp_middleout) */
	bool parsed;
	char id[SY_GEN_ID_MAX];
	int64_t created;             /* unix seconds */
	int64_t t0;                  /* monotonic ms at the start */
	struct dp_overhead overhead; /* the gateway's own time (X-Switchyard-Overhead-Us) */
	char *session_id, *referer, *title;
	const struct dp_skin *skin; /* the client's wire format */
	void *skin_state;
	bool pass; /* the current attempt passes the client's body through (dp_skin) */
	bool heal; /* response healing asked for (dp_heal) */
	enum dp_heal_status healed; /* its outcome (UsageRecord.heal) */
	struct sy_buf heal_acc;     /* a healed stream's content so far */

	/* routing and attempts */
	struct dp_route_plan plan;
	size_t next_target;
	const struct dp_route_target *cur;
	bool retried_same;            /* the current attempt retries its endpoint */
	const char *retry_reason;     /* why (DP_FAILOVER_WHY_*), NULL = not a retry */
	uint32_t retry_wait_ms;       /* the wait before the retry (Retry-After) */
	struct dp_timer *retry_timer; /* the Retry-After wait */
	struct dp_upstream_call *call;
	int64_t attempt_t0;
	Sy__Attempt attempts[MAX_ATTEMPTS];
	Sy__Attempt *attempt_ptrs[MAX_ATTEMPTS];
	size_t n_attempts;
	struct failure last;
	bool all_rate_limited;
	int64_t retry_after_ms; /* smallest Retry-After seen, -1 = none */

	/* the current attempt's answer */
	const struct dp_adapter *ad; /* the wire format of the current attempt */
	struct dp_adapter_stream ast;
	long up_status;
	int64_t up_retry_after_ms;
	struct sy_buf up_body;
	struct dp_sse sse;
	struct dp_response_stream st;
	struct dp_gen_info g;
	const char *stream_fault;           /* set when the stream itself was broken */
	struct dp_failover_garbage garbage; /* unparsable events of the attempt */

	/* the client's side */
	struct dp_client cl; /* the connection (dp_client) */
	struct sy_buf held;  /* rewritten chunks held back until the first token */
	bool committed;      /* output reached the client: fail-over is off */

	/* outcome */
	const char *error_class;
	bool cancelled;
	struct dp_response_usage usage;
	sy_money cost;
	int64_t first_token_at; /* monotonic ms, 0 = none */
	int64_t served_t0;      /* start of the attempt that served */
	int64_t served_end;     /* when the serving upstream finished */
	bool settled;
	struct dp_admission adm;        /* credits reserved and rate limits (dp_money) */
	struct dp_rate_wait rate;       /* rate tokens (dp_ratelease) */
	struct dp_usage_intent *intent; /* written ahead of the first attempt; open until settled */
	int64_t progress_at; /* when the intent last got the tokens sent (monotonic ms) */
};

static void try_next(struct dp_chat *chat);

static int64_t now_ms(const struct dp_chat *chat)
{
	return dp_loop_now_ms(chat->w->loop);
}

/* A provider's own deadline, else the worker's (dp_main's defaults); 0 = none. */
static uint32_t pick_ms(bool has, uint32_t provider, uint32_t cfg)
{
	return has && provider ? provider : cfg;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static const char *display_name(const Sy__Provider *p)
{
	return p->name && p->name[0] ? p->name : p->slug;
}

/* ---- settling ------------------------------------------------------------------------- */

static const char *nonempty(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* What a usage record says about the request itself, whatever its outcome: the final record
 * and the intent written ahead of the first attempt. t is the target that served (or was
 * tried last) or, for the intent, the first one planned; worker holds 16 bytes. */
static void record_identity(struct dp_chat *chat, const struct dp_route_target *t, char *worker,
                            Sy__UsageRecord *rec)
{
	snprintf(worker, 16, "%d", chat->w->id);
	rec->id = chat->id;
	rec->key_hash = chat->key ? chat->key->hash : NULL;
	rec->org_id = chat->key ? chat->key->org_id : NULL;
	if (t) {
		rec->model = (char *)t->model_id;
		rec->provider = t->prov->slug;
		rec->provider_name = (char *)display_name(t->prov);
		rec->has_free_variant = rec->free_variant = t->free_variant;
	} else if (chat->parsed) {
		rec->model = (char *)(chat->req.model ? chat->req.model : chat->req.models[0]);
	}
	rec->has_streamed = rec->has_created_at = true;
	rec->streamed = chat->parsed && chat->req.stream;
	rec->kind = chat->req.embeddings ? "embeddings" : NULL;
	rec->created_at = chat->created;
	rec->http_referer = chat->referer;
	rec->app_title = chat->title;
	rec->session_id = chat->session_id;
	rec->worker_id = worker;
	if (chat->adm.reserved) {
		rec->lease_id = chat->adm.lease_id;
		rec->has_reserved = true;
		rec->reserved = chat->adm.reserved;
	}
}

static void record_tokens(const struct sy_tokens *t, Sy__UsageRecord *rec)
{
	rec->has_prompt_tokens = rec->has_completion_tokens = rec->has_cached_tokens = true;
	rec->has_cache_write_tokens = rec->has_reasoning_tokens = true;
	rec->prompt_tokens = t->prompt;
	rec->completion_tokens = t->completion;
	rec->cached_tokens = t->cached;
	rec->cache_write_tokens = t->cache_write;
	rec->reasoning_tokens = t->reasoning;
}

/* Keep the write-ahead intent current with what the stream has sent the client, at most every
 * DP_USAGE_PROGRESS_MS: should the worker die now, its crash record charges those tokens at
 * the serving endpoint's price. Rides on the iteration's spool write. */
static void progress(struct dp_chat *chat)
{
	int64_t now = now_ms(chat);
	if (!chat->intent || now - chat->progress_at < DP_USAGE_PROGRESS_MS)
		return;
	chat->progress_at = now;
	struct dp_response_stream st = chat->st;
	dp_response_stream_fill_usage(&st, chat->req.prompt_tokens_est);
	char worker[16];
	Sy__UsageRecord rec = SY__USAGE_RECORD__INIT;
	record_identity(chat, chat->cur, worker, &rec);
	record_tokens(&st.usage.tokens, &rec);
	rec.has_cost = true;
	rec.cost = sy_cost(&chat->cur->price, &st.usage.tokens, NULL);
	dp_usage_progress(chat->w->usage, chat->intent, &rec);
}

static void settle(struct dp_chat *chat)
{
	if (chat->settled)
		return;
	chat->settled = true;
	struct dp_worker *w = chat->w;
	int64_t now = sy_mono_ms();
	char worker[16];

	Sy__UsageRecord rec = SY__USAGE_RECORD__INIT;
	record_identity(chat, chat->cur, worker, &rec);
	record_tokens(&chat->usage.tokens, &rec);
	rec.has_status = true;
	rec.status = (uint32_t)chat->cl.status;
	rec.has_latency_ms = true;
	rec.latency_ms = (uint32_t)(now - chat->t0);
	if (chat->served_t0) {
		int64_t end = chat->served_end ? chat->served_end : now;
		int64_t from = chat->first_token_at ? chat->first_token_at : chat->served_t0;
		rec.has_generation_time_ms = rec.has_ttft_ms = true;
		rec.generation_time_ms = (uint32_t)(end - from);
		rec.ttft_ms =
		    (uint32_t)((chat->first_token_at ? chat->first_token_at : end) - chat->t0);
	}
	rec.has_cancelled = true;
	rec.cancelled = chat->cancelled;
	rec.finish_reason = (char *)nonempty(chat->usage.finish_reason);
	rec.native_finish_reason = (char *)nonempty(chat->usage.native_finish_reason);
	rec.error_class = (char *)chat->error_class;
	rec.has_cost = true;
	rec.cost = chat->cost;
	rec.n_attempts = chat->n_attempts;
	rec.attempts = chat->attempt_ptrs;
	rec.has_usage_from_provider = true;
	rec.usage_from_provider = chat->usage.from_provider;
	rec.has_is_byok = true;
	rec.is_byok = chat->cur && chat->cur->byok;
	rec.has_heal = chat->healed != DP_HEAL_OFF;
	rec.heal = chat->healed;

	/* the lease gets back what the request did not use; the record carries the cost */
	dp_money_settle(&chat->adm, chat->cost);
	dp_ratelease_settle(&chat->rate, chat->usage.tokens.prompt + chat->usage.tokens.completion);
	if (!w->usage || dp_usage_submit(w->usage, &rec))
		sy_err("usage record lost id=%s", chat->id);
	dp_usage_close(w->usage, &chat->intent); /* superseded by the record */
	if (w->in_flight)
		w->in_flight--;
	dp_metrics_chat(w, &rec, dp_overhead_us(&chat->overhead)); /* and the access line */
}

static void chat_free(struct dp_chat *chat)
{
	struct dp_worker *w = chat->w;
	dp_client_release(&chat->cl);
	dp_upstream_call_cancel(&chat->call);
	dp_timer_cancel(&chat->retry_timer);
	if (chat->prev)
		chat->prev->next = chat->next;
	else if (w->chats == chat)
		w->chats = chat->next;
	if (chat->next)
		chat->next->prev = chat->prev;
	dp_request_release(&chat->req);
	if (chat->skin->release)
		chat->skin->release(chat->skin_state);
	dp_request_release(&chat->fitted);
	dp_sse_release(&chat->sse);
	sy_buf_release(&chat->up_body);
	sy_buf_release(&chat->held);
	sy_buf_release(&chat->heal_acc);
	dp_view_unref(&chat->view);
	free(chat->session_id);
	free(chat->referer);
	free(chat->title);
	free(chat);
}

/* ---- answering ------------------------------------------------------------------------ */

/* The chat's own headers on a JSON answer (dp_client adds the common ones). */
static void answer_headers(void *arg, int status, struct MHD_Response *r)
{
	struct dp_chat *chat = arg;
	if (chat->healed != DP_HEAL_OFF)
		MHD_add_response_header(r, "X-Response-Healing", dp_heal_status_name(chat->healed));
	if (status == 429 && chat->retry_after_ms >= 0) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%lld", (long long)((chat->retry_after_ms + 999) / 1000));
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (status == 429 && chat->adm.rate_limited) {
		const struct dp_rate_info *ri = &chat->adm.rate;
		char v[32];
		snprintf(v, sizeof(v), "%u", ri->limit);
		MHD_add_response_header(r, "X-RateLimit-Limit", v);
		snprintf(v, sizeof(v), "%u", ri->remaining);
		MHD_add_response_header(r, "X-RateLimit-Remaining", v);
		snprintf(v, sizeof(v), "%lld", (long long)ri->reset_ms);
		MHD_add_response_header(r, "X-RateLimit-Reset", v);
	}
}

/* Queue a JSON answer (takes json, malloc'ed; NULL = out of memory). */
static enum MHD_Result queue_json(struct dp_chat *chat, int status, char *json)
{
	return dp_client_json(&chat->cl, status, json);
}

/* The error envelope for f, with provider metadata when an upstream was involved. */
static char *failure_json(struct dp_chat *chat, const struct failure *f)
{
	json_t *meta = json_object();
	if (meta && chat->cur) {
		json_object_set_new(meta, "provider_name", json_string(chat->g.provider_name));
		if (chat->up_status)
			json_object_set_new(meta, "status", json_integer(chat->up_status));
		if (chat->up_body.len) {
			/* truncated on a UTF-8 boundary; json_stringn refuses broken UTF-8 */
			size_t n = chat->up_body.len < RAW_MAX ? chat->up_body.len : RAW_MAX;
			while (n && n < chat->up_body.len &&
			       ((unsigned char)chat->up_body.data[n] & 0xC0) == 0x80)
				n--;
			json_t *raw = json_stringn(chat->up_body.data, n);
			json_object_set_new(meta, "raw", raw ? raw : json_null());
		}
	}
	dp_errtype_set(meta, f->error_type);
	return sy_json_error(f->status, f->message, meta);
}

/* The cost of chat->usage on the current target, and its completion part. */
static void price_usage(struct dp_chat *chat, const char *finish_reason)
{
	const struct sy_price *p = chat->cur ? &chat->cur->price : NULL;
	chat->cost = p ? sy_cost(p, &chat->usage.tokens, finish_reason) : 0;
	chat->usage.completion_cost =
	    p ? sy_cost_completion(p, &chat->usage.tokens, chat->cost) : 0;
}

/* End a stream whose 200 already went out with the in-band error chunk (no [DONE]). */
static void end_stream_with_error(struct dp_chat *chat, const struct failure *f)
{
	if (chat->committed) {
		dp_response_stream_fill_usage(&chat->st, chat->req.prompt_tokens_est);
		chat->usage = chat->st.usage;
	}
	snprintf(chat->usage.finish_reason, sizeof(chat->usage.finish_reason), "error");
	price_usage(chat, "error");
	chat->error_class = f->error_class;
	char *chunk = dp_response_error_chunk(&chat->g, f->status, f->message, f->error_type);
	dp_client_frame(&chat->cl, &chat->cl.out, DP_SKIN_ERROR, chunk);
	free(chunk);
	dp_client_end(&chat->cl);
}

/* Every target failed or the last failure is final: tell the client. */
static void fail(struct dp_chat *chat)
{
	const struct failure *f = &chat->last;
	chat->error_class = f->error_class;
	if (!chat->cl.queued)
		queue_json(chat, f->status, failure_json(chat, f));
	else /* the 200 of a stream already went out (with processing comments only) */
		end_stream_with_error(chat, f);
}

/* ---- failure classification ---------------------------------------------------------- */

/* f for class c with the table's status and type; msg (NULL = the table's) for the client. */
static void set_failure(struct failure *f, enum sy_fail c, const char *msg)
{
	const struct sy_failure_class *fc = sy_failure_get(c);
	*f = (struct failure){
	    .cls = c, .error_class = fc->name, .status = fc->status, .error_type = fc->error_type};
	snprintf(f->message, sizeof(f->message), "%s", msg ? msg : fc->message);
}

static enum dp_health_outcome health_of(const struct failure *f)
{
	return sy_failure_get(f->cls)->ejects ? DP_HEALTH_FAULT : DP_HEALTH_NEUTRAL;
}

/* The upstream's own error message, if its body has one. */
static void upstream_message(const struct sy_buf *b, char *out, size_t outlen, const char *fallback)
{
	json_t *j = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	json_t *e = json_object_get(j, "error");
	const char *m = json_string_value(json_object_get(e, "message"));
	if (!m)
		m = json_string_value(e);
	if (!m)
		m = json_string_value(json_object_get(j, "message"));
	snprintf(out, outlen, "%s", m && m[0] ? m : fallback);
	json_decref(j);
}

/* An HTTP answer other than 2xx. */
static void classify_status(struct dp_chat *chat, struct failure *f)
{
	long s = chat->up_status;
	char msg[256];
	enum sy_fail c = dp_failover_class_of_status(
	    s, chat->ad->classify(s, chat->up_body.data, chat->up_body.len), chat->cur->byok);
	switch (c) {
	case SY_FAIL_CLIENT_ERROR:
	case SY_FAIL_CONTEXT_LENGTH: /* the request itself: the provider's word goes back */
		upstream_message(&chat->up_body, msg, sizeof(msg), "Provider rejected the request");
		break;
	case SY_FAIL_BYOK_AUTH: /* not tried again; the endpoint stays healthy for others */
		snprintf(msg, sizeof(msg),
		         "Provider refused your organization's own credential (BYOK, HTTP %ld)", s);
		break;
	case SY_FAIL_PROVIDER_AUTH:
		snprintf(msg, sizeof(msg), "The provider refused its credential (HTTP %ld)", s);
		break;
	case SY_FAIL_RATE_LIMITED:
		snprintf(msg, sizeof(msg), "%s", sy_failure_get(c)->message);
		break;
	default:
		snprintf(msg, sizeof(msg), "Provider returned error (HTTP %ld)", s);
		break;
	}
	set_failure(f, c, msg);
	if (!f->status) /* the upstream's own 4xx */
		f->status = s >= 400 && s < 500 ? (int)s : 400;
}

/* ---- attempts ------------------------------------------------------------------------- */

static void record_attempt(struct dp_chat *chat, const char *error_class,
                           enum dp_health_outcome health)
{
	const struct dp_route_target *t = chat->cur;
	int64_t now = now_ms(chat);
	if (chat->n_attempts < MAX_ATTEMPTS) {
		Sy__Attempt *a = &chat->attempts[chat->n_attempts];
		sy__attempt__init(a);
		a->provider = t->prov->slug;
		a->model = (char *)t->model_id;
		a->has_status = a->has_latency_ms = true;
		a->status = (uint32_t)chat->up_status;
		a->latency_ms = (uint32_t)(now - chat->attempt_t0);
		a->error_class = (char *)error_class;
		a->retry_reason = (char *)chat->retry_reason;
		if (chat->garbage.total) {
			a->has_malformed_events = true;
			a->malformed_events = chat->garbage.total;
		}
		if (chat->retry_wait_ms) {
			a->has_retry_wait_ms = true;
			a->retry_wait_ms = chat->retry_wait_ms;
		}
		chat->attempt_ptrs[chat->n_attempts] = a;
		chat->n_attempts++;
	}
	dp_health_end(chat->w->health, t->model_id, t->prov->slug, health, now);
}

/* Stop the running attempt because the client left or the worker shuts down. */
static void abandon_attempt(struct dp_chat *chat, const char *why)
{
	if (!chat->call)
		return;
	dp_upstream_call_cancel(&chat->call);
	record_attempt(chat, why, DP_HEALTH_NEUTRAL);
}

static uint32_t context_of(const struct dp_route_target *t)
{
	if (t->ep->has_context_length && t->ep->context_length)
		return t->ep->context_length;
	return t->model->has_context_length ? t->model->context_length : 0;
}

/* The next target (from next_target on) of another model with a longer context; plan.n =
 * none. */
static size_t longer_context_target(const struct dp_chat *chat)
{
	uint32_t have = context_of(chat->cur);
	for (size_t i = chat->next_target; i < chat->plan.n; i++) {
		const struct dp_route_target *t = &chat->plan.t[i];
		if (t->model != chat->cur->model && context_of(t) > have)
			return i;
	}
	return chat->plan.n;
}

/* Another endpoint of the current model is left in the plan. */
static bool endpoint_left(const struct dp_chat *chat)
{
	for (size_t i = chat->next_target; i < chat->plan.n; i++)
		if (chat->plan.t[i].model == chat->cur->model)
			return true;
	return false;
}

/* The dataplane's budget for one request (dp_failover). */
static struct dp_failover_budget budget(const struct dp_chat *chat)
{
	const struct dp_config *cfg = chat->w->cfg;
	uint32_t n = cfg->max_attempts;
	return (struct dp_failover_budget){
	    .max_attempts = n && n < MAX_ATTEMPTS ? n : MAX_ATTEMPTS,
	    .time_ms = cfg->attempt_budget_ms,
	    .retry_after_max_ms = cfg->retry_after_max_ms,
	};
}

static struct dp_failover_state failover_state(const struct dp_chat *chat)
{
	return (struct dp_failover_state){
	    .attempts = chat->n_attempts,
	    .elapsed_ms = now_ms(chat) - chat->t0,
	    .retried_same = chat->retried_same,
	    .endpoint_left = endpoint_left(chat),
	    .target_left = chat->next_target < chat->plan.n,
	    .longer_model_left = longer_context_target(chat) < chat->plan.n,
	};
}

static int start_attempt(struct dp_chat *chat, const struct dp_route_target *t);

static void retry_same(struct dp_chat *chat)
{
	chat->retried_same = true;
	if (start_attempt(chat, chat->cur))
		try_next(chat);
}

static void on_retry_due(struct dp_loop *loop, void *arg)
{
	struct dp_chat *chat = arg;
	chat->retry_timer = NULL;
	retry_same(chat);
}

/* The current attempt failed before anything reached the client: dp_failover decides. */
static void attempt_failed(struct dp_chat *chat, const struct failure *f)
{
	record_attempt(chat, f->error_class, health_of(f));
	if (chat->up_status == 429 && chat->up_retry_after_ms >= 0) {
		if (chat->retry_after_ms < 0 || chat->up_retry_after_ms < chat->retry_after_ms)
			chat->retry_after_ms = chat->up_retry_after_ms;
		dp_health_retry_after(chat->w->health, chat->cur->model_id, chat->cur->prov->slug,
		                      now_ms(chat) + chat->up_retry_after_ms);
	}
	chat->all_rate_limited = chat->all_rate_limited && chat->up_status == 429;
	chat->last = *f;
	/* after every fallback failed with 429 the client gets 429, otherwise the last word */
	if (chat->all_rate_limited) {
		chat->last.status = 429;
	} else if (f->status == 429) {
		chat->last.status = 502;
		chat->last.error_type = "provider_error";
	}
	struct dp_failover_budget b = budget(chat);
	struct dp_failover_state st = failover_state(chat);
	struct dp_failover_outcome o = {f->cls, chat->up_status, chat->up_retry_after_ms};
	struct dp_failover_decision d = dp_failover_decide(&b, &o, &st);
	switch (d.next) {
	case DP_FAILOVER_NEXT_MODEL:
		chat->next_target = longer_context_target(chat);
		try_next(chat);
		return;
	case DP_FAILOVER_NEXT_ENDPOINT:
		try_next(chat);
		return;
	case DP_FAILOVER_RETRY_SAME:
		chat->retry_reason = d.why;
		chat->retry_wait_ms = d.wait_ms;
		dp_metrics_retry_same(d.why);
		if (!d.wait_ms) {
			retry_same(chat);
			return;
		}
		chat->retry_timer = dp_timer_add(chat->w->loop, d.wait_ms, on_retry_due, chat);
		if (chat->retry_timer) {
			dp_overhead_wait_begin(&chat->overhead); /* the provider's wait, not ours */
			return;
		}
		break;
	case DP_FAILOVER_GIVE_UP:
		break;
	}
	fail(chat);
}

/* The first token: the client sees output from now on and fail-over is off. */
static void commit(struct dp_chat *chat)
{
	if (chat->committed)
		return;
	chat->committed = true;
	chat->first_token_at = now_ms(chat);
	dp_client_comments_stop(&chat->cl);
	dp_client_stream(&chat->cl); /* on failure a 500 is queued and out is never read */
	dp_client_emit(&chat->cl, chat->held.data ? chat->held.data : "", chat->held.len);
	sy_buf_release(&chat->held);
}

/* Billing and health bookkeeping of the attempt that served. */
static void served(struct dp_chat *chat, const struct dp_response_usage *u)
{
	const struct dp_route_target *t = chat->cur;
	int64_t now = now_ms(chat);
	chat->usage = *u;
	chat->usage.is_byok = t->byok;
	price_usage(chat, nonempty(u->finish_reason));
	chat->served_t0 = chat->attempt_t0;
	chat->served_end = now;
	record_attempt(chat, "", DP_HEALTH_SUCCESS);
	struct dp_health *h = chat->w->health;
	int64_t first = chat->first_token_at ? chat->first_token_at : now;
	double secs = (double)(now - first) / 1000.0;
	dp_health_sample(h, t->model_id, t->prov->slug, (uint32_t)(first - chat->attempt_t0),
	                 chat->first_token_at && secs > 0 ? u->tokens.completion / secs : 0);
}

/* Replace a provider's native answer by its OpenAI-shaped translation, which dp_response
 * reads. On failure the native answer stays (for the error's metadata.raw). */
static int translate_answer(struct dp_chat *chat)
{
	struct sy_buf out;
	sy_buf_init(&out, 0);
	int rc = chat->ad->answer(chat->up_body.data ? chat->up_body.data : "", chat->up_body.len,
	                          &chat->req, &out);
	if (rc || !out.len) { /* an empty translation: the answer stays as it is */
		sy_buf_release(&out);
		return rc;
	}
	sy_buf_release(&chat->up_body);
	chat->up_body = out;
	return 0;
}

/* An embeddings answer (dp_embed), priced and recorded as a chat's. */
static void finish_embeddings(struct dp_chat *chat)
{
	struct dp_embed_answer a;
	struct failure f;
	if (dp_embed_read(chat->ad, chat->up_body.data, chat->up_body.len, &chat->req, &a)) {
		set_failure(&f, SY_FAIL_INVALID_RESPONSE, NULL);
		attempt_failed(chat, &f);
		return;
	}
	served(chat, &a.usage);
	queue_json(chat, 200, dp_embed_finish(&a, &chat->req, &chat->g, chat->cost));
	dp_embed_answer_release(&a);
}

static void finish_json(struct dp_chat *chat)
{
	struct dp_response resp;
	struct dp_response_usage u;
	struct failure f;
	if (chat->req.embeddings) {
		finish_embeddings(chat);
		return;
	}
	/* pass-through: the provider's own answer is the client's (read only for metering) */
	char *native =
	    chat->pass ? strndup(chat->up_body.data ? chat->up_body.data : "", chat->up_body.len)
	               : NULL;
	if ((chat->pass && !native) || (chat->ad->answer && translate_answer(chat)) ||
	    dp_response_parse(chat->up_body.data, chat->up_body.len, &resp, &u)) {
		free(native);
		set_failure(&f, SY_FAIL_INVALID_RESPONSE, NULL);
		attempt_failed(chat, &f);
		return;
	}
	if (!u.from_provider)
		u.tokens.prompt = chat->req.prompt_tokens_est;
	served(chat, &u);
	char *answer =
	    native ? native : dp_response_finish(&resp, &chat->g, &chat->usage, chat->cost);
	if (answer && chat->heal && !native)
		chat->healed = dp_heal_answer(&answer);
	queue_json(chat, 200, answer);
}

static void finish_stream(struct dp_chat *chat)
{
	dp_response_stream_fill_usage(&chat->st, chat->req.prompt_tokens_est);
	commit(chat);
	served(chat, &chat->st.usage);
	char *chunk = dp_response_usage_chunk(&chat->g, &chat->usage, chat->cost);
	if (chat->heal)
		chat->healed = dp_heal_stream_end(&chat->heal_acc, &chunk);
	dp_client_frame(&chat->cl, &chat->cl.out, DP_SKIN_END, chunk);
	free(chunk);
	dp_client_end(&chat->cl);
}

/* The stream broke after output reached the client: the in-band error chunk ends it. */
static void stream_broken(struct dp_chat *chat, const struct failure *f)
{
	record_attempt(chat, f->error_class, health_of(f));
	chat->served_t0 = chat->attempt_t0;
	chat->served_end = now_ms(chat);
	end_stream_with_error(chat, f);
}

/* ---- upstream callbacks --------------------------------------------------------------- */

static bool ok_status(long s)
{
	return s >= 200 && s < 300;
}

static int up_headers(void *arg, long status, int64_t retry_after_ms)
{
	struct dp_chat *chat = arg;
	chat->up_status = status;
	chat->up_retry_after_ms = retry_after_ms;
	return 0;
}

/* One OpenAI-shaped chunk from the adapter: rewritten, held back or forwarded. */
static int on_chunk(const char *data, size_t len, void *arg)
{
	struct dp_chat *chat = arg;
	char *out = NULL;
	int rc = dp_response_stream_rewrite(data, len, &chat->g, &chat->st, &out);
	if (rc)
		return rc;
	if (out && chat->heal && dp_heal_collect(&chat->heal_acc, out)) {
		chat->heal = false; /* too long to keep: counted as unhealable */
		chat->healed = DP_HEAL_UNHEALABLE;
		sy_buf_release(&chat->heal_acc);
	}
	if (out) {
		dp_client_frame(&chat->cl, chat->committed ? &chat->cl.out : &chat->held,
		                DP_SKIN_CHUNK, out);
		free(out);
	}
	if (!chat->committed &&
	    (chat->st.saw_content || chat->st.saw_finish || chat->held.len > HELD_MAX))
		commit(chat);
	if (chat->committed) {
		progress(chat);
		dp_client_wake(&chat->cl);
	}
	return 0;
}

/* An event the adapter refused that is not even JSON is garbage: skipped (logged, counted,
 * on the attempt) unless it makes a run of --malformed-run-max. A well-formed event the
 * adapter refused (an error after the 200) still ends the stream. */
static int on_event(const char *event, const char *data, size_t len, void *arg)
{
	struct dp_chat *chat = arg;
	if (chat->pass && chat->skin->raw_event(chat->skin_state, event, data, len,
	                                        chat->committed ? &chat->cl.out : &chat->held))
		return -ENOMEM;
	struct dp_jval root;
	int rc = chat->ad->stream(&chat->ast, event, data, len, on_chunk, chat);
	if (!rc)
		chat->garbage.run = 0;
	if (rc != SY_EPROTO || !dp_jtext_check(data, len, &root) ||
	    !dp_failover_skip_garbage(&chat->garbage, chat->w->cfg->malformed_run_max))
		return rc;
	sy_warn("chat id=%s provider=%s: skipped an unparsable stream event (%u in a row)",
	        chat->id, chat->cur->prov->slug, chat->garbage.run);
	dp_metrics_count(DP_METRICS_MALFORMED_SKIPPED, 1);
	return 0;
}

static int up_data(void *arg, const char *p, size_t n)
{
	struct dp_chat *chat = arg;
	if (!chat->req.stream || !ok_status(chat->up_status)) {
		size_t cap = ok_status(chat->up_status) ? BODY_MAX : ERROR_BODY_MAX;
		if (chat->up_body.len + n > cap) {
			if (!ok_status(chat->up_status))
				return DP_UPSTREAM_GO; /* enough of an error body */
			chat->stream_fault = "invalid_response";
			return DP_UPSTREAM_STOP;
		}
		return sy_buf_append(&chat->up_body, p, n) ? DP_UPSTREAM_STOP : DP_UPSTREAM_GO;
	}
	if (chat->committed && dp_client_backlogged(&chat->cl))
		return DP_UPSTREAM_PAUSE;
	if (dp_sse_feed(&chat->sse, p, n, on_event, chat)) {
		chat->stream_fault = "malformed_chunk";
		return DP_UPSTREAM_STOP;
	}
	return DP_UPSTREAM_GO;
}

static void up_done(void *arg, enum dp_upstream_result r, const char *detail)
{
	struct dp_chat *chat = arg;
	struct failure f;
	dp_overhead_wait_end(&chat->overhead);
	chat->call = NULL;
	chat->cl.paused = false;
	if (r == DP_UPSTREAM_REFUSED) /* the operator has a provider to fix */
		sy_warn("chat id=%s provider=%s: %s", chat->id, chat->cur->prov->slug, detail);
	else if (r != DP_UPSTREAM_OK)
		sy_debug("chat id=%s provider=%s upstream ended: %s", chat->id,
		         chat->cur->prov->slug, detail);
	bool stream_body = chat->req.stream && ok_status(chat->up_status);
	if (stream_body && chat->st.saw_finish) {
		/* a finish arrived: complete, whatever happened to the connection after it */
		finish_stream(chat);
		return;
	}
	if (chat->stream_fault) {
		set_failure(&f, sy_failure_find(chat->stream_fault), NULL);
	} else if (stream_body && (r == DP_UPSTREAM_OK || r == DP_UPSTREAM_RESET)) {
		set_failure(&f, SY_FAIL_STREAM_CUT, NULL);
	} else if (r != DP_UPSTREAM_OK) {
		set_failure(&f, dp_failover_class_of_result(r),
		            r == DP_UPSTREAM_REFUSED
		                ? "The provider's address is not allowed by the gateway"
		                : NULL);
	} else if (!ok_status(chat->up_status)) {
		classify_status(chat, &f);
	} else {
		finish_json(chat);
		return;
	}
	if (chat->committed)
		stream_broken(chat, &f);
	else
		attempt_failed(chat, &f);
}

/* up_data's work (parsing, rewriting, queueing) is the gateway's own time, not a wait. */
static int up_data_timed(void *arg, const char *p, size_t n)
{
	struct dp_chat *chat = arg;
	dp_overhead_wait_end(&chat->overhead);
	int rc = up_data(arg, p, n);
	dp_overhead_wait_begin(&chat->overhead);
	return rc;
}

static const struct dp_upstream_ops up_ops = {up_headers, up_data_timed, up_done};

/* The skin's pass-through for this attempt: the client's body replaces the translated one
 * (chat->pass), or the skin refuses this endpoint (SY_EINVAL, err). */
static int pass_through(struct dp_chat *chat, const struct dp_route_target *t,
                        struct dp_adapter_call *ac, char *err, size_t errlen)
{
	char *body;
	size_t len;
	const char *const *hdrs = NULL;
	int rc = chat->skin->passthrough ? chat->skin->passthrough(chat->skin_state, chat->ad->name,
	                                                           t->ep->provider_model_id, &body,
	                                                           &len, &hdrs, err, errlen)
	                                 : 0;
	chat->pass = rc == 1;
	if (rc != 1)
		return rc;
	free(ac->body);
	ac->body = body;
	ac->len = len;
	if (hdrs)
		ac->headers = hdrs;
	return 0;
}

/* Start an attempt on t; 0, or a negative code when it could not even start (recorded). */
static int start_attempt(struct dp_chat *chat, const struct dp_route_target *t)
{
	const Sy__Provider *p = t->prov;
	const struct dp_config *cfg = chat->w->cfg;
	struct dp_upstream *u = chat->w->upstream;
	chat->cur = t;
	chat->attempt_t0 = now_ms(chat);
	chat->up_status = 0;
	chat->up_retry_after_ms = -1;
	chat->stream_fault = NULL;
	chat->pass = false;
	chat->garbage = (struct dp_failover_garbage){0};
	chat->st = (struct dp_response_stream){0};
	chat->g.provider_name = display_name(p);
	chat->g.model = t->model_id;
	sy_buf_reset(&chat->up_body);
	sy_buf_reset(&chat->heal_acc); /* what a failed attempt said is not the answer */
	sy_buf_release(&chat->held);
	if (!chat->committed && chat->skin->rewind)
		chat->skin->rewind(chat->skin_state);
	dp_sse_release(&chat->sse);
	dp_sse_init(&chat->sse, SSE_EVENT_MAX);

	const char *drop[DP_ROUTE_DROP_MAX + 1];
	char err[256] = "";
	struct dp_adapter_call ac = {0};
	dp_route_unsupported(&chat->req, t, drop, DP_ROUTE_DROP_MAX);
	chat->ad = dp_adapter_find(p->adapter);
	/* middle-out: the prompt made to fit this endpoint's context, when it must */
	const struct dp_chat_req *creq = &chat->req;
	dp_request_release(&chat->fitted);
	int rc =
	    chat->req.embeddings
	        ? 0
	        : dp_middleout_apply(&chat->req, dp_route_context(t->model, t->ep), &chat->fitted);
	if (rc == 1)
		creq = &chat->fitted;
	rc = rc < 0                      ? rc
	     : !chat->ad || !p->base_url ? SY_ENOTFOUND
	     : chat->req.embeddings ? dp_embed_build(chat->ad, &chat->req, t, &ac, err, sizeof(err))
	                            : chat->ad->build(creq, t, drop, &ac, err, sizeof(err));
	if (chat->ad)
		dp_adapter_stream_init(&chat->ast, creq);
	if (!rc)
		rc = pass_through(chat, t, &ac, err, sizeof(err));
	struct dp_upstream_req req = {
	    .url = ac.url,
	    .bearer = t->bearer ? t->bearer : p->api_key,
	    .key_header = ac.key_header,
	    .headers = ac.headers,
	    .stream = chat->req.stream,
	    .connect_ms =
	        pick_ms(p->has_connect_timeout_ms, p->connect_timeout_ms, cfg->connect_timeout_ms),
	    .first_byte_ms =
	        pick_ms(p->has_first_byte_timeout_ms, p->first_byte_timeout_ms,
	                chat->req.stream ? cfg->first_byte_timeout_ms : cfg->answer_timeout_ms),
	    .idle_ms = pick_ms(p->has_idle_timeout_ms, p->idle_timeout_ms, cfg->idle_timeout_ms),
	    .total_ms =
	        pick_ms(p->has_total_timeout_ms, p->total_timeout_ms, cfg->total_timeout_ms),
	    .internal = p->internal,
	    .proxy = cfg->upstream_proxy,
	};
	if (!rc && chat->req.stream && dp_debug_echo(&chat->req)) {
		/* held with the attempt's chunks: shown only if this attempt serves */
		char *dbg = dp_debug_chunk(&chat->g, ac.body, ac.len);
		if (dbg)
			dp_client_frame(&chat->cl, &chat->held, DP_SKIN_CHUNK, dbg);
		free(dbg);
	}
	if (!rc)
		chat->call = dp_upstream_call_start(u, &req, &ac.body, ac.len, &up_ops, chat);
	dp_adapter_call_release(&ac);
	if (!chat->call) {
		struct failure f;
		if (rc == SY_EINVAL) /* this format cannot say what the client asked: another may */
			set_failure(&f, SY_FAIL_UNSUPPORTED_REQUEST, err);
		else
			set_failure(&f, rc == SY_ENOTFOUND ? SY_FAIL_CONFIG : SY_FAIL_INTERNAL,
			            NULL);
		record_attempt(chat, f.error_class, health_of(&f));
		chat->last = f;
		chat->all_rate_limited = false;
		return -ENOMEM;
	}
	dp_health_begin(chat->w->health, t->model_id, p->slug, chat->attempt_t0);
	dp_overhead_wait_begin(&chat->overhead);
	return 0;
}

/* The next target of the plan that starts, within the budget; else the client is told. */
static void try_next(struct dp_chat *chat)
{
	struct dp_failover_budget b = budget(chat);
	chat->retried_same = false;
	chat->retry_reason = NULL;
	chat->retry_wait_ms = 0;
	while (chat->next_target < chat->plan.n) {
		struct dp_failover_state st = {.attempts = chat->n_attempts,
		                               .elapsed_ms = now_ms(chat) - chat->t0};
		if (!dp_failover_within_budget(&b, &st))
			break;
		if (!start_attempt(chat, &chat->plan.t[chat->next_target++]))
			return;
	}
	fail(chat);
}

/* ---- routing context ------------------------------------------------------------------ */

static const Sy__Model *rc_model(void *arg, const char *id)
{
	struct dp_chat *chat = arg;
	return dp_view_model(chat->view, id);
}

static const Sy__Provider *rc_provider(void *arg, const char *slug)
{
	struct dp_chat *chat = arg;
	return dp_view_provider(chat->view, slug);
}

/* Up by this worker's own ejection state and by the controlplane's published uptime. */
static bool endpoint_up(struct dp_chat *chat, const char *model_id, const char *provider,
                        int64_t now)
{
	const Sy__EndpointStat *st = dp_view_endpoint_stat(chat->view, model_id, provider);
	return dp_health_ok(chat->w->health, model_id, provider, now) && !(st && st->degraded);
}

static bool rc_healthy(void *arg, const char *model_id, const char *provider)
{
	struct dp_chat *chat = arg;
	int64_t now = now_ms(chat);
	if (endpoint_up(chat, model_id, provider, now))
		return true;
	/* never eject the last endpoint of a model: with no other one up, this one is */
	const Sy__Model *m = dp_view_model(chat->view, model_id);
	for (size_t i = 0; m && i < m->n_endpoints; i++) {
		const char *other = m->endpoints[i]->provider;
		if (strcmp(other, provider) && endpoint_up(chat, model_id, other, now))
			return false;
	}
	return true;
}

/* Speeds for sorting: this worker's own recent measurements, else the published median. */
static double rc_throughput(void *arg, const char *model_id, const char *provider)
{
	struct dp_chat *chat = arg;
	double own = dp_health_throughput(chat->w->health, model_id, provider);
	const Sy__EndpointStat *st =
	    own > 0 ? NULL : dp_view_endpoint_stat(chat->view, model_id, provider);
	return st && st->throughput ? st->throughput->p50 : own;
}

static double rc_latency(void *arg, const char *model_id, const char *provider)
{
	struct dp_chat *chat = arg;
	double own = dp_health_latency(chat->w->health, model_id, provider);
	const Sy__EndpointStat *st =
	    own > 0 ? NULL : dp_view_endpoint_stat(chat->view, model_id, provider);
	return st && st->latency_ms ? st->latency_ms->p50 : own;
}

static const Sy__EndpointStat *rc_stat(void *arg, const char *model_id, const char *provider)
{
	struct dp_chat *chat = arg;
	return dp_view_endpoint_stat(chat->view, model_id, provider);
}

/* ---- the contract --------------------------------------------------------------------- */

/* Answer at once (before suspending), settle and free. r: the key restriction that refused
 * the request (metadata.rule and .guardrail), or NULL. */
static enum MHD_Result answer_rule(struct dp_chat *chat, int status, const char *message,
                                   const char *error_type, const char *error_class,
                                   const struct dp_policy_refusal *r)
{
	chat->error_class = error_class;
	json_t *meta = json_object();
	dp_errtype_set(meta, error_type);
	if (meta && r)
		json_object_set_new(meta, "rule", json_string(r->rule));
	if (meta && r && r->guardrail)
		json_object_set_new(meta, "guardrail", json_string(r->guardrail));
	enum MHD_Result ret = queue_json(chat, status, sy_json_error(status, message, meta));
	settle(chat);
	chat_free(chat);
	return ret;
}

static enum MHD_Result answer_now(struct dp_chat *chat, int status, const char *message,
                                  const char *error_type, const char *error_class)
{
	return answer_rule(chat, status, message, error_type, error_class, NULL);
}

/* A key restriction refused the request: 403, no provider called, a usage record of cost 0. */
static enum MHD_Result answer_forbidden(struct dp_chat *chat, const struct dp_policy_refusal *r)
{
	return answer_rule(chat, 403, r->message, "forbidden", "forbidden", r);
}

/* The admission refused the request before anything was sent. */
static char *refusal_json(struct dp_chat *chat)
{
	const struct dp_admission *a = &chat->adm;
	json_t *meta = json_object();
	dp_errtype_set(meta, a->error_type ? a->error_type : "internal");
	if (meta && a->budget)
		json_object_set_new(meta, "budget", json_string(a->budget));
	if (meta && a->rate_limited) {
		json_object_set_new(meta, "limit", json_integer(a->rate.limit));
		json_object_set_new(meta, "reset_ms", json_integer(a->rate.reset_ms));
	}
	chat->error_class = a->status == 429 ? "rate_limited" : a->error_type;
	if (a->rate_limited)
		chat->retry_after_ms = (int64_t)a->rate.retry_s * 1000;
	return sy_json_error(a->status, a->message, meta);
}

static enum MHD_Result answer_refused(struct dp_chat *chat)
{
	enum MHD_Result ret = queue_json(chat, chat->adm.status, refusal_json(chat));
	settle(chat);
	chat_free(chat);
	return ret;
}

/* Admitted: the intent is written ahead (dp_usage_open: should this worker die before the
 * request settles, the next start of the worker records it as a crash), then the first
 * attempt (and, for streams, the processing comments) start. The intent costs no write of
 * its own: it goes to disk with this loop iteration's records, by a 0 ms timer armed before
 * the attempt's and the comments' timers. The client's first byte needs the upstream's
 * answer (read after the loop waits again) or a processing comment (a later timer), so it
 * can only go out in a later iteration, after the intent is on disk. */
static void begin(struct dp_chat *chat)
{
	if (chat->w->usage) {
		char worker[16];
		Sy__UsageRecord rec = SY__USAGE_RECORD__INIT;
		record_identity(chat, &chat->plan.t[0], worker, &rec);
		chat->intent = dp_usage_open(chat->w->usage, &rec);
	}
	if (chat->req.stream)
		dp_client_comments_start(&chat->cl, chat->w->cfg->processing_comment_ms);
	try_next(chat);
}

static void on_admitted(struct dp_admission *a, void *arg)
{
	struct dp_chat *chat = arg;
	if (chat->cl.queued || chat->cl.gone)
		return;
	if (a->status)
		queue_json(chat, a->status, refusal_json(chat));
	else
		begin(chat);
}

static void admit_req(struct dp_chat *chat, struct dp_admit_req *rq)
{
	struct dp_worker *w = chat->w;
	*rq = (struct dp_admit_req){
	    .org = dp_view_org(chat->view, chat->key->org_id),
	    .key = chat->key,
	    .rates_leased = chat->rate.leased,
	};
	uint32_t cap = w->cfg && w->cfg->reserve_max_tokens ? w->cfg->reserve_max_tokens : 4096;
	rq->reserve = dp_money_worst_case(&chat->plan, &chat->req, cap, &rq->free_model);
}

/* The worst-case reservation, and the rate limits' local shares unless tokens were leased. */
static enum dp_admit_result admit_money(struct dp_chat *chat)
{
	struct dp_admit_req rq;
	admit_req(chat, &rq);
	return dp_money_admit(chat->w->money, &chat->adm, &rq, on_admitted, chat);
}

/* Rate tokens taken after a wait (or refused): on to the reservation. */
static void on_rated(struct dp_admission *a, void *arg)
{
	struct dp_chat *chat = arg;
	if (chat->cl.queued || chat->cl.gone)
		return;
	enum dp_admit_result r = a->status ? DP_ADMIT_REFUSED : admit_money(chat);
	if (r == DP_ADMIT_REFUSED)
		queue_json(chat, a->status, refusal_json(chat));
	else if (r == DP_ADMIT_OK)
		begin(chat);
}

/* Rate limits and the worst-case reservation (no money checks without w->money). */
static enum dp_admit_result admit(struct dp_chat *chat)
{
	struct dp_worker *w = chat->w;
	if (!w->money)
		return DP_ADMIT_OK;
	if (w->rates) {
		struct dp_admit_req rq;
		admit_req(chat, &rq);
		enum dp_admit_result r =
		    dp_ratelease_admit(w->rates, &chat->rate, &chat->adm, &rq, on_rated, chat);
		if (r != DP_ADMIT_OK)
			return r;
	}
	return admit_money(chat);
}

/* The request no longer waits for admission (gone, or shutdown). */
static void cancel_admission(struct dp_chat *chat)
{
	dp_ratelease_cancel(&chat->rate);
	dp_money_cancel(&chat->adm);
}

/* The upstream paused on a slow client (dp_client_backlogged) may go on. */
static void on_client_drained(void *arg)
{
	struct dp_chat *chat = arg;
	if (chat->call)
		dp_upstream_call_resume(chat->call);
}

static void on_client_hangup(void *arg);

static const struct dp_client_ops client_ops = {answer_headers, on_client_hangup,
                                                on_client_drained};

/* The skin's translation of the client's body into the chat body, in place. */
static int skin_request(struct dp_chat *chat, struct sy_buf *body, char *err, size_t errlen)
{
	const struct dp_skin *s = chat->skin;
	const char *hdrs[DP_SKIN_MAX_HEADERS] = {0};
	char *out = NULL;
	if (!s->request)
		return 0;
	for (size_t i = 0; s->headers && s->headers[i] && i < DP_SKIN_MAX_HEADERS; i++)
		hdrs[i] =
		    MHD_lookup_connection_value(chat->cl.conn, MHD_HEADER_KIND, s->headers[i]);
	int rc = s->request(body->data ? body->data : "", body->len, hdrs, &chat->skin_state, &out,
	                    err, errlen);
	if (rc)
		return rc;
	sy_buf_release(body);
	sy_buf_init(body, 0);
	rc = sy_buf_puts(body, out) ? -ENOMEM : 0;
	free(out);
	return rc;
}

enum MHD_Result dp_chat_start(struct dp_worker *w, struct MHD_Connection *c, struct dp_view *view,
                              const Sy__ApiKey *key, const struct dp_chat_meta *meta,
                              struct sy_buf *body, struct dp_chat **chatp)
{
	char err[256] = "";
	int status = 0;
	*chatp = NULL;
	struct dp_chat *chat = calloc(1, sizeof(*chat));
	if (!chat) {
		sy_buf_release(body);
		return MHD_NO;
	}
	chat->w = w;
	chat->view = dp_view_ref(view);
	chat->key = key;
	chat->created = sy_unix_s();
	chat->t0 = dp_loop_now_ms(w->loop);
	dp_overhead_start(&chat->overhead);
	sy_gen_id(chat->created, chat->id);
	chat->all_rate_limited = true;
	chat->retry_after_ms = -1;
	chat->req.max_tokens = -1;
	sy_buf_init(&chat->up_body, 0);
	sy_buf_init(&chat->held, 0);
	sy_buf_init(&chat->heal_acc, HEAL_MAX);
	dp_sse_init(&chat->sse, SSE_EVENT_MAX);
	chat->referer = dup_or_null(meta ? meta->referer : NULL);
	chat->title = dup_or_null(meta ? meta->title : NULL);
	chat->skin = meta && meta->skin ? meta->skin : &dp_skin_chat;
	dp_client_init(&chat->cl, w, c, chat->id, &chat->overhead, chat->skin, &chat->skin_state,
	               &client_ops, chat);
	chat->next = w->chats;
	if (w->chats)
		w->chats->prev = chat;
	w->chats = chat;
	w->in_flight++;
	chat->g.id = chat->id;
	chat->g.created = chat->created;

	struct dp_policy_client client;
	struct dp_policy_refusal refusal;
	dp_policy_client_read(c, w->cfg, &client);
	if (!dp_policy_check_client(key, &client, &refusal)) {
		sy_buf_release(body);
		return answer_forbidden(chat, &refusal);
	}
	int rc = skin_request(chat, body, err, sizeof(err));
	if (!rc)
		rc = meta && meta->embeddings
		         ? dp_embed_parse(body->data ? body->data : "", body->len, &chat->req, err,
		                          sizeof(err))
		         : dp_request_parse(body->data ? body->data : "", body->len, &chat->req,
		                            err, sizeof(err));
	sy_buf_release(body);
	if (!rc)
		chat->heal = dp_heal_wanted(chat->req.body, w->cfg->heal_json);
	if (rc == -ENOMEM)
		return answer_now(chat, 500, "out of memory", "internal", "internal");
	if (rc)
		return answer_now(chat, 400, err, "invalid_request", "invalid_request");
	chat->parsed = true;
	chat->session_id = dup_or_null(chat->req.session_id ? chat->req.session_id
	                               : meta               ? meta->session_id
	                                                    : NULL);
	chat->req.session_id = chat->session_id;

	/* no model named: the key's default model, else its org's (else routing's 400) */
	const Sy__Org *org = dp_view_org(view, key->org_id);
	dp_request_default_model(&chat->req, key->default_model && *key->default_model
	                                         ? key->default_model
	                                     : org ? org->default_model
	                                           : NULL);
	if (!chat->req.n_models)
		return answer_now(chat, 400, DP_REQUEST_NO_MODEL, "invalid_request",
		                  "invalid_request");
	if (dp_autorouter_resolve(dp_view_auto_router(view), &chat->req, err, sizeof(err)))
		return answer_now(chat, 404, err, "no_endpoint", "no_endpoint");
	struct dp_policy policy;
	if (dp_policy_init(&policy, view, key, org))
		return answer_now(chat, 500, "Too many guardrails apply to this API key",
		                  "internal", "internal");
	if (!dp_policy_check_models(&policy, &chat->req, &refusal))
		return answer_forbidden(chat, &refusal);
	if (dp_policy_merge_prefs(key, &chat->req))
		return answer_now(chat, 500, "out of memory", "internal", "internal");

	struct dp_route_ctx ctx = {
	    .model = rc_model,
	    .provider = rc_provider,
	    .healthy = rc_healthy,
	    .throughput = rc_throughput,
	    .latency = rc_latency,
	    .stat = rc_stat,
	    .arg = chat,
	    .policy = &policy,
	};
	sy_random_buf(&ctx.random, sizeof(ctx.random));
	if (dp_route_plan(&ctx, &chat->req, &chat->plan, &status, err, sizeof(err)) ||
	    !chat->plan.n) {
		if (!status)
			status = 404;
		if (status == 403) {
			snprintf(refusal.message, sizeof(refusal.message), "%s", err);
			refusal.rule = chat->plan.rule;
			refusal.guardrail = chat->plan.guardrail;
			return answer_forbidden(chat, &refusal);
		}
		const char *why = chat->plan.reason ? chat->plan.reason : "invalid_request";
		return answer_now(chat, status, err[0] ? err : "No endpoints found", why, why);
	}

	dp_byok_apply(&chat->plan, view, org);
	enum dp_admit_result adm = admit(chat);
	if (adm == DP_ADMIT_REFUSED)
		return answer_refused(chat);
	dp_client_suspend(&chat->cl);
	*chatp = chat;
	if (adm == DP_ADMIT_OK)
		begin(chat);
	return MHD_YES;
}

void dp_chat_closed(struct dp_chat *chat, enum MHD_RequestTerminationCode toe)
{
	if (!chat)
		return;
	cancel_admission(chat);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		chat->cancelled = true;
		if (!chat->cl.queued)
			chat->cl.status =
			    499; /* nginx's "client closed request": nothing was sent */
		if (!chat->error_class)
			chat->error_class = toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN
			                        ? "shutdown"
			                        : "cancelled";
	}
	abandon_attempt(chat, "cancelled");
	settle(chat);
	chat_free(chat);
}

/* The client hung up while we waited on the upstream (dp_client): stop it now. */
static void on_client_hangup(void *arg)
{
	struct dp_chat *chat = arg;
	cancel_admission(chat);
	chat->cancelled = true;
	chat->error_class = "cancelled";
	abandon_attempt(chat, "cancelled");
	dp_timer_cancel(&chat->retry_timer);
	if (!chat->cl.queued) {
		/* nobody will read it; MHD needs an answer to close the request */
		queue_json(chat, 499, sy_json_error(499, "client closed the request", NULL));
		return;
	}
	if (chat->st.saw_content && !chat->usage.finish_reason[0]) {
		dp_response_stream_fill_usage(&chat->st, chat->req.prompt_tokens_est);
		chat->usage = chat->st.usage;
		price_usage(chat, nonempty(chat->usage.finish_reason));
	}
	dp_client_end(&chat->cl);
}

void dp_chat_abort_all(struct dp_worker *w)
{
	for (struct dp_chat *chat = w->chats; chat; chat = chat->next) {
		if (chat->cl.out_done)
			continue;
		cancel_admission(chat);
		abandon_attempt(chat, "shutdown");
		dp_client_comments_stop(&chat->cl);
		dp_timer_cancel(&chat->retry_timer);
		set_failure(&chat->last, SY_FAIL_SHUTDOWN, NULL);
		fail(chat);
	}
}
