/* mock_anthropic.c - the mock's answers in Anthropic's Messages format: the message object,
 * the named SSE events of a stream (message_start, content_block_start/delta/stop,
 * message_delta, message_stop, ping) and the error object, shaped as Anthropic documents
 * them. */
#include "mock_reply.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The thinking block's signature: opaque to clients, fixed here. */
#define SIGNATURE "EqQBCkYIBxgCKkBtb2NrLXNpZ25hdHVyZQ=="

/* The text of a content value: a string, or the text (and tool_result text) of blocks. */
static void gather_text(const json_t *content, struct sy_buf *out)
{
	size_t i;
	json_t *b;
	if (json_is_string(content)) {
		sy_buf_puts(out, json_string_value(content));
		return;
	}
	json_array_foreach(content, i, b)
	{
		const char *text = json_string_value(json_object_get(b, "text"));
		if (text)
			sy_buf_puts(out, text);
		json_t *inner = json_object_get(b, "content");
		if (inner)
			gather_text(inner, out);
	}
}

static bool has_block(const json_t *content, const char *type)
{
	size_t i;
	json_t *b;
	json_array_foreach(content, i, b)
	{
		const char *t = json_string_value(json_object_get(b, "type"));
		if (t && !strcmp(t, type))
			return true;
	}
	return false;
}

static json_t *text_message(const char *role, const json_t *content)
{
	struct sy_buf text;
	sy_buf_init(&text, 0);
	gather_text(content, &text);
	json_t *m = json_pack("{s:s,s:s}", "role", role, "content", text.data ? text.data : "");
	sy_buf_release(&text);
	return m;
}

json_t *mock_anthropic_request(const json_t *req, bool *thinking, const char **why)
{
	json_t *msgs = json_object_get(req, "messages"), *m;
	size_t i;
	*thinking = false;
	if (!json_is_object(req) || !json_is_string(json_object_get(req, "model"))) {
		*why = "model: Field required";
		return NULL;
	}
	if (!json_is_integer(json_object_get(req, "max_tokens"))) {
		*why = "max_tokens: Field required";
		return NULL;
	}
	if (!json_is_array(msgs) || !json_array_size(msgs)) {
		*why = "messages: at least one message is required";
		return NULL;
	}
	json_t *out = json_pack("{s:O,s:O,s:O?,s:[]}", "model", json_object_get(req, "model"),
	                        "max_tokens", json_object_get(req, "max_tokens"), "stream",
	                        json_object_get(req, "stream"), "messages");
	json_t *omsgs = json_object_get(out, "messages");
	json_t *system = json_object_get(req, "system");
	if (system)
		json_array_append_new(omsgs, text_message("system", system));
	json_array_foreach(msgs, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");
		/* system turns mid-conversation: what Claude Code sends (a newer API shape) */
		if (!role ||
		    (strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "system")) ||
		    !(json_is_string(content) || json_is_array(content))) {
			json_decref(out);
			*why = "messages: each message needs role user, assistant or system and "
			       "content";
			return NULL;
		}
		/* a turn of tool results reads as OpenAI's role tool */
		const char *as =
		    !strcmp(role, "user") && has_block(content, "tool_result") ? "tool" : role;
		json_array_append_new(omsgs, text_message(as, content));
	}
	json_t *tools = json_object_get(req, "tools"), *t;
	if (json_array_size(tools)) {
		json_t *otools = json_array();
		json_array_foreach(tools, i, t)
		{
			json_array_append_new(
			    otools, json_pack("{s:s,s:{s:O?,s:O?}}", "type", "function", "function",
			                      "name", json_object_get(t, "name"), "parameters",
			                      json_object_get(t, "input_schema")));
		}
		json_object_set_new(out, "tools", otools);
	}
	const char *choice =
	    json_string_value(json_object_get(json_object_get(req, "tool_choice"), "type"));
	if (choice && !strcmp(choice, "none"))
		json_object_set_new(out, "tool_choice", json_string("none"));
	const char *th =
	    json_string_value(json_object_get(json_object_get(req, "thinking"), "type"));
	*thinking = th && !strcmp(th, "enabled");
	return out;
}

static const char *stop_reason(const struct mock_plan *p)
{
	if (p->refusal)
		return "refusal";
	if (!strcmp(p->finish, "tool_calls"))
		return "tool_use";
	return !strcmp(p->finish, "length") ? "max_tokens" : "end_turn";
}

static json_t *usage_json(const struct mock_plan *p, bool start)
{
	unsigned input = p->prompt_tokens - p->cached_tokens - p->cache_write_tokens;
	return json_pack("{s:i,s:i,s:i,s:i}", "input_tokens", (int)input,
	                 "cache_creation_input_tokens", (int)p->cache_write_tokens,
	                 "cache_read_input_tokens", (int)p->cached_tokens, "output_tokens",
	                 start ? 1 : (int)p->completion_tokens);
}

static char *joined(const struct mock_plan *p, bool thoughts)
{
	struct sy_buf b;
	char tok[32];
	sy_buf_init(&b, 0);
	unsigned n = thoughts ? p->nthink : p->ntokens;
	for (unsigned k = 0; k < n; k++) {
		if (thoughts)
			mock_thought_text(k, tok, sizeof(tok));
		else
			mock_token_text(k, tok, sizeof(tok));
		sy_buf_puts(&b, tok);
	}
	return b.data ? b.data : strdup("");
}

static void tool_id(const struct mock_plan *p, char *out, size_t outlen)
{
	snprintf(out, outlen, "toolu_%s", p->tool_id + 5); /* after "call_" */
}

