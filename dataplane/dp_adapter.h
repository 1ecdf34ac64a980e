/* dp_adapter.h - the wire formats of upstream providers, behind one interface.
 *
 * A provider's `adapter` names the format it speaks: "openai" (OpenAI-compatible chat
 * completions), "anthropic" (Messages API), "gemini" (generateContent). dp_chat does routing,
 * fail-over, deadlines, health, usage and pricing the same way for every format; an adapter
 * only translates: the client's request into the provider's (URL, headers, body), and the
 * provider's answer, stream and errors back into OpenAI's chat.completion shapes, which
 * dp_response then stamps and prices. A new format is one dp_adapter_<name>.c holding a
 * const struct dp_adapter and one line in dp_adapter_find; nothing else changes.
 *
 * Answers and stream chunks come out OpenAI-shaped: choices[0].message or .delta with
 * content, tool_calls, reasoning and reasoning_details; finish_reason is the provider's own
 * value (dp_response normalises it and keeps it as native_finish_reason); usage is OpenAI's
 * object with prompt_tokens (cached and cache-write ones included),
 * prompt_tokens_details{cached_tokens, cache_write_tokens} and
 * completion_tokens_details{reasoning_tokens}.
 *
 * Embeddings (POST /embeddings) have their own pair, embed_build and embed_answer: OpenAI's
 * POST {base}/embeddings, Gemini's :embedContent / :batchEmbedContents; Anthropic has none. */
#ifndef DP_ADAPTER_H
#define DP_ADAPTER_H

#include "dp_request.h"
#include "sy_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_route_target;

/* The upstream request an adapter builds for one attempt. */
struct dp_adapter_call {
	char *url;  /* malloc'ed */
	char *body; /* malloc'ed JSON */
	size_t len;
	/* how the provider's key is sent: a header name ("x-api-key"), or NULL for
	 * "Authorization: Bearer" */
	const char *key_header;
	/* further fixed headers ("anthropic-version: 2023-06-01"), NULL-terminated; may be NULL */
	const char *const *headers;
};

/* Release what a build allocated; idempotent. */
void dp_adapter_call_release(struct dp_adapter_call *c);

/* What a provider's error answer means for routing. */
enum dp_adapter_fault {
	DP_FAULT_PROVIDER,       /* the provider's own trouble: fail over, count against it */
	DP_FAULT_RATE_LIMITED,   /* 429 and the like: fail over, honour Retry-After */
	DP_FAULT_CLIENT,         /* the request is at fault: the provider's word goes back */
	DP_FAULT_CONTEXT_LENGTH, /* the prompt is too long for this model: a longer one may do */
	DP_FAULT_CREDENTIAL,     /* the provider refused our key: fail over, say so */
};

/* The state of one streamed answer, kept between events. */
struct dp_adapter_stream {
	uint32_t n_tools; /* tool calls announced so far: the OpenAI index of the next */
	int64_t block;    /* Anthropic: the open content block's index, -1 = none */
	char block_type;  /* its kind: 't'ext, 'u' tool_use, 'k' thinking, 0 other */
	uint32_t tool;    /* the OpenAI index of the open tool_use block */
	uint32_t
	    input[3]; /* Anthropic: input, cache read, cache creation tokens from message_start */
	bool started; /* Anthropic: message_start arrived */
	bool exclude_reasoning; /* reasoning.exclude: thinking is used but not shown */
};

/* Hands one OpenAI-shaped chunk (JSON text) to the caller; non-zero stops the stream. */
typedef int dp_adapter_chunk_fn(const char *json, size_t len, void *arg);

struct dp_adapter {
	const char *name; /* the catalog's adapter value */
	/* The upstream request for req on target t, leaving out the body members in drop
	 * (NULL-terminated, may be NULL). 0; SY_EINVAL when this format cannot express the
	 * request, with a client-facing message naming the field in err; -ENOMEM. */
	int (*build)(const struct dp_chat_req *req, const struct dp_route_target *t,
	             const char *const *drop, struct dp_adapter_call *out, char *err,
	             size_t errlen);
	/* A whole (2xx) answer as an OpenAI chat.completion appended to out (nothing appended:
	 * the answer stands as it is); NULL when the answer is OpenAI's already. 0, SY_EPROTO
	 * when it is not an answer, -ENOMEM. */
	int (*answer)(const char *data, size_t len, const struct dp_chat_req *req,
	              struct sy_buf *out);
	/* One event of a (2xx) stream (its SSE event name, "" if none, and data): calls chunk
	 * for each OpenAI chunk it makes, in order, at once. 0, SY_EPROTO for a malformed event
	 * or an error event, or chunk's non-zero return. */
	int (*stream)(struct dp_adapter_stream *st, const char *event, const char *data, size_t len,
	              dp_adapter_chunk_fn *chunk, void *arg);
	/* What an HTTP error status with this body means. */
	enum dp_adapter_fault (*classify)(long status, const char *body, size_t len);
	/* POST /embeddings (dp_embed); NULL when the format has no embeddings (Anthropic's).
	 * The upstream request for req's inputs (req->embeddings) on t: 0; SY_EINVAL with a
	 * client-facing message naming the field in err when the format cannot express it;
	 * -ENOMEM. Always asks for floats: dp_embed encodes base64 itself. */
	int (*embed_build)(const struct dp_chat_req *req, const struct dp_route_target *t,
	                   struct dp_adapter_call *out, char *err, size_t errlen);
	/* A whole (2xx) embeddings answer as OpenAI's {"data": [{"index", "embedding":
	 * [numbers]}], "usage": {"prompt_tokens"}} (usage left out when the provider gives no
	 * count) appended to out; NULL when the answer is OpenAI's already. 0, SY_EPROTO when it
	 * is not an answer, -ENOMEM. */
	int (*embed_answer)(const char *data, size_t len, const struct dp_chat_req *req,
	                    struct sy_buf *out);
};

