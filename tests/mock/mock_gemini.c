/* mock_gemini.c - the mock's answers in Gemini's generateContent format: the
 * GenerateContentResponse, the SSE events of streamGenerateContent?alt=sse (each a whole
 * response carrying the new parts) and Google's error object. */
#include "mock_reply.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGNATURE "CiQBcsjafHmockthoughtsignature"

static void gather_text(const json_t *parts, struct sy_buf *out)
{
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p)
	{
		const char *text = json_string_value(json_object_get(p, "text"));
		json_t *resp = json_object_get(json_object_get(p, "functionResponse"), "response");
		if (text)
			sy_buf_puts(out, text);
		if (resp) {
			char *s = sy_json_dump(resp);
			if (s)
				sy_buf_puts(out, s);
			free(s);
		}
	}
}

static bool has_part(const json_t *parts, const char *key)
{
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p)
	{
		if (json_object_get(p, key))
			return true;
	}
	return false;
}

static json_t *text_message(const char *role, const json_t *parts)
{
	struct sy_buf text;
	sy_buf_init(&text, 0);
	gather_text(parts, &text);
	json_t *m = json_pack("{s:s,s:s}", "role", role, "content", text.data ? text.data : "");
	sy_buf_release(&text);
	return m;
}

json_t *mock_gemini_request(const json_t *req, const char *model, bool stream, bool *thinking,
                            const char **why)
{
	json_t *contents = json_object_get(req, "contents"), *c;
	size_t i;
	*thinking = false;
	if (!json_is_array(contents) || !json_array_size(contents)) {
		*why = "* GenerateContentRequest.contents: contents is not specified";
		return NULL;
	}
	json_t *gc = json_object_get(req, "generationConfig");
	json_t *out = json_pack("{s:s,s:b,s:[]}", "model", model, "stream", stream, "messages");
	json_t *max = json_object_get(gc, "maxOutputTokens");
	if (max)
		json_object_set(out, "max_tokens", max);
	json_t *msgs = json_object_get(out, "messages");
	json_t *sys = json_object_get(json_object_get(req, "systemInstruction"), "parts");
	if (sys)
		json_array_append_new(msgs, text_message("system", sys));
	json_array_foreach(contents, i, c)
	{
		const char *role = json_string_value(json_object_get(c, "role"));
		json_t *parts = json_object_get(c, "parts");
		if (!json_is_array(parts) ||
		    (role && strcmp(role, "user") && strcmp(role, "model"))) {
			json_decref(out);
			*why =
			    "* GenerateContentRequest.contents: each content needs parts and role "
			    "user or model";
			return NULL;
		}
		const char *as = role && !strcmp(role, "model")        ? "assistant"
		                 : has_part(parts, "functionResponse") ? "tool"
		                                                       : "user";
		json_array_append_new(msgs, text_message(as, parts));
	}
	json_t *decls = json_object_get(json_array_get(json_object_get(req, "tools"), 0),
	                                "functionDeclarations"),
	       *d;
	if (json_array_size(decls)) {
		json_t *tools = json_array();
		json_array_foreach(decls, i, d)
		{
			json_array_append_new(
			    tools, json_pack("{s:s,s:{s:O?,s:O?}}", "type", "function", "function",
			                     "name", json_object_get(d, "name"), "parameters",
			                     json_object_get(d, "parameters")));
		}
		json_object_set_new(out, "tools", tools);
	}
	const char *mode = json_string_value(json_object_get(
	    json_object_get(json_object_get(req, "toolConfig"), "functionCallingConfig"), "mode"));
	if (mode && !strcmp(mode, "NONE"))
		json_object_set_new(out, "tool_choice", json_string("none"));
	*thinking =
	    json_is_true(json_object_get(json_object_get(gc, "thinkingConfig"), "includeThoughts"));
	return out;
}

static json_t *usage_json(const struct mock_plan *p)
{
	json_t *u =
	    json_pack("{s:i,s:i,s:i}", "promptTokenCount", (int)p->prompt_tokens,
	              "candidatesTokenCount", (int)(p->completion_tokens - p->reasoning_tokens),
	              "totalTokenCount", (int)(p->prompt_tokens + p->completion_tokens));
	if (u && p->cached_tokens)
		json_object_set_new(u, "cachedContentTokenCount", json_integer(p->cached_tokens));
	if (u && p->reasoning_tokens)
		json_object_set_new(u, "thoughtsTokenCount", json_integer(p->reasoning_tokens));
	return u;
}

