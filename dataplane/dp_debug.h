/* dp_debug.h - OpenRouter's `debug` request member: {"echo_upstream_body": true}.
 *
 * With a streamed request, the first chunk the client gets carries the body Switchyard sent
 * to the provider that serves (the attempt's own body, after every transformation: model
 * id, dropped parameters, reasoning, middle-out, the provider's format): a chunk with empty
 * choices and debug.echo_upstream_body. Credentials travel in headers, never in the body.
 * OpenRouter ignores the option without streaming; Switchyard refuses it (a 400 naming it)
 * rather than silently ignore it. `debug` and `trace` never reach a provider. */
#ifndef DP_DEBUG_H
#define DP_DEBUG_H

#include "dp_request.h"
#include "dp_response.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Check body's debug member (absent or null: nothing) for a streamed (stream) or whole
 * answer. 0, or SY_EINVAL with a message naming it in err. */
int dp_debug_check(const json_t *body, bool stream, char *err, size_t errlen);
/* Whether req asks for its upstream body to be echoed. */
bool dp_debug_echo(const struct dp_chat_req *req);
/* The debug chunk (JSON text, malloc'ed) for upstream body (len bytes of JSON), stamped
 * with g as every chunk is; NULL on failure. */
char *dp_debug_chunk(const struct dp_gen_info *g, const char *body, size_t len);

#endif
