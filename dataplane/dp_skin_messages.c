/* dp_skin_messages.c - Anthropic's Messages API as a client format (POST /messages).
 *
 * Request: read as a chat request by dp_messages_req; what only Anthropic can honour (newer
 * members, server tools, unknown block types) is kept for pass-through and refused by name on
 * other endpoints (another endpoint of the plan may then serve it). *
 * Answer and stream: the chat answer becomes a message object (thinking, text and tool_use
 * blocks; stop_reason from the provider's own value when it is Anthropic's, else mapped;
 * usage with the cache fields and the cost); a stream becomes message_start,
 * content_block_start/delta/stop per block, message_delta (stop reason and usage) and
 * message_stop, with ping events while waiting. Errors use Anthropic's envelope
 * {"type": "error", "error": {"type", "message"}}, streamed as an error event.
 *
 * Pass-through: on an endpoint whose adapter is "anthropic" the client's body goes upstream
 * with the model id set and OpenRouter's members removed, with the client's anthropic-version
 * and anthropic-beta headers; the answer and events come back unchanged. */
#include "dp_adapter.h"
#include "dp_messages_req.h"
#include "dp_request.h"
#include "dp_skin.h"
#include "sy_err.h"
#include "sy_jcheck.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_VERSION "2023-06-01"

struct state {
	json_t *body; /* the client's request as pass-through sends it (model set per attempt) */
	struct dp_messages_req_native native;
	char *hdr_store[2];
	const char *hdrs[3]; /* anthropic-version, anthropic-beta for pass-through */
	bool pass;           /* the current attempt passes through */
	/* stream translation */
	bool started;
	int64_t block; /* the open content block's index, -1 = none */
	char open;     /* its kind: 't'ext, 'k' thinking, 'u' tool_use */
	int64_t next;  /* the next block's index */
	int64_t tool;  /* the OpenAI tool call index of the open tool_use block */
	char stop[32]; /* stop_reason to report */
};

static void release(void *p)
{
	struct state *st = p;
	if (!st)
		return;
	json_decref(st->body);
	free(st->hdr_store[0]);
	free(st->hdr_store[1]);
	free(st);
}

static void rewind_stream(void *p)
{
	struct state *st = p;
	st->started = false;
	st->block = -1;
	st->open = 0;
	st->next = 0;
	st->tool = -1;
	st->stop[0] = '\0';
}

static int request(const char *data, size_t len, const char *const *hdrs, void **state, char **out,
                   char *err, size_t errlen)
{
	struct sy_errmsg e = {err, errlen};
	json_t *in = sy_jcheck_body(data, len, 0, &e);
	*out = NULL;
	if (!in)
		return SY_EINVAL;
	struct dp_messages_req_native nat = {{0}};
	int rc = dp_messages_req_translate(in, false, out, &nat, err, errlen);
	struct state *st = rc ? NULL : calloc(1, sizeof(*st));
	if (!rc && !st)
		rc = -ENOMEM;
	if (rc) {
		free(*out);
		*out = NULL;
		json_decref(in);
		return rc;
	}
	st->native = nat;
	/* the body as pass-through sends it: OpenRouter's members are in the chat body now, the
	 * end-user id goes upstream hashed (as the Anthropic adapter sends it) */
	for (size_t i = 0; dp_messages_req_openrouter[i]; i++)
		json_object_del(in, dp_messages_req_openrouter[i]);
	json_t *meta = json_object_get(in, "metadata");
	const char *user = json_string_value(json_object_get(meta, "user_id"));
	char hex[33];
	if (user) {
		dp_adapter_user_hash(user, hex);
		json_object_set_new(meta, "user_id", json_string(hex));
	}
	st->body = in;
	size_t n = 0;
	if (asprintf(&st->hdr_store[0], "anthropic-version: %s",
	             hdrs[0] && hdrs[0][0] ? hdrs[0] : DEFAULT_VERSION) >= 0)
		st->hdrs[n++] = st->hdr_store[0];
	if (hdrs[1] && hdrs[1][0] &&
	    asprintf(&st->hdr_store[1], "anthropic-beta: %s", hdrs[1]) >= 0)
		st->hdrs[n++] = st->hdr_store[1];
	rewind_stream(st);
	*state = st;
	return 0;
}

