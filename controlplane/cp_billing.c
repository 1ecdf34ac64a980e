/* cp_billing.c - credits, ledger, budgets, leases and activity over the admin API. */
#include "cp_billing.h"
#include "cp_activity.h"
#include "cp_auth.h"
#include "cp_json.h"
#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_route.h"
#include "cp_row.h"
#include "cp_validate.h"
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

#define API "/api/v1/"
#define ORGS API "orgs/"
#define ACTIVITY API "activity"
#define USD_MAX 1.0e8 /* largest top-up, refund or budget */

/* ---- responses ---------------------------------------------------------------------------- */

bool cp_billing_commit(const struct cp_billing_call *c, unsigned status)
{
	int rc = c->audit ? c->audit(c->audit_arg, status) : 0;
	if (!rc)
		rc = cp_store_commit(c->t);
	if (rc)
		cp_response_internal(c->res, "billing", "commit", rc);
	return rc == 0;
}

/* ---- org money ------------------------------------------------------------------------------ */

static json_t *credits_json(const char *org, const struct cp_org_money *m, bool postpaid)
{
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s}", "org_id", org, "total_credits",
	                 cp_json_usd(m->credits), "total_usage", cp_json_usd(m->posted),
	                 "debits_posted", cp_json_usd(m->posted), "debits_pending",
	                 cp_json_usd(m->pending), "balance",
	                 cp_json_usd(m->credits - m->posted - m->pending), "total_purchased",
	                 cp_json_usd(m->purchased), "overspend", cp_json_usd(m->overspend),
	                 "billing", postpaid ? "postpaid" : "prepaid");
}

static json_t *entry_json(const Sy__LedgerEntry *e)
{
	return json_pack(
	    "{s:I,s:o,s:o,s:o,s:o}", "seq", (json_int_t)e->seq, "amount", cp_json_usd(e->amount),
	    "note", e->note ? json_string(e->note) : json_null(), "created_at",
	    cp_json_time(e->created_at), "credits_after", cp_json_usd(e->credits_after));
}

static void credits_get(const struct cp_billing_call *c, const Sy__Org *o)
{
	struct cp_org_money m;
	int rc = cp_money_read(*c->t, o->id, &m);
	if (rc)
		cp_response_internal(c->res, "billing", "credits", rc);
	else
		cp_response_data(c->res, 200, credits_json(o->id, &m, o->postpaid));
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
		cp_response_verr(c->res, 400, &e);
		return;
	}
	if (note && !json_is_null(note) &&
	    (!json_is_string(note) || json_string_length(note) > CP_NOTE_MAX ||
	     strlen(json_string_value(note)) != json_string_length(note))) {
		cp_verr_set(&e, "note", "must be a string of at most %d characters", CP_NOTE_MAX);
		cp_response_verr(c->res, 400, &e);
		return;
	}
	Sy__LedgerEntry *entry = NULL;
	struct cp_org_money m;
	int rc = cp_money_credit(*c->t, o->id, amount, json_string_value(note), c->now, &entry);
	if (rc == SY_ECONFLICT) {
		cp_response_error(c->res, 409, json_pack("{s:s}", "field", "amount"),
		                  "amount: a refund cannot exceed the org's available balance");
		return;
	}
	if (!rc)
		rc = cp_money_publish_org(*c->t, o->id);
	if (!rc)
		rc = cp_money_read(*c->t, o->id, &m);
	if (rc) {
		cp_response_internal(c->res, "billing", "credits", rc);
	} else {
		json_t *data = json_pack("{s:o,s:o}", "entry", entry_json(entry), "credits",
		                         credits_json(o->id, &m, o->postpaid));
		if (cp_billing_commit(c, 201)) {
			char a[48];
			sy_money_format(amount, a, sizeof(a));
			sy_info("billing: org %s credited %s USD (entry %llu)", o->id, a,
			        (unsigned long long)entry->seq);
			cp_response_data(c->res, 201, data);
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
		cp_response_internal(c->res, "billing", "ledger", rc);
	} else {
		cp_response_data(c->res, 200, arr);
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
	                 cp_json_usd(m->budget[p]), "spent_usd", cp_json_usd(spent), "pending_usd",
	                 cp_json_usd(m->pending), "remaining_usd", cp_json_usd(left > 0 ? left : 0),
	                 "period_start", start, "resets_at", reset);
}

static void budgets_list(const struct cp_billing_call *c, const struct cp_org_money *m)
{
	json_t *arr = json_array();
	for (int p = 0; arr && p < CP_BUDGET_PERIODS; p++)
		if (m->has_budget[p])
			json_array_append_new(arr, budget_json(m, (enum sy_period)p, c->now));
	cp_response_data(c->res, 200, arr);
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
		cp_response_error(c->res, 404, NULL,
		                  "no budget period \"%.32s\" (daily, weekly, monthly or lifetime)",
		                  period);
		return;
	}
	int rc = cp_money_read(*c->t, o->id, &m);
	if (rc) {
		cp_response_internal(c->res, "billing", "budget", rc);
		return;
	}
	if (!strcmp(method, "GET") || !strcmp(method, "DELETE")) {
		if (!m.has_budget[p]) {
			cp_response_error(c->res, 404, NULL, "org %s has no %s budget", o->id,
			                  period);
			return;
		}
		if (!strcmp(method, "GET")) {
			cp_response_data(c->res, 200, budget_json(&m, p, c->now));
			return;
		}
		if (!cp_admin_require_global(c->caller, c->res, "delete budgets"))
			return;
		m.has_budget[p] = 0;
		m.budget[p] = 0;
		if ((rc = cp_money_write(*c->t, o->id, &m)))
			cp_response_internal(c->res, "billing", "budget", rc);
		else if (cp_billing_commit(c, 200))
			cp_response_json(c->res, 200, json_pack("{s:b}", "deleted", 1));
		return;
	}
	static const char *const fields[] = {"limit_usd", NULL};
	sy_money limit;
	if (cp_validate_fields(body, "", fields, &e) ||
	    check_amount(body, "limit_usd", true, false, &limit, &e) ||
	    check_order(&m, p, limit, &e)) {
		cp_response_verr(c->res, 400, &e);
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
		cp_response_internal(c->res, "billing", "budget", rc);
	} else if (cp_billing_commit(c, 200)) {
		cp_response_data(c->res, 200, data);
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
	if (cp_row_lease_decode(v, len, &l) || strcmp(l.org_id, ll->org))
		return 0;
	json_t *j = json_pack("{s:s%,s:s,s:o,s:I,s:b}", "lease_id", k, kl, "key_hash", l.key_hash,
	                      "amount_usd", cp_json_usd(l.amount), "expires_at_ms",
	                      (json_int_t)l.expires_ms, "closed", l.closed);
	return json_array_append_new(ll->arr, j) ? -ENOMEM : 0;
}

