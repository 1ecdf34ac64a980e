/* dp_adapter_anthropic.c - Anthropic's Messages API (POST {base}/messages).
 *
 * Request: system and developer turns become `system`; the other turns become `messages`
 * of content blocks (consecutive turns of one role merged, as the API wants them
 * alternating); tool calls and results become tool_use and tool_result blocks; OpenRouter's
 * reasoning becomes `thinking` and reasoning_details sent back become thinking blocks again.
 * Answer and stream: text, tool_use, thinking and redacted_thinking blocks become content,
 * tool_calls, reasoning and reasoning_details; usage counts cache reads and writes into the
 * prompt. */
#include "dp_adapter.h"
#include "dp_reasoning.h"
#include "dp_route.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_HEADER "anthropic-version: 2023-06-01"
#define REASONING_FORMAT "anthropic-claude-v1"
#define MIN_BUDGET 1024 /* the smallest thinking budget the API accepts */

/* ---- request ------------------------------------------------------------------------- */

/* Copy cache_control from an OpenAI content part (or tool) onto an Anthropic block. */
static void keep_cache_control(const json_t *from, json_t *block)
{
	json_t *cc = json_object_get(from, "cache_control");
	if (json_is_object(cc))
		json_object_set(block, "cache_control", cc);
}

static json_t *text_block(const char *text)
{
	return json_pack("{s:s,s:s}", "type", "text", "text", text);
}

/* An image_url part as an image block: data URLs as base64 sources, others as url sources. */
static int image_block(const json_t *part, size_t i, size_t j, json_t **out, char *err,
                       size_t errlen)
{
	json_t *iu = json_object_get(part, "image_url");
	const char *url = json_string_value(json_is_object(iu) ? json_object_get(iu, "url") : iu);
	char mime[64];
	const char *data;
	if (!url)
		return dp_adapter_refuse(
		    err, errlen, "messages[%zu].content[%zu].image_url.url must be a string", i, j);
	if (dp_adapter_data_url(url, mime, sizeof(mime), &data))
		*out = json_pack("{s:s,s:{s:s,s:s,s:s}}", "type", "image", "source", "type",
		                 "base64", "media_type", mime, "data", data);
	else if (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7))
		*out = json_pack("{s:s,s:{s:s,s:s}}", "type", "image", "source", "type", "url",
		                 "url", url);
	else
		return dp_adapter_refuse(
		    err, errlen,
		    "messages[%zu].content[%zu].image_url.url must be an http(s) or a "
		    "base64 data URL",
		    i, j);
	return *out ? 0 : -ENOMEM;
}

/* The content of message i (string or parts) appended to blocks as text and image blocks. */
static int content_blocks(const json_t *content, size_t i, json_t *blocks, char *err, size_t errlen)
{
	if (json_is_string(content)) {
		if (json_string_length(content))
			json_array_append_new(blocks, text_block(json_string_value(content)));
		return 0;
	}
	size_t j;
	json_t *part;
	json_array_foreach(content, j, part)
	{
		const char *type = json_string_value(json_object_get(part, "type"));
		json_t *b = NULL;
		if (!strcmp(type, "text")) {
			const char *text = json_string_value(json_object_get(part, "text"));
			if (!text[0])
				continue; /* the API refuses empty text blocks */
			b = text_block(text);
		} else if (!strcmp(type, "image_url")) {
			int rc = image_block(part, i, j, &b, err, errlen);
			if (rc)
				return rc;
		} else {
			return dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].content[%zu].type \"%s\" is not supported by "
			    "Anthropic's Messages API",
			    i, j, type);
		}
		if (!b)
			return -ENOMEM;
		keep_cache_control(part, b);
		json_array_append_new(blocks, b);
	}
	return 0;
}

/* reasoning_details sent back on an assistant turn: thinking blocks with their signature
 * (Anthropic checks it), encrypted ones as redacted_thinking. */
