/* cp_retention.c - generations past the retention age folded into daily aggregates (see
 * cp_retention.h). */
#include "cp_retention.h"
#include "cp_ledger.h"
#include "sy_cost.h"
#include "sy_err.h"
#include "sy_log.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_MAX (64 + 16 + CP_GEN_ID_MAX + 4)

struct scan {
	int64_t cutoff;
	size_t max, n;
	char (*keys)[INDEX_MAX];
};

/* Index keys are "<org>/<created_at, 12 digits>/<generation id>". */
static int collect(const char *k, size_t kl, const void *v, size_t len, void *arg)
{
	struct scan *sc = arg;
	const char *t1 = memchr(k, '/', kl);
	const char *t2 = t1 ? memchr(t1 + 1, '/', kl - (size_t)(t1 + 1 - k)) : NULL;
	if (!t2 || t2 - t1 != 13 || kl >= INDEX_MAX)
		return 0;
	int64_t at = 0;
	for (const char *p = t1 + 1; p < t2; p++)
		at = at * 10 + (*p - '0');
	size_t idn = kl - (size_t)(t2 + 1 - k);
	if (at >= sc->cutoff || (idn >= 4 && !memcmp(t2 + 1, CP_RETENTION_AGG_PREFIX, 4)))
		return 0;
	memcpy(sc->keys[sc->n], k, kl);
	sc->keys[sc->n][kl] = '\0';
	return ++sc->n == sc->max;
}

uint32_t cp_retention_requests(const Sy__UsageRecord *r)
{
	return r->has_aggregated_requests ? r->aggregated_requests : 1;
}

static const char *str(const char *s)
{
	return s ? s : "";
}

/* The aggregate's id for r: its day and a hash of what it is grouped by. */
static void agg_id(const Sy__UsageRecord *r, int64_t day, char *out, size_t outlen)
{
	const char *app = r->app_title && *r->app_title ? r->app_title : str(r->http_referer);
	crypto_generichash_state st;
	unsigned char h[16];
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	const char *parts[] = {str(r->org_id),
	                       str(r->key_hash),
	                       str(r->model),
	                       str(r->provider),
	                       app,
	                       r->status >= 400 ? "error" : "ok",
	                       r->is_byok ? "byok" : ""};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		crypto_generichash_update(&st, (const unsigned char *)parts[i],
		                          strlen(parts[i]) + 1);
	crypto_generichash_final(&st, h, sizeof(h));
	char hex[2 * sizeof(h) + 1];
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, outlen, CP_RETENTION_AGG_PREFIX "%lld-%s", (long long)day, hex);
}

static int put_record(struct cp_txn *t, const Sy__UsageRecord *r, bool fresh)
{
	size_t n = sy__usage_record__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	sy__usage_record__pack(r, buf);
	int rc = cp_store_raw_put(t, CP_T_GENERATIONS, r->id, buf, n, fresh);
	free(buf);
	return rc;
}

/* Add r into its aggregate (created with the first record folded into it). */
static int add_to_aggregate(struct cp_txn *t, const Sy__UsageRecord *r)
{
	int64_t day = sy_period_start(SY_PERIOD_DAILY, r->created_at);
	char id[CP_GEN_ID_MAX], idx[INDEX_MAX];
	agg_id(r, day, id, sizeof(id));
	Sy__UsageRecord *agg = NULL;
	int rc = cp_ledger_generation(t, id, &agg);
	if (rc && rc != SY_ENOTFOUND)
		return rc;
	if (agg) {
		agg->cost += r->has_cost ? r->cost : 0;
		if (r->has_byok_waived) {
			agg->has_byok_waived = true;
			agg->byok_waived += r->byok_waived;
		}
		agg->prompt_tokens += r->prompt_tokens;
		agg->completion_tokens += r->completion_tokens;
		agg->cached_tokens += r->cached_tokens;
		agg->cache_write_tokens += r->cache_write_tokens;
		agg->reasoning_tokens += r->reasoning_tokens;
		agg->aggregated_requests += cp_retention_requests(r);
		rc = put_record(t, agg, false);
		sy__usage_record__free_unpacked(agg, NULL);
		return rc;
	}
	Sy__UsageRecord a = SY__USAGE_RECORD__INIT;
	a.id = id;
	a.org_id = r->org_id;
	a.key_hash = r->key_hash;
	a.model = r->model;
	a.provider = r->provider;
	a.provider_name = r->provider_name;
	a.app_title = r->app_title;
	a.http_referer = r->app_title && *r->app_title ? NULL : r->http_referer;
	a.has_created_at = a.has_status = a.has_cost = a.has_aggregated_requests = true;
	a.created_at = day;
	a.status = r->status >= 400 ? r->status : 200;
	a.cost = r->has_cost ? r->cost : 0;
	a.has_is_byok = a.is_byok = r->is_byok; /* BYOK generations fold apart (agg_id) */
	a.has_byok_waived = r->has_byok_waived;
	a.byok_waived = r->has_byok_waived ? r->byok_waived : 0;
	a.has_prompt_tokens = a.has_completion_tokens = a.has_cached_tokens = true;
	a.has_cache_write_tokens = a.has_reasoning_tokens = true;
	a.prompt_tokens = r->prompt_tokens;
	a.completion_tokens = r->completion_tokens;
	a.cached_tokens = r->cached_tokens;
	a.cache_write_tokens = r->cache_write_tokens;
	a.reasoning_tokens = r->reasoning_tokens;
	a.aggregated_requests = cp_retention_requests(r);
	snprintf(idx, sizeof(idx), "%s/%012lld/%s", r->org_id, (long long)day, id);
	if ((rc = put_record(t, &a, true)))
		return rc;
	return cp_store_raw_put(t, CP_T_GEN_BY_ORG, idx, "", 0, false);
}

/* Fold the generation of index key k. */
static int fold(struct cp_txn *t, const char *k)
{
	const char *id = strchr(strchr(k, '/') + 1, '/') + 1;
	Sy__UsageRecord *r = NULL;
	int rc = cp_ledger_generation(t, id, &r);
	if (rc == SY_ENOTFOUND)
		return cp_store_raw_del(t, CP_T_GEN_BY_ORG, k); /* a stale index row */
	if (rc)
		return rc;
	if (!r->org_id || !r->has_created_at)
		rc = SY_EINVAL; /* indexed by org and time: cannot happen */
	if (!rc)
		rc = add_to_aggregate(t, r);
	if (!rc)
		rc = cp_store_raw_del(t, CP_T_GENERATIONS, id);
	if (!rc)
		rc = cp_store_raw_del(t, CP_T_GEN_BY_ORG, k);
	sy__usage_record__free_unpacked(r, NULL);
	return rc;
}

int cp_retention_fold(struct cp_store *s, int64_t cutoff, size_t max, size_t *folded)
{
	*folded = 0;
	struct scan sc = {.cutoff = cutoff, .max = max, .keys = calloc(max, INDEX_MAX)};
	struct cp_txn *t = sc.keys ? cp_store_begin(s, true) : NULL;
	if (!t) {
		free(sc.keys);
		return sc.keys ? SY_ESTORE : -ENOMEM;
	}
	int rc = cp_store_raw_each(t, CP_T_GEN_BY_ORG, "", collect, &sc);
	if (rc > 0)
		rc = 0; /* stopped at max */
	for (size_t i = 0; i < sc.n && !rc; i++)
		rc = fold(t, sc.keys[i]);
	if (rc || !sc.n)
		cp_store_abort(&t);
	else
		rc = cp_store_commit(&t);
	if (!rc)
		*folded = sc.n;
	free(sc.keys);
	return rc;
}
