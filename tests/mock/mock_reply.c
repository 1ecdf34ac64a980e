/* mock_reply.c - answers in OpenAI's chat.completion and chat.completion.chunk formats. */
#include "mock_reply.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINGERPRINT "fp_mock"

/* Unicode code points in a UTF-8 string: every byte that does not continue a sequence. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

unsigned mock_prompt_tokens(const json_t *messages)
{
	size_t chars = 0, i, j;
	json_t *m, *part;
	json_array_foreach(messages, i, m)
	{
		json_t *content = json_object_get(m, "content");
		if (json_is_string(content)) {
			chars += utf8_chars(json_string_value(content));
			continue;
		}
		json_array_foreach(content, j, part)
		{
			json_t *text = json_object_get(part, "text");
			if (json_is_string(text))
				chars += utf8_chars(json_string_value(text));
		}
	}
	size_t tokens = (chars + 3) / 4;
	return tokens ? (unsigned)tokens : 1;
}

/* A plausible value for a JSON-schema property: its first enum value, else by type. */
static json_t *sample_value(const json_t *schema)
{
	json_t *en = json_array_get(json_object_get(schema, "enum"), 0);
	if (en)
		return json_deep_copy(en);
	const char *type = json_string_value(json_object_get(schema, "type"));
	if (!type)
		return json_string("Paris");
	if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0)
		return json_integer(42);
	if (strcmp(type, "boolean") == 0)
		return json_true();
	if (strcmp(type, "array") == 0)
		return json_array();
	if (strcmp(type, "object") == 0)
		return json_object();
	return json_string("Paris");
}

char *mock_tool_args(const json_t *tool)
{
	json_t *params = json_object_get(json_object_get(tool, "function"), "parameters");
	json_t *props = json_object_get(params, "properties");
	const char *name =
	    json_string_value(json_array_get(json_object_get(params, "required"), 0));
	if (!name && json_is_object(props))
		name = json_object_iter_key(json_object_iter(props));
	json_t *args = json_object();
	if (name)
		json_object_set_new(args, name, sample_value(json_object_get(props, name)));
	char *s = sy_json_dump(args);
	json_decref(args);
	return s;
}

/* A positive integer field; absent or null leaves *out alone. */
static int get_limit(const json_t *req, const char *field, unsigned *out)
{
	json_t *v = json_object_get(req, field);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return SY_EINVAL;
	if ((json_int_t)*out > json_integer_value(v))
		*out = (unsigned)json_integer_value(v);
	return 0;
}

/* The tool to call, or NULL when the answer is text. */
static int pick_tool(const json_t *req, const json_t **tool, const char **why)
{
	json_t *tools = json_object_get(req, "tools");
	*tool = NULL;
	if (!tools || json_is_null(tools))
		return 0;
	if (!json_is_array(tools)) {
		*why = "'tools' must be an array";
		return SY_EINVAL;
	}
	if (json_array_size(tools) == 0)
		return 0;
	json_t *first = json_array_get(tools, 0);
	const char *name =
	    json_string_value(json_object_get(json_object_get(first, "function"), "name"));
	if (!name || !*name) {
		*why = "'tools[0].function.name' must be a non-empty string";
		return SY_EINVAL;
	}
	const char *choice = json_string_value(json_object_get(req, "tool_choice"));
	if (choice && strcmp(choice, "none") == 0)
		return 0;
	/* a tool's result since the last assistant turn is answered in words: the round trip
	 * ends (the client may add a user turn after the results) */
	json_t *msgs = json_object_get(req, "messages");
	for (size_t i = json_array_size(msgs); i-- > 0;) {
		const char *role =
		    json_string_value(json_object_get(json_array_get(msgs, i), "role"));
		if (role && strcmp(role, "assistant") == 0)
			break;
		if (role && strcmp(role, "tool") == 0)
			return 0;
	}
	*tool = first;
	return 0;
}

static int check_request(const json_t *req, const char **why)
{
	if (!json_is_object(req)) {
		*why = "the request body must be a JSON object";
		return SY_EINVAL;
	}
	const char *model = json_string_value(json_object_get(req, "model"));
	if (!model || !*model) {
		*why = "'model' must be a non-empty string";
		return SY_EINVAL;
	}
	json_t *msgs = json_object_get(req, "messages"), *m;
	size_t i;
	if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
		*why = "'messages' must be a non-empty array";
		return SY_EINVAL;
	}
	json_array_foreach(msgs, i, m)
	{
		if (!json_is_object(m) || !json_is_string(json_object_get(m, "role"))) {
			*why = "each message must be an object with a string 'role'";
			return SY_EINVAL;
		}
	}
	json_t *stream = json_object_get(req, "stream");
	if (stream && !json_is_boolean(stream) && !json_is_null(stream)) {
		*why = "'stream' must be a boolean";
		return SY_EINVAL;
	}
	return 0;
}

