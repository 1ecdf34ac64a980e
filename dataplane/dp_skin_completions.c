/* dp_skin_completions.c - OpenAI's legacy text completions as a client format
 * (POST /completions).
 *
 * The prompt (a string, or an array of one string) becomes one user turn of a chat request;
 * every other member (max_tokens, stop, temperature, stream, OpenRouter's additions...) is the
 * chat request's own and is checked there. echo, suffix, logprobs, best_of above 1 and batches
 * of prompts ask for what a chat endpoint cannot give and are refused by name. The answer
 * comes back as object "text_completion" with choices[].text, streamed or not; errors keep
 * OpenRouter's envelope (the same as chat's). */
#include "dp_adapter.h"
#include "dp_skin.h"
#include "sy_err.h"
#include "sy_jcheck.h"
#include "sy_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int refuse_member(const json_t *in, char *err, size_t errlen)
{
	json_t *v;
	if (json_is_true(json_object_get(in, "echo")))
		return dp_adapter_refuse(err, errlen,
		                         "echo is not supported: completions are served by chat "
		                         "models, which do not return the prompt");
	if ((v = json_object_get(in, "suffix")) && !json_is_null(v))
		return dp_adapter_refuse(err, errlen, "suffix (insertion) is not supported");
	if ((v = json_object_get(in, "logprobs")) && !json_is_null(v) && !json_is_false(v))
		return dp_adapter_refuse(err, errlen, "logprobs is not supported on /completions");
	if ((v = json_object_get(in, "best_of")) && !json_is_null(v) &&
	    !(json_is_integer(v) && json_integer_value(v) == 1))
		return dp_adapter_refuse(err, errlen, "best_of must be 1");
	if (json_object_get(in, "messages"))
		return dp_adapter_refuse(err, errlen,
		                         "messages belongs to /chat/completions; send prompt here");
	return 0;
}

static int request(const char *data, size_t len, const char *const *hdrs, void **state, char **out,
                   char *err, size_t errlen)
{
	(void)hdrs;
	(void)state;
	struct sy_errmsg e = {err, errlen};
	json_t *in = sy_jcheck_body(data, len, 0, &e);
	if (!in)
		return SY_EINVAL;
	json_t *prompt = json_object_get(in, "prompt");
	if (json_is_array(prompt) && json_array_size(prompt) == 1)
		prompt = json_array_get(prompt, 0);
	int rc = json_is_object(in)
	             ? refuse_member(in, err, errlen)
	             : dp_adapter_refuse(err, errlen, "request body must be a JSON object");
	if (!rc && !json_is_string(prompt))
		rc = dp_adapter_refuse(err, errlen,
		                       "prompt must be a string or an array of one string (token "
		                       "arrays and batches are not supported)");
	if (!rc) {
		json_t *body = json_copy(in);
		json_object_del(body, "prompt");
		json_object_del(body, "echo");
		json_object_del(body, "suffix");
		json_object_del(body, "logprobs");
		json_object_del(body, "best_of");
		json_object_set_new(body, "messages",
		                    json_pack("[{s:s,s:O}]", "role", "user", "content", prompt));
		*out = sy_json_dump(body);
		rc = *out ? 0 : -ENOMEM;
		json_decref(body);
	}
	json_decref(in);
	return rc;
}

/* The chat answer or chunk a (its choices turned by text) as a text completion. */
static char *text_completion(const char *json, bool chunk)
{
	json_t *a = json_loads(json, 0, NULL);
	json_t *choices = json_object_get(a, "choices");
	json_t *ch = json_array_get(choices, 0);
	if (!a)
		return NULL;
	json_object_set_new(a, "object", json_string("text_completion"));
	if (ch) {
		json_t *m = json_object_get(ch, chunk ? "delta" : "message");
		const char *text = json_string_value(json_object_get(m, "content"));
		json_t *c =
		    json_pack("{s:i,s:s,s:O?,s:n}", "index", 0, "text", text ? text : "",
		              "finish_reason", json_object_get(ch, "finish_reason"), "logprobs");
		json_t *native = json_object_get(ch, "native_finish_reason");
		if (c && native)
			json_object_set(c, "native_finish_reason", native);
		json_object_set_new(a, "choices", json_pack("[o]", c));
	}
	char *s = sy_json_dump(a);
	json_decref(a);
	return s;
}

static char *reply(void *state, int status, char *json)
{
	(void)state;
	if (status < 200 || status >= 300)
		return json;
	char *s = text_completion(json, false);
	free(json);
	return s;
}

static int stream(void *state, enum dp_skin_part part, const char *json, struct sy_buf *out)
{
	(void)state;
	if (part == DP_SKIN_ERROR)
		return sy_buf_printf(out, "data: %s\n\n", json) ? -ENOMEM : 0;
	char *s = text_completion(json, part == DP_SKIN_CHUNK);
	int rc = !s || sy_buf_printf(out, "data: %s\n\n", s) ? -ENOMEM : 0;
	free(s);
	if (!rc && part == DP_SKIN_END && sy_buf_puts(out, "data: [DONE]\n\n"))
		rc = -ENOMEM;
	return rc;
}

const struct dp_skin dp_skin_completions = {
    .name = "completions",
    .request = request,
    .reply = reply,
    .stream = stream,
};