extern const struct dp_adapter dp_adapter_openai;
extern const struct dp_adapter dp_adapter_anthropic;
extern const struct dp_adapter dp_adapter_gemini;

/* The adapter named name (NULL or "" = "openai"); NULL for an unknown name. */
const struct dp_adapter *dp_adapter_find(const char *name);
/* Fresh stream state for req's answer. */
void dp_adapter_stream_init(struct dp_adapter_stream *st, const struct dp_chat_req *req);

/* ---- shared by the adapters ---------------------------------------------------------- */

/* The common reading of an error status: 429 rate limited; 400/413/422 the client's (a 400
 * that mentions the context length: context length); anything else the provider's. */
enum dp_adapter_fault dp_adapter_classify_http(long status, const char *body, size_t len);
/* Whether an error body says the prompt is too long (OpenAI's, Anthropic's and Google's
 * wordings). */
bool dp_adapter_is_context_length(const char *body, size_t len);
/* base (trailing slashes dropped) + path, malloc'ed; NULL on allocation failure. */
char *dp_adapter_url(const char *base, const char *path);
/* Whether the body member name is in drop (NULL-terminated, may be NULL). */
bool dp_adapter_dropped(const char *const *drop, const char *name);
/* The body member name of req, NULL when absent, null or dropped. */
json_t *dp_adapter_param(const struct dp_chat_req *req, const char *const *drop, const char *name);
/* The completion limit to send upstream: the client's, else the endpoint's
 * max_completion_tokens, else DP_ADAPTER_MAX_TOKENS. */
uint32_t dp_adapter_max_tokens(const struct dp_chat_req *req, const struct dp_route_target *t);
#define DP_ADAPTER_MAX_TOKENS 4096
/* OpenRouter's reasoning request (reasoning {effort|max_tokens|enabled|exclude},
 * reasoning_effort or include_reasoning: true) as a thinking budget for a completion limit of max_tokens: 0 = no
 * thinking asked for (or asked off: *off set), else the budget (explicit max_tokens, or
 * effort's share of max_tokens: high 80 %, medium 50 %, low 20 %, minimal 10 %, at least
 * min_budget). */
uint32_t dp_adapter_reasoning_budget(const struct dp_chat_req *req, const char *const *drop,
                                     uint32_t max_tokens, uint32_t min_budget, bool *off);
/* Split a data: URL "data:<mime>;base64,<data>" into its media type and data (pointers
 * into url); false when url is not a base64 data URL. */
bool dp_adapter_data_url(const char *url, char *mime, size_t mimelen, const char **data);
/* Write a client-facing message naming the field into err; returns SY_EINVAL (a request
 * this format cannot express). */
int dp_adapter_refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append a turn {"role": role, key: items} to turns (takes items; key is "content" or
 * "parts"); a turn of the same role as the last one is merged into it instead (both APIs
 * want roles alternating). */
void dp_adapter_add_turn(json_t *turns, const char *key, const char *role, json_t *items);
/* The end-user id as sent to a provider that takes one (Anthropic's metadata.user_id): its
 * BLAKE2b-128 hash in hex (the client's own id is never forwarded raw). */
void dp_adapter_user_hash(const char *user, char hex[33]);
/* A token count member of a provider's usage object: non-negative, clamped to 32 bits. */
uint32_t dp_adapter_count(const json_t *usage, const char *name);
/* OpenAI usage JSON for the given counts (the object dp_response reads). */
json_t *dp_adapter_usage(uint32_t prompt, uint32_t completion, uint32_t cached,
                         uint32_t cache_write, uint32_t reasoning);
/* Emit j (takes the reference) as one chunk through fn. 0, -ENOMEM or fn's return. */
int dp_adapter_emit(json_t *j, dp_adapter_chunk_fn *fn, void *arg);
/* A chunk with one choice: delta (taken; NULL = {}) and finish_reason (NULL = null). */
json_t *dp_adapter_chunk(json_t *delta, const char *finish);

#endif
