/* dp_middleout.h - OpenRouter's `transforms: ["middle-out"]`: make a prompt fit the context.
 *
 * When a conversation is longer than the chosen endpoint's context, messages are dropped from
 * the middle — where models attend least — until it fits: the leading system and developer
 * messages and the first turn stay, and so do the latest turns. An assistant message that
 * called tools goes together with the tool results that answer it, so no provider sees a
 * tool result without its call. As on OpenRouter it applies when the request asks for it and,
 * by default, to endpoints with a context of at most 8192 tokens; `transforms: []` turns it
 * off. Sizes are estimated as the rest of the gateway does (characters / 4), plus a few
 * tokens per message. */
#ifndef DP_MIDDLEOUT_H
#define DP_MIDDLEOUT_H

#include "dp_request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Endpoints with at most this context get middle-out unless the request says otherwise. */
#define DP_MIDDLEOUT_DEFAULT_CONTEXT 8192
/* Estimated tokens a message costs beyond its text (role, framing). */
#define DP_MIDDLEOUT_MESSAGE_TOKENS 4

/* Check the request's transforms member: absent, or an array whose strings are all
 * "middle-out". 0, or SY_EINVAL with a message naming it in err. */
int dp_middleout_check(const json_t *body, char *err, size_t errlen);
/* Whether middle-out applies to req on an endpoint with this context (0 = unknown: no). */
bool dp_middleout_wanted(const struct dp_chat_req *req, uint32_t context);
/* The indexes of messages to keep so that they fit in budget tokens, dropped from the middle;
 * keep[i] is set for each of the n messages. Returns how many were dropped (0: it fits as
 * it is, or nothing can be dropped). */
size_t dp_middleout_plan(const json_t *messages, uint64_t budget, bool *keep);
/* For an attempt on an endpoint with this context: when middle-out applies and the prompt
 * does not fit (the context less the completion the request asks for), *out becomes req
 * with messages dropped (release it with dp_request_release) and 1 is returned; 0 when req
 * stands as it is; a negative code on failure. */
int dp_middleout_apply(const struct dp_chat_req *req, uint32_t context, struct dp_chat_req *out);

#endif