char *mock_anthropic_message(const struct mock_plan *p)
{
	json_t *content = json_array();
	if (p->nthink) {
		char *t = joined(p, true);
		json_array_append_new(content, json_pack("{s:s,s:s,s:s}", "type", "thinking",
		                                         "thinking", t, "signature", SIGNATURE));
		free(t);
	}
	if (p->tool_name) {
		char id[40];
		tool_id(p, id, sizeof(id));
		json_t *input = json_loads(p->tool_args, 0, NULL);
		json_array_append_new(content,
		                      json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use", "id", id,
		                                "name", p->tool_name, "input", input));
	} else if (!p->refusal) {
		char *t = joined(p, false);
		json_array_append_new(content, json_pack("{s:s,s:s}", "type", "text", "text", t));
		free(t);
	}
	json_t *root = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:n}", "id", p->id, "type", "message",
	                         "role", "assistant", "model", p->model, "content", content,
	                         "stop_reason", stop_reason(p), "stop_sequence");
	if (p->usage)
		json_object_set_new(root, "usage", usage_json(p, false));
	char *s = sy_json_dump(root);
	json_decref(root);
	return s;
}

/* "event: <type>\ndata: <json>\n\n" (takes j). */
static int put_event(struct sy_buf *out, json_t *j)
{
	char *s = j ? sy_json_dump(j) : NULL;
	int rc = s ? sy_buf_printf(out, "event: %s\ndata: %s\n\n",
	                           json_string_value(json_object_get(j, "type")), s)
	           : -ENOMEM;
	free(s);
	json_decref(j);
	return rc;
}

static json_t *block_start(unsigned index, json_t *block)
{
	return json_pack("{s:s,s:i,s:o}", "type", "content_block_start", "index", (int)index,
	                 "content_block", block);
}

static json_t *block_delta(unsigned index, json_t *delta)
{
	return json_pack("{s:s,s:i,s:o}", "type", "content_block_delta", "index", (int)index,
	                 "delta", delta);
}

static json_t *block_stop(unsigned index)
{
	return json_pack("{s:s,s:i}", "type", "content_block_stop", "index", (int)index);
}

/* message_start, the whole thinking block (if any), a ping, and the text block's start. */
static int start_events(const struct mock_plan *p, struct sy_buf *out)
{
	json_t *msg =
	    json_pack("{s:s,s:s,s:s,s:s,s:[],s:n,s:n}", "id", p->id, "type", "message", "role",
	              "assistant", "model", p->model, "content", "stop_reason", "stop_sequence");
	json_object_set_new(msg, "usage", usage_json(p, true));
	int rc = put_event(out, json_pack("{s:s,s:o}", "type", "message_start", "message", msg));
	if (!rc && p->nthink) {
		char tok[32];
		rc = put_event(out, block_start(0, json_pack("{s:s,s:s}", "type", "thinking",
		                                             "thinking", "")));
		for (unsigned k = 0; !rc && k < p->nthink; k++) {
			mock_thought_text(k, tok, sizeof(tok));
			rc = put_event(
			    out, block_delta(0, json_pack("{s:s,s:s}", "type", "thinking_delta",
			                                  "thinking", tok)));
		}
		if (!rc)
			rc = put_event(
			    out, block_delta(0, json_pack("{s:s,s:s}", "type", "signature_delta",
			                                  "signature", SIGNATURE)));
		if (!rc)
			rc = put_event(out, block_stop(0));
	}
	if (!rc)
		rc = put_event(out, json_pack("{s:s}", "type", "ping"));
	if (!rc && !p->tool_name && !p->refusal)
		rc = put_event(out, block_start(p->nthink ? 1 : 0, json_pack("{s:s,s:s}", "type",
		                                                             "text", "text", "")));
	return rc;
}

int mock_anthropic_event(const struct mock_plan *p, unsigned i, struct sy_buf *out)
{
	unsigned block = p->nthink ? 1 : 0;
	char tok[32], id[40];
	size_t from, to;
	switch (mock_stream_kind(p, i)) {
	case MOCK_EV_ROLE:
		return start_events(p, out);
	case MOCK_EV_CONTENT:
		if (!p->tool_name) {
			mock_token_text(i - 1, tok, sizeof(tok));
			return put_event(out,
			                 block_delta(block, json_pack("{s:s,s:s}", "type",
			                                              "text_delta", "text", tok)));
		}
		if (i == 1) {
			tool_id(p, id, sizeof(id));
			return put_event(
			    out,
			    block_start(block, json_pack("{s:s,s:s,s:s,s:{}}", "type", "tool_use",
			                                 "id", id, "name", p->tool_name, "input")));
		}
		mock_tool_fragment(p, i - 1, &from, &to);
		return put_event(
		    out,
		    block_delta(block, json_pack("{s:s,s:s%}", "type", "input_json_delta",
		                                 "partial_json", p->tool_args + from, to - from)));
	case MOCK_EV_FINISH: {
		int rc = p->refusal ? 0 : put_event(out, block_stop(block));
		json_t *md = json_pack("{s:s,s:{s:s,s:n}}", "type", "message_delta", "delta",
		                       "stop_reason", stop_reason(p), "stop_sequence");
		if (md && p->usage)
			json_object_set_new(
			    md, "usage",
			    json_pack("{s:i}", "output_tokens", (int)p->completion_tokens));
		return rc ? rc : put_event(out, md);
	}
	case MOCK_EV_USAGE:
		break;
	case MOCK_EV_DONE:
		return put_event(out, json_pack("{s:s}", "type", "message_stop"));
	}
	return 0;
}

char *mock_anthropic_error(const char *type, const char *message)
{
	json_t *root = json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error", "type", type,
	                         "message", message);
	char *s = sy_json_dump(root);
	json_decref(root);
	return s;
}
