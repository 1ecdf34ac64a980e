/* dp_http.c - libmicrohttpd glue, URL routing and the read-only endpoints.
 *
 * One struct req per request, created at MHD's first call and freed by the completion
 * notifier, which is the one place that learns how a request ended (done, client gone,
 * timeout, shutdown): it is where an in-flight chat is handed to dp_chat_closed. */
#include "dp_http.h"
#include "dp_auth.h"
#include "dp_catalog.h"
#include "dp_catalog_query.h"
#include "dp_cors.h"
#include "dp_chat.h"
#include "dp_client.h"
#include "dp_loop.h"
#include "dp_metrics.h"
#include "dp_policy.h"
#include "dp_skin.h"
#include "dp_usage.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_buf.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_log.h"
#include "sy_http_guard.h"
#include "sy_money.h"

#include <errno.h>
#include <sodium.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

enum route {
	R_HEALTH,
	R_READY,
	R_CHAT, /* and the other skins' inference routes (req.skin) */
	R_COUNT_TOKENS,
	R_EMBEDDINGS,
	R_MODELS,
	R_MODEL_ENDPOINTS,
	R_PROVIDERS,
	R_ZDR_ENDPOINTS,
	R_MODELS_USER,
	R_MODELS_COUNT,
	R_MODEL,
	R_KEY,
	R_GENERATION,
	R_CREDITS,
	R_METRICS,
	R_NOT_FOUND,
	R_BAD_METHOD,
	R_PREFLIGHT, /* OPTIONS on an API path (dp_cors) */
};

struct dp_http {
	struct dp_worker *w;
	struct MHD_Daemon *d;
	int epfd;               /* MHD's epoll fd, nested in the loop */
	struct dp_timer *timer; /* MHD_get_timeout */
	struct sy_http_guard *guard;
	struct req *reqs; /* requests in progress */
	unsigned active;
	bool idle;         /* idle_fn registered */
	bool metrics_only; /* the --metrics-listen instance: GET /metrics and nothing else */
	bool stopping;
};

struct req {
	struct dp_http *h;
	struct req *prev, *next;
	struct MHD_Connection *c;
	enum route route;
	const char *allow;          /* methods the path accepts, for 405 */
	const struct dp_skin *skin; /* R_CHAT and R_COUNT_TOKENS: the client's format; errors
	                               go out in its envelope */
	char path[160];             /* for the access line (query string excluded) */
	const char *method;
	int64_t start_us;
	struct sy_buf body;   /* chat request body, capped at max_body */
	bool too_big;         /* the body went over max_body: 413 when the upload ends */
	struct dp_chat *chat; /* in flight, owned by dp_chat until dp_chat_closed */
	bool chat_logged;     /* handed to dp_chat, whose access line covers the request */
	bool handled;         /* a response was queued or handed to dp_chat */
	bool lookup;          /* suspended on a GET /generation lookup */
	struct dp_view *view; /* reference held across the lookup */
	char *reply;          /* lookup result to queue after resume */
	unsigned reply_status;
};

static void run_mhd(struct dp_http *h);

/* MHD's memory per connection (its default is 32 KiB): request headers up to
 * SY_HTTP_HEADERS_MAX (8 KiB, then our JSON 431) with room to spare before MHD's own HTML 431,
 * while the body streams through to req->body. Half the default halves what idle keep-alive
 * connections hold and what MHD clears between requests. */
#define CONN_MEMORY ((size_t)16 << 10)
/* Idle time between two requests on a connection before the guard closes it. */
#define KEEPALIVE_MS 60000

/* When the handler call now running began (one thread per process): responses it queues
 * report the time since as X-Switchyard-Overhead-Us. */
static int64_t handler_start_us;

