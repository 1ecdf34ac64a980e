/* cp_billing.c - credits, ledger, budgets, leases and activity over the admin API. */
#include "cp_billing.h"
#include "cp_auth.h"
#include "cp_json.h"
#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_retention.h"
#include "cp_validate.h"
#include "sy_array.h"
#include "sy_buf.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ORGS "/api/v1/orgs/"
#define ACTIVITY "/api/v1/activity"
#define USD_MAX 1.0e8              /* largest top-up, refund or budget */
#define ACTIVITY_DAYS 30           /* default range */
#define ACTIVITY_GROUPS_MAX 100000 /* rows in one answer */
#define CSV_MAX (64u << 20)

/* ---- responses ---------------------------------------------------------------------------- */

static void reply_data(const struct cp_billing_call *c, unsigned status, json_t *data)
{
	cp_response_json(c->res, status, data ? json_pack("{s:o}", "data", data) : NULL);
}

static void fail(const struct cp_billing_call *c, unsigned status, json_t *meta, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
static void fail(const struct cp_billing_call *c, unsigned status, json_t *meta, const char *fmt,
                 ...)
{
	va_list ap;
	va_start(ap, fmt);
	cp_response_verror(c->res, status, meta, fmt, ap);
	va_end(ap);
}

static void fail_field(const struct cp_billing_call *c, const struct cp_verr *e)
{
	fail(c, 400, json_pack("{s:s}", "field", e->field), "%s", e->message);
}

static void fail_rc(const struct cp_billing_call *c, int rc, const char *what)
{
	sy_err("billing: %s: %s", what, sy_strerror(rc));
	fail(c, 500, NULL, "internal error (%s)", sy_strerror(rc));
}

bool cp_billing_commit(const struct cp_billing_call *c, unsigned status)
{
	int rc = c->audit ? c->audit(c->audit_arg, status) : 0;
	if (!rc)
		rc = cp_store_commit(c->t);
	if (rc)
		fail_rc(c, rc, "commit");
	return rc == 0;
}

static json_t *usd(sy_money m)
{
	return json_real(sy_money_usd(m));
}

/* ---- org money ------------------------------------------------------------------------------ */

static json_t *credits_json(const char *org, const struct cp_org_money *m, bool postpaid)
{
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s}", "org_id", org, "total_credits",
	                 usd(m->credits), "total_usage", usd(m->posted), "debits_posted",
	                 usd(m->posted), "debits_pending", usd(m->pending), "balance",
	                 usd(m->credits - m->posted - m->pending), "total_purchased",
	                 usd(m->purchased), "overspend", usd(m->overspend), "billing",
	                 postpaid ? "postpaid" : "prepaid");
}

static json_t *entry_json(const Sy__LedgerEntry *e)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o}", "seq", (json_int_t)e->seq, "amount",
	                 usd(e->amount), "note", e->note ? json_string(e->note) : json_null(),
	                 "created_at", cp_json_time(e->created_at), "credits_after",
	                 usd(e->credits_after));
}

static void credits_get(const struct cp_billing_call *c, const Sy__Org *o)
{
	struct cp_org_money m;
	int rc = cp_money_read(*c->t, o->id, &m);
	if (rc)
		fail_rc(c, rc, "credits");
	else
		reply_data(c, 200, credits_json(o->id, &m, o->postpaid));
}

static int check_amount(const json_t *body, const char *name, bool allow_zero, bool allow_neg,
                        sy_money *out, struct cp_verr *e)
{
	const json_t *v = json_object_get(body, name);
	if (!v)
		return cp_verr_set(e, name, "is required");
	double d = json_number_value(v);
	if (!json_is_number(v) || d > USD_MAX || d < (allow_neg ? -USD_MAX : 0) ||
	    sy_money_from_usd(d, out) || (!allow_zero && !*out))
		return cp_verr_set(e, name, "must be a USD amount from %s%.0f to %.0f%s",
		                   allow_neg ? "-" : "", allow_neg ? USD_MAX : 0, USD_MAX,
		                   allow_zero ? "" : ", not 0");
	return 0;
}

