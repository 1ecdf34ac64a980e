/* dp_adapter_gemini.c - Google's Gemini API (POST {base}/models/{model}:generateContent,
 * streaming :streamGenerateContent?alt=sse; embeddings :embedContent, :batchEmbedContents).
 *
 * Request: turns become `contents` of parts (role user or model), system and developer turns
 * `systemInstruction`, sampling parameters `generationConfig`, tools `functionDeclarations`,
 * tool calls and results functionCall and functionResponse parts, OpenRouter's reasoning
 * `thinkingConfig`. Answer and stream: every streamed event is a whole response of its own;
 * its new parts become one chunk. Gemini gives tool calls no ids (or only sometimes): they
 * get ours, and a tool result finds its function's name through the id of the call. */
#include "dp_adapter.h"
#include "dp_reasoning.h"
#include "dp_route.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_key.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASONING_FORMAT "google-gemini-v1"
#define MIN_BUDGET 128 /* the smallest thinking budget the 2.5 models accept */

/* ---- request ------------------------------------------------------------------------- */

/* A media type for a file URL from its extension (fileData needs one). */
static const char *mime_of_url(const char *url)
{
	static const char *const map[][2] = {
	    {".png", "image/png"},       {".gif", "image/gif"},  {".webp", "image/webp"},
	    {".pdf", "application/pdf"}, {".mp3", "audio/mpeg"}, {".wav", "audio/wav"},
	    {".mp4", "video/mp4"},       {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
	};
	size_t n = strcspn(url, "?#");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t k = strlen(map[i][0]);
		if (n >= k && !strncasecmp(url + n - k, map[i][0], k))
			return map[i][1];
	}
	return "image/jpeg";
}

static int media_part(const char *url, size_t i, size_t j, json_t *parts, char *err, size_t errlen)
{
	char mime[64];
	const char *data;
	json_t *p;
	if (!url)
		return dp_adapter_refuse(
		    err, errlen, "messages[%zu].content[%zu].image_url.url must be a string", i, j);
	if (dp_adapter_data_url(url, mime, sizeof(mime), &data))
		p = json_pack("{s:{s:s,s:s}}", "inlineData", "mimeType", mime, "data", data);
	else if (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7) ||
	         !strncmp(url, "gs://", 5))
		p = json_pack("{s:{s:s,s:s}}", "fileData", "mimeType", mime_of_url(url), "fileUri",
		              url);
	else
		return dp_adapter_refuse(
		    err, errlen,
		    "messages[%zu].content[%zu].image_url.url must be an http(s) or a "
		    "base64 data URL",
		    i, j);
	if (!p)
		return -ENOMEM;
	json_array_append_new(parts, p);
	return 0;
}

/* Message i's content (string or parts) appended to parts. */
static int content_parts(const json_t *content, size_t i, json_t *parts, char *err, size_t errlen)
{
	if (json_is_string(content)) {
		if (json_string_length(content))
			json_array_append_new(parts, json_pack("{s:O}", "text", content));
		return 0;
	}
	size_t j;
	json_t *part;
	json_array_foreach(content, j, part)
	{
		const char *type = json_string_value(json_object_get(part, "type"));
		int rc = 0;
		if (!strcmp(type, "text")) {
			json_t *text = json_object_get(part, "text");
			if (json_string_length(text))
				json_array_append_new(parts, json_pack("{s:O}", "text", text));
		} else if (!strcmp(type, "image_url")) {
			json_t *iu = json_object_get(part, "image_url");
			rc = media_part(
			    json_string_value(json_is_object(iu) ? json_object_get(iu, "url") : iu),
			    i, j, parts, err, errlen);
		} else {
			rc = dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].content[%zu].type \"%s\" is not supported by the "
			    "Gemini API",
			    i, j, type);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* The thought signature a previous answer gave the tool call id (reasoning_details). */
static const char *signature_of(const json_t *m, const char *id)
{
	size_t k;
	json_t *d;
	json_array_foreach(json_object_get(m, "reasoning_details"), k, d)
	{
		const char *did = json_string_value(json_object_get(d, "id"));
		const char *fmt = json_string_value(json_object_get(d, "format"));
		if (did && fmt && !strcmp(did, id) && !strcmp(fmt, REASONING_FORMAT))
			return json_string_value(json_object_get(d, "data"));
	}
	return NULL;
}

static int call_parts(const json_t *m, size_t i, json_t *parts, char *err, size_t errlen)
{
	size_t k;
	json_t *call;
	json_array_foreach(json_object_get(m, "tool_calls"), k, call)
	{
		json_t *fn = json_object_get(call, "function");
		const char *name = json_string_value(json_object_get(fn, "name"));
		const char *args = json_string_value(json_object_get(fn, "arguments"));
		const char *id = json_string_value(json_object_get(call, "id"));
		if (!name)
			return dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].tool_calls[%zu].function.name must be "
			    "a string",
			    i, k);
		json_t *a = args && args[0] ? json_loads(args, 0, NULL) : json_object();
		if (!json_is_object(a)) {
			json_decref(a);
			return dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].tool_calls[%zu].function.arguments must be a "
			    "JSON object",
			    i, k);
		}
		json_t *p = json_pack("{s:{s:s,s:o}}", "functionCall", "name", name, "args", a);
		const char *sig = id ? signature_of(m, id) : NULL;
		if (p && sig)
			json_object_set_new(p, "thoughtSignature", json_string(sig));
		json_array_append_new(parts, p);
	}
	return 0;
}

