/* dp_embed.c - POST /embeddings: validation, the adapter's call, the answer. */
#include "dp_embed.h"
#include "dp_adapter.h"
#include "dp_route.h"
#include "sy_buf.h"
#include "sy_err.h"
#include "sy_jcheck.h"
#include "sy_json.h"
#include "sy_money.h"
#include "sy_prefs.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the request ------------------------------------------------------------------------- */

/* A token id array: non-empty, non-negative integers; adds its length to *tokens. */
static int check_tokens(const json_t *a, const char *what, size_t i, uint64_t *tokens,
                        struct sy_errmsg *e)
{
	if (!json_array_size(a))
		return sy_jcheck_bad(e, "%s must not be empty", what);
	size_t j;
	json_t *t;
	json_array_foreach(a, j, t)
	{
		if (!json_is_integer(t) || json_integer_value(t) < 0)
			return i == SIZE_MAX
			           ? sy_jcheck_bad(e,
			                           "input[%zu] must be a non-negative integer "
			                           "(a token id)",
			                           j)
			           : sy_jcheck_bad(e,
			                           "input[%zu][%zu] must be a non-negative integer "
			                           "(a token id)",
			                           i, j);
	}
	*tokens += json_array_size(a);
	return 0;
}

/* input: a string, strings, token ids or arrays of token ids; counts the inputs and the
 * prompt estimate (characters / 4 rounded up per string, one per token id). */
static int check_input(const json_t *in, struct dp_chat_req *req, uint64_t *est,
                       struct sy_errmsg *e)
{
	static const char shape[] = "input must be a string, an array of strings, an array of "
	                            "token ids or an array of token id arrays";
	if (!in)
		return sy_jcheck_bad(e, "input is required");
	if (json_is_string(in)) {
		if (!json_string_length(in))
			return sy_jcheck_bad(e, "input must not be an empty string");
		req->n_inputs = 1;
		*est = (sy_json_chars(in) + 3) / 4;
		return 0;
	}
	if (!json_is_array(in))
		return sy_jcheck_bad(e, "%s", shape);
	size_t n = json_array_size(in);
	if (!n)
		return sy_jcheck_bad(e, "input must not be an empty array");
	json_t *first = json_array_get(in, 0);
	if (json_is_integer(first)) { /* one token array */
		req->n_inputs = 1;
		return check_tokens(in, "input", SIZE_MAX, est, e);
	}
	if (n > DP_EMBED_MAX_INPUTS)
		return sy_jcheck_bad(e, "input may hold at most %d items", DP_EMBED_MAX_INPUTS);
	bool strings = json_is_string(first);
	size_t i;
	json_t *v;
	json_array_foreach(in, i, v)
	{
		char what[48];
		snprintf(what, sizeof(what), "input[%zu]", i);
		if (strings && json_is_string(v)) {
			if (!json_string_length(v))
				return sy_jcheck_bad(e, "%s must not be an empty string", what);
			*est += (sy_json_chars(v) + 3) / 4;
		} else if (!strings && json_is_array(v)) {
			int rc = check_tokens(v, what, i, est, e);
			if (rc)
				return rc;
		} else {
			return sy_jcheck_bad(e, "%s must be a %s like input[0] (%s)", what,
			                     strings ? "string" : "token id array", shape);
		}
	}
	req->n_inputs = n;
	return 0;
}