/* reply=echo: the text of the last user message with string content ("" if none). */
static const char *last_user_text(const json_t *msgs)
{
	const char *text = "";
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		const char *c = json_string_value(json_object_get(m, "content"));
		if (role && c && !strcmp(role, "user"))
			text = c;
	}
	return text;
}

int mock_plan_init(struct mock_plan *p, const json_t *req, const struct mock_opts *o,
                   const char *id, unsigned long tool_seq, const char **why)
{
	memset(p, 0, sizeof(*p));
	const json_t *tool;
	int rc = check_request(req, why);
	if (rc)
		return rc;
	rc = pick_tool(req, &tool, why);
	if (rc)
		return rc;
	unsigned limit = (unsigned)o->tokens;
	if (get_limit(req, "max_tokens", &limit) ||
	    get_limit(req, "max_completion_tokens", &limit)) {
		*why = "'max_tokens' and 'max_completion_tokens' must be positive integers";
		return SY_EINVAL;
	}
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->created = sy_unix_s();
	p->stream = json_is_true(json_object_get(req, "stream"));
	p->include_usage =
	    json_is_true(json_object_get(json_object_get(req, "stream_options"), "include_usage"));
	p->usage = !o->usage_none;
	p->ttft_ms = o->ttft_ms;
	p->tps = o->tps;
	p->model = strdup(json_string_value(json_object_get(req, "model")));
	if (!p->model)
		goto nomem;
	if (tool) {
		p->tool_name = strdup(
		    json_string_value(json_object_get(json_object_get(tool, "function"), "name")));
		p->tool_args = mock_tool_args(tool);
		if (!p->tool_name || !p->tool_args)
			goto nomem;
		snprintf(p->tool_id, sizeof(p->tool_id), "call_%lu", tool_seq);
		p->finish = "tool_calls";
		p->completion_tokens =
		    (unsigned)((strlen(p->tool_name) + strlen(p->tool_args) + 3) / 4);
	} else if (o->echo) {
		p->echo = strdup(last_user_text(json_object_get(req, "messages")));
		if (!p->echo)
			goto nomem;
		p->finish = "stop";
		p->completion_tokens = (unsigned)((strlen(p->echo) + 3) / 4);
	} else {
		p->ntokens = limit;
		p->finish = limit < (unsigned)o->tokens ? "length" : "stop";
		p->completion_tokens = p->ntokens;
	}
	p->completion_tokens += (unsigned)o->reasoning;
	p->reasoning_tokens = (unsigned)o->reasoning;
	p->cached_tokens = (unsigned)o->cached;
	p->prompt_tokens = mock_prompt_tokens(json_object_get(req, "messages"));
	if (p->prompt_tokens < p->cached_tokens)
		p->prompt_tokens = p->cached_tokens;
	return 0;
nomem:
	mock_plan_release(p);
	return -ENOMEM;
}

void mock_plan_think(struct mock_plan *p, const struct mock_opts *o)
{
	p->nthink = o->reasoning ? (unsigned)o->reasoning : MOCK_THINK_TOKENS;
	if (!o->reasoning) /* the option's tokens are counted already */
		p->completion_tokens += p->nthink;
	p->reasoning_tokens = p->nthink;
}

void mock_plan_release(struct mock_plan *p)
{
	free(p->model);
	free(p->tool_name);
	free(p->tool_args);
	free(p->echo);
	p->model = p->tool_name = p->tool_args = p->echo = NULL;
}

static json_t *usage_json(const struct mock_plan *p)
{
	return json_pack("{s:i,s:i,s:i,s:{s:i},s:{s:i}}", "prompt_tokens", (int)p->prompt_tokens,
	                 "completion_tokens", (int)p->completion_tokens, "total_tokens",
	                 (int)(p->prompt_tokens + p->completion_tokens), "prompt_tokens_details",
	                 "cached_tokens", (int)p->cached_tokens, "completion_tokens_details",
	                 "reasoning_tokens", (int)p->reasoning_tokens);
}

