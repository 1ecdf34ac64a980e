/* dp_route.h - choosing the endpoints to try for a request (OpenRouter provider routing).
 *
 * Pure logic over the catalog: no I/O. The caller supplies lookups into its current view
 * and the health of each endpoint; the plan is the ordered list of (model, endpoint) to try,
 * first choice first, fallbacks after. */
#ifndef DP_ROUTE_H
#define DP_ROUTE_H

#include "dp_request.h"
#include "sy_cost.h"
#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_policy;

#define DP_ROUTE_MAX 32
/* Room a drop list needs (dp_route_unsupported): more than the parameters there are. */
#define DP_ROUTE_DROP_MAX 32

struct dp_route_target {
	const Sy__Model *model; /* the model this attempt serves */
	const char *model_id;   /* the id billed and shown (with variant suffix stripped) */
	const Sy__Endpoint *ep;
	const Sy__Provider *prov;
	struct sy_price price;
	bool free_variant;  /* reached through ":free" */
	const char *bearer; /* BYOK: the org's own credential (dp_byok); NULL = the provider's */
	bool byok;
};

struct dp_route_plan {
	struct dp_route_target t[DP_ROUTE_MAX];
	size_t n;
	const char *rule;      /* a 403: the key restriction that left no endpoint (dp_policy) */
	const char *guardrail; /* the guardrail whose restriction it is (NULL: the key's) */
	/* why a failed plan is empty: "model_not_found" (400), "no_endpoint" (404: filters or
	 * no usable endpoint), NULL otherwise (400 no model, 403 rule, 500) */
	const char *reason;
};

struct dp_route_ctx {
	const Sy__Model *(*model)(void *arg, const char *id);
	const Sy__Provider *(*provider)(void *arg, const char *slug);
	/* false when the endpoint is ejected or in Retry-After; NULL = all healthy */
	bool (*healthy)(void *arg, const char *model_id, const char *provider_slug);
	/* throughput (tokens/s) and latency (ms) per endpoint for sort; NULL = unknown */
	double (*throughput)(void *arg, const char *model_id, const char *provider_slug);
	double (*latency)(void *arg, const char *model_id, const char *provider_slug);
	/* the controlplane's published stats of the endpoint (speed preferences); NULL = none */
	const Sy__EndpointStat *(*stat)(void *arg, const char *model_id, const char *provider_slug);
	void *arg;
	uint64_t random; /* a random draw for the weighted choice */
	/* the key's effective policy (dp_policy): its providers, prices, ZDR and regions filter
	 * first; NULL = none */
	const struct dp_policy *policy;
};

/* Build the plan. On failure returns a negative code, sets *status (400 unknown model,
 * out->reason "model_not_found"; 404 filters that leave nothing, out->reason "no_endpoint"; 403 when only the key's restrictions left nothing, with
 * out->rule naming the restriction; 400 no model; 500 out of memory) and a client-facing message
 * naming the cause (e.g. which filter emptied the list). The provider preferences must have
 * been validated by dp_request_parse. Never returns an empty plan with 0. */
int dp_route_plan(const struct dp_route_ctx *ctx, const struct dp_chat_req *req,
                  struct dp_route_plan *out, int *status, char *err, size_t errlen);
/* An endpoint's context length: its own, else its model's (0: unknown). */
uint32_t dp_route_context(const Sy__Model *m, const Sy__Endpoint *ep);
/* "Parameters a provider does not support are dropped": the body members of req that t's
 * endpoint does not list in its supported_parameters (else the model's), for
 * dp_request_upstream_body. Nothing is dropped when both lists are empty (unknown), and never
 * tools or tool_choice. With require_parameters every endpoint of the plan supports them all,
 * so the list is empty. Fills drop (room for max + 1 entries) NULL-terminated; returns the
 * count. */
size_t dp_route_unsupported(const struct dp_chat_req *req, const struct dp_route_target *t,
                            const char **drop, size_t max);

#endif
