/* dp_skin_responses.c - OpenAI's Responses API as a client format (POST /responses),
 * stateless: the gateway stores no response, so previous_response_id and store: true are
 * refused.
 *
 * Request: instructions becomes a system turn; input (a string, or input items) becomes the
 * chat turns: message items (roles user, system, developer, assistant; content parts
 * input_text, input_image, output_text) turns of their role, function_call items the
 * tool_calls of an assistant turn (joined to the assistant message before them),
 * function_call_output items tool turns, reasoning items the reasoning_details of the next
 * assistant turn. tools (function tools), tool_choice, max_output_tokens, temperature, top_p,
 * reasoning.effort, text.format and text.verbosity, parallel_tool_calls, user and stream map
 * to their chat counterparts; include may ask for reasoning.encrypted_content (which
 * reasoning items always carry); metadata is checked and repeated in the answer; OpenRouter's
 * own members (models, provider, route, session_id, plugins) are kept. Anything else is
 * refused by name.
 *
 * Answer: the chat answer becomes a Response object (output items reasoning, message with
 * output_text, function_call; usage with the token details and the cost; the request's
 * settings repeated), status "incomplete" when the answer was cut by max_output_tokens or a
 * content filter. Reasoning text is the reasoning item's summary when reasoning.summary asked
 * for one, else its reasoning_text content; a thinking signature or encrypted reasoning is its
 * encrypted_content (and goes back to the provider when the item is sent again as input).
 * The response id is the generation id, so GET /generation finds it.
 *
 * Stream: response.created and response.in_progress, then per output item
 * response.output_item.added, its part and text (or arguments) deltas and dones, and
 * response.output_item.done, then response.completed (or response.incomplete); every event
 * carries its sequence_number. A failure after the first byte is an error event followed by
 * response.failed. Errors before it use OpenAI's envelope {"error": {message, type, param,
 * code}} with the chat status. */
#include "dp_adapter.h"
#include "dp_skin.h"
#include "sy_err.h"
#include "sy_jcheck.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The members of a Responses request the gateway honours (OpenAI's, then OpenRouter's). */
static const char *const members[] = {"model",        "input",
                                      "instructions", "tools",
                                      "tool_choice",  "max_output_tokens",
                                      "temperature",  "top_p",
                                      "reasoning",    "text",
                                      "stream",       "parallel_tool_calls",
                                      "metadata",     "user",
                                      "store",        "previous_response_id",
                                      "include",      NULL};
static const char *const openrouter_members[] = {"models",     "provider", "route",
                                                 "session_id", "plugins",  NULL};

#define METADATA_MAX 16 /* OpenAI's limits on metadata */
#define METADATA_KEY_MAX 64
#define METADATA_VALUE_MAX 512

struct state {
	json_t *echo; /* the request's settings, repeated in every Response object */
	bool summary; /* reasoning.summary asked: reasoning text as summary_text */
	/* stream translation */
	json_int_t seq;     /* the next event's sequence_number */
	json_t *head;       /* id, created_at, model of the stream's Response */
	json_t *output;     /* the finished output items */
	char open;          /* the open item: 'r'easoning, 'm'essage, 'f'unction_call, 0 = none */
	json_t *item;       /* the open item */
	struct sy_buf text; /* its text (or arguments) so far */
	struct sy_buf enc;  /* a reasoning item's signature or encrypted reasoning so far */
	int64_t tool;       /* the chat tool call index of the open function_call */
	char finish[32];    /* the chat finish_reason seen */
};

static bool member_of(const char *const *set, const char *name)
{
	for (; *set; set++)
		if (!strcmp(*set, name))
			return true;
	return false;
}

/* ---- request --------------------------------------------------------------------------- */

/* Text parts (input_text, output_text) of content, joined; refuses any other part. */
static int joined_text(const json_t *content, const char *where, char **out, char *err,
                       size_t errlen)
{
	struct sy_buf t;
	size_t k;
	json_t *p;
	if (json_is_string(content))
		return (*out = strdup(json_string_value(content))) ? 0 : -ENOMEM;
	if (!json_is_array(content))
		return dp_adapter_refuse(err, errlen, "%s must be a string or an array of parts",
		                         where);
	sy_buf_init(&t, 0);
	json_array_foreach(content, k, p)
	{
		const char *type = json_string_value(json_object_get(p, "type"));
		const char *s = json_string_value(json_object_get(p, "text"));
		if (!type || (strcmp(type, "input_text") && strcmp(type, "output_text")) || !s) {
			sy_buf_release(&t);
			return dp_adapter_refuse(err, errlen,
			                         "%s[%zu] (type \"%.40s\") is not supported here: "
			                         "only input_text and output_text parts with a "
			                         "string text",
			                         where, k, type ? type : "");
		}
		if (sy_buf_puts(&t, s)) {
			sy_buf_release(&t);
			return -ENOMEM;
		}
	}
	*out = t.data ? t.data : strdup("");
	return *out ? 0 : -ENOMEM;
}

/* One part of a user, system or developer message as a chat content part. */
static int input_part(const json_t *p, const char *where, json_t **part, char *err, size_t errlen)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	if (type && (!strcmp(type, "input_text") || !strcmp(type, "output_text"))) {
		if (!json_is_string(json_object_get(p, "text")))
			return dp_adapter_refuse(err, errlen, "%s.text must be a string", where);
		*part = json_pack("{s:s,s:O}", "type", "text", "text", json_object_get(p, "text"));
	} else if (type && !strcmp(type, "input_image")) {
		json_t *url = sy_jcheck_opt(p, "image_url");
		json_t *detail = sy_jcheck_opt(p, "detail");
		if (sy_jcheck_opt(p, "file_id"))
			return dp_adapter_refuse(
			    err, errlen,
			    "%s.file_id is not supported: the gateway stores no "
			    "files; send image_url (a URL or a data: URL)",
			    where);
		if (!json_is_string(url))
			return dp_adapter_refuse(err, errlen, "%s.image_url must be a string",
			                         where);
		if (detail && !json_is_string(detail))
			return dp_adapter_refuse(err, errlen, "%s.detail must be a string", where);
		*part = json_pack("{s:s,s:{s:O,s:O*}}", "type", "image_url", "image_url", "url",
		                  url, "detail", detail);
	} else {
		return dp_adapter_refuse(err, errlen,
		                         "%s (type \"%.40s\") is not supported: parts are "
		                         "input_text, input_image and output_text",
		                         where, type ? type : "");
	}
	return *part ? 0 : -ENOMEM;
}

