/* dp_route.c - OpenRouter provider routing: which endpoints to try, in which order.
 *
 * For each requested model: resolve the id (and its :free/:nitro/:floor variant), collect the
 * endpoints whose provider is in the catalog, run the provider-preference filters in a fixed
 * order, then order what is left. Healthy endpoints always come before unhealthy ones, which
 * stay in the plan as a last resort. Within each part the order is, by precedence:
 * provider.order, then the sort (provider.sort or the variant's), else load balancing: a
 * session's endpoint (dp_sticky) or a draw weighted by 1/price^2, the rest by ascending price.
 * The preferences were type-checked by dp_request_parse; a member of the wrong type here is
 * treated as absent. */
#include "dp_route.h"
#include "dp_embed.h"
#include "dp_free.h"
#include "dp_policy.h"
#include "dp_prefer.h"
#include "dp_sticky.h"
#include "sy_err.h"
#include "sy_prefs.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARAMS 32
#define MODEL_ID_MAX 256

enum variant {
	VARIANT_NONE,
	VARIANT_FREE,
	VARIANT_NITRO,
	VARIANT_FLOOR
};
enum sort_by {
	SORT_NONE,
	SORT_PRICE,
	SORT_THROUGHPUT,
	SORT_LATENCY
};

/* The filters, in the order they run; the last one that rejected anything names the cause
 * when a model is left with no endpoint. */
enum stage {
	STAGE_KEY_ALLOWED, /* the key's restrictions come first: the request's filters explain */
	STAGE_KEY_IGNORED, /* an empty list when both removed endpoints */
	STAGE_KEY_PRICE,
	STAGE_POLICY_ZDR,    /* the org's or a guardrail's zero data retention */
	STAGE_POLICY_REGION, /* a guardrail's allowed_data_regions */
	STAGE_FREE,
	STAGE_FREE_ONLY, /* a free endpoint serves only the :free variant (dp_free) */
	STAGE_ONLY,
	STAGE_IGNORE,
	STAGE_QUANT,
	STAGE_DATA,
	STAGE_ZDR,
	STAGE_REGION,
	STAGE_PARAMS,
	STAGE_MAX_PRICE,
	STAGE_ORDER,
	STAGE_COUNT
};

struct prefs {
	const json_t *all; /* the provider object, for dp_prefer */
	bool speed_prefs;  /* preferred_min_throughput or preferred_max_latency */
	const json_t *order, *only, *ignore, *quants, *max_price, *regions;
	bool zdr; /* provider.zdr: zero-data-retention endpoints only */
	bool allow_fallbacks;
	bool require_parameters;
	bool deny_collection;
	enum sort_by sort;
	bool partition_none; /* sort across all models' endpoints */
};

struct params {
	const char *name[MAX_PARAMS];
	size_t n;
};

struct cand {
	struct dp_route_target t;
	bool healthy;
	bool slow;          /* misses a speed preference (dp_prefer): after the others */
	int order_pos;      /* index in provider.order; INT_MAX when not named */
	double key;         /* sort key, lower first */
	sy_money per_token; /* prompt + completion price: load balancing and tie-breaks */
};

/* Why one model's list ended empty. */
struct rejects {
	size_t at[STAGE_COUNT];             /* endpoints rejected by each stage */
	const char *guardrail[STAGE_COUNT]; /* the last guardrail that rejected at each stage */
	bool supported[MAX_PARAMS]; /* some endpoint that reached STAGE_PARAMS supports it */
};

struct plan_model {
	const Sy__Model *model;
	enum variant variant;
	struct cand *c; /* its surviving endpoints */
	size_t n;
};

