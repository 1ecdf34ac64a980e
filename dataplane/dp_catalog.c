/* dp_catalog.c - OpenRouter-shaped JSON for the read-only public endpoints.
 *
 * The field lists are the ones @openrouter/sdk's response schemas require: a field it
 * declares required-but-nullable is sent as null rather than left out. */
#include "dp_catalog.h"
#include "dp_free.h"
#include "dp_catalog_query.h"
#include "dp_heal.h"
#include "dp_policy.h"
#include "dp_route.h"
#include "dp_view.h"
#include "sy_clock.h"
#include "sy_cost.h"
#include "sy_json.h"
#include "sy_money.h"
#include "sy_restrict.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ------------------------------------------------------------------------ */

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* "2024-05-01T12:00:00Z" for unix seconds t. */
static json_t *iso_time(int64_t t)
{
	char out[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(out);
}

static json_t *usd(sy_money v)
{
	return json_real(sy_money_usd(v));
}

static bool has_param(char *const *v, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], p) == 0)
			return true;
	return false;
}

/* ---- models ---------------------------------------------------------------------------------- */

/* A modality list, "text" when the catalog says nothing. */
static json_t *modalities(char *const *v, size_t n)
{
	static char *const text[] = {"text"};
	return n ? sy_json_strings(v, n) : sy_json_strings(text, 1);
}

/* "text+image->text" from the input and output modality lists. */
static json_t *modality_string(const Sy__Model *m)
{
	char buf[256] = "";
	size_t pos = 0;
	for (int side = 0; side < 2; side++) {
		char *const *v = side ? m->output_modalities : m->input_modalities;
		size_t n = side ? m->n_output_modalities : m->n_input_modalities;
		if (side)
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "->");
		if (!n)
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "text");
		for (size_t i = 0; i < n && pos < sizeof(buf); i++)
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s", i ? "+" : "",
			                        v[i]);
		if (pos >= sizeof(buf))
			break;
	}
	return json_string(buf);
}

/* The tokenizer is the same in /models and /endpoints: the catalog's, else "Other" (a value
 * of OpenRouter's list that both schemas accept). */
static json_t *architecture(const Sy__Model *m)
{
	json_t *tok = json_string(m->tokenizer && *m->tokenizer ? m->tokenizer : "Other");
	return json_pack("{s:o,s:o,s:o,s:o,s:n}", "modality", modality_string(m),
	                 "input_modalities", modalities(m->input_modalities, m->n_input_modalities),
	                 "output_modalities",
	                 modalities(m->output_modalities, m->n_output_modalities), "tokenizer", tok,
	                 "instruct_type");
}

static const char *price_or_zero(const char *s)
{
	return s && *s ? s : "0";
}

static json_t *pricing(const Sy__Pricing *p)
{
	static const Sy__Pricing none = SY__PRICING__INIT;
	if (!p)
		p = &none;
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "prompt", price_or_zero(p->prompt), "completion",
	                 price_or_zero(p->completion), "request", price_or_zero(p->request),
	                 "input_cache_read", price_or_zero(p->input_cache_read),
	                 "input_cache_write", price_or_zero(p->input_cache_write));
}

/* Prompt plus completion price per token, for "cheapest"; unparsable sorts last. */
static sy_money price_rank(const Sy__Endpoint *ep)
{
	sy_money p = 0, c = 0;
	const Sy__Pricing *pr = ep->pricing;
	if (pr && ((pr->prompt && *pr->prompt && sy_money_parse(pr->prompt, &p)) ||
	           (pr->completion && *pr->completion && sy_money_parse(pr->completion, &c))))
		return INT64_MAX;
	return p + c;
}

/* True for an id that names a `:free` variant itself (a catalog may list one). */
static bool is_free_id(const char *id)
{
	size_t n = strlen(id);
	return n > 5 && !strcmp(id + n - 5, ":free");
}

/* The cheapest endpoint of m's base entry (free_entry false) or of its `:free` entry whose
 * provider exists and, with pol, that pol allows (first one wins ties); NULL if none. */
