/* dp_skin_messages.c - Anthropic's Messages API as a client format (POST /messages).
 *
 * Request: system (string or text blocks) becomes a system turn; user and assistant turns of
 * content blocks become chat turns: text and image blocks content parts, document blocks file
 * parts, tool_use blocks tool_calls, tool_result blocks tool turns (ahead of the rest of their
 * user turn), thinking and redacted_thinking blocks reasoning_details (which the Anthropic
 * adapter turns back into signed thinking blocks). tools, tool_choice, stop_sequences,
 * thinking and metadata.user_id map to their chat counterparts; OpenRouter's own members
 * (models, provider, route, session_id, user, plugins) are kept. Anything else is refused by
 * name: the gateway cannot honour it on every provider.
 *
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
#include "dp_request.h"
#include "dp_skin.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_VERSION "2023-06-01"

/* The members of a Messages request (Anthropic's, then OpenRouter's). */
static const char *const anthropic_members[] = {"model",      "messages",      "system",
                                                "max_tokens", "metadata",      "stop_sequences",
                                                "stream",     "temperature",   "top_p",
                                                "top_k",      "tools",         "tool_choice",
                                                "thinking",   "output_config", "context_management",
                                                NULL};
static const char *const openrouter_members[] = {"models", "provider", "route", "session_id",
                                                 "user",   "plugins",  NULL};

/* What only an Anthropic endpoint can honour (by pass-through): the first such member or
 * block, named as the client wrote it; "" = none. */
struct native {
	char what[160];
};

