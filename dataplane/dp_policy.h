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
struct dp_view;

/* Where a request comes from, as far as the rules care. */
struct dp_policy_client {
	bool has_addr;       /* false: no usable address (a garbled X-Forwarded-For hop) */
	struct sy_cidr addr; /* the client's address */
	const char *origin;  /* Origin, else HTTP-Referer; NULL when neither (borrowed) */
};

/* Why a request was refused: the rule's field name and a client-facing message. */
struct dp_policy_refusal {
	const char *rule;
	const char *guardrail; /* the guardrail whose rule it is; NULL = the key's own */
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
/* A request's effective policy: its key's restrictions, its org's ZDR enforcement and every
 * guardrail assigned to the key or its org, all of which must allow what it uses. */
#define DP_POLICY_GUARDRAILS_MAX 32
struct dp_policy {
	const Sy__ApiKey *key;
	const Sy__Guardrail *g[DP_POLICY_GUARDRAILS_MAX]; /* the guardrails that apply */
	size_t n_g;
	const char *zdr_by; /* who requires zero data retention ("your organization" or a
	                     * guardrail's id), NULL = nobody */
};

/* Gather key's policy from view v (org may be NULL). 0, or SY_ETOOBIG when more than
 * DP_POLICY_GUARDRAILS_MAX guardrails apply (refused rather than partly enforced). */
int dp_policy_init(struct dp_policy *pol, const struct dp_view *v, const Sy__ApiKey *key,
                   const Sy__Org *org);
/* allowed_models of the key and of every guardrail; *guardrail names the guardrail that
 * refuses (NULL: the key, or allowed). */
bool dp_policy_allows_model(const struct dp_policy *pol, const char *id, const char **guardrail);
/* Every model req names. true = allowed; false fills r. */
bool dp_policy_check_models(const struct dp_policy *pol, const struct dp_chat_req *req,
                            struct dp_policy_refusal *r);
/* Merge the key's default provider preferences under req's own (the request's members win);
 * req->provider then points at the merged object, owned by req->body. 0 or -ENOMEM (stored
 * preferences that do not parse are ignored: the controlplane validated them). */
int dp_policy_merge_prefs(const Sy__ApiKey *k, struct dp_chat_req *req);
/* Routing filters (pol may be NULL: no restriction); *guardrail names a refusing guardrail.
 * allowed_providers (key and guardrails) / ignored_providers (key) name slugs or display
 * names, any case; *rule names the list that refuses. */
bool dp_policy_allows_provider(const struct dp_policy *pol, const Sy__Provider *p,
                               const char **rule, const char **guardrail);
/* max_price of the key and the guardrails: prompt and completion in USD per million tokens,
 * request in USD. */
bool dp_policy_allows_price(const struct dp_policy *pol, const struct sy_price *p,
                            const char **guardrail);
/* The guardrails' allowed_data_regions against the provider's region. */
bool dp_policy_allows_region(const struct dp_policy *pol, const Sy__Provider *p,
                             const char **guardrail);
/* All of the above plus zero data retention when required: the endpoint may serve the key
 * (GET /models/user). */
bool dp_policy_allows_endpoint(const struct dp_policy *pol, const Sy__Provider *p,
                               const struct sy_price *price);

#endif
