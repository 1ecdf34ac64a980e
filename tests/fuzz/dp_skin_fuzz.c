/* dp_skin_fuzz.c - libFuzzer target: the client formats (dataplane/dp_skin*.c,
 * dp_messages_req.c).
 *
 * The first byte picks what the rest is. 'm': a /messages body, taken the way dp_chat takes
 * it (the chat body it becomes must be a JSON object dp_request then accepts or refuses with a
 * message; pass-through on each adapter; an answer, a stream and errors through the state).
 * 'c': a /completions body, the same way. 't': a count_tokens body. 'a': an internal answer
 * for both skins' reply. 's': internal stream chunks, one per line, through both skins' stream
 * translators, then the end. A refusal must always come with a message. */
#include "dp_request.h"
#include "dp_skin.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char answer[] =
    "{\"id\":\"gen-1\",\"model\":\"a/b\",\"choices\":[{\"message\":{\"content\":\"hi\","
    "\"tool_calls\":[{\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
    "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":3,"
    "\"completion_tokens\":2,\"cost\":0.1}}";
static const char chunk[] =
    "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"content\":\"hi\",\"tool_calls\":[{\"index\":0,"
    "\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]},\"finish_reason\":null}]}";
static const char end[] = "{\"id\":\"gen-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3}}";
static const char error[] = "{\"error\":{\"code\":502,\"message\":\"cut\"}}";

static void must_refuse_with_message(int rc, const char *err)
{
	if (rc != 0 && rc != -ENOMEM && !err[0]) /* out of memory needs no message */
		abort();
}

/* An answer, a stream and errors through a skin holding state st. */
static void answers(const struct dp_skin *s, void *st)
{
	struct sy_buf out;
	sy_buf_init(&out, 0);
	free(dp_skin_reply(s, st, 200, strdup(answer)));
	free(dp_skin_reply(s, st, 429, strdup(error)));
	dp_skin_stream(s, st, DP_SKIN_CHUNK, chunk, &out);
	if (s->rewind)
		s->rewind(st);
	dp_skin_stream(s, st, DP_SKIN_CHUNK, chunk, &out);
	dp_skin_stream(s, st, DP_SKIN_END, end, &out);
	dp_skin_stream(s, st, DP_SKIN_ERROR, error, &out);
	sy_buf_release(&out);
}

static void body(const struct dp_skin *s, const char *text, size_t len)
{
	static const char *const hdrs[] = {"2023-06-01", "beta-1", NULL, NULL};
	static const char *const adapters[] = {"openai", "anthropic", "gemini"};
	void *st = NULL;
	char *out = NULL, err[256] = "";
	int rc = s->request(text, len, hdrs, &st, &out, err, sizeof(err));
	must_refuse_with_message(rc, err);
	if (rc) {
		if (out || st)
			abort();
		return;
	}
	json_t *j = json_loads(out, 0, NULL);
	if (!json_is_object(j))
		abort();
	json_decref(j);
	struct dp_chat_req req = {0};
	err[0] = '\0';
	must_refuse_with_message(dp_request_parse(out, strlen(out), &req, err, sizeof(err)), err);
	dp_request_release(&req);
	free(out);
	for (size_t i = 0; s->passthrough && i < 3; i++) {
		char *up = NULL;
		size_t n = 0;
		const char *const *h = NULL;
		err[0] = '\0';
		rc = s->passthrough(st, adapters[i], "model-x", &up, &n, &h, err, sizeof(err));
		must_refuse_with_message(rc == 1 ? 0 : rc, err);
		if (rc == 1 && (!up || n != strlen(up) || !h || !h[0]))
			abort();
		free(up);
		if (rc == 1) {
			struct sy_buf raw;
			sy_buf_init(&raw, 0);
			s->raw_event(st, "message_start", "{}", 2, &raw);
			sy_buf_release(&raw);
		}
		answers(s, st);
	}
	if (!s->passthrough)
		answers(s, st);
	if (s->release)
		s->release(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	size_t len = size - 1;
	switch (data[0]) {
	case 'm':
		body(&dp_skin_messages, text, len);
		break;
	case 'c':
		body(&dp_skin_completions, text, len);
		break;
	case 't': {
		char *out = NULL, err[256] = "";
		int rc = dp_skin_messages_count_tokens(text, len, &out, err, sizeof(err));
		must_refuse_with_message(rc, err);
		if (!rc && !out)
			abort();
		free(out);
		break;
	}
	case 'a':
		free(dp_skin_reply(&dp_skin_messages, NULL, 200, strdup(text)));
		free(dp_skin_reply(&dp_skin_messages, NULL, 500, strdup(text)));
		free(dp_skin_reply(&dp_skin_completions, NULL, 200, strdup(text)));
		break;
	case 's': {
		/* chunks need a state: one from a minimal request */
		static const char req[] = "{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{"
		                          "\"role\":\"user\",\"content\":\"x\"}]}";
		static const char *const hdrs[] = {NULL, NULL, NULL, NULL};
		void *st = NULL;
		char *out = NULL, err[256];
		if (dp_skin_messages.request(req, sizeof(req) - 1, hdrs, &st, &out, err,
		                             sizeof(err)))
			abort();
		free(out);
		struct sy_buf o;
		sy_buf_init(&o, 0);
		for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			dp_skin_stream(&dp_skin_messages, st, DP_SKIN_CHUNK, line, &o);
			dp_skin_stream(&dp_skin_completions, NULL, DP_SKIN_CHUNK, line, &o);
		}
		dp_skin_stream(&dp_skin_messages, st, DP_SKIN_END, end, &o);
		sy_buf_release(&o);
		dp_skin_messages.release(st);
		break;
	}
	default:
		break;
	}
	free(text);
	return 0;
}
