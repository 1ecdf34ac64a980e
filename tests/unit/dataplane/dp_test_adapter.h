/* dp_test_adapter.h - what the adapter tests share: a route target on a catalog entry, a
 * request built and parsed back, answers and streams run through the adapter and then
 * through dp_response as dp_chat runs them. Include after cmocka.h. */
#ifndef DP_TEST_ADAPTER_H
#define DP_TEST_ADAPTER_H

#include "dp_adapter.h"
#include "dp_response.h"
#include "dp_route.h"
#include "dp_sse.h"
#include "sy_err.h"
#include "sy_json.h"

#include <stdlib.h>
#include <string.h>

/* A provider, endpoint and model as the catalog holds them, and the target on them. */
struct test_target {
	Sy__Provider prov;
	Sy__Endpoint ep;
	Sy__Model model;
	struct dp_route_target t;
};

static inline void test_target_init(struct test_target *tt, const char *adapter,
                                    const char *base_url, const char *provider_model_id,
                                    uint32_t max_completion)
{
	sy__provider__init(&tt->prov);
	sy__endpoint__init(&tt->ep);
	sy__model__init(&tt->model);
	tt->prov.slug = (char *)adapter;
	tt->prov.adapter = (char *)adapter;
	tt->prov.base_url = (char *)base_url;
	tt->ep.provider = (char *)adapter;
	tt->ep.provider_model_id = (char *)provider_model_id;
	tt->ep.has_max_completion_tokens = max_completion > 0;
	tt->ep.max_completion_tokens = max_completion;
	tt->model.id = "test/model";
	tt->t = (struct dp_route_target){
	    .model = &tt->model, .model_id = "test/model", .ep = &tt->ep, .prov = &tt->prov};
}

/* Parse a client request (it must be valid). */
static inline void test_parse(const char *text, struct dp_chat_req *req)
{
	char err[256];
	if (dp_request_parse(text, strlen(text), req, err, sizeof(err)))
		fail_msg("request rejected: %s", err);
}

/* Build the upstream request for client text; returns the body as JSON and the call in *c
 * (release it). drop may be NULL. */
static inline json_t *test_build(const struct dp_adapter *ad, const struct test_target *tt,
                                 const char *text, const char *const *drop,
                                 struct dp_adapter_call *c)
{
	struct dp_chat_req req;
	char err[256] = "";
	test_parse(text, &req);
	int rc = ad->build(&req, &tt->t, drop, c, err, sizeof(err));
	dp_request_release(&req);
	if (rc)
		fail_msg("build failed (%d): %s", rc, err);
	json_t *j = json_loadb(c->body, c->len, 0, NULL);
	assert_non_null(j);
	return j;
}

/* A build the adapter must refuse: returns its message (static buffer). */
static inline const char *test_build_refused(const struct dp_adapter *ad,
                                             const struct test_target *tt, const char *text)
{
	static char err[256];
	struct dp_chat_req req;
	struct dp_adapter_call c = {0};
	test_parse(text, &req);
	int rc = ad->build(&req, &tt->t, NULL, &c, err, sizeof(err));
	dp_request_release(&req);
	assert_int_equal(rc, SY_EINVAL);
	assert_null(c.body);
	assert_null(c.url);
	return err;
}

/* A whole answer translated by the adapter and parsed by dp_response as dp_chat does; the
 * translation as JSON (u gets the usage dp_response read). */
static inline json_t *test_answer(const struct dp_adapter *ad, const char *req_text,
                                  const char *answer, struct dp_response_usage *u)
{
	struct dp_chat_req req;
	struct sy_buf out;
	struct dp_response r;
	test_parse(req_text, &req);
	sy_buf_init(&out, 0);
	assert_int_equal(ad->answer(answer, strlen(answer), &req, &out), 0);
	dp_request_release(&req);
	assert_int_equal(dp_response_parse(out.data, out.len, &r, u), 0);
	json_t *j = json_loadb(out.data, out.len, 0, NULL);
	sy_buf_release(&out);
	assert_non_null(j);
	return j;
}

/* What a stream came to: its chunks (as the adapter made them) and dp_response's state. */
struct test_stream {
	json_t *chunks;
	struct dp_response_stream st;
	struct dp_adapter_stream ast;
	const struct dp_adapter *ad;
	int rc;
};