static int check_body(const json_t *body, struct dp_chat_req *req, uint64_t *est,
                      struct sy_errmsg *e)
{
	static const char *const known[] = {"model",           "input", "dimensions",
	                                    "encoding_format", "user",  "provider"};
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)body, k, v)
	{
		size_t i = 0;
		while (i < sizeof(known) / sizeof(known[0]) && strcmp(k, known[i]))
			i++;
		if (i == sizeof(known) / sizeof(known[0]))
			return sy_jcheck_bad(
			    e,
			    "%.64s is not supported by /embeddings (accepted: model, "
			    "input, dimensions, encoding_format, user, provider)",
			    k);
	}
	v = sy_jcheck_opt(body, "model");
	if (!json_is_string(v) || !json_string_length(v))
		return sy_jcheck_bad(e, "model is required: a non-empty string");
	req->model = json_string_value(v);
	req->models[req->n_models++] = req->model;
	int rc = check_input(sy_jcheck_opt(body, "input"), req, est, e);
	if (rc)
		return rc;
	v = sy_jcheck_opt(body, "dimensions");
	if (v && (!json_is_integer(v) || json_integer_value(v) <= 0))
		return sy_jcheck_bad(e, "dimensions must be a positive integer");
	req->dimensions = v ? json_integer_value(v) : 0;
	static const char *const formats[] = {"float", "base64", NULL};
	v = sy_jcheck_opt(body, "encoding_format");
	if (v && !sy_jcheck_one_of(v, formats))
		return sy_jcheck_bad(e, "encoding_format must be \"float\" or \"base64\"");
	req->base64 = v && !strcmp(json_string_value(v), "base64");
	v = sy_jcheck_opt(body, "user");
	if (v && !json_is_string(v))
		return sy_jcheck_bad(e, "user must be a string");
	req->user = json_string_value(v);
	v = sy_jcheck_opt(body, "provider");
	if (v && sy_prefs_check(v, e->s, e->n))
		return SY_EINVAL;
	req->provider = v;
	return 0;
}

int dp_embed_parse(const char *data, size_t len, struct dp_chat_req *req, char *err, size_t errlen)
{
	struct sy_errmsg e = {err, errlen};
	*req = (struct dp_chat_req){.max_tokens = -1, .embeddings = true};
	if (memchr(data, '\0', len))
		return sy_jcheck_bad(&e, "request body is not valid JSON: it holds a NUL byte");
	json_error_t jerr;
	json_t *body = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
	if (!body)
		return sy_jcheck_bad(&e, "request body is not valid JSON: %s (line %d, column %d)",
		                     jerr.text, jerr.line, jerr.column);
	req->body = body;
	uint64_t est = 0;
	int rc = json_is_object(body) ? check_body(body, req, &est, &e)
	                              : sy_jcheck_bad(&e, "request body must be a JSON object");
	if (rc) {
		dp_request_release(req);
		req->embeddings = true;
		return SY_EINVAL;
	}
	req->prompt_tokens_est = est < 1 ? 1 : est > UINT32_MAX ? UINT32_MAX : (uint32_t)est;
	return 0;
}

bool dp_embed_model(const Sy__Model *m)
{
	for (size_t i = 0; i < m->n_output_modalities; i++)
		if (!strcmp(m->output_modalities[i], "embeddings"))
			return true;
	return false;
}

int dp_embed_build(const struct dp_adapter *ad, const struct dp_chat_req *req,
                   const struct dp_route_target *t, struct dp_adapter_call *out, char *err,
                   size_t errlen)
{
	*out = (struct dp_adapter_call){0};
	if (!ad->embed_build)
		return dp_adapter_refuse(err, errlen,
		                         "Provider %s speaks the %s API, which has no embeddings",
		                         t->prov->slug, ad->name);
	return ad->embed_build(req, t, out, err, errlen);
}

/* ---- the answer -------------------------------------------------------------------------- */

void dp_embed_answer_release(struct dp_embed_answer *a)
{
	json_decref(a->vectors);
	a->vectors = NULL;
}

static bool all_numbers(const json_t *vec)
{
	size_t i;
	json_t *x;
	if (!json_array_size(vec))
		return false;
	json_array_foreach(vec, i, x)
	{
		if (!json_is_number(x))
			return false;
	}
	return true;
}

/* OpenAI's shape: data [{index, embedding [numbers]}] with every index in 0..n-1 once. */
static int read_openai(const json_t *root, size_t n, json_t *vectors)
{
	json_t *data = json_object_get(root, "data");
	if (json_array_size(data) != n)
		return SY_EPROTO;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(vectors, json_null()))
			return -ENOMEM;
	size_t i;
	json_t *d;
	json_array_foreach(data, i, d)
	{
		json_t *idx = json_object_get(d, "index");
		json_t *vec = json_object_get(d, "embedding");
		json_int_t k = idx ? json_integer_value(idx) : (json_int_t)i;
		if ((idx && !json_is_integer(idx)) || k < 0 || (size_t)k >= n ||
		    !json_is_null(json_array_get(vectors, (size_t)k)) || !all_numbers(vec))
			return SY_EPROTO;
		if (json_array_set(vectors, (size_t)k, vec))
			return -ENOMEM;
	}
	return 0;
}