struct state {
	json_t *body; /* the client's request, for pass-through */
	struct native native;
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

static bool member_of(const char *const *set, const char *name)
{
	for (; *set; set++)
		if (!strcmp(*set, name))
			return true;
	return false;
}

/* ---- request --------------------------------------------------------------------------- */

static void needs_native(struct native *n, const char *what)
{
	if (!n->what[0])
		snprintf(n->what, sizeof(n->what), "%s", what);
}

/* A text block as a content part, cache_control kept. */
static json_t *text_part(const json_t *b)
{
	json_t *p = json_pack("{s:s,s:O}", "type", "text", "text", json_object_get(b, "text"));
	json_t *cc = json_object_get(b, "cache_control");
	if (p && cc)
		json_object_set(p, "cache_control", cc);
	return p;
}

/* An image or document block's source as a URL (data: URL for base64 sources). */
static char *source_url(const json_t *src)
{
	const char *type = json_string_value(json_object_get(src, "type"));
	const char *url = json_string_value(json_object_get(src, "url"));
	const char *mt = json_string_value(json_object_get(src, "media_type"));
	const char *data = json_string_value(json_object_get(src, "data"));
	char *out = NULL;
	if (type && !strcmp(type, "url") && url)
		return strdup(url);
	if (type && !strcmp(type, "base64") && mt && data &&
	    asprintf(&out, "data:%s;base64,%s", mt, data) < 0)
		return NULL;
	return type && !strcmp(type, "base64") && mt && data ? out : NULL;
}

/* A user block (image or document) as a content part. */
static int media_part(const json_t *b, const char *type, const char *where, json_t **part,
                      char *err, size_t errlen)
{
	char *url = source_url(json_object_get(b, "source"));
	if (!url)
		return dp_adapter_refuse(err, errlen,
		                         "%s.source must be a base64 (type, media_type, data) or a "
		                         "url (type, url) source",
		                         where);
	if (!strcmp(type, "image")) {
		*part = json_pack("{s:s,s:{s:s}}", "type", "image_url", "image_url", "url", url);
	} else {
		const char *title = json_string_value(json_object_get(b, "title"));
		*part = json_pack("{s:s,s:{s:s,s:s}}", "type", "file", "file", "filename",
		                  title ? title : "document.pdf", "file_data", url);
	}
	free(url);
	return *part ? 0 : -ENOMEM;
}

/* A tool_result block's content as text (string, or its text blocks joined). */
static int tool_result_text(const json_t *b, const char *where, char **text, struct native *nat,
                            char *err, size_t errlen)
{
	json_t *c = json_object_get(b, "content");
	struct sy_buf t;
	sy_buf_init(&t, 0);
	if (!c || json_is_string(c)) {
		*text = strdup(c ? json_string_value(c) : "");
		return *text ? 0 : -ENOMEM;
	}
	size_t k;
	json_t *part;
	json_array_foreach(c, k, part)
	{
		const char *pt = json_string_value(json_object_get(part, "type"));
		const char *s = json_string_value(json_object_get(part, "text"));
		if (!pt || strcmp(pt, "text") || !s) { /* images in results: Anthropic's */
			char what[120];
			snprintf(what, sizeof(what), "%s.content[%zu] (type \"%.40s\")", where, k,
			         pt ? pt : "");
			needs_native(nat, what);
			continue;
		}
		if ((k && sy_buf_puts(&t, "\n")) || sy_buf_puts(&t, s)) {
			sy_buf_release(&t);
			return -ENOMEM;
		}
	}
	if (!json_is_array(c))
		return dp_adapter_refuse(err, errlen, "%s.content must be a string or blocks",
		                         where);
	*text = t.data ? t.data : strdup("");
	return *text ? 0 : -ENOMEM;
}

/* A user turn: tool_result blocks become tool turns (first), the rest one user turn. */
static int user_turn(const json_t *content, size_t i, json_t *turns, struct native *nat, char *err,
                     size_t errlen)
{
	json_t *parts = json_array();
	size_t j;
	json_t *b;
	int rc = 0;
	json_array_foreach(content, j, b)
	{
		char where[64];
		snprintf(where, sizeof(where), "messages[%zu].content[%zu]", i, j);
		const char *type = json_string_value(json_object_get(b, "type"));
		json_t *part = NULL;
		if (!type) {
			rc = dp_adapter_refuse(err, errlen, "%s.type must be a string", where);
		} else if (!strcmp(type, "text")) {
			if (!json_is_string(json_object_get(b, "text")))
				rc = dp_adapter_refuse(err, errlen, "%s.text must be a string",
				                       where);
			else
				rc = (part = text_part(b)) ? 0 : -ENOMEM;
		} else if (!strcmp(type, "image") || !strcmp(type, "document")) {
			rc = media_part(b, type, where, &part, err, errlen);
		} else if (!strcmp(type, "tool_result")) {
			const char *id = json_string_value(json_object_get(b, "tool_use_id"));
			char *text = NULL;
			if (!id)
				rc = dp_adapter_refuse(err, errlen,
				                       "%s.tool_use_id must be a string", where);
			else if (!(rc = tool_result_text(b, where, &text, nat, err, errlen)))
				json_array_append_new(turns, json_pack("{s:s,s:s,s:s}", "role",
				                                       "tool", "tool_call_id", id,
				                                       "content", text));
			free(text);
		} else {
			char what[120];
			snprintf(what, sizeof(what), "%s (type \"%.40s\")", where, type);
			needs_native(nat, what);
		}
		if (rc)
			break;
		if (part)
			json_array_append_new(parts, part);
	}
	if (!rc && json_array_size(parts))
		json_array_append_new(turns,
		                      json_pack("{s:s,s:O}", "role", "user", "content", parts));
	json_decref(parts);
	return rc;
}

/* An assistant turn: text, tool_use and thinking blocks. */
static int assistant_turn(const json_t *content, size_t i, json_t *turns, struct native *nat,
                          char *err, size_t errlen)
{
	struct sy_buf text;
	sy_buf_init(&text, 0);
	json_t *calls = json_array(), *details = json_array();
	size_t j;
	json_t *b;
	int rc = 0;
	json_array_foreach(content, j, b)
	{
		const char *type = json_string_value(json_object_get(b, "type"));
		const char *s;
		if (type && !strcmp(type, "text") &&
		    (s = json_string_value(json_object_get(b, "text")))) {
			rc = sy_buf_puts(&text, s) ? -ENOMEM : 0;
		} else if (type && !strcmp(type, "tool_use")) {
			json_t *id = json_object_get(b, "id"), *name = json_object_get(b, "name");
			json_t *input = json_object_get(b, "input");
			char *args = json_is_object(input) ? sy_json_dump(input) : NULL;
			if (!json_is_string(id) || !json_is_string(name) || !args)
				rc = dp_adapter_refuse(
				    err, errlen,
				    "messages[%zu].content[%zu] (tool_use) needs a "
				    "string id and name and an object input",
				    i, j);
			else
				json_array_append_new(calls,
				                      json_pack("{s:O,s:s,s:{s:O,s:s}}", "id", id,
				                                "type", "function", "function",
				                                "name", name, "arguments", args));
			free(args);
		} else if (type && !strcmp(type, "thinking")) {
			json_t *d = json_pack("{s:s,s:O?,s:s}", "type", "reasoning.text", "text",
			                      json_object_get(b, "thinking"), "format",
			                      "anthropic-claude-v1");
			json_t *sig = json_object_get(b, "signature");
			if (d && json_is_string(sig))
				json_object_set(d, "signature", sig);
			json_array_append_new(details, d);
		} else if (type && !strcmp(type, "redacted_thinking")) {
			json_array_append_new(details, json_pack("{s:s,s:O?,s:s}", "type",
			                                         "reasoning.encrypted", "data",
			                                         json_object_get(b, "data"),
			                                         "format", "anthropic-claude-v1"));
		} else {
			char what[120];
			snprintf(what, sizeof(what), "messages[%zu].content[%zu] (type \"%.40s\")",
			         i, j, type ? type : "");
			needs_native(nat, what);
		}
		if (rc)
			break;
	}
	json_t *m = rc ? NULL
	               : json_pack("{s:s,s:s?}", "role", "assistant", "content",
	                           text.data                ? text.data
	                           : json_array_size(calls) ? NULL
	                                                    : "");
	if (m && json_array_size(calls))
		json_object_set(m, "tool_calls", calls);
	if (m && json_array_size(details))
		json_object_set(m, "reasoning_details", details);
	if (m)
		json_array_append_new(turns, m);
	else if (!rc)
		rc = -ENOMEM;
	sy_buf_release(&text);
	json_decref(calls);
	json_decref(details);
	return rc;
}

/* system, or a system turn among the messages (where names it), as a system turn. */
static int map_system(const json_t *sys, const char *where, json_t *turns, char *err, size_t errlen)
{
	if (!sys)
		return 0;
	if (json_is_string(sys)) {
		json_array_append_new(turns,
		                      json_pack("{s:s,s:O}", "role", "system", "content", sys));
		return 0;
	}
	if (!json_is_array(sys))
		return dp_adapter_refuse(err, errlen, "%s must be a string or text blocks", where);
	json_t *parts = json_array();
	size_t j;
	json_t *b;
	json_array_foreach(sys, j, b)
	{
		const char *type = json_string_value(json_object_get(b, "type"));
		if (!type || strcmp(type, "text") || !json_is_string(json_object_get(b, "text"))) {
			json_decref(parts);
			return dp_adapter_refuse(err, errlen,
			                         "%s[%zu] must be a text block with a string text",
			                         where, j);
		}
		json_array_append_new(parts, text_part(b));
	}
	json_array_append_new(turns, json_pack("{s:s,s:o}", "role", "system", "content", parts));
	return 0;
}

static int map_messages(const json_t *in, json_t *out, struct native *nat, char *err, size_t errlen)
{
	json_t *msgs = json_object_get(in, "messages");
	json_t *turns = json_array();
	json_object_set_new(out, "messages", turns);
	int rc = map_system(json_object_get(in, "system"), "system", turns, err, errlen);
	if (rc)
		return rc;
	if (!json_is_array(msgs) || !json_array_size(msgs))
		return dp_adapter_refuse(err, errlen, "messages must be a non-empty array");
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");
		bool user = role && !strcmp(role, "user");
		char where[48];
		snprintf(where, sizeof(where), "messages[%zu].content", i);
		if (role && !strcmp(role, "system")) { /* instructions given mid-conversation */
			if ((rc = map_system(content, where, turns, err, errlen)))
				return rc;
			continue;
		}
		if (!role || (!user && strcmp(role, "assistant")))
			return dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].role must be \"user\", \"assistant\" "
			    "or \"system\"",
			    i);
		if (json_is_string(content)) {
			json_array_append_new(
			    turns, json_pack("{s:s,s:O}", "role", role, "content", content));
			continue;
		}
		if (!json_is_array(content))
			return dp_adapter_refuse(
			    err, errlen,
			    "messages[%zu].content must be a string or an array "
			    "of content blocks",
			    i);
		rc = user ? user_turn(content, i, turns, nat, err, errlen)
		          : assistant_turn(content, i, turns, nat, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int map_tools(const json_t *in, json_t *out, struct native *nat, char *err, size_t errlen)
{
	json_t *tools = json_object_get(in, "tools");
	json_t *choice = json_object_get(in, "tool_choice");
	if (tools) {
		if (!json_is_array(tools))
			return dp_adapter_refuse(err, errlen, "tools must be an array");
		json_t *fns = json_array();
		json_object_set_new(out, "tools", fns);
		size_t i;
		json_t *t;
		json_array_foreach(tools, i, t)
		{
			const char *type = json_string_value(json_object_get(t, "type"));
			json_t *name = json_object_get(t, "name");
			json_t *schema = json_object_get(t, "input_schema");
			if (type && strcmp(type, "custom")) { /* server and built-in tools */
				char what[120];
				snprintf(what, sizeof(what), "tools[%zu] (type \"%.40s\")", i,
				         type);
				needs_native(nat, what);
				continue;
			}
			if (!json_is_string(name) || !json_is_object(schema))
				return dp_adapter_refuse(
				    err, errlen,
				    "tools[%zu] needs a string name and an input_schema object", i);
			json_t *fn = json_pack("{s:O,s:O}", "name", name, "parameters", schema);
			json_t *desc = json_object_get(t, "description");
			if (json_is_string(desc))
				json_object_set(fn, "description", desc);
			json_t *tool = json_pack("{s:s,s:o}", "type", "function", "function", fn);
			json_t *cc = json_object_get(t, "cache_control");
			if (tool && cc)
				json_object_set(tool, "cache_control", cc);
			json_array_append_new(fns, tool);
		}
	}
	if (!choice)
		return 0;
	const char *type = json_string_value(json_object_get(choice, "type"));
	const char *name = json_string_value(json_object_get(choice, "name"));
	json_t *c = !type                   ? NULL
	            : !strcmp(type, "auto") ? json_string("auto")
	            : !strcmp(type, "any")  ? json_string("required")
	            : !strcmp(type, "none") ? json_string("none")
	            : !strcmp(type, "tool") && name
	                ? json_pack("{s:s,s:{s:s}}", "type", "function", "function", "name", name)
	                : NULL;
	if (!c)
		return dp_adapter_refuse(err, errlen,
		                         "tool_choice.type must be auto, any, none or tool (with a "
		                         "name)");
	json_object_set_new(out, "tool_choice", c);
	json_t *dp = json_object_get(choice, "disable_parallel_tool_use");
	if (json_is_boolean(dp))
		json_object_set_new(out, "parallel_tool_calls", json_boolean(!json_is_true(dp)));
	return 0;
}

/* output_config: effort as OpenRouter's reasoning effort, format as a JSON schema
 * response_format; other members are Anthropic's own. */
static int map_output(const json_t *in, json_t *out, struct native *nat, char *err, size_t errlen)
{
	json_t *oc = json_object_get(in, "output_config");
	const char *k;
	json_t *v;
	if (!oc)
		return 0;
	if (!json_is_object(oc))
		return dp_adapter_refuse(err, errlen, "output_config must be an object");
	json_object_foreach(oc, k, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		if (!strcmp(k, "effort") && json_is_string(v)) {
			const char *e = json_string_value(v);
			json_t *r = json_object_get(out, "reasoning");
			if (!json_is_false(json_object_get(r, "enabled")))
				json_object_set_new(
				    out, "reasoning",
				    json_pack("{s:s}", "effort", !strcmp(e, "max") ? "xhigh" : e));
		} else if (!strcmp(k, "format") && type && !strcmp(type, "json_schema") &&
		           json_is_object(json_object_get(v, "schema"))) {
			json_object_set_new(out, "response_format",
			                    json_pack("{s:s,s:{s:s,s:O,s:b}}", "type",
			                              "json_schema", "json_schema", "name",
			                              "output", "schema",
			                              json_object_get(v, "schema"), "strict", 1));
		} else {
			char what[80];
			snprintf(what, sizeof(what), "output_config.%.40s", k);
			needs_native(nat, what);
		}
	}
	return 0;
}

/* context_management: clearing nothing ("keep": "all" of thinking) is honoured anywhere;
 * any other edit is done by Anthropic's API only. */
static void map_context(const json_t *in, struct native *nat)
{
	json_t *cm = json_object_get(in, "context_management");
	size_t i;
	json_t *e;
	if (!cm)
		return;
	json_array_foreach(json_object_get(cm, "edits"), i, e)
	{
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *keep = json_string_value(json_object_get(e, "keep"));
		if (!type || strncmp(type, "clear_thinking_", 15) || !keep || strcmp(keep, "all"))
			break;
	}
	if (!json_is_object(cm) || i < json_array_size(json_object_get(cm, "edits")) ||
	    json_object_size(cm) != 1 || !json_is_array(json_object_get(cm, "edits")))
		needs_native(nat, "context_management");
}

static int map_params(const json_t *in, json_t *out, bool count, char *err, size_t errlen)
{
	json_t *v;
	json_t *max = json_object_get(in, "max_tokens");
	if (!count && (!json_is_integer(max) || json_integer_value(max) < 1))
		return dp_adapter_refuse(err, errlen, "max_tokens must be a positive integer");
	if (!count)
		json_object_set(out, "max_tokens", max);
	static const char *const same[] = {"model", "temperature", "top_p", "top_k", "stream"};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if ((v = json_object_get(in, same[i])))
			json_object_set(out, same[i], v);
	if ((v = json_object_get(in, "stop_sequences")))
		json_object_set(out, "stop", v);
	if ((v = json_object_get(in, "metadata"))) {
		const char *k;
		json_t *mv;
		if (!json_is_object(v))
			return dp_adapter_refuse(err, errlen, "metadata must be an object");
		json_object_foreach(v, k, mv)
		{
			if (strcmp(k, "user_id"))
				return dp_adapter_refuse(
				    err, errlen, "metadata.%s is not supported (only user_id)", k);
			if (!json_is_null(mv) && !json_object_get(in, "user"))
				json_object_set(out, "user", mv);
		}
	}
	if ((v = json_object_get(in, "thinking"))) {
		const char *type = json_string_value(json_object_get(v, "type"));
		json_t *budget = json_object_get(v, "budget_tokens");
		if (type && !strcmp(type, "enabled") && json_is_integer(budget))
			json_object_set_new(out, "reasoning",
			                    json_pack("{s:O}", "max_tokens", budget));
		else if (type && !strcmp(type, "disabled"))
			json_object_set_new(out, "reasoning", json_pack("{s:b}", "enabled", 0));
		else if (type && !strcmp(type, "adaptive")) /* the model decides how much */
			json_object_set_new(out, "reasoning", json_pack("{s:b}", "enabled", 1));
		else
			return dp_adapter_refuse(
			    err, errlen,
			    "thinking must be {\"type\": \"enabled\", "
			    "\"budget_tokens\": n}, {\"type\": \"adaptive\"} or "
			    "{\"type\": \"disabled\"}");
	}
	return 0;
}

/* The client's body as the chat body (count: for count_tokens, no max_tokens needed); what
 * only pass-through can honour is left out and named in nat. */
static int translate(const json_t *in, bool count, char **out, struct native *nat, char *err,
                     size_t errlen)
{
	if (!json_is_object(in))
		return dp_adapter_refuse(err, errlen, "request body must be a JSON object");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in, k, v)
	{
		if (!member_of(anthropic_members, k) && !member_of(openrouter_members, k))
			needs_native(nat, k); /* a newer member of Anthropic's API */
	}
	map_context(in, nat);
	json_t *body = json_object();
	int rc = body ? map_messages(in, body, nat, err, errlen) : -ENOMEM;
	if (!rc)
		rc = map_tools(in, body, nat, err, errlen);
	if (!rc)
		rc = map_params(in, body, count, err, errlen);
	if (!rc)
		rc = map_output(in, body, nat, err, errlen);
	for (size_t i = 0; !rc && openrouter_members[i]; i++)
		if ((v = json_object_get(in, openrouter_members[i])))
			json_object_set(body, openrouter_members[i], v);
	if (!rc && !(*out = sy_json_dump(body)))
		rc = -ENOMEM;
	json_decref(body);
	return rc;
}

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
	json_error_t jerr;
	json_t *in = json_loadb(data, len, 0, &jerr);
	if (!in)
		return dp_adapter_refuse(err, errlen,
		                         "request body is not valid JSON: %s (line %d, column %d)",
		                         jerr.text, jerr.line, jerr.column);
	struct native nat = {{0}};
	int rc = translate(in, false, out, &nat, err, errlen);
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
	json_t *b = json_deep_copy(st->body);
	for (size_t i = 0; b && openrouter_members[i]; i++)
		json_object_del(b, openrouter_members[i]);
	if (b && !json_object_set_new(b, "model", json_string(model_id)) &&
	    (*body = sy_json_dump(b))) {
		*len = strlen(*body);
		*hdrs = st->hdrs;
		st->pass = true;
	}
	json_decref(b);
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
	if (native && member_of(own, native))
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
	json_error_t jerr;
	json_t *in = json_loadb(data, len, 0, &jerr);
	char *body = NULL;
	struct dp_chat_req req = {0};
	if (!in)
		return dp_adapter_refuse(err, errlen,
		                         "request body is not valid JSON: %s (line %d, column %d)",
		                         jerr.text, jerr.line, jerr.column);
	struct native nat = {{0}};
	int rc = translate(in, true, &body, &nat, err, errlen);
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
