/* dp_heal_fuzz.c - libFuzzer target: the response-healing repairer (dataplane/dp_heal.c).
 *
 * Holds dp_heal_json to its contract on any input: it returns (a unit that does not end is a
 * timeout, which run_fuzz.py counts as a failure), "valid" only for a text jansson accepts
 * as it is, "healed" only with an output jansson accepts as an object or array and that has
 * exactly the length reported, "unhealable" with no output (the content stays unchanged).
 * The input is also healed as a streamed answer's content (dp_heal_collect order does not
 * matter: the whole text at once) and the usage chunk must stay valid JSON. */
#include "dp_heal.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool jansson_ok(const char *p, size_t n, size_t flags)
{
	if (memchr(p, '\0', n))
		return false;
	json_t *j = json_loadb(p, n, flags, NULL);
	json_decref(j);
	return j != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so reading past the text is an ASan report */
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	char *out = (char *)p; /* must be reset */
	size_t outlen = 1;
	enum dp_heal_status st = dp_heal_json(p, size, &out, &outlen);
	switch (st) {
	case DP_HEAL_VALID:
		if (out || outlen || !jansson_ok(p, size, JSON_DECODE_ANY))
			abort();
		break;
	case DP_HEAL_HEALED:
		if (!out || strlen(out) != outlen || !jansson_ok(out, outlen, 0))
			abort();
		break;
	case DP_HEAL_UNHEALABLE:
		if (out || outlen || jansson_ok(p, size, JSON_DECODE_ANY))
			abort();
		break;
	default:
		abort();
	}
	free(out);

	struct sy_buf acc = {.data = p, .len = size, .cap = size, .max = 0};
	char *chunk = strdup("{\"choices\":[]}");
	if (chunk && size) {
		enum dp_heal_status s2 = dp_heal_stream_end(&acc, &chunk);
		if (s2 != st || !jansson_ok(chunk, strlen(chunk), 0))
			abort();
	}
	free(chunk);
	free(p);
	return 0;
}
