/* cp_activity.c - generations summed by dimension, and GET /api/v1/activity (see
 * cp_activity.h). */
#include "cp_activity.h"
#include "cp_byok_fee.h"
#include "cp_auth.h"
#include "cp_json.h"
#include "cp_ledger.h"
#include "cp_retention.h"
#include "cp_validate.h"
#include "sy_array.h"
#include "sy_buf.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAYS_DEFAULT 30
#define CSV_MAX (64u << 20)
#define US "\x1f"

/* ---- collecting --------------------------------------------------------------------------- */

struct scan {
	struct cp_txn *t;
	const struct cp_activity_query *q;
	struct cp_activity *a;
	json_t *index;
	int rc;
};

/* The value of dimension d for generation r created at `at`, into buf. */
static const char *dim_value(enum cp_dim d, const Sy__UsageRecord *r, int64_t at, char *buf,
                             size_t n)
{
	const char *s = NULL;
	switch (d) {
	case CP_DIM_DATE: {
		time_t tt = (time_t)at;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(buf, n, "%Y-%m-%d", &tm);
		return buf;
	}
	case CP_DIM_MODEL:
		s = r->model;
		break;
	case CP_DIM_PROVIDER:
		s = r->provider;
		break;
	case CP_DIM_KEY:
		s = r->key_hash;
		break;
	case CP_DIM_APP:
		s = r->app_title && *r->app_title ? r->app_title : r->http_referer;
		break;
	case CP_DIM_ORG:
		s = r->org_id;
		break;
	case CP_DIM_N:
		break;
	}
	return s ? s : "";
}

static struct cp_activity_group *group_for(struct scan *s, const Sy__UsageRecord *r, int64_t at)
{
	struct cp_activity *a = s->a;
	char date[16];
	const char *vals[CP_DIM_N] = {NULL};
	struct sy_buf id;
	sy_buf_init(&id, 0);
	int rc = sy_buf_append(&id, "", 0);
	for (int d = 0; d < CP_DIM_N && !rc; d++) {
		if (!(s->q->dims & CP_DIM(d)))
			continue;
		vals[d] = dim_value((enum cp_dim)d, r, at, date, sizeof(date));
		rc = sy_buf_puts(&id, vals[d]);
		rc = rc ? rc : sy_buf_puts(&id, US);
	}
	json_t *pos = rc ? NULL : json_object_get(s->index, id.data);
	if (rc || pos) {
		sy_buf_release(&id);
		s->rc = rc;
		return rc ? NULL : &a->g[json_integer_value(pos)];
	}
	if (a->n == CP_ACTIVITY_GROUPS_MAX) {
		sy_buf_release(&id);
		s->rc = SY_ETOOBIG;
		return NULL;
	}
	struct cp_activity_group *v = sy_array_grow(a->g, a->n, &a->cap, sizeof(*v), 32);
	if (v)
		a->g = v;
	struct cp_activity_group *g = v ? &a->g[a->n] : NULL;
	if (g) {
		memset(g, 0, sizeof(*g));
		g->id = id.data;
		for (int d = 0; d < CP_DIM_N; d++)
			if (vals[d] && !(g->v[d] = strdup(vals[d])))
				g = NULL;
	}
	if (g && (s->q->dims & CP_DIM(CP_DIM_PROVIDER)) && r->provider_name &&
	    !(g->provider_name = strdup(r->provider_name)))
		g = NULL;
	if (g && json_object_set_new(s->index, id.data, json_integer((json_int_t)a->n)))
		g = NULL;
	if (!v)
		sy_buf_release(&id);
	else
		a->n++; /* released with the rest even when incomplete */
	s->rc = g ? 0 : -ENOMEM;
	return g;
}