/* A message item as a chat turn (appended to turns). */
static int message_turn(const json_t *item, const char *where, json_t *turns, char *err,
                        size_t errlen)
{
	static const char *const roles[] = {"user", "assistant", "system", "developer", NULL};
	json_t *role = json_object_get(item, "role");
	json_t *content = json_object_get(item, "content");
	char w[64];
	int rc = 0;
	if (!sy_jcheck_one_of(role, roles))
		return dp_adapter_refuse(
		    err, errlen,
		    "%s.role must be \"user\", \"assistant\", \"system\" or \"developer\"", where);
	snprintf(w, sizeof(w), "%s.content", where);
	if (!strcmp(json_string_value(role), "assistant")) {
		char *text = NULL;
		if ((rc = joined_text(content, w, &text, err, errlen)))
			return rc;
		json_array_append_new(turns,
		                      json_pack("{s:s,s:s}", "role", "assistant", "content", text));
		free(text);
		return 0;
	}
	if (json_is_string(content)) {
		json_array_append_new(turns,
		                      json_pack("{s:O,s:O}", "role", role, "content", content));
		return 0;
	}
	if (!json_is_array(content))
		return dp_adapter_refuse(err, errlen, "%s must be a string or an array of parts",
		                         w);
	json_t *parts = json_array();
	size_t k;
	json_t *p;
	json_array_foreach(content, k, p)
	{
		json_t *part = NULL;
		char pw[96];
		snprintf(pw, sizeof(pw), "%s[%zu]", w, k);
		if ((rc = input_part(p, pw, &part, err, errlen)))
			break;
		json_array_append_new(parts, part);
	}
	if (!rc)
		json_array_append_new(turns,
		                      json_pack("{s:O,s:O}", "role", role, "content", parts));
	json_decref(parts);
	return rc;
}

/* The assistant turn function calls join: the last turn when it is the assistant's, else a
 * new one. */
static json_t *assistant_turn(json_t *turns)
{
	json_t *last = json_array_get(turns, json_array_size(turns) - 1);
	const char *role = json_string_value(json_object_get(last, "role"));
	if (role && !strcmp(role, "assistant"))
		return last;
	json_t *m = json_pack("{s:s,s:n}", "role", "assistant", "content");
	json_array_append_new(turns, m);
	return m;
}

/* Give the pending reasoning_details to an assistant turn. */
static void attach_reasoning(json_t *turn, json_t *pending)
{
	if (!json_array_size(pending))
		return;
	json_t *d = json_object_get(turn, "reasoning_details");
	if (!d)
		json_object_set_new(turn, "reasoning_details", d = json_array());
	json_array_extend(d, pending);
	json_array_clear(pending);
}

static int function_call(const json_t *item, const char *where, json_t *turns, json_t *pending,
                         char *err, size_t errlen)
{
	json_t *id = json_object_get(item, "call_id");
	json_t *name = json_object_get(item, "name");
	json_t *args = json_object_get(item, "arguments");
	if (!json_is_string(id) || !json_is_string(name) || !json_is_string(args))
		return dp_adapter_refuse(err, errlen,
		                         "%s (function_call) needs a string call_id, name and "
		                         "arguments",
		                         where);
	json_t *turn = assistant_turn(turns);
	json_t *calls = json_object_get(turn, "tool_calls");
	if (!calls)
		json_object_set_new(turn, "tool_calls", calls = json_array());
	json_array_append_new(calls,
	                      json_pack("{s:O,s:s,s:{s:O,s:O}}", "id", id, "type", "function",
	                                "function", "name", name, "arguments", args));
	attach_reasoning(turn, pending);
	return 0;
}

static int function_call_output(const json_t *item, const char *where, json_t *turns, char *err,
                                size_t errlen)
{
	json_t *id = json_object_get(item, "call_id");
	char w[64], *text = NULL;
	if (!json_is_string(id))
		return dp_adapter_refuse(err, errlen,
		                         "%s (function_call_output) needs a string call_id", where);
	snprintf(w, sizeof(w), "%s.output", where);
	int rc = joined_text(json_object_get(item, "output"), w, &text, err, errlen);
	if (!rc)
		json_array_append_new(turns, json_pack("{s:s,s:O,s:s}", "role", "tool",
		                                       "tool_call_id", id, "content", text));
	free(text);
	return rc;
}

/* A reasoning item given back: its text (content, else summary) with encrypted_content as the
 * signature, or encrypted_content alone as encrypted reasoning. */
static int reasoning_input(const json_t *item, const char *where, json_t *pending, char *err,
                           size_t errlen)
{
	json_t *parts = json_object_get(item, "content");
	json_t *enc = sy_jcheck_opt(item, "encrypted_content");
	char *text = NULL;
	char w[64];
	int rc;
	if (enc && !json_is_string(enc))
		return dp_adapter_refuse(err, errlen, "%s.encrypted_content must be a string",
		                         where);
	if (parts && !json_is_null(parts) && !json_is_array(parts))
		return dp_adapter_refuse(err, errlen, "%s.content must be an array", where);
	if (!json_array_size(parts))
		parts = sy_jcheck_opt(item, "summary");
	snprintf(w, sizeof(w), "%s.%s", where,
	         json_array_size(json_object_get(item, "content")) ? "content" : "summary");
	if (!parts)
		text = strdup("");
	else if (json_is_array(parts)) { /* reasoning_text or summary_text parts */
		struct sy_buf t;
		size_t k;
		json_t *p;
		sy_buf_init(&t, 0);
		json_array_foreach(parts, k, p)
		{
			const char *s = json_string_value(json_object_get(p, "text"));
			if (!s) {
				sy_buf_release(&t);
				return dp_adapter_refuse(err, errlen,
				                         "%s[%zu].text must be a string", w, k);
			}
			if ((k && sy_buf_puts(&t, "\n")) || sy_buf_puts(&t, s)) {
				sy_buf_release(&t);
				return -ENOMEM;
			}
		}
		text = t.data ? t.data : strdup("");
	} else {
		return dp_adapter_refuse(err, errlen, "%s must be an array", w);
	}
	if (!text)
		return -ENOMEM;
	json_t *d = NULL;
	if (text[0])
		d = json_pack("{s:s,s:s,s:O*}", "type", "reasoning.text", "text", text, "signature",
		              enc);
	else if (enc)
		d = json_pack("{s:s,s:O}", "type", "reasoning.encrypted", "data", enc);
	rc = (text[0] || enc) && !d ? -ENOMEM : 0;
	if (d)
		json_array_append_new(pending, d);
	free(text);
	return rc;
}

