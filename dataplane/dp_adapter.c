/* dp_adapter.c - choosing an adapter, and what the adapters share. */
#include "dp_adapter.h"
#include "dp_reasoning.h"
#include "dp_route.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct dp_adapter *dp_adapter_find(const char *name)
{
	static const struct dp_adapter *const all[] = {&dp_adapter_openai, &dp_adapter_anthropic,
	                                               &dp_adapter_gemini};
	if (!name || !name[0])
		return &dp_adapter_openai;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

void dp_adapter_call_release(struct dp_adapter_call *c)
{
	free(c->url);
	free(c->body);
	*c = (struct dp_adapter_call){0};
}

void dp_adapter_stream_init(struct dp_adapter_stream *st, const struct dp_chat_req *req)
{
	*st = (struct dp_adapter_stream){.block = -1,
	                                 .exclude_reasoning = dp_reasoning_excluded(req)};
}

bool dp_adapter_is_context_length(const char *body, size_t len)
{
	static const char *const words[] = {
	    "context_length", "context length", "context window", "maximum context",
	    /* Anthropic: "prompt is too long: 208310 tokens > 200000 maximum" */
	    "prompt is too long",
	    /* Google: "The input token count (...) exceeds the maximum number of tokens" */
	    "input token count"};
	if (!body || !len)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (memmem(body, len, words[i], strlen(words[i])))
			return true;
	/* the cheap test above is case-sensitive; the wordings vary in case */
	char *copy = strndup(body, len);
	bool hit = false;
	for (size_t i = 0; copy && !hit && i < sizeof(words) / sizeof(words[0]); i++)
		hit = strcasestr(copy, words[i]) != NULL;
	free(copy);
	return hit;
}

enum dp_adapter_fault dp_adapter_classify_http(long status, const char *body, size_t len)
{
	if (status == 429)
		return DP_FAULT_RATE_LIMITED;
	if (status == 400 && dp_adapter_is_context_length(body, len))
		return DP_FAULT_CONTEXT_LENGTH;
	if (status == 400 || status == 413 || status == 422)
		return DP_FAULT_CLIENT;
	return DP_FAULT_PROVIDER;
}

char *dp_adapter_url(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	char *url = malloc(n + strlen(path) + 1);
	if (url)
		sprintf(url, "%.*s%s", (int)n, base, path);
	return url;
}

bool dp_adapter_dropped(const char *const *drop, const char *name)
{
	for (; drop && *drop; drop++)
		if (!strcmp(*drop, name))
			return true;
	return false;
}

json_t *dp_adapter_param(const struct dp_chat_req *req, const char *const *drop, const char *name)
{
	json_t *v = json_object_get(req->body, name);
	return !v || json_is_null(v) || dp_adapter_dropped(drop, name) ? NULL : v;
}

uint32_t dp_adapter_max_tokens(const struct dp_chat_req *req, const struct dp_route_target *t)
{
	if (req->max_tokens > 0)
		return req->max_tokens > UINT32_MAX ? UINT32_MAX : (uint32_t)req->max_tokens;
	if (t->ep->has_max_completion_tokens && t->ep->max_completion_tokens)
		return t->ep->max_completion_tokens;
	return DP_ADAPTER_MAX_TOKENS;
}

uint32_t dp_adapter_reasoning_budget(const struct dp_chat_req *req, const char *const *drop,
                                     uint32_t max_tokens, uint32_t min_budget, bool *off)
{
	static const struct {
		const char *effort;
		uint32_t percent;
	} shares[] = {{"xhigh", 95}, {"high", 80}, {"medium", 50}, {"low", 20}, {"minimal", 10}};
	json_t *r = dp_adapter_param(req, drop, "reasoning");
	const char *effort = json_string_value(json_object_get(r, "effort"));
	json_t *budget = json_object_get(r, "max_tokens");
	json_t *enabled = json_object_get(r, "enabled");
	json_t *legacy = dp_adapter_param(req, drop, "reasoning_effort");
	/* OpenRouter's older switch: include_reasoning true asks for reasoning as {} does */
	json_t *include = dp_adapter_param(req, drop, "include_reasoning");
	*off = false;
	if (!effort && json_is_string(legacy))
		effort = json_string_value(legacy);
	if (json_is_false(enabled) || (effort && !strcmp(effort, "none"))) {
		*off = true;
		return 0;
	}
	uint64_t b = 0;
	if (json_is_integer(budget) && json_integer_value(budget) > 0) {
		b = (uint64_t)json_integer_value(budget);
	} else if (effort || json_is_true(enabled) || json_is_object(r) || json_is_true(include)) {
		uint32_t percent = 50; /* enabled without an effort: medium, as OpenRouter */
		for (size_t i = 0; effort && i < sizeof(shares) / sizeof(shares[0]); i++)
			if (!strcmp(effort, shares[i].effort))
				percent = shares[i].percent;
		b = (uint64_t)max_tokens * percent / 100;
	} else {
		return 0;
	}
	if (b < min_budget)
		b = min_budget;
	return b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

bool dp_adapter_data_url(const char *url, char *mime, size_t mimelen, const char **data)
{
	if (!url || strncmp(url, "data:", 5))
		return false;
	const char *semi = strchr(url + 5, ';');
	const char *comma = strchr(url + 5, ',');
	if (!semi || !comma || semi > comma || strncmp(semi, ";base64,", 8) ||
	    (size_t)(semi - url - 5) >= mimelen || semi == url + 5)
		return false;
	snprintf(mime, mimelen, "%.*s", (int)(semi - url - 5), url + 5);
	*data = comma + 1;
	return true;
}

json_t *dp_adapter_usage(uint32_t prompt, uint32_t completion, uint32_t cached,
                         uint32_t cache_write, uint32_t reasoning)
{
	return json_pack("{s:I,s:I,s:I,s:{s:I,s:I},s:{s:I}}", "prompt_tokens", (json_int_t)prompt,
	                 "completion_tokens", (json_int_t)completion, "total_tokens",
	                 (json_int_t)prompt + completion, "prompt_tokens_details", "cached_tokens",
	                 (json_int_t)cached, "cache_write_tokens", (json_int_t)cache_write,
	                 "completion_tokens_details", "reasoning_tokens", (json_int_t)reasoning);
}

int dp_adapter_emit(json_t *j, dp_adapter_chunk_fn *fn, void *arg)
{
	char *s = j ? sy_json_dump(j) : NULL;
	json_decref(j);
	if (!s)
		return -ENOMEM;
	int rc = fn(s, strlen(s), arg);
	free(s);
	return rc;
}

json_t *dp_adapter_chunk(json_t *delta, const char *finish)
{
	return json_pack("{s:[{s:i,s:o,s:s?}]}", "choices", "index", 0, "delta",
	                 delta ? delta : json_object(), "finish_reason", finish);
}

int dp_adapter_refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return SY_EINVAL;
}

void dp_adapter_add_turn(json_t *turns, const char *key, const char *role, json_t *items)
{
	json_t *last = json_array_get(turns, json_array_size(turns) - 1);
	const char *last_role = json_string_value(json_object_get(last, "role"));
	if (last_role && !strcmp(last_role, role)) {
		json_array_extend(json_object_get(last, key), items);
		json_decref(items);
		return;
	}
	json_array_append_new(turns, json_pack("{s:s,s:o}", "role", role, key, items));
}

void dp_adapter_user_hash(const char *user, char hex[33])
{
	unsigned char h[16];
	crypto_generichash(h, sizeof(h), (const unsigned char *)user, strlen(user), NULL, 0);
	sodium_bin2hex(hex, 33, h, sizeof(h));
}

uint32_t dp_adapter_count(const json_t *usage, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(usage, name));
	return v <= 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}