static int fail(int *status, int code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(int *status, int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	*status = code;
	return code == 404 ? SY_ENOTFOUND : code == 403 ? SY_EFORBIDDEN : SY_EINVAL;
}

/* A list for a message: appends ", item" (truncating at the end of the buffer). */
struct list {
	char s[256];
	size_t used;
};

static void list_add(struct list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void list_add(struct list *l, const char *fmt, ...)
{
	size_t room = sizeof(l->s) - l->used;
	if (room <= 1)
		return;
	char item[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	int n = snprintf(l->s + l->used, room, "%s%s", l->used ? ", " : "", item);
	l->used += n < 0 || (size_t)n >= room ? room - 1 : (size_t)n;
}

static enum sort_by sort_named(const char *s)
{
	if (!s)
		return SORT_NONE;
	if (!strcmp(s, "price"))
		return SORT_PRICE;
	if (!strcmp(s, "throughput"))
		return SORT_THROUGHPUT;
	if (!strcmp(s, "latency"))
		return SORT_LATENCY;
	return SORT_NONE;
}

/* A non-empty list; an empty one restricts nothing (SDKs send [] for "unset"). */
static const json_t *list_or_null(const json_t *p, const char *key)
{
	const json_t *v = json_object_get(p, key);
	return json_array_size(v) ? v : NULL;
}

static void read_prefs(const json_t *p, struct prefs *pf)
{
	*pf = (struct prefs){.allow_fallbacks = true};
	if (!json_is_object(p))
		return;
	pf->all = p;
	pf->speed_prefs = json_object_get(p, "preferred_min_throughput") ||
	                  json_object_get(p, "preferred_max_latency");
	pf->order = list_or_null(p, "order");
	pf->only = list_or_null(p, "only");
	pf->ignore = list_or_null(p, "ignore");
	pf->quants = list_or_null(p, "quantizations");
	pf->regions = list_or_null(p, "allowed_data_regions");
	pf->zdr = json_is_true(json_object_get(p, "zdr"));
	const json_t *mp = json_object_get(p, "max_price");
	pf->max_price = json_is_object(mp) && json_object_size(mp) ? mp : NULL;
	pf->allow_fallbacks = !json_is_false(json_object_get(p, "allow_fallbacks"));
	pf->require_parameters = json_is_true(json_object_get(p, "require_parameters"));
	const char *dc = json_string_value(json_object_get(p, "data_collection"));
	pf->deny_collection = dc && !strcmp(dc, "deny");
	const json_t *sort = json_object_get(p, "sort");
	if (json_is_object(sort)) {
		pf->sort = sort_named(json_string_value(json_object_get(sort, "by")));
		const char *part = json_string_value(json_object_get(sort, "partition"));
		pf->partition_none = pf->sort != SORT_NONE && part && !strcmp(part, "none");
	} else {
		pf->sort = sort_named(json_string_value(sort));
	}
}

static bool collect_param(const char *name, void *arg)
{
	struct params *ps = arg;
	if (ps->n == MAX_PARAMS)
		return false;
	ps->name[ps->n++] = name;
	return true;
}

/* The catalog model for id, trying the id as given first (a catalog may list "x/y:free"
 * itself), then without a known variant suffix. */
static const Sy__Model *resolve(const struct dp_route_ctx *ctx, const char *id,
                                enum variant *variant)
{
	static const char *const names[] = {
	    [VARIANT_FREE] = "free", [VARIANT_NITRO] = "nitro", [VARIANT_FLOOR] = "floor"};
	*variant = VARIANT_NONE;
	const char *colon = strrchr(id, ':');
	if (colon && !strchr(colon, '/'))
		for (int v = VARIANT_FREE; v <= VARIANT_FLOOR; v++)
			if (!strcmp(colon + 1, names[v]))
				*variant = (enum variant)v;
	const Sy__Model *m = ctx->model(ctx->arg, id);
	if (m || *variant == VARIANT_NONE)
		return m;
	char base[MODEL_ID_MAX];
	size_t len = (size_t)(colon - id);
	if (len >= sizeof(base))
		return NULL;
	memcpy(base, id, len);
	base[len] = '\0';
	return ctx->model(ctx->arg, base);
}

static bool names_provider(const json_t *list, const Sy__Provider *prov, int *pos)
{
	size_t i;
	const json_t *s;
	json_array_foreach(list, i, s)
	{
		const char *v = json_string_value(s);
		if (v &&
		    (!strcasecmp(v, prov->slug) || (prov->name && !strcasecmp(v, prov->name)))) {
			if (pos)
				*pos = (int)i;
			return true;
		}
	}
	return false;
}

static bool lists_string(const json_t *list, const char *want)
{
	size_t i;
	const json_t *s;
	json_array_foreach(list, i, s)
	{
		if (json_is_string(s) && !strcasecmp(json_string_value(s), want))
			return true;
	}
	return false;
}

static bool supports(const Sy__Model *m, const Sy__Endpoint *ep, const char *param)
{
	size_t n =
	    ep->n_supported_parameters ? ep->n_supported_parameters : m->n_supported_parameters;
	char **list =
	    ep->n_supported_parameters ? ep->supported_parameters : m->supported_parameters;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], param))
			return true;
	return false;
}

