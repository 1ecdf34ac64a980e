/* cp_rankings.c - top models and apps by tokens (see cp_rankings.h). */
#include "cp_rankings.h"
#include "cp_activity.h"
#include "cp_auth.h"
#include "cp_json.h"
#include "cp_validate.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_proc.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#define RANKINGS "/api/v1/rankings"
#define LIMIT_DEFAULT 10

static const char *query(const struct cp_reports_call *c, const char *name)
{
	return c->req->query ? c->req->query(c->req->query_arg, name) : NULL;
}

bool cp_rankings_match(const char *path)
{
	return !strcmp(path, RANKINGS);
}

/* The top `limit` groups of one dimension, most tokens first; NULL on failure (res set). */
static json_t *top(const struct cp_reports_call *c, struct cp_activity_query *q, enum cp_dim d,
                   const char *member, size_t limit)
{
	struct cp_activity a;
	q->dims = CP_DIM(d);
	int rc = cp_activity_collect(c->t, q, &a);
	json_t *arr = rc ? NULL : json_array();
	if (rc == SY_ETOOBIG)
		cp_response_field_error(c->res, 400, NULL, "more than %d %ss: use a shorter period",
		                        CP_ACTIVITY_GROUPS_MAX, member);
	else if (rc)
		cp_response_internal(c->res, "rankings", member, rc);
	cp_activity_sort_by_tokens(&a);
	for (size_t i = 0; arr && i < a.n && json_array_size(arr) < limit; i++) {
		const struct cp_activity_group *g = &a.g[i];
		if (!*g->v[d]) /* no app named */
			continue;
		if (json_array_append_new(
		        arr, json_pack("{s:s,s:I,s:I,s:I,s:I,s:f}", member, g->v[d], "tokens",
		                       (json_int_t)(g->prompt + g->completion), "prompt_tokens",
		                       (json_int_t)g->prompt, "completion_tokens",
		                       (json_int_t)g->completion, "requests",
		                       (json_int_t)g->requests, "usage", sy_money_usd(g->usage)))) {
			json_decref(arr);
			arr = NULL;
			cp_response_internal(c->res, "rankings", member, -ENOMEM);
		}
	}
	cp_activity_release(&a);
	return arr;
}

void cp_rankings_serve(const struct cp_reports_call *c)
{
	static const struct {
		const char *name;
		enum sy_period p;
	} periods[] = {
	    {"day", SY_PERIOD_DAILY}, {"week", SY_PERIOD_WEEKLY}, {"month", SY_PERIOD_MONTHLY}};
	if (strcmp(c->req->method, "GET")) {
		cp_response_field_error(c->res, 405, NULL, "method %s not allowed here",
		                        c->req->method);
		return;
	}
	const char *period = query(c, "period"), *lim = query(c, "limit");
	const char *org = query(c, "org_id");
	size_t p = 1;
	for (size_t i = 0; period && i < sizeof(periods) / sizeof(periods[0]); i++)
		if (!strcmp(period, periods[i].name))
			p = i;
	long long limit = LIMIT_DEFAULT;
	if (period && strcmp(period, periods[p].name)) {
		cp_response_field_error(c->res, 400, "period",
		                        "period: must be day, week or month");
		return;
	}
	if (lim && !sy_parse_num(lim, 1, CP_RANKINGS_LIMIT_MAX, &limit)) {
		cp_response_field_error(c->res, 400, "limit",
		                        "limit: must be an integer from 1 to %d",
		                        CP_RANKINGS_LIMIT_MAX);
		return;
	}
	if (org && !cp_valid_org_id(org)) {
		cp_response_field_error(c->res, 400, "org_id", "org_id: must be an org id");
		return;
	}
	if (!org && !cp_auth_is_global(c->caller))
		org = c->caller->org_id;
	if (org && !cp_auth_may_access(c->caller, org)) {
		cp_response_field_error(c->res, 403, "org_id",
		                        "org_id: this management key may only rank its own org");
		return;
	}
	struct cp_activity_query q = {
	    .org = org, .from = sy_period_start(periods[p].p, c->now), .to = c->now + 1};
	json_t *models = top(c, &q, CP_DIM_MODEL, "model", (size_t)limit);
	json_t *apps = models ? top(c, &q, CP_DIM_APP, "app", (size_t)limit) : NULL;
	if (!models || !apps) {
		json_decref(models);
		return;
	}
	cp_response_json(c->res, 200,
	                 json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "period", periods[p].name, "org_id",
	                           org ? json_string(org) : json_null(), "from",
	                           cp_json_time(q.from), "to", cp_json_time(q.to), "models", models,
	                           "apps", apps));
}
