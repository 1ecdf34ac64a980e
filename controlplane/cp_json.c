/* cp_json.c - entity <-> JSON, field by field. */
#include "cp_json.h"
#include "cp_validate.h"
#include "sy_cost.h"
#include "sy_json.h"
#include "sy_money.h"
#include "sy_restrict.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *cp_json_time(int64_t t)
{
	if (t <= 0)
		return json_null();
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/* json_string that maps NULL to null. */
static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *cp_json_usd(sy_money m)
{
	return json_real(sy_money_usd(m));
}

json_t *cp_json_org(const Sy__Org *o)
{
	bool postpaid = o->has_postpaid && o->postpaid;
	return json_pack("{s:s,s:s,s:o,s:o,s:b,s:s,s:b,s:b,s:o}", "id", o->id, "name",
	                 o->name ? o->name : "", "created_at", cp_json_time(o->created_at),
	                 "updated_at", cp_json_time(o->updated_at), "postpaid", postpaid, "billing",
	                 postpaid ? "postpaid" : "prepaid", "enforce_zdr", o->enforce_zdr,
	                 "byok_fallback", o->byok_fallback, "default_model",
	                 str_or_null(o->default_model));
}

json_t *cp_json_key(const Sy__ApiKey *k, const struct cp_key_usage *u)
{
	json_t *limit = json_null(), *remaining = json_null();
	if (k->has_limit) {
		sy_money left =
		    k->limit - cp_ledger_limit_usage(u, k->limit_reset, k->include_byok_in_limit);
		limit = cp_json_usd(k->limit);
		remaining = cp_json_usd(left > 0 ? left : 0);
	}
	json_t *j = json_pack(
	    "{s:s,s:o,s:o,s:s,s:b,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "hash", k->hash, "name", json_string(k->name ? k->name : ""), "label",
	    json_string(k->label ? k->label : ""), "org_id", k->org_id, "disabled",
	    k->has_disabled && k->disabled, "limit", limit, "limit_remaining", remaining,
	    "limit_reset", str_or_null(k->limit_reset), "include_byok_in_limit",
	    k->has_include_byok_in_limit && k->include_byok_in_limit, "usage",
	    cp_json_usd(u->total), "usage_daily", cp_json_usd(u->daily), "usage_weekly",
	    cp_json_usd(u->weekly), "usage_monthly", cp_json_usd(u->monthly), "created_at",
	    cp_json_time(k->created_at), "updated_at", cp_json_time(k->updated_at), "expires_at",
	    cp_json_time(k->has_expires_at ? k->expires_at : 0), "rpm",
	    k->has_rpm ? json_integer(k->rpm) : json_null(), "rpd",
	    k->has_rpd ? json_integer(k->rpd) : json_null(), "tpm",
	    k->has_tpm ? json_integer(k->tpm) : json_null(), "default_model",
	    str_or_null(k->default_model));
	/* OpenRouter's BYOK usage (its BYOK generations' provider price); there are no users;
	 * the org is the workspace */
	json_t * or = json_pack("{s:o,s:o,s:o,s:o,s:n,s:n,s:s}", "byok_usage",
	                        cp_json_usd(u->byok[SY_PERIOD_LIFETIME]), "byok_usage_daily",
	                        cp_json_usd(u->byok[SY_PERIOD_DAILY]), "byok_usage_weekly",
	                        cp_json_usd(u->byok[SY_PERIOD_WEEKLY]), "byok_usage_monthly",
	                        cp_json_usd(u->byok[SY_PERIOD_MONTHLY]), "creator_user_id",
	                        "external_user", "workspace_id", k->org_id);
	json_t *r = sy_restrict_json(k);
	if (!j || !r || ! or || json_object_update(j, r) || json_object_update(j, or)) {
		json_decref(j);
		j = NULL;
	}
	json_decref(r);
	json_decref(or);
	return j;
}

json_t *cp_json_mkey(const Sy__MgmtKey *k)
{
	return json_pack("{s:s,s:o,s:o,s:o,s:o}", "hash", k->hash, "name", str_or_null(k->name),
	                 "label", str_or_null(k->label), "org_id", str_or_null(k->org_id),
	                 "created_at", cp_json_time(k->created_at));
}

static json_t *opt_uint(protobuf_c_boolean has, uint32_t v)
{
	return has ? json_integer(v) : json_null();
}

json_t *cp_json_provider(const Sy__Provider *p)
{
	json_t *j = json_pack(
	    "{s:s,s:o,s:o,s:o,s:b,s:o,s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:o}", "slug", p->slug, "name",
	    str_or_null(p->name), "adapter", str_or_null(p->adapter), "base_url",
	    str_or_null(p->base_url), "has_api_key", p->has_api_key_enc && p->api_key_enc.len,
	    "api_key_env", str_or_null(p->api_key_env), "data_collection",
	    p->has_data_collection_deny && p->data_collection_deny ? "deny" : "allow", "internal",
	    p->has_internal && p->internal, "connect_timeout_ms",
	    opt_uint(p->has_connect_timeout_ms, p->connect_timeout_ms), "first_byte_timeout_ms",
	    opt_uint(p->has_first_byte_timeout_ms, p->first_byte_timeout_ms), "idle_timeout_ms",
	    opt_uint(p->has_idle_timeout_ms, p->idle_timeout_ms), "total_timeout_ms",
	    opt_uint(p->has_total_timeout_ms, p->total_timeout_ms), "created_at",
	    cp_json_time(p->created_at), "updated_at", cp_json_time(p->updated_at));
	if (j) {
		json_object_set_new(j, "zdr", json_boolean(p->zdr));
		json_object_set_new(j, "region", str_or_null(p->region));
		json_object_set_new(j, "datacenters",
		                    sy_json_strings(p->datacenters, p->n_datacenters));
	}
	return j;
}

static json_t *pricing_json(const Sy__Pricing *pr)
{
	json_t *o = json_object();
	if (!o || !pr)
		return o;
	const char *names[] = {"prompt", "completion", "request", "input_cache_read",
	                       "input_cache_write"};
	const char *vals[] = {pr->prompt, pr->completion, pr->request, pr->input_cache_read,
	                      pr->input_cache_write};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (vals[i])
			json_object_set_new(o, names[i], json_string(vals[i]));
	return o;
}

static json_t *endpoint_json(const Sy__Endpoint *e)
{
	return json_pack(
	    "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "provider", e->provider, "provider_model_id",
	    e->provider_model_id, "pricing", pricing_json(e->pricing), "quantization",
	    str_or_null(e->quantization), "max_completion_tokens",
	    opt_uint(e->has_max_completion_tokens, e->max_completion_tokens), "context_length",
	    opt_uint(e->has_context_length, e->context_length), "supported_parameters",
	    sy_json_strings(e->supported_parameters, e->n_supported_parameters), "tag",
	    str_or_null(e->tag));
}

json_t *cp_json_model(const Sy__Model *m)
{
	json_t *eps = json_array();
	for (size_t i = 0; eps && i < m->n_endpoints; i++)
		json_array_append_new(eps, endpoint_json(m->endpoints[i]));
	return json_pack(
	    "{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", m->id, "name",
	    str_or_null(m->name), "description", str_or_null(m->description), "context_length",
	    opt_uint(m->has_context_length, m->context_length), "input_modalities",
	    sy_json_strings(m->input_modalities, m->n_input_modalities), "output_modalities",
	    sy_json_strings(m->output_modalities, m->n_output_modalities), "supported_parameters",
	    sy_json_strings(m->supported_parameters, m->n_supported_parameters), "tokenizer",
	    str_or_null(m->tokenizer), "categories",
	    sy_json_strings(m->categories, m->n_categories), "endpoints", eps, "created_at",
	    cp_json_time(m->created_at), "updated_at", cp_json_time(m->updated_at));
}

json_t *cp_json_autorouter(const Sy__AutoRouter *ar)
{
	json_t *rules = json_array();
	for (size_t i = 0; rules && i < ar->n_rules; i++) {
		const Sy__AutoRule *r = ar->rules[i];
		json_t *o = json_pack("{s:s}", "model", r->model);
		if (o && r->has_min_prompt_tokens)
			json_object_set_new(o, "min_prompt_tokens",
			                    json_integer(r->min_prompt_tokens));
		if (o && r->has_has_tools)
			json_object_set_new(o, "has_tools", json_boolean(r->has_tools));
		if (o && r->n_keywords)
			json_object_set_new(o, "keywords",
			                    sy_json_strings(r->keywords, r->n_keywords));
		json_array_append_new(rules, o);
	}
	return json_pack("{s:s,s:s,s:o,s:o,s:o}", "id", ar->id, "default_model", ar->default_model,
	                 "rules", rules, "created_at", cp_json_time(ar->created_at), "updated_at",
	                 cp_json_time(ar->updated_at));
}

/* ---- apply ------------------------------------------------------------------------------ */

/* If name is present: replace *dst with its string (null clears). 0 or -ENOMEM. */
static int set_str(char **dst, const json_t *j, const char *name)
{
	const json_t *v = json_object_get(j, name);
	if (!v)
		return 0;
	char *s = NULL;
	if (json_is_string(v) && !(s = strdup(json_string_value(v))))
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static void set_bool(protobuf_c_boolean *has, protobuf_c_boolean *dst, const json_t *j,
                     const char *name)
{
	const json_t *v = json_object_get(j, name);
	if (v && json_is_boolean(v)) {
		*has = true;
		*dst = json_is_true(v);
	}
}

static void set_uint(protobuf_c_boolean *has, uint32_t *dst, const json_t *j, const char *name)
{
	const json_t *v = json_object_get(j, name);
	if (!v)
		return;
	*has = json_is_integer(v);
	*dst = *has ? (uint32_t)json_integer_value(v) : 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* If name is present: replace the repeated string field with its array. */
static int set_strs(char ***dst, size_t *n, const json_t *j, const char *name)
{
	const json_t *v = json_object_get(j, name);
	if (!v)
		return 0;
	size_t cnt = json_array_size(v);
	char **a = cnt ? calloc(cnt, sizeof(*a)) : NULL;
	if (cnt && !a)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		if (!(a[i] = strdup(json_string_value(json_array_get(v, i))))) {
			free_strs(a, i);
			return -ENOMEM;
		}
	}
	free_strs(*dst, *n);
	*dst = a;
	*n = cnt;
	return 0;
}

int cp_json_apply_org(Sy__Org *o, const json_t *j)
{
	const json_t *billing = json_object_get(j, "billing");
	set_bool(&o->has_postpaid, &o->postpaid, j, "postpaid");
	set_bool(&o->has_enforce_zdr, &o->enforce_zdr, j, "enforce_zdr");
	set_bool(&o->has_byok_fallback, &o->byok_fallback, j, "byok_fallback");
	if (json_is_string(billing)) {
		o->has_postpaid = true;
		o->postpaid = !strcmp(json_string_value(billing), "postpaid");
	}
	int rc = set_str(&o->default_model, j, "default_model");
	return rc ? rc : set_str(&o->name, j, "name");
}

static void set_double(protobuf_c_boolean *has, double *dst, const json_t *j, const char *name)
{
	const json_t *v = json_object_get(j, name);
	*has = json_is_number(v);
	*dst = *has ? json_number_value(v) : 0;
}

/* max_price: an object replaces the limits, null removes them. */
static int set_max_price(Sy__MaxPrice **dst, const json_t *j)
{
	const json_t *v = json_object_get(j, "max_price");
	if (!v)
		return 0;
	Sy__MaxPrice *mp = NULL;
	if (json_is_object(v)) {
		if (!(mp = malloc(sizeof(*mp))))
			return -ENOMEM;
		sy__max_price__init(mp);
		set_double(&mp->has_prompt, &mp->prompt, v, "prompt");
		set_double(&mp->has_completion, &mp->completion, v, "completion");
		set_double(&mp->has_request, &mp->request, v, "request");
	}
	if (*dst)
		sy__max_price__free_unpacked(*dst, NULL);
	*dst = mp;
	return 0;
}

/* provider: kept as compact JSON text (the worker merges it under the request's own). */
static int set_prefs(char **dst, const json_t *j)
{
	const json_t *v = json_object_get(j, "provider");
	if (!v)
		return 0;
	char *s = NULL;
	if (json_is_object(v) && !(s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)))
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int apply_restrictions(Sy__ApiKey *k, const json_t *j)
{
	int rc;
	if ((rc = set_strs(&k->allowed_models, &k->n_allowed_models, j, "allowed_models")) ||
	    (rc = set_strs(&k->allowed_providers, &k->n_allowed_providers, j,
	                   "allowed_providers")) ||
	    (rc = set_strs(&k->ignored_providers, &k->n_ignored_providers, j,
	                   "ignored_providers")) ||
	    (rc = set_strs(&k->allowed_ips, &k->n_allowed_ips, j, "allowed_ips")) ||
	    (rc = set_strs(&k->allowed_referrers, &k->n_allowed_referrers, j,
	                   "allowed_referrers")) ||
	    (rc = set_max_price(&k->max_price, j)))
		return rc;
	return set_prefs(&k->provider_prefs, j);
}

int cp_json_apply_key(Sy__ApiKey *k, const json_t *j)
{
	const json_t *v;
	int rc = set_str(&k->name, j, "name");
	if (!rc)
		rc = set_str(&k->limit_reset, j, "limit_reset");
	if (!rc)
		rc = set_str(&k->default_model, j, "default_model");
	if (rc)
		return rc;
	set_bool(&k->has_disabled, &k->disabled, j, "disabled");
	set_bool(&k->has_include_byok_in_limit, &k->include_byok_in_limit, j,
	         "include_byok_in_limit");
	set_uint(&k->has_rpm, &k->rpm, j, "rpm");
	set_uint(&k->has_rpd, &k->rpd, j, "rpd");
	set_uint(&k->has_tpm, &k->tpm, j, "tpm");
	if ((v = json_object_get(j, "limit"))) {
		k->has_limit =
		    json_is_number(v) && sy_money_from_usd(json_number_value(v), &k->limit) == 0;
		if (!k->has_limit)
			k->limit = 0;
	}
	if ((v = json_object_get(j, "expires_at"))) {
		int64_t t = 0;
		k->has_expires_at =
		    json_is_string(v) && cp_parse_time(json_string_value(v), &t) == 0;
		k->expires_at = k->has_expires_at ? t : 0;
	}
	return apply_restrictions(k, j);
}

int cp_json_apply_provider(Sy__Provider *p, const json_t *j)
{
	int rc;
	if ((rc = set_str(&p->name, j, "name")) || (rc = set_str(&p->adapter, j, "adapter")) ||
	    (rc = set_str(&p->base_url, j, "base_url")) ||
	    (rc = set_str(&p->api_key_env, j, "api_key_env")) ||
	    (rc = set_str(&p->region, j, "region")) ||
	    (rc = set_strs(&p->datacenters, &p->n_datacenters, j, "datacenters")))
		return rc;
	set_bool(&p->has_zdr, &p->zdr, j, "zdr");
	set_uint(&p->has_connect_timeout_ms, &p->connect_timeout_ms, j, "connect_timeout_ms");
	set_uint(&p->has_first_byte_timeout_ms, &p->first_byte_timeout_ms, j,
	         "first_byte_timeout_ms");
	set_uint(&p->has_idle_timeout_ms, &p->idle_timeout_ms, j, "idle_timeout_ms");
	set_uint(&p->has_total_timeout_ms, &p->total_timeout_ms, j, "total_timeout_ms");
	const json_t *internal = json_object_get(j, "internal");
	if (json_is_boolean(internal)) {
		p->has_internal = true;
		p->internal = json_is_true(internal);
	}
	const json_t *dc = json_object_get(j, "data_collection");
	if (json_is_string(dc)) {
		p->has_data_collection_deny = true;
		p->data_collection_deny = !strcmp(json_string_value(dc), "deny");
	}
	return 0;
}

static Sy__Pricing *pricing_new(const json_t *j)
{
	Sy__Pricing *pr = malloc(sizeof(*pr));
	if (!pr)
		return NULL;
	sy__pricing__init(pr);
	if (set_str(&pr->prompt, j, "prompt") || set_str(&pr->completion, j, "completion") ||
	    set_str(&pr->request, j, "request") ||
	    set_str(&pr->input_cache_read, j, "input_cache_read") ||
	    set_str(&pr->input_cache_write, j, "input_cache_write")) {
		sy__pricing__free_unpacked(pr, NULL);
		return NULL;
	}
	return pr;
}

static Sy__Endpoint *endpoint_new(const json_t *j)
{
	Sy__Endpoint *e = malloc(sizeof(*e));
	if (!e)
		return NULL;
	sy__endpoint__init(e);
	set_uint(&e->has_max_completion_tokens, &e->max_completion_tokens, j,
	         "max_completion_tokens");
	set_uint(&e->has_context_length, &e->context_length, j, "context_length");
	if (set_str(&e->provider, j, "provider") ||
	    set_str(&e->provider_model_id, j, "provider_model_id") ||
	    set_str(&e->quantization, j, "quantization") || set_str(&e->tag, j, "tag") ||
	    set_strs(&e->supported_parameters, &e->n_supported_parameters, j,
	             "supported_parameters") ||
	    !(e->pricing = pricing_new(json_object_get(j, "pricing")))) {
		sy__endpoint__free_unpacked(e, NULL);
		return NULL;
	}
	return e;
}

static int set_endpoints(Sy__Model *m, const json_t *eps)
{
	size_t n = json_array_size(eps);
	Sy__Endpoint **a = calloc(n ? n : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(a[i] = endpoint_new(json_array_get(eps, i)))) {
			while (i--)
				sy__endpoint__free_unpacked(a[i], NULL);
			free(a);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < m->n_endpoints; i++)
		sy__endpoint__free_unpacked(m->endpoints[i], NULL);
	free(m->endpoints);
	m->endpoints = a;
	m->n_endpoints = n;
	return 0;
}

static Sy__AutoRule *rule_new(const json_t *j)
{
	Sy__AutoRule *r = malloc(sizeof(*r));
	if (!r)
		return NULL;
	sy__auto_rule__init(r);
	set_uint(&r->has_min_prompt_tokens, &r->min_prompt_tokens, j, "min_prompt_tokens");
	set_bool(&r->has_has_tools, &r->has_tools, j, "has_tools");
	const json_t *kw = json_object_get(j, "keywords");
	if (set_str(&r->model, j, "model") ||
	    (json_is_array(kw) && set_strs(&r->keywords, &r->n_keywords, j, "keywords"))) {
		sy__auto_rule__free_unpacked(r, NULL);
		return NULL;
	}
	return r;
}

int cp_json_apply_autorouter(Sy__AutoRouter *ar, const json_t *j)
{
	const json_t *rules = json_object_get(j, "rules");
	size_t n = json_array_size(rules);
	Sy__AutoRule **a = calloc(n ? n : 1, sizeof(*a));
	if (!a || set_str(&ar->default_model, j, "default_model")) {
		free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(a[i] = rule_new(json_array_get(rules, i)))) {
			while (i--)
				sy__auto_rule__free_unpacked(a[i], NULL);
			free(a);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < ar->n_rules; i++)
		sy__auto_rule__free_unpacked(ar->rules[i], NULL);
	free(ar->rules);
	ar->rules = a;
	ar->n_rules = n;
	return 0;
}

int cp_json_apply_model(Sy__Model *m, const json_t *j)
{
	int rc;
	set_uint(&m->has_context_length, &m->context_length, j, "context_length");
	if ((rc = set_str(&m->name, j, "name")) ||
	    (rc = set_str(&m->description, j, "description")) ||
	    (rc = set_str(&m->tokenizer, j, "tokenizer")) ||
	    (rc = set_strs(&m->input_modalities, &m->n_input_modalities, j, "input_modalities")) ||
	    (rc = set_strs(&m->output_modalities, &m->n_output_modalities, j,
	                   "output_modalities")) ||
	    (rc = set_strs(&m->supported_parameters, &m->n_supported_parameters, j,
	                   "supported_parameters")) ||
	    (rc = set_strs(&m->categories, &m->n_categories, j, "categories")))
		return rc;
	const json_t *eps = json_object_get(j, "endpoints");
	return eps ? set_endpoints(m, eps) : 0;
}

/* ---- guardrails ------------------------------------------------------------------------- */

json_t *cp_json_guardrail(const Sy__Guardrail *g)
{
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o}", "id", g->id,
	                 "limit_usd", g->has_limit ? cp_json_usd(g->limit) : json_null(),
	                 "reset_interval", str_or_null(g->reset_interval), "name",
	                 str_or_null(g->name), "description", str_or_null(g->description),
	                 "allowed_models", sy_json_strings(g->allowed_models, g->n_allowed_models),
	                 "allowed_providers",
	                 sy_json_strings(g->allowed_providers, g->n_allowed_providers), "max_price",
	                 sy_restrict_max_price_json(g->max_price), "enforce_zdr", g->enforce_zdr,
	                 "allowed_data_regions",
	                 sy_json_strings(g->allowed_data_regions, g->n_allowed_data_regions),
	                 "org_ids", sy_json_strings(g->org_ids, g->n_org_ids), "key_hashes",
	                 sy_json_strings(g->key_hashes, g->n_key_hashes), "created_at",
	                 cp_json_time(g->created_at), "updated_at", cp_json_time(g->updated_at));
}

