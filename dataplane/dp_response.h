/* dp_response.h - turning an upstream's answer into OpenRouter's response shape.
 *
 * Non-streaming: validate the upstream body, take its usage, then stamp our id, provider,
 * model and usage (with cost) on it. Streaming: rewrite each chunk as it passes, remember
 * usage and finish reason, and build the final usage chunk or the in-band error chunk.
 * Answers and chunks are rewritten as text (dp_jtext): what is not ours passes unchanged. */
#ifndef DP_RESPONSE_H
#define DP_RESPONSE_H

#include "dp_jtext.h"
#include "sy_cost.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What every rewritten response names. */
struct dp_gen_info {
	const char *id;            /* "gen-..." */
	int64_t created;           /* unix seconds, shared by all chunks */
	const char *provider_name; /* display name, e.g. "OpenAI" */
	const char *model;         /* the model that served, "author/slug" */
};

/* Usage as it will be billed and shown. */
struct dp_response_usage {
	struct sy_tokens tokens;
	bool from_provider;     /* false: counted by the gateway */
	char finish_reason[32]; /* normalised; "" if none arrived */
	char native_finish_reason[64];
	bool is_byok; /* served with the org's own credential (dp_byok) */
	/* the completion part of the cost (sy_cost_completion): cost_details shows it and the
	 * rest as the prompt part */
	sy_money completion_cost;
};

/* Map a provider's finish reason (OpenAI, Anthropic, Gemini spellings) to
 * stop|length|tool_calls|content_filter|error; NULL for NULL; unknown values map to "stop". */
const char *dp_response_finish_reason(const char *native);

/* A non-streaming upstream answer dp_response_parse accepted: spans of the caller's text. */
struct dp_response {
	struct dp_jval root;    /* the answer's object */
	struct dp_jval choices; /* its choices array (the last, of duplicates) */
};

/* Validate a non-streaming upstream body: on success *r locates its parts (in data) and *u
 * holds the usage and finish reasons. Without a usage object (from_provider false) the
 * completion tokens are counted from the choices' text (chars / 4 rounded up) and the prompt
 * tokens are left 0 for the caller's estimate. SY_EPROTO when it is not a chat completion
 * (not JSON, no choices, or an error object). */
int dp_response_parse(const char *data, size_t len, struct dp_response *r,
                      struct dp_response_usage *u);
/* The client's answer: r (its text still alive) with id, object, created, provider, model,
 * system_fingerprint (if missing), normalised finish_reason + native_finish_reason, and usage
 * (with cost). malloc'ed JSON text; NULL when out of memory. */
char *dp_response_finish(const struct dp_response *r, const struct dp_gen_info *g,
                         const struct dp_response_usage *u, sy_money cost);
/* Append the usage object: prompt/completion/total tokens, cost (USD number, exact),
 * is_byok, prompt_tokens_details{cached_tokens,cache_write_tokens},
 * completion_tokens_details{reasoning_tokens}, cost_details{upstream_inference_cost,
 * upstream_inference_prompt_cost, upstream_inference_completions_cost}. 0 or the sy_buf
 * error. */
int dp_response_usage_put(struct sy_buf *b, const struct dp_response_usage *u, sy_money cost);

/* Per-stream state for chunk rewriting. */
struct dp_response_stream {
	struct dp_response_usage usage;
	bool saw_finish;        /* a finish_reason arrived */
	bool saw_content;       /* any content/tool-call delta was forwarded */
	uint32_t counted_chars; /* completion characters seen, for gateway counting */
};

/* Rewrite one upstream chunk (the JSON of a data: event) into *out (malloc'ed JSON text
 * without the "data: " framing). The usage, if present, is recorded in st and removed
 * from the chunk; a chunk left with nothing to say (no choices: usage-only or an empty
 * preamble) yields *out = NULL with 0.
 * SY_EPROTO for a malformed chunk (not JSON, or an upstream error object). */
int dp_response_stream_rewrite(const char *data, size_t len, const struct dp_gen_info *g,
                               struct dp_response_stream *st, char **out);
/* Fill in usage the provider did not report from the gateway's counts (prompt estimate,
 * completion chars / 4 rounded up). No-op when the provider reported usage. */
void dp_response_stream_fill_usage(struct dp_response_stream *st, uint32_t prompt_tokens_est);
/* The final chunk: choices [] and usage (with cost). malloc'ed JSON text. */
char *dp_response_usage_chunk(const struct dp_gen_info *g, const struct dp_response_usage *u,
                              sy_money cost);
/* The in-band error chunk: top-level error {code, message, metadata{provider_name,
 * error_type}} and choices[0].finish_reason "error". malloc'ed JSON text. */
char *dp_response_error_chunk(const struct dp_gen_info *g, int code, const char *message,
                              const char *error_type);

#endif
