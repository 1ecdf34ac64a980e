/* dp_policy.c - key restrictions: addresses, origins, model globs, provider lists, prices.
 *
 * Every check reads the key as the view holds it: parsing an address list costs one
 * inet_pton per entry, which is less than the request's JSON parse by orders of magnitude,
 * so nothing is precompiled. */
#include "dp_policy.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_err.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XFF_LINES_MAX 16
#define HOST_MAX 256

static bool trusted_addr(const struct sy_cidr *trusted, size_t n, const struct sy_cidr *a)
{
	for (size_t i = 0; i < n; i++)
		if (sy_cidr_contains(&trusted[i], a))
			return true;
	return false;
}

int dp_policy_client_addr(const struct sy_cidr *peer, const struct sy_cidr *trusted,
                          size_t n_trusted, const char *const *xff, size_t n_xff,
                          struct sy_cidr *out)
{
	*out = *peer;
	if (!trusted_addr(trusted, n_trusted, peer))
		return 0; /* a header from anyone but our own proxies says nothing */
	for (size_t line = n_xff; line-- > 0;) {
		const char *s = xff[line];
		size_t end = strlen(s);
		while (end > 0) {
			size_t start = end;
			while (start > 0 && s[start - 1] != ',')
				start--;
			if (sy_cidr_parse_addr(s + start, end - start, out))
				return SY_EINVAL;
			if (!trusted_addr(trusted, n_trusted, out))
				return 0;
			end = start ? start - 1 : 0;
		}
	}
	return 0;
}

struct xff {
	const char *v[XFF_LINES_MAX];
	size_t n;
};

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct xff *x = cls;
	if (key && value && !strcasecmp(key, "X-Forwarded-For")) {
		if (x->n == XFF_LINES_MAX) /* keep the right-most lines: they are our proxies' */
			memmove(x->v, x->v + 1, sizeof(x->v) - sizeof(x->v[0])), x->n--;
		x->v[x->n++] = value;
	}
	return MHD_YES;
}

void dp_policy_client_read(struct MHD_Connection *c, const struct dp_config *cfg,
                           struct dp_policy_client *cl)
{
	*cl = (struct dp_policy_client){0};
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sy_cidr peer;
	if (ci && !sy_cidr_from_sockaddr(ci->client_addr, &peer)) {
		struct xff x = {.n = 0};
		if (cfg && cfg->n_trusted_proxies)
			MHD_get_connection_values(c, MHD_HEADER_KIND, collect_xff, &x);
		cl->has_addr = dp_policy_client_addr(&peer, cfg ? cfg->trusted_proxies : NULL,
		                                     cfg ? cfg->n_trusted_proxies : 0, x.v, x.n,
		                                     &cl->addr) == 0;
	}
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	if (!origin || !strcmp(origin, "null")) /* "null": an opaque origin names nobody */
		origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "HTTP-Referer");
	cl->origin = origin;
}