int dp_embed_read(const struct dp_adapter *ad, const char *data, size_t len,
                  const struct dp_chat_req *req, struct dp_embed_answer *a)
{
	*a = (struct dp_embed_answer){0};
	struct sy_buf native;
	sy_buf_init(&native, 0);
	int rc = 0;
	if (ad->embed_answer) {
		rc = ad->embed_answer(data ? data : "", len, req, &native);
		data = native.data;
		len = native.len;
	}
	json_t *root = rc ? NULL : json_loadb(data ? data : "", len, 0, NULL);
	if (!rc && !json_is_object(root))
		rc = SY_EPROTO;
	if (!rc && !(a->vectors = json_array()))
		rc = -ENOMEM;
	if (!rc)
		rc = read_openai(root, req->n_inputs, a->vectors);
	if (!rc) {
		json_t *usage = json_object_get(root, "usage");
		json_t *pt = json_object_get(usage, "prompt_tokens");
		a->usage.from_provider = json_is_integer(pt);
		a->usage.tokens.prompt = a->usage.from_provider
		                             ? dp_adapter_count(usage, "prompt_tokens")
		                             : req->prompt_tokens_est;
		/* a whole answer: billed (chat's rule of no charge without completion tokens and
		 * finish is not for embeddings) */
		snprintf(a->usage.finish_reason, sizeof(a->usage.finish_reason), "stop");
	}
	json_decref(root);
	sy_buf_release(&native);
	if (rc)
		dp_embed_answer_release(a);
	return rc;
}

char *dp_embed_base64(const json_t *vec)
{
	size_t n = json_array_size(vec);
	unsigned char *bytes = malloc(n * 4 + 1);
	size_t b64len = sodium_base64_encoded_len(n * 4, sodium_base64_VARIANT_ORIGINAL);
	char *out = malloc(b64len);
	for (size_t i = 0; bytes && out && i < n; i++) {
		const json_t *x = json_array_get(vec, i);
		if (!json_is_number(x)) {
			free(out);
			out = NULL;
			break;
		}
		float f = (float)json_number_value(x);
		uint32_t u;
		memcpy(&u, &f, 4);
		for (int b = 0; b < 4; b++)
			bytes[i * 4 + (size_t)b] = (unsigned char)(u >> (8 * b));
	}
	if (bytes && out)
		sodium_bin2base64(out, b64len, bytes, n * 4, sodium_base64_VARIANT_ORIGINAL);
	else {
		free(out);
		out = NULL;
	}
	free(bytes);
	return out;
}

/* One data item: {"object":"embedding","index":i,"embedding":...}. */
static int put_item(struct sy_buf *b, size_t i, const json_t *vec, bool base64)
{
	char *v = base64 ? dp_embed_base64(vec) : sy_json_dump(vec);
	int rc =
	    v ? sy_buf_printf(b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":%s%s%s}",
	                      i ? "," : "", i, base64 ? "\"" : "", v, base64 ? "\"" : "")
	      : -ENOMEM;
	free(v);
	return rc;
}

/* s as a JSON string literal (malloc'ed; NULL when out of memory or s is not UTF-8). */
static char *quoted(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *out = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	return out;
}

char *dp_embed_finish(const struct dp_embed_answer *a, const struct dp_chat_req *req,
                      const struct dp_gen_info *g, sy_money cost)
{
	char *id = quoted(g->id), *model = quoted(g->model), *prov = quoted(g->provider_name);
	struct sy_buf b;
	sy_buf_init(&b, 0);
	int rc = id && model && prov
	             ? sy_buf_printf(&b, "{\"id\":%s,\"object\":\"list\",\"data\":[", id)
	             : -ENOMEM;
	for (size_t i = 0; !rc && i < json_array_size(a->vectors); i++)
		rc = put_item(&b, i, json_array_get(a->vectors, i), req->base64);
	if (!rc)
		rc = sy_buf_printf(&b, "],\"model\":%s,\"provider\":%s,\"usage\":", model, prov);
	if (!rc)
		rc = dp_usage_put(&b, &a->usage, cost);
	if (!rc)
		rc = sy_buf_printf(&b, "}");
	free(id);
	free(model);
	free(prov);
	if (rc) {
		sy_buf_release(&b);
		return NULL;
	}
	return b.data;
}
