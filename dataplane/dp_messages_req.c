/* dp_messages_req.c - an Anthropic Messages request read as a chat completions request.
 *
 * system (string or text blocks) becomes a system turn; user, assistant and system turns of
 * content blocks become chat turns: text and image blocks content parts, document blocks file
 * parts, tool_use blocks tool_calls, tool_result blocks tool turns (ahead of the rest of their
 * user turn), thinking and redacted_thinking blocks reasoning_details (which the Anthropic
 * adapter turns back into signed thinking blocks). tools, tool_choice, stop_sequences,
 * thinking, output_config and metadata.user_id map to their chat counterparts; OpenRouter's
 * own members are kept. What has no chat counterpart (newer members, server tools, unknown
 * block types, context edits that clear something) is left out and named, for the skin to
 * honour by pass-through or refuse. */
#include "dp_messages_req.h"
#include "dp_adapter.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The members of a Messages request Anthropic defines and the gateway reads. */
static const char *const anthropic_members[] = {"model",      "messages",      "system",
                                                "max_tokens", "metadata",      "stop_sequences",
                                                "stream",     "temperature",   "top_p",
                                                "top_k",      "tools",         "tool_choice",
                                                "thinking",   "output_config", "context_management",
                                                NULL};
const char *const dp_messages_req_openrouter[] = {"models", "provider", "route", "session_id",
                                                  "user",   "plugins",  NULL};

static bool member_of(const char *const *set, const char *name)
{
	for (; *set; set++)
		if (!strcmp(*set, name))
			return true;
	return false;
}

/* ---- request --------------------------------------------------------------------------- */

static void needs_native(struct dp_messages_req_native *n, const char *what)
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
static int tool_result_text(const json_t *b, const char *where, char **text,
                            struct dp_messages_req_native *nat, char *err, size_t errlen)
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
static int user_turn(const json_t *content, size_t i, json_t *turns,
                     struct dp_messages_req_native *nat, char *err, size_t errlen)
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
static int assistant_turn(const json_t *content, size_t i, json_t *turns,
                          struct dp_messages_req_native *nat, char *err, size_t errlen)
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

static int map_messages(const json_t *in, json_t *out, struct dp_messages_req_native *nat,
                        char *err, size_t errlen)
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

static int map_tools(const json_t *in, json_t *out, struct dp_messages_req_native *nat, char *err,
                     size_t errlen)
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
static int map_output(const json_t *in, json_t *out, struct dp_messages_req_native *nat, char *err,
                      size_t errlen)
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
static void map_context(const json_t *in, struct dp_messages_req_native *nat)
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

int dp_messages_req_translate(const json_t *in, bool count, char **out,
                              struct dp_messages_req_native *nat, char *err, size_t errlen)
{
	if (!json_is_object(in))
		return dp_adapter_refuse(err, errlen, "request body must be a JSON object");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in, k, v)
	{
		if (!member_of(anthropic_members, k) && !member_of(dp_messages_req_openrouter, k))
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
	for (size_t i = 0; !rc && dp_messages_req_openrouter[i]; i++)
		if ((v = json_object_get(in, dp_messages_req_openrouter[i])))
			json_object_set(body, dp_messages_req_openrouter[i], v);
	if (!rc && !(*out = sy_json_dump(body)))
		rc = -ENOMEM;
	json_decref(body);
	return rc;
}