/* ---- responses ---------------------------------------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                             const struct dp_worker *w)
{
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	dp_cors_add(r);
	dp_metrics_http_overhead(r, sy_mono_us() - handler_start_us);
	if (w && w->draining)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result dp_http_send_json(struct MHD_Connection *c, unsigned status, char *body)
{
	if (!body)
		return dp_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(body);
	return queue(c, status, r, NULL);
}

enum MHD_Result dp_http_send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	static const char oom[] = "{\"error\":{\"code\":500,\"message\":\"out of memory\"}}";
	char *body = sy_json_error((int)status, msg, NULL);
	if (body)
		return dp_http_send_json(c, status, body);
	return queue(
	    c, MHD_HTTP_INTERNAL_SERVER_ERROR,
	    MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT),
	    NULL);
}

static enum MHD_Result send_body(struct req *q, unsigned status, json_t *j)
{
	char *body = j ? sy_json_dump(j) : NULL;
	json_decref(j);
	q->handled = true;
	return dp_http_send_json(q->c, status, body);
}

static enum MHD_Result send_err(struct req *q, unsigned status, const char *msg)
{
	q->handled = true;
	if (q->skin && q->skin->reply)
		return dp_http_send_json(q->c, status,
		                         dp_skin_reply(q->skin, NULL, (int)status,
		                                       sy_json_error((int)status, msg, NULL)));
	return dp_http_send_error(q->c, status, msg);
}

/* ---- routing -------------------------------------------------------------------------------- */

static bool method_is(const char *m, const char *want)
{
	return strcmp(m, want) == 0 || (strcmp(want, "GET") == 0 && strcmp(m, "HEAD") == 0);
}

/* "/models/<author>/<slug>/endpoints" with non-empty segments free of '/'. */
static bool is_model_endpoints(const char *p)
{
	if (strncmp(p, "/models/", 8) != 0)
		return false;
	p += 8;
	const char *slash1 = strchr(p, '/');
	if (!slash1 || slash1 == p)
		return false;
	const char *slash2 = strchr(slash1 + 1, '/');
	return slash2 && slash2 > slash1 + 1 && strcmp(slash2, "/endpoints") == 0;
}

/* "/model/<author>/<slug>" with non-empty segments free of '/'. */
static bool is_model(const char *p)
{
	if (strncmp(p, "/model/", 7) != 0)
		return false;
	p += 7;
	const char *slash = strchr(p, '/');
	return slash && slash > p && slash[1] && !strchr(slash + 1, '/');
}

static void route(struct req *q, const char *url, const char *method)
{
	if (q->h->metrics_only) {
		q->allow = "GET, HEAD";
		q->route = strcmp(url, "/metrics")    ? R_NOT_FOUND
		           : method_is(method, "GET") ? R_METRICS
		                                      : R_BAD_METHOD;
		return;
	}
	static const struct {
		const char *path, *method;
		enum route r;
		const struct dp_skin *skin;
	} api[] = {
	    {"/chat/completions", "POST", R_CHAT, NULL},
	    {"/messages", "POST", R_CHAT, &dp_skin_messages},
	    {"/messages/count_tokens", "POST", R_COUNT_TOKENS, &dp_skin_messages},
	    {"/completions", "POST", R_CHAT, &dp_skin_completions},
	    {"/embeddings", "POST", R_EMBEDDINGS, NULL},
	    {"/responses", "POST", R_CHAT, &dp_skin_responses},
	    {"/models", "GET", R_MODELS, NULL},
	    {"/providers", "GET", R_PROVIDERS, NULL},
	    {"/key", "GET", R_KEY, NULL},
	    {"/auth/key", "GET", R_KEY, NULL},
	    {"/models/count", "GET", R_MODELS_COUNT, NULL},
	    {"/generation", "GET", R_GENERATION, NULL},
	    {"/credits", "GET", R_CREDITS, NULL},
	    {"/health", "GET", R_HEALTH, NULL},
	    {"/ready", "GET", R_READY, NULL},
	    {"/endpoints/zdr", "GET", R_ZDR_ENDPOINTS, NULL},
	    {"/models/user", "GET", R_MODELS_USER, NULL},
	};
	const char *p = url;
	if (strncmp(p, "/api/v1/", 8) == 0)
		p += 7;
	else if (strncmp(p, "/v1/", 4) == 0)
		p += 3;
	q->route = R_NOT_FOUND;
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		if (strcmp(p, api[i].path) != 0)
			continue;
		q->allow = strcmp(api[i].method, "GET") == 0 ? "GET, HEAD" : api[i].method;
		q->route = method_is(method, api[i].method) ? api[i].r : R_BAD_METHOD;
		q->skin = api[i].skin;
		break;
	}
	if (q->route == R_NOT_FOUND && (is_model_endpoints(p) || is_model(p))) {
		q->allow = "GET, HEAD";
		q->route = !method_is(method, "GET") ? R_BAD_METHOD
		           : is_model(p)             ? R_MODEL
		                                     : R_MODEL_ENDPOINTS;
	}
	if (q->route == R_BAD_METHOD && !strcmp(method, "OPTIONS"))
		q->route = R_PREFLIGHT;
}