static void credits_post(const struct cp_billing_call *c, const json_t *body, const Sy__Org *o)
{
	struct cp_verr e;
	sy_money amount;
	static const char *const fields[] = {"amount", "note", NULL};
	const json_t *note = json_object_get(body, "note");
	if (!cp_admin_require_global(c->caller, c->res, "add or refund credits"))
		return;
	if (cp_validate_fields(body, "", fields, &e) ||
	    check_amount(body, "amount", false, true, &amount, &e)) {
		fail_field(c, &e);
		return;
	}
	if (note && !json_is_null(note) &&
	    (!json_is_string(note) || json_string_length(note) > CP_NOTE_MAX ||
	     strlen(json_string_value(note)) != json_string_length(note))) {
		cp_verr_set(&e, "note", "must be a string of at most %d characters", CP_NOTE_MAX);
		fail_field(c, &e);
		return;
	}
	Sy__LedgerEntry *entry = NULL;
	struct cp_org_money m;
	int rc = cp_money_credit(*c->t, o->id, amount, json_string_value(note), c->now, &entry);
	if (rc == SY_ECONFLICT) {
		fail(c, 409, json_pack("{s:s}", "field", "amount"),
		     "amount: a refund cannot exceed the org's available balance");
		return;
	}
	if (!rc)
		rc = cp_money_publish_org(*c->t, o->id);
	if (!rc)
		rc = cp_money_read(*c->t, o->id, &m);
	if (rc) {
		fail_rc(c, rc, "credits");
	} else {
		json_t *data = json_pack("{s:o,s:o}", "entry", entry_json(entry), "credits",
		                         credits_json(o->id, &m, o->postpaid));
		if (cp_billing_commit(c, 201)) {
			char a[48];
			sy_money_format(amount, a, sizeof(a));
			sy_info("billing: org %s credited %s USD (entry %llu)", o->id, a,
			        (unsigned long long)entry->seq);
			reply_data(c, 201, data);
		} else {
			json_decref(data);
		}
	}
	if (entry)
		sy__ledger_entry__free_unpacked(entry, NULL);
}

static int ledger_item(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	Sy__LedgerEntry *e = sy__ledger_entry__unpack(NULL, len, v);
	if (!e)
		return SY_ESTORE;
	int rc = json_array_append_new(arg, entry_json(e)) ? -ENOMEM : 0;
	sy__ledger_entry__free_unpacked(e, NULL);
	return rc;
}

static void ledger_get(const struct cp_billing_call *c, const Sy__Org *o)
{
	char prefix[80];
	json_t *arr = json_array();
	snprintf(prefix, sizeof(prefix), "%s/", o->id);
	int rc = arr ? cp_store_raw_each(*c->t, CP_T_CREDITS, prefix, ledger_item, arr) : -ENOMEM;
	if (rc) {
		json_decref(arr);
		fail_rc(c, rc, "ledger");
	} else {
		reply_data(c, 200, arr);
	}
}

/* ---- budgets -------------------------------------------------------------------------------- */

static json_t *budget_json(const struct cp_org_money *m, enum sy_period p, int64_t now)
{
	sy_money spent = cp_money_spent(m, p, now);
	sy_money left = m->budget[p] - spent - m->pending;
	json_t *start = json_null(), *reset = json_null();
	if (p != SY_PERIOD_LIFETIME) {
		start = cp_json_time(sy_period_start(p, now));
		reset = cp_json_time(sy_period_end(p, now));
	}
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "period", sy_period_name(p), "limit_usd",
	                 usd(m->budget[p]), "spent_usd", usd(spent), "pending_usd", usd(m->pending),
	                 "remaining_usd", usd(left > 0 ? left : 0), "period_start", start,
	                 "resets_at", reset);
}

static void budgets_list(const struct cp_billing_call *c, const struct cp_org_money *m)
{
	json_t *arr = json_array();
	for (int p = 0; arr && p < CP_BUDGET_PERIODS; p++)
		if (m->has_budget[p])
			json_array_append_new(arr, budget_json(m, (enum sy_period)p, c->now));
	reply_data(c, 200, arr);
}

