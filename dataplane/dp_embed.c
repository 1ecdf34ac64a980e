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
		/* the name, cut to 64 bytes on a character boundary (the message must be UTF-8) */
		size_t n = strlen(k) < 64 ? strlen(k) : 64;
		while (n && k[n] && ((unsigned char)k[n] & 0xC0) == 0x80)
			n--;
		if (i == sizeof(known) / sizeof(known[0]))
			return sy_jcheck_bad(
			    e,
			    "%.*s is not supported by /embeddings (accepted: model, "
			    "input, dimensions, encoding_format, user, provider)",
			    (int)n, k);
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
	json_t *body = sy_jcheck_body(data, len, JSON_DECODE_ANY, &e);
	if (!body)
		return SY_EINVAL;
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

/* Answers are read and written as text (dp_jtext), not as jansson trees: a vector's numbers
 * go to the client as the provider wrote them, and a batch of large vectors costs one scan. */

void dp_embed_answer_release(struct dp_embed_answer *a)
{
	free(a->vectors);
	sy_buf_release(&a->own);
	a->vectors = NULL;
	a->n = 0;
}

static bool is_number(const struct dp_jval *v)
{
	char k = dp_jtext_kind(v);
	return k == '-' || (k >= '0' && k <= '9');
}

/* A non-empty array of numbers. */
static bool numbers(const struct dp_jval *v)
{
	struct dp_jiter it;
	struct dp_jval x;
	size_t n = 0;
	if (dp_jtext_kind(v) != '[')
		return false;
	dp_jtext_iter(v, &it);
	while (dp_jtext_element(&it, &x)) {
		if (!is_number(&x))
			return false;
		n++;
	}
	return n > 0;
}

/* OpenAI's shape: data [{index, embedding [numbers]}] with every index in 0..n-1 once (an
 * item without index is at its position). */
static int read_data(const struct dp_jval *root, struct dp_embed_answer *a)
{
	static const char *const names[] = {"index", "embedding"};
	struct dp_jval data, item, m[2];
	struct dp_jiter it;
	size_t i = 0;
	if (!dp_jtext_get(root, "data", &data) || dp_jtext_kind(&data) != '[')
		return SY_EPROTO;
	dp_jtext_iter(&data, &it);
	for (; dp_jtext_element(&it, &item); i++) {
		int64_t k = (int64_t)i;
		dp_jtext_pick(&item, names, 2, m);
		if ((m[0].p && !dp_jtext_int(&m[0], &k)) || k < 0 || (uint64_t)k >= a->n ||
		    a->vectors[k].p || !m[1].p || !numbers(&m[1]))
			return SY_EPROTO;
		a->vectors[k] = m[1];
	}
	return i == a->n ? 0 : SY_EPROTO;
}

int dp_embed_read(const struct dp_adapter *ad, const char *data, size_t len,
                  const struct dp_chat_req *req, struct dp_embed_answer *a)
{
	*a = (struct dp_embed_answer){.n = req->n_inputs};
	sy_buf_init(&a->own, 0);
	int rc = 0;
	if (ad->embed_answer) {
		rc = ad->embed_answer(data ? data : "", len, req, &a->own);
		data = a->own.data;
		len = a->own.len;
	}
	struct dp_jval root, usage, pt;
	if (!rc && (dp_jtext_check(data ? data : "", len, &root) || dp_jtext_kind(&root) != '{'))
		rc = SY_EPROTO;
	if (!rc && !(a->vectors = calloc(a->n ? a->n : 1, sizeof(*a->vectors))))
		rc = -ENOMEM;
	if (!rc)
		rc = read_data(&root, a);
	if (rc) {
		dp_embed_answer_release(a);
		return rc;
	}
	int64_t v = 0;
	a->usage.from_provider = dp_jtext_get(&root, "usage", &usage) &&
	                         dp_jtext_get(&usage, "prompt_tokens", &pt) &&
	                         dp_jtext_int(&pt, &v);
	a->usage.tokens.prompt = !a->usage.from_provider ? req->prompt_tokens_est
	                         : v < 0                 ? 0
	                         : v > UINT32_MAX        ? UINT32_MAX
	                                                 : (uint32_t)v;
	/* a whole answer: billed (chat's rule of no charge without completion tokens and finish
	 * is not for embeddings) */
	snprintf(a->usage.finish_reason, sizeof(a->usage.finish_reason), "stop");
	return 0;
}

char *dp_embed_base64(const struct dp_jval *vec)
{
	struct dp_jiter it;
	struct dp_jval x;
	size_t n = 0;
	if (!numbers(vec))
		return NULL;
	dp_jtext_iter(vec, &it);
	while (dp_jtext_element(&it, &x))
		n++;
	unsigned char *bytes = malloc(n * 4);
	size_t b64len = sodium_base64_encoded_len(n * 4, sodium_base64_VARIANT_ORIGINAL);
	char *out = bytes ? malloc(b64len) : NULL;
	if (out) {
		dp_jtext_iter(vec, &it);
		for (size_t i = 0; dp_jtext_element(&it, &x); i++) {
			/* a number's text ends at its ',' or ']', which strtod does not take */
			float f = (float)strtod(x.p, NULL);
			uint32_t u;
			memcpy(&u, &f, 4);
			for (int b = 0; b < 4; b++)
				bytes[i * 4 + (size_t)b] = (unsigned char)(u >> (8 * b));
		}
		sodium_bin2base64(out, b64len, bytes, n * 4, sodium_base64_VARIANT_ORIGINAL);
	}
	free(bytes);
	return out;
}

/* One data item: {"object":"embedding","index":i,"embedding":...}. */
static int put_item(struct sy_buf *b, size_t i, const struct dp_jval *vec, bool base64)
{
	int rc = sy_buf_printf(
	    b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", i ? "," : "", i);
	if (!rc && base64) {
		char *s = dp_embed_base64(vec);
		rc = s ? sy_buf_printf(b, "\"%s\"}", s) : -ENOMEM;
		free(s);
	} else if (!rc) {
		rc = sy_buf_append(b, vec->p, vec->n);
		if (!rc)
			rc = sy_buf_puts(b, "}");
	}
	return rc;
}

char *dp_embed_finish(const struct dp_embed_answer *a, const struct dp_chat_req *req,
                      const struct dp_gen_info *g, sy_money cost)
{
	struct sy_buf b;
	sy_buf_init(&b, 0);
	int rc = sy_buf_puts(&b, "{\"id\":");
	if (!rc)
		rc = dp_jtext_put_str(&b, g->id);
	if (!rc)
		rc = sy_buf_puts(&b, ",\"object\":\"list\",\"data\":[");
	for (size_t i = 0; !rc && i < a->n; i++)
		rc = put_item(&b, i, &a->vectors[i], req->base64);
	if (!rc)
		rc = sy_buf_puts(&b, "],\"model\":");
	if (!rc)
		rc = dp_jtext_put_str(&b, g->model);
	if (!rc)
		rc = sy_buf_puts(&b, ",\"provider\":");
	if (!rc)
		rc = dp_jtext_put_str(&b, g->provider_name);
	if (!rc)
		rc = sy_buf_puts(&b, ",\"usage\":");
	if (!rc)
		rc = dp_response_usage_put(&b, &a->usage, cost);
	if (!rc)
		rc = sy_buf_puts(&b, "}");
	if (rc) {
		sy_buf_release(&b);
		return NULL;
	}
	return b.data;
}