/* Price limit check: the request's limits are USD per million tokens (per request for
 * "request"); prices are money units per token. */
static bool within(const json_t *max_price, const char *key, sy_money price, double units_per_usd)
{
	double limit;
	return !sy_prefs_price(json_object_get(max_price, key), &limit) ||
	       sy_price_within(limit, price, units_per_usd);
}

static bool price_ok(const json_t *max_price, const struct sy_price *p)
{
	const double per_m = (double)SY_MONEY_SCALE / 1e6;
	return within(max_price, "prompt", p->prompt, per_m) &&
	       within(max_price, "completion", p->completion, per_m) &&
	       within(max_price, "request", p->request, (double)SY_MONEY_SCALE);
}

/* The first stage that rejects the endpoint, or STAGE_COUNT when it passes. */
/* The policy stage that rejects the endpoint, or STAGE_COUNT; *g the guardrail behind it. */
static enum stage policy_reject(const struct dp_policy *pol, const struct cand *c, const char **g)
{
	const Sy__Provider *prov = c->t.prov;
	const char *rule = NULL;
	*g = NULL;
	if (!pol)
		return STAGE_COUNT;
	if (!dp_policy_allows_provider(pol, prov, &rule, g))
		return strcmp(rule, "allowed_providers") ? STAGE_KEY_IGNORED : STAGE_KEY_ALLOWED;
	if (!dp_policy_allows_price(pol, &c->t.price, g))
		return STAGE_KEY_PRICE;
	if (pol->zdr_by && !prov->zdr)
		return STAGE_POLICY_ZDR;
	if (!dp_policy_allows_region(pol, prov, g))
		return STAGE_POLICY_REGION;
	return STAGE_COUNT;
}

static enum stage first_reject(const struct dp_policy *pol, const struct prefs *pf,
                               const struct params *ps, const struct plan_model *pm,
                               const struct cand *c, struct rejects *rj)
{
	const Sy__Provider *prov = c->t.prov;
	const char *g;
	enum stage s = policy_reject(pol, c, &g);
	if (s != STAGE_COUNT) {
		rj->guardrail[s] = g;
		return s;
	}
	if (pm->variant == VARIANT_FREE && !sy_price_is_free(&c->t.price))
		return STAGE_FREE;
	if (pm->variant != VARIANT_FREE && dp_free_endpoint(c->t.ep))
		return STAGE_FREE_ONLY;
	if (pf->only && !names_provider(pf->only, prov, NULL))
		return STAGE_ONLY;
	if (pf->ignore && names_provider(pf->ignore, prov, NULL))
		return STAGE_IGNORE;
	if (pf->quants &&
	    !lists_string(pf->quants, c->t.ep->quantization ? c->t.ep->quantization : "unknown"))
		return STAGE_QUANT;
	if (pf->deny_collection && !prov->data_collection_deny)
		return STAGE_DATA;
	if (pf->zdr && !prov->zdr)
		return STAGE_ZDR;
	if (pf->regions && !(prov->region && lists_string(pf->regions, prov->region)))
		return STAGE_REGION;
	if (pf->require_parameters) {
		bool all = true;
		for (size_t i = 0; i < ps->n; i++) {
			bool ok = supports(pm->model, c->t.ep, ps->name[i]);
			rj->supported[i] |= ok;
			all &= ok;
		}
		if (!all)
			return STAGE_PARAMS;
	}
	if (pf->max_price && !price_ok(pf->max_price, &c->t.price))
		return STAGE_MAX_PRICE;
	if (pf->order && !pf->allow_fallbacks && c->order_pos == INT_MAX)
		return STAGE_ORDER;
	return STAGE_COUNT;
}

