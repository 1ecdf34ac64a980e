/* dp_request.c - validating a chat-completion request and building the upstream body.
 *
 * Every field Switchyard acts on is checked here, once, with a message that names the field,
 * so the router and the upstream adapters can read the body without re-checking types. A
 * JSON null counts as absent for every optional field (some SDKs send null for unset ones). */
#include "dp_request.h"
#include "sy_jcheck.h"
#include "sy_buf.h"
#include "sy_err.h"
#include "sy_json.h"
#include "dp_debug.h"
#include "dp_middleout.h"
#include "dp_plugins.h"
#include "sy_prefs.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_ID_MAX 256
#define STOP_MAX 4

static bool is_nonempty_string(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0;
}

static int check_content(const json_t *m, size_t i, const char *role, uint64_t *chars,
                         struct sy_errmsg *e)
{
	json_t *content = sy_jcheck_opt(m, "content");
	if (json_is_string(content)) {
		*chars += sy_json_chars(content);
		return 0;
	}
	if (json_is_array(content)) {
		size_t j;
		json_t *part;
		json_array_foreach(content, j, part)
		{
			json_t *type = json_object_get(part, "type");
			if (!json_is_string(type))
				return sy_jcheck_bad(
				    e,
				    "messages[%zu].content[%zu] must be an object with a "
				    "string type",
				    i, j);
			if (strcmp(json_string_value(type), "text"))
				continue; /* images, audio, files: passed through */
			json_t *text = json_object_get(part, "text");
			if (!json_is_string(text))
				return sy_jcheck_bad(
				    e, "messages[%zu].content[%zu].text must be a string", i, j);
			*chars += sy_json_chars(text);
		}
		return 0;
	}
	if (content)
		return sy_jcheck_bad(
		    e,
		    "messages[%zu].content must be a string, an array of content parts "
		    "or null",
		    i);
	/* absent or null: only an assistant turn that called tools says nothing */
	if (!strcmp(role, "assistant") &&
	    (json_array_size(sy_jcheck_opt(m, "tool_calls")) || sy_jcheck_opt(m, "function_call")))
		return 0;
	return sy_jcheck_bad(
	    e,
	    "messages[%zu].content is required (it may be null only for an assistant "
	    "message with tool_calls)",
	    i);
}

static int check_messages(const json_t *body, uint64_t *chars, struct sy_errmsg *e)
{
	static const char *const roles[] = {"system", "user",      "assistant",
	                                    "tool",   "developer", NULL};
	json_t *msgs = sy_jcheck_opt(body, "messages");
	if (!msgs)
		return sy_jcheck_bad(e, "messages is required");
	if (!json_is_array(msgs) || !json_array_size(msgs))
		return sy_jcheck_bad(e, "messages must be a non-empty array");
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		if (!json_is_object(m))
			return sy_jcheck_bad(e, "messages[%zu] must be an object", i);
		json_t *role = json_object_get(m, "role");
		if (!role)
			return sy_jcheck_bad(e, "messages[%zu].role is required", i);
		if (!sy_jcheck_one_of(role, roles))
			return sy_jcheck_bad(
			    e,
			    "messages[%zu].role must be one of system, user, assistant, "
			    "tool, developer",
			    i);
		const char *r = json_string_value(role);
		json_t *tool_calls = sy_jcheck_opt(m, "tool_calls");
		if (tool_calls && !json_is_array(tool_calls))
			return sy_jcheck_bad(e, "messages[%zu].tool_calls must be an array", i);
		if (!strcmp(r, "tool") && !is_nonempty_string(json_object_get(m, "tool_call_id")))
			return sy_jcheck_bad(
			    e, "messages[%zu].tool_call_id is required for role tool", i);
		json_t *name = sy_jcheck_opt(m, "name");
		if (name && !json_is_string(name))
			return sy_jcheck_bad(e, "messages[%zu].name must be a string", i);
		int rc = check_content(m, i, r, chars, e);
		if (rc)
			return rc;
	}
	return 0;
}

static int add_model(struct dp_chat_req *req, const char *id, struct sy_errmsg *e)
{
	for (size_t i = 0; i < req->n_models; i++)
		if (!strcmp(req->models[i], id))
			return 0;
	if (req->n_models == DP_REQUEST_MAX_MODELS)
		return sy_jcheck_bad(
		    e, "at most %d distinct models may be given (model and models together)",
		    DP_REQUEST_MAX_MODELS);
	req->models[req->n_models++] = id;
	return 0;
}

