/* cp_reports.c - usage report, generation log and endpoint stats over the admin API. */
#include "cp_reports.h"
#include "cp_byok_fee.h"
#include "cp_auth.h"
#include "cp_json.h"
#include "cp_ledger.h"
#include "cp_retention.h"
#include "cp_stats.h"
#include "cp_validate.h"
#include "sy_array.h"
#include "sy_buf.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_log.h"
#include "sy_money.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GENS "/api/v1/generations"
#define USAGE "/api/v1/reports/usage"
#define STATS "/api/v1/endpoint-stats"
#define SELF "/api/v1/management-key"
#define RANGE_DAYS 30
#define PAGE_DEFAULT 50
#define CSV_MAX (256u << 20)
#define FILTER_MAX 256

/* ---- responses ---------------------------------------------------------------------------- */

static const char *query(const struct cp_reports_call *c, const char *name)
{
	return c->req->query ? c->req->query(c->req->query_arg, name) : NULL;
}

/* ---- the range: org, from, to --------------------------------------------------------------- */

struct range {
	const char *org; /* NULL = every org (global keys only) */
	int64_t from, to;
};

/* Read org_id, from and to with the caller's scope; false with the response set. */
static bool parse_range(const struct cp_reports_call *c, struct range *r)
{
	const char *from = query(c, "from"), *to = query(c, "to");
	r->org = query(c, "org_id");
	r->from = sy_period_start(SY_PERIOD_DAILY, c->now) - (RANGE_DAYS - 1) * 86400;
	r->to = c->now + 1;
	if (r->org && !cp_valid_org_id(r->org)) {
		cp_response_field_error(c->res, 400, "org_id", "org_id: must be an org id");
		return false;
	}
	if (!r->org && !cp_auth_is_global(c->caller))
		r->org = c->caller->org_id;
	if (r->org && !cp_auth_may_access(c->caller, r->org)) {
		cp_response_field_error(c->res, 403, "org_id",
		                        "org_id: this management key may only read its own org");
		return false;
	}
	const char *bad = from && cp_parse_when(from, &r->from) ? "from"
	                  : to && cp_parse_when(to, &r->to)     ? "to"
	                  : r->from >= r->to                    ? "to"
	                                                        : NULL;
	if (bad) {
		cp_response_field_error(
		    c->res, 400, bad,
		    "%s: must be a date (2026-01-31) or an ISO-8601 UTC time, with from before to",
		    bad);
		return false;
	}
	return true;
}

/* ---- the range's generations, from the per-org time index ------------------------------------- */

struct row {
	int64_t at;
	char id[CP_GEN_ID_MAX + 1];
};

struct rows {
	const struct range *r;
	struct row *v;
	size_t n, cap;
	bool too_many;
};

/* Index keys are "<org>/<created_at, 12 digits>/<generation id>". */
static int row_add(const char *k, size_t kl, const void *val, size_t len, void *arg)
{
	struct rows *rs = arg;
	const char *t1 = memchr(k, '/', kl);
	const char *t2 = t1 ? memchr(t1 + 1, '/', kl - (size_t)(t1 + 1 - k)) : NULL;
	size_t idn = t2 ? kl - (size_t)(t2 + 1 - k) : 0;
	if (!t2 || t2 - t1 != 13 || !idn || idn > CP_GEN_ID_MAX)
		return 0;
	int64_t at = 0;
	for (const char *p = t1 + 1; p < t2; p++)
		at = at * 10 + (*p - '0');
	if (at < rs->r->from || at >= rs->r->to)
		return 0;
	if (rs->n == CP_REPORTS_ROWS_MAX) {
		rs->too_many = true;
		return 1;
	}
	struct row *v = sy_array_grow(rs->v, rs->n, &rs->cap, sizeof(*v), 1024);
	if (!v)
		return -ENOMEM;
	rs->v = v;
	struct row *w = &rs->v[rs->n++];
	w->at = at;
	memcpy(w->id, t2 + 1, idn);
	w->id[idn] = '\0';
	return 0;
}

