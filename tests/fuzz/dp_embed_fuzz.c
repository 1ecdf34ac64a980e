/* dp_embed_fuzz.c - libFuzzer target: POST /embeddings (dataplane/dp_embed.c).
 *
 * The input is read twice. As a client's body: an accepted one has inputs and a prompt
 * estimate, and each adapter builds a JSON upstream request for it or refuses with a message
 * (Gemini refuses token ids, Anthropic everything); a refusal of the body has a message. As a
 * provider's answer to a two-input request, in OpenAI's and Gemini's formats: an accepted one
 * has two vectors, and the client's answer (float and base64) is JSON (for jansson too when
 * the provider's text was: numbers too big for jansson pass through as sent). */
#include "dp_adapter.h"
#include "dp_embed.h"
#include "dp_jtext.h"
#include "dp_route.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dp_adapter *const adapters[] = {&dp_adapter_openai, &dp_adapter_gemini,
                                                    &dp_adapter_anthropic};

/* Whatever reaches the client is JSON (for jansson too when the provider's text was); frees
 * text. */
static void must_be_json(char *text, bool plain)
{
	struct dp_jval root;
	if (!text || dp_jtext_check(text, strlen(text), &root))
		abort();
	json_t *j = plain ? json_loads(text, 0, NULL) : NULL;
	if (plain && !j)
		abort();
	json_decref(j);
	free(text);
}

static void as_request(const char *p, size_t size, const struct dp_route_target *t)
{
	struct dp_chat_req req;
	char err[256] = "";
	if (dp_embed_parse(p, size, &req, err, sizeof(err))) {
		if (!err[0] || req.body)
			abort();
		return;
	}
	if (!req.n_inputs || req.n_inputs > DP_EMBED_MAX_INPUTS || !req.prompt_tokens_est ||
	    !req.embeddings)
		abort();
	for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++) {
		struct dp_adapter_call c;
		err[0] = '\0';
		int rc = dp_embed_build(adapters[i], &req, t, &c, err, sizeof(err));
		if (rc == 0) {
			json_t *j = json_loadb(c.body, c.len, 0, NULL);
			if (!json_is_object(j) || !c.url)
				abort();
			json_decref(j);
		} else if (!err[0] || c.body || c.url) {
			abort();
		}
		dp_adapter_call_release(&c);
	}
	dp_request_release(&req);
}

static void as_answer(const char *p, size_t size, const struct dp_chat_req *req, bool plain)
{
	static const struct dp_gen_info g = {
	    .id = "gen-fuzz", .created = 1, .provider_name = "Fuzz", .model = "fuzz/embed"};
	for (size_t i = 0; i < 2; i++) {
		struct dp_embed_answer a;
		if (dp_embed_read(adapters[i], p, size, req, &a))
			continue;
		if (a.n != req->n_inputs)
			abort();
		/* Gemini's answers are translated by jansson: plain JSON whatever came in */
		must_be_json(dp_embed_finish(&a, req, &g, 42), plain || i == 1);
		dp_embed_answer_release(&a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1); /* exactly size bytes: no NUL to lean on */
	if (!p)
		return 0;
	memcpy(p, data, size);

	Sy__Provider prov = SY__PROVIDER__INIT;
	Sy__Endpoint ep = SY__ENDPOINT__INIT;
	Sy__Model model = SY__MODEL__INIT;
	prov.slug = "fuzz";
	prov.base_url = "http://127.0.0.1:1/v1";
	ep.provider = "fuzz";
	ep.provider_model_id = "embed/model:v1";
	model.id = "fuzz/embed";
	struct dp_route_target t = {
	    .model = &model, .model_id = model.id, .ep = &ep, .prov = &prov};
	as_request(p, size, &t);

	json_t *in = json_loadb(p, size, JSON_DECODE_ANY, NULL);
	bool plain = in != NULL;
	json_decref(in);

	static const char *const two[] = {"{\"model\":\"m\",\"input\":[\"a\",\"b\"]}",
	                                  "{\"model\":\"m\",\"input\":[\"a\",\"b\"],"
	                                  "\"encoding_format\":\"base64\"}"};
	for (size_t k = 0; k < 2; k++) {
		struct dp_chat_req req;
		char err[64];
		if (dp_embed_parse(two[k], strlen(two[k]), &req, err, sizeof(err)))
			abort();
		as_answer(p, size, &req, plain);
		dp_request_release(&req);
	}
	free(p);
	return 0;
}
