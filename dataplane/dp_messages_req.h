/* dp_messages_req.h - an Anthropic Messages request read as a chat completions request: the
 * request half of the messages skin (dp_skin_messages). */
#ifndef DP_MESSAGES_REQ_H
#define DP_MESSAGES_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What only an Anthropic endpoint can honour (by pass-through): the first such member or
 * block, named as the client wrote it; "" = none. */
struct dp_messages_req_native {
	char what[160];
};

/* OpenRouter's members of a request (NULL-terminated): kept for routing, never sent upstream. */
extern const char *const dp_messages_req_openrouter[];

/* The Messages body in (a JSON object) as the chat body (malloc'ed JSON text in *out); count:
 * for count_tokens (max_tokens not required). What only pass-through can honour is left out
 * and named in nat. 0; SY_EINVAL with a client-facing message naming the field in err;
 * -ENOMEM. */
int dp_messages_req_translate(const json_t *in, bool count, char **out,
                              struct dp_messages_req_native *nat, char *err, size_t errlen);

#endif
