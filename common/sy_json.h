/* sy_json.h - JSON helpers shared by the admin API and the public API (jansson). */
#ifndef SY_JSON_H
#define SY_JSON_H

#include <jansson.h>

/* OpenRouter's error envelope {"error":{"code":code,"message":msg,"metadata":meta or {}}}.
 * Steals the reference to metadata (may be NULL). Returns a malloc'ed compact string. */
char *sy_json_error(int code, const char *message, json_t *metadata);
/* Dump compactly to a malloc'ed string (NULL on failure). */
char *sy_json_dump(const json_t *j);
/* A JSON array of the n strings of v (a protobuf repeated string); NULL on allocation
 * failure. */
json_t *sy_json_strings(char *const *v, size_t n);
/* Characters (UTF-8 code points) in a JSON string; 0 for anything else. */
size_t sy_json_chars(const json_t *s);

#endif