static const char *finish_reason(const struct mock_plan *p)
{
	return !strcmp(p->finish, "length") ? "MAX_TOKENS" : "STOP";
}

static json_t *thought_part(const struct mock_plan *p)
{
	struct sy_buf b;
	char tok[32];
	sy_buf_init(&b, 0);
	for (unsigned k = 0; k < p->nthink; k++) {
		mock_thought_text(k, tok, sizeof(tok));
		sy_buf_puts(&b, tok);
	}
	json_t *part = json_pack("{s:s,s:b}", "text", b.data ? b.data : "", "thought", 1);
	sy_buf_release(&b);
	return part;
}

static json_t *call_part(const struct mock_plan *p)
{
	json_t *part = json_pack("{s:{s:s,s:o}}", "functionCall", "name", p->tool_name, "args",
	                         json_loads(p->tool_args, 0, NULL));
	if (part && p->nthink)
		json_object_set_new(part, "thoughtSignature", json_string(SIGNATURE));
	return part;
}

/* A response with these parts (taken), finishReason and usage when given. */
static json_t *response(const struct mock_plan *p, json_t *parts, const char *finish, bool usage)
{
	json_t *cand =
	    json_pack("{s:{s:o,s:s},s:i}", "content", "parts", parts, "role", "model", "index", 0);
	if (cand && finish)
		json_object_set_new(cand, "finishReason", json_string(finish));
	json_t *root = json_pack("{s:[o],s:s,s:s}", "candidates", cand, "modelVersion", p->model,
	                         "responseId", p->id);
	if (root && usage && p->usage)
		json_object_set_new(root, "usageMetadata", usage_json(p));
	return root;
}

/* The answer to a prompt the content-filter fault blocks: no candidates. */
static json_t *blocked(const struct mock_plan *p)
{
	json_t *root = json_pack("{s:{s:s},s:s,s:s}", "promptFeedback", "blockReason", "SAFETY",
	                         "modelVersion", p->model, "responseId", p->id);
	if (root && p->usage)
		json_object_set_new(root, "usageMetadata",
		                    json_pack("{s:i,s:i}", "promptTokenCount",
		                              (int)p->prompt_tokens, "totalTokenCount",
		                              (int)p->prompt_tokens));
	return root;
}

static char *dump(json_t *j)
{
	char *s = j ? sy_json_dump(j) : NULL;
	json_decref(j);
	return s;
}

char *mock_gemini_response(const struct mock_plan *p)
{
	if (p->refusal)
		return dump(blocked(p));
	json_t *parts = json_array();
	if (p->nthink)
		json_array_append_new(parts, thought_part(p));
	if (p->tool_name) {
		json_array_append_new(parts, call_part(p));
	} else {
		struct sy_buf b;
		char tok[32];
		sy_buf_init(&b, 0);
		for (unsigned k = 0; k < p->ntokens; k++) {
			mock_token_text(k, tok, sizeof(tok));
			sy_buf_puts(&b, tok);
		}
		json_array_append_new(parts, json_pack("{s:s}", "text", b.data ? b.data : ""));
		sy_buf_release(&b);
	}
	return dump(response(p, parts, finish_reason(p), true));
}

int mock_gemini_event(const struct mock_plan *p, unsigned i, struct sy_buf *out)
{
	json_t *j = NULL;
	char tok[32];
	switch (mock_stream_kind(p, i)) {
	case MOCK_EV_ROLE:
		j = p->refusal ? blocked(p)
		               : response(p,
		                          p->nthink ? json_pack("[o]", thought_part(p))
		                                    : json_pack("[{s:s}]", "text", ""),
		                          NULL, false);
		break;
	case MOCK_EV_CONTENT:
		if (p->tool_name) {
			j = response(p, json_pack("[o]", call_part(p)), NULL, false);
		} else {
			mock_token_text(i - 1, tok, sizeof(tok));
			j = response(p, json_pack("[{s:s}]", "text", tok), NULL, false);
		}
		break;
	case MOCK_EV_FINISH:
		j = response(p, json_pack("[{s:s}]", "text", ""), finish_reason(p), true);
		break;
	case MOCK_EV_USAGE:
	case MOCK_EV_DONE:
		return 0;
	}
	char *s = dump(j);
	int rc = s ? sy_buf_printf(out, "data: %s\r\n\r\n", s) : -ENOMEM;
	free(s);
	return rc;
}

char *mock_gemini_error(int code, const char *status, const char *message)
{
	return dump(json_pack("{s:{s:i,s:s,s:s}}", "error", "code", code, "message", message,
	                      "status", status));
}
