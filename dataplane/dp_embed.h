/* dp_embed.h - POST /embeddings: the request, the upstream call and the answer.
 *
 * An embeddings request takes the chat's path through dp_chat (authentication, key
 * restrictions, routing, reservation, fail-over before the first byte, pricing, one usage
 * record on every exit path); what differs is here: the request's validation, the choice of
 * the adapter's embeddings call (struct dp_adapter's embed_build/embed_answer) and the
 * client's answer, OpenAI's embeddings list stamped with the generation id, the provider
 * and the usage with its cost. Embeddings are never streamed; only prompt tokens count. */
#ifndef DP_EMBED_H
#define DP_EMBED_H

#include "dp_jtext.h"
#include "dp_request.h"
#include "dp_response.h"
#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

struct dp_adapter;
struct dp_adapter_call;
struct dp_route_target;

/* At most this many inputs per request (OpenAI's own limit). */
#define DP_EMBED_MAX_INPUTS 2048

/* Parse and validate an embeddings request body into req (req->embeddings set): model, input
 * (a string, an array of strings, an array of token ids or an array of such arrays, none
 * empty), dimensions (a positive integer), encoding_format ("float" or "base64"), user (a
 * string, not forwarded) and provider (routing preferences, as chat's). Any other member is
 * refused. On failure SY_EINVAL with a client-facing message naming the field in err. */
int dp_embed_parse(const char *data, size_t len, struct dp_chat_req *req, char *err, size_t errlen);
/* Whether model m makes embeddings (its output_modalities include "embeddings"). */
bool dp_embed_model(const Sy__Model *m);
/* The upstream request of adapter ad for req on t. SY_EINVAL with a client-facing message in
 * err when ad has no embeddings (Anthropic) or cannot express req; -ENOMEM. */
int dp_embed_build(const struct dp_adapter *ad, const struct dp_chat_req *req,
                   const struct dp_route_target *t, struct dp_adapter_call *out, char *err,
                   size_t errlen);

/* A provider's embeddings answer, read: spans of its text (dp_jtext), which must stay alive
 * until dp_embed_finish — the caller's data, or own when the adapter translated it. */
struct dp_embed_answer {
	struct sy_buf own;       /* the adapter's OpenAI-shaped translation, if any */
	struct dp_jval *vectors; /* n arrays of numbers, in input order (malloc'ed) */
	size_t n;                /* = the request's n_inputs */
	struct dp_response_usage usage;
};

/* Read ad's 2xx answer (data, len) for req: one vector per input, each index once, every
 * vector a non-empty array of numbers; usage.prompt_tokens when the provider gives it
 * (usage.from_provider), else the gateway's estimate; finish_reason "stop" (a whole answer
 * is billed). 0, SY_EPROTO when it is not such an answer, -ENOMEM. */
int dp_embed_read(const struct dp_adapter *ad, const char *data, size_t len,
                  const struct dp_chat_req *req, struct dp_embed_answer *a);
void dp_embed_answer_release(struct dp_embed_answer *a);
/* The client's answer: {id, object "list", data [{object "embedding", index, embedding}],
 * model, provider, usage (dp_response_usage_put, with cost)}; embedding is the numbers as the
 * provider wrote them, or with req->base64 their little-endian float32 bytes in base64
 * (OpenAI's encoding_format). malloc'ed JSON; NULL when out of memory. */
char *dp_embed_finish(const struct dp_embed_answer *a, const struct dp_chat_req *req,
                      const struct dp_gen_info *g, sy_money cost);
/* base64 of the little-endian float32 values of vec, an array of numbers (malloc'ed; NULL
 * when out of memory or vec is not a non-empty array of numbers). */
char *dp_embed_base64(const struct dp_jval *vec);

#endif