static int passthrough(void *p, const char *adapter, const char *model_id, char **body, size_t *len,
                       const char *const **hdrs, char *err, size_t errlen)
{
	struct state *st = p;
	st->pass = false;
	if (strcmp(adapter, "anthropic") && st->native.what[0])
		return dp_adapter_refuse(err, errlen,
		                         "%s is only supported on endpoints speaking Anthropic's "
		                         "Messages API",
		                         st->native.what);
	if (strcmp(adapter, "anthropic") || !st->hdrs[0])
		return 0;
	if (!json_object_set_new(st->body, "model", json_string(model_id)) &&
	    (*body = sy_json_dump(st->body))) {
		*len = strlen(*body);
		*hdrs = st->hdrs;
		st->pass = true;
	}
	return st->pass ? 1 : -ENOMEM;
}

static int raw_event(void *p, const char *event, const char *data, size_t len, struct sy_buf *out)
{
	if (!strcmp(event, "error")) /* dp_chat ends the stream with its own */
		return 0;
	int rc = event[0] ? sy_buf_printf(out, "event: %s\ndata: %.*s\n\n", event, (int)len, data)
	                  : sy_buf_printf(out, "data: %.*s\n\n", (int)len, data);
	return rc ? -ENOMEM : 0;
}

/* ---- answers ----------------------------------------------------------------------------- */

/* Anthropic's error type for an HTTP status. */
static const char *error_type(int status)
{
	switch (status) {
	case 400:
	case 405:
	case 422:
		return "invalid_request_error";
	case 401:
		return "authentication_error";
	case 402:
		return "billing_error";
	case 403:
		return "permission_error";
	case 404:
		return "not_found_error";
	case 413:
		return "request_too_large";
	case 429:
		return "rate_limit_error";
	case 503:
	case 529:
		return "overloaded_error";
	case 504:
		return "timeout_error";
	default:
		return "api_error";
	}
}

static json_t *error_object(const char *json, int fallback)
{
	int status;
	char msg[512], type[64];
	dp_skin_error_parts(json, fallback, &status, msg, sizeof(msg), type, sizeof(type));
	return json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error", "type", error_type(status),
	                 "message", msg[0] ? msg : "error");
}

/* The stop_reason: the provider's own when it is Anthropic's, else the chat reason's. */
static const char *stop_reason(const char *finish, const char *native)
{
	static const char *const own[] = {
	    "end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal", NULL};
	for (size_t i = 0; native && own[i]; i++)
		if (!strcmp(own[i], native))
			return native;
	if (!finish)
		return NULL;
	return !strcmp(finish, "length")           ? "max_tokens"
	       : !strcmp(finish, "tool_calls")     ? "tool_use"
	       : !strcmp(finish, "content_filter") ? "refusal"
	                                           : "end_turn";
}

/* Anthropic's usage from the chat usage (whose prompt counts cache reads and writes). */
static json_t *usage_of(const json_t *u)
{
	uint32_t prompt = dp_adapter_count(u, "prompt_tokens");
	json_t *pd = json_object_get(u, "prompt_tokens_details");
	uint32_t read = dp_adapter_count(pd, "cached_tokens");
	uint32_t write = dp_adapter_count(pd, "cache_write_tokens");
	uint32_t input = prompt > read + write ? prompt - read - write : 0;
	json_t *j = json_pack("{s:I,s:I,s:I,s:I}", "input_tokens", (json_int_t)input,
	                      "output_tokens", (json_int_t)dp_adapter_count(u, "completion_tokens"),
	                      "cache_creation_input_tokens", (json_int_t)write,
	                      "cache_read_input_tokens", (json_int_t)read);
	json_t *cost = json_object_get(u, "cost");
	if (j && cost)
		json_object_set(j, "cost", cost);
	return j;
}