static int row_newest_first(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	if (a->at != b->at)
		return a->at < b->at ? 1 : -1;
	return -strcmp(a->id, b->id);
}

/* The range's generation ids, newest first; false with the response set. */
static bool collect(const struct cp_reports_call *c, const struct range *r, struct rows *rs)
{
	char prefix[80] = "";
	memset(rs, 0, sizeof(*rs));
	rs->r = r;
	if (r->org)
		snprintf(prefix, sizeof(prefix), "%s/", r->org);
	int rc = cp_store_raw_each(c->t, CP_T_GEN_BY_ORG, prefix, row_add, rs);
	if (rs->too_many) {
		cp_response_field_error(c->res, 400, "from",
		                        "from: more than %d generations in the range; narrow it",
		                        CP_REPORTS_ROWS_MAX);
	} else if (rc) {
		cp_response_internal(c->res, "reports", "generations", rc);
	} else {
		if (rs->n)
			qsort(rs->v, rs->n, sizeof(*rs->v), row_newest_first);
		return true;
	}
	free(rs->v);
	return false;
}

static bool is_error(const Sy__UsageRecord *g)
{
	return g->status >= 400;
}

/* ---- GET /reports/usage ---------------------------------------------------------------------- */

struct group {
	char *name; /* "day\tmodel", model, key hash, app or "model\tprovider" */
	uint64_t requests, errors, prompt, completion, reasoning, cached;
	sy_money usage;
	uint32_t *lat; /* endpoints: latencies in ms */
	size_t nlat, latcap;
};

/* Groups found by name through a jansson object (name -> index). */
struct table {
	json_t *index;
	struct group *g;
	size_t n, cap;
};

static struct group *group_of(struct table *t, const char *name)
{
	json_t *i = json_object_get(t->index, name);
	if (i)
		return &t->g[json_integer_value(i)];
	struct group *v = sy_array_grow(t->g, t->n, &t->cap, sizeof(*v), 16);
	if (!v)
		return NULL;
	t->g = v;
	struct group *g = &t->g[t->n];
	memset(g, 0, sizeof(*g));
	if (!(g->name = strdup(name)) ||
	    json_object_set_new(t->index, name, json_integer((json_int_t)t->n))) {
		free(g->name);
		return NULL;
	}
	t->n++;
	return g;
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->g[i].name);
		free(t->g[i].lat);
	}
	free(t->g);
	json_decref(t->index);
}

static int count(struct table *t, const char *name, const Sy__UsageRecord *g, bool latency)
{
	struct group *x = group_of(t, name);
	if (!x)
		return -ENOMEM;
	x->requests += cp_retention_requests(g);
	x->errors += is_error(g) ? cp_retention_requests(g) : 0;
	x->usage += cp_byok_fee_charged(g); /* what the org paid: a BYOK generation its fee */
	x->prompt += g->prompt_tokens;
	x->completion += g->completion_tokens;
	x->reasoning += g->reasoning_tokens;
	x->cached += g->cached_tokens;
	if (latency && g->has_latency_ms) {
		uint32_t *v = sy_array_grow(x->lat, x->nlat, &x->latcap, sizeof(*v), 64);
		if (!v)
			return -ENOMEM;
		x->lat = v;
		x->lat[x->nlat++] = g->latency_ms;
	}
	return 0;
}

enum {
	T_DAY_MODEL,
	T_MODEL,
	T_KEY,
	T_APP,
	T_ENDPOINT,
	T_TOTAL,
	T_COUNT
};