/* The function a tool result answers: the name of the earlier call with its id. */
static const char *called_name(const json_t *msgs, size_t upto, const json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "tool_call_id"));
	for (size_t i = upto; i-- > 0;) {
		size_t k;
		json_t *call;
		json_array_foreach(json_object_get(json_array_get(msgs, i), "tool_calls"), k, call)
		{
			const char *cid = json_string_value(json_object_get(call, "id"));
			if (cid && id && !strcmp(cid, id))
				return json_string_value(
				    json_object_get(json_object_get(call, "function"), "name"));
		}
	}
	return json_string_value(json_object_get(m, "name"));
}

/* A tool result: its JSON object as the response, anything else as {"content": ...}. */
static int response_part(const json_t *msgs, size_t i, const json_t *m, json_t *parts, char *err,
                         size_t errlen)
{
	const char *name = called_name(msgs, i, m);
	if (!name)
		return dp_adapter_refuse(
		    err, errlen,
		    "messages[%zu].tool_call_id names no earlier tool call (the Gemini API "
		    "needs the function's name)",
		    i);
	json_t *content = json_object_get(m, "content");
	json_t *resp = NULL;
	if (json_is_string(content))
		resp = json_loads(json_string_value(content), 0, NULL);
	if (!json_is_object(resp)) {
		json_decref(resp);
		resp = json_pack("{s:O}", "content", content ? content : json_null());
	}
	json_array_append_new(
	    parts, json_pack("{s:{s:s,s:o}}", "functionResponse", "name", name, "response", resp));
	return 0;
}

static int map_messages(const struct dp_chat_req *req, json_t *body, char *err, size_t errlen)
{
	json_t *msgs = json_object_get(req->body, "messages");
	json_t *system = json_array(), *contents = json_array();
	json_object_set_new(body, "contents", contents);
	size_t i;
	json_t *m;
	int rc = 0;
	json_array_foreach(msgs, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");
		if (!strcmp(role, "system") || !strcmp(role, "developer")) {
			if ((rc = content_parts(content, i, system, err, errlen)))
				break;
			continue;
		}
		json_t *parts = json_array();
		if (!strcmp(role, "assistant")) {
			rc = content_parts(content, i, parts, err, errlen);
			if (!rc)
				rc = call_parts(m, i, parts, err, errlen);
		} else if (!strcmp(role, "tool")) {
			rc = response_part(msgs, i, m, parts, err, errlen);
		} else {
			rc = content_parts(content, i, parts, err, errlen);
		}
		if (rc) {
			json_decref(parts);
			break;
		}
		if (json_array_size(parts))
			dp_adapter_add_turn(contents, "parts",
			                    !strcmp(role, "assistant") ? "model" : "user", parts);
		else
			json_decref(parts);
	}
	if (!rc && !json_array_size(contents))
		rc = dp_adapter_refuse(err, errlen,
		                       "messages must contain a user or assistant turn for the "
		                       "Gemini API");
	if (!rc && json_array_size(system))
		json_object_set_new(body, "systemInstruction", json_pack("{s:O}", "parts", system));
	json_decref(system);
	return rc;
}

