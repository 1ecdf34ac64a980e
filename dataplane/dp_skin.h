/* dp_skin.h - the client-facing wire formats, behind one interface: the mirror of dp_adapter.
 *
 * A skin is the format a client speaks to the gateway: "chat" (OpenAI chat completions, the
 * identity), "messages" (Anthropic Messages), "completions" (OpenAI legacy text completions).
 * dp_chat serves every skin's request the same way (auth, routing, fail-over, reservation,
 * metering, usage records, rate limits all happen on the internal chat request); a skin only
 * translates: the client's body into the internal chat completions body that dp_request
 * parses, and every answer dp_chat makes back into the client's format:
 *   - the whole answer: the stamped and priced chat.completion (dp_response_finish);
 *   - an error reply before the first byte: OpenRouter's envelope {"error": {code, message,
 *     metadata}} with its status, re-wrapped into the skin's own envelope;
 *   - a stream: every stamped chunk (dp_response_stream_rewrite), then the final usage chunk
 *     (dp_response_usage_chunk) or the in-band error chunk (dp_response_error_chunk), each turned
 *     into the skin's events. A skin's stream translator keeps state across chunks (opened
 *     blocks or items, the finish seen) and closes its stream on the last call; dp_chat
 *     rewinds it when the held output of a failed attempt is dropped (fail-over before the
 *     first token), so the next attempt starts the client's stream afresh.
 *
 * Pass-through: when the format of the client and of the provider are the same (a Messages
 * request on an endpoint whose adapter is "anthropic"), a skin may send the client's own body
 * upstream (model id changed, OpenRouter's members removed) and hand the provider's answer and
 * events back unchanged; dp_chat still reads them through the adapter for metering and
 * pricing, and the skin still makes the error replies.
 *
 * A new format is one dp_skin_<name>.c holding a const struct dp_skin and one route in
 * dp_http; nothing else changes. */
#ifndef DP_SKIN_H
#define DP_SKIN_H

#include "sy_buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What a stream translator is handed. */
enum dp_skin_part {
	DP_SKIN_CHUNK, /* a stamped chat.completion.chunk */
	DP_SKIN_END,   /* the final usage chunk: the stream completed (close it) */
	DP_SKIN_ERROR, /* the in-band error chunk: the stream failed after its 200 (close it) */
};

#define DP_SKIN_MAX_HEADERS 4

struct dp_skin {
	const char *name; /* "chat", "messages", "completions" */
	/* A header that may carry the API key instead of "Authorization: Bearer" ("x-api-key");
	 * NULL = none. */
	const char *key_header;
	/* Client headers the skin reads (lower case, NULL-terminated; NULL = none). */
	const char *const *headers;
	/* The client's body (data, len) as the internal chat completions body: a malloc'ed JSON
	 * text in *out. hdrs[i] is the value of headers[i] (NULL when absent). *state receives
	 * the skin's per-request state (may be left NULL). 0; SY_EINVAL with a client-facing
	 * message naming the field in err; -ENOMEM. NULL = the body is a chat body already. */
	int (*request)(const char *data, size_t len, const char *const *hdrs, void **state,
	               char **out, char *err, size_t errlen);
	/* Free the per-request state (NULL-safe). */
	void (*release)(void *state);
	/* The client's reply from internal JSON (taken; NULL = out of memory): for a 2xx status
	 * the whole answer, otherwise the error envelope. state is NULL when the request was
	 * refused before it was read. Returns malloc'ed JSON; NULL = out of memory. NULL = as is. */
	char *(*reply)(void *state, int status, char *json);
	/* Append the client's bytes for one stream part (internal JSON text) to out. 0 or
	 * -ENOMEM. NULL = the chat framing ("data: <json>\n\n", then "data: [DONE]" after END). */
	int (*stream)(void *state, enum dp_skin_part part, const char *json, struct sy_buf *out);
	/* The held output of a failed attempt was dropped: forget what it opened. NULL-able. */
	void (*rewind)(void *state);
	/* Bytes sent while waiting for the first token (NULL = the processing comment). */
	const char *keepalive;
	/* Pass-through for an attempt on an endpoint speaking adapter: 1 with the upstream body
	 * (malloc'ed, model set to model_id) in *body and *len and the client headers to forward
	 * in hdrs (NULL-terminated "Name: value" strings owned by state; left NULL = the
	 * adapter's); 0 when this attempt translates; SY_EINVAL with a client-facing message in
	 * err when the request holds what only pass-through can honour (another endpoint may
	 * do); -ENOMEM. Until the next call, reply() gives 2xx answers back as they are and
	 * stream() only makes the in-band error. NULL = never. */
	int (*passthrough)(void *state, const char *adapter, const char *model_id, char **body,
	                   size_t *len, const char *const **hdrs, char *err, size_t errlen);
	/* Pass-through streams: one upstream event (its name, "" if none, and data) as the
	 * client's bytes. 0 or -ENOMEM. */
	int (*raw_event)(void *state, const char *event, const char *data, size_t len,
	                 struct sy_buf *out);
};

extern const struct dp_skin dp_skin_chat;
extern const struct dp_skin dp_skin_messages;
extern const struct dp_skin dp_skin_completions;
extern const struct dp_skin dp_skin_responses;

/* POST /messages/count_tokens: the estimate {"input_tokens": n} for a Messages request body
 * (malloc'ed in *out): the chat request's prompt estimate (text characters / 4, rounded up)
 * plus the tool definitions' JSON text at the same rate. 0; SY_EINVAL with err; -ENOMEM. */
int dp_skin_messages_count_tokens(const char *data, size_t len, char **out, char *err,
                                  size_t errlen);

/* ---- used by dp_chat: a skin NULL is the chat skin ------------------------------------- */

/* The client's reply (see reply): json taken, malloc'ed result, NULL = out of memory. */
char *dp_skin_reply(const struct dp_skin *s, void *state, int status, char *json);
/* One stream part framed for the client into out (see stream). 0 or -ENOMEM. */
int dp_skin_stream(const struct dp_skin *s, void *state, enum dp_skin_part part, const char *json,
                   struct sy_buf *out);

/* ---- shared by the skins --------------------------------------------------------------- */

/* The parts of OpenRouter's error envelope {"error": {code, message, metadata}} (also the
 * in-band error chunk's): status (the code, else fallback), message and the error's type —
 * metadata.reason (the specific one, e.g. insufficient_credits), else metadata.error_type —
 * copied into the caller's buffers ("" when absent). */
void dp_skin_error_parts(const char *json, int fallback, int *status, char *message, size_t msglen,
                         char *error_type, size_t typelen);
/* Append one SSE event: "event: <name>\n" (when name is not NULL) "data: <json>\n\n"
 * (takes j). 0 or -ENOMEM. */
int dp_skin_sse(struct sy_buf *out, const char *name, json_t *j);

#endif