static int by_usage(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	if (a->usage != b->usage)
		return a->usage < b->usage ? 1 : -1;
	if (a->requests != b->requests)
		return a->requests < b->requests ? 1 : -1;
	return strcmp(a->name, b->name);
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const struct group *)x)->name, ((const struct group *)y)->name);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* Nearest-rank percentile of sorted v (n > 0). */
static uint32_t percentile(const uint32_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n);
	return v[rank ? rank - 1 : 0];
}

/* The counters of a group under the given name fields. */
static json_t *group_json(const struct group *g)
{
	return json_pack("{s:I,s:o,s:I,s:I,s:I,s:I,s:I}", "requests", (json_int_t)g->requests,
	                 "usage", cp_json_usd(g->usage), "prompt_tokens", (json_int_t)g->prompt,
	                 "completion_tokens", (json_int_t)g->completion, "reasoning_tokens",
	                 (json_int_t)g->reasoning, "cached_tokens", (json_int_t)g->cached, "errors",
	                 (json_int_t)g->errors);
}

/* Add a "a\tb" name's two parts to o as fields fa and fb. */
static void split_name(json_t *o, const char *name, const char *fa, const char *fb)
{
	const char *tab = strchr(name, '\t');
	json_object_set_new(o, fa, json_stringn(name, tab ? (size_t)(tab - name) : strlen(name)));
	json_object_set_new(o, fb, json_string(tab ? tab + 1 : ""));
}

static json_t *table_json(const struct cp_reports_call *c, struct table *t, int which)
{
	json_t *arr = json_array();
	if (t->n)
		qsort(t->g, t->n, sizeof(*t->g), which == T_DAY_MODEL ? by_name : by_usage);
	for (size_t i = 0; arr && i < t->n; i++) {
		struct group *g = &t->g[i];
		json_t *o = group_json(g);
		if (!o || json_array_append_new(arr, o))
			goto oom;
		if (which == T_DAY_MODEL) {
			split_name(o, g->name, "date", "model");
		} else if (which == T_MODEL) {
			json_object_set_new(o, "model", json_string(g->name));
		} else if (which == T_APP) {
			json_object_set_new(o, "app", json_string(g->name));
		} else if (which == T_KEY) {
			ProtobufCMessage *m = NULL;
			json_object_set_new(o, "key_hash", json_string(g->name));
			bool known = *g->name && cp_store_get(c->t, CP_KEY, g->name, &m) == 0;
			json_object_set_new(
			    o, "name", known ? json_string(((Sy__ApiKey *)m)->name) : json_null());
			cp_entity_free(&m);
		} else if (which == T_ENDPOINT) {
			split_name(o, g->name, "model", "provider");
			json_object_set_new(o, "error_rate",
			                    json_real((double)g->errors / (double)g->requests));
			if (g->nlat)
				qsort(g->lat, g->nlat, sizeof(*g->lat), cmp_u32);
			json_object_set_new(
			    o, "latency_ms",
			    g->nlat
			        ? json_pack("{s:I,s:I}", "p50",
			                    (json_int_t)percentile(g->lat, g->nlat, 0.50), "p95",
			                    (json_int_t)percentile(g->lat, g->nlat, 0.95))
			        : json_null());
		}
	}
	return arr;
oom:
	json_decref(arr);
	return NULL;
}

static int report_add(struct table *t, const Sy__UsageRecord *g, int64_t at)
{
	char day[16], name[2 * CP_MODEL_ID_MAX + 2];
	const char *model = g->model ? g->model : "", *provider = g->provider ? g->provider : "";
	const char *app = g->app_title && *g->app_title         ? g->app_title
	                  : g->http_referer && *g->http_referer ? g->http_referer
	                                                        : "";
	time_t tt = (time_t)at;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	int rc;
	snprintf(name, sizeof(name), "%s\t%.*s", day, CP_MODEL_ID_MAX, model);
	if ((rc = count(&t[T_DAY_MODEL], name, g, false)) ||
	    (rc = count(&t[T_MODEL], model, g, false)) ||
	    (rc = count(&t[T_KEY], g->key_hash ? g->key_hash : "", g, false)) ||
	    (rc = count(&t[T_APP], app, g, false)) || (rc = count(&t[T_TOTAL], "", g, false)))
		return rc;
	snprintf(name, sizeof(name), "%.*s\t%.*s", CP_MODEL_ID_MAX, model, CP_SLUG_MAX, provider);
	return count(&t[T_ENDPOINT], name, g, true);
}

