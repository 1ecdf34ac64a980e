/* dp_jtext_fuzz.c - libFuzzer target: the in-place JSON scanner (dataplane/dp_jtext.c).
 *
 * Every upstream answer and client body passes dp_jtext_check before anything walks it. The
 * target checks the input, walks every value the way the response path does (members,
 * elements, lookups, string decoding, integers), and holds the scanner to its contract:
 * a text jansson accepts is accepted too. The scanner is more lenient about numbers, and
 * stricter about NUL bytes: it refuses them anywhere, where jansson takes "74\0" as 74. */
#include "dp_jtext.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct dp_jval *v, unsigned depth)
{
	char buf[64];
	int64_t i;
	struct dp_jiter it;
	struct dp_jval key, val;
	switch (dp_jtext_kind(v)) {
	case '{':
		dp_jtext_iter(v, &it);
		while (dp_jtext_member(&it, &key, &val)) {
			if (dp_jtext_kind(&key) != '"')
				abort();
			(void)dp_jtext_str(&key, buf, sizeof(buf));
			walk(&val, depth + 1);
		}
		(void)dp_jtext_get(v, "model", &val);
		static const char *const names[] = {"choices", "usage", "error", ""};
		struct dp_jval vals[4];
		dp_jtext_pick(v, names, 4, vals);
		break;
	case '[':
		dp_jtext_iter(v, &it);
		while (dp_jtext_element(&it, &val))
			walk(&val, depth + 1);
		break;
	case '"': {
		size_t chars = dp_jtext_chars(v);
		size_t len = dp_jtext_str(v, buf, sizeof(buf));
		if (chars > len || strlen(buf) > len)
			abort(); /* a character is at least one byte */
		(void)dp_jtext_str(v, buf, 1);
		(void)dp_jtext_str_eq(v, "stop");
		break;
	}
	default:
		(void)dp_jtext_int(v, &i);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so reading past the text is an ASan report */
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	struct dp_jval root;
	int rc = dp_jtext_check(p, size, &root);
	if (rc == 0) {
		if (root.p < p || root.p + root.n > p + size)
			abort();
		walk(&root, 0);
	} else {
		json_t *j =
		    memchr(p, '\0', size) ? NULL : json_loadb(p, size, JSON_DECODE_ANY, NULL);
		if (j)
			abort(); /* jansson accepts what the scanner refused */
	}
	free(p);
	return 0;
}