static void map_tools(const struct dp_chat_req *req, const char *const *drop, json_t *body)
{
	json_t *tools = dp_adapter_param(req, drop, "tools");
	json_t *choice = dp_adapter_param(req, drop, "tool_choice");
	if (!json_array_size(tools))
		return;
	json_t *decls = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(tools, i, t)
	{
		json_t *fn = json_object_get(t, "function");
		json_t *d = json_pack("{s:O}", "name", json_object_get(fn, "name"));
		static const char *const keep[] = {"description", "parameters"};
		for (size_t k = 0; k < 2; k++)
			if (json_object_get(fn, keep[k]))
				json_object_set(d, keep[k], json_object_get(fn, keep[k]));
		json_array_append_new(decls, d);
	}
	json_object_set_new(body, "tools", json_pack("[{s:o}]", "functionDeclarations", decls));
	const char *mode = json_string_value(choice);
	json_t *cfg = NULL;
	if (mode)
		cfg = json_pack("{s:s}", "mode",
		                !strcmp(mode, "required") ? "ANY"
		                : !strcmp(mode, "none")   ? "NONE"
		                                          : "AUTO");
	else if (choice)
		cfg = json_pack("{s:s,s:[O]}", "mode", "ANY", "allowedFunctionNames",
		                json_object_get(json_object_get(choice, "function"), "name"));
	if (cfg)
		json_object_set_new(body, "toolConfig",
		                    json_pack("{s:o}", "functionCallingConfig", cfg));
}

static void map_config(const struct dp_chat_req *req, const char *const *drop, json_t *body)
{
	static const char *const direct[][2] = {
	    {"temperature", "temperature"},
	    {"top_p", "topP"},
	    {"top_k", "topK"},
	    {"seed", "seed"},
	    {"presence_penalty", "presencePenalty"},
	    {"frequency_penalty", "frequencyPenalty"},
	};
	json_t *gc = json_object();
	json_t *v;
	for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
		if ((v = dp_adapter_param(req, drop, direct[i][0])))
			json_object_set(gc, direct[i][1], v);
	if (dp_adapter_param(req, drop, "max_tokens") ||
	    dp_adapter_param(req, drop, "max_completion_tokens"))
		json_object_set_new(gc, "maxOutputTokens", json_integer(req->max_tokens));
	if ((v = dp_adapter_param(req, drop, "stop")))
		json_object_set_new(gc, "stopSequences",
		                    json_is_string(v) ? json_pack("[O]", v) : json_incref(v));
	json_t *rf = dp_adapter_param(req, drop, "response_format");
	const char *rft = json_string_value(json_object_get(rf, "type"));
	if (rft && (!strcmp(rft, "json_object") || !strcmp(rft, "json_schema"))) {
		json_object_set_new(gc, "responseMimeType", json_string("application/json"));
		json_t *schema = json_object_get(json_object_get(rf, "json_schema"), "schema");
		if (json_is_object(schema))
			json_object_set(gc, "responseSchema", schema);
	}
	bool off;
	uint32_t max = req->max_tokens > 0 ? (uint32_t)req->max_tokens : DP_ADAPTER_MAX_TOKENS;
	uint32_t budget = dp_adapter_reasoning_budget(req, drop, max, MIN_BUDGET, &off);
	if (budget || off)
		json_object_set_new(gc, "thinkingConfig",
		                    json_pack("{s:I,s:b}", "thinkingBudget", (json_int_t)budget,
		                              "includeThoughts",
		                              budget && !dp_reasoning_excluded(req)));
	if (json_object_size(gc))
		json_object_set_new(body, "generationConfig", gc);
	else
		json_decref(gc);
}