static const Sy__Endpoint *cheapest(const struct dp_view *v, const Sy__Model *m,
                                    const struct dp_policy *pol, bool free_entry)
{
	const Sy__Endpoint *best = NULL;
	sy_money best_rank = 0;
	for (size_t i = 0; i < m->n_endpoints; i++) {
		const Sy__Endpoint *ep = m->endpoints[i];
		if (!is_free_id(m->id) && dp_free_endpoint(ep) != free_entry)
			continue;
		const Sy__Provider *p = dp_view_provider(v, ep->provider);
		const Sy__Pricing *pr = ep->pricing;
		struct sy_price price = {0};
		if (!p || (pol && ((pr && sy_price_parse(&price, pr->prompt, pr->completion,
		                                         pr->request, pr->input_cache_read,
		                                         pr->input_cache_write, NULL)) ||
		                   !dp_policy_allows_endpoint(pol, p, &price))))
			continue;
		sy_money r = price_rank(ep);
		if (!best || r < best_rank) {
			best = ep;
			best_rank = r;
		}
	}
	return best;
}

static json_t *ep_params(const Sy__Model *m, const Sy__Endpoint *ep)
{
	return ep->n_supported_parameters
	           ? sy_json_strings(ep->supported_parameters, ep->n_supported_parameters)
	           : sy_json_strings(m->supported_parameters, m->n_supported_parameters);
}

/* m's entry priced from top; free_entry: its `:free` variant's ("<id>:free", "<name> (free)"). */
static json_t *model_json(const Sy__Model *m, const Sy__Endpoint *top, bool free_entry)
{
	char details[600], id[300], name[600];
	const char *base_name = m->name && *m->name ? m->name : m->id;
	snprintf(id, sizeof(id), "%s%s", m->id, free_entry ? ":free" : "");
	snprintf(name, sizeof(name), "%s%s", base_name, free_entry ? " (free)" : "");
	snprintf(details, sizeof(details), "/api/v1/models/%s/endpoints", m->id);
	uint32_t ctx = dp_route_context(m, top);
	json_t *params = m->n_supported_parameters
	                     ? sy_json_strings(m->supported_parameters, m->n_supported_parameters)
	                     : ep_params(m, top);
	json_t *maxc =
	    top->has_max_completion_tokens ? json_integer(top->max_completion_tokens) : json_null();
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:{s:o,s:o,s:b},s:n,s:o,s:{},"
	                 "s:{s:s},s:n}",
	                 "id", id, "canonical_slug", m->id, "name", name, "created",
	                 (json_int_t)m->created_at, "description",
	                 m->description ? m->description : "", "context_length",
	                 ctx ? json_integer(ctx) : json_null(), "architecture", architecture(m),
	                 "pricing", pricing(top->pricing), "top_provider", "context_length",
	                 ctx ? json_integer(ctx) : json_null(), "max_completion_tokens", maxc,
	                 "is_moderated", 0, "per_request_limits", "supported_parameters", params,
	                 "default_parameters", "links", "details", details, "supported_voices");
}

/* Every model listed (with pol: that pol allows) that passes mq, in id order. */
static json_t *matching_models(const struct dp_view *v, const struct dp_policy *pol,
                               const struct dp_catalog_query *mq)
{
	json_t *data = json_array();
	size_t n = dp_view_model_count(v);
	for (size_t i = 0; data && i < n; i++) {
		const Sy__Model *m = dp_view_model_at(v, i);
		const char *g;
		if (pol && !dp_policy_allows_model(pol, m->id, &g))
			continue;
		for (int free_entry = 0; free_entry < 2; free_entry++) {
			const Sy__Endpoint *top = cheapest(v, m, pol, free_entry);
			json_t *mj = top ? model_json(m, top, free_entry) : NULL;
			if (mj && dp_catalog_query_match(mq, m, mj))
				json_array_append(data, mj);
			json_decref(mj);
			if (is_free_id(m->id))
				break;
		}
	}
	return data;
}

