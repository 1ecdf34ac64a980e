/* dp_adapter_openai.c - OpenAI-compatible chat completions: the client's format, so the
 * request goes out nearly as it came (dp_request_upstream_body) and answers and chunks pass
 * through untouched, except for reasoning (dp_reasoning): the request's reasoning forms go out
 * as OpenAI's reasoning_effort, and answers that carry reasoning_content (or reasoning the
 * client excluded) are rewritten. Embeddings: POST {base}/embeddings with model, input,
 * dimensions and encoding_format "float" (the user member is not forwarded, as for chat). */
#include "dp_adapter.h"
#include "dp_reasoning.h"
#include "dp_route.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body without the request's reasoning members, then ,"reasoning_effort":"<effort>". */
static char *body_with_effort(const struct dp_chat_req *req, const struct dp_route_target *t,
                              const char *const *drop, const char *effort, size_t *len)
{
	static const char *const forms[] = {"reasoning", "reasoning_effort", "include_reasoning"};
	const char *all[DP_ROUTE_DROP_MAX + 4];
	size_t n = 0;
	for (; drop && drop[n] && n < DP_ROUTE_DROP_MAX; n++)
		all[n] = drop[n];
	for (size_t i = 0; i < 3; i++)
		all[n++] = forms[i];
	all[n] = NULL;
	size_t blen;
	char *body = dp_request_upstream_body(req, t->ep->provider_model_id, all, &blen);
	json_t *e = effort ? json_string(effort) : NULL;
	char *quoted = e ? json_dumps(e, JSON_ENCODE_ANY) : NULL;
	json_decref(e);
	char *out = NULL;
	if (body && (!effort || quoted)) {
		/* blen >= 2: the body is an object holding at least "model" */
		size_t extra = quoted ? strlen(",\"reasoning_effort\":") + strlen(quoted) : 0;
		if ((out = malloc(blen + extra + 1))) {
			memcpy(out, body, blen - 1);
			int k = quoted ? sprintf(out + blen - 1, ",\"reasoning_effort\":%s", quoted)
			               : 0;
			strcpy(out + blen - 1 + (size_t)k, "}");
			*len = blen + (size_t)k;
		}
	}
	free(body);
	free(quoted);
	return out;
}

static int build(const struct dp_chat_req *req, const struct dp_route_target *t,
                 const char *const *drop, struct dp_adapter_call *out, char *err, size_t errlen)
{
	*out = (struct dp_adapter_call){0};
	if (dp_reasoning_asked(req, drop))
		out->body = body_with_effort(
		    req, t, drop, dp_reasoning_effort(req, drop, dp_adapter_max_tokens(req, t)),
		    &out->len);
	else
		out->body =
		    dp_request_upstream_body(req, t->ep->provider_model_id, drop, &out->len);
	out->url = dp_adapter_url(t->prov->base_url, "/chat/completions");
	if (!out->body || !out->url) {
		dp_adapter_call_release(out);
		return -ENOMEM;
	}
	return 0;
}

static int answer(const char *data, size_t len, const struct dp_chat_req *req, struct sy_buf *out)
{
	int rc = dp_reasoning_rewrite(data, len, dp_reasoning_excluded(req), out);
	return rc < 0 ? rc : 0; /* 0 with out empty: unchanged */
}

static int stream(struct dp_adapter_stream *st, const char *event, const char *data, size_t len,
                  dp_adapter_chunk_fn *chunk, void *arg)
{
	if (len == 6 && !memcmp(data, "[DONE]", 6))
		return 0;
	struct sy_buf b;
	sy_buf_init(&b, 0);
	int rc = dp_reasoning_rewrite(data, len, st->exclude_reasoning, &b);
	if (rc == 1)
		rc = chunk(b.data, b.len, arg);
	else if (rc == 0)
		rc = chunk(data, len, arg);
	sy_buf_release(&b);
	return rc;
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
    .answer = answer,
    .stream = stream,
    .classify = dp_adapter_classify_http,
    .embed_build = embed_build,
    .embed_answer = NULL,
};
