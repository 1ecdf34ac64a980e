/* sy_prefs.c - the provider preferences' types; a JSON null counts as absent. */
#include "sy_prefs.h"
#include "sy_err.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct errmsg {
	char *s;
	size_t n;
};

static int __attribute__((format(printf, 2, 3))) bad(struct errmsg *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->s, e->n, fmt, ap);
	va_end(ap);
	return SY_EINVAL;
}

static json_t *opt(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static bool is_one_of(const json_t *v, const char *const *set)
{
	const char *s = json_string_value(v);
	for (; s && *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

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

static int check_sort(const json_t *sort, struct errmsg *e)
{
	static const char *const by[] = {"price", "throughput", "latency", NULL};
	static const char *const partitions[] = {"model", "none", NULL};
	if (is_one_of(sort, by))
		return 0;
	json_t *partition = opt(sort, "partition");
	if (json_is_object(sort) && is_one_of(json_object_get(sort, "by"), by) &&
	    (!partition || is_one_of(partition, partitions)))
		return 0;
	return bad(e, "provider.sort must be \"price\", \"throughput\" or \"latency\", or "
	              "{\"by\": one of those, \"partition\": \"model\" or \"none\"}");
}

int sy_prefs_check(const json_t *p, char *err, size_t errlen)
{
	struct errmsg e = {err, errlen};
	if (!json_is_object(p))
		return bad(&e, "provider must be an object");
	static const char *const lists[] = {"order", "only", "ignore", "quantizations",
	                                    "allowed_data_regions"};
	static const char *const flags[] = {"allow_fallbacks", "require_parameters", "zdr"};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		json_t *v = opt(p, lists[i]);
		if (v && !strings(v))
			return bad(&e, "provider.%s must be an array of strings", lists[i]);
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		json_t *v = opt(p, flags[i]);
		if (v && !json_is_boolean(v))
			return bad(&e, "provider.%s must be a boolean", flags[i]);
	}
	static const char *const policies[] = {"allow", "deny", NULL};
	json_t *dc = opt(p, "data_collection");
	if (dc && !is_one_of(dc, policies))
		return bad(&e, "provider.data_collection must be \"allow\" or \"deny\"");
	json_t *sort = opt(p, "sort");
	int rc = sort ? check_sort(sort, &e) : 0;
	if (rc)
		return rc;
	json_t *max_price = opt(p, "max_price");
	if (max_price) {
		if (!json_is_object(max_price))
			return bad(&e, "provider.max_price must be an object");
		const char *k;
		json_t *v;
		json_object_foreach(max_price, k, v)
		{
			if (!json_is_number(v) || !(json_number_value(v) >= 0) ||
			    !isfinite(json_number_value(v)))
				return bad(
				    &e, "provider.max_price.%s must be a non-negative number", k);
		}
	}
	return 0;
}