static void thinking_blocks(const json_t *m, json_t *blocks)
{
	size_t k;
	json_t *d;
	json_array_foreach(json_object_get(m, "reasoning_details"), k, d)
	{
		const char *type = json_string_value(json_object_get(d, "type"));
		const char *text = json_string_value(json_object_get(d, "text"));
		const char *sig = json_string_value(json_object_get(d, "signature"));
		const char *data = json_string_value(json_object_get(d, "data"));
		if (type && !strcmp(type, "reasoning.text") && sig)
			json_array_append_new(blocks, json_pack("{s:s,s:s,s:s}", "type", "thinking",
			                                        "thinking", text ? text : "",
			                                        "signature", sig));
		else if (type && !strcmp(type, "reasoning.encrypted") && data)
			json_array_append_new(blocks, json_pack("{s:s,s:s}", "type",
			                                        "redacted_thinking", "data", data));
	}
}

static int tool_use_blocks(const json_t *m, size_t i, json_t *blocks, char *err, size_t errlen)
{
	size_t k;
	json_t *call;
	json_array_foreach(json_object_get(m, "tool_calls"), k, call)
	{
		json_t *fn = json_object_get(call, "function");
		const char *id = json_string_value(json_object_get(call, "id"));
		const char *name = json_string_value(json_object_get(fn, "name"));
		const char *args = json_string_value(json_object_get(fn, "arguments"));
		if (!id || !name)
			return dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].tool_calls[%zu] needs an id and a function.name", i, k);
		json_t *input = args && args[0] ? json_loads(args, 0, NULL) : json_object();
		if (!json_is_object(input)) {
			json_decref(input);
			return dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].tool_calls[%zu].function.arguments must be a "
			    "JSON object",
			    i, k);
		}
		json_array_append_new(blocks, json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use",
		                                        "id", id, "name", name, "input", input));
	}
	return 0;
}

/* A role: tool message as a tool_result block. */
static int tool_result_block(const json_t *m, size_t i, json_t *blocks, char *err, size_t errlen)
{
	json_t *content = json_object_get(m, "content");
	json_t *b = json_pack("{s:s,s:s}", "type", "tool_result", "tool_use_id",
	                      json_string_value(json_object_get(m, "tool_call_id")));
	if (!b)
		return -ENOMEM;
	if (json_is_string(content)) {
		json_object_set(b, "content", content);
	} else if (json_is_array(content)) {
		json_t *inner = json_array();
		int rc = content_blocks(content, i, inner, err, errlen);
		json_object_set_new(b, "content", inner);
		if (rc) {
			json_decref(b);
			return rc;
		}
	}
	json_array_append_new(blocks, b);
	return 0;
}

static int map_messages(const struct dp_chat_req *req, json_t *body, char *err, size_t errlen)
{
	json_t *system = json_array(), *messages = json_array();
	json_object_set_new(body, "messages", messages);
	size_t i;
	json_t *m;
	int rc = 0;
	json_array_foreach(json_object_get(req->body, "messages"), i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");
		json_t *blocks = json_array();
		if (!strcmp(role, "system") || !strcmp(role, "developer")) {
			rc = content_blocks(content, i, system, err, errlen);
			json_decref(blocks);
			if (rc)
				break;
			continue;
		}
		if (!strcmp(role, "assistant")) {
			thinking_blocks(m, blocks);
			rc = content_blocks(content, i, blocks, err, errlen);
			if (!rc)
				rc = tool_use_blocks(m, i, blocks, err, errlen);
		} else if (!strcmp(role, "tool")) {
			rc = tool_result_block(m, i, blocks, err, errlen);
		} else {
			rc = content_blocks(content, i, blocks, err, errlen);
		}
		if (rc) {
			json_decref(blocks);
			break;
		}
		if (json_array_size(blocks))
			dp_adapter_add_turn(messages, "content",
			                    !strcmp(role, "assistant") ? "assistant" : "user",
			                    blocks);
		else
			json_decref(blocks);
	}
	if (!rc && !json_array_size(messages))
		rc = dp_adapter_refuse(
		    err, errlen,
		    "messages must contain a user or assistant turn for Anthropic's Messages "
		    "API");
	if (!rc && json_array_size(system))
		json_object_set(body, "system", system);
	json_decref(system);
	return rc;
}