static sy_money per_token(const struct sy_price *p)
{
	return p->prompt > INT64_MAX - p->completion ? INT64_MAX : p->prompt + p->completion;
}

/* The endpoint misses a speed preference it has a measurement for. */
static bool slow(const struct dp_route_ctx *ctx, const struct prefs *pf, const struct cand *c)
{
	const char *mid = c->t.model_id, *slug = c->t.ep->provider;
	const Sy__EndpointStat *st = ctx->stat ? ctx->stat(ctx->arg, mid, slug) : NULL;
	struct dp_prefer_speed s = {
	    .tps = ctx->throughput ? ctx->throughput(ctx->arg, mid, slug) : 0,
	    .ttft_ms = ctx->latency ? ctx->latency(ctx->arg, mid, slug) : 0,
	    .tps_p = st ? st->throughput : NULL,
	    .ttft_p = st ? st->latency_ms : NULL,
	};
	return dp_prefer_missed(pf->all, &s);
}

/* Collect pm's endpoints that pass every filter into pm->c (room for all of them). */
static void filter_model(const struct dp_route_ctx *ctx, const struct prefs *pf,
                         const struct params *ps, struct plan_model *pm, struct rejects *rj)
{
	const Sy__Model *m = pm->model;
	*rj = (struct rejects){0};
	pm->n = 0;
	for (size_t i = 0; i < m->n_endpoints; i++) {
		const Sy__Endpoint *ep = m->endpoints[i];
		const Sy__Provider *prov = ctx->provider(ctx->arg, ep->provider);
		struct cand c = {.t = {.model = m,
		                       .model_id = m->id,
		                       .ep = ep,
		                       .prov = prov,
		                       .free_variant = pm->variant == VARIANT_FREE},
		                 .order_pos = INT_MAX};
		const Sy__Pricing *pr = ep->pricing;
		/* an endpoint whose provider is gone or whose prices do not parse cannot serve */
		if (!prov ||
		    (pr && sy_price_parse(&c.t.price, pr->prompt, pr->completion, pr->request,
		                          pr->input_cache_read, pr->input_cache_write, NULL)))
			continue;
		if (pf->order)
			names_provider(pf->order, prov, &c.order_pos);
		enum stage s = first_reject(ctx->policy, pf, ps, pm, &c, rj);
		if (s != STAGE_COUNT) {
			rj->at[s]++;
			continue;
		}
		c.healthy = !ctx->healthy || ctx->healthy(ctx->arg, m->id, ep->provider);
		c.slow = pf->speed_prefs && slow(ctx, pf, &c);
		c.per_token = per_token(&c.t.price);
		pm->c[pm->n++] = c;
	}
}