static void usage_report(const struct cp_reports_call *c)
{
	struct range r;
	struct rows rs;
	if (!parse_range(c, &r) || !collect(c, &r, &rs))
		return;
	struct table t[T_COUNT] = {0};
	int rc = 0;
	for (int i = 0; i < T_COUNT && !rc; i++)
		rc = (t[i].index = json_object()) ? 0 : -ENOMEM;
	for (size_t i = 0; i < rs.n && !rc; i++) {
		Sy__UsageRecord *g = NULL;
		if ((rc = cp_ledger_generation(c->t, rs.v[i].id, &g)))
			rc = rc == SY_ENOTFOUND ? 0 : rc;
		else
			rc = report_add(t, g, rs.v[i].at);
		if (g)
			sy__usage_record__free_unpacked(g, NULL);
	}
	json_t *data = NULL;
	if (!rc) {
		struct group zero = {.name = ""};
		data = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "org_id",
		                 r.org ? json_string(r.org) : json_null(), "from",
		                 cp_json_time(r.from), "to", cp_json_time(r.to), "totals",
		                 group_json(t[T_TOTAL].n ? &t[T_TOTAL].g[0] : &zero), "days",
		                 table_json(c, &t[T_DAY_MODEL], T_DAY_MODEL), "models",
		                 table_json(c, &t[T_MODEL], T_MODEL), "keys",
		                 table_json(c, &t[T_KEY], T_KEY), "apps",
		                 table_json(c, &t[T_APP], T_APP), "endpoints",
		                 table_json(c, &t[T_ENDPOINT], T_ENDPOINT));
	}
	for (int i = 0; i < T_COUNT; i++)
		table_release(&t[i]);
	free(rs.v);
	if (rc)
		cp_response_internal(c->res, "reports", "usage report", rc);
	else
		cp_response_data(c->res, 200, data);
}

/* ---- GET /generations --------------------------------------------------------------------------- */

struct filter {
	const char *key_hash, *model, *provider, *status;
};

static bool parse_filter(const struct cp_reports_call *c, struct filter *f)
{
	static const char *const names[] = {"key_hash", "model", "provider"};
	const char **slots[] = {&f->key_hash, &f->model, &f->provider};
	for (size_t i = 0; i < 3; i++) {
		*slots[i] = query(c, names[i]);
		if (*slots[i] && (!**slots[i] || strlen(*slots[i]) > FILTER_MAX)) {
			cp_response_field_error(c->res, 400, names[i],
			                        "%s: must be 1 to %d characters", names[i],
			                        FILTER_MAX);
			return false;
		}
	}
	f->status = query(c, "status");
	if (f->status && strcmp(f->status, "success") && strcmp(f->status, "error")) {
		cp_response_field_error(c->res, 400, "status", "status: must be success or error");
		return false;
	}
	return true;
}

static bool str_is(const char *field, const char *want)
{
	return !want || (field && !strcmp(field, want));
}

static bool matches(const struct filter *f, const Sy__UsageRecord *g)
{
	return str_is(g->key_hash, f->key_hash) && str_is(g->model, f->model) &&
	       str_is(g->provider, f->provider) &&
	       (!f->status || is_error(g) == !strcmp(f->status, "error"));
}

