/* dp_auth.h - who is calling: the bearer key checked against the worker's current view.
 *
 * Only the SHA-256 of the presented key is looked up; the stored hash is compared in
 * constant time. Nothing here logs the key or its hash. */
#ifndef DP_AUTH_H
#define DP_AUTH_H

#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

struct dp_view;

/* The outcome of one check. Pointers live as long as the view they came from. */
struct dp_auth {
	const Sy__ApiKey *key;   /* the inference key (NULL for a management key) */
	const Sy__MgmtKey *mkey; /* the management key, only when allow_mgmt */
	const Sy__Org *org;      /* the key's org (NULL for a global management key) */
	const char *error;       /* client-facing reason when refused (static string) */
};

/* Check an Authorization header value (NULL = absent) at unix time now. 0 when accepted,
 * SY_EFORBIDDEN (answer 401 with res->error) when refused. allow_mgmt accepts management
 * keys (GET /key); everywhere else they are refused with a message saying why. */
int dp_auth_check(const struct dp_view *v, const char *authorization, int64_t now, bool allow_mgmt,
                  struct dp_auth *res);

#endif