json_t *dp_catalog_models(const struct dp_view *v, const struct dp_policy *pol,
                          const struct dp_catalog_query *mq, const char *path)
{
	json_t *all = matching_models(v, pol, mq);
	size_t total = json_array_size(all);
	size_t from = mq && mq->offset < total ? mq->offset : mq ? total : 0;
	size_t end = mq && mq->limit && total - from > mq->limit ? from + mq->limit : total;
	json_t *page = json_array();
	for (size_t i = from; page && i < end; i++)
		json_array_append(page, json_array_get(all, i));
	json_decref(all);
	return json_pack("{s:I,s:o,s:{s:o}}", "total_count", (json_int_t)total, "data", page,
	                 "links", "next", dp_catalog_query_next(mq, path, end, total));
}

json_t *dp_catalog_models_count(const struct dp_view *v, const struct dp_catalog_query *mq)
{
	json_t *all = matching_models(v, NULL, mq);
	json_t *j = json_pack("{s:{s:I}}", "data", "count", (json_int_t)json_array_size(all));
	json_decref(all);
	return j;
}

json_t *dp_catalog_model(const struct dp_view *v, const Sy__Model *m)
{
	const Sy__Endpoint *top = cheapest(v, m, NULL, false);
	return top ? json_pack("{s:o}", "data", model_json(m, top, false)) : NULL;
}

/* {p50, p75, p90, p99}, or null when there is no sample. */
static json_t *percentiles(const Sy__Percentiles *pc)
{
	if (!pc)
		return json_null();
	return json_pack("{s:f,s:f,s:f,s:f}", "p50", pc->p50, "p75", pc->p75, "p90", pc->p90, "p99",
	                 pc->p99);
}

static json_t *percent_or_null(bool has, double v)
{
	return has ? json_real(v) : json_null();
}

/* The controlplane's published measurements (null where it has none); status -1 marks an
 * endpoint it found degraded. */
static void add_stats(json_t *e, const Sy__EndpointStat *st)
{
	if (!e || !st)
		return;
	json_object_set_new(e, "latency_last_30m", percentiles(st->latency_ms));
	json_object_set_new(e, "throughput_last_30m", percentiles(st->throughput));
	json_object_set_new(e, "uptime_last_30m",
	                    percent_or_null(st->has_uptime_30m, st->uptime_30m));
	json_object_set_new(e, "uptime_last_5m", percent_or_null(st->has_uptime_5m, st->uptime_5m));
	json_object_set_new(e, "status", json_integer(st->degraded ? -1 : 0));
}

static json_t *endpoint_json(const Sy__Model *m, const Sy__Endpoint *ep, const Sy__Provider *p,
                             const Sy__EndpointStat *st)
{
	const char *pname = p->name && *p->name ? p->name : p->slug;
	const char *mname = m->name && *m->name ? m->name : m->id;
	char name[512];
	snprintf(name, sizeof(name), "%s | %s", pname, m->id);
	json_t *params = ep_params(m, ep);
	bool tools = has_param(m->supported_parameters, m->n_supported_parameters, "tools") ||
	             has_param(ep->supported_parameters, ep->n_supported_parameters, "tools");
	json_t *e = json_pack(
	    "{s:s,s:s,s:s,s:I,s:o,s:s,s:s,s:o,s:o,s:n,s:o,s:i,s:b,s:{s:b,s:b,s:b,"
	    "s:b},s:n,s:n,s:n,s:n,s:n}",
	    "name", name, "model_id", m->id, "model_name", mname, "context_length",
	    (json_int_t)dp_route_context(m, ep), "pricing", pricing(ep->pricing), "provider_name",
	    pname, "tag", ep->tag && *ep->tag ? ep->tag : p->slug, "quantization",
	    str_or_null(ep->quantization), "max_completion_tokens",
	    ep->has_max_completion_tokens ? json_integer(ep->max_completion_tokens) : json_null(),
	    "max_prompt_tokens", "supported_parameters", params, "status", 0,
	    "supports_implicit_caching", 0, "supports_tool_choice", "auto", tools, "function",
	    tools, "none", tools, "required", tools, "uptime_last_30m", "uptime_last_5m",
	    "uptime_last_1d", "latency_last_30m", "throughput_last_30m");
	add_stats(e, st);
	if (e) { /* the provider's data policy (routing's provider.zdr, data_collection) */
		json_object_set_new(e, "data_collection",
		                    json_string(p->data_collection_deny ? "deny" : "allow"));
		json_object_set_new(e, "zdr", json_boolean(p->zdr));
		json_object_set_new(e, "region", str_or_null(p->region));
		json_object_set_new(e, "datacenters",
		                    sy_json_strings(p->datacenters, p->n_datacenters));
	}
	return e;
}

