/* sy_prefs.c - the provider preferences' types; a JSON null counts as absent. */
#include "sy_prefs.h"
#include "sy_jcheck.h"
#include "sy_err.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
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
	static const char *const flags[] = {"allow_fallbacks", "require_parameters", "zdr"};
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
		const char *k;
		json_t *v;
		json_object_foreach(max_price, k, v)
		{
			if (!json_is_number(v) || !(json_number_value(v) >= 0) ||
			    !isfinite(json_number_value(v)))
				return sy_jcheck_bad(
				    &e, "provider.max_price.%s must be a non-negative number", k);
		}
	}
	return 0;
}