/* The 404 for a model whose filters left nothing, naming the filter that emptied it. */
static int explain(const struct prefs *pf, const struct dp_policy *pol, const struct params *ps,
                   const struct plan_model *pm, const struct rejects *rj, struct dp_route_plan *out,
                   int *status, char *err, size_t errlen)
{
	const char *id = pm->model->id;
	int last = -1;
	for (int s = 0; s < STAGE_COUNT; s++)
		if (rj->at[s])
			last = s;
	struct list l = {.used = 0};
	char by[96];
	size_t i;
	const char *k;
	const json_t *v;
	switch (last) {
	case STAGE_KEY_ALLOWED:
	case STAGE_KEY_IGNORED:
	case STAGE_KEY_PRICE:
		out->rule = last == STAGE_KEY_ALLOWED   ? "allowed_providers"
		            : last == STAGE_KEY_IGNORED ? "ignored_providers"
		                                        : "max_price";
		out->guardrail = rj->guardrail[last];
		snprintf(by, sizeof(by), " of guardrail %s", out->guardrail ? out->guardrail : "");
		if (last == STAGE_KEY_PRICE)
			return fail(
			    status, 403, err, errlen,
			    "Every endpoint of %s is priced above this API key's max_price%s", id,
			    out->guardrail ? by : "");
		return fail(status, 403, err, errlen,
		            "This API key may not use any provider of %s (%s%s)", id, out->rule,
		            out->guardrail ? by : "");
	case STAGE_POLICY_ZDR:
		return fail(status, 404, err, errlen,
		            "No endpoints found matching your data policy (zdr: zero data "
		            "retention, enforced %s%s)",
		            strcmp(pol->zdr_by, "your organization") ? "by guardrail " : "for ",
		            pol->zdr_by);
	case STAGE_POLICY_REGION:
		return fail(status, 404, err, errlen,
		            "No endpoints found matching your data policy (allowed_data_regions of "
		            "guardrail %s)",
		            rj->guardrail[last]);
	case STAGE_FREE:
		return fail(status, 404, err, errlen, "No free endpoints found for %s", id);
	case STAGE_FREE_ONLY:
		return fail(status, 404, err, errlen,
		            "No endpoints found for %s (its free endpoints serve only %s:free)", id,
		            id);
	case STAGE_ONLY:
		return fail(status, 404, err, errlen,
		            "No allowed providers are available for the selected model "
		            "(provider.only)");
	case STAGE_IGNORE:
		return fail(status, 404, err, errlen,
		            "No allowed providers are available for the selected model "
		            "(provider.ignore)");
	case STAGE_QUANT:
		json_array_foreach(pf->quants, i, v)
		{
			list_add(&l, "%s", json_string_value(v));
		}
		return fail(status, 404, err, errlen,
		            "No endpoints found matching the requested quantizations "
		            "(provider.quantizations: %s)",
		            l.s);
	case STAGE_DATA:
		return fail(status, 404, err, errlen,
		            "No endpoints found matching your data policy (data_collection: deny)");
	case STAGE_ZDR:
		return fail(status, 404, err, errlen,
		            "No endpoints found matching your data policy (zdr: zero data "
		            "retention)");
	case STAGE_REGION:
		json_array_foreach(pf->regions, i, v)
		{
			list_add(&l, "%s", json_string_value(v));
		}
		return fail(
		    status, 404, err, errlen,
		    "No endpoints found matching your data policy (allowed_data_regions: %s)", l.s);
	case STAGE_PARAMS:
		/* name what no endpoint supports; if each is supported somewhere, all of them */
		for (int pass = 0; pass < 2 && !l.used; pass++)
			for (i = 0; i < ps->n; i++)
				if (pass || !rj->supported[i])
					list_add(&l, "%s", ps->name[i]);
		return fail(status, 404, err, errlen,
		            "No endpoints found that support the requested parameters "
		            "(require_parameters): %s",
		            l.s);
	case STAGE_MAX_PRICE:
		json_object_foreach((json_t *)pf->max_price, k, v)
		{
			double limit = 0;
			sy_prefs_price(v, &limit);
			list_add(&l, "%s $%g%s", k, limit, strcmp(k, "request") ? "/M tokens" : "");
		}
		return fail(status, 404, err, errlen,
		            "No endpoints found with prices within max_price (%s)", l.s);
	case STAGE_ORDER:
		return fail(status, 404, err, errlen,
		            "No allowed providers are available for the selected model "
		            "(provider.order with allow_fallbacks: false)");
	default:
		return fail(status, 404, err, errlen, "No endpoints found for %s", id);
	}
}

static double metric(double (*fn)(void *, const char *, const char *), void *arg,
                     const struct cand *c)
{
	double v = fn ? fn(arg, c->t.model_id, c->t.ep->provider) : NAN;
	return isfinite(v) && v > 0 ? v : NAN;
}

static void set_keys(const struct dp_route_ctx *ctx, enum sort_by sort, struct cand *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double v;
		switch (sort) {
		case SORT_THROUGHPUT:
			v = metric(ctx->throughput, ctx->arg, &g[i]);
			g[i].key = isnan(v) ? INFINITY : -v; /* higher first, unknown last */
			break;
		case SORT_LATENCY:
			v = metric(ctx->latency, ctx->arg, &g[i]);
			g[i].key = isnan(v) ? INFINITY : v;
			break;
		default:
			g[i].key = (double)g[i].per_token;
			break;
		}
	}
}