static inline int test_on_chunk(const char *json, size_t len, void *arg)
{
	static const struct dp_gen_info g = {
	    .id = "gen-1", .created = 1, .provider_name = "P", .model = "test/model"};
	struct test_stream *ts = arg;
	char *out = NULL;
	/* as dp_chat: every chunk goes through dp_response, whose refusal ends the stream */
	int rc = dp_response_stream_rewrite(json, len, &g, &ts->st, &out);
	free(out);
	if (!rc)
		json_array_append_new(ts->chunks, json_loadb(json, len, 0, NULL));
	return rc;
}

static inline int test_on_event(const char *event, const char *data, size_t len, void *arg)
{
	struct test_stream *ts = arg;
	return ts->ad->stream(&ts->ast, event, data, len, test_on_chunk, ts);
}

/* Feed an SSE body to the adapter in pieces of `piece` bytes (0: whole). ts->rc is the
 * first failure. Release ts->chunks. */
static inline void test_stream(const struct dp_adapter *ad, const char *req_text, const char *sse,
                               size_t piece, struct test_stream *ts)
{
	struct dp_chat_req req;
	struct dp_sse s;
	test_parse(req_text, &req);
	*ts = (struct test_stream){.chunks = json_array(), .ad = ad};
	dp_adapter_stream_init(&ts->ast, &req);
	dp_request_release(&req);
	dp_sse_init(&s, 1 << 20);
	size_t n = strlen(sse);
	if (!piece)
		piece = n;
	for (size_t off = 0; off < n && !ts->rc; off += piece)
		ts->rc = dp_sse_feed(&s, sse + off, off + piece > n ? n - off : piece,
		                     test_on_event, ts);
	dp_sse_release(&s);
}

/* A copy of chunks without the tool calls' ids (Gemini's are drawn at random). */
static inline json_t *test_without_ids(const json_t *chunks)
{
	json_t *copy = json_deep_copy(chunks), *c, *tc;
	size_t i, k;
	json_array_foreach(copy, i, c)
	{
		json_t *d =
		    json_object_get(json_array_get(json_object_get(c, "choices"), 0), "delta");
		json_array_foreach(json_object_get(d, "tool_calls"), k, tc)
		    json_object_del(tc, "id");
	}
	return copy;
}

/* The stream at every piece size from 1 byte to whole gives the same chunks. */
static inline json_t *test_stream_every_split(const struct dp_adapter *ad, const char *req_text,
                                              const char *sse, struct dp_response_stream *st)
{
	struct test_stream whole, part;
	test_stream(ad, req_text, sse, 0, &whole);
	assert_int_equal(whole.rc, 0);
	for (size_t piece = 1; piece < strlen(sse); piece += piece < 16 ? 1 : 13) {
		test_stream(ad, req_text, sse, piece, &part);
		assert_int_equal(part.rc, 0);
		json_t *a = test_without_ids(part.chunks), *b = test_without_ids(whole.chunks);
		if (!json_equal(a, b))
			fail_msg("chunks differ when the stream comes in %zu-byte pieces", piece);
		json_decref(a);
		json_decref(b);
		json_decref(part.chunks);
	}
	*st = whole.st;
	return whole.chunks;
}

/* Member path a.b.0.c of j (numbers index arrays); NULL when absent. */
static inline const json_t *test_path(const json_t *j, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = (*k >= '0' && *k <= '9') ? json_array_get(j, (size_t)atoi(k))
		                             : json_object_get(j, k);
	return j;
}

/* The string at path ("" when absent or not a string). */
static inline const char *test_str(const json_t *j, const char *path)
{
	const char *s = json_string_value(test_path(j, path));
	return s ? s : "";
}

static inline json_int_t test_int(const json_t *j, const char *path)
{
	const json_t *v = test_path(j, path);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

/* Whether j equals the JSON text want. */
static inline void test_json_eq(const json_t *j, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	assert_non_null(w);
	if (!json_equal(j, w)) {
		char *got = sy_json_dump(j);
		fail_msg("got %s\nwant %s", got, want);
	}
	json_decref(w);
}

/* The concatenation of member `key` of every chunk's delta (or of its tool_calls[0].function
 * when key is "arguments"). */
static inline char *test_joined(const json_t *chunks, const char *key)
{
	struct sy_buf b;
	size_t i;
	json_t *c;
	sy_buf_init(&b, 0);
	json_array_foreach(chunks, i, c)
	{
		json_t *d =
		    json_object_get(json_array_get(json_object_get(c, "choices"), 0), "delta");
		if (!strcmp(key, "arguments"))
			d = json_object_get(json_array_get(json_object_get(d, "tool_calls"), 0),
			                    "function");
		const char *s = json_string_value(json_object_get(d, key));
		if (s)
			sy_buf_puts(&b, s);
	}
	return b.data ? b.data : strdup("");
}

#endif