/* Narrower periods must have smaller limits than broader ones. */
static int check_order(const struct cp_org_money *m, enum sy_period p, sy_money limit,
                       struct cp_verr *e)
{
	char a[48], b[48];
	for (int q = 0; q < CP_BUDGET_PERIODS; q++) {
		if (q == (int)p || !m->has_budget[q])
			continue;
		bool narrower = q < (int)p;
		if (narrower ? m->budget[q] < limit : limit < m->budget[q])
			continue;
		sy_money_format(narrower ? m->budget[q] : limit, a, sizeof(a));
		sy_money_format(narrower ? limit : m->budget[q], b, sizeof(b));
		return cp_verr_set(e, "limit_usd",
		                   "the %s budget (%s USD) must be smaller than the %s budget (%s "
		                   "USD)",
		                   sy_period_name(narrower ? (enum sy_period)q : p), a,
		                   sy_period_name(narrower ? p : (enum sy_period)q), b);
	}
	return 0;
}

static void budget_item(const struct cp_billing_call *c, const json_t *body, const Sy__Org *o,
                        const char *period)
{
	struct cp_org_money m;
	struct cp_verr e;
	enum sy_period p;
	const char *method = c->req->method;
	if (sy_period_parse(period, &p)) {
		fail(c, 404, NULL,
		     "no budget period \"%.32s\" (daily, weekly, monthly or lifetime)", period);
		return;
	}
	int rc = cp_money_read(*c->t, o->id, &m);
	if (rc) {
		fail_rc(c, rc, "budget");
		return;
	}
	if (!strcmp(method, "GET") || !strcmp(method, "DELETE")) {
		if (!m.has_budget[p]) {
			fail(c, 404, NULL, "org %s has no %s budget", o->id, period);
			return;
		}
		if (!strcmp(method, "GET")) {
			reply_data(c, 200, budget_json(&m, p, c->now));
			return;
		}
		if (!cp_admin_require_global(c->caller, c->res, "delete budgets"))
			return;
		m.has_budget[p] = 0;
		m.budget[p] = 0;
		if ((rc = cp_money_write(*c->t, o->id, &m)))
			fail_rc(c, rc, "budget");
		else if (cp_billing_commit(c, 200))
			cp_response_json(c->res, 200, json_pack("{s:b}", "deleted", 1));
		return;
	}
	static const char *const fields[] = {"limit_usd", NULL};
	sy_money limit;
	if (cp_validate_fields(body, "", fields, &e) ||
	    check_amount(body, "limit_usd", true, false, &limit, &e) ||
	    check_order(&m, p, limit, &e)) {
		fail_field(c, &e);
		return;
	}
	/* an org key may tighten its own budget, never create, raise or remove one */
	if ((!m.has_budget[p] || limit > m.budget[p]) &&
	    !cp_admin_require_global(c->caller, c->res,
	                             "create or raise budgets (lowering one is "
	                             "allowed)"))
		return;
	m.has_budget[p] = 1;
	m.budget[p] = limit;
	json_t *data = budget_json(&m, p, c->now);
	if ((rc = cp_money_write(*c->t, o->id, &m))) {
		json_decref(data);
		fail_rc(c, rc, "budget");
	} else if (cp_billing_commit(c, 200)) {
		reply_data(c, 200, data);
	} else {
		json_decref(data);
	}
}

/* ---- leases --------------------------------------------------------------------------------- */

struct lease_list {
	const char *org;
	json_t *arr;
};

static int lease_item(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct lease_list *ll = arg;
	struct cp_lease l;
	if (len != sizeof(l))
		return 0;
	memcpy(&l, v, sizeof(l));
	if (strcmp(l.org_id, ll->org))
		return 0;
	json_t *j = json_pack("{s:s%,s:s,s:o,s:I,s:b}", "lease_id", k, kl, "key_hash", l.key_hash,
	                      "amount_usd", usd(l.amount), "expires_at_ms",
	                      (json_int_t)l.expires_ms, "closed", l.closed);
	return json_array_append_new(ll->arr, j) ? -ENOMEM : 0;
}