/* reasoning_details as thinking / redacted_thinking blocks. */
static void thinking_blocks(const json_t *details, json_t *content)
{
	size_t i;
	json_t *d;
	json_array_foreach(details, i, d)
	{
		const char *type = json_string_value(json_object_get(d, "type"));
		const char *text = json_string_value(json_object_get(d, "text"));
		const char *sig = json_string_value(json_object_get(d, "signature"));
		const char *data = json_string_value(json_object_get(d, "data"));
		if (type && !strcmp(type, "reasoning.text"))
			json_array_append_new(
			    content, json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking",
			                       text ? text : "", "signature", sig ? sig : ""));
		else if (type && !strcmp(type, "reasoning.encrypted") && data)
			json_array_append_new(
			    content,
			    json_pack("{s:s,s:s}", "type", "redacted_thinking", "data", data));
	}
}

/* A tool call's arguments as the input object ({} when they are not a JSON object). */
static json_t *tool_input(const char *args)
{
	json_t *in = args ? json_loads(args, 0, NULL) : NULL;
	if (json_is_object(in))
		return in;
	json_decref(in);
	return json_object();
}

static char *message_of(const char *json)
{
	json_t *a = json_loads(json, 0, NULL);
	json_t *ch = json_array_get(json_object_get(a, "choices"), 0);
	json_t *msg = json_object_get(ch, "message");
	json_t *content = json_array();
	thinking_blocks(json_object_get(msg, "reasoning_details"), content);
	if (!json_array_size(content) && json_is_string(json_object_get(msg, "reasoning")))
		json_array_append_new(
		    content, json_pack("{s:s,s:O,s:s}", "type", "thinking", "thinking",
		                       json_object_get(msg, "reasoning"), "signature", ""));
	const char *text = json_string_value(json_object_get(msg, "content"));
	if (text && text[0])
		json_array_append_new(content,
		                      json_pack("{s:s,s:s}", "type", "text", "text", text));
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(msg, "tool_calls"), i, c)
	{
		json_t *fn = json_object_get(c, "function");
		json_array_append_new(
		    content,
		    json_pack("{s:s,s:O,s:O,s:o}", "type", "tool_use", "id",
		              json_object_get(c, "id"), "name", json_object_get(fn, "name"),
		              "input",
		              tool_input(json_string_value(json_object_get(fn, "arguments")))));
	}
	const char *stop =
	    stop_reason(json_string_value(json_object_get(ch, "finish_reason")),
	                json_string_value(json_object_get(ch, "native_finish_reason")));
	json_t *m =
	    json_pack("{s:O?,s:s,s:s,s:O?,s:o,s:s?,s:n,s:o?}", "id", json_object_get(a, "id"),
	              "type", "message", "role", "assistant", "model", json_object_get(a, "model"),
	              "content", content, "stop_reason", stop, "stop_sequence", "usage",
	              usage_of(json_object_get(a, "usage")));
	json_t *prov = json_object_get(a, "provider");
	if (m && prov)
		json_object_set(m, "provider", prov);
	char *s = m ? sy_json_dump(m) : NULL;
	json_decref(m);
	json_decref(a);
	return s;
}

static char *reply(void *p, int status, char *json)
{
	struct state *st = p;
	if (status >= 200 && status < 300 && st && st->pass)
		return json;
	json_t *j = NULL;
	char *s = status >= 200 && status < 300 ? message_of(json) : NULL;
	if (!(status >= 200 && status < 300) && (j = error_object(json, status)))
		s = sy_json_dump(j);
	json_decref(j);
	free(json);
	return s;
}

/* ---- streams ----------------------------------------------------------------------------- */

static int close_block(struct state *st, struct sy_buf *out)
{
	if (st->block < 0)
		return 0;
	json_t *e =
	    json_pack("{s:s,s:I}", "type", "content_block_stop", "index", (json_int_t)st->block);
	st->block = -1;
	st->open = 0;
	return dp_skin_sse(out, "content_block_stop", e);
}

/* Open a block of kind (unless one of that kind is open) with its start object (taken). */
static int open_block(struct state *st, char kind, json_t *block, struct sy_buf *out)
{
	if (st->open == kind && kind != 'u') {
		json_decref(block);
		return 0;
	}
	int rc = close_block(st, out);
	st->block = st->next++;
	st->open = kind;
	json_t *e = json_pack("{s:s,s:I,s:o}", "type", "content_block_start", "index",
	                      (json_int_t)st->block, "content_block", block);
	return rc ? rc : dp_skin_sse(out, "content_block_start", e);
}