static json_t *opt_str(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* A generation as the API shows it: what it cost and how it went, never what was said. */
static json_t *gen_json(const Sy__UsageRecord *g)
{
	json_t *attempts = json_array();
	for (size_t i = 0; attempts && i < g->n_attempts; i++) {
		const Sy__Attempt *a = g->attempts[i];
		json_t *o =
		    json_pack("{s:o,s:o,s:I,s:I,s:o}", "provider", opt_str(a->provider), "model",
		              opt_str(a->model), "status", (json_int_t)a->status, "latency_ms",
		              (json_int_t)a->latency_ms, "error_class", opt_str(a->error_class));
		if (o && a->retry_reason && *a->retry_reason)
			json_object_set_new(o, "retry_reason", json_string(a->retry_reason));
		if (o && a->has_retry_wait_ms)
			json_object_set_new(o, "retry_wait_ms", json_integer(a->retry_wait_ms));
		if (o && a->has_malformed_events)
			json_object_set_new(o, "malformed_events",
			                    json_integer(a->malformed_events));
		json_array_append_new(attempts, o);
	}
	json_t *o = json_pack(
	    "{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:I,s:I,s:I,s:I,s:I}", "id", g->id, "created_at",
	    cp_json_time(g->created_at), "org_id", opt_str(g->org_id), "key_hash",
	    opt_str(g->key_hash), "model", opt_str(g->model), "provider", opt_str(g->provider),
	    "provider_name", opt_str(g->provider_name), "status", (json_int_t)g->status, "usage",
	    cp_json_usd(g->has_cost ? g->cost : 0), "prompt_tokens", (json_int_t)g->prompt_tokens,
	    "completion_tokens", (json_int_t)g->completion_tokens, "reasoning_tokens",
	    (json_int_t)g->reasoning_tokens, "cached_tokens", (json_int_t)g->cached_tokens,
	    "cache_write_tokens", (json_int_t)g->cache_write_tokens);
	if (!o || json_object_update_new(
	              o, json_pack("{s:I,s:I,s:o,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:o}", "latency_ms",
	                           (json_int_t)g->latency_ms, "generation_time_ms",
	                           (json_int_t)g->generation_time_ms, "ttft_ms",
	                           g->has_ttft_ms ? json_integer(g->ttft_ms) : json_null(),
	                           "streamed", g->streamed, "cancelled", g->cancelled,
	                           "finish_reason", opt_str(g->finish_reason),
	                           "native_finish_reason", opt_str(g->native_finish_reason),
	                           "error_class", opt_str(g->error_class), "app_title",
	                           opt_str(g->app_title), "http_referer", opt_str(g->http_referer),
	                           "attempts", attempts ? attempts : json_null()))) {
		json_decref(o);
		return NULL;
	}
	if (g->has_aggregated_requests) /* past the retention: a day's generations folded */
		json_object_set_new(o, "aggregated_requests", json_integer(g->aggregated_requests));
	return o;
}

/* A CSV field: quoted, quotes doubled, and a leading = + - @ defused so a spreadsheet never
 * runs a model id or an app title as a formula. */
static int csv_str(struct sy_buf *b, const char *s)
{
	int rc = sy_buf_append(b, "\"", 1);
	if (!rc && s && *s && strchr("=+-@", *s))
		rc = sy_buf_append(b, "'", 1);
	for (const char *p = s ? s : ""; *p && !rc; p++)
		rc = *p == '"' ? sy_buf_append(b, "\"\"", 2) : sy_buf_append(b, p, 1);
	return rc ? rc : sy_buf_append(b, "\",", 2);
}

static const char csv_header[] =
    "id,created_at,org_id,key_hash,model,provider,status,finish_reason,error_class,"
    "prompt_tokens,completion_tokens,reasoning_tokens,cached_tokens,usage,latency_ms,"
    "generation_time_ms,streamed,cancelled,app\r\n";

static int csv_row(struct sy_buf *b, const Sy__UsageRecord *g)
{
	char when[32] = "", cost[48];
	time_t tt = (time_t)g->created_at;
	struct tm tm;
	if (g->created_at > 0 && gmtime_r(&tt, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sy_money_format(g->has_cost ? g->cost : 0, cost, sizeof(cost));
	const char *app = g->app_title && *g->app_title ? g->app_title : g->http_referer;
	int rc = 0;
	const char *strs[] = {g->id,       when, g->org_id,        g->key_hash,   g->model,
	                      g->provider, NULL, g->finish_reason, g->error_class};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]) && !rc; i++)
		rc = i == 6 ? sy_buf_printf(b, "%u,", g->status) : csv_str(b, strs[i]);
	if (!rc)
		rc = sy_buf_printf(b, "%u,%u,%u,%u,%s,%u,%u,%s,%s,", g->prompt_tokens,
		                   g->completion_tokens, g->reasoning_tokens, g->cached_tokens,
		                   cost, g->latency_ms, g->generation_time_ms,
		                   g->streamed ? "true" : "false", g->cancelled ? "true" : "false");
	if (!rc)
		rc = csv_str(b, app);
	if (!rc) /* the last field's comma becomes the line end */
		b->len--;
	return rc ? rc : sy_buf_append(b, "\r\n", 2);
}