json_t *dp_catalog_model_endpoints(const struct dp_view *v, const Sy__Model *m)
{
	json_t *eps = json_array();
	for (size_t i = 0; i < m->n_endpoints; i++) {
		const Sy__Provider *p = dp_view_provider(v, m->endpoints[i]->provider);
		if (p)
			json_array_append_new(
			    eps, endpoint_json(m, m->endpoints[i], p,
			                       dp_view_endpoint_stat(v, m->id, p->slug)));
	}
	return json_pack("{s:{s:s,s:s,s:I,s:s,s:o,s:o}}", "data", "id", m->id, "name",
	                 m->name && *m->name ? m->name : m->id, "created",
	                 (json_int_t)m->created_at, "description",
	                 m->description ? m->description : "", "architecture", architecture(m),
	                 "endpoints", eps);
}

json_t *dp_catalog_zdr_endpoints(const struct dp_view *v)
{
	json_t *data = json_array();
	size_t n = dp_view_model_count(v);
	for (size_t i = 0; data && i < n; i++) {
		const Sy__Model *m = dp_view_model_at(v, i);
		for (size_t k = 0; k < m->n_endpoints; k++) {
			const Sy__Provider *p = dp_view_provider(v, m->endpoints[k]->provider);
			if (p && p->zdr)
				json_array_append_new(
				    data, endpoint_json(m, m->endpoints[k], p,
				                        dp_view_endpoint_stat(v, m->id, p->slug)));
		}
	}
	return json_pack("{s:o}", "data", data);
}

json_t *dp_catalog_providers(const struct dp_view *v)
{
	json_t *data = json_array();
	size_t n = dp_view_provider_count(v);
	for (size_t i = 0; i < n; i++) {
		const Sy__Provider *p = dp_view_provider_at(v, i);
		json_array_append_new(data, json_pack("{s:s,s:s,s:n,s:n,s:n}", "name",
		                                      p->name && *p->name ? p->name : p->slug,
		                                      "slug", p->slug, "privacy_policy_url",
		                                      "terms_of_service_url", "status_page_url"));
	}
	return json_pack("{s:o}", "data", data);
}

/* ---- keys ------------------------------------------------------------------------------------ */

/* The fields both key kinds share; an inference key's usage is filled in by dp_catalog_key. */
static json_t *key_common(const char *label, const char *name, bool mgmt)
{
	return json_pack("{s:s,s:s,s:b,s:b,s:b,s:o,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:o,s:n,"
	                 "s:n,s:{s:i,s:i,s:i}}",
	                 "label", label ? label : "", "name", name ? name : "", "is_management_key",
	                 mgmt, "is_provisioning_key", mgmt, "is_free_tier", 0,
	                 "allowed_data_regions", json_array(), "usage", 0.0, "usage_daily", 0.0,
	                 "usage_weekly", 0.0, "usage_monthly", 0.0, "byok_usage", 0.0,
	                 "byok_usage_daily", 0.0, "byok_usage_weekly", 0.0, "byok_usage_monthly",
	                 0.0, "rate_limit",
	                 json_pack("{s:i,s:s,s:s}", "requests", -1, "interval", "10s", "note",
	                           "This field is deprecated and safe to ignore."),
	                 "creator_user_id", "workspace_id", "free_model_daily_requests", "limit",
	                 1000, "remaining", 1000, "used", 0);
}

/* A published usage snapshot as of now: total, daily, weekly, monthly. */
struct usage {
	sy_money v[4];
};

