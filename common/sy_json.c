/* sy_json.c - JSON error envelope and dumping. */
#include "sy_json.h"

char *sy_json_error(int code, const char *message, json_t *metadata)
{
	/* metadata is always there (an empty object when there is nothing to say): clients read
	 * error.metadata without checking for it */
	json_t *err = json_pack("{s:i,s:s,s:o}", "code", code, "message", message, "metadata",
	                        metadata ? metadata : json_object());
	json_t *root = json_pack("{s:o}", "error", err);
	char *s = sy_json_dump(root);
	json_decref(root);
	return s;
}

char *sy_json_dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

size_t sy_json_chars(const json_t *s)
{
	const unsigned char *p = (const unsigned char *)json_string_value(s);
	size_t n = json_string_length(s), chars = 0;
	/* jansson holds valid UTF-8: count every byte that does not continue a sequence */
	for (size_t i = 0; p && i < n; i++)
		chars += (p[i] & 0xC0) != 0x80;
	return chars;
}

json_t *sy_json_strings(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}