/* Index keys are "<org>/<created_at, 12 digits>/<generation id>". */
static int scan_item(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct scan *s = arg;
	char key[256];
	if (kl >= sizeof(key))
		return 0;
	memcpy(key, k, kl);
	key[kl] = '\0';
	char *t1 = strchr(key, '/'), *t2 = t1 ? strchr(t1 + 1, '/') : NULL;
	if (!t2)
		return 0;
	int64_t at = strtoll(t1 + 1, NULL, 10);
	if (at < s->q->from || at >= s->q->to)
		return 0;
	Sy__UsageRecord *r = NULL;
	int rc = cp_ledger_generation(s->t, t2 + 1, &r);
	if (rc)
		return rc == SY_ENOTFOUND ? 0 : rc;
	struct cp_activity_group *g = NULL;
	if (!s->q->key_hash || (r->key_hash && !strcmp(r->key_hash, s->q->key_hash))) {
		g = group_for(s, r, at);
		if (g) {
			g->requests += cp_retention_requests(r);
			g->usage += cp_byok_fee_charged(r);
			g->byok_usage += r->is_byok && r->has_cost ? r->cost : 0;
			g->prompt += r->prompt_tokens;
			g->completion += r->completion_tokens;
			g->reasoning += r->reasoning_tokens;
			g->cached += r->cached_tokens;
		}
	}
	sy__usage_record__free_unpacked(r, NULL);
	return s->rc ? 1 : 0;
}

static int by_id(const void *x, const void *y)
{
	return strcmp(((const struct cp_activity_group *)x)->id,
	              ((const struct cp_activity_group *)y)->id);
}

static int by_tokens(const void *x, const void *y)
{
	const struct cp_activity_group *a = x, *b = y;
	uint64_t ta = a->prompt + a->completion, tb = b->prompt + b->completion;
	return ta != tb ? (ta < tb ? 1 : -1) : strcmp(a->id, b->id);
}

int cp_activity_collect(struct cp_txn *t, const struct cp_activity_query *q, struct cp_activity *a)
{
	*a = (struct cp_activity){0};
	struct scan s = {.t = t, .q = q, .a = a, .index = json_object()};
	if (!s.index)
		return -ENOMEM;
	a->index = s.index;
	char prefix[80] = "";
	if (q->org)
		snprintf(prefix, sizeof(prefix), "%s/", q->org);
	int rc = cp_store_raw_each(t, CP_T_GEN_BY_ORG, prefix, scan_item, &s);
	if (rc == 1)
		rc = s.rc;
	if (!rc && a->n)
		qsort(a->g, a->n, sizeof(*a->g), by_id);
	return rc;
}

void cp_activity_sort_by_tokens(struct cp_activity *a)
{
	if (a->n)
		qsort(a->g, a->n, sizeof(*a->g), by_tokens);
}

void cp_activity_release(struct cp_activity *a)
{
	for (size_t i = 0; i < a->n; i++) {
		for (int d = 0; d < CP_DIM_N; d++)
			free(a->g[i].v[d]);
		free(a->g[i].provider_name);
		free(a->g[i].id);
	}
	free(a->g);
	json_decref(a->index);
	*a = (struct cp_activity){0};
}

/* ---- GET /api/v1/activity -------------------------------------------------------------------- */

/* The groupings: their name, dimensions and the row member of each dimension. */
static const struct grouping {
	const char *name;
	unsigned dims;
} groupings[] = {
    {"endpoint", CP_DIM(CP_DIM_DATE) | CP_DIM(CP_DIM_MODEL) | CP_DIM(CP_DIM_PROVIDER)},
    {"workspace",
     CP_DIM(CP_DIM_DATE) | CP_DIM(CP_DIM_MODEL) | CP_DIM(CP_DIM_PROVIDER) | CP_DIM(CP_DIM_ORG)},
    {"day", CP_DIM(CP_DIM_DATE)},
    {"model", CP_DIM(CP_DIM_MODEL)},
    {"key", CP_DIM(CP_DIM_KEY)},
    {"provider", CP_DIM(CP_DIM_PROVIDER)},
    {"app", CP_DIM(CP_DIM_APP)},
};
static const char *const dim_member[CP_DIM_N] = {
    [CP_DIM_DATE] = "date",    [CP_DIM_MODEL] = "model", [CP_DIM_PROVIDER] = "provider",
    [CP_DIM_KEY] = "key_hash", [CP_DIM_APP] = "app",     [CP_DIM_ORG] = "workspace_id"};