static int check_models(const json_t *body, struct dp_chat_req *req, struct sy_errmsg *e)
{
	json_t *model = sy_jcheck_opt(body, "model");
	json_t *models = sy_jcheck_opt(body, "models");
	if (model) {
		if (!is_nonempty_string(model))
			return sy_jcheck_bad(e, "model must be a non-empty string");
		req->model = json_string_value(model);
		req->models[req->n_models++] = req->model;
	}
	if (models) {
		if (!json_is_array(models))
			return sy_jcheck_bad(e, "models must be an array of model ids");
		size_t i;
		json_t *m;
		json_array_foreach(models, i, m)
		{
			if (!is_nonempty_string(m))
				return sy_jcheck_bad(e, "models[%zu] must be a non-empty string",
				                     i);
			int rc = add_model(req, json_string_value(m), e);
			if (rc)
				return rc;
		}
	}
	return 0; /* no model: the key's or org's default may name one (dp_chat) */
}

static int check_string_array(const json_t *v, const char *field, size_t max, struct sy_errmsg *e)
{
	if (!json_is_array(v) || (max && json_array_size(v) > max))
		goto fail;
	size_t i;
	json_t *s;
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s))
			goto fail;
	}
	return 0;
fail:
	if (max)
		return sy_jcheck_bad(e, "%s must be a string or an array of at most %zu strings",
		                     field, max);
	return sy_jcheck_bad(e, "%s must be an array of strings", field);
}

static int check_range(const json_t *body, const char *field, double lo, double hi,
                       struct sy_errmsg *e)
{
	json_t *v = sy_jcheck_opt(body, field);
	if (!v)
		return 0;
	double d = json_number_value(v);
	if (!json_is_number(v) || !(d >= lo && d <= hi))
		return sy_jcheck_bad(e, "%s must be a number between %g and %g", field, lo, hi);
	return 0;
}

static int check_positive_int(const json_t *body, const char *field, int64_t *out,
                              struct sy_errmsg *e)
{
	json_t *v = sy_jcheck_opt(body, field);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return sy_jcheck_bad(e, "%s must be a positive integer", field);
	*out = json_integer_value(v);
	return 0;
}

static int check_sampling(const json_t *body, struct dp_chat_req *req, struct sy_errmsg *e)
{
	json_t *v = sy_jcheck_opt(body, "stream");
	if (v && !json_is_boolean(v))
		return sy_jcheck_bad(e, "stream must be a boolean");
	req->stream = json_is_true(v);
	int64_t max_tokens = -1, max_completion = -1;
	int rc = check_positive_int(body, "max_tokens", &max_tokens, e);
	if (!rc)
		rc = check_positive_int(body, "max_completion_tokens", &max_completion, e);
	if (!rc)
		rc = check_range(body, "temperature", 0, 2, e);
	if (!rc)
		rc = check_range(body, "top_p", 0, 1, e);
	if (rc)
		return rc;
	req->max_tokens = max_completion > 0 ? max_completion : max_tokens;
	v = sy_jcheck_opt(body, "n");
	if (v && !(json_is_integer(v) && json_integer_value(v) == 1))
		return sy_jcheck_bad(
		    e, "n must be 1: Switchyard, like OpenRouter, returns a single choice");
	v = sy_jcheck_opt(body, "stop");
	if (v && !json_is_string(v)) {
		rc = check_string_array(v, "stop", STOP_MAX, e);
		if (rc)
			return rc;
	}
	v = sy_jcheck_opt(body, "session_id");
	if (v && (!json_is_string(v) || sy_json_chars(v) > SESSION_ID_MAX))
		return sy_jcheck_bad(e, "session_id must be a string of at most %d characters",
		                     SESSION_ID_MAX);
	req->session_id = json_string_value(v);
	v = sy_jcheck_opt(body, "route"); /* OpenRouter's legacy switch: models always fall back */
	if (v && !(json_is_string(v) && !strcmp(json_string_value(v), "fallback")))
		return sy_jcheck_bad(e, "route must be \"fallback\" (fallback across models is "
		                        "always on)");
	v = sy_jcheck_opt(body, "user");
	if (v && !json_is_string(v))
		return sy_jcheck_bad(e, "user must be a string");
	req->user = json_string_value(v);
	return 0;
}