static struct usage published(sy_money total, sy_money daily, sy_money weekly, sy_money monthly,
                              int64_t at, int64_t now)
{
	const sy_money p[] = {daily, weekly, monthly};
	struct usage u = {{total}};
	for (int i = 0; i < 3; i++)
		u.v[i + 1] = sy_period_current((enum sy_period)i, p[i],
		                               sy_period_start((enum sy_period)i, at), now);
	return u;
}

static sy_money limit_usage(const struct usage *u, const char *limit_reset)
{
	return sy_limit_usage(limit_reset, u->v[0], u->v[1], u->v[2], u->v[3]);
}

/* name, name_daily, name_weekly, name_monthly */
static void usage_fields(json_t *d, const char *name, const struct usage *u)
{
	static const char *const sfx[] = {"", "_daily", "_weekly", "_monthly"};
	char k[32];
	for (int i = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "%s%s", name, sfx[i]);
		json_object_set_new(d, k, usd(u->v[i]));
	}
}

json_t *dp_catalog_key(const Sy__ApiKey *k, const Sy__Org *org)
{
	json_t *d = key_common(k->label, k->name, false);
	dp_free_key_fields(d, org, sy_unix_s());
	/* usage as the controlplane last published it; a period that ended since reads 0 */
	int64_t now = sy_unix_s(), at = k->has_usage_at ? k->usage_at : 0;
	struct usage u =
	    published(k->usage, k->usage_daily, k->usage_weekly, k->usage_monthly, at, now);
	struct usage byok = published(k->byok_usage, k->byok_usage_daily, k->byok_usage_weekly,
	                              k->byok_usage_monthly, at, now);
	struct usage waived = published(k->byok_waived, k->byok_waived_daily, k->byok_waived_weekly,
	                                k->byok_waived_monthly, at, now);
	/* the limit counts the charge, and with include_byok_in_limit all of the BYOK price */
	sy_money left = k->limit - limit_usage(&u, k->limit_reset) -
	                (k->include_byok_in_limit ? limit_usage(&waived, k->limit_reset) : 0);
	usage_fields(d, "usage", &u);
	usage_fields(d, "byok_usage", &byok);
	json_object_set_new(d, "limit", k->has_limit ? usd(k->limit) : json_null());
	json_object_set_new(d, "limit_remaining",
	                    k->has_limit ? usd(left > 0 ? left : 0) : json_null());
	json_object_set_new(d, "limit_reset", str_or_null(k->limit_reset));
	json_object_set_new(d, "include_byok_in_limit", json_boolean(k->include_byok_in_limit));
	json_object_set_new(d, "expires_at",
	                    k->has_expires_at ? iso_time(k->expires_at) : json_null());
	json_object_set_new(d, "disabled", json_boolean(k->disabled));
	json_object_set_new(d, "org_id", json_string(k->org_id));
	json_object_set_new(d, "organization_id", json_string(k->org_id));
	json_t *r = sy_restrict_json(k);
	if (r)
		json_object_update(d, r);
	json_decref(r);
	if (k->has_rpm) {
		json_t *rl = json_object_get(d, "rate_limit");
		json_object_set_new(rl, "requests", json_integer(k->rpm));
		json_object_set_new(rl, "interval", json_string("1m"));
	}
	return json_pack("{s:o}", "data", d);
}

json_t *dp_catalog_mgmt_key(const Sy__MgmtKey *mk)
{
	json_t *d = key_common(mk->label, mk->name, true);
	json_object_set_new(d, "limit", json_null());
	json_object_set_new(d, "limit_remaining", json_null());
	json_object_set_new(d, "limit_reset", json_null());
	json_object_set_new(d, "include_byok_in_limit", json_false());
	json_object_set_new(d, "expires_at", json_null());
	json_object_set_new(d, "disabled", json_false());
	json_object_set_new(d, "org_id", str_or_null(mk->org_id));
	json_object_set_new(d, "organization_id", str_or_null(mk->org_id));
	return json_pack("{s:o}", "data", d);
}