/* ---- endpoints ------------------------------------------------------------------------------ */

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result no_view(struct req *q)
{
	return send_err(q, MHD_HTTP_SERVICE_UNAVAILABLE,
	                "This worker has no state from the controlplane yet (waiting for its "
	                "first snapshot); retry shortly");
}

static enum MHD_Result do_ready(struct req *q)
{
	struct dp_worker *w = q->h->w;
	if (w->draining)
		return send_err(q, MHD_HTTP_SERVICE_UNAVAILABLE, "This worker is shutting down");
	if (!w->view)
		return no_view(q);
	return send_body(q, MHD_HTTP_OK,
	                 json_pack("{s:s,s:I,s:i}", "status", "ready", "seq",
	                           (json_int_t)dp_view_seq(w->view), "worker", w->id));
}

static enum MHD_Result do_model_endpoints(struct req *q, const char *url)
{
	const char *id = strstr(url, "/models/") + 8;
	size_t n = strlen(id) - strlen("/endpoints");
	char mid[256];
	if (n >= sizeof(mid))
		return send_err(q, MHD_HTTP_NOT_FOUND, "Model not found");
	memcpy(mid, id, n);
	mid[n] = '\0';
	const Sy__Model *m = dp_view_model(q->h->w->view, mid);
	if (!m) {
		char msg[320];
		snprintf(msg, sizeof(msg), "Model '%s' not found", mid);
		return send_err(q, MHD_HTTP_NOT_FOUND, msg);
	}
	return send_body(q, MHD_HTTP_OK, dp_catalog_model_endpoints(q->h->w->view, m));
}

/* GET /model/{author}/{slug}: the model as /models lists it. A variant (":free", ":nitro",
 * ...) the catalog does not list as a model of its own is its base model's. */
static enum MHD_Result do_model(struct req *q, const char *url)
{
	struct dp_view *v = q->h->w->view;
	char mid[256];
	snprintf(mid, sizeof(mid), "%s", strstr(url, "/model/") + 7);
	const Sy__Model *m = dp_view_model(v, mid);
	char *colon = strrchr(mid, ':');
	if (!m && colon && !strchr(colon, '/')) {
		*colon = '\0';
		m = dp_view_model(v, mid);
		*colon = ':';
	}
	json_t *j = m ? dp_catalog_model(v, m) : NULL;
	if (!j) {
		char msg[320];
		snprintf(msg, sizeof(msg), "Model '%s' not found", mid);
		return send_err(q, MHD_HTTP_NOT_FOUND, msg);
	}
	return send_body(q, MHD_HTTP_OK, j);
}

