/* dp_request_fuzz.c - libFuzzer target: client chat-completion bodies (dataplane/dp_request.c).
 *
 * The input is a request body as a client sends it. An accepted body goes the way dp_chat
 * takes it: the auto router's rules, then provider routing over a small catalog, then for each
 * planned attempt the upstream body (a JSON object) without the parameters that endpoint does
 * not support. A refusal, of the body or of the routing, must come with a message. */
#include "dp_autorouter.h"
#include "dp_request.h"
#include "dp_route.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool count(const char *name, void *arg)
{
	if (!*name)
		abort();
	++*(size_t *)arg;
	return true;
}

static bool count_member(const char *member, const char *param, void *arg)
{
	return count(member, arg) && count(param, arg);
}

/* The catalog: mock/echo on two providers (the second keeps no data and lists its own
 * parameters), a/b on one; the auto router picks a/b for "code", else mock/echo. */
static char *few_params[] = {"max_tokens", "temperature"};
static Sy__Pricing price = SY__PRICING__INIT;
static Sy__Provider provs[2] = {SY__PROVIDER__INIT, SY__PROVIDER__INIT};
static Sy__Endpoint eps[3] = {SY__ENDPOINT__INIT, SY__ENDPOINT__INIT, SY__ENDPOINT__INIT};
static Sy__Endpoint *echo_eps[] = {&eps[0], &eps[1]}, *ab_eps[] = {&eps[2]};
static Sy__Model models[2] = {SY__MODEL__INIT, SY__MODEL__INIT};
static char *code_kw[] = {"code"};
static Sy__AutoRule rule = SY__AUTO_RULE__INIT;
static Sy__AutoRule *rules[] = {&rule};
static Sy__AutoRouter ar = SY__AUTO_ROUTER__INIT;

static void catalog_init(void)
{
	price.prompt = "0.000001";
	price.completion = "0.000002";
	provs[0].slug = "mock";
	provs[1].slug = "private";
	provs[1].data_collection_deny = provs[1].has_data_collection_deny = true;
	for (size_t i = 0; i < 3; i++) {
		eps[i].provider = provs[i % 2].slug;
		eps[i].provider_model_id = "upstream-model";
		eps[i].pricing = &price;
	}
	eps[1].supported_parameters = few_params;
	eps[1].n_supported_parameters = 2;
	models[0].id = "mock/echo";
	models[0].endpoints = echo_eps;
	models[0].n_endpoints = 2;
	models[0].context_length = 8192;
	models[0].has_context_length = true;
	models[1].id = "a/b";
	models[1].endpoints = ab_eps;
	models[1].n_endpoints = 1;
	rule.model = "a/b";
	rule.keywords = code_kw;
	rule.n_keywords = 1;
	ar.id = "default";
	ar.default_model = "mock/echo";
	ar.rules = rules;
	ar.n_rules = 1;
}

static const Sy__Model *model(void *arg, const char *id)
{
	for (size_t i = 0; i < 2; i++)
		if (!strcmp(models[i].id, id))
			return &models[i];
	return NULL;
}

static const Sy__Provider *provider(void *arg, const char *slug)
{
	for (size_t i = 0; i < 2; i++)
		if (!strcmp(provs[i].slug, slug))
			return &provs[i];
	return NULL;
}

/* Route an accepted request and build the upstream body of every attempt of the plan. */
static void route(struct dp_chat_req *req)
{
	char err[256] = "";
	if (dp_autorouter_resolve(&ar, req, err, sizeof(err))) {
		if (!err[0])
			abort();
		return;
	}
	struct dp_route_ctx ctx = {.model = model, .provider = provider, .random = 7};
	static struct dp_route_plan plan;
	int status = 0;
	if (dp_route_plan(&ctx, req, &plan, &status, err, sizeof(err))) {
		if (!status || !err[0])
			abort();
		return;
	}
	if (plan.n == 0 || plan.n > DP_ROUTE_MAX)
		abort();
	for (size_t i = 0; i < plan.n; i++) {
		const char *drop[DP_ROUTE_DROP_MAX + 1];
		dp_route_unsupported(req, &plan.t[i], drop, DP_ROUTE_DROP_MAX);
		size_t len = 0;
		char *body =
		    dp_request_upstream_body(req, plan.t[i].ep->provider_model_id, drop, &len);
		if (body) {
			json_t *j = json_loadb(body, len, 0, NULL);
			if (!json_is_object(j))
				abort();
			json_decref(j);
			free(body);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!models[0].id)
		catalog_init();
	char *p = malloc(size ? size : 1); /* exactly size bytes: no NUL to lean on */
	if (!p)
		return 0;
	memcpy(p, data, size);
	struct dp_chat_req req;
	char err[256] = "";
	if (dp_request_parse(p, size, &req, err, sizeof(err)) == 0) {
		size_t n = 0;
		dp_request_each_param(&req, count, &n);
		dp_request_each_member(&req, count_member, &n);
		route(&req);
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	dp_request_release(&req);
	dp_request_release(&req); /* idempotent */
	free(p);
	return 0;
}