static int map_tools(const struct dp_chat_req *req, const char *const *drop, json_t *body)
{
	json_t *tools = dp_adapter_param(req, drop, "tools");
	json_t *choice = dp_adapter_param(req, drop, "tool_choice");
	json_t *parallel = dp_adapter_param(req, drop, "parallel_tool_calls");
	size_t i;
	json_t *t;
	if (json_array_size(tools)) {
		json_t *out = json_array();
		json_array_foreach(tools, i, t)
		{
			json_t *fn = json_object_get(t, "function");
			json_t *schema = json_object_get(fn, "parameters");
			/* a tool without parameters takes an empty object */
			json_t *input = json_is_object(schema)
			                    ? json_incref(schema)
			                    : json_pack("{s:s}", "type", "object");
			json_t *tool = json_pack("{s:O,s:o}", "name", json_object_get(fn, "name"),
			                         "input_schema", input);
			json_t *desc = json_object_get(fn, "description");
			if (json_is_string(desc))
				json_object_set(tool, "description", desc);
			keep_cache_control(t, tool);
			json_array_append_new(out, tool);
		}
		json_object_set_new(body, "tools", out);
	}
	json_t *tc = NULL;
	const char *mode = json_string_value(choice);
	if (mode)
		tc = json_pack("{s:s}", "type",
		               !strcmp(mode, "required") ? "any"
		               : !strcmp(mode, "none")   ? "none"
		                                         : "auto");
	else if (choice)
		tc = json_pack("{s:s,s:O}", "type", "tool", "name",
		               json_object_get(json_object_get(choice, "function"), "name"));
	if (json_is_false(parallel)) {
		if (!tc)
			tc = json_pack("{s:s}", "type", "auto");
		if (strcmp(json_string_value(json_object_get(tc, "type")), "none"))
			json_object_set_new(tc, "disable_parallel_tool_use", json_true());
	}
	if (tc && json_object_get(body, "tools"))
		json_object_set_new(body, "tool_choice", tc);
	else
		json_decref(tc);
	return 0;
}

/* Anthropic wants an opaque end-user id; the client's own string is not forwarded raw. */
static void map_user(const struct dp_chat_req *req, json_t *body)
{
	char hex[33];
	if (!req->user)
		return;
	dp_adapter_user_hash(req->user, hex);
	json_object_set_new(body, "metadata", json_pack("{s:s}", "user_id", hex));
}

static void map_sampling(const struct dp_chat_req *req, const struct dp_route_target *t,
                         const char *const *drop, json_t *body)
{
	uint32_t max = dp_adapter_max_tokens(req, t);
	bool off;
	uint32_t budget = dp_adapter_reasoning_budget(req, drop, max, MIN_BUDGET, &off);
	if (budget) {
		/* the budget is part of max_tokens and must stay below it */
		if (budget >= max)
			max =
			    budget + (req->max_tokens > 0 ? (uint32_t)req->max_tokens : MIN_BUDGET);
		json_object_set_new(
		    body, "thinking",
		    json_pack("{s:s,s:I}", "type", "enabled", "budget_tokens", (json_int_t)budget));
	}
	json_object_set_new(body, "max_tokens", json_integer(max));
	json_t *v = dp_adapter_param(req, drop, "temperature");
	if (v) /* OpenAI's range is 0..2, Anthropic's 0..1 */
		json_object_set_new(body, "temperature",
		                    json_real(json_number_value(v) > 1 ? 1 : json_number_value(v)));
	if ((v = dp_adapter_param(req, drop, "top_p")))
		json_object_set(body, "top_p", v);
	if ((v = dp_adapter_param(req, drop, "top_k")))
		json_object_set(body, "top_k", v);
	if ((v = dp_adapter_param(req, drop, "stop")))
		json_object_set_new(body, "stop_sequences",
		                    json_is_string(v) ? json_pack("[O]", v) : json_incref(v));
}