static const char *query(const struct cp_billing_call *c, const char *name)
{
	return c->req->query ? c->req->query(c->req->query_arg, name) : NULL;
}

/* The query's range, org, key and grouping; false with the response set. */
static bool parse(const struct cp_billing_call *c, struct cp_activity_query *q,
                  const struct grouping **gr)
{
	const char *org = query(c, "org_id"), *ws = query(c, "workspace_id");
	const char *from = query(c, "from"), *to = query(c, "to"), *date = query(c, "date");
	const char *by = query(c, "group_by");
	*q = (struct cp_activity_query){.key_hash = query(c, "api_key_hash"), .to = c->now + 1};
	q->from = sy_period_start(SY_PERIOD_DAILY, c->now) - (DAYS_DEFAULT - 1) * 86400;
	const char *field = NULL, *msg = NULL;
	if (ws && org && strcmp(ws, org))
		field = "workspace_id", msg = "names another org than org_id (they are the same)";
	org = org ? org : ws;
	if (!field && org && !cp_valid_org_id(org))
		field = ws && org == ws ? "workspace_id" : "org_id", msg = "must be an org id";
	if (!field && query(c, "user_id"))
		field = "user_id", msg = "is not supported: Switchyard has no users, only API keys "
		                         "(use api_key_hash)";
	if (!field && date && (from || to))
		field = "date", msg = "cannot be combined with from or to";
	if (!field && date && cp_parse_when(date, &q->from))
		field = "date", msg = "must be a date (2026-01-31)";
	if (!field && date)
		q->to = q->from + 86400;
	if (!field && from && cp_parse_when(from, &q->from))
		field = "from";
	if (!field && to && (cp_parse_when(to, &q->to) || q->from >= q->to))
		field = "to";
	if (field && !msg)
		msg = "must be a date (2026-01-31) or an ISO-8601 UTC time, with from before to";
	*gr = &groupings[0];
	for (size_t i = 1; by && i < sizeof(groupings) / sizeof(groupings[0]); i++)
		if (!strcmp(by, groupings[i].name))
			*gr = &groupings[i];
	if (!field && by && strcmp(by, (*gr)->name))
		field = "group_by",
		msg = "must be endpoint, workspace, day, model, key, provider or app";
	if (field) {
		cp_response_field_error(c->res, 400, field, "%s: %s", field, msg);
		return false;
	}
	if (!org && !cp_auth_is_global(c->caller))
		org = c->caller->org_id;
	if (org && !cp_auth_may_access(c->caller, org)) {
		cp_response_field_error(
		    c->res, 403, ws && !query(c, "org_id") ? "workspace_id" : "org_id",
		    "%s: this management key may only read its own org's activity",
		    ws && !query(c, "org_id") ? "workspace_id" : "org_id");
		return false;
	}
	q->org = org;
	q->dims = (*gr)->dims;
	return true;
}

static json_t *row_json(const struct cp_activity_group *g, unsigned dims)
{
	json_t *o =
	    json_pack("{s:I,s:o,s:I,s:I,s:I,s:I}", "requests", (json_int_t)g->requests, "usage",
	              cp_json_usd(g->usage), "prompt_tokens", (json_int_t)g->prompt,
	              "completion_tokens", (json_int_t)g->completion, "reasoning_tokens",
	              (json_int_t)g->reasoning, "cached_tokens", (json_int_t)g->cached);
	for (int d = 0; o && d < CP_DIM_N; d++)
		if (dims & CP_DIM(d))
			json_object_set_new(o, dim_member[d],
			                    d == CP_DIM_APP && !*g->v[d] ? json_null()
			                                                 : json_string(g->v[d]));
	if (o && (dims & CP_DIM(CP_DIM_PROVIDER)))
		json_object_set_new(
		    o, "provider_name",
		    json_string(g->provider_name ? g->provider_name : g->v[CP_DIM_PROVIDER]));
	if (o && (dims & CP_DIM(CP_DIM_MODEL)) && (dims & CP_DIM(CP_DIM_PROVIDER))) {
		/* OpenRouter's endpoint row: the endpoint is (model, provider); BYOK inference is
		 * what the provider bills the org's own credential */
		char ep[2 * CP_MODEL_ID_MAX + 2];
		snprintf(ep, sizeof(ep), "%s:%s", g->v[CP_DIM_MODEL], g->v[CP_DIM_PROVIDER]);
		json_object_set_new(o, "model_permaslug", json_string(g->v[CP_DIM_MODEL]));
		json_object_set_new(o, "endpoint_id", json_string(ep));
		json_object_set_new(o, "byok_usage_inference", cp_json_usd(g->byok_usage));
	}
	return o;
}

