/* sy_restrict.h - a key's restrictions as the API shows them (admin GET /keys/{hash} and the
 * worker's GET /key show the same object). */
#ifndef SY_RESTRICT_H
#define SY_RESTRICT_H

#include "switchyard.pb-c.h"

#include <jansson.h>

/* {allowed_models, allowed_providers, ignored_providers, allowed_ips, allowed_referrers:
 * arrays (empty = unrestricted), max_price: object or null, provider: object or null}. NULL
 * on allocation failure. */
json_t *sy_restrict_json(const Sy__ApiKey *k);
/* A max_price as {prompt, completion, request} (members set only), or null. */
json_t *sy_restrict_max_price_json(const Sy__MaxPrice *mp);

#endif