/* ---- generations ------------------------------------------------------------------------------ */

static const char *provider_display(const struct dp_view *v, const char *slug)
{
	const Sy__Provider *p = v && slug ? dp_view_provider(v, slug) : NULL;
	return p && p->name && *p->name ? p->name : slug;
}

static json_t *attempts_json(const struct dp_view *v, const Sy__UsageRecord *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n_attempts; i++) {
		const Sy__Attempt *t = r->attempts[i];
		json_t *o = json_pack(
		    "{s:o,s:o,s:o,s:I,s:s}", "provider", str_or_null(t->provider), "provider_name",
		    str_or_null(provider_display(v, t->provider)), "status",
		    t->status ? json_integer(t->status) : json_null(), "latency",
		    (json_int_t)t->latency_ms, "error_class", t->error_class ? t->error_class : "");
		if (t->model && *t->model)
			json_object_set_new(o, "model_permaslug", json_string(t->model));
		if (t->retry_reason && *t->retry_reason)
			json_object_set_new(o, "retry_reason", json_string(t->retry_reason));
		if (t->has_retry_wait_ms)
			json_object_set_new(o, "retry_wait_ms", json_integer(t->retry_wait_ms));
		if (t->has_malformed_events)
			json_object_set_new(o, "malformed_events",
			                    json_integer(t->malformed_events));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *dp_catalog_generation(const struct dp_view *v, const Sy__UsageRecord *r)
{
	const char *pname = r->provider_name && *r->provider_name
	                        ? r->provider_name
	                        : provider_display(v, r->provider);
	json_t *d = json_pack(
	    "{s:s,s:s,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:s,s:o,s:n,s:o,s:s,s:s}",
	    "id", r->id, "model", r->model ? r->model : "", "provider_name", str_or_null(pname),
	    "created_at", iso_time(r->created_at), "total_cost", usd(r->cost), "usage",
	    usd(r->cost), "is_byok", r->is_byok, "streamed", r->streamed, "cancelled", r->cancelled,
	    "finish_reason", str_or_null(r->finish_reason), "native_finish_reason",
	    str_or_null(r->native_finish_reason), "tokens_prompt", (json_int_t)r->prompt_tokens,
	    "tokens_completion", (json_int_t)r->completion_tokens, "native_tokens_prompt",
	    (json_int_t)r->prompt_tokens, "native_tokens_completion",
	    (json_int_t)r->completion_tokens, "native_tokens_reasoning",
	    (json_int_t)r->reasoning_tokens, "native_tokens_cached", (json_int_t)r->cached_tokens,
	    "latency", (json_int_t)r->latency_ms, "generation_time",
	    (json_int_t)r->generation_time_ms, "origin", r->http_referer ? r->http_referer : "",
	    "http_referer", str_or_null(r->http_referer), "app_id", "provider_responses",
	    attempts_json(v, r), "api_type", r->kind && *r->kind ? r->kind : "completions",
	    "data_region", "global");
	json_object_set_new(d, "kind", json_string(r->kind && *r->kind ? r->kind : "chat"));
	static const char *const nulls[] = {"cache_discount",
	                                    "external_user",
	                                    "moderation_latency",
	                                    "num_fetches",
	                                    "native_tokens_completion_images",
	                                    "num_input_audio_prompt",
	                                    "num_media_completion",
	                                    "num_media_prompt",
	                                    "num_search_results",
	                                    "preset_id",
	                                    "router",
	                                    "service_tier",
	                                    "upstream_id",
	                                    "upstream_inference_cost",
	                                    "user_agent",
	                                    "web_search_engine",
	                                    "workspace_id"};
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		json_object_set_new(d, nulls[i], json_null());
	json_object_set_new(d, "session_id", str_or_null(r->session_id));
	json_object_set_new(d, "app_title", str_or_null(r->app_title)); /* X-Title */
	json_object_set_new(d, "response_healing",
	                    str_or_null(dp_heal_status_name((enum dp_heal_status)r->heal)));
	return json_pack("{s:o}", "data", d);
}