static int input_item(const json_t *item, size_t i, json_t *turns, json_t *pending, char *err,
                      size_t errlen)
{
	const char *type = json_string_value(json_object_get(item, "type"));
	char where[32];
	snprintf(where, sizeof(where), "input[%zu]", i);
	if (!json_is_object(item))
		return dp_adapter_refuse(err, errlen, "%s must be an object", where);
	if (!type && json_object_get(item, "role"))
		type = "message";
	if (type && !strcmp(type, "message")) {
		int rc = message_turn(item, where, turns, err, errlen);
		json_t *last = json_array_get(turns, json_array_size(turns) - 1);
		if (!rc && !strcmp(json_string_value(json_object_get(last, "role")), "assistant"))
			attach_reasoning(last, pending);
		return rc;
	}
	if (type && !strcmp(type, "function_call"))
		return function_call(item, where, turns, pending, err, errlen);
	if (type && !strcmp(type, "function_call_output"))
		return function_call_output(item, where, turns, err, errlen);
	if (type && !strcmp(type, "reasoning"))
		return reasoning_input(item, where, pending, err, errlen);
	if (type && !strcmp(type, "item_reference"))
		return dp_adapter_refuse(err, errlen,
		                         "%s (item_reference) is not supported: the gateway is "
		                         "stateless and stores no items; send the items themselves",
		                         where);
	return dp_adapter_refuse(err, errlen,
	                         "%s (type \"%.40s\") is not supported: input items are "
	                         "message, function_call, function_call_output and reasoning",
	                         where, type ? type : "");
}

static int map_input(const json_t *in, json_t *out, char *err, size_t errlen)
{
	json_t *instructions = sy_jcheck_opt(in, "instructions");
	json_t *input = json_object_get(in, "input");
	json_t *turns = json_array();
	json_object_set_new(out, "messages", turns);
	if (instructions && !json_is_string(instructions))
		return dp_adapter_refuse(err, errlen, "instructions must be a string");
	if (instructions)
		json_array_append_new(
		    turns, json_pack("{s:s,s:O}", "role", "system", "content", instructions));
	if (json_is_string(input)) {
		json_array_append_new(turns,
		                      json_pack("{s:s,s:O}", "role", "user", "content", input));
		return 0;
	}
	if (!json_is_array(input) || !json_array_size(input))
		return dp_adapter_refuse(err, errlen,
		                         "input must be a string or a non-empty array of input "
		                         "items");
	json_t *pending = json_array(); /* reasoning items waiting for their assistant turn */
	size_t i;
	json_t *item;
	int rc = 0;
	json_array_foreach(input, i, item)
	{
		if ((rc = input_item(item, i, turns, pending, err, errlen)))
			break;
	}
	json_decref(pending); /* reasoning after the last answer: nothing to attach it to */
	return rc;
}

static int map_tools(const json_t *in, json_t *out, char *err, size_t errlen)
{
	json_t *tools = sy_jcheck_opt(in, "tools");
	json_t *choice = sy_jcheck_opt(in, "tool_choice");
	size_t i;
	json_t *t;
	if (tools && !json_is_array(tools))
		return dp_adapter_refuse(err, errlen, "tools must be an array");
	if (json_array_size(tools)) {
		json_t *fns = json_array();
		json_object_set_new(out, "tools", fns);
		json_array_foreach(tools, i, t)
		{
			const char *type = json_string_value(json_object_get(t, "type"));
			json_t *name = json_object_get(t, "name");
			json_t *params = sy_jcheck_opt(t, "parameters");
			json_t *desc = sy_jcheck_opt(t, "description");
			json_t *strict = sy_jcheck_opt(t, "strict");
			if (!type || strcmp(type, "function"))
				return dp_adapter_refuse(err, errlen,
				                         "tools[%zu] (type \"%.40s\") is not "
				                         "supported: only function tools are",
				                         i, type ? type : "");
			if (!json_is_string(name) || (params && !json_is_object(params)) ||
			    (desc && !json_is_string(desc)) || (strict && !json_is_boolean(strict)))
				return dp_adapter_refuse(
				    err, errlen,
				    "tools[%zu] needs a string name; parameters must be an object, "
				    "description a string and strict a boolean",
				    i);
			json_array_append_new(fns, json_pack("{s:s,s:{s:O,s:O*,s:O*,s:O*}}", "type",
			                                     "function", "function", "name", name,
			                                     "description", desc, "parameters",
			                                     params, "strict", strict));
		}
	}
	if (!choice)
		return 0;
	const char *type = json_string_value(json_object_get(choice, "type"));
	const char *name = json_string_value(json_object_get(choice, "name"));
	static const char *const modes[] = {"none", "auto", "required", NULL};
	json_t *c = sy_jcheck_one_of(choice, modes) ? json_incref(choice)
	            : type && !strcmp(type, "function") && name
	                ? json_pack("{s:s,s:{s:s}}", "type", "function", "function", "name", name)
	                : NULL;
	if (!c)
		return dp_adapter_refuse(err, errlen,
		                         "tool_choice must be \"none\", \"auto\", \"required\" or "
		                         "{\"type\": \"function\", \"name\": ...}");
	json_object_set_new(out, "tool_choice", c);
	return 0;
}

/* reasoning: effort as OpenRouter's reasoning effort ("none" turns reasoning off); summary
 * decides where the reasoning text appears in the answer. */
