/* dp_response.c - upstream answers rewritten into OpenRouter's response and chunk shapes. */
#include "dp_response.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *dp_finish_reason_normalise(const char *native)
{
	static const char *const map[][2] = {
	    /* OpenAI */
	    {"stop", "stop"},
	    {"length", "length"},
	    {"tool_calls", "tool_calls"},
	    {"content_filter", "content_filter"},
	    {"function_call", "tool_calls"},
	    {"error", "error"},
	    /* Anthropic */
	    {"end_turn", "stop"},
	    {"stop_sequence", "stop"},
	    {"pause_turn", "stop"},
	    {"max_tokens", "length"},
	    {"model_context_window_exceeded", "length"},
	    {"tool_use", "tool_calls"},
	    {"refusal", "content_filter"},
	    /* Gemini */
	    {"STOP", "stop"},
	    {"MAX_TOKENS", "length"},
	    {"SAFETY", "content_filter"},
	    {"RECITATION", "content_filter"},
	    {"BLOCKLIST", "content_filter"},
	    {"PROHIBITED_CONTENT", "content_filter"},
	    {"SPII", "content_filter"},
	    {"IMAGE_SAFETY", "content_filter"},
	};
	if (!native)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(native, map[i][0]))
			return map[i][1];
	return "stop";
}

static uint32_t tokens(const json_t *obj, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(obj, key));
	return v <= 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* OpenAI's usage object; Anthropic's cache_creation_input_tokens is accepted for writes. */
static void read_usage(const json_t *usage, struct dp_usage *u)
{
	const json_t *ptd = json_object_get(usage, "prompt_tokens_details");
	struct sy_tokens *t = &u->tokens;
	t->prompt = tokens(usage, "prompt_tokens");
	t->completion = tokens(usage, "completion_tokens");
	t->cached = tokens(ptd, "cached_tokens");
	t->cache_write = tokens(ptd, "cache_write_tokens");
	if (!t->cache_write)
		t->cache_write = tokens(ptd, "cache_creation_input_tokens");
	if (!t->cache_write)
		t->cache_write = tokens(usage, "cache_creation_input_tokens");
	t->reasoning =
	    tokens(json_object_get(usage, "completion_tokens_details"), "reasoning_tokens");
	u->from_provider = true;
}

static void set_finish(struct dp_usage *u, const char *native)
{
	snprintf(u->native_finish_reason, sizeof(u->native_finish_reason), "%s", native);
	snprintf(u->finish_reason, sizeof(u->finish_reason), "%s",
	         dp_finish_reason_normalise(native));
}

/* Completion characters in a message or a delta: text, reasoning and tool-call arguments. */
static size_t completion_chars(const json_t *m)
{
	size_t n = sy_json_chars(json_object_get(m, "content")) +
	           sy_json_chars(json_object_get(m, "reasoning")) +
	           sy_json_chars(json_object_get(m, "reasoning_content"));
	size_t i;
	json_t *call;
	json_array_foreach(json_object_get(m, "tool_calls"), i, call)
	{
		n += sy_json_chars(json_object_get(json_object_get(call, "function"), "arguments"));
	}
	return n;
}