/* The model id as one URL path segment: unreserved and sub-delimiter bytes as they are. */
static char *escape_segment(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	for (; out && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~!$&'()*+,;=:@", c))
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	if (out)
		*o = '\0';
	return out;
}

/* {base}/models/{the provider's model id, escaped}:{method}; NULL when that id is too long or
 * out of memory. */
static char *model_url(const struct dp_route_target *t, const char *method)
{
	char *model = escape_segment(t->ep->provider_model_id);
	char path[64 + 3 * 256];
	char *url = NULL;
	if (model && strlen(model) < 3 * 256) {
		snprintf(path, sizeof(path), "/models/%s:%s", model, method);
		url = dp_adapter_url(t->prov->base_url, path);
	}
	free(model);
	return url;
}

static int build(const struct dp_chat_req *req, const struct dp_route_target *t,
                 const char *const *drop, struct dp_adapter_call *out, char *err, size_t errlen)
{
	*out = (struct dp_adapter_call){.key_header = "x-goog-api-key"};
	json_t *body = json_object();
	if (!body)
		return -ENOMEM;
	int rc = map_messages(req, body, err, errlen);
	if (!rc) {
		map_tools(req, drop, body);
		map_config(req, drop, body);
		out->url =
		    model_url(t, req->stream ? "streamGenerateContent?alt=sse" : "generateContent");
		out->body = sy_json_dump(body);
		if (!out->body || !out->url)
			rc = -ENOMEM;
		else
			out->len = strlen(out->body);
	}
	json_decref(body);
	if (rc)
		dp_adapter_call_release(out);
	return rc;
}

/* ---- answer and stream ---------------------------------------------------------------- */

/* usageMetadata as OpenAI usage: thoughts are completion tokens, spent reasoning. */
static json_t *usage_of(const json_t *um)
{
	uint64_t prompt = (uint64_t)dp_adapter_count(um, "promptTokenCount") +
	                  dp_adapter_count(um, "toolUsePromptTokenCount");
	uint64_t completion = (uint64_t)dp_adapter_count(um, "candidatesTokenCount") +
	                      dp_adapter_count(um, "thoughtsTokenCount");
	return dp_adapter_usage(prompt > UINT32_MAX ? UINT32_MAX : (uint32_t)prompt,
	                        completion > UINT32_MAX ? UINT32_MAX : (uint32_t)completion,
	                        dp_adapter_count(um, "cachedContentTokenCount"), 0,
	                        dp_adapter_count(um, "thoughtsTokenCount"));
}

/* What one response says, in OpenAI's terms. */
struct parts {
	struct sy_buf text, thought;
	json_t *calls;   /* tool_calls */
	json_t *details; /* reasoning_details: thought signatures of the calls */
	const char *finish;
};

/* Read response root (one whole answer or one streamed event); first_tool numbers its tool
 * calls. SY_EPROTO when it is not a response. */
static int read_parts(const json_t *root, uint32_t first_tool, bool exclude, struct parts *p)
{
	*p = (struct parts){.calls = json_array(), .details = json_array()};
	sy_buf_init(&p->text, 0);
	sy_buf_init(&p->thought, 0);
	json_t *cands = json_object_get(root, "candidates");
	json_t *c = json_array_get(cands, 0);
	const char *blocked = json_string_value(
	    json_object_get(json_object_get(root, "promptFeedback"), "blockReason"));
	if (!json_is_object(root) || (cands && !json_is_array(cands)))
		return SY_EPROTO;
	if (!c) {
		/* a refused prompt, or an event carrying only usage */
		p->finish = blocked;
		return 0;
	}
	json_t *parts = json_object_get(json_object_get(c, "content"), "parts");
	size_t i;
	json_t *part;
	json_array_foreach(parts, i, part)
	{
		const char *text = json_string_value(json_object_get(part, "text"));
		json_t *fc = json_object_get(part, "functionCall");
		int rc = 0;
		if (text && json_is_true(json_object_get(part, "thought"))) {
			if (!exclude)
				rc = sy_buf_puts(&p->thought, text);
		} else if (text) {
			rc = sy_buf_puts(&p->text, text);
		} else if (json_is_object(fc)) {
			json_t *name = json_object_get(fc, "name");
			const char *fid = json_string_value(json_object_get(fc, "id"));
			char id[32] = "call_";
			/* a call without arguments takes none: {} */
			json_t *fargs = json_object_get(fc, "args");
			char *args = fargs ? sy_json_dump(fargs) : strdup("{}");
			if (!json_is_string(name) || !args) {
				free(args);
				return SY_EPROTO;
			}
			if (fid)
				snprintf(id, sizeof(id), "%s", fid);
			else
				sy_random_alnum(id + 5, 24);
			json_array_append_new(
			    p->calls,
			    json_pack("{s:I,s:s,s:s,s:{s:O,s:s}}", "index",
			              (json_int_t)(first_tool + json_array_size(p->calls)), "id",
			              id, "type", "function", "function", "name", name, "arguments",
			              args));
			free(args);
			const char *sig =
			    json_string_value(json_object_get(part, "thoughtSignature"));
			if (sig)
				json_array_append_new(
				    p->details,
				    json_pack("{s:s,s:s,s:s,s:s}", "type", "reasoning.encrypted",
				              "data", sig, "id", id, "format", REASONING_FORMAT));
		}
		if (rc)
			return rc;
	}
	p->finish = json_string_value(json_object_get(c, "finishReason"));
	return 0;
}

static void parts_release(struct parts *p)
{
	sy_buf_release(&p->text);
	sy_buf_release(&p->thought);
	json_decref(p->calls);
	json_decref(p->details);
}

/* The parts as a message (answer) or a delta (stream) object. */
static json_t *message_of(const struct parts *p, bool answer)
{
	json_t *m = answer ? json_pack("{s:s,s:s?,s:n}", "role", "assistant", "content",
	                               p->text.data, "refusal")
	                   : json_object();
	if (!answer && p->text.len)
		json_object_set_new(m, "content", json_string(p->text.data));
	if (answer && !p->text.data && !json_array_size(p->calls))
		json_object_set_new(m, "content", json_string(""));
	if (p->thought.len)
		json_object_set_new(m, "reasoning", json_string(p->thought.data));
	if (p->thought.len || json_array_size(p->details)) {
		json_t *d = json_array();
		if (p->thought.len)
			json_array_append_new(
			    d, json_pack("{s:s,s:s,s:s,s:i}", "type", "reasoning.text", "text",
			                 p->thought.data, "format", REASONING_FORMAT, "index", 0));
		json_array_extend(d, p->details);
		json_object_set_new(m, "reasoning_details", d);
	}
	if (json_array_size(p->calls))
		json_object_set(m, "tool_calls", p->calls);
	return m;
}

static int answer(const char *data, size_t len, const struct dp_chat_req *req, struct sy_buf *out)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	struct parts p;
	int rc = read_parts(root, 0, dp_reasoning_excluded(req), &p);
	if (!rc && !p.finish && !json_array_get(json_object_get(root, "candidates"), 0))
		rc = SY_EPROTO; /* neither an answer nor a refusal */
	json_t *res = NULL;
	if (!rc) {
		/* OpenAI's clients loop on finish_reason "tool_calls"; Gemini says STOP */
		const char *finish = json_array_size(p.calls) ? "tool_calls" : p.finish;
		res = json_pack("{s:O?,s:s,s:O?,s:[{s:i,s:o,s:s?}]}", "id",
		                json_object_get(root, "responseId"), "object", "chat.completion",
		                "model", json_object_get(root, "modelVersion"), "choices", "index",
		                0, "message", message_of(&p, true), "finish_reason", finish);
		json_t *um = json_object_get(root, "usageMetadata");
		if (res && json_is_object(um))
			json_object_set_new(res, "usage", usage_of(um));
		char *s = res ? sy_json_dump(res) : NULL;
		rc = s ? sy_buf_puts(out, s) : -ENOMEM;
		free(s);
	}
	json_decref(res);
	parts_release(&p);
	json_decref(root);
	return rc;
}

