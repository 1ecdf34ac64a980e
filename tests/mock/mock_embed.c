/* mock_embed.c - deterministic embeddings in OpenAI's and Gemini's formats. */
#include "mock_embed.h"
#include "sy_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

double mock_embed_value(const char *s, size_t n, unsigned j)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, 64 bits */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	h ^= (uint64_t)j * 0x9E3779B97F4A7C15ULL; /* then one splitmix64 round per component */
	h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
	h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
	h ^= h >> 31;
	return (double)((int)(h % 2048) - 1024) / 1024.0;
}

/* The vector of one input (a string or a token id array); adds its tokens to *tokens. */
static json_t *vector(const json_t *in, unsigned dims, unsigned *tokens)
{
	char *dump = json_is_string(in) ? NULL : sy_json_dump(in);
	const char *s = dump ? dump : json_string_value(in);
	size_t n = dump ? strlen(dump) : json_string_length(in);
	if (json_is_string(in)) {
		size_t chars = sy_json_chars(in);
		*tokens += chars ? (unsigned)((chars + 3) / 4) : 1;
	} else {
		*tokens += (unsigned)json_array_size(in);
	}
	json_t *v = s ? json_array() : NULL;
	for (unsigned j = 0; v && j < dims; j++)
		json_array_append_new(v, json_real(mock_embed_value(s, n, j)));
	free(dump);
	return v;
}

static bool is_input(const json_t *v)
{
	if (json_is_string(v))
		return json_string_length(v) > 0;
	size_t i;
	json_t *t;
	if (!json_array_size(v))
		return false;
	json_array_foreach(v, i, t)
	{
		if (!json_is_integer(t))
			return false;
	}
	return true;
}

/* dims from a dimensions member: absent = the default; *ok false when invalid. */
static unsigned dims_of(const json_t *d, bool *ok)
{
	if (!d || json_is_null(d))
		return MOCK_EMBED_DIMS;
	json_int_t n = json_integer_value(d);
	*ok = *ok && json_is_integer(d) && n > 0 && n <= MOCK_EMBED_DIMS_MAX;
	return (unsigned)n;
}

static char *openai(const json_t *req, const char *model, const char **why)
{
	const json_t *in = json_object_get(req, "input");
	bool ok = true;
	unsigned dims = dims_of(json_object_get(req, "dimensions"), &ok), tokens = 0;
	const json_t *fmt = json_object_get(req, "encoding_format");
	if (!ok) {
		*why = "dimensions must be an integer from 1 to 4096";
		return NULL;
	}
	if (fmt && !(json_is_string(fmt) && !strcmp(json_string_value(fmt), "float"))) {
		*why = "the mock answers encoding_format \"float\" only";
		return NULL;
	}
	/* one input (a string or token ids) or a list of them */
	bool single = is_input(in) && !(json_is_array(in) && json_is_array(json_array_get(in, 0)));
	json_t *list = single ? json_pack("[O]", in) : json_incref((json_t *)in);
	json_t *data = json_array();
	size_t i;
	json_t *v;
	if (!json_array_size(list))
		ok = false;
	json_array_foreach(list, i, v)
	{
		json_t *vec = is_input(v) ? vector(v, dims, &tokens) : NULL;
		ok = ok && vec;
		json_array_append_new(data, json_pack("{s:s,s:I,s:o?}", "object", "embedding",
		                                      "index", (json_int_t)i, "embedding", vec));
	}
	json_decref(list);
	if (!ok) {
		json_decref(data);
		*why = "input must be a non-empty string, token id array, or array of them";
		return NULL;
	}
	json_t *res = json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}", "object", "list", "data", data,
	                        "model", model, "usage", "prompt_tokens", (json_int_t)tokens,
	                        "total_tokens", (json_int_t)tokens);
	char *out = res ? sy_json_dump(res) : NULL;
	json_decref(res);
	return out;
}

/* One EmbedContentRequest's vector ({"values": [...]}); NULL with *why. */
static json_t *gemini_one(const json_t *r, unsigned *tokens, const char **why)
{
	const json_t *parts = json_object_get(json_object_get(r, "content"), "parts");
	const json_t *text = json_object_get(json_array_get(parts, 0), "text");
	bool ok = true;
	unsigned dims = dims_of(json_object_get(r, "outputDimensionality"), &ok);
	if (json_array_size(parts) != 1 || !json_is_string(text) || !ok) {
		*why = "content.parts must be one text part; outputDimensionality 1 to 4096";
		return NULL;
	}
	json_t *vec = vector(text, dims, tokens);
	return vec ? json_pack("{s:o}", "values", vec) : NULL;
}

static char *gemini(bool batch, const json_t *req, const char **why)
{
	unsigned tokens = 0;
	json_t *res = NULL;
	if (!batch) {
		json_t *one = gemini_one(req, &tokens, why);
		res = one ? json_pack("{s:o}", "embedding", one) : NULL;
	} else {
		const json_t *rs = json_object_get(req, "requests");
		json_t *list = json_array_size(rs) ? json_array() : NULL;
		size_t i;
		json_t *r;
		json_array_foreach(rs, i, r)
		{
			json_t *one = list ? gemini_one(r, &tokens, why) : NULL;
			if (!one) {
				json_decref(list);
				list = NULL;
				break;
			}
			json_array_append_new(list, one);
		}
		if (!list && !*why)
			*why = "requests must be a non-empty array";
		res = list ? json_pack("{s:o}", "embeddings", list) : NULL;
	}
	if (res)
		json_object_set_new(res, "usageMetadata",
		                    json_pack("{s:I,s:I}", "promptTokenCount", (json_int_t)tokens,
		                              "totalTokenCount", (json_int_t)tokens));
	char *out = res ? sy_json_dump(res) : NULL;
	json_decref(res);
	return out;
}

char *mock_embed_answer(enum mock_format f, bool batch, const json_t *req, const char *model,
                        const char **why)
{
	*why = NULL;
	return f == MOCK_GEMINI ? gemini(batch, req, why) : openai(req, model, why);
}