static int map_reasoning(const json_t *in, json_t *out, bool *summary, char *err, size_t errlen)
{
	static const char *const efforts[] = {"minimal", "low", "medium", "high", "xhigh", NULL};
	static const char *const summaries[] = {"auto", "concise", "detailed", NULL};
	json_t *r = sy_jcheck_opt(in, "reasoning");
	const char *k;
	json_t *v;
	if (!r)
		return 0;
	if (!json_is_object(r))
		return dp_adapter_refuse(err, errlen, "reasoning must be an object");
	json_object_foreach(r, k, v)
	{
		const char *e = json_string_value(v);
		if (json_is_null(v))
			continue;
		if (!strcmp(k, "effort") && e && !strcmp(e, "none"))
			json_object_set_new(out, "reasoning", json_pack("{s:b}", "enabled", 0));
		else if (!strcmp(k, "effort") && e &&
		         (sy_jcheck_one_of(v, efforts) || !strcmp(e, "max")))
			json_object_set_new(
			    out, "reasoning",
			    json_pack("{s:s}", "effort", !strcmp(e, "max") ? "xhigh" : e));
		else if (!strcmp(k, "effort"))
			return dp_adapter_refuse(
			    err, errlen,
			    "reasoning.effort must be none, minimal, low, medium, "
			    "high, xhigh or max");
		else if ((!strcmp(k, "summary") || !strcmp(k, "generate_summary")) &&
		         sy_jcheck_one_of(v, summaries))
			*summary = true;
		else if (!strcmp(k, "summary") || !strcmp(k, "generate_summary"))
			return dp_adapter_refuse(
			    err, errlen, "reasoning.%s must be auto, concise or detailed", k);
		else
			return dp_adapter_refuse(err, errlen, "reasoning.%.40s is not supported",
			                         k);
	}
	if (*summary && !json_object_get(out, "reasoning")) /* a summary asks for reasoning */
		json_object_set_new(out, "reasoning", json_pack("{s:b}", "enabled", 1));
	return 0;
}

/* text: format as the chat response_format, verbosity as is. */
static int map_text(const json_t *in, json_t *out, char *err, size_t errlen)
{
	json_t *t = sy_jcheck_opt(in, "text");
	const char *k;
	json_t *v;
	if (!t)
		return 0;
	if (!json_is_object(t))
		return dp_adapter_refuse(err, errlen, "text must be an object");
	json_object_foreach(t, k, v)
	{
		if (json_is_null(v))
			continue;
		if (!strcmp(k, "verbosity")) {
			json_object_set(out, "verbosity", v);
			continue;
		}
		if (strcmp(k, "format"))
			return dp_adapter_refuse(err, errlen, "text.%.40s is not supported", k);
		const char *type = json_string_value(json_object_get(v, "type"));
		json_t *name = json_object_get(v, "name");
		json_t *schema = json_object_get(v, "schema");
		if (type && !strcmp(type, "text"))
			continue;
		if (type && !strcmp(type, "json_object")) {
			json_object_set_new(out, "response_format",
			                    json_pack("{s:s}", "type", "json_object"));
			continue;
		}
		if (!type || strcmp(type, "json_schema"))
			return dp_adapter_refuse(err, errlen,
			                         "text.format.type must be text, json_object or "
			                         "json_schema");
		if (!json_is_string(name) || !json_is_object(schema))
			return dp_adapter_refuse(
			    err, errlen,
			    "text.format (json_schema) needs a string name and a "
			    "schema object");
		json_object_set_new(out, "response_format",
		                    json_pack("{s:s,s:{s:O,s:O,s:O*,s:O*}}", "type", "json_schema",
		                              "json_schema", "name", name, "schema", schema,
		                              "description", sy_jcheck_opt(v, "description"),
		                              "strict", sy_jcheck_opt(v, "strict")));
	}
	return 0;
}

static int check_metadata(const json_t *in, char *err, size_t errlen)
{
	json_t *m = sy_jcheck_opt(in, "metadata");
	const char *k;
	json_t *v;
	if (!m)
		return 0;
	if (!json_is_object(m) || json_object_size(m) > METADATA_MAX)
		return dp_adapter_refuse(err, errlen,
		                         "metadata must be an object of at most %d "
		                         "string values",
		                         METADATA_MAX);
	json_object_foreach((json_t *)m, k, v)
	{
		if (strlen(k) > METADATA_KEY_MAX || !json_is_string(v) ||
		    json_string_length(v) > METADATA_VALUE_MAX)
			return dp_adapter_refuse(err, errlen,
			                         "metadata.%.64s must be a string of at most %d "
			                         "characters (keys at most %d)",
			                         k, METADATA_VALUE_MAX, METADATA_KEY_MAX);
	}
	return 0;
}

