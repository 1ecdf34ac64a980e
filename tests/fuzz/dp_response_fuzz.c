/* dp_response_fuzz.c - libFuzzer target: upstream answers (dataplane/dp_response.c).
 *
 * The input is an upstream's body: parsed as a whole non-streamed answer and rewritten into
 * the client's answer, and rewritten as one stream chunk (the data of one event) followed by
 * the final usage chunk. Whatever the gateway sends on must be JSON: what jansson reads when
 * the upstream's text was jansson's JSON too (numbers too big for it pass through as sent, as
 * dp_jtext.h says), and what the scanner accepts in any case. */
#include "dp_response.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dp_gen_info gen = {
    .id = "gen-fuzz", .created = 1700000000, .provider_name = "Fuzz", .model = "fuzz/model"};

/* Whatever reaches the client is JSON (for jansson too when plain); frees text. */
static void must_be_json(char *text, bool plain)
{
	if (!text)
		return;
	struct dp_jval root;
	if (dp_jtext_check(text, strlen(text), &root))
		abort();
	json_t *j = plain ? json_loads(text, 0, NULL) : NULL;
	if (plain && !j)
		abort();
	json_decref(j);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1); /* exactly size bytes: no NUL to lean on */
	if (!p)
		return 0;
	memcpy(p, data, size);

	json_t *in = json_loadb(p, size, JSON_DECODE_ANY, NULL);
	bool plain = in != NULL;
	json_decref(in);

	struct dp_response r;
	struct dp_response_usage u;
	memset(&u, 0, sizeof(u));
	if (dp_response_parse(p, size, &r, &u) == 0)
		must_be_json(dp_response_finish(&r, &gen, &u, 12345), plain);

	struct dp_response_stream st = {0};
	char *out = NULL;
	if (dp_response_stream_rewrite(p, size, &gen, &st, &out) == 0)
		must_be_json(out, plain);
	else if (out)
		abort(); /* an error leaves nothing to send */
	dp_response_stream_fill_usage(&st, 7);
	must_be_json(dp_response_usage_chunk(&gen, &st.usage, 1), true);
	must_be_json(dp_response_error_chunk(&gen, 502, st.usage.native_finish_reason, "fuzz"),
	             true);
	free(p);
	return 0;
}