static int delta(struct state *st, json_t *d, struct sy_buf *out)
{
	json_t *e = json_pack("{s:s,s:I,s:o}", "type", "content_block_delta", "index",
	                      (json_int_t)st->block, "delta", d);
	return dp_skin_sse(out, "content_block_delta", e);
}

static int start_message(struct state *st, const json_t *chunk, struct sy_buf *out)
{
	if (st->started)
		return 0;
	st->started = true;
	json_t *e = json_pack("{s:s,s:{s:O?,s:s,s:s,s:O?,s:[],s:n,s:n,s:{s:i,s:i}}}", "type",
	                      "message_start", "message", "id", json_object_get(chunk, "id"),
	                      "type", "message", "role", "assistant", "model",
	                      json_object_get(chunk, "model"), "content", "stop_reason",
	                      "stop_sequence", "usage", "input_tokens", 0, "output_tokens", 0);
	return dp_skin_sse(out, "message_start", e);
}

static int reasoning_parts(struct state *st, const json_t *dl, struct sy_buf *out)
{
	size_t i;
	json_t *d;
	int rc = 0;
	json_t *details = json_object_get(dl, "reasoning_details");
	json_array_foreach(details, i, d)
	{
		const char *type = json_string_value(json_object_get(d, "type"));
		const char *s;
		if (!type || rc)
			continue;
		if (!strcmp(type, "reasoning.encrypted") &&
		    (s = json_string_value(json_object_get(d, "data")))) {
			rc = open_block(
			    st, 'r', json_pack("{s:s,s:s}", "type", "redacted_thinking", "data", s),
			    out);
			if (!rc)
				rc = close_block(st, out);
			continue;
		}
		if (strcmp(type, "reasoning.text"))
			continue;
		rc = open_block(
		    st, 'k',
		    json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking", "", "signature", ""),
		    out);
		if (!rc && (s = json_string_value(json_object_get(d, "text"))) && s[0])
			rc = delta(st,
			           json_pack("{s:s,s:s}", "type", "thinking_delta", "thinking", s),
			           out);
		if (!rc && (s = json_string_value(json_object_get(d, "signature"))) && s[0])
			rc = delta(
			    st, json_pack("{s:s,s:s}", "type", "signature_delta", "signature", s),
			    out);
	}
	const char *r = json_string_value(json_object_get(dl, "reasoning"));
	if (!rc && !json_array_size(details) && r && r[0]) {
		rc = open_block(
		    st, 'k',
		    json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking", "", "signature", ""),
		    out);
		if (!rc)
			rc = delta(st,
			           json_pack("{s:s,s:s}", "type", "thinking_delta", "thinking", r),
			           out);
	}
	return rc;
}

static int tool_parts(struct state *st, const json_t *dl, struct sy_buf *out)
{
	size_t i;
	json_t *c;
	int rc = 0;
	json_array_foreach(json_object_get(dl, "tool_calls"), i, c)
	{
		json_t *fn = json_object_get(c, "function");
		json_int_t idx = json_integer_value(json_object_get(c, "index"));
		json_t *id = json_object_get(c, "id");
		const char *args = json_string_value(json_object_get(fn, "arguments"));
		if (!rc && (json_is_string(id) || st->open != 'u' || idx != st->tool)) {
			rc = open_block(
			    st, 'u',
			    json_pack("{s:s,s:s,s:s,s:{}}", "type", "tool_use", "id",
			              json_is_string(id) ? json_string_value(id) : "", "name",
			              json_string_value(json_object_get(fn, "name"))
			                  ? json_string_value(json_object_get(fn, "name"))
			                  : "",
			              "input"),
			    out);
			st->tool = idx;
		}
		if (!rc && args && args[0])
			rc = delta(st,
			           json_pack("{s:s,s:s}", "type", "input_json_delta",
			                     "partial_json", args),
			           out);
	}
	return rc;
}

