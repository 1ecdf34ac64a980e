/* dp_debug.c - the debug chunk of a streamed answer. */
#include "dp_debug.h"
#include "sy_err.h"
#include "sy_json.h"

#include <stdio.h>
#include <string.h>

int dp_debug_check(const json_t *body, bool stream, char *err, size_t errlen)
{
	json_t *d = json_object_get(body, "debug");
	const char *k;
	json_t *v;
	if (!d || json_is_null(d))
		return 0;
	if (!json_is_object(d)) {
		snprintf(err, errlen, "debug must be an object: {\"echo_upstream_body\": true}");
		return SY_EINVAL;
	}
	json_object_foreach(d, k, v)
	{
		if (strcmp(k, "echo_upstream_body")) {
			snprintf(err, errlen,
			         "debug.%.64s is not a debug option (only echo_upstream_body)", k);
			return SY_EINVAL;
		}
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "debug.echo_upstream_body must be a boolean");
			return SY_EINVAL;
		}
		if (json_is_true(v) && !stream) {
			snprintf(
			    err, errlen,
			    "debug.echo_upstream_body works only with stream: true (the body is "
			    "echoed in the stream's first chunk)");
			return SY_EINVAL;
		}
	}
	return 0;
}

bool dp_debug_echo(const struct dp_chat_req *req)
{
	return json_is_true(
	    json_object_get(json_object_get(req->body, "debug"), "echo_upstream_body"));
}

char *dp_debug_chunk(const struct dp_gen_info *g, const char *body, size_t len)
{
	json_t *up = json_loadb(body, len, 0, NULL);
	if (!up)
		return NULL;
	json_t *c =
	    json_pack("{s:s,s:s,s:I,s:s,s:s,s:[],s:{s:o}}", "id", g->id, "object",
	              "chat.completion.chunk", "created", (json_int_t)g->created, "model", g->model,
	              "provider", g->provider_name, "choices", "debug", "echo_upstream_body", up);
	char *s = c ? sy_json_dump(c) : NULL;
	json_decref(c);
	return s;
}