void mock_token_text(unsigned k, char *out, size_t outlen)
{
	snprintf(out, outlen, "%stok%u", k ? " " : "", k);
}

void mock_thought_text(unsigned k, char *out, size_t outlen)
{
	snprintf(out, outlen, "%sthought%u", k ? " " : "", k);
}

/* The common fields of a completion or chunk; choices and usage are added by the caller. */
static json_t *envelope(const struct mock_plan *p, const char *object)
{
	return json_pack("{s:s,s:s,s:I,s:s,s:s}", "id", p->id, "object", object, "created",
	                 (json_int_t)p->created, "model", p->model, "system_fingerprint",
	                 FINGERPRINT);
}

char *mock_reply_completion(const struct mock_plan *p)
{
	if (p->format == MOCK_ANTHROPIC)
		return mock_anthropic_message(p);
	if (p->format == MOCK_GEMINI)
		return mock_gemini_response(p);
	json_t *msg, *root = envelope(p, "chat.completion");
	if (p->tool_name) {
		msg = json_pack("{s:s,s:n,s:n,s:[{s:s,s:s,s:{s:s,s:s}}]}", "role", "assistant",
		                "content", "refusal", "tool_calls", "id", p->tool_id, "type",
		                "function", "function", "name", p->tool_name, "arguments",
		                p->tool_args);
	} else if (p->echo && p->format == MOCK_OPENAI) {
		msg =
		    json_pack("{s:s,s:s,s:n}", "role", "assistant", "content", p->echo, "refusal");
	} else {
		struct sy_buf text;
		char tok[32];
		sy_buf_init(&text, 0);
		for (unsigned k = 0; k < p->ntokens; k++) {
			mock_token_text(k, tok, sizeof(tok));
			sy_buf_puts(&text, tok);
		}
		msg = json_pack("{s:s,s:s,s:n}", "role", "assistant", "content",
		                text.data ? text.data : "", "refusal");
		sy_buf_release(&text);
	}
	if (p->nthink) { /* OpenAI-compatible thinking, as DeepSeek answers it */
		struct sy_buf th;
		char tok[32];
		sy_buf_init(&th, 0);
		for (unsigned k = 0; k < p->nthink; k++) {
			mock_thought_text(k, tok, sizeof(tok));
			sy_buf_puts(&th, tok);
		}
		json_object_set_new(msg, "reasoning_content", json_string(th.data ? th.data : ""));
		sy_buf_release(&th);
	}
	json_object_set_new(root, "choices",
	                    json_pack("[{s:i,s:o,s:n,s:s}]", "index", 0, "message", msg, "logprobs",
	                              "finish_reason", p->finish));
	if (p->usage)
		json_object_set_new(root, "usage", usage_json(p));
	char *s = sy_json_dump(root);
	json_decref(root);
	return s;
}

/* Content events: one per token, or the tool-call head plus its argument fragments (Gemini
 * sends a call whole, in one event). */
unsigned mock_content_events(const struct mock_plan *p)
{
	if (p->tool_name && p->format == MOCK_GEMINI)
		return 1;
	if (p->tool_name)
		return 1 + (strlen(p->tool_args) >= 6 ? 3 : 2);
	if (p->echo && p->format == MOCK_OPENAI)
		return (unsigned)((strlen(p->echo) + ECHO_PIECE - 1) / ECHO_PIECE);
	return p->ntokens;
}

unsigned mock_stream_nevents(const struct mock_plan *p)
{
	/* role, content..., finish, [usage], [DONE]; Anthropic's usage rides on message_delta
	 * (finish) and message_stop is its [DONE]; Gemini's stream just ends */
	if (p->format == MOCK_GEMINI)
		return p->refusal ? 1 : 1 + mock_content_events(p) + 1; /* a refusal is one event */
	bool usage = p->format == MOCK_OPENAI && p->include_usage && p->usage;
	return 1 + mock_content_events(p) + 1 + usage + 1;
}

enum mock_event mock_stream_kind(const struct mock_plan *p, unsigned i)
{
	unsigned m = mock_content_events(p);
	if (i == 0)
		return MOCK_EV_ROLE;
	if (i <= m)
		return MOCK_EV_CONTENT;
	if (i == m + 1)
		return MOCK_EV_FINISH;
	if (i + 1 < mock_stream_nevents(p))
		return MOCK_EV_USAGE;
	return MOCK_EV_DONE;
}