static bool refuse(struct dp_policy_refusal *r, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool refuse(struct dp_policy_refusal *r, const char *rule, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	r->rule = rule;
	return false;
}

/* "scheme://host[:port][/...]" split; port 0 = the scheme's default. */
struct origin {
	char scheme[8];
	char host[HOST_MAX];
	unsigned port;
};

static bool parse_origin(const char *s, struct origin *o, bool need_scheme)
{
	*o = (struct origin){.port = 0};
	const char *h = strstr(s, "://");
	if (h) {
		size_t n = (size_t)(h - s);
		if (n >= sizeof(o->scheme))
			return false;
		memcpy(o->scheme, s, n);
		o->scheme[n] = '\0';
		h += 3;
	} else if (need_scheme) {
		return false;
	} else {
		h = s;
	}
	size_t n = strcspn(h, ":/?#");
	if (!n || n >= sizeof(o->host))
		return false;
	memcpy(o->host, h, n);
	o->host[n] = '\0';
	if (h[n] == ':') {
		char *end;
		unsigned long port = strtoul(h + n + 1, &end, 10);
		if (end == h + n + 1 || port == 0 || port > 65535 || (*end && !strchr("/?#", *end)))
			return false;
		o->port = (unsigned)port;
	}
	if (!strcasecmp(o->scheme, "https") && o->port == 443)
		o->port = 0;
	if (!strcasecmp(o->scheme, "http") && o->port == 80)
		o->port = 0;
	return true;
}

static bool origin_matches(const char *pattern, const struct origin *o)
{
	if (!strncmp(pattern, "*.", 2)) {
		size_t pn = strlen(pattern + 1), hn = strlen(o->host);
		return hn > pn && !strcasecmp(o->host + hn - pn, pattern + 1);
	}
	struct origin p;
	if (!parse_origin(pattern, &p, false))
		return false;
	if (!p.scheme[0]) /* a bare host: any scheme, any port */
		return !strcasecmp(p.host, o->host);
	return !strcasecmp(p.scheme, o->scheme) && !strcasecmp(p.host, o->host) &&
	       p.port == o->port;
}

bool dp_policy_check_client(const Sy__ApiKey *k, const struct dp_policy_client *cl,
                            struct dp_policy_refusal *r)
{
	r->guardrail = NULL;
	if (k->n_allowed_ips) {
		bool ok = false;
		for (size_t i = 0; cl->has_addr && !ok && i < k->n_allowed_ips; i++) {
			struct sy_cidr range;
			ok = !sy_cidr_parse(k->allowed_ips[i], &range) &&
			     sy_cidr_contains(&range, &cl->addr);
		}
		if (!ok)
			return refuse(r, "allowed_ips",
			              "This API key may not be used from this address "
			              "(allowed_ips)");
	}
	if (k->n_allowed_referrers) {
		struct origin o;
		bool ok = false;
		if (cl->origin && parse_origin(cl->origin, &o, true))
			for (size_t i = 0; !ok && i < k->n_allowed_referrers; i++)
				ok = origin_matches(k->allowed_referrers[i], &o);
		if (!ok)
			return refuse(r, "allowed_referrers",
			              "This API key may not be used from this site "
			              "(allowed_referrers: the Origin or HTTP-Referer header must "
			              "name an allowed site)");
	}
	return true;
}

bool dp_policy_model_matches(const char *pattern, const char *id)
{
	if (!fnmatch(pattern, id, 0))
		return true;
	const char *colon = strrchr(id, ':'), *slash = strchr(id, '/');
	char base[256];
	size_t n = colon ? (size_t)(colon - id) : 0;
	if (!colon || !slash || colon < slash || n >= sizeof(base))
		return false;
	memcpy(base, id, n);
	base[n] = '\0';
	return !fnmatch(pattern, base, 0);
}

/* One allowed_models list: true when empty or when a pattern covers id. */
static bool models_allow(char *const *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (dp_policy_model_matches(v[i], id))
			return true;
	return n == 0;
}

bool dp_policy_allows_model(const struct dp_policy *pol, const char *id, const char **guardrail)
{
	*guardrail = NULL;
	if (pol->key && !models_allow(pol->key->allowed_models, pol->key->n_allowed_models, id))
		return false;
	for (size_t i = 0; i < pol->n_g; i++) {
		if (!models_allow(pol->g[i]->allowed_models, pol->g[i]->n_allowed_models, id)) {
			*guardrail = pol->g[i]->id;
			return false;
		}
	}
	return true;
}

bool dp_policy_check_models(const struct dp_policy *pol, const struct dp_chat_req *req,
                            struct dp_policy_refusal *r)
{
	for (size_t i = 0; i < req->n_models; i++) {
		const char *g;
		if (dp_policy_allows_model(pol, req->models[i], &g))
			continue;
		r->guardrail = g;
		if (g)
			return refuse(r, "allowed_models",
			              "This API key may not use model %.128s (allowed_models of "
			              "guardrail %s)",
			              req->models[i], g);
		return refuse(r, "allowed_models",
		              "This API key may not use model %.128s (allowed_models)",
		              req->models[i]);
	}
	return true;
}

int dp_policy_merge_prefs(const Sy__ApiKey *k, struct dp_chat_req *req)
{
	if (!k->provider_prefs)
		return 0;
	json_t *merged = json_loads(k->provider_prefs, 0, NULL);
	if (!json_is_object(merged)) {
		json_decref(merged);
		return 0;
	}
	if ((req->provider && json_object_update(merged, req->provider)) ||
	    json_object_set_new(req->body, "provider", merged))
		return -ENOMEM;
	req->provider = merged;
	return 0;
}

static bool lists(char *const *v, size_t n, const Sy__Provider *p)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v[i], p->slug) || (p->name && !strcasecmp(v[i], p->name)))
			return true;
	return false;
}