static int build(const struct dp_chat_req *req, const struct dp_route_target *t,
                 const char *const *drop, struct dp_adapter_call *out, char *err, size_t errlen)
{
	static const char *const headers[] = {VERSION_HEADER, NULL};
	*out = (struct dp_adapter_call){.key_header = "x-api-key", .headers = headers};
	json_t *body = json_pack("{s:s}", "model", t->ep->provider_model_id);
	if (!body)
		return -ENOMEM;
	int rc = map_messages(req, body, err, errlen);
	if (!rc)
		rc = map_tools(req, drop, body);
	if (!rc) {
		map_sampling(req, t, drop, body);
		map_user(req, body);
		if (req->stream)
			json_object_set_new(body, "stream", json_true());
		out->body = sy_json_dump(body);
		out->url = dp_adapter_url(t->prov->base_url, "/messages");
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

/* ---- answer -------------------------------------------------------------------------- */

/* OpenAI usage from Anthropic's: the prompt is the uncached input plus cache reads and
 * writes, each also reported on its own. */
static json_t *usage_of(uint32_t input, uint32_t read, uint32_t creation, uint32_t output)
{
	uint64_t prompt = (uint64_t)input + read + creation;
	return dp_adapter_usage(prompt > UINT32_MAX ? UINT32_MAX : (uint32_t)prompt, output, read,
	                        creation, 0);
}

static json_t *reasoning_detail(const char *type, const char *key, const char *value, size_t index)
{
	return json_pack("{s:s,s:s,s:s,s:I}", "type", type, key, value, "format", REASONING_FORMAT,
	                 "index", (json_int_t)index);
}

static int answer(const char *data, size_t len, const struct dp_chat_req *req, struct sy_buf *out)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	json_t *content = json_object_get(root, "content");
	const char *type = json_string_value(json_object_get(root, "type"));
	if (!json_is_array(content) || !type || strcmp(type, "message")) {
		json_decref(root);
		return SY_EPROTO;
	}
	bool exclude = dp_reasoning_excluded(req);
	struct sy_buf text, thinking;
	sy_buf_init(&text, 0);
	sy_buf_init(&thinking, 0);
	json_t *calls = json_array(), *details = json_array();
	size_t i;
	json_t *b;
	int rc = 0;
	json_array_foreach(content, i, b)
	{
		const char *bt = json_string_value(json_object_get(b, "type"));
		const char *s;
		if (!bt)
			continue;
		if (!strcmp(bt, "text") && (s = json_string_value(json_object_get(b, "text")))) {
			rc = rc ? rc : sy_buf_puts(&text, s);
		} else if (!strcmp(bt, "tool_use")) {
			char *args = sy_json_dump(json_object_get(b, "input"));
			json_t *id = json_object_get(b, "id"), *name = json_object_get(b, "name");
			if (!json_is_string(id) || !json_is_string(name) || !args) {
				free(args);
				rc = SY_EPROTO;
				break;
			}
			json_array_append_new(calls, json_pack("{s:O,s:s,s:{s:O,s:s}}", "id", id,
			                                       "type", "function", "function",
			                                       "name", name, "arguments", args));
			free(args);
		} else if (!strcmp(bt, "thinking") && !exclude) {
			s = json_string_value(json_object_get(b, "thinking"));
			json_t *d = reasoning_detail("reasoning.text", "text", s ? s : "", i);
			json_t *sig = json_object_get(b, "signature");
			if (json_is_string(sig))
				json_object_set(d, "signature", sig);
			json_array_append_new(details, d);
			rc = rc ? rc : sy_buf_puts(&thinking, s ? s : "");
		} else if (!strcmp(bt, "redacted_thinking") && !exclude &&
		           (s = json_string_value(json_object_get(b, "data")))) {
			json_array_append_new(
			    details, reasoning_detail("reasoning.encrypted", "data", s, i));
		}
	}
	json_t *msg =
	    json_pack("{s:s,s:s?,s:n}", "role", "assistant", "content", text.data, "refusal");
	if (!text.data && !json_array_size(calls))
		json_object_set_new(msg, "content", json_string(""));
	if (json_array_size(calls))
		json_object_set(msg, "tool_calls", calls);
	if (json_array_size(details)) {
		json_object_set_new(msg, "reasoning",
		                    json_string(thinking.data ? thinking.data : ""));
		json_object_set(msg, "reasoning_details", details);
	}
	json_t *usage = json_object_get(root, "usage");
	json_t *res = json_pack("{s:O?,s:s,s:O?,s:[{s:i,s:o,s:O?}]}", "id",
	                        json_object_get(root, "id"), "object", "chat.completion", "model",
	                        json_object_get(root, "model"), "choices", "index", 0, "message",
	                        msg, "finish_reason", json_object_get(root, "stop_reason"));
	if (res && json_is_object(usage))
		json_object_set_new(res, "usage",
		                    usage_of(dp_adapter_count(usage, "input_tokens"),
		                             dp_adapter_count(usage, "cache_read_input_tokens"),
		                             dp_adapter_count(usage, "cache_creation_input_tokens"),
		                             dp_adapter_count(usage, "output_tokens")));
	char *s = !rc && res ? sy_json_dump(res) : NULL;
	if (!rc)
		rc = s ? sy_buf_puts(out, s) : -ENOMEM;
	free(s);
	json_decref(res);
	json_decref(calls);
	json_decref(details);
	json_decref(root);
	sy_buf_release(&text);
	sy_buf_release(&thinking);
	return rc;
}

/* ---- stream -------------------------------------------------------------------------- */

static int block_start(struct dp_adapter_stream *st, const json_t *ev, dp_adapter_chunk_fn *chunk,
                       void *arg)
{
	json_t *idx = json_object_get(ev, "index");
	json_t *b = json_object_get(ev, "content_block");
	const char *type = json_string_value(json_object_get(b, "type"));
	if (!json_is_integer(idx) || !type)
		return SY_EPROTO;
	st->block = json_integer_value(idx);
	st->block_type = 0;
	if (!strcmp(type, "text")) {
		st->block_type = 't';
		const char *s = json_string_value(json_object_get(b, "text"));
		if (s && s[0])
			return dp_adapter_emit(
			    dp_adapter_chunk(json_pack("{s:s}", "content", s), NULL), chunk, arg);
	} else if (!strcmp(type, "thinking")) {
		st->block_type = 'k';
	} else if (!strcmp(type, "tool_use")) {
		json_t *id = json_object_get(b, "id"), *name = json_object_get(b, "name");
		if (!json_is_string(id) || !json_is_string(name))
			return SY_EPROTO;
		st->block_type = 'u';
		st->tool = st->n_tools++;
		/* index, id and name first; the arguments follow in fragments */
		json_t *d = json_pack("{s:[{s:I,s:O,s:s,s:{s:O,s:s}}]}", "tool_calls", "index",
		                      (json_int_t)st->tool, "id", id, "type", "function",
		                      "function", "name", name, "arguments", "");
		return dp_adapter_emit(dp_adapter_chunk(d, NULL), chunk, arg);
	} else if (!strcmp(type, "redacted_thinking") && !st->exclude_reasoning) {
		const char *data = json_string_value(json_object_get(b, "data"));
		if (!data)
			return SY_EPROTO;
		json_t *d = json_pack(
		    "{s:[o]}", "reasoning_details",
		    reasoning_detail("reasoning.encrypted", "data", data, (size_t)st->block));
		return dp_adapter_emit(dp_adapter_chunk(d, NULL), chunk, arg);
	}
	return 0; /* server tools and future block kinds: nothing for the client */
}

static int block_delta(struct dp_adapter_stream *st, const json_t *ev, dp_adapter_chunk_fn *chunk,
                       void *arg)
{
	json_t *idx = json_object_get(ev, "index");
	json_t *delta = json_object_get(ev, "delta");
	const char *type = json_string_value(json_object_get(delta, "type"));
	if (!json_is_integer(idx) || !type)
		return SY_EPROTO;
	json_t *d = NULL;
	const char *s;
	if (!strcmp(type, "text_delta")) {
		if (!(s = json_string_value(json_object_get(delta, "text"))))
			return SY_EPROTO;
		d = json_pack("{s:s}", "content", s);
	} else if (!strcmp(type, "input_json_delta")) {
		if (!(s = json_string_value(json_object_get(delta, "partial_json"))) ||
		    st->block_type != 'u' || json_integer_value(idx) != st->block)
			return SY_EPROTO;
		if (!s[0])
			return 0;
		d = json_pack("{s:[{s:I,s:{s:s}}]}", "tool_calls", "index", (json_int_t)st->tool,
		              "function", "arguments", s);
	} else if (!strcmp(type, "thinking_delta")) {
		if (!(s = json_string_value(json_object_get(delta, "thinking"))))
			return SY_EPROTO;
		if (st->exclude_reasoning)
			return 0;
		d = json_pack(
		    "{s:s,s:[o]}", "reasoning", s, "reasoning_details",
		    reasoning_detail("reasoning.text", "text", s, (size_t)json_integer_value(idx)));
	} else if (!strcmp(type, "signature_delta")) {
		if (!(s = json_string_value(json_object_get(delta, "signature"))))
			return SY_EPROTO;
		if (st->exclude_reasoning)
			return 0;
		d = json_pack("{s:[o]}", "reasoning_details",
		              reasoning_detail("reasoning.text", "signature", s,
		                               (size_t)json_integer_value(idx)));
	} else {
		return 0; /* citations and future deltas */
	}
	return dp_adapter_emit(dp_adapter_chunk(d, NULL), chunk, arg);
}

/* message_delta: the stop reason and the cumulative usage, as one chunk. */
static int message_delta(struct dp_adapter_stream *st, const json_t *ev, dp_adapter_chunk_fn *chunk,
                         void *arg)
{
	json_t *usage = json_object_get(ev, "usage");
	const char *stop =
	    json_string_value(json_object_get(json_object_get(ev, "delta"), "stop_reason"));
	json_t *c = stop ? dp_adapter_chunk(NULL, stop) : json_pack("{s:[]}", "choices");
	if (c && json_is_object(usage)) {
		/* newer API versions repeat the input counts here; the latest word counts */
		static const char *const names[] = {"input_tokens", "cache_read_input_tokens",
		                                    "cache_creation_input_tokens"};
		for (size_t i = 0; i < 3; i++)
			if (json_is_integer(json_object_get(usage, names[i])))
				st->input[i] = dp_adapter_count(usage, names[i]);
		json_object_set_new(c, "usage",
		                    usage_of(st->input[0], st->input[1], st->input[2],
		                             dp_adapter_count(usage, "output_tokens")));
	}
	return dp_adapter_emit(c, chunk, arg);
}

static int stream(struct dp_adapter_stream *st, const char *event, const char *data, size_t len,
                  dp_adapter_chunk_fn *chunk, void *arg)
{
	json_t *ev = json_loadb(data, len, 0, NULL);
	const char *type = json_string_value(json_object_get(ev, "type"));
	int rc = 0;
	if (!type) {
		rc = SY_EPROTO;
	} else if (!strcmp(type, "message_start")) {
		json_t *msg = json_object_get(ev, "message");
		json_t *usage = json_object_get(msg, "usage");
		if (!json_is_object(msg)) {
			rc = SY_EPROTO;
		} else {
			st->started = true;
			st->input[0] = dp_adapter_count(usage, "input_tokens");
			st->input[1] = dp_adapter_count(usage, "cache_read_input_tokens");
			st->input[2] = dp_adapter_count(usage, "cache_creation_input_tokens");
			rc = dp_adapter_emit(
			    dp_adapter_chunk(
			        json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL),
			    chunk, arg);
		}
	} else if (!strcmp(type, "content_block_start")) {
		rc = block_start(st, ev, chunk, arg);
	} else if (!strcmp(type, "content_block_delta")) {
		rc = block_delta(st, ev, chunk, arg);
	} else if (!strcmp(type, "content_block_stop")) {
		st->block = -1;
		st->block_type = 0;
	} else if (!strcmp(type, "message_delta")) {
		rc = message_delta(st, ev, chunk, arg);
	} else if (!strcmp(type, "error")) {
		rc = SY_EPROTO; /* overloaded_error and the like, after the 200 */
	}
	/* message_stop, ping and event types yet to come carry nothing for the client */
	json_decref(ev);
	return rc;
}

/* ---- errors -------------------------------------------------------------------------- */

static enum dp_adapter_fault classify(long status, const char *body, size_t len)
{
	if (status == 401 || status == 403)
		return DP_FAULT_CREDENTIAL;
	if (status == 529)
		return DP_FAULT_PROVIDER; /* overloaded_error */
	return dp_adapter_classify_http(status, body, len);
}

const struct dp_adapter dp_adapter_anthropic = {
    .name = "anthropic",
    .build = build,
    .answer = answer,
    .stream = stream,
    .classify = classify,
};
