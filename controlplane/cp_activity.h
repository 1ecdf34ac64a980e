/* cp_activity.h - generations summed by what they have in common: the admin API's activity
 * (OpenRouter's GET /activity, served for cp_billing) and the rankings (cp_rankings).
 *
 *   GET /api/v1/activity[.csv]?org_id=|workspace_id=&from=&to=|date=&api_key_hash=
 *       &group_by=endpoint|workspace|day|model|key|provider|app
 *
 * The default grouping is OpenRouter's: one row per UTC day, model and endpoint (provider),
 * carrying every field of its ActivityItem (date, model, model_permaslug, endpoint_id,
 * provider_name, byok_usage_inference, requests, usage, prompt_tokens, completion_tokens,
 * reasoning_tokens) plus cached_tokens; workspace splits those rows per org (workspace_id is
 * the org id). The other groupings give one row per day, model, key, provider or app (the
 * X-Title, else X-OpenRouter-Title, else HTTP-Referer of the generation). Ranges default to
 * the last 30 UTC days; date= is one UTC day. Org-scoped keys see only their own org. */
#ifndef CP_ACTIVITY_H
#define CP_ACTIVITY_H

#include "cp_billing.h"
#include "cp_store.h"
#include "sy_money.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_ACTIVITY_GROUPS_MAX 100000 /* groups in one answer */

/* What generations can be grouped by. */
enum cp_dim {
	CP_DIM_DATE,     /* "2026-01-31" (UTC) */
	CP_DIM_MODEL,    /* the model that served */
	CP_DIM_PROVIDER, /* the provider's slug */
	CP_DIM_KEY,      /* the API key's hash */
	CP_DIM_APP,      /* X-Title, else HTTP-Referer; "" for none */
	CP_DIM_ORG,      /* the org (workspace) */
	CP_DIM_N
};
#define CP_DIM(d) (1u << (d))

struct cp_activity_group {
	char *v[CP_DIM_N];   /* the group's value of each dimension grouped by (NULL otherwise) */
	char *provider_name; /* the display name the first generation recorded, with PROVIDER */
	char *id;            /* the values joined by US (0x1f): identity and sort order */
	uint64_t requests, prompt, completion, reasoning, cached;
	sy_money usage;      /* what the org was charged (a BYOK generation: its fee) */
	sy_money byok_usage; /* BYOK generations' provider price (byok_usage_inference) */
};

struct cp_activity_query {
	const char *org;      /* NULL = every org */
	const char *key_hash; /* NULL = every key */
	int64_t from, to;     /* created_at in [from, to) */
	unsigned dims;        /* CP_DIM() bits */
};

struct cp_activity {
	struct cp_activity_group *g;
	size_t n, cap;
	void *index; /* group id -> position (a jansson object: its hash table) */
};

/* Sum the query's generations into groups, sorted by their values (dates, then ids). 0,
 * SY_ETOOBIG (more than CP_ACTIVITY_GROUPS_MAX groups) or an error; release a in any case. */
int cp_activity_collect(struct cp_txn *t, const struct cp_activity_query *q, struct cp_activity *a);
/* Order the groups by tokens (prompt + completion), most first; ties by their values. */
void cp_activity_sort_by_tokens(struct cp_activity *a);
void cp_activity_release(struct cp_activity *a);

/* GET /api/v1/activity (csv: .csv) as above; always fills c->res. */
void cp_activity_serve(const struct cp_billing_call *c, bool csv);

#endif