static int stream(struct dp_adapter_stream *st, const char *event, const char *data, size_t len,
                  dp_adapter_chunk_fn *chunk, void *arg)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	struct parts p;
	if (!json_is_object(root) || json_object_get(root, "error")) {
		json_decref(root);
		return SY_EPROTO; /* not JSON, or an error after the 200 */
	}
	int rc = read_parts(root, st->n_tools, st->exclude_reasoning, &p);
	if (rc) {
		parts_release(&p);
		json_decref(root);
		return rc;
	}
	st->n_tools += (uint32_t)json_array_size(p.calls);
	json_t *delta = message_of(&p, false);
	if (!st->started) {
		json_object_set_new(delta, "role", json_string("assistant"));
		st->started = true;
	}
	const char *finish = p.finish && st->n_tools ? "tool_calls" : p.finish;
	json_t *um = json_object_get(root, "usageMetadata");
	json_t *c = json_object_size(delta) || finish ? dp_adapter_chunk(delta, finish)
	                                              : json_pack("{s:[]}", "choices");
	if (!json_object_size(delta) && !finish)
		json_decref(delta);
	if (c && json_is_object(um))
		json_object_set_new(c, "usage", usage_of(um));
	if (c && (json_array_size(json_object_get(c, "choices")) || json_object_get(c, "usage")))
		rc = dp_adapter_emit(c, chunk, arg);
	else if (c)
		json_decref(c);
	else
		rc = -ENOMEM;
	parts_release(&p);
	json_decref(root);
	return rc;
}

