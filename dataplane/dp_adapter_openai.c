/* dp_adapter_openai.c - OpenAI-compatible chat completions: the client's format, so the
 * request goes out nearly as it came (dp_request_upstream_body) and answers and chunks need
 * no translation. Embeddings: POST {base}/embeddings with model, input, dimensions and
 * encoding_format "float" (the user member is not forwarded, as for chat). */
#include "dp_adapter.h"
#include "dp_route.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <string.h>

static int build(const struct dp_chat_req *req, const struct dp_route_target *t,
                 const char *const *drop, struct dp_adapter_call *out, char *err, size_t errlen)
{
	*out = (struct dp_adapter_call){0};
	out->body = dp_request_upstream_body(req, t->ep->provider_model_id, drop, &out->len);
	out->url = dp_adapter_url(t->prov->base_url, "/chat/completions");
	if (!out->body || !out->url) {
		dp_adapter_call_release(out);
		return -ENOMEM;
	}
	return 0;
}

static int stream(struct dp_adapter_stream *st, const char *event, const char *data, size_t len,
                  dp_adapter_chunk_fn *chunk, void *arg)
{
	if (len == 6 && !memcmp(data, "[DONE]", 6))
		return 0;
	return chunk(data, len, arg);
}

static int embed_build(const struct dp_chat_req *req, const struct dp_route_target *t,
                       struct dp_adapter_call *out, char *err, size_t errlen)
{
	*out = (struct dp_adapter_call){0};
	json_t *body = json_pack("{s:s,s:O,s:s}", "model", t->ep->provider_model_id, "input",
	                         json_object_get(req->body, "input"), "encoding_format", "float");
	if (body && req->dimensions)
		json_object_set_new(body, "dimensions", json_integer(req->dimensions));
	out->body = body ? sy_json_dump(body) : NULL;
	json_decref(body);
	out->url = dp_adapter_url(t->prov->base_url, "/embeddings");
	if (!out->body || !out->url) {
		dp_adapter_call_release(out);
		return -ENOMEM;
	}
	out->len = strlen(out->body);
	return 0;
}

const struct dp_adapter dp_adapter_openai = {
    .name = "openai",
    .build = build,
    .answer = NULL,
    .stream = stream,
    .classify = dp_adapter_classify_http,
    .embed_build = embed_build,
    .embed_answer = NULL,
};