static int check_tools(const json_t *body, struct dp_chat_req *req, struct sy_errmsg *e)
{
	json_t *tools = sy_jcheck_opt(body, "tools");
	if (tools) {
		if (!json_is_array(tools))
			return sy_jcheck_bad(e, "tools must be an array");
		size_t i;
		json_t *t;
		json_array_foreach(tools, i, t)
		{
			if (!json_is_object(t))
				return sy_jcheck_bad(e, "tools[%zu] must be an object", i);
			json_t *type = json_object_get(t, "type");
			if (!json_is_string(type) || strcmp(json_string_value(type), "function"))
				return sy_jcheck_bad(e, "tools[%zu].type must be \"function\"", i);
			json_t *fn = json_object_get(t, "function");
			if (!is_nonempty_string(json_object_get(fn, "name")))
				return sy_jcheck_bad(
				    e, "tools[%zu].function.name must be a non-empty string", i);
		}
		req->has_tools = json_array_size(tools) > 0;
	}
	static const char *const modes[] = {"none", "auto", "required", NULL};
	json_t *choice = sy_jcheck_opt(body, "tool_choice");
	if (!choice || sy_jcheck_one_of(choice, modes))
		return 0;
	json_t *type = json_object_get(choice, "type");
	if (json_is_string(type) &&
	    (strcmp(json_string_value(type), "function") ||
	     is_nonempty_string(json_object_get(json_object_get(choice, "function"), "name"))))
		return 0;
	return sy_jcheck_bad(e, "tool_choice must be \"none\", \"auto\", \"required\" or "
	                        "{\"type\": \"function\", \"function\": {\"name\": ...}}");
}

static int check_provider(const json_t *body, struct dp_chat_req *req, struct sy_errmsg *e)
{
	json_t *p = sy_jcheck_opt(body, "provider");
	if (p && sy_prefs_check(p, e->s, e->n))
		return SY_EINVAL;
	req->provider = p;
	return 0;
}

int dp_request_parse(const char *data, size_t len, struct dp_chat_req *req, char *err,
                     size_t errlen)
{
	struct sy_errmsg e = {err, errlen};
	*req = (struct dp_chat_req){.max_tokens = -1};
	json_t *body = sy_jcheck_body(data, len, JSON_DECODE_ANY, &e);
	if (!body)
		return SY_EINVAL;
	req->body = body;
	if (!json_is_object(body)) {
		sy_jcheck_bad(&e, "request body must be a JSON object");
		goto invalid;
	}
	uint64_t chars = 0;
	int rc = check_messages(body, &chars, &e);
	if (!rc)
		rc = check_models(body, req, &e);
	if (!rc)
		rc = check_sampling(body, req, &e);
	if (!rc)
		rc = check_tools(body, req, &e);
	if (!rc)
		rc = check_provider(body, req, &e);
	if (!rc)
		rc = dp_plugins_check(body, err, errlen);
	if (!rc)
		rc = dp_middleout_check(body, err, errlen);
	if (!rc)
		rc = dp_debug_check(body, req->stream, err, errlen);
	if (rc)
		goto invalid;
	uint64_t est = (chars + 3) / 4;
	req->prompt_tokens_est = est < 1 ? 1 : est > UINT32_MAX ? UINT32_MAX : (uint32_t)est;
	/* jansson accepted it, so dp_jtext does (same rules and depth) */
	req->text = malloc(len ? len : 1);
	if (!req->text || dp_jtext_check(memcpy(req->text, data, len), len, &req->root)) {
		sy_jcheck_bad(&e, "request body could not be kept (out of memory)");
		goto invalid;
	}
	return 0;
invalid:
	dp_request_release(req);
	return SY_EINVAL;
}

void dp_request_default_model(struct dp_chat_req *req, const char *model)
{
	if (req->n_models || !model || !*model)
		return;
	req->model = req->models[0] = model;
	req->n_models = 1;
}

void dp_request_release(struct dp_chat_req *req)
{
	json_decref(req->body);
	free(req->text);
	*req = (struct dp_chat_req){.max_tokens = -1};
}

static bool listed(const struct dp_jval *key, const char *const *names, size_t n)
{
	for (size_t i = 0; names && (n ? i < n : names[i] != NULL); i++)
		if (dp_jtext_str_eq(key, names[i]))
			return true;
	return false;
}