/* Healthy first; then those meeting the speed preferences; then provider.order positions;
 * then the key; then price. */
static bool before(const struct cand *a, const struct cand *b)
{
	if (a->healthy != b->healthy)
		return a->healthy;
	if (a->slow != b->slow)
		return !a->slow;
	if (a->order_pos != b->order_pos)
		return a->order_pos < b->order_pos;
	if (a->key != b->key)
		return a->key < b->key;
	return a->per_token < b->per_token;
}

/* Stable, in place; lists are short. */
static void sort_cands(struct cand *g, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct cand c = g[i];
		size_t j = i;
		for (; j > 0 && before(&c, &g[j - 1]); j--)
			g[j] = g[j - 1];
		g[j] = c;
	}
}

/* Weighted by 1/price^2; free endpoints (price 0) win, uniformly among themselves. */
static size_t weighted_pick(const struct cand *g, size_t n, uint64_t draw)
{
	double u = (double)(draw >> 11) * 0x1.0p-53; /* [0, 1) */
	size_t n_free = 0;
	for (size_t i = 0; i < n; i++)
		n_free += g[i].per_token == 0;
	if (n_free) {
		size_t k = (size_t)(u * (double)n_free);
		for (size_t i = 0; i < n; i++)
			if (g[i].per_token == 0 && !k--)
				return i;
	}
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += 1.0 / ((double)g[i].per_token * (double)g[i].per_token);
	double x = u * total;
	for (size_t i = 0; i < n; i++) {
		x -= 1.0 / ((double)g[i].per_token * (double)g[i].per_token);
		if (x < 0)
			return i;
	}
	return n - 1;
}

/* The session's endpoint among the first n (dp_sticky: the same on every worker). */
static size_t sticky_pick(const char *session_id, const struct cand *g, size_t n)
{
	size_t best = 0;
	double best_score = INFINITY;
	for (size_t i = 0; i < n; i++) {
		double s = dp_sticky_score(session_id, g[i].t.model_id, g[i].t.ep->provider,
		                           g[i].per_token);
		if (s < best_score) {
			best = i;
			best_score = s;
		}
	}
	return best;
}

