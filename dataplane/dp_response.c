/* dp_response.c - upstream answers rewritten into OpenRouter's response and chunk shapes.
 *
 * Answers and chunks are rewritten as text (dp_jtext): the members Switchyard sets are
 * written anew, everything else is copied byte for byte. Where a member is replaced it keeps
 * its place and new members go at the end, as jansson orders an object that is modified in
 * place; of duplicate members, the last one's value is read and written at the first one's
 * place. */
#include "dp_response.h"
#include "dp_errtype.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *dp_response_finish_reason(const char *native)
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

/* ---- reading ------------------------------------------------------------------------------ */

/* A token count: a non-negative integer, clamped to 32 bits; 0 for anything else (or for a
 * member that is absent: p NULL). */
static uint32_t tokens(const struct dp_jval *v)
{
	int64_t x;
	if (!v->p || !dp_jtext_int(v, &x) || x <= 0)
		return 0;
	return x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

/* obj's member key in *v, or NULL. */
static const struct dp_jval *member(const struct dp_jval *obj, const char *key, struct dp_jval *v)
{
	return dp_jtext_get(obj, key, v) ? v : NULL;
}

/* OpenAI's usage object; Anthropic's cache_creation_input_tokens is accepted for writes. */
static void read_usage(const struct dp_jval *usage, struct dp_response_usage *u)
{
	enum {
		PROMPT,
		COMPLETION,
		CREATION,
		PROMPT_DETAILS,
		COMPLETION_DETAILS,
		N
	};
	static const char *const names[N] = {"prompt_tokens", "completion_tokens",
	                                     "cache_creation_input_tokens", "prompt_tokens_details",
	                                     "completion_tokens_details"};
	static const char *const details[] = {"cached_tokens", "cache_write_tokens",
	                                      "cache_creation_input_tokens", "reasoning_tokens"};
	struct dp_jval v[N], pd[4], cd[4];
	dp_jtext_pick(usage, names, N, v);
	dp_jtext_pick(v[PROMPT_DETAILS].p ? &v[PROMPT_DETAILS] : NULL, details, 3, pd);
	dp_jtext_pick(v[COMPLETION_DETAILS].p ? &v[COMPLETION_DETAILS] : NULL, details + 3, 1, cd);
	struct sy_tokens *t = &u->tokens;
	t->prompt = tokens(&v[PROMPT]);
	t->completion = tokens(&v[COMPLETION]);
	t->cached = tokens(&pd[0]);
	t->cache_write = tokens(&pd[1]);
	if (!t->cache_write)
		t->cache_write = tokens(&pd[2]);
	if (!t->cache_write)
		t->cache_write = tokens(&v[CREATION]);
	t->reasoning = tokens(&cd[0]);
	u->from_provider = true;
}

static void set_finish(struct dp_response_usage *u, const char *native)
{
	snprintf(u->native_finish_reason, sizeof(u->native_finish_reason), "%s", native);
	snprintf(u->finish_reason, sizeof(u->finish_reason), "%s",
	         dp_response_finish_reason(native));
}

/* A choice's finish_reason decoded into native (64 bytes), or NULL when it is not a string;
 * the value itself in *fr when present. */
static const char *finish_of(const struct dp_jval *choice, struct dp_jval *fr, char *native)
{
	if (!dp_jtext_get(choice, "finish_reason", fr)) {
		fr->p = NULL;
		return NULL;
	}
	if (dp_jtext_kind(fr) != '"')
		return NULL;
	dp_jtext_str(fr, native, 64);
	return native;
}

/* Completion characters in a message or a delta (NULL: none): text, reasoning and tool-call
 * arguments. *calls is set when it has a non-empty tool_calls array. */
static size_t completion_chars(const struct dp_jval *m, bool *calls)
{
	static const char *const texts[] = {"content", "reasoning", "reasoning_content"};
	struct dp_jval v, call, fn;
	struct dp_jiter it;
	size_t n = 0;
	*calls = false;
	for (size_t i = 0; m && i < sizeof(texts) / sizeof(texts[0]); i++)
		if (dp_jtext_get(m, texts[i], &v))
			n += dp_jtext_chars(&v);
	if (!m || !dp_jtext_get(m, "tool_calls", &v) || dp_jtext_kind(&v) != '[')
		return n;
	dp_jtext_iter(&v, &it);
	while (dp_jtext_element(&it, &call)) {
		*calls = true;
		if (dp_jtext_get(&call, "function", &fn) && dp_jtext_get(&fn, "arguments", &v))
			n += dp_jtext_chars(&v);
	}
	return n;
}

static uint32_t chars_to_tokens(uint64_t chars)
{
	uint64_t t = (chars + 3) / 4;
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* The top-level members the rewrite reads (NULL when absent; the last of duplicates). */
struct top {
	const struct dp_jval *error, *choices, *usage;
	struct dp_jval v[3];
};

static void read_top(const struct dp_jval *root, struct top *t)
{
	static const char *const names[] = {"error", "choices", "usage"};
	dp_jtext_pick(root, names, 3, t->v);
	t->error = t->v[0].p ? &t->v[0] : NULL;
	t->choices = t->v[1].p ? &t->v[1] : NULL;
	t->usage = t->v[2].p ? &t->v[2] : NULL;
}

/* Not an answer: an error object, or choices that are not an array of objects; *n receives
 * the number of choices. */
static bool unusable(const struct top *t, size_t *n)
{
	struct dp_jiter it;
	struct dp_jval c;
	*n = 0;
	if (t->error && dp_jtext_kind(t->error) != 'n')
		return true;
	if (!t->choices)
		return false;
	if (dp_jtext_kind(t->choices) != '[')
		return true;
	dp_jtext_iter(t->choices, &it);
	while (dp_jtext_element(&it, &c)) {
		if (dp_jtext_kind(&c) != '{')
			return true;
		(*n)++;
	}
	return false;
}

int dp_response_parse(const char *data, size_t len, struct dp_response *r,
                      struct dp_response_usage *u)
{
	struct top t;
	struct dp_jiter it;
	struct dp_jval c, m, fr;
	size_t n;
	*u = (struct dp_response_usage){0};
	if (dp_jtext_check(data, len, &r->root) || dp_jtext_kind(&r->root) != '{')
		return SY_EPROTO;
	read_top(&r->root, &t);
	if (unusable(&t, &n) || !n)
		return SY_EPROTO;
	r->choices = *t.choices;
	if (t.usage && dp_jtext_kind(t.usage) == '{') {
		read_usage(t.usage, u);
	} else {
		/* counted by the gateway: completion from the text; the caller knows the prompt */
		uint64_t chars = 0;
		bool calls;
		dp_jtext_iter(t.choices, &it);
		while (dp_jtext_element(&it, &c))
			chars += completion_chars(member(&c, "message", &m), &calls);
		u->tokens.completion = chars_to_tokens(chars);
	}
	char native[64];
	dp_jtext_iter(t.choices, &it);
	if (dp_jtext_element(&it, &c) && finish_of(&c, &fr, native))
		set_finish(u, native);
	return 0;
}

/* ---- writing ------------------------------------------------------------------------------ */

struct out {
	struct sy_buf b;
	int rc;     /* the first append that failed */
	bool first; /* nothing in the current object yet */
};

static void put(struct out *o, const char *p, size_t n)
{
	if (!o->rc)
		o->rc = sy_buf_append(&o->b, p, n);
}

static void put_s(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_str(struct out *o, const char *s)
{
	if (!o->rc)
		o->rc = dp_jtext_put_str(&o->b, s);
}

static void open_object(struct out *o)
{
	put(o, "{", 1);
	o->first = true;
}

/* `,"key":` (no comma for an object's first member); key is one of our own names, which
 * need no escaping. */
static void put_key(struct out *o, const char *key)
{
	put(o, o->first ? "\"" : ",\"", o->first ? 1 : 2);
	o->first = false;
	put_s(o, key);
	put(o, "\":", 2);
}

static void put_member(struct out *o, const struct dp_jval *k, const struct dp_jval *v)
{
	if (!o->first)
		put(o, ",", 1);
	o->first = false;
	put(o, k->p, k->n);
	put(o, ":", 1);
	put(o, v->p, v->n);
}

/* A jansson value as JSON text (takes the reference; NULL = out of memory). */
static void put_json(struct out *o, json_t *j)
{
	char *s = j ? sy_json_dump(j) : NULL;
	json_decref(j);
	if (!s && !o->rc)
		o->rc = -ENOMEM;
	if (s)
		put_s(o, s);
	free(s);
}

/* The malloc'ed text, or NULL (freed) if an append failed. */
static char *out_text(struct out *o)
{
	if (!o->rc)
		return o->b.data;
	sy_buf_release(&o->b);
	return NULL;
}

/* The members every response and chunk carries, in the order they are added. */
static const char *const stamp_keys[] = {"id", "object", "created", "model", "provider"};
#define N_STAMPS (sizeof(stamp_keys) / sizeof(stamp_keys[0]))

static int stamp_index(const struct dp_jval *key)
{
	for (size_t i = 0; i < N_STAMPS; i++)
		if (dp_jtext_str_eq(key, stamp_keys[i]))
			return (int)i;
	return -1;
}

static void put_stamp(struct out *o, size_t i, const struct dp_gen_info *g, const char *object)
{
	char created[24];
	put_key(o, stamp_keys[i]);
	switch (i) {
	case 0:
		put_str(o, g->id);
		break;
	case 1:
		put_str(o, object);
		break;
	case 2:
		snprintf(created, sizeof(created), "%lld", (long long)g->created);
		put_s(o, created);
		break;
	case 3:
		put_str(o, g->model);
		break;
	default:
		put_str(o, g->provider_name);
	}
}

/* All the stamped members, for objects built from scratch. */
static void put_stamps(struct out *o, const struct dp_gen_info *g, const char *object)
{
	for (size_t i = 0; i < N_STAMPS; i++)
		put_stamp(o, i, g, object);
}

/* A choice with finish_reason normalised and the provider's own in native_finish_reason. */
static void put_choice(struct out *o, const struct dp_jval *choice)
{
	struct dp_jiter it;
	struct dp_jval k, v, fr;
	char buf[64];
	const char *native = finish_of(choice, &fr, buf);
	bool put_fr = false, put_native = false;
	open_object(o);
	dp_jtext_iter(choice, &it);
	while (dp_jtext_member(&it, &k, &v)) {
		if (dp_jtext_str_eq(&k, "finish_reason")) {
			if (!put_fr) {
				put_key(o, "finish_reason");
				put_str(o, dp_response_finish_reason(native));
			}
			put_fr = true;
		} else if (dp_jtext_str_eq(&k, "native_finish_reason")) {
			if (!put_native) {
				put_key(o, "native_finish_reason");
				put(o, native ? fr.p : "null", native ? fr.n : 4);
			}
			put_native = true;
		} else {
			put_member(o, &k, &v);
		}
	}
	if (!put_fr) {
		put_key(o, "finish_reason");
		put_s(o, "null");
	}
	if (!put_native) {
		put_key(o, "native_finish_reason");
		put(o, native ? fr.p : "null", native ? fr.n : 4);
	}
	put(o, "}", 1);
}

static void put_choices(struct out *o, const struct dp_jval *choices)
{
	struct dp_jiter it;
	struct dp_jval c;
	bool first = true;
	put(o, "[", 1);
	dp_jtext_iter(choices, &it);
	while (dp_jtext_element(&it, &c)) {
		if (!first)
			put(o, ",", 1);
		first = false;
		put_choice(o, &c);
	}
	put(o, "]", 1);
}

/* How an upstream object is rewritten. */
struct rewrite {
	const struct dp_gen_info *g;
	const char *object; /* "chat.completion" or "chat.completion.chunk" */
	const struct dp_response_usage
	    *usage; /* written with cost; NULL: the upstream's usage is dropped */
	sy_money cost;
	bool fingerprint; /* system_fingerprint: null is added when missing */
};

static void put_usage(struct out *o, const struct rewrite *rw)
{
	put_key(o, "usage");
	if (!o->rc)
		o->rc = dp_response_usage_put(&o->b, rw->usage, rw->cost);
}

static char *rewrite(const struct dp_jval *root, const struct dp_jval *choices,
                     const struct rewrite *rw)
{
	struct out o = {.rc = 0};
	struct dp_jiter it;
	struct dp_jval k, v;
	bool stamped[N_STAMPS] = {false}, put_us = false, put_ch = false, has_fp = false;
	sy_buf_init(&o.b, 0);
	/* the answer plus what is added, in one allocation */
	o.rc = sy_buf_reserve(&o.b, root->n + 1024);
	open_object(&o);
	dp_jtext_iter(root, &it);
	while (dp_jtext_member(&it, &k, &v)) {
		int i = stamp_index(&k);
		if (i >= 0) {
			if (!stamped[i])
				put_stamp(&o, (size_t)i, rw->g, rw->object);
			stamped[i] = true;
		} else if (dp_jtext_str_eq(&k, "usage")) {
			if (rw->usage && !put_us)
				put_usage(&o, rw);
			put_us = true;
		} else if (dp_jtext_str_eq(&k, "choices")) {
			if (!put_ch) {
				put_key(&o, "choices");
				put_choices(&o, choices);
			}
			put_ch = true;
		} else {
			has_fp |= dp_jtext_str_eq(&k, "system_fingerprint");
			put_member(&o, &k, &v);
		}
	}
	for (size_t i = 0; i < N_STAMPS; i++)
		if (!stamped[i])
			put_stamp(&o, i, rw->g, rw->object);
	/* OpenRouter's SDK requires the key to exist */
	if (rw->fingerprint && !has_fp) {
		put_key(&o, "system_fingerprint");
		put_s(&o, "null");
	}
	if (rw->usage && !put_us)
		put_usage(&o, rw);
	put(&o, "}", 1);
	return out_text(&o);
}

char *dp_response_finish(const struct dp_response *r, const struct dp_gen_info *g,
                         const struct dp_response_usage *u, sy_money cost)
{
	struct rewrite rw = {
	    .g = g, .object = "chat.completion", .usage = u, .cost = cost, .fingerprint = true};
	return rewrite(&r->root, &r->choices, &rw);
}

int dp_response_usage_put(struct sy_buf *b, const struct dp_response_usage *u, sy_money cost)
{
	const struct sy_tokens *t = &u->tokens;
	char usd[32], pusd[32], cusd[32];
	sy_money comp =
	    u->completion_cost > 0 && u->completion_cost <= cost ? u->completion_cost : 0;
	/* exact from the integer amount, and always with a fraction so it reads as a real */
	sy_money_format(cost, usd, sizeof(usd));
	sy_money_format(cost - comp, pusd, sizeof(pusd));
	sy_money_format(comp, cusd, sizeof(cusd));
	/* cost_details: what the endpoint's prices make of the prompt (with cache reads and
	 * writes and the request fee) and of the completion, adding up to cost;
	 * upstream_inference_cost is what the provider bills the org's own credential (BYOK: the
	 * whole cost; the org's charge here is the BYOK fee on it), null otherwise */
	return sy_buf_printf(b,
	                     "{\"prompt_tokens\":%" PRIu32 ",\"completion_tokens\":%" PRIu32
	                     ",\"total_tokens\":%" PRIu64 ",\"cost\":%s%s,\"is_byok\":%s,"
	                     "\"prompt_tokens_details\":{\"cached_tokens\":%" PRIu32
	                     ",\"cache_write_tokens\":%" PRIu32
	                     "},\"completion_tokens_details\":{\"reasoning_tokens\":%" PRIu32 "},"
	                     "\"cost_details\":{\"upstream_inference_cost\":%s%s,"
	                     "\"upstream_inference_prompt_cost\":%s%s,\"upstream_inference_"
	                     "completions_cost\":%s%s}}",
	                     t->prompt, t->completion, (uint64_t)t->prompt + t->completion, usd,
	                     strchr(usd, '.') ? "" : ".0", u->is_byok ? "true" : "false", t->cached,
	                     t->cache_write, t->reasoning, u->is_byok ? usd : "null",
	                     u->is_byok && !strchr(usd, '.') ? ".0" : "", pusd,
	                     strchr(pusd, '.') ? "" : ".0", cusd, strchr(cusd, '.') ? "" : ".0");
}

int dp_response_stream_rewrite(const char *data, size_t len, const struct dp_gen_info *g,
                               struct dp_response_stream *st, char **out)
{
	struct dp_jval root, c, fr, d;
	struct dp_jiter it;
	struct top t;
	size_t n;
	*out = NULL;
	if (dp_jtext_check(data, len, &root) || dp_jtext_kind(&root) != '{')
		return SY_EPROTO;
	read_top(&root, &t);
	if (unusable(&t, &n))
		return SY_EPROTO;
	if (t.usage && dp_jtext_kind(t.usage) == '{')
		read_usage(t.usage, &st->usage);
	if (!n)
		return 0; /* nothing left for the client (usage only, or an empty preamble) */
	dp_jtext_iter(t.choices, &it);
	while (dp_jtext_element(&it, &c)) {
		char native[64];
		bool calls;
		if (finish_of(&c, &fr, native)) {
			st->saw_finish = true;
			set_finish(&st->usage, native);
		}
		size_t chars = completion_chars(member(&c, "delta", &d), &calls);
		if (chars || calls)
			st->saw_content = true;
		uint64_t sum = (uint64_t)st->counted_chars + chars;
		st->counted_chars = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
	/* our own usage chunk closes the stream; OpenAI also sends "usage": null */
	struct rewrite rw = {.g = g, .object = "chat.completion.chunk"};
	*out = rewrite(&root, t.choices, &rw);
	return *out ? 0 : -ENOMEM;
}

void dp_response_stream_fill_usage(struct dp_response_stream *st, uint32_t prompt_tokens_est)
{
	if (st->usage.from_provider)
		return;
	st->usage.tokens.prompt = prompt_tokens_est;
	st->usage.tokens.completion = chars_to_tokens(st->counted_chars);
}

char *dp_response_usage_chunk(const struct dp_gen_info *g, const struct dp_response_usage *u,
                              sy_money cost)
{
	struct out o = {.rc = 0};
	sy_buf_init(&o.b, 0);
	open_object(&o);
	put_stamps(&o, g, "chat.completion.chunk");
	put_key(&o, "choices");
	put_s(&o, "[]");
	put_key(&o, "usage");
	if (!o.rc)
		o.rc = dp_response_usage_put(&o.b, u, cost);
	put(&o, "}", 1);
	return out_text(&o);
}

char *dp_response_error_chunk(const struct dp_gen_info *g, int code, const char *message,
                              const char *error_type)
{
	struct out o = {.rc = 0};
	sy_buf_init(&o.b, 0);
	open_object(&o);
	put_stamps(&o, g, "chat.completion.chunk");
	put_key(&o, "error");
	json_t *err = json_pack("{s:i,s:s,s:{s:s?}}", "code", code, "message", message, "metadata",
	                        "provider_name", g->provider_name);
	dp_errtype_set(json_object_get(err, "metadata"), error_type);
	put_json(&o, err);
	put_key(&o, "choices");
	put_json(&o, json_pack("[{s:i,s:{s:s},s:s,s:s}]", "index", 0, "delta", "content", "",
	                       "finish_reason", "error", "native_finish_reason", "error"));
	put(&o, "}", 1);
	return out_text(&o);
}
