/* dp_policy.h - a key's restrictions, checked in the worker's memory before anything reaches a
 * provider.
 *
 * The rules (admin API fields of the key, synced with it): allowed_ips against the client's
 * address, allowed_referrers against Origin / HTTP-Referer, allowed_models against every model
 * the request names, and, inside routing (dp_route), allowed_providers, ignored_providers and
 * max_price against each endpoint. A refused request is answered 403 with the rule's name in
 * metadata.rule. The key's default provider preferences are merged under the request's own.
 * Pure logic except dp_policy_client_read, which reads the connection. */
#ifndef DP_POLICY_H
#define DP_POLICY_H

#include "dp_request.h"
#include "sy_cidr.h"
#include "sy_cost.h"
#include "switchyard.pb-c.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct dp_config;

/* Where a request comes from, as far as the rules care. */
struct dp_policy_client {
	bool has_addr;       /* false: no usable address (a garbled X-Forwarded-For hop) */
	struct sy_cidr addr; /* the client's address */
	const char *origin;  /* Origin, else HTTP-Referer; NULL when neither (borrowed) */
};

/* Why a request was refused: the rule's field name and a client-facing message. */
struct dp_policy_refusal {
	const char *rule;
	char message[256];
};

/* The client's address: the socket peer; only when the peer is a trusted proxy, the
 * right-most X-Forwarded-For hop that is not one (hops read right to left across the header
 * lines xff[0..n_xff-1] in arrival order; all trusted: the left-most). 0 or SY_EINVAL for an
 * unparseable hop. */
int dp_policy_client_addr(const struct sy_cidr *peer, const struct sy_cidr *trusted,
                          size_t n_trusted, const char *const *xff, size_t n_xff,
                          struct sy_cidr *out);
/* Fill cl from connection c (peer address, X-Forwarded-For lines, Origin, HTTP-Referer) with
 * cfg's trusted proxies. */
void dp_policy_client_read(struct MHD_Connection *c, const struct dp_config *cfg,
                           struct dp_policy_client *cl);
/* allowed_ips and allowed_referrers. true = allowed; false fills r. */
bool dp_policy_check_client(const Sy__ApiKey *k, const struct dp_policy_client *cl,
                            struct dp_policy_refusal *r);
/* True if pattern (an id or an fnmatch glob from allowed_models) covers model id; a
 * variant ("x/y:free") is covered by what covers its base ("x/y"). */
bool dp_policy_model_matches(const char *pattern, const char *id);
/* allowed_models against every model req names. true = allowed; false fills r. */
bool dp_policy_check_models(const Sy__ApiKey *k, const struct dp_chat_req *req,
                            struct dp_policy_refusal *r);
/* Merge the key's default provider preferences under req's own (the request's members win);
 * req->provider then points at the merged object, owned by req->body. 0 or -ENOMEM (stored
 * preferences that do not parse are ignored: the controlplane validated them). */
int dp_policy_merge_prefs(const Sy__ApiKey *k, struct dp_chat_req *req);
/* Routing filters (k may be NULL: no restriction). allowed_providers / ignored_providers
 * name slugs (or display names, any case); *rule names the one that refuses. */
bool dp_policy_allows_provider(const Sy__ApiKey *k, const Sy__Provider *p, const char **rule);
/* max_price: prompt and completion in USD per million tokens, request in USD. */
bool dp_policy_allows_price(const Sy__ApiKey *k, const struct sy_price *p);

#endif