static bool has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

int dp_policy_init(struct dp_policy *pol, const struct dp_view *v, const Sy__ApiKey *key,
                   const Sy__Org *org)
{
	*pol = (struct dp_policy){.key = key};
	if (org && org->enforce_zdr)
		pol->zdr_by = "your organization";
	size_t n = v ? dp_view_guardrail_count(v) : 0;
	for (size_t i = 0; key && i < n; i++) {
		const Sy__Guardrail *g = dp_view_guardrail_at(v, i);
		if (!has(g->org_ids, g->n_org_ids, key->org_id) &&
		    !has(g->key_hashes, g->n_key_hashes, key->hash))
			continue;
		if (pol->n_g == DP_POLICY_GUARDRAILS_MAX)
			return SY_ETOOBIG;
		pol->g[pol->n_g++] = g;
		if (g->enforce_zdr && !pol->zdr_by)
			pol->zdr_by = g->id;
	}
	return 0;
}

bool dp_policy_allows_provider(const struct dp_policy *pol, const Sy__Provider *p,
                               const char **rule, const char **guardrail)
{
	const Sy__ApiKey *k = pol ? pol->key : NULL;
	*guardrail = NULL;
	*rule = "allowed_providers";
	if (k && k->n_allowed_providers && !lists(k->allowed_providers, k->n_allowed_providers, p))
		return false;
	for (size_t i = 0; pol && i < pol->n_g; i++) {
		const Sy__Guardrail *g = pol->g[i];
		if (g->n_allowed_providers &&
		    !lists(g->allowed_providers, g->n_allowed_providers, p)) {
			*guardrail = g->id;
			return false;
		}
	}
	*rule = "ignored_providers";
	return !(k && lists(k->ignored_providers, k->n_ignored_providers, p));
}

static bool within(protobuf_c_boolean has_limit, double limit, sy_money price, double units_per_usd)
{
	return !has_limit || sy_price_within(limit, price, units_per_usd);
}

static bool price_within(const Sy__MaxPrice *mp, const struct sy_price *p)
{
	const double per_m = (double)SY_MONEY_SCALE / 1e6;
	return !mp || (within(mp->has_prompt, mp->prompt, p->prompt, per_m) &&
	               within(mp->has_completion, mp->completion, p->completion, per_m) &&
	               within(mp->has_request, mp->request, p->request, (double)SY_MONEY_SCALE));
}

bool dp_policy_allows_price(const struct dp_policy *pol, const struct sy_price *p,
                            const char **guardrail)
{
	*guardrail = NULL;
	if (!pol)
		return true;
	if (pol->key && !price_within(pol->key->max_price, p))
		return false;
	for (size_t i = 0; i < pol->n_g; i++) {
		if (!price_within(pol->g[i]->max_price, p)) {
			*guardrail = pol->g[i]->id;
			return false;
		}
	}
	return true;
}

bool dp_policy_allows_region(const struct dp_policy *pol, const Sy__Provider *p,
                             const char **guardrail)
{
	*guardrail = NULL;
	for (size_t i = 0; pol && i < pol->n_g; i++) {
		const Sy__Guardrail *g = pol->g[i];
		if (g->n_allowed_data_regions &&
		    !has(g->allowed_data_regions, g->n_allowed_data_regions, p->region)) {
			*guardrail = g->id;
			return false;
		}
	}
	return true;
}

bool dp_policy_allows_endpoint(const struct dp_policy *pol, const Sy__Provider *p,
                               const struct sy_price *price)
{
	const char *rule, *g;
	return dp_policy_allows_provider(pol, p, &rule, &g) &&
	       dp_policy_allows_price(pol, price, &g) && (!pol->zdr_by || p->zdr) &&
	       dp_policy_allows_region(pol, p, &g);
}