int64_t mock_stream_due_ms(const struct mock_plan *p, unsigned i)
{
	unsigned m = mock_content_events(p);
	if (i == 0 || p->tps <= 0)
		return p->ttft_ms;
	unsigned j = (i <= m ? i : m) - 1; /* content index; the tail follows the last one */
	return p->ttft_ms + (int64_t)j * 1000 / p->tps;
}

unsigned mock_stream_midpoint(const struct mock_plan *p)
{
	return 1 + (mock_content_events(p) + 1) / 2;
}

void mock_tool_fragment(const struct mock_plan *p, unsigned j, size_t *from, size_t *to)
{
	unsigned nfrag = mock_content_events(p) - 1;
	size_t len = strlen(p->tool_args);
	*from = len * (j - 1) / nfrag;
	*to = len * j / nfrag;
}

/* Where echo piece j starts: at j * ECHO_PIECE, moved past a character's continuation
 * bytes, so no piece splits a character. */
static size_t echo_start(const char *echo, unsigned j)
{
	size_t len = strlen(echo), at = (size_t)j * ECHO_PIECE;
	if (at >= len)
		return len;
	while (at < len && ((unsigned char)echo[at] & 0xC0) == 0x80)
		at++;
	return at;
}

/* The delta of content event j (0-based). */
static json_t *content_delta(const struct mock_plan *p, unsigned j)
{
	if (p->echo && p->format == MOCK_OPENAI) {
		size_t from = echo_start(p->echo, j), to = echo_start(p->echo, j + 1);
		return json_pack("{s:s%}", "content", p->echo + from, to - from);
	}
	if (!p->tool_name) {
		char tok[32];
		mock_token_text(j, tok, sizeof(tok));
		return json_pack("{s:s}", "content", tok);
	}
	if (j == 0)
		return json_pack("{s:[{s:i,s:s,s:s,s:{s:s,s:s}}]}", "tool_calls", "index", 0, "id",
		                 p->tool_id, "type", "function", "function", "name", p->tool_name,
		                 "arguments", "");
	size_t from, to;
	mock_tool_fragment(p, j, &from, &to);
	return json_pack("{s:[{s:i,s:{s:s%}}]}", "tool_calls", "index", 0, "function", "arguments",
	                 p->tool_args + from, to - from);
}

int mock_stream_event(const struct mock_plan *p, unsigned i, struct sy_buf *out)
{
	if (p->format == MOCK_ANTHROPIC)
		return mock_anthropic_event(p, i, out);
	if (p->format == MOCK_GEMINI)
		return mock_gemini_event(p, i, out);
	enum mock_event kind = mock_stream_kind(p, i);
	if (kind == MOCK_EV_DONE)
		return sy_buf_puts(out, "data: [DONE]\n\n");
	json_t *root = envelope(p, "chat.completion.chunk");
	json_t *delta = NULL;
	const char *finish = NULL;
	switch (kind) {
	case MOCK_EV_ROLE:
		delta = p->tool_name ? json_pack("{s:s,s:n}", "role", "assistant", "content")
		                     : json_pack("{s:s,s:s}", "role", "assistant", "content", "");
		break;
	case MOCK_EV_CONTENT:
		delta = content_delta(p, i - 1);
		break;
	case MOCK_EV_FINISH:
		delta = json_object();
		finish = p->finish;
		break;
	case MOCK_EV_USAGE:
	case MOCK_EV_DONE:
		break;
	}
	if (delta)
		json_object_set_new(root, "choices",
		                    json_pack("[{s:i,s:o,s:n,s:s?}]", "index", 0, "delta", delta,
		                              "logprobs", "finish_reason", finish));
	else
		json_object_set_new(root, "choices", json_array());
	if (kind == MOCK_EV_USAGE)
		json_object_set_new(root, "usage", usage_json(p));
	char *s = sy_json_dump(root);
	json_decref(root);
	if (!s)
		return -ENOMEM;
	int rc = sy_buf_printf(out, "data: %s\n\n", s);
	free(s);
	return rc;
}

char *mock_reply_error(const char *message, const char *type, const char *param, const char *code)
{
	json_t *root = json_pack("{s:{s:s,s:s,s:o,s:o}}", "error", "message", message, "type", type,
	                         "param", param ? json_string(param) : json_null(), "code",
	                         code ? json_string(code) : json_null());
	char *s = sy_json_dump(root);
	json_decref(root);
	return s;
}
