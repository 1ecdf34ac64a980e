/* dp_adapter_fuzz.c - libFuzzer target: the translating provider adapters' answer and stream
 * parsers (dataplane/dp_adapter_anthropic.c, dp_adapter_gemini.c). The OpenAI adapter hands
 * the provider's text on untouched, to dp_response, which dp_response_fuzz.c covers.
 *
 * Input: one selector byte, then the bytes a provider sent. The selector's low bit picks the
 * adapter (Anthropic, Gemini) and its second bit asks for reasoning.exclude on the request. The bytes are read as a whole
 * non-streamed answer, and as a stream: records separated by 0x1e, each "event\ndata" (no
 * newline: data only), fed in order to one stream state as the SSE parser would. Everything an
 * adapter hands on must be JSON that jansson reads, since dp_response parses it next. */
#include "dp_adapter.h"
#include "dp_request.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const adapters[] = {"anthropic", "gemini"};

static void must_be_json(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	if (!j)
		abort();
	json_decref(j);
}

static int on_chunk(const char *json, size_t len, void *arg)
{
	(void)arg;
	must_be_json(json, len);
	return 0;
}

/* The client's request the answer belongs to (reasoning.exclude or not). */
static int make_request(bool exclude, struct dp_chat_req *req)
{
	static const char plain[] =
	    "{\"model\":\"fuzz/model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
	static const char hidden[] =
	    "{\"model\":\"fuzz/model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	    "\"reasoning\":{\"exclude\":true}}";
	const char *body = exclude ? hidden : plain;
	char err[256];
	return dp_request_parse(body, strlen(body), req, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct dp_adapter *a = dp_adapter_find(adapters[data[0] & 1]);
	struct dp_chat_req req;
	if (!a || make_request(data[0] & 2, &req))
		abort();
	data++, size--;
	/* NUL-terminated past size, as the upstream buffers (sy_buf) and SSE events are */
	char *p = malloc(size + 1);
	if (!p)
		abort();
	memcpy(p, data, size);
	p[size] = '\0';

	struct sy_buf out = {0};
	if (a->answer && a->answer(p, size, &req, &out) == 0 && out.len)
		must_be_json(out.data, out.len);
	sy_buf_release(&out);

	struct dp_adapter_stream st;
	dp_adapter_stream_init(&st, &req);
	size_t at = 0;
	while (at <= size) {
		const char *rec = p + at;
		const char *end = memchr(rec, 0x1e, size - at);
		size_t n = end ? (size_t)(end - rec) : size - at;
		const char *nl = memchr(rec, '\n', n);
		char event[64] = "";
		const char *d = rec;
		size_t dlen = n;
		if (nl) {
			size_t elen = (size_t)(nl - rec);
			if (elen >= sizeof(event))
				elen = sizeof(event) - 1;
			memcpy(event, rec, elen);
			event[elen] = '\0';
			d = nl + 1;
			dlen = n - (size_t)(d - rec);
		}
		char *copy = malloc(dlen + 1); /* an event's data ends in a NUL (dp_sse) */
		if (!copy)
			abort();
		memcpy(copy, d, dlen);
		copy[dlen] = '\0';
		int rc = a->stream(&st, event, copy, dlen, on_chunk, NULL);
		free(copy);
		if (rc != 0)
			break; /* a malformed or error event ends the stream */
		at += n + 1;
	}
	(void)a->classify(502, p, size);
	dp_request_release(&req);
	free(p);
	return 0;
}