/* GET /models, /models/user (with pol), /models/count: the query's filters and page. */
static enum MHD_Result do_models(struct req *q, const struct dp_policy *pol)
{
	struct dp_catalog_query mq;
	char err[256];
	if (dp_catalog_query_read(q->c, &mq, err, sizeof(err)))
		return send_err(q, MHD_HTTP_BAD_REQUEST, err);
	struct dp_view *v = q->h->w->view;
	return send_body(q, MHD_HTTP_OK,
	                 q->route == R_MODELS_COUNT ? dp_catalog_models_count(v, &mq)
	                                            : dp_catalog_models(v, pol, &mq, q->path));
}

static void on_generation(const Sy__UsageRecord *rec, void *arg)
{
	struct req *q = arg;
	json_t *j = rec ? dp_catalog_generation(q->view, rec) : NULL;
	if (j) {
		q->reply = sy_json_dump(j);
		q->reply_status = MHD_HTTP_OK;
	} else {
		const char *id = MHD_lookup_connection_value(q->c, MHD_GET_ARGUMENT_KIND, "id");
		char msg[200];
		snprintf(msg, sizeof(msg), "Generation '%.120s' not found", id ? id : "");
		q->reply = sy_json_error(MHD_HTTP_NOT_FOUND, msg, NULL);
		q->reply_status = MHD_HTTP_NOT_FOUND;
	}
	json_decref(j);
	dp_view_unref(&q->view);
	q->lookup = false;
	dp_client_resume(q->h->w, q->c);
}

