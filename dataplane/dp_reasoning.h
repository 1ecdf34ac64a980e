/* dp_reasoning.h - OpenRouter's reasoning fields on OpenAI-compatible upstreams.
 *
 * Clients ask for reasoning in three forms: `reasoning` {effort, max_tokens, enabled,
 * exclude} (OpenRouter's), `reasoning_effort` (OpenAI's) and `include_reasoning` (OpenRouter's
 * older switch). The Anthropic and Gemini adapters turn them into a thinking budget
 * (dp_adapter_reasoning_budget); an OpenAI-compatible upstream gets OpenAI's own form, one
 * `reasoning_effort`, and never the other two (OpenAI refuses members it does not know).
 * Answers come back with the reasoning in `reasoning`, whatever the upstream called it
 * (DeepSeek, vLLM and others say `reasoning_content`), and without it when the client asked
 * to exclude it. */
#ifndef DP_REASONING_H
#define DP_REASONING_H

#include "dp_request.h"
#include "sy_buf.h"

#include <stdbool.h>
#include <stdint.h>

/* The client asked not to see the reasoning: reasoning.exclude, or include_reasoning: false. */
bool dp_reasoning_excluded(const struct dp_chat_req *req);
/* Whether req carries a reasoning member that drop does not remove. */
bool dp_reasoning_asked(const struct dp_chat_req *req, const char *const *drop);
/* OpenAI's reasoning_effort for req: reasoning.effort or reasoning_effort as given;
 * reasoning.max_tokens as the nearest effort by its share of max_tokens (>= 87.5 % xhigh,
 * >= 65 % high, >= 35 % medium, >= 15 % low, else minimal); enabled: true, {} or
 * include_reasoning: true "medium"; enabled: false "none". NULL when nothing is asked. */
const char *dp_reasoning_effort(const struct dp_chat_req *req, const char *const *drop,
                                uint32_t max_tokens);
/* Rewrite one OpenAI-shaped answer or chunk: each choice's message / delta gets
 * `reasoning_content` as `reasoning` (unless it has `reasoning` already), and with exclude
 * loses reasoning, reasoning_content and reasoning_details. 1 when it wrote the rewritten
 * JSON to out, 0 when nothing needed changing (out untouched; the common case costs one
 * scan), SY_EPROTO for invalid JSON, -ENOMEM. */
int dp_reasoning_rewrite(const char *data, size_t len, bool exclude, struct sy_buf *out);

#endif