static void leases_get(const struct cp_billing_call *c, const Sy__Org *o)
{
	struct lease_list ll = {o->id, json_array()};
	int rc = ll.arr ? cp_store_raw_each(*c->t, CP_T_LEASES, "", lease_item, &ll) : -ENOMEM;
	if (rc) {
		json_decref(ll.arr);
		fail_rc(c, rc, "leases");
	} else {
		reply_data(c, 200, ll.arr);
	}
}

/* ---- activity ------------------------------------------------------------------------------- */

enum group_by {
	G_DAY,
	G_MODEL,
	G_KEY
};

struct group {
	char name[136];
	uint64_t requests;
	sy_money usage;
	uint64_t prompt, completion, reasoning, cached;
};

struct activity {
	struct cp_txn *t;
	enum group_by by;
	int64_t from, to;
	struct group *g;
	size_t n, cap;
	bool too_many;
};

static struct group *group_of(struct activity *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->g[i].name, name))
			return &a->g[i];
	if (a->n == ACTIVITY_GROUPS_MAX) {
		a->too_many = true;
		return NULL;
	}
	struct group *v = sy_array_grow(a->g, a->n, &a->cap, sizeof(*v), 32);
	if (!v)
		return NULL;
	a->g = v;
	struct group *g = &a->g[a->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return g;
}

/* Index keys are "<org>/<created_at, 12 digits>/<generation id>". */
static int activity_item(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct activity *a = arg;
	char key[256];
	if (kl >= sizeof(key))
		return 0;
	memcpy(key, k, kl);
	key[kl] = '\0';
	char *t1 = strchr(key, '/'), *t2 = t1 ? strchr(t1 + 1, '/') : NULL;
	if (!t2)
		return 0;
	int64_t at = strtoll(t1 + 1, NULL, 10);
	if (at < a->from || at >= a->to)
		return 0;
	Sy__UsageRecord *r = NULL;
	int rc = cp_ledger_generation(a->t, t2 + 1, &r);
	if (rc)
		return rc == SY_ENOTFOUND ? 0 : rc;
	char name[136];
	if (a->by == G_DAY) {
		time_t tt = (time_t)at;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(name, sizeof(name), "%Y-%m-%d", &tm);
	} else {
		const char *s = a->by == G_MODEL ? r->model : r->key_hash;
		snprintf(name, sizeof(name), "%s", s ? s : "");
	}
	struct group *g = group_of(a, name);
	if (g) {
		g->requests += cp_retention_requests(r);
		g->usage += r->has_cost ? r->cost : 0;
		g->prompt += r->prompt_tokens;
		g->completion += r->completion_tokens;
		g->reasoning += r->reasoning_tokens;
		g->cached += r->cached_tokens;
	}
	sy__usage_record__free_unpacked(r, NULL);
	return g ? 0 : a->too_many ? 1 : -ENOMEM;
}

static int group_cmp(const void *x, const void *y)
{
	return strcmp(((const struct group *)x)->name, ((const struct group *)y)->name);
}

static const char *const group_names[] = {
    [G_DAY] = "date", [G_MODEL] = "model", [G_KEY] = "key_hash"};

static void activity_csv(const struct cp_billing_call *c, const struct activity *a)
{
	struct sy_buf b;
	sy_buf_init(&b, CSV_MAX);
	int rc = sy_buf_printf(&b,
	                       "%s,requests,usage,prompt_tokens,completion_tokens,"
	                       "reasoning_tokens,cached_tokens\r\n",
	                       group_names[a->by]);
	for (size_t i = 0; i < a->n && !rc; i++) {
		const struct group *g = &a->g[i];
		char u[48];
		sy_money_format(g->usage, u, sizeof(u));
		/* names are dates, model ids and hex hashes: no commas or quotes to escape, but
		 * quote anyway so a spreadsheet never reads a model id as something else */
		rc = sy_buf_printf(&b, "\"%s\",%llu,%s,%llu,%llu,%llu,%llu\r\n", g->name,
		                   (unsigned long long)g->requests, u,
		                   (unsigned long long)g->prompt, (unsigned long long)g->completion,
		                   (unsigned long long)g->reasoning, (unsigned long long)g->cached);
	}
	if (rc) {
		sy_buf_release(&b);
		fail_rc(c, rc, "activity.csv");
		return;
	}
	c->res->status = 200;
	c->res->body = b.data ? b.data : strdup("");
	c->res->content_type = "text/csv; charset=utf-8";
}

