/* dp_skin_responses_fuzz.c - libFuzzer target: client bodies of POST /responses
 * (dataplane/dp_skin_responses.c).
 *
 * The input is a request body as a client sends it. A refused body must come with a message.
 * An accepted one goes the way dp_chat takes it: the chat body it became is parsed by
 * dp_request (which may still refuse it, with a message), then the skin answers a fixed chat
 * answer and a fixed stream (reasoning, text, a tool call, the end; then, rewound, a failure)
 * with the request's settings, and an error envelope. Every answer must be JSON. */
#include "dp_request.h"
#include "dp_skin.h"
#include "sy_err.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char answer[] =
    "{\"id\":\"gen-1-a\",\"created\":1,\"model\":\"a/b\",\"provider\":\"P\",\"choices\":[{"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Hi\",\"reasoning_details\":[{\"type\":"
    "\"reasoning.text\",\"text\":\"Hm\",\"signature\":\"s\"}],\"tool_calls\":[{\"id\":\"c\","
    "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
    "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3,"
    "\"cost\":0.1}}";

static const char *const chunks[] = {
    "{\"id\":\"gen-1-a\",\"created\":1,\"model\":\"a/b\",\"choices\":[{\"delta\":{"
    "\"reasoning\":\"Hm\"}}]}",
    "{\"id\":\"gen-1-a\",\"choices\":[{\"delta\":{\"reasoning_details\":[{\"type\":"
    "\"reasoning.encrypted\",\"data\":\"e\"}]}}]}",
    "{\"id\":\"gen-1-a\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}",
    "{\"id\":\"gen-1-a\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\","
    "\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}",
    "{\"id\":\"gen-1-a\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{"
    "\"arguments\":\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}",
};

/* out holds SSE events whose data are JSON objects. */
static void check_events(const struct sy_buf *out)
{
	char *text = strndup(out->data ? out->data : "", out->len);
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *j = strncmp(l, "data: ", 6) ? NULL : json_loads(l + 6, 0, NULL);
		if (!strncmp(l, "data: ", 6) && !json_is_object(j))
			abort();
		json_decref(j);
	}
	free(text);
}

static void answers(const struct dp_skin *sk, void *st)
{
	char *r = sk->reply(st, 200, strdup(answer));
	json_t *j = r ? json_loads(r, 0, NULL) : NULL;
	if (!json_is_object(j))
		abort();
	json_decref(j);
	free(r);
	struct sy_buf out;
	sy_buf_init(&out, 0);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		if (sk->stream(st, DP_SKIN_CHUNK, chunks[i], &out))
			abort();
	if (sk->stream(st, DP_SKIN_END, "{\"id\":\"gen-1-a\",\"choices\":[],\"usage\":{}}", &out))
		abort();
	sk->rewind(st);
	if (sk->stream(st, DP_SKIN_CHUNK, chunks[2], &out) ||
	    sk->stream(st, DP_SKIN_ERROR, "{\"error\":{\"code\":502,\"message\":\"x\"}}", &out))
		abort();
	check_events(&out);
	sy_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dp_skin *sk = &dp_skin_responses;
	char *body = NULL, err[256] = "";
	void *st = NULL;
	int rc = sk->request((const char *)data, size, NULL, &st, &body, err, sizeof(err));
	if (rc == SY_EINVAL && (!err[0] || body || st))
		abort();
	if (!rc) {
		struct dp_chat_req req = {0};
		char perr[256] = "";
		int prc = dp_request_parse(body, strlen(body), &req, perr, sizeof(perr));
		if (prc == SY_EINVAL && !perr[0])
			abort();
		dp_request_release(&req);
		answers(sk, st);
		sk->release(st);
	}
	free(body);
	char *e = sk->reply(NULL, 400, strdup("{\"error\":{\"code\":400,\"message\":\"m\"}}"));
	json_t *j = e ? json_loads(e, 0, NULL) : NULL;
	if (!json_is_object(json_object_get(j, "error")))
		abort();
	json_decref(j);
	free(e);
	return 0;
}