/* A CSV field: quoted, inner quotes doubled. */
static int csv_str(struct sy_buf *b, const char *s)
{
	int rc = sy_buf_puts(b, "\"");
	for (; !rc && *s; s++)
		rc = *s == '"' ? sy_buf_puts(b, "\"\"") : sy_buf_append(b, s, 1);
	return rc ? rc : sy_buf_puts(b, "\",");
}

static void reply_csv(const struct cp_billing_call *c, const struct cp_activity *a, unsigned dims)
{
	struct sy_buf b;
	sy_buf_init(&b, CSV_MAX);
	int rc = 0;
	for (int d = 0; d < CP_DIM_N && !rc; d++)
		if (dims & CP_DIM(d))
			rc = sy_buf_printf(&b, "%s,", dim_member[d]);
	rc = rc ? rc
	        : sy_buf_puts(&b, "requests,usage,prompt_tokens,completion_tokens,"
	                          "reasoning_tokens,cached_tokens\r\n");
	for (size_t i = 0; i < a->n && !rc; i++) {
		const struct cp_activity_group *g = &a->g[i];
		char u[48];
		for (int d = 0; d < CP_DIM_N && !rc; d++)
			if (dims & CP_DIM(d))
				rc = csv_str(&b, g->v[d]);
		sy_money_format(g->usage, u, sizeof(u));
		rc =
		    rc ? rc
		       : sy_buf_printf(
		             &b, "%llu,%s,%llu,%llu,%llu,%llu\r\n", (unsigned long long)g->requests,
		             u, (unsigned long long)g->prompt, (unsigned long long)g->completion,
		             (unsigned long long)g->reasoning, (unsigned long long)g->cached);
	}
	if (rc) {
		sy_buf_release(&b);
		cp_response_internal(c->res, "activity", "csv", rc);
		return;
	}
	c->res->status = 200;
	c->res->body = b.data ? b.data : strdup("");
	c->res->content_type = "text/csv; charset=utf-8";
}

void cp_activity_serve(const struct cp_billing_call *c, bool csv)
{
	struct cp_activity_query q;
	const struct grouping *gr;
	if (!parse(c, &q, &gr))
		return;
	struct cp_activity a;
	int rc = cp_activity_collect(*c->t, &q, &a);
	if (rc == SY_ETOOBIG) {
		cp_response_field_error(c->res, 400, NULL,
		                        "more than %d groups: narrow the range or group by day",
		                        CP_ACTIVITY_GROUPS_MAX);
	} else if (rc) {
		cp_response_internal(c->res, "activity", "scan", rc);
	} else if (csv) {
		reply_csv(c, &a, q.dims);
	} else {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < a.n; i++)
			if (json_array_append_new(arr, row_json(&a.g[i], q.dims))) {
				json_decref(arr);
				arr = NULL;
			}
		cp_response_json(c->res, 200,
		                 arr ? json_pack("{s:o,s:o,s:o,s:o,s:s}", "data", arr, "org_id",
		                                 q.org ? json_string(q.org) : json_null(), "from",
		                                 cp_json_time(q.from), "to", cp_json_time(q.to),
		                                 "group_by", gr->name)
		                     : NULL);
	}
	cp_activity_release(&a);
}
