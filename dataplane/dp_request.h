/* dp_request.h - a client's chat-completion request: validation and the upstream body.
 *
 * Parsing is strict about the fields Switchyard acts on and lenient about the rest: unknown
 * fields are accepted and passed through (API-NOTES.md). */
#ifndef DP_REQUEST_H
#define DP_REQUEST_H

#include "dp_jtext.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_REQUEST_MAX_MODELS 8

struct dp_chat_req {
	json_t *body; /* the parsed client body (owned) */
	char *text;   /* a copy of the body's text (owned): upstream bodies are cut from it */
	struct dp_jval root; /* the body's object in text (dp_jtext) */
	const char *model;   /* "author/slug[:variant]" as given (NULL if only models[]) */
	const char *models[DP_REQUEST_MAX_MODELS]; /* model then models[] in order, deduplicated */
	size_t n_models;
	bool stream;
	json_t *provider;       /* the "provider" preferences object or NULL (borrowed) */
	const char *session_id; /* body.session_id or NULL (the header is applied by the caller) */
	int64_t max_tokens;     /* max_completion_tokens or max_tokens; -1 if absent */
	uint32_t prompt_tokens_est; /* estimate from the messages' text (chars / 4, rounded up) */
	bool has_tools;
	const char *user; /* end-user id or NULL; never forwarded raw */
	/* POST /embeddings (dp_embed_parse): no messages, never streamed */
	bool embeddings;
	bool base64;        /* encoding_format "base64": dp_embed encodes the floats */
	size_t n_inputs;    /* inputs to embed (the answer's data has one per input) */
	int64_t dimensions; /* dimensions asked for; 0 = the model's */
};

/* Parse and validate a request body. On failure returns SY_EINVAL and writes a precise,
 * client-facing message naming the field into err (e.g. "messages[1].role must be one of
 * system, user, assistant, tool, developer"). */
int dp_request_parse(const char *data, size_t len, struct dp_chat_req *req, char *err,
                     size_t errlen);
/* The refusal of a request that names no model and has no default. */
#define DP_REQUEST_NO_MODEL "model is required (or models, a non-empty array of model ids)"
/* When req names no model (neither model nor models; dp_request_parse accepts that), model
 * (borrowed: it must outlive req; NULL or "" = none) becomes its model. */
void dp_request_default_model(struct dp_chat_req *req, const char *model);
/* Free what dp_request_parse allocated; idempotent. */
void dp_request_release(struct dp_chat_req *req);

/* The body to send to an OpenAI-compatible provider: the client's body text with
 * model = provider_model_id, OpenRouter-only fields removed (models, provider, route,
 * transforms, plugins, usage, session_id, user, debug, trace), parameters in `drop` (NULL-terminated list,
 * may be NULL) removed, and for streams stream_options.include_usage = true; every other
 * member is copied as the client wrote it (no parse and dump of the messages). Returns a
 * malloc'ed string and its length, NULL on allocation failure. */
char *dp_request_upstream_body(const struct dp_chat_req *req, const char *provider_model_id,
                               const char *const *drop, size_t *len);
/* The parameters this request uses that matter for require_parameters (e.g. "tools",
 * "temperature", "response_format"): calls fn for each; stops when fn returns false. */
void dp_request_each_param(const struct dp_chat_req *req, bool (*fn)(const char *, void *),
                           void *arg);
/* The body members behind those parameters: calls fn(member, parameter) for each member
 * present (max_completion_tokens needs "max_tokens", reasoning_effort "reasoning", the others
 * their own name); stops when fn returns false. */
void dp_request_each_member(const struct dp_chat_req *req,
                            bool (*fn)(const char *member, const char *param, void *), void *arg);

#endif