/* Order one group of candidates in place; returns how many to keep. */
static size_t order_group(const struct dp_route_ctx *ctx, const struct prefs *pf, enum sort_by sort,
                          const char *session_id, struct cand *g, size_t n, uint64_t draw)
{
	set_keys(ctx, sort, g, n);
	sort_cands(g, n);
	if (!pf->order && sort == SORT_NONE && n > 1) {
		/* load balancing: the first choice among the healthy ones that meet the speed
		 * preferences (sorted first), else the healthy ones, else all */
		size_t n_healthy = 0, n_fast = 0;
		while (n_healthy < n && g[n_healthy].healthy)
			n_healthy++;
		while (n_fast < n_healthy && !g[n_fast].slow)
			n_fast++;
		size_t among = n_fast ? n_fast : n_healthy ? n_healthy : n;
		size_t pick =
		    session_id ? sticky_pick(session_id, g, among) : weighted_pick(g, among, draw);
		struct cand first = g[pick];
		memmove(&g[1], &g[0], pick * sizeof(g[0]));
		g[0] = first;
	}
	/* without fallbacks only the chosen endpoint (or the named ones) may serve */
	if (!pf->allow_fallbacks && !pf->order && n > 1)
		n = 1;
	return n;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static void emit(struct dp_route_plan *out, const struct cand *g, size_t n)
{
	for (size_t i = 0; i < n && out->n < DP_ROUTE_MAX; i++)
		out->t[out->n++] = g[i].t;
}

static enum sort_by model_sort(const struct prefs *pf, enum variant v)
{
	if (pf->sort != SORT_NONE)
		return pf->sort;
	if (v == VARIANT_NITRO)
		return SORT_THROUGHPUT;
	if (v == VARIANT_FLOOR)
		return SORT_PRICE;
	return SORT_NONE;
}

uint32_t dp_route_context(const Sy__Model *m, const Sy__Endpoint *ep)
{
	return ep->has_context_length && ep->context_length ? ep->context_length
	                                                    : m->context_length;
}

struct drops {
	const struct dp_route_target *t;
	const char **drop;
	size_t n, max;
};

static bool add_drop(const char *member, const char *param, void *arg)
{
	struct drops *d = arg;
	/* without its tools a request would get a different answer, not a weaker one */
	if (!strcmp(member, "tools") || !strcmp(member, "tool_choice") ||
	    supports(d->t->model, d->t->ep, param))
		return true;
	d->drop[d->n++] = member;
	return d->n < d->max;
}

size_t dp_route_unsupported(const struct dp_chat_req *req, const struct dp_route_target *t,
                            const char **drop, size_t max)
{
	struct drops d = {.t = t, .drop = drop, .n = 0, .max = max};
	if (max && (t->ep->n_supported_parameters || t->model->n_supported_parameters))
		dp_request_each_member(req, add_drop, &d);
	drop[d.n] = NULL;
	return d.n;
}

int dp_route_plan(const struct dp_route_ctx *ctx, const struct dp_chat_req *req,
                  struct dp_route_plan *out, int *status, char *err, size_t errlen)
{
	struct plan_model pms[DP_REQUEST_MAX_MODELS];
	struct prefs pf;
	struct params ps = {.n = 0};
	struct cand *all = NULL;
	size_t total = 0;
	int rc;
	out->n = 0;
	out->rule = out->guardrail = out->reason = NULL;
	read_prefs(req->provider, &pf);
	if (pf.require_parameters)
		dp_request_each_param(req, collect_param, &ps);
	if (!req->n_models)
		return fail(status, 400, err, errlen, "No model given");
	for (size_t i = 0; i < req->n_models; i++) {
		pms[i].model = resolve(ctx, req->models[i], &pms[i].variant);
		if (!pms[i].model) {
			out->reason = "model_not_found";
			return fail(status, 400, err, errlen, "Model %s does not exist",
			            req->models[i]);
		}
		if (dp_embed_model(pms[i].model) != req->embeddings)
			return fail(status, 400, err, errlen,
			            req->embeddings ? "Model %s does not make embeddings (its "
			                              "output_modalities lack \"embeddings\")"
			                            : "Model %s is an embeddings model: use POST "
			                              "/embeddings",
			            req->models[i]);
		total += pms[i].model->n_endpoints;
	}
	all = calloc(total ? total : 1, sizeof(*all));
	if (!all) {
		fail(status, 500, err, errlen, "Out of memory");
		return -ENOMEM;
	}
	/* filter every model; the first model's reason explains an empty plan */
	struct rejects first_rj = {0};
	size_t n_cands = 0, first_empty = SIZE_MAX;
	for (size_t i = 0; i < req->n_models; i++) {
		struct rejects rj;
		pms[i].c = all + n_cands;
		filter_model(ctx, &pf, &ps, &pms[i], &rj);
		n_cands += pms[i].n;
		if (!pms[i].n && first_empty == SIZE_MAX) {
			first_empty = i;
			first_rj = rj;
		}
	}
	if (!n_cands) {
		out->reason = "no_endpoint";
		rc = explain(&pf, ctx->policy, &ps, &pms[first_empty], &first_rj, out, status, err,
		             errlen);
		goto out;
	}
	if (pf.partition_none) {
		/* one ranking across the models (the candidates are contiguous in model order) */
		emit(out, all, order_group(ctx, &pf, pf.sort, NULL, all, n_cands, ctx->random));
	} else {
		for (size_t i = 0; i < req->n_models; i++) {
			uint64_t draw = i ? splitmix64(ctx->random + i) : ctx->random;
			size_t n = order_group(ctx, &pf, model_sort(&pf, pms[i].variant),
			                       req->session_id, pms[i].c, pms[i].n, draw);
			emit(out, pms[i].c, n);
		}
	}
	rc = 0;
out:
	free(all);
	return rc;
}