static void activity(const struct cp_billing_call *c, bool csv)
{
	const struct cp_request *req = c->req;
	const char *org = req->query ? req->query(req->query_arg, "org_id") : NULL;
	const char *from = req->query ? req->query(req->query_arg, "from") : NULL;
	const char *to = req->query ? req->query(req->query_arg, "to") : NULL;
	const char *by = req->query ? req->query(req->query_arg, "group_by") : NULL;
	struct activity a = {.t = *c->t, .by = G_DAY, .to = c->now + 1};
	struct cp_verr e;
	a.from = sy_period_start(SY_PERIOD_DAILY, c->now) - (ACTIVITY_DAYS - 1) * 86400;
	if (org && !cp_valid_org_id(org)) {
		cp_verr_set(&e, "org_id", "must be an org id");
		fail_field(c, &e);
		return;
	}
	if (!org && !cp_auth_is_global(c->caller))
		org = c->caller->org_id;
	if (org && !cp_auth_may_access(c->caller, org)) {
		fail(c, 403, json_pack("{s:s}", "field", "org_id"),
		     "org_id: this management key may only read its own org's activity");
		return;
	}
	if (by && !strcmp(by, "model"))
		a.by = G_MODEL;
	else if (by && !strcmp(by, "key"))
		a.by = G_KEY;
	else if (by && strcmp(by, "day")) {
		cp_verr_set(&e, "group_by", "must be day, model or key");
		fail_field(c, &e);
		return;
	}
	/* from without to: up to now (an empty range when from lies ahead) */
	const char *bad = from && cp_parse_when(from, &a.from) ? "from"
	                  : to && cp_parse_when(to, &a.to)     ? "to"
	                  : to && a.from >= a.to               ? "to"
	                                                       : NULL;
	if (bad) {
		cp_verr_set(&e, bad,
		            "must be a date (2026-01-31) or an ISO-8601 UTC time, with from before "
		            "to");
		fail_field(c, &e);
		return;
	}
	char prefix[80] = "";
	if (org)
		snprintf(prefix, sizeof(prefix), "%s/", org);
	int rc = cp_store_raw_each(*c->t, CP_T_GEN_BY_ORG, prefix, activity_item, &a);
	if (rc && rc != 1) {
		free(a.g);
		fail_rc(c, rc, "activity");
		return;
	}
	if (a.too_many) {
		free(a.g);
		fail(c, 400, NULL, "more than %d groups: narrow the range or group by day",
		     ACTIVITY_GROUPS_MAX);
		return;
	}
	if (a.n)
		qsort(a.g, a.n, sizeof(*a.g), group_cmp);
	if (csv) {
		activity_csv(c, &a);
		free(a.g);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < a.n; i++) {
		const struct group *g = &a.g[i];
		json_array_append_new(
		    arr,
		    json_pack("{s:s,s:I,s:o,s:I,s:I,s:I,s:I}", group_names[a.by], g->name,
		              "requests", (json_int_t)g->requests, "usage", usd(g->usage),
		              "prompt_tokens", (json_int_t)g->prompt, "completion_tokens",
		              (json_int_t)g->completion, "reasoning_tokens",
		              (json_int_t)g->reasoning, "cached_tokens", (json_int_t)g->cached));
	}
	free(a.g);
	cp_response_json(c->res, 200,
	                 arr ? json_pack("{s:o,s:o,s:o,s:o,s:s}", "data", arr, "org_id",
	                                 org ? json_string(org) : json_null(), "from",
	                                 cp_json_time(a.from), "to", cp_json_time(a.to), "group_by",
	                                 a.by == G_DAY     ? "day"
	                                 : a.by == G_MODEL ? "model"
	                                                   : "key")
	                     : NULL);
}

/* ---- routing -------------------------------------------------------------------------------- */

