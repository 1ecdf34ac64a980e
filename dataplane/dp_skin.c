/* dp_skin.c - the chat skin (the identity) and what the skins share. */
#include "dp_skin.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct dp_skin dp_skin_chat = {.name = "chat"};

char *dp_skin_reply(const struct dp_skin *s, void *state, int status, char *json)
{
	if (!s || !s->reply || !json)
		return json;
	return s->reply(state, status, json);
}

int dp_skin_stream(const struct dp_skin *s, void *state, enum dp_skin_part part, const char *json,
                   struct sy_buf *out)
{
	if (s && s->stream)
		return s->stream(state, part, json, out);
	if (sy_buf_printf(out, "data: %s\n\n", json))
		return -ENOMEM;
	return part == DP_SKIN_END && sy_buf_puts(out, "data: [DONE]\n\n") ? -ENOMEM : 0;
}

void dp_skin_error_parts(const char *json, int fallback, int *status, char *message, size_t msglen,
                         char *error_type, size_t typelen)
{
	json_t *j = json ? json_loads(json, 0, NULL) : NULL;
	json_t *e = json_object_get(j, "error");
	json_t *code = json_object_get(e, "code");
	const char *m = json_string_value(json_object_get(e, "message"));
	/* the specific reason (insufficient_credits) when there is one, else OpenRouter's type */
	json_t *meta = json_object_get(e, "metadata");
	const char *t = json_string_value(json_object_get(meta, "reason"));
	if (!t)
		t = json_string_value(json_object_get(meta, "error_type"));
	*status = json_is_integer(code) ? (int)json_integer_value(code) : fallback;
	snprintf(message, msglen, "%s", m ? m : "");
	snprintf(error_type, typelen, "%s", t ? t : "");
	json_decref(j);
}

int dp_skin_sse(struct sy_buf *out, const char *name, json_t *j)
{
	char *s = j ? sy_json_dump(j) : NULL;
	json_decref(j);
	int rc = !s     ? -ENOMEM
	         : name ? sy_buf_printf(out, "event: %s\ndata: %s\n\n", name, s)
	                : sy_buf_printf(out, "data: %s\n\n", s);
	free(s);
	return rc ? -ENOMEM : 0;
}