static uint32_t chars_to_tokens(uint64_t chars)
{
	uint64_t t = (chars + 3) / 4;
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* choices must be an array of objects; *n receives its size. */
static bool choices_ok(const json_t *choices, size_t *n)
{
	size_t i;
	json_t *c;
	if (!json_is_array(choices))
		return false;
	json_array_foreach(choices, i, c)
	{
		if (!json_is_object(c))
			return false;
	}
	*n = json_array_size(choices);
	return true;
}

static bool has_error(const json_t *j)
{
	json_t *e = json_object_get(j, "error");
	return e && !json_is_null(e);
}

int dp_response_parse(const char *data, size_t len, json_t **out, struct dp_usage *u)
{
	*out = NULL;
	*u = (struct dp_usage){0};
	json_t *r = json_loadb(data, len, 0, NULL);
	json_t *choices = json_object_get(r, "choices");
	size_t n = 0;
	if (!json_is_object(r) || has_error(r) || !choices_ok(choices, &n) || !n) {
		json_decref(r);
		return SY_EPROTO;
	}
	json_t *usage = json_object_get(r, "usage");
	if (json_is_object(usage)) {
		read_usage(usage, u);
	} else {
		/* counted by the gateway: completion from the text; the caller knows the prompt */
		uint64_t chars = 0;
		size_t i;
		json_t *c;
		json_array_foreach(choices, i, c)
		{
			chars += completion_chars(json_object_get(c, "message"));
		}
		u->tokens.completion = chars_to_tokens(chars);
	}
	const char *native =
	    json_string_value(json_object_get(json_array_get(choices, 0), "finish_reason"));
	if (native)
		set_finish(u, native);
	*out = r;
	return 0;
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The fields every response and chunk carries. */
static void stamp(json_t *j, const struct dp_gen_info *g, const char *object)
{
	json_object_set_new(j, "id", string_or_null(g->id));
	json_object_set_new(j, "object", json_string(object));
	json_object_set_new(j, "created", json_integer(g->created));
	json_object_set_new(j, "model", string_or_null(g->model));
	json_object_set_new(j, "provider", string_or_null(g->provider_name));
}

/* finish_reason normalised, the provider's own in native_finish_reason; the native one
 * (NULL if none) is returned, valid while the choice lives. */
static const char *normalise_choice(json_t *choice)
{
	json_t *fr = json_object_get(choice, "finish_reason");
	if (!json_is_string(fr)) {
		json_object_set_new(choice, "finish_reason", json_null());
		json_object_set_new(choice, "native_finish_reason", json_null());
		return NULL;
	}
	/* keep the native value alive while finish_reason is replaced */
	json_incref(fr);
	json_object_set(choice, "native_finish_reason", fr);
	json_object_set_new(choice, "finish_reason",
	                    json_string(dp_finish_reason_normalise(json_string_value(fr))));
	json_decref(fr);
	return json_string_value(json_object_get(choice, "native_finish_reason"));
}

void dp_response_finish(json_t *resp, const struct dp_gen_info *g, const struct dp_usage *u,
                        sy_money cost)
{
	stamp(resp, g, "chat.completion");
	/* OpenRouter's SDK requires the key to exist */
	if (!json_object_get(resp, "system_fingerprint"))
		json_object_set_new(resp, "system_fingerprint", json_null());
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(resp, "choices"), i, c)
	{
		normalise_choice(c);
	}
	json_object_set_new(resp, "usage", dp_usage_json(u, cost));
}

json_t *dp_usage_json(const struct dp_usage *u, sy_money cost)
{
	const struct sy_tokens *t = &u->tokens;
	/* the upstream_inference_* costs are a BYOK key's own provider bill: 0 when not BYOK
	 * (OpenRouter's SDK requires the prompt and completions parts) */
	return json_pack(
	    "{s:I,s:I,s:I,s:f,s:b,s:{s:I,s:I},s:{s:I},s:{s:n,s:f,s:f}}", "prompt_tokens",
	    (json_int_t)t->prompt, "completion_tokens", (json_int_t)t->completion, "total_tokens",
	    (json_int_t)t->prompt + t->completion, "cost", sy_money_usd(cost), "is_byok", 0,
	    "prompt_tokens_details", "cached_tokens", (json_int_t)t->cached, "cache_write_tokens",
	    (json_int_t)t->cache_write, "completion_tokens_details", "reasoning_tokens",
	    (json_int_t)t->reasoning, "cost_details", "upstream_inference_cost",
	    "upstream_inference_prompt_cost", 0.0, "upstream_inference_completions_cost", 0.0);
}

static char *dump_owned(json_t *j)
{
	char *s = j ? sy_json_dump(j) : NULL;
	json_decref(j);
	return s;
}

int dp_stream_rewrite(const char *data, size_t len, const struct dp_gen_info *g,
                      struct dp_stream_state *st, char **out)
{
	*out = NULL;
	int rc = SY_EPROTO;
	json_t *c = json_loadb(data, len, 0, NULL);
	if (!json_is_object(c) || has_error(c))
		goto out;
	json_t *choices = json_object_get(c, "choices");
	size_t n = 0;
	if (choices && !choices_ok(choices, &n))
		goto out;
	json_t *usage = json_object_get(c, "usage");
	if (json_is_object(usage))
		read_usage(usage, &st->usage);
	/* our own usage chunk closes the stream; OpenAI also sends "usage": null */
	json_object_del(c, "usage");
	rc = 0;
	if (!n)
		goto out; /* nothing left for the client (usage only, or an empty preamble) */
	size_t i;
	json_t *choice;
	json_array_foreach(choices, i, choice)
	{
		const char *native = normalise_choice(choice);
		if (native) {
			st->saw_finish = true;
			set_finish(&st->usage, native);
		}
		json_t *delta = json_object_get(choice, "delta");
		size_t chars = completion_chars(delta);
		if (chars || json_array_size(json_object_get(delta, "tool_calls")))
			st->saw_content = true;
		uint64_t sum = (uint64_t)st->counted_chars + chars;
		st->counted_chars = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
	stamp(c, g, "chat.completion.chunk");
	*out = sy_json_dump(c);
	if (!*out)
		rc = -ENOMEM;
out:
	json_decref(c);
	return rc;
}

void dp_stream_fill_usage(struct dp_stream_state *st, uint32_t prompt_tokens_est)
{
	if (st->usage.from_provider)
		return;
	st->usage.tokens.prompt = prompt_tokens_est;
	st->usage.tokens.completion = chars_to_tokens(st->counted_chars);
}

char *dp_stream_usage_chunk(const struct dp_gen_info *g, const struct dp_usage *u, sy_money cost)
{
	json_t *c = json_object();
	if (!c)
		return NULL;
	stamp(c, g, "chat.completion.chunk");
	json_object_set_new(c, "choices", json_array());
	json_object_set_new(c, "usage", dp_usage_json(u, cost));
	return dump_owned(c);
}

char *dp_stream_error_chunk(const struct dp_gen_info *g, int code, const char *message,
                            const char *error_type)
{
	json_t *c = json_object();
	if (!c)
		return NULL;
	stamp(c, g, "chat.completion.chunk");
	json_object_set_new(c, "error",
	                    json_pack("{s:i,s:s,s:{s:o,s:o}}", "code", code, "message", message,
	                              "metadata", "error_type", string_or_null(error_type),
	                              "provider_name", string_or_null(g->provider_name)));
	json_object_set_new(c, "choices",
	                    json_pack("[{s:i,s:{s:s},s:s,s:s}]", "index", 0, "delta", "content", "",
	                              "finish_reason", "error", "native_finish_reason", "error"));
	return dump_owned(c);
}
