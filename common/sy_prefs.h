/* sy_prefs.h - OpenRouter's `provider` preferences object: one check for the dataplane (a
 * request's own) and the controlplane (a key's defaults, merged under the request's). */
#ifndef SY_PREFS_H
#define SY_PREFS_H

#include <jansson.h>
#include <stddef.h>

/* Check p (not null) field by field: order/only/ignore/quantizations/allowed_data_regions
 * arrays of strings, allow_fallbacks/require_parameters/zdr booleans, data_collection "allow"|"deny", sort,
 * max_price {name: non-negative number}. 0, or SY_EINVAL with a message naming the field
 * ("provider.sort must be ...") in err. */
int sy_prefs_check(const json_t *p, char *err, size_t errlen);

#endif