static enum MHD_Result do_generation(struct req *q, const Sy__ApiKey *key)
{
	const char *id = MHD_lookup_connection_value(q->c, MHD_GET_ARGUMENT_KIND, "id");
	if (!id || !*id)
		return send_err(q, MHD_HTTP_BAD_REQUEST, "Missing required query parameter 'id'");
	if (strlen(id) >= 128)
		return send_err(q, MHD_HTTP_BAD_REQUEST, "Query parameter 'id' is too long");
	struct dp_worker *w = q->h->w;
	q->view = dp_view_ref(w->view);
	MHD_suspend_connection(q->c); /* before asking, so the answer always finds it suspended */
	if (dp_usage_query_generation(w->usage, id, key->hash, on_generation, q)) {
		dp_view_unref(&q->view);
		enum MHD_Result ret = send_err(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		dp_client_resume(q->h->w, q->c);
		return ret;
	}
	q->lookup = true;
	q->handled = true;
	return MHD_YES;
}

/* GET /credits: the calling key's org, as the controlplane last published it. total_usage is
 * money spent (settled generations); what workers' leases hold for requests is not usage (an
 * idle cluster holds some), and shows in the admin API's debits_pending. */
static enum MHD_Result do_credits(struct req *q, const Sy__Org *o)
{
	sy_money credits = o ? o->credits : 0;
	sy_money used = o ? o->debits_posted : 0;
	return send_body(q, MHD_HTTP_OK,
	                 json_pack("{s:{s:f,s:f}}", "data", "total_credits", sy_money_usd(credits),
	                           "total_usage", sy_money_usd(used)));
}

/* GET /models/user: the models the calling key may use under its restrictions, its org's
 * and its guardrails, each priced at the cheapest endpoint it may reach. */
static enum MHD_Result do_models_user(struct req *q, const Sy__ApiKey *key, const Sy__Org *org)
{
	struct dp_policy pol;
	struct dp_view *v = q->h->w->view;
	if (dp_policy_init(&pol, v, key, org))
		return send_err(q, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                "Too many guardrails apply to this API key");
	return do_models(q, &pol);
}

/* POST /messages/count_tokens: an estimate, no provider called. */
static enum MHD_Result do_count_tokens(struct req *q)
{
	char err[256];
	char *out = NULL;
	int rc = dp_skin_messages_count_tokens(q->body.data ? q->body.data : "", q->body.len, &out,
	                                       err, sizeof(err));
	if (rc == -ENOMEM)
		return send_err(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (rc)
		return send_err(q, MHD_HTTP_BAD_REQUEST, err);
	q->handled = true;
	return dp_http_send_json(q->c, MHD_HTTP_OK, out);
}

/* The Authorization header, or the key in the skin's own key header (Anthropic's x-api-key)
 * as a bearer token (into buf, which the caller wipes). */
static const char *authorization(struct req *q, char *buf, size_t len)
{
	const char *a = header(q->c, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *k = q->skin && q->skin->key_header ? header(q->c, q->skin->key_header) : NULL;
	if (a || !k)
		return a;
	snprintf(buf, len, "Bearer %s", k);
	return buf;
}

static enum MHD_Result do_chat(struct req *q, const Sy__ApiKey *key, bool embeddings)
{
	struct dp_worker *w = q->h->w;
	if (w->draining)
		return send_err(q, MHD_HTTP_SERVICE_UNAVAILABLE,
		                "This worker is shutting down; retry the request");
	const char *title = header(q->c, "X-Title");
	struct dp_chat_meta meta = {
	    .session_id = header(q->c, "x-session-id"),
	    .referer = header(q->c, "HTTP-Referer"),
	    .title = title ? title : header(q->c, "X-OpenRouter-Title"),
	    .skin = q->skin,
	    .embeddings = embeddings,
	};
	q->handled = true;
	q->chat_logged = true;
	return dp_chat_start(w, q->c, w->view, key, &meta, &q->body, &q->chat);
}

/* Everything but the body upload: the request is complete and routed. */
static enum MHD_Result dispatch(struct req *q, const char *url)
{
	struct dp_worker *w = q->h->w;
	switch (q->route) {
	case R_NOT_FOUND: {
		char msg[200];
		snprintf(msg, sizeof(msg), "No route for %s %.120s", q->method, q->path);
		return send_err(q, MHD_HTTP_NOT_FOUND, msg);
	}
	case R_BAD_METHOD: {
		char msg[200];
		snprintf(msg, sizeof(msg), "Method %s is not allowed on %.120s (allowed: %s)",
		         q->method, q->path, q->allow);
		q->handled = true;
		struct MHD_Response *r = NULL;
		char *body = dp_skin_reply(q->skin, NULL, MHD_HTTP_METHOD_NOT_ALLOWED,
		                           sy_json_error(MHD_HTTP_METHOD_NOT_ALLOWED, msg, NULL));
		if (body && !(r = MHD_create_response_from_buffer(strlen(body), body,
		                                                  MHD_RESPMEM_MUST_FREE)))
			free(body);
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, q->allow);
		return queue(q->c, MHD_HTTP_METHOD_NOT_ALLOWED, r, w);
	}
	case R_PREFLIGHT:
		q->handled = true;
		return dp_cors_preflight(q->c, q->allow);
	case R_HEALTH:
		return send_body(q, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
	case R_READY:
		return do_ready(q);
	case R_METRICS:
		q->handled = true;
		return dp_metrics_respond(w, q->c);
	default:
		break;
	}
	if (!w->view)
		return no_view(q);
	switch (q->route) {
	case R_MODELS:
		return do_models(q, NULL);
	case R_MODELS_COUNT:
		return do_models(q, NULL);
	case R_MODEL:
		return do_model(q, url);
	case R_PROVIDERS:
		return send_body(q, MHD_HTTP_OK, dp_catalog_providers(w->view));
	case R_ZDR_ENDPOINTS:
		return send_body(q, MHD_HTTP_OK, dp_catalog_zdr_endpoints(w->view));
	case R_MODEL_ENDPOINTS:
		return do_model_endpoints(q, url);
	default:
		break;
	}
	struct dp_auth a;
	bool allow_mgmt = q->route == R_KEY;
	char buf[512];
	int refused =
	    dp_auth_check(w->view, authorization(q, buf, sizeof(buf)), sy_unix_s(), allow_mgmt, &a);
	sodium_memzero(buf, sizeof(buf));
	if (refused)
		return send_err(q, MHD_HTTP_UNAUTHORIZED, a.error);
	switch (q->route) {
	case R_KEY:
		return send_body(q, MHD_HTTP_OK,
		                 a.key ? dp_catalog_key(a.key, a.org)
		                       : dp_catalog_mgmt_key(a.mkey));
	case R_GENERATION:
		return do_generation(q, a.key);
	case R_CREDITS:
		return do_credits(q, a.org);
	case R_MODELS_USER:
		return do_models_user(q, a.key, a.org);
	case R_CHAT:
	case R_EMBEDDINGS:
		return do_chat(q, a.key, q->route == R_EMBEDDINGS);
	case R_COUNT_TOKENS:
		return do_count_tokens(q);
	default:
		return send_err(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "unrouted request");
	}
}

/* ---- MHD callbacks ---------------------------------------------------------------------------- */

static struct req *req_new(struct dp_http *h, struct MHD_Connection *c, const char *url,
                           const char *method)
{
	struct req *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->h = h;
	q->c = c;
	q->method = method;
	q->start_us = sy_mono_us();
	snprintf(q->path, sizeof(q->path), "%s", url);
	sy_buf_init(&q->body, h->w->cfg->max_body);
	route(q, url, method);
	q->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = q;
	h->reqs = q;
	h->active++;
	return q;
}

static enum MHD_Result too_big(struct req *q)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "Request body is larger than the limit of %zu bytes",
	         q->h->w->cfg->max_body);
	return send_err(q, MHD_HTTP_CONTENT_TOO_LARGE, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct dp_http *h = cls;
	struct req *q = *req_cls;
	handler_start_us = sy_mono_us();
	if (!q) {
		q = req_new(h, c, url, method);
		if (!q)
			return MHD_NO;
		*req_cls = q;
		enum MHD_Result refused;
		if (!sy_http_guard_admit(c, version, &refused)) {
			q->handled = true;
			snprintf(q->path, sizeof(q->path), "-"); /* not a path we parsed */
			return refused;
		}
		if (q->route != R_CHAT && q->route != R_COUNT_TOKENS && q->route != R_EMBEDDINGS)
			return MHD_YES; /* answered once the (ignored) body is in */
		const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > h->w->cfg->max_body)
			return too_big(q);
		return MHD_YES;
	}
	if (q->handled) {
		if (*upload_data_size) { /* the rest of a refused upload */
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (h->stopping)
			return MHD_NO;
		if (q->reply) { /* back from a suspended lookup */
			char *body = q->reply;
			q->reply = NULL;
			return queue(c, q->reply_status,
			             MHD_create_response_from_buffer(strlen(body), body,
			                                             MHD_RESPMEM_MUST_FREE),
			             h->w);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		/* MHD cannot queue a response in the middle of an upload: discard the rest and
		 * answer 413 once it is in */
		if ((q->route == R_CHAT || q->route == R_COUNT_TOKENS ||
		     q->route == R_EMBEDDINGS) &&
		    !q->too_big && sy_buf_append(&q->body, upload_data, n) == SY_ETOOBIG) {
			q->too_big = true;
			sy_buf_release(&q->body);
		}
		return MHD_YES;
	}
	sy_http_guard_body_done(c);
	if (q->too_big)
		return too_big(q);
	return dispatch(q, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct dp_http *h = cls;
	struct req *q = *req_cls;
	sy_http_guard_completed(c);
	if (!q)
		return;
	*req_cls = NULL;
	if (q->chat)
		dp_chat_closed(q->chat, toe);
	if (q->lookup)
		dp_usage_cancel_queries(h->w->usage, q);
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
	dp_metrics_http_done(ci ? ci->http_status : 0);
	char path[sizeof(q->path)], method[16];
	if (!q->chat_logged)
		sy_info("access method=%s path=%s status=%u us=%lld end=%s",
		        sy_log_field(method, sizeof(method), q->method),
		        sy_log_field(path, sizeof(path), q->path), ci ? ci->http_status : 0,
		        (long long)(sy_mono_us() - q->start_us),
		        toe == MHD_REQUEST_TERMINATED_COMPLETED_OK      ? "ok"
		        : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
		        : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
		        : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? "client_abort"
		                                                        : "error");
	if (q->prev)
		q->prev->next = q->next;
	else
		h->reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	h->active--;
	dp_view_unref(&q->view);
	free(q->reply);
	sy_buf_release(&q->body);
	free(q);
}

/* fmt is a printf format from libmicrohttpd: the attribute tells -Wformat=2 so */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	sy_warn("http: %s", line);
}

/* ---- the loop side ------------------------------------------------------------------------------ */

static void timer_fn(struct dp_loop *loop, void *arg)
{
	struct dp_http *h = arg;
	h->timer = NULL;
	run_mhd(h);
}

/* Runs in a row while MHD wants to go on at once (it does for a few runs after each response
 * and after a resume inside a run): cheaper than one loop iteration each. */
#define MHD_RUNS 4

static void run_mhd(struct dp_http *h)
{
	MHD_UNSIGNED_LONG_LONG t = 0;
	bool more = true;
	/* w->resumed is the public instance's: the metrics one never suspends */
	bool suspends = !h->metrics_only;
	sy_http_guard_run(h->guard);
	for (int i = 0; i < MHD_RUNS && more; i++) {
		if (suspends)
			h->w->resumed = false;
		MHD_run(h->d);
		/* a connection resumed while MHD ran is only seen by the next run */
		more =
		    (suspends && h->w->resumed) || (MHD_get_timeout(h->d, &t) == MHD_YES && t == 0);
	}
	dp_timer_cancel(&h->timer);
	int64_t sweep = sy_http_guard_sweep(h->guard);
	if (more)
		t = 0;
	else if (MHD_get_timeout(h->d, &t) != MHD_YES)
		t = sweep < 0 ? 60000 : (MHD_UNSIGNED_LONG_LONG)sweep;
	if (sweep >= 0 && (MHD_UNSIGNED_LONG_LONG)sweep < t)
		t = (MHD_UNSIGNED_LONG_LONG)sweep;
	h->timer = dp_timer_add(h->w->loop, t > 60000 ? 60000 : (int64_t)t, timer_fn, h);
}

static void epoll_fn(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	run_mhd(arg);
}

/* MHD (0.9.75, external epoll) has no wake-up channel: a connection resumed by a curl, timer or
 * ZeroMQ callback is only picked up by the next MHD_run (and MHD_get_timeout does not count
 * it). So when something was resumed, run MHD once more before the loop sleeps; a resume inside
 * MHD_run itself gets a 0 ms timer from run_mhd. Iterations that resumed nothing cost no run. */
static void idle_fn(struct dp_loop *loop, void *arg)
{
	struct dp_http *h = arg;
	if (h->w->resumed)
		run_mhd(h);
}

int dp_http_parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || !colon[1] || (size_t)(colon - listen) >= sizeof(host))
		return SY_EINVAL;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	struct addrinfo hints = {.ai_flags = AI_NUMERICSERV | AI_PASSIVE,
	                         .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	if (getaddrinfo(h, colon + 1, &hints, &ai) || !ai)
		return SY_EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

struct dp_http *dp_http_new(struct dp_worker *w, const char *listen, bool metrics_only)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	if (dp_http_parse_listen(listen, &ss, &v6)) {
		sy_err("http: bad listen address '%s' (want host:port)", listen);
		return NULL;
	}
	struct dp_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->w = w;
	h->metrics_only = metrics_only;
	h->epfd = -1;
	/* a connection per descriptor we may open, less a margin for upstreams and sockets */
	struct rlimit rl;
	unsigned limit = 1000;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		limit = rl.rlim_cur > 512 ? (unsigned)(rl.rlim_cur / 2) : 64;
	if (w->cfg->max_conns)
		limit = w->cfg->max_conns;
	/* idle keep-alive connections go after this; streams stay busy or suspended */
	unsigned timeout_s = w->cfg->total_timeout_ms / 1000 + 60;
	struct sy_http_limits lim = {
	    .header_ms = w->cfg->header_timeout_ms,
	    .body_ms = w->cfg->body_timeout_ms,
	    .keepalive_ms = KEEPALIVE_MS,
	    .per_ip = w->cfg->max_conns_per_ip,
	    .max_conns = limit,
	    .conn_memory = CONN_MEMORY,
	    /* later requests on a connection would skip the gate (sy_http_guard.h) */
	    .one_request = w->cfg->one_request,
	};
	if (!(h->guard = sy_http_guard_new(&lim)))
		goto out_free;
	struct MHD_OptionItem guard_opts[SY_HTTP_GUARD_OPTIONS];
	sy_http_guard_options(h->guard, guard_opts);
	/* the guard accepts connections and judges their first header block (sy_http_guard.h) */
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	                 MHD_USE_NO_LISTEN_SOCKET | (v6 ? MHD_USE_IPv6 : 0);
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
	                        on_mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	                        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_ARRAY,
	                        guard_opts, MHD_OPTION_END);
	if (!h->d || sy_http_guard_listen(h->guard, h->d, (struct sockaddr *)&ss, true)) {
		sy_err("http: cannot listen on %s: %s", listen, strerror(errno));
		goto out_free;
	}
	if (dp_loop_add_fd(w->loop, sy_http_guard_fd(h->guard), EPOLLIN, epoll_fn, h)) {
		sy_err("http: cannot watch the listener's epoll fd");
		goto out_free;
	}
	h->epfd = sy_http_guard_fd(h->guard);
	if (!metrics_only && dp_loop_add_idle(w->loop, idle_fn, h)) {
		sy_err("http: no idle slot left on the loop");
		goto out_free;
	}
	h->idle = !metrics_only;
	run_mhd(h);
	return h;
out_free:
	dp_http_free(&h);
	return NULL;
}

void dp_http_quiesce(struct dp_http *h)
{
	sy_http_guard_quiesce(h->guard);
	run_mhd(h);
}

unsigned dp_http_active(const struct dp_http *h)
{
	return h->active;
}

unsigned dp_http_connections(const struct dp_http *h)
{
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di ? di->num_connections : 0;
}

void dp_http_free(struct dp_http **hp)
{
	struct dp_http *h = *hp;
	if (!h)
		return;
	*hp = NULL;
	if (h->d) {
		/* MHD refuses to stop with suspended connections: wake them so they close (the
		 * handler answers MHD_NO from now on) */
		h->stopping = true;
		if (!h->metrics_only)
			dp_chat_abort_all(h->w);
		for (struct req *q = h->reqs; q; q = q->next) {
			if (q->lookup) {
				dp_usage_cancel_queries(h->w->usage, q);
				q->lookup = false;
			}
			const union MHD_ConnectionInfo *ci =
			    MHD_get_connection_info(q->c, MHD_CONNECTION_INFO_CONNECTION_SUSPENDED);
			if (ci && ci->suspended == MHD_YES)
				MHD_resume_connection(q->c);
		}
		MHD_run(h->d);
	}
	dp_timer_cancel(&h->timer);
	if (h->idle)
		dp_loop_del_idle(h->w->loop, idle_fn, h);
	if (h->epfd >= 0)
		dp_loop_del_fd(h->w->loop, h->epfd);
	if (h->d)
		MHD_stop_daemon(h->d);
	sy_http_guard_free(&h->guard);
	free(h);
}
