/* sy_prefs.c - the provider preferences' types; a JSON null counts as absent. */
#include "sy_prefs.h"
#include "sy_jcheck.h"
#include "sy_err.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool strings(const json_t *v)
{
	size_t i;
	json_t *s;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s))
			return false;
	}
	return true;
}

const char *const sy_prefs_percentiles[5] = {"p50", "p75", "p90", "p99", NULL};

static bool nonneg(const json_t *v)
{
	return json_is_number(v) && json_number_value(v) >= 0 && isfinite(json_number_value(v));
}

/* preferred_min_throughput / preferred_max_latency: a number or percentile cutoffs. */
static bool speed_pref(const json_t *v)
{
	if (nonneg(v))
		return true;
	if (!json_is_object(v) || !json_object_size(v))
		return false;
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)v, k, x)
	{
		size_t i = 0;
		while (sy_prefs_percentiles[i] && strcmp(sy_prefs_percentiles[i], k))
			i++;
		if (!sy_prefs_percentiles[i] || !nonneg(x))
			return false;
	}
	return true;
}

bool sy_prefs_price(const json_t *v, double *out)
{
	double d;
	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v)) {
		/* the SDKs type prices as strings ("0.5"): a whole decimal number, nothing else */
		const char *s = json_string_value(v);
		char *end;
		if (!*s || isspace((unsigned char)*s))
			return false;
		errno = 0;
		d = strtod(s, &end);
		if (*end || errno)
			return false;
	} else {
		return false;
	}
	if (!(d >= 0) || !isfinite(d))
		return false;
	if (out)
		*out = d;
	return true;
}

static int check_sort(const json_t *sort, struct sy_errmsg *e)
{
	static const char *const by[] = {"price", "throughput", "latency", NULL};
	static const char *const partitions[] = {"model", "none", NULL};
	if (sy_jcheck_one_of(sort, by))
		return 0;
	json_t *partition = sy_jcheck_opt(sort, "partition");
	if (json_is_object(sort) && sy_jcheck_one_of(json_object_get(sort, "by"), by) &&
	    (!partition || sy_jcheck_one_of(partition, partitions)))
		return 0;
	return sy_jcheck_bad(e,
	                     "provider.sort must be \"price\", \"throughput\" or \"latency\", or "
	                     "{\"by\": one of those, \"partition\": \"model\" or \"none\"}");
}

int sy_prefs_check(const json_t *p, char *err, size_t errlen)
{
	struct sy_errmsg e = {err, errlen};
	if (!json_is_object(p))
		return sy_jcheck_bad(&e, "provider must be an object");
	static const char *const lists[] = {"order", "only", "ignore", "quantizations",
	                                    "allowed_data_regions"};
	static const char *const flags[] = {"allow_fallbacks", "require_parameters", "zdr",
	                                    "enforce_distillable_text"};
	static const char *const speeds[] = {"preferred_min_throughput", "preferred_max_latency"};
	/* every member is honoured or refused: one this gateway does not know is a 400 */
	static const char *const known[] = {"order",
	                                    "only",
	                                    "ignore",
	                                    "quantizations",
	                                    "allowed_data_regions",
	                                    "allow_fallbacks",
	                                    "require_parameters",
	                                    "zdr",
	                                    "enforce_distillable_text",
	                                    "preferred_min_throughput",
	                                    "preferred_max_latency",
	                                    "data_collection",
	                                    "sort",
	                                    "max_price",
	                                    NULL};
	const char *name;
	json_t *member;
	json_object_foreach((json_t *)p, name, member)
	{
		size_t i = 0;
		while (known[i] && strcmp(known[i], name))
			i++;
		if (!known[i])
			return sy_jcheck_bad(
			    &e,
			    "provider.%.64s is not a provider preference this gateway "
			    "knows (docs/openrouter-fields.md lists them)",
			    name);
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		json_t *v = sy_jcheck_opt(p, lists[i]);
		if (v && !strings(v))
			return sy_jcheck_bad(&e, "provider.%s must be an array of strings",
			                     lists[i]);
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		json_t *v = sy_jcheck_opt(p, flags[i]);
		if (v && !json_is_boolean(v))
			return sy_jcheck_bad(&e, "provider.%s must be a boolean", flags[i]);
	}
	/* the catalog records no model's distillation terms: a request that needs them is
	 * refused rather than routed to a model that might not allow it */
	if (json_is_true(json_object_get(p, "enforce_distillable_text")))
		return sy_jcheck_bad(&e, "provider.enforce_distillable_text is not supported: this "
		                         "gateway's catalog does not record which models allow "
		                         "text distillation");
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++) {
		json_t *v = sy_jcheck_opt(p, speeds[i]);
		if (v && !speed_pref(v))
			return sy_jcheck_bad(
			    &e,
			    "provider.%s must be a non-negative number or an object "
			    "of p50, p75, p90 and p99 cutoffs",
			    speeds[i]);
	}
	static const char *const policies[] = {"allow", "deny", NULL};
	json_t *dc = sy_jcheck_opt(p, "data_collection");
	if (dc && !sy_jcheck_one_of(dc, policies))
		return sy_jcheck_bad(&e, "provider.data_collection must be \"allow\" or \"deny\"");
	json_t *sort = sy_jcheck_opt(p, "sort");
	int rc = sort ? check_sort(sort, &e) : 0;
	if (rc)
		return rc;
	json_t *max_price = sy_jcheck_opt(p, "max_price");
	if (max_price) {
		if (!json_is_object(max_price))
			return sy_jcheck_bad(&e, "provider.max_price must be an object");
		/* image and audio are OpenRouter's too; Switchyard prices neither, so every
		 * endpoint meets them */
		static const char *const names[] = {"prompt", "completion", "request",
		                                    "image",  "audio",      NULL};
		const char *k;
		json_t *v;
		json_object_foreach(max_price, k, v)
		{
			size_t i = 0;
			while (names[i] && strcmp(names[i], k))
				i++;
			if (!names[i])
				return sy_jcheck_bad(
				    &e,
				    "provider.max_price.%s is not a price: use prompt, "
				    "completion, request, image or audio",
				    k);
			if (!sy_prefs_price(v, NULL))
				return sy_jcheck_bad(&e,
				                     "provider.max_price.%s must be a non-negative "
				                     "number or numeric string",
				                     k);
		}
	}
	return 0;
}