static int chunk_events(struct state *st, const char *json, struct sy_buf *out)
{
	json_t *c = json_loads(json, 0, NULL);
	json_t *ch = json_array_get(json_object_get(c, "choices"), 0);
	json_t *dl = json_object_get(ch, "delta");
	const char *text = json_string_value(json_object_get(dl, "content"));
	int rc = c ? start_message(st, c, out) : -ENOMEM;
	if (!rc)
		rc = reasoning_parts(st, dl, out);
	if (!rc && text && text[0]) {
		rc = open_block(st, 't', json_pack("{s:s,s:s}", "type", "text", "text", ""), out);
		if (!rc)
			rc = delta(st, json_pack("{s:s,s:s}", "type", "text_delta", "text", text),
			           out);
	}
	if (!rc)
		rc = tool_parts(st, dl, out);
	const char *stop =
	    stop_reason(json_string_value(json_object_get(ch, "finish_reason")),
	                json_string_value(json_object_get(ch, "native_finish_reason")));
	if (!rc && stop) {
		snprintf(st->stop, sizeof(st->stop), "%s", stop);
		rc = close_block(st, out);
	}
	json_decref(c);
	return rc;
}

static int end_events(struct state *st, const char *json, struct sy_buf *out)
{
	json_t *c = json_loads(json, 0, NULL);
	int rc = c ? start_message(st, c, out) : -ENOMEM;
	if (!rc)
		rc = close_block(st, out);
	json_t *e = json_pack("{s:s,s:{s:s,s:n},s:o}", "type", "message_delta", "delta",
	                      "stop_reason", st->stop[0] ? st->stop : "end_turn", "stop_sequence",
	                      "usage", usage_of(json_object_get(c, "usage")));
	if (!rc)
		rc = dp_skin_sse(out, "message_delta", e);
	else
		json_decref(e);
	if (!rc)
		rc = dp_skin_sse(out, "message_stop", json_pack("{s:s}", "type", "message_stop"));
	json_decref(c);
	return rc;
}

static int stream(void *p, enum dp_skin_part part, const char *json, struct sy_buf *out)
{
	struct state *st = p;
	if (part == DP_SKIN_ERROR)
		return dp_skin_sse(out, "error", error_object(json, 502));
	if (st->pass)
		return 0; /* the provider's own events went out */
	return part == DP_SKIN_END ? end_events(st, json, out) : chunk_events(st, json, out);
}

static const char *const headers[] = {"anthropic-version", "anthropic-beta", NULL};

const struct dp_skin dp_skin_messages = {
    .name = "messages",
    .key_header = "x-api-key",
    .headers = headers,
    .request = request,
    .release = release,
    .reply = reply,
    .stream = stream,
    .rewind = rewind_stream,
    .keepalive = "event: ping\ndata: {\"type\": \"ping\"}\n\n",
    .passthrough = passthrough,
    .raw_event = raw_event,
};

/* ---- count_tokens ------------------------------------------------------------------------ */

int dp_skin_messages_count_tokens(const char *data, size_t len, char **out, char *err,
                                  size_t errlen)
{
	struct sy_errmsg e = {err, errlen};
	json_t *in = sy_jcheck_body(data, len, 0, &e);
	char *body = NULL;
	struct dp_chat_req req = {0};
	if (!in)
		return SY_EINVAL;
	struct dp_messages_req_native nat = {{0}};
	int rc = dp_messages_req_translate(in, true, &body, &nat, err, errlen);
	json_decref(in);
	if (!rc)
		rc = dp_request_parse(body, strlen(body), &req, err, errlen);
	if (!rc) {
		/* tool definitions count too: their JSON text at the same 4 characters a token */
		json_t *t = json_object_get(req.body, "tools");
		char *tools = t ? sy_json_dump(t) : NULL;
		uint64_t n = req.prompt_tokens_est + (tools ? (strlen(tools) + 3) / 4 : 0);
		free(tools);
		json_t *j = json_pack("{s:I}", "input_tokens", (json_int_t)n);
		*out = j ? sy_json_dump(j) : NULL;
		json_decref(j);
		rc = *out ? 0 : -ENOMEM;
	}
	dp_request_release(&req);
	free(body);
	return rc;
}