/* ---- errors -------------------------------------------------------------------------- */

static enum dp_adapter_fault classify(long status, const char *body, size_t len)
{
	if (status == 401 || status == 403 ||
	    (status == 400 && body &&
	     (memmem(body, len, "API_KEY_INVALID", 15) ||
	      memmem(body, len, "API key not valid", 17))))
		return DP_FAULT_CREDENTIAL;
	if (status == 400 && body && memmem(body, len, "FAILED_PRECONDITION", 19))
		return DP_FAULT_PROVIDER; /* e.g. the API is not available in the server's region */
	return dp_adapter_classify_http(status, body, len);
}

/* ---- embeddings ----------------------------------------------------------------------- */

/* One EmbedContentRequest for text: {"content": {"parts": [{"text"}]}[, "model"]
 * [, "outputDimensionality"]}; model ("models/<id>") is for batch requests. */
static json_t *embed_request(const json_t *text, const char *model, int64_t dimensions)
{
	json_t *r = json_pack("{s:{s:[{s:O}]}}", "content", "parts", "text", text);
	if (r && model)
		json_object_set_new(r, "model", json_sprintf("models/%s", model));
	if (r && dimensions)
		json_object_set_new(r, "outputDimensionality", json_integer(dimensions));
	return r;
}

/* One input: :embedContent; several: :batchEmbedContents, one request each. Token ids have
 * no Gemini form. */
static int embed_build(const struct dp_chat_req *req, const struct dp_route_target *t,
                       struct dp_adapter_call *out, char *err, size_t errlen)
{
	*out = (struct dp_adapter_call){.key_header = "x-goog-api-key"};
	json_t *in = json_object_get(req->body, "input");
	bool single = json_is_string(in);
	json_t *body =
	    single ? embed_request(in, NULL, req->dimensions) : json_pack("{s:[]}", "requests");
	json_t *list = json_object_get(body, "requests");
	size_t i;
	json_t *v;
	if (!single)
		json_array_foreach(in, i, v)
		{
			if (!json_is_string(v)) {
				json_decref(body);
				return dp_adapter_refuse(
				    err, errlen,
				    "input as token ids cannot be sent to the Gemini "
				    "API (provider %s): send text",
				    t->prov->slug);
			}
			json_array_append_new(
			    list, embed_request(v, t->ep->provider_model_id, req->dimensions));
		}
	out->url = model_url(t, single ? "embedContent" : "batchEmbedContents");
	out->body = body ? sy_json_dump(body) : NULL;
	json_decref(body);
	if (!out->body || !out->url) {
		dp_adapter_call_release(out);
		return -ENOMEM;
	}
	out->len = strlen(out->body);
	return 0;
}

/* {"embedding": {"values"}} or {"embeddings": [{"values"}]}, and usageMetadata when given,
 * as OpenAI's list. */
static int embed_answer(const char *data, size_t len, const struct dp_chat_req *req,
                        struct sy_buf *out)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	json_t *one = json_object_get(root, "embedding");
	json_t *many =
	    one ? json_pack("[O]", one) : json_incref(json_object_get(root, "embeddings"));
	json_t *res = json_pack("{s:[]}", "data");
	json_t *list = json_object_get(res, "data");
	int rc = json_is_array(many) && res ? 0 : SY_EPROTO;
	size_t i;
	json_t *e;
	json_array_foreach(rc ? NULL : many, i, e)
	{
		json_t *values = json_object_get(e, "values");
		if (!json_is_array(values) ||
		    json_array_append_new(list, json_pack("{s:I,s:O}", "index", (json_int_t)i,
		                                          "embedding", values))) {
			rc = SY_EPROTO;
			break;
		}
	}
	json_t *pt = json_object_get(json_object_get(root, "usageMetadata"), "promptTokenCount");
	if (!rc && json_is_integer(pt))
		json_object_set_new(res, "usage", json_pack("{s:O}", "prompt_tokens", pt));
	char *s = rc ? NULL : sy_json_dump(res);
	if (!rc)
		rc = s ? sy_buf_puts(out, s) : -ENOMEM;
	free(s);
	json_decref(res);
	json_decref(many);
	json_decref(root);
	return rc;
}

const struct dp_adapter dp_adapter_gemini = {
    .name = "gemini",
    .build = build,
    .answer = answer,
    .stream = stream,
    .classify = classify,
    .embed_build = embed_build,
    .embed_answer = embed_answer,
};