/* An integer query argument in [lo, hi], def when absent; false with the response set. */
static bool int_arg(const struct cp_reports_call *c, const char *name, long lo, long hi, long def,
                    long *out)
{
	const char *s = query(c, name);
	char *end;
	*out = def;
	if (!s)
		return true;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		cp_response_field_error(c->res, 400, name, "%s: must be an integer from %ld to %ld",
		                        name, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

static void generations_list(const struct cp_reports_call *c, bool csv)
{
	struct range r;
	struct filter f;
	struct rows rs;
	long limit, offset;
	if (!parse_range(c, &r) || !parse_filter(c, &f) ||
	    !int_arg(c, "limit", 1, CP_REPORTS_PAGE_MAX, PAGE_DEFAULT, &limit) ||
	    !int_arg(c, "offset", 0, CP_REPORTS_ROWS_MAX, 0, &offset) || !collect(c, &r, &rs))
		return;
	json_t *arr = csv ? NULL : json_array();
	struct sy_buf b;
	sy_buf_init(&b, CSV_MAX);
	int rc = csv ? sy_buf_append(&b, csv_header, sizeof(csv_header) - 1) : arr ? 0 : -ENOMEM;
	long total = 0;
	for (size_t i = 0; i < rs.n && !rc; i++) {
		Sy__UsageRecord *g = NULL;
		if ((rc = cp_ledger_generation(c->t, rs.v[i].id, &g))) {
			rc = rc == SY_ENOTFOUND ? 0 : rc;
			continue;
		}
		if (matches(&f, g)) {
			if (csv)
				rc = csv_row(&b, g);
			else if (total >= offset && total < offset + limit)
				rc = json_array_append_new(arr, gen_json(g)) ? -ENOMEM : 0;
			total++;
		}
		sy__usage_record__free_unpacked(g, NULL);
	}
	free(rs.v);
	if (rc) {
		json_decref(arr);
		sy_buf_release(&b);
		cp_response_internal(c->res, "reports", "generations", rc);
	} else if (csv) {
		c->res->status = 200;
		c->res->body = b.data;
		c->res->content_type = "text/csv; charset=utf-8";
	} else {
		cp_response_json(c->res, 200,
		                 json_pack("{s:o,s:I,s:I,s:I,s:o,s:o}", "data", arr, "total",
		                           (json_int_t)total, "offset", (json_int_t)offset, "limit",
		                           (json_int_t)limit, "from", cp_json_time(r.from), "to",
		                           cp_json_time(r.to)));
	}
}

static void generation_get(const struct cp_reports_call *c, const char *id)
{
	Sy__UsageRecord *g = NULL;
	int rc = strlen(id) > CP_GEN_ID_MAX ? SY_ENOTFOUND : cp_ledger_generation(c->t, id, &g);
	/* another org's generation is as unknown as a missing one */
	if (!rc && !cp_auth_is_global(c->caller) &&
	    !(g->org_id && cp_auth_may_access(c->caller, g->org_id)))
		rc = SY_ENOTFOUND;
	if (rc == SY_ENOTFOUND)
		cp_response_field_error(c->res, 404, NULL, "generation not found");
	else if (rc)
		cp_response_internal(c->res, "reports", "generation", rc);
	else
		cp_response_data(c->res, 200, gen_json(g));
	if (g)
		sy__usage_record__free_unpacked(g, NULL);
}

/* ---- GET /endpoint-stats ------------------------------------------------------------------------ */

static json_t *pct_json(const Sy__Percentiles *p)
{
	return p ? json_pack("{s:f,s:f,s:f,s:f}", "p50", p->p50, "p75", p->p75, "p90", p->p90,
	                     "p99", p->p99)
	         : json_null();
}

static int stat_item(const Sy__EndpointStats *st, void *arg)
{
	json_t *eps = json_array();
	for (size_t i = 0; eps && i < st->n_endpoints; i++) {
		const Sy__EndpointStat *e = st->endpoints[i];
		json_array_append_new(
		    eps,
		    json_pack("{s:s,s:o,s:o,s:o,s:o,s:I,s:I,s:b}", "provider", e->provider,
		              "latency_ms", pct_json(e->latency_ms), "throughput",
		              pct_json(e->throughput), "uptime_30m",
		              e->has_uptime_30m ? json_real(e->uptime_30m) : json_null(),
		              "uptime_5m", e->has_uptime_5m ? json_real(e->uptime_5m) : json_null(),
		              "attempts_30m", (json_int_t)e->attempts_30m, "attempts_5m",
		              (json_int_t)e->attempts_5m, "degraded", e->degraded));
	}
	json_t *o = json_pack("{s:s,s:o,s:o}", "model", st->model, "updated_at",
	                      cp_json_time(st->updated_at), "endpoints", eps ? eps : json_null());
	return o && !json_array_append_new(arg, o) ? 0 : -ENOMEM;
}

static void endpoint_stats(const struct cp_reports_call *c)
{
	json_t *arr = json_array();
	int rc = !arr ? -ENOMEM : c->stats ? cp_stats_each(c->stats, stat_item, arr) : 0;
	if (rc) {
		json_decref(arr);
		cp_response_internal(c->res, "reports", "endpoint stats", rc);
		return;
	}
	cp_response_data(c->res, 200, arr);
}

/* ---- routing ---------------------------------------------------------------------------------- */

bool cp_reports_match(const char *path)
{
	return !strcmp(path, USAGE) || !strcmp(path, STATS) || !strcmp(path, SELF) ||
	       !strcmp(path, GENS) || !strcmp(path, GENS ".csv") ||
	       !strncmp(path, GENS "/", sizeof(GENS));
}

void cp_reports_serve(const struct cp_reports_call *c)
{
	const char *path = c->req->path;
	if (strcmp(c->req->method, "GET")) {
		cp_response_field_error(c->res, 405, NULL, "method %s not allowed here",
		                        c->req->method);
	} else if (!strcmp(path, USAGE)) {
		usage_report(c);
	} else if (!strcmp(path, SELF)) {
		cp_response_data(c->res, 200, cp_json_mkey(c->caller));
	} else if (!strcmp(path, STATS)) {
		endpoint_stats(c);
	} else if (!strcmp(path, GENS) || !strcmp(path, GENS ".csv")) {
		generations_list(c, !strcmp(path, GENS ".csv"));
	} else if (path[sizeof(GENS)] && !strchr(path + sizeof(GENS), '/')) {
		generation_get(c, path + sizeof(GENS));
	} else {
		cp_response_field_error(c->res, 404, NULL, "no such admin endpoint");
	}
}