int cp_json_apply_guardrail(Sy__Guardrail *g, const json_t *j)
{
	int rc;
	if ((rc = set_str(&g->name, j, "name")) ||
	    (rc = set_str(&g->description, j, "description")) ||
	    (rc = set_strs(&g->allowed_models, &g->n_allowed_models, j, "allowed_models")) ||
	    (rc = set_strs(&g->allowed_providers, &g->n_allowed_providers, j,
	                   "allowed_providers")) ||
	    (rc = set_max_price(&g->max_price, j)) ||
	    (rc = set_strs(&g->allowed_data_regions, &g->n_allowed_data_regions, j,
	                   "allowed_data_regions")) ||
	    (rc = set_strs(&g->org_ids, &g->n_org_ids, j, "org_ids")) ||
	    (rc = set_strs(&g->key_hashes, &g->n_key_hashes, j, "key_hashes")) ||
	    (rc = set_str(&g->reset_interval, j, "reset_interval")))
		return rc;
	set_bool(&g->has_enforce_zdr, &g->enforce_zdr, j, "enforce_zdr");
	const json_t *v = json_object_get(j, "limit_usd");
	if (v) {
		g->has_limit =
		    json_is_number(v) && sy_money_from_usd(json_number_value(v), &g->limit) == 0;
		if (!g->has_limit)
			g->limit = 0;
	}
	return 0;
}