static void leases_get(const struct cp_billing_call *c, const Sy__Org *o)
{
	struct lease_list ll = {o->id, json_array()};
	int rc = ll.arr ? cp_store_raw_each(*c->t, CP_T_LEASES, "", lease_item, &ll) : -ENOMEM;
	if (rc) {
		json_decref(ll.arr);
		cp_response_internal(c->res, "billing", "leases", rc);
	} else {
		cp_response_data(c->res, 200, ll.arr);
	}
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
		cp_response_error(c->res, 400, json_pack("{s:s}", "field", "body"),
		                  "body: must be a JSON object%s%s",
		                  req->body_len && !body ? ": " : "",
		                  req->body_len && !body ? err.text : "");
		return NULL;
	}
	return body;
}

enum op {
	OP_ACTIVITY,
	OP_ACTIVITY_CSV,
	OP_CREDITS,
	OP_LEDGER,
	OP_LEASES,
	OP_BUDGETS,
	OP_BUDGET
};

/* The money routes (cp_route patterns after /api/v1/): {} is the org id, then the period. */
static const struct billing_route {
	const char *pattern;
	const char *method;
	enum op op;
} routes[] = {
    {"activity", "GET", OP_ACTIVITY},         {"activity.csv", "GET", OP_ACTIVITY_CSV},
    {"orgs/{}/credits", "GET", OP_CREDITS},   {"orgs/{}/credits", "POST", OP_CREDITS},
    {"orgs/{}/ledger", "GET", OP_LEDGER},     {"orgs/{}/leases", "GET", OP_LEASES},
    {"orgs/{}/budgets", "GET", OP_BUDGETS},   {"orgs/{}/budgets/{}", "GET", OP_BUDGET},
    {"orgs/{}/budgets/{}", "PUT", OP_BUDGET}, {"orgs/{}/budgets/{}", "DELETE", OP_BUDGET},
};

/* An org's money route, its org loaded (404 for one the caller may not see). */
static void serve_org(const struct cp_billing_call *c, enum op op, const char *id, const char *item)
{
	ProtobufCMessage *m = NULL;
	if (!cp_auth_may_access(c->caller, id) || cp_store_get(*c->t, CP_ORG, id, &m)) {
		cp_response_error(c->res, 404, NULL, "org not found");
		return;
	}
	const Sy__Org *o = (const Sy__Org *)m;
	json_t *body = NULL;
	bool needs_body = !strcmp(c->req->method, "POST") || !strcmp(c->req->method, "PUT");
	if (needs_body && !(body = parse_body(c)))
		goto out;
	if (op == OP_CREDITS && body) {
		credits_post(c, body, o);
	} else if (op == OP_CREDITS) {
		credits_get(c, o);
	} else if (op == OP_LEDGER) {
		ledger_get(c, o);
	} else if (op == OP_LEASES) {
		leases_get(c, o);
	} else if (op == OP_BUDGET) {
		budget_item(c, body, o, item);
	} else {
		struct cp_org_money mo;
		int rc = cp_money_read(*c->t, o->id, &mo);
		if (rc)
			cp_response_internal(c->res, "billing", "budgets", rc);
		else
			budgets_list(c, &mo);
	}
out:
	json_decref(body);
	cp_entity_free(&m);
}

void cp_billing_serve(const struct cp_billing_call *c)
{
	const char *path = c->req->path + sizeof(API) - 1;
	const struct billing_route *r = NULL;
	struct cp_route_caps caps;
	char id[72], item[40];
	bool matched = false;
	for (size_t i = 0; !r && i < sizeof(routes) / sizeof(routes[0]); i++) {
		/* an org id or a period too long for its buffer matches no route */
		if (!cp_route_match(routes[i].pattern, path, &caps) ||
		    (caps.n > 0 && !cp_route_cap(&caps, 0, id, sizeof(id))) ||
		    (caps.n > 1 && !cp_route_cap(&caps, 1, item, sizeof(item))))
			continue;
		matched = true;
		if (!strcmp(routes[i].method, c->req->method))
			r = &routes[i];
	}
	if (!r)
		cp_route_fail(c->res, matched, c->req->method);
	else if (r->op == OP_ACTIVITY || r->op == OP_ACTIVITY_CSV)
		cp_activity_serve(c, r->op == OP_ACTIVITY_CSV);
	else
		serve_org(c, r->op, id, caps.n > 1 ? item : "");
}