static int map_params(const json_t *in, json_t *out, char *err, size_t errlen)
{
	static const char *const same[] = {"model",  "temperature",         "top_p",
	                                   "stream", "parallel_tool_calls", "user"};
	json_t *v;
	if (json_is_true(json_object_get(in, "store")))
		return dp_adapter_refuse(err, errlen,
		                         "store: true is not supported: the gateway is stateless "
		                         "and stores no responses (send store: false or leave it "
		                         "out)");
	if (sy_jcheck_opt(in, "previous_response_id"))
		return dp_adapter_refuse(err, errlen,
		                         "previous_response_id is not supported: the gateway is "
		                         "stateless and stores no responses; send the whole "
		                         "conversation in input");
	if ((v = sy_jcheck_opt(in, "store")) && !json_is_boolean(v))
		return dp_adapter_refuse(err, errlen, "store must be a boolean");
	if ((v = sy_jcheck_opt(in, "include")) && !json_is_array(v))
		return dp_adapter_refuse(err, errlen, "include must be an array");
	for (size_t i = 0; i < json_array_size(v); i++) {
		/* reasoning items always carry what the provider gave to send back */
		const char *inc = json_string_value(json_array_get(v, i));
		if (!inc || strcmp(inc, "reasoning.encrypted_content"))
			return dp_adapter_refuse(err, errlen,
			                         "include[%zu] is not supported: only "
			                         "\"reasoning.encrypted_content\" is",
			                         i);
	}
	if ((v = sy_jcheck_opt(in, "max_output_tokens"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return dp_adapter_refuse(err, errlen,
			                         "max_output_tokens must be a positive integer");
		json_object_set(out, "max_tokens", v);
	}
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if ((v = sy_jcheck_opt(in, same[i])))
			json_object_set(out, same[i], v);
	for (size_t i = 0; openrouter_members[i]; i++)
		if ((v = json_object_get(in, openrouter_members[i])))
			json_object_set(out, openrouter_members[i], v);
	return check_metadata(in, err, errlen);
}

/* The request's settings as a Response object repeats them (OpenAI's defaults when absent). */
static json_t *echo_of(const json_t *in)
{
	json_t *r = sy_jcheck_opt(in, "reasoning");
	json_t *e = json_pack(
	    "{s:O?,s:O?,s:O?,s:O?,s:O?,s:b,s:O?,s:O?,s:{s:O?,s:O?},s:b,s:n,s:s,s:b}",
	    "instructions", sy_jcheck_opt(in, "instructions"), "metadata",
	    sy_jcheck_opt(in, "metadata"), "temperature", sy_jcheck_opt(in, "temperature"), "top_p",
	    sy_jcheck_opt(in, "top_p"), "max_output_tokens", sy_jcheck_opt(in, "max_output_tokens"),
	    "parallel_tool_calls", !json_is_false(json_object_get(in, "parallel_tool_calls")),
	    "tool_choice", sy_jcheck_opt(in, "tool_choice"), "tools", sy_jcheck_opt(in, "tools"),
	    "reasoning", "effort", sy_jcheck_opt(r, "effort"), "summary",
	    sy_jcheck_opt(r, "summary") ? sy_jcheck_opt(r, "summary")
	                                : sy_jcheck_opt(r, "generate_summary"),
	    "store", 0, "previous_response_id", "truncation", "disabled", "background", 0);
	if (!e)
		return NULL;
	if (json_is_null(json_object_get(e, "metadata")))
		json_object_set_new(e, "metadata", json_object());
	if (json_is_null(json_object_get(e, "tool_choice")))
		json_object_set_new(e, "tool_choice", json_string("auto"));
	if (json_is_null(json_object_get(e, "tools")))
		json_object_set_new(e, "tools", json_array());
	json_t *text = sy_jcheck_opt(in, "text");
	json_object_set_new(e, "text",
	                    text && json_object_get(text, "format")
	                        ? json_deep_copy(text)
	                        : json_pack("{s:{s:s}}", "format", "type", "text"));
	json_t *user = sy_jcheck_opt(in, "user");
	if (user)
		json_object_set(e, "user", user);
	return e;
}

/* The client's body as the chat body, and the state the answers need. */
static int translate(const json_t *in, struct state *st, char **out, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	if (!json_is_object(in))
		return dp_adapter_refuse(err, errlen, "request body must be a JSON object");
	json_object_foreach((json_t *)in, k, v)
	{
		if (!member_of(members, k) && !member_of(openrouter_members, k))
			return dp_adapter_refuse(err, errlen,
			                         "%.60s is not supported on /responses", k);
	}
	json_t *body = json_object();
	int rc = body ? map_params(in, body, err, errlen) : -ENOMEM;
	if (!rc)
		rc = map_input(in, body, err, errlen);
	if (!rc)
		rc = map_tools(in, body, err, errlen);
	if (!rc)
		rc = map_reasoning(in, body, &st->summary, err, errlen);
	if (!rc)
		rc = map_text(in, body, err, errlen);
	if (!rc && !(st->echo = echo_of(in)))
		rc = -ENOMEM;
	if (!rc && !(*out = sy_json_dump(body)))
		rc = -ENOMEM;
	json_decref(body);
	return rc;
}

static void rewind_stream(void *p)
{
	struct state *st = p;
	st->seq = 0;
	json_decref(st->head);
	st->head = NULL;
	json_array_clear(st->output);
	json_decref(st->item);
	st->item = NULL;
	st->open = 0;
	sy_buf_reset(&st->text);
	sy_buf_reset(&st->enc);
	st->tool = -1;
	st->finish[0] = '\0';
}

static void release(void *p)
{
	struct state *st = p;
	if (!st)
		return;
	json_decref(st->echo);
	json_decref(st->head);
	json_decref(st->output);
	json_decref(st->item);
	sy_buf_release(&st->text);
	sy_buf_release(&st->enc);
	free(st);
}

static int request(const char *data, size_t len, const char *const *hdrs, void **state, char **out,
                   char *err, size_t errlen)
{
	(void)hdrs;
	struct sy_errmsg e = {err, errlen};
	json_t *in = sy_jcheck_body(data, len, 0, &e);
	if (!in)
		return SY_EINVAL;
	struct state *st = calloc(1, sizeof(*st));
	int rc = st && (st->output = json_array()) ? 0 : -ENOMEM;
	if (st) {
		sy_buf_init(&st->text, 0);
		sy_buf_init(&st->enc, 0);
		st->tool = -1;
	}
	if (!rc)
		rc = translate(in, st, out, err, errlen);
	json_decref(in);
	if (rc) {
		release(st);
		return rc;
	}
	*state = st;
	return 0;
}

/* ---- answers ----------------------------------------------------------------------------- */

/* OpenAI's error type for an HTTP status. */
static const char *error_type(int status)
{
	switch (status) {
	case 400:
	case 404:
	case 413:
	case 422:
		return "invalid_request_error";
	case 401:
		return "authentication_error";
	case 402:
		return "insufficient_quota";
	case 403:
		return "permission_error";
	case 429:
		return "rate_limit_error";
	default:
		return "server_error";
	}
}

/* OpenAI's error envelope from OpenRouter's: code is OpenRouter's error type. */
static json_t *error_object(const char *json, int fallback)
{
	int status;
	char msg[512], type[64];
	dp_skin_error_parts(json, fallback, &status, msg, sizeof(msg), type, sizeof(type));
	return json_pack("{s:{s:s,s:s,s:n,s:s?}}", "error", "message", msg[0] ? msg : "error",
	                 "type", error_type(status), "param", "code", type[0] ? type : NULL);
}

/* An output item's id: its kind's prefix, the generation id's tail and its index. */
static json_t *item_id(const char *prefix, const char *gen, size_t n)
{
	char id[128];
	if (gen && !strncmp(gen, "gen-", 4))
		gen += 4;
	snprintf(id, sizeof(id), "%s_%s_%zu", prefix, gen ? gen : "", n);
	return json_string(id);
}

/* The text part of a message, or the summary / content part of a reasoning item. */
static json_t *text_part(char kind, bool summary, const char *text)
{
	if (kind == 'm')
		return json_pack("{s:s,s:s,s:[]}", "type", "output_text", "text", text,
		                 "annotations");
	return json_pack("{s:s,s:s}", "type", summary ? "summary_text" : "reasoning_text", "text",
	                 text);
}

/* A reasoning item: the text as its summary or content, enc ("" = none) as encrypted_content. */
static json_t *reasoning_item(json_t *id, bool summary, const char *text, const char *enc,
                              const char *status)
{
	json_t *parts = text[0] ? json_pack("[o]", text_part('r', summary, text)) : json_array();
	json_t *r = json_pack("{s:o,s:s,s:o,s:s}", "id", id, "type", "reasoning", "summary",
	                      summary ? parts : json_array(), "status", status);
	if (r && !summary)
		json_object_set(r, "content", parts);
	if (!summary)
		json_decref(parts);
	if (r && enc[0])
		json_object_set_new(r, "encrypted_content", json_string(enc));
	return r;
}

/* Reasoning details (or the plain reasoning text) of a chat message or delta: the text and
 * the signature or encrypted data, appended. */
static int reasoning_of(const json_t *m, struct sy_buf *text, struct sy_buf *enc)
{
	size_t i;
	json_t *d;
	json_t *details = json_object_get(m, "reasoning_details");
	json_array_foreach(details, i, d)
	{
		const char *type = json_string_value(json_object_get(d, "type"));
		const char *t = json_string_value(json_object_get(d, "text"));
		const char *sig = json_string_value(json_object_get(d, "signature"));
		const char *data = json_string_value(json_object_get(d, "data"));
		bool is_text = type && !strcmp(type, "reasoning.text");
		if (is_text && t && sy_buf_puts(text, t))
			return -ENOMEM;
		if (is_text && sig && sy_buf_puts(enc, sig))
			return -ENOMEM;
		/* Gemini's thought signatures name their tool call (id): they stay with it */
		if (type && !strcmp(type, "reasoning.encrypted") && data &&
		    !json_object_get(d, "id") && sy_buf_puts(enc, data))
			return -ENOMEM;
	}
	const char *r = json_string_value(json_object_get(m, "reasoning"));
	if (!json_array_size(details) && r && sy_buf_puts(text, r))
		return -ENOMEM;
	return 0;
}

/* The Response object around output and usage (taken; usage NULL = null). */
static json_t *response_object(const struct state *st, const json_t *head, const char *status,
                               json_t *output, json_t *usage)
{
	json_t *r = json_pack("{s:O?,s:s,s:O?,s:s,s:n,s:n,s:O?,s:o,s:o?}", "id",
	                      json_object_get(head, "id"), "object", "response", "created_at",
	                      json_object_get(head, "created_at"), "status", status, "error",
	                      "incomplete_details", "model", json_object_get(head, "model"),
	                      "output", output, "usage", usage);
	if (!r)
		return NULL;
	if (!strcmp(status, "incomplete"))
		json_object_set_new(r, "incomplete_details",
		                    json_pack("{s:s}", "reason",
		                              !strcmp(st->finish, "content_filter")
		                                  ? "content_filter"
		                                  : "max_output_tokens"));
	json_object_update(r, st->echo);
	json_t *prov = json_object_get(head, "provider");
	if (prov)
		json_object_set(r, "provider", prov);
	return r;
}

/* The Responses usage from the chat usage, with the cost and OpenRouter's extras. */
static json_t *usage_of(const json_t *u)
{
	json_t *pd = json_object_get(u, "prompt_tokens_details");
	json_t *cd = json_object_get(u, "completion_tokens_details");
	uint32_t input = dp_adapter_count(u, "prompt_tokens");
	uint32_t output = dp_adapter_count(u, "completion_tokens");
	json_t *j =
	    json_pack("{s:I,s:{s:I,s:I},s:I,s:{s:I},s:I}", "input_tokens", (json_int_t)input,
	              "input_tokens_details", "cached_tokens",
	              (json_int_t)dp_adapter_count(pd, "cached_tokens"), "cache_write_tokens",
	              (json_int_t)dp_adapter_count(pd, "cache_write_tokens"), "output_tokens",
	              (json_int_t)output, "output_tokens_details", "reasoning_tokens",
	              (json_int_t)dp_adapter_count(cd, "reasoning_tokens"), "total_tokens",
	              (json_int_t)input + output);
	static const char *const extras[] = {"cost", "is_byok", "cost_details"};
	for (size_t i = 0; j && i < sizeof(extras) / sizeof(extras[0]); i++) {
		json_t *v = json_object_get(u, extras[i]);
		if (v)
			json_object_set(j, extras[i], v);
	}
	return j;
}

/* completed, or incomplete when the answer was cut (by length or a content filter). */
static const char *final_status(const char *finish)
{
	return !strcmp(finish, "length") || !strcmp(finish, "content_filter") ? "incomplete"
	                                                                      : "completed";
}

/* The whole chat answer as a Response object. */
static char *response_of(struct state *st, const char *json)
{
	json_t *a = json_loads(json, 0, NULL);
	json_t *ch = json_array_get(json_object_get(a, "choices"), 0);
	json_t *msg = json_object_get(ch, "message");
	const char *gen = json_string_value(json_object_get(a, "id"));
	const char *finish = json_string_value(json_object_get(ch, "finish_reason"));
	json_t *output = json_array();
	struct sy_buf rt, enc;
	sy_buf_init(&rt, 0);
	sy_buf_init(&enc, 0);
	int rc = a && output ? reasoning_of(msg, &rt, &enc) : -ENOMEM;
	if (!rc && (rt.len || enc.len))
		json_array_append_new(output,
		                      reasoning_item(item_id("rs", gen, 0), st->summary,
		                                     rt.data ? rt.data : "",
		                                     enc.data ? enc.data : "", "completed"));
	const char *text = json_string_value(json_object_get(msg, "content"));
	json_t *calls = json_object_get(msg, "tool_calls");
	if ((text && text[0]) || !json_array_size(calls))
		json_array_append_new(
		    output, json_pack("{s:o,s:s,s:s,s:s,s:[o]}", "id",
		                      item_id("msg", gen, json_array_size(output)), "type",
		                      "message", "status", "completed", "role", "assistant",
		                      "content", text_part('m', false, text ? text : "")));
	size_t i;
	json_t *c;
	json_array_foreach(calls, i, c)
	{
		json_t *fn = json_object_get(c, "function");
		json_t *args = json_object_get(fn, "arguments");
		json_array_append_new(
		    output,
		    json_pack("{s:o,s:s,s:s,s:O?,s:O?,s:s}", "id",
		              item_id("fc", gen, json_array_size(output)), "type", "function_call",
		              "status", "completed", "call_id", json_object_get(c, "id"), "name",
		              json_object_get(fn, "name"), "arguments",
		              json_is_string(args) ? json_string_value(args) : "{}"));
	}
	snprintf(st->finish, sizeof(st->finish), "%s", finish ? finish : "");
	json_t *head =
	    a ? json_pack("{s:O?,s:O?,s:O?,s:O?}", "id", json_object_get(a, "id"), "created_at",
	                  json_object_get(a, "created"), "model", json_object_get(a, "model"),
	                  "provider", json_object_get(a, "provider"))
	      : NULL;
	json_t *r = !rc && head
	                ? response_object(st, head, final_status(st->finish), json_incref(output),
	                                  usage_of(json_object_get(a, "usage")))
	                : NULL;
	char *s = r ? sy_json_dump(r) : NULL;
	json_decref(r);
	json_decref(head);
	json_decref(output);
	json_decref(a);
	sy_buf_release(&rt);
	sy_buf_release(&enc);
	return s;
}

static char *reply(void *p, int status, char *json)
{
	struct state *st = p;
	json_t *j = NULL;
	char *s = NULL;
	if (status >= 200 && status < 300 && st)
		s = response_of(st, json);
	else if ((j = error_object(json, status)))
		s = sy_json_dump(j);
	json_decref(j);
	free(json);
	return s;
}

/* ---- streams ----------------------------------------------------------------------------- */

/* One event: type and sequence_number, then the members of body (taken). */
static int event(struct state *st, struct sy_buf *out, const char *type, json_t *body)
{
	json_t *e =
	    body ? json_pack("{s:s,s:I}", "type", type, "sequence_number", st->seq++) : NULL;
	if (e && json_object_update(e, body)) {
		json_decref(e);
		e = NULL;
	}
	json_decref(body);
	return e ? dp_skin_sse(out, type, e) : -ENOMEM;
}

/* The open item's id and output index as members of an event body. */
static json_t *at_item(const struct state *st, json_t *more)
{
	json_t *b = json_pack("{s:O,s:I}", "item_id", json_object_get(st->item, "id"),
	                      "output_index", (json_int_t)json_array_size(st->output));
	if (b && more && json_object_update(b, more)) {
		json_decref(b);
		b = NULL;
	}
	json_decref(more);
	return b;
}

/* response.created and response.in_progress, once, from the first part's id, created and
 * model. */
static int start(struct state *st, const json_t *c, struct sy_buf *out)
{
	if (st->head)
		return 0;
	st->head = json_pack("{s:O?,s:O?,s:O?}", "id", json_object_get(c, "id"), "created_at",
	                     json_object_get(c, "created"), "model", json_object_get(c, "model"));
	if (!st->head)
		return -ENOMEM;
	int rc = event(st, out, "response.created",
	               json_pack("{s:o}", "response",
	                         response_object(st, st->head, "in_progress", json_array(), NULL)));
	if (!rc)
		rc = event(
		    st, out, "response.in_progress",
		    json_pack("{s:o}", "response",
		              response_object(st, st->head, "in_progress", json_array(), NULL)));
	return rc;
}

/* The part events' names and index member for the open item's kind. */
static void part_names(const struct state *st, const char **added, const char **delta,
                       const char **text_done, const char **done, const char **index)
{
	bool summary = st->open == 'r' && st->summary;
	*added = summary ? "response.reasoning_summary_part.added" : "response.content_part.added";
	*done = summary ? "response.reasoning_summary_part.done" : "response.content_part.done";
	*index = summary ? "summary_index" : "content_index";
	*delta = st->open == 'm' ? "response.output_text.delta"
	         : summary       ? "response.reasoning_summary_text.delta"
	                         : "response.reasoning_text.delta";
	*text_done = st->open == 'm' ? "response.output_text.done"
	             : summary       ? "response.reasoning_summary_text.done"
	                             : "response.reasoning_text.done";
}

static int close_item(struct state *st, struct sy_buf *out)
{
	const char *added, *delta, *text_done, *done, *index;
	const char *text = st->text.data ? st->text.data : "";
	int rc = 0;
	if (!st->open)
		return 0;
	part_names(st, &added, &delta, &text_done, &done, &index);
	if (st->open == 'f') {
		rc = event(st, out, "response.function_call_arguments.done",
		           at_item(st, json_pack("{s:s}", "arguments", text)));
		json_object_set_new(st->item, "arguments", json_string(text));
	} else {
		json_t *extra = st->open == 'm' ? json_pack("{s:[]}", "logprobs") : json_object();
		json_object_set_new(extra, index, json_integer(0));
		json_object_set_new(extra, "text", json_string(text));
		rc = event(st, out, text_done, at_item(st, extra));
		if (!rc)
			rc = event(st, out, done,
			           at_item(st, json_pack("{s:i,s:o}", index, 0, "part",
			                                 text_part(st->open, st->summary, text))));
		if (st->open == 'm') {
			json_object_set_new(st->item, "content",
			                    json_pack("[o]", text_part('m', false, text)));
		} else {
			json_t *r = reasoning_item(json_incref(json_object_get(st->item, "id")),
			                           st->summary, text,
			                           st->enc.data ? st->enc.data : "", "completed");
			json_decref(st->item);
			st->item = r;
		}
	}
	json_object_set_new(st->item, "status", json_string("completed"));
	if (!rc)
		rc = event(st, out, "response.output_item.done",
		           json_pack("{s:I,s:O}", "output_index",
		                     (json_int_t)json_array_size(st->output), "item", st->item));
	json_array_append_new(st->output, st->item);
	st->item = NULL;
	st->open = 0;
	sy_buf_reset(&st->text);
	sy_buf_reset(&st->enc);
	return rc;
}

/* Open an output item of kind (taken; its id made here, after the open one is closed, from
 * prefix and the generation id); messages and reasoning open their part too. */
static int open_item(struct state *st, char kind, json_t *item, const char *prefix, const char *gen,
                     struct sy_buf *out)
{
	const char *added, *delta, *text_done, *done, *index;
	int rc = close_item(st, out);
	if (!item)
		return -ENOMEM;
	json_object_set_new(item, "id", item_id(prefix, gen, json_array_size(st->output)));
	st->open = kind;
	st->item = item;
	if (!rc)
		rc = event(st, out, "response.output_item.added",
		           json_pack("{s:I,s:O}", "output_index",
		                     (json_int_t)json_array_size(st->output), "item", item));
	if (rc || kind == 'f')
		return rc;
	part_names(st, &added, &delta, &text_done, &done, &index);
	return event(st, out, added,
	             at_item(st, json_pack("{s:i,s:o}", index, 0, "part",
	                                   text_part(kind, st->summary, ""))));
}

/* Text (or arguments) for the open item. */
static int delta(struct state *st, const char *s, struct sy_buf *out)
{
	const char *added, *delta, *text_done, *done, *index;
	if (sy_buf_puts(&st->text, s))
		return -ENOMEM;
	if (st->open == 'f')
		return event(st, out, "response.function_call_arguments.delta",
		             at_item(st, json_pack("{s:s}", "delta", s)));
	part_names(st, &added, &delta, &text_done, &done, &index);
	json_t *b = st->open == 'm' ? json_pack("{s:[]}", "logprobs") : json_object();
	json_object_set_new(b, index, json_integer(0));
	json_object_set_new(b, "delta", json_string(s));
	return event(st, out, delta, at_item(st, b));
}

static int reasoning_events(struct state *st, const char *gen, const json_t *dl, struct sy_buf *out)
{
	struct sy_buf t, enc;
	sy_buf_init(&t, 0);
	sy_buf_init(&enc, 0);
	int rc = reasoning_of(dl, &t, &enc);
	if (!rc && (t.len || enc.len) && st->open != 'r')
		rc = open_item(st, 'r',
		               reasoning_item(json_string(""), st->summary, "", "", "in_progress"),
		               "rs", gen, out);
	if (!rc && t.len)
		rc = delta(st, t.data, out);
	if (!rc && enc.len && sy_buf_puts(&st->enc, enc.data))
		rc = -ENOMEM;
	sy_buf_release(&t);
	sy_buf_release(&enc);
	return rc;
}

static int tool_events(struct state *st, const char *gen, const json_t *dl, struct sy_buf *out)
{
	size_t i;
	json_t *c;
	int rc = 0;
	json_array_foreach(json_object_get(dl, "tool_calls"), i, c)
	{
		json_t *fn = json_object_get(c, "function");
		json_int_t idx = json_integer_value(json_object_get(c, "index"));
		json_t *id = json_object_get(c, "id");
		const char *name = json_string_value(json_object_get(fn, "name"));
		const char *args = json_string_value(json_object_get(fn, "arguments"));
		if (!rc && (json_is_string(id) || st->open != 'f' || idx != st->tool)) {
			rc =
			    open_item(st, 'f',
			              json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", "", "type",
			                        "function_call", "status", "in_progress", "call_id",
			                        json_is_string(id) ? json_string_value(id) : "",
			                        "name", name ? name : "", "arguments", ""),
			              "fc", gen, out);
			st->tool = idx;
		}
		if (!rc && args && args[0])
			rc = delta(st, args, out);
	}
	return rc;
}

static int chunk_events(struct state *st, const char *json, struct sy_buf *out)
{
	json_t *c = json_loads(json, 0, NULL);
	json_t *ch = json_array_get(json_object_get(c, "choices"), 0);
	json_t *dl = json_object_get(ch, "delta");
	const char *gen = json_string_value(json_object_get(c, "id"));
	const char *text = json_string_value(json_object_get(dl, "content"));
	const char *finish = json_string_value(json_object_get(ch, "finish_reason"));
	int rc = c ? start(st, c, out) : -ENOMEM;
	if (!rc)
		rc = reasoning_events(st, gen, dl, out);
	if (!rc && text && text[0] && st->open != 'm')
		rc = open_item(st, 'm',
		               json_pack("{s:s,s:s,s:s,s:s,s:[]}", "id", "", "type", "message",
		                         "status", "in_progress", "role", "assistant", "content"),
		               "msg", gen, out);
	if (!rc && text && text[0])
		rc = delta(st, text, out);
	if (!rc)
		rc = tool_events(st, gen, dl, out);
	if (!rc && finish) {
		snprintf(st->finish, sizeof(st->finish), "%s", finish);
		rc = close_item(st, out);
	}
	json_decref(c);
	return rc;
}

static int end_events(struct state *st, const char *json, struct sy_buf *out)
{
	json_t *c = json_loads(json, 0, NULL);
	int rc = c ? start(st, c, out) : -ENOMEM;
	if (!rc)
		rc = close_item(st, out);
	json_t *prov = json_object_get(c, "provider");
	if (!rc && prov)
		json_object_set(st->head, "provider", prov);
	const char *status = final_status(st->finish);
	if (!rc)
		rc = event(st, out,
		           !strcmp(status, "completed") ? "response.completed"
		                                        : "response.incomplete",
		           json_pack("{s:o}", "response",
		                     response_object(st, st->head, status, json_copy(st->output),
		                                     usage_of(json_object_get(c, "usage")))));
	json_decref(c);
	return rc;
}

/* A failure after the first byte: the error event, then response.failed with what was
 * finished. */
static int failed_events(struct state *st, const char *json, struct sy_buf *out)
{
	json_t *c = json_loads(json, 0, NULL);
	int status;
	char msg[512], type[64];
	dp_skin_error_parts(json, 502, &status, msg, sizeof(msg), type, sizeof(type));
	int rc = c ? start(st, c, out) : -ENOMEM;
	const char *code = status == 429 ? "rate_limit_exceeded" : "server_error";
	if (!rc)
		rc = event(st, out, "error",
		           json_pack("{s:s,s:s,s:n}", "code", type[0] ? type : code, "message",
		                     msg[0] ? msg : "error", "param"));
	json_t *r =
	    rc ? NULL : response_object(st, st->head, "failed", json_copy(st->output), NULL);
	if (r)
		json_object_set_new(
		    r, "error",
		    json_pack("{s:s,s:s}", "code", code, "message", msg[0] ? msg : "error"));
	if (!rc)
		rc = event(st, out, "response.failed", json_pack("{s:o}", "response", r));
	json_decref(c);
	return rc;
}

static int stream(void *p, enum dp_skin_part part, const char *json, struct sy_buf *out)
{
	struct state *st = p;
	return part == DP_SKIN_ERROR ? failed_events(st, json, out)
	       : part == DP_SKIN_END ? end_events(st, json, out)
	                             : chunk_events(st, json, out);
}

const struct dp_skin dp_skin_responses = {
    .name = "responses",
    .request = request,
    .release = release,
    .reply = reply,
    .stream = stream,
    .rewind = rewind_stream,
};