char *dp_request_upstream_body(const struct dp_chat_req *req, const char *provider_model_id,
                               const char *const *drop, size_t *len)
{
	static const char *const ours[] = {"models", "provider",   "route", "transforms", "plugins",
	                                   "usage",  "session_id", "user",  "debug",      "trace"};
	struct dp_jiter it, sit;
	struct dp_jval k, v, sk, sv;
	struct sy_buf b;
	bool model = false, options = false;
	sy_buf_init(&b, 0);
	/* the body and the few bytes that change, in one allocation */
	int rc = sy_buf_reserve(&b, req->root.n + strlen(provider_model_id) + 64);
	rc = rc ? rc : sy_buf_append(&b, "{", 1);
	dp_jtext_iter(&req->root, &it);
	while (!rc && dp_jtext_member(&it, &k, &v)) {
		bool is_model = dp_jtext_str_eq(&k, "model");
		bool is_options = dp_jtext_str_eq(&k, "stream_options");
		if (listed(&k, ours, sizeof(ours) / sizeof(ours[0])) || listed(&k, drop, 0) ||
		    (is_model && model) || (is_options && (options || !req->stream)))
			continue; /* ours, dropped, a duplicate, or (OpenAI) options without a stream */
		if (b.len > 1)
			rc = sy_buf_append(&b, ",", 1);
		if (!rc)
			rc = sy_buf_append(&b, k.p, k.n);
		if (!rc)
			rc = sy_buf_append(&b, ":", 1);
		if (!rc && is_model) {
			rc = dp_jtext_put_str(&b, provider_model_id);
			model = true;
		} else if (!rc && is_options) {
			/* the client's options (if an object), include_usage forced on */
			rc = sy_buf_append(&b, "{", 1);
			if (dp_jtext_kind(&v) == '{') {
				dp_jtext_iter(&v, &sit);
				while (!rc && dp_jtext_member(&sit, &sk, &sv)) {
					if (dp_jtext_str_eq(&sk, "include_usage"))
						continue;
					rc = sy_buf_append(&b, sk.p, sk.n);
					rc = rc ? rc : sy_buf_append(&b, ":", 1);
					rc = rc ? rc : sy_buf_append(&b, sv.p, sv.n);
					rc = rc ? rc : sy_buf_append(&b, ",", 1);
				}
			}
			rc = rc ? rc : sy_buf_puts(&b, "\"include_usage\":true}");
			options = true;
		} else if (!rc) {
			rc = sy_buf_append(&b, v.p, v.n);
		}
	}
	if (!rc && !model) {
		rc = sy_buf_puts(&b, b.len > 1 ? ",\"model\":" : "\"model\":");
		rc = rc ? rc : dp_jtext_put_str(&b, provider_model_id);
	}
	if (!rc && req->stream && !options)
		rc = sy_buf_puts(&b, ",\"stream_options\":{\"include_usage\":true}");
	rc = rc ? rc : sy_buf_append(&b, "}", 1);
	if (rc) {
		sy_buf_release(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

void dp_request_each_member(const struct dp_chat_req *req,
                            bool (*fn)(const char *member, const char *param, void *), void *arg)
{
	/* body member -> the supported_parameters name it needs (NULL = the same) */
	static const char *const map[][2] = {
	    {"tools", NULL},
	    {"tool_choice", NULL},
	    {"parallel_tool_calls", NULL},
	    {"temperature", NULL},
	    {"top_p", NULL},
	    {"top_k", NULL},
	    {"min_p", NULL},
	    {"top_a", NULL},
	    {"max_tokens", NULL},
	    {"max_completion_tokens", "max_tokens"},
	    {"stop", NULL},
	    {"seed", NULL},
	    {"response_format", NULL},
	    {"logprobs", NULL},
	    {"top_logprobs", NULL},
	    {"logit_bias", NULL},
	    {"frequency_penalty", NULL},
	    {"presence_penalty", NULL},
	    {"repetition_penalty", NULL},
	    {"reasoning", NULL},
	    {"reasoning_effort", "reasoning"},
	    {"include_reasoning", NULL},
	    {"web_search_options", NULL},
	    {"verbosity", NULL},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sy_jcheck_opt(req->body, map[i][0]) &&
		    !fn(map[i][0], map[i][1] ? map[i][1] : map[i][0], arg))
			return;
}

/* each_param's walk: every parameter once. */
struct param_walk {
	bool (*fn)(const char *, void *);
	void *arg;
	const char *seen[32];
	size_t n_seen;
	bool stopped;
};

static bool param_once(const char *member, const char *param, void *arg)
{
	struct param_walk *pw = arg;
	for (size_t j = 0; j < pw->n_seen; j++)
		if (!strcmp(pw->seen[j], param))
			return true;
	if (pw->n_seen < sizeof(pw->seen) / sizeof(pw->seen[0]))
		pw->seen[pw->n_seen++] = param;
	pw->stopped = !pw->fn(param, pw->arg);
	return !pw->stopped;
}

void dp_request_each_param(const struct dp_chat_req *req, bool (*fn)(const char *, void *),
                           void *arg)
{
	struct param_walk pw = {.fn = fn, .arg = arg, .n_seen = 0, .stopped = false};
	dp_request_each_member(req, param_once, &pw);
	if (pw.stopped)
		return;
	json_t *type = json_object_get(sy_jcheck_opt(req->body, "response_format"), "type");
	if (json_is_string(type) && !strcmp(json_string_value(type), "json_schema"))
		fn("structured_outputs", arg);
}