bool cp_billing_match(const char *path)
{
	if (!strcmp(path, ACTIVITY) || !strcmp(path, ACTIVITY ".csv"))
		return true;
	if (strncmp(path, ORGS, sizeof(ORGS) - 1))
		return false;
	const char *slash = strchr(path + sizeof(ORGS) - 1, '/');
	return slash && slash > path + sizeof(ORGS) - 1 && slash[1];
}

static bool method_ok(const struct cp_billing_call *c, const char *allowed)
{
	char list[64];
	snprintf(list, sizeof(list), ",%s,", allowed);
	char want[16];
	snprintf(want, sizeof(want), ",%s,", c->req->method);
	if (strstr(list, want))
		return true;
	fail(c, 405, NULL, "method %s not allowed here", c->req->method);
	return false;
}

/* Parse a JSON object body for POST/PUT. */
static json_t *parse_body(const struct cp_billing_call *c)
{
	json_error_t err;
	const struct cp_request *req = c->req;
	json_t *body = req->body_len
	                   ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err)
	                   : NULL;
	if (!json_is_object(body)) {
		json_decref(body);
		fail(c, 400, json_pack("{s:s}", "field", "body"), "body: must be a JSON object%s%s",
		     req->body_len && !body ? ": " : "", req->body_len && !body ? err.text : "");
		return NULL;
	}
	return body;
}

static void serve_org(const struct cp_billing_call *c, const char *rest)
{
	char id[72], sub[40], item[40] = "";
	const char *s1 = strchr(rest, '/');
	const char *s2 = strchr(s1 + 1, '/');
	size_t idn = (size_t)(s1 - rest), subn = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
	if (idn >= sizeof(id) || subn >= sizeof(sub) || (s2 && strlen(s2 + 1) >= sizeof(item)) ||
	    (s2 && (!s2[1] || strchr(s2 + 1, '/')))) {
		fail(c, 404, NULL, "no such admin endpoint");
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)idn, rest);
	snprintf(sub, sizeof(sub), "%.*s", (int)subn, s1 + 1);
	if (s2)
		snprintf(item, sizeof(item), "%s", s2 + 1);
	bool budgets = !strcmp(sub, "budgets");
	if ((!budgets && s2) || (strcmp(sub, "credits") && strcmp(sub, "ledger") &&
	                         strcmp(sub, "leases") && !budgets)) {
		fail(c, 404, NULL, "no such admin endpoint");
		return;
	}
	const char *allowed = !strcmp(sub, "credits") ? "GET,POST"
	                      : budgets && s2         ? "GET,PUT,DELETE"
	                                              : "GET";
	if (!method_ok(c, allowed))
		return;
	ProtobufCMessage *m = NULL;
	if (!cp_auth_may_access(c->caller, id) || cp_store_get(*c->t, CP_ORG, id, &m)) {
		fail(c, 404, NULL, "org not found");
		return;
	}
	const Sy__Org *o = (const Sy__Org *)m;
	json_t *body = NULL;
	bool needs_body = !strcmp(c->req->method, "POST") || !strcmp(c->req->method, "PUT");
	if (needs_body && !(body = parse_body(c)))
		goto out;
	if (!strcmp(sub, "credits") && body) {
		credits_post(c, body, o);
	} else if (!strcmp(sub, "credits")) {
		credits_get(c, o);
	} else if (!strcmp(sub, "ledger")) {
		ledger_get(c, o);
	} else if (!strcmp(sub, "leases")) {
		leases_get(c, o);
	} else if (s2) {
		budget_item(c, body, o, item);
	} else {
		struct cp_org_money mo;
		int rc = cp_money_read(*c->t, o->id, &mo);
		if (rc)
			fail_rc(c, rc, "budgets");
		else
			budgets_list(c, &mo);
	}
out:
	json_decref(body);
	cp_entity_free(&m);
}

void cp_billing_serve(const struct cp_billing_call *c)
{
	const char *path = c->req->path;
	if (!strncmp(path, ACTIVITY, sizeof(ACTIVITY) - 1)) {
		if (method_ok(c, "GET"))
			activity(c, !strcmp(path, ACTIVITY ".csv"));
		return;
	}
	serve_org(c, path + sizeof(ORGS) - 1);
}
