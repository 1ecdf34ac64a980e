/* dp_heal.h - response healing: repairing a model's almost-JSON answer into valid JSON.
 *
 * A model asked for JSON often answers with something close to it: the JSON inside a code
 * fence or between sentences, an answer cut off by max_tokens (unclosed strings, arrays and
 * objects), trailing commas, bare or single-quoted keys, single-quoted strings, Python's
 * True/False/None, raw newlines or invalid escapes inside strings. dp_heal_json repairs those
 * in one pass and checks the result with jansson: the output is always valid JSON (an object
 * or an array), or there is no output and the content stays as it was.
 *
 * The request side (plugins: [{"id": "response-healing"}], or the operator's --heal-json for
 * response_format json_object / json_schema) and the answer side (the non-streamed answer's
 * contents, the streamed content accumulated to the end) are here too; dp_chat only calls
 * them. docs/healing.md describes what a client sees. */
#ifndef DP_HEAL_H
#define DP_HEAL_H

#include "sy_buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The outcome for one answer, as the generation record stores it (UsageRecord.heal). */
enum dp_heal_status {
	DP_HEAL_OFF = 0,        /* healing was not asked for */
	DP_HEAL_VALID = 1,      /* the content was valid JSON already: unchanged */
	DP_HEAL_HEALED = 2,     /* repaired */
	DP_HEAL_UNHEALABLE = 3, /* not JSON and not repairable: returned unchanged */
};

/* "valid", "healed", "unhealable" (NULL for DP_HEAL_OFF). */
const char *dp_heal_status_name(enum dp_heal_status s);

/* Repair text (len bytes, need not be NUL-terminated). DP_HEAL_VALID: text parses as JSON as
 * it is. DP_HEAL_HEALED: *out holds the repaired JSON (an object or array, jansson-valid;
 * malloc'ed, NUL-terminated, length in *outlen). DP_HEAL_UNHEALABLE: no output (also when
 * out of memory). */
enum dp_heal_status dp_heal_json(const char *text, size_t len, char **out, size_t *outlen);

/* Whether the request wants healing: a "response-healing" plugin (dp_plugins checked the
 * member; "enabled": false turns it off) or, with auto_json (the operator's --heal-json), a
 * response_format of type json_object or json_schema. */
bool dp_heal_wanted(const json_t *body, bool auto_json);

/* A non-streamed answer (the client's JSON text, malloc'ed): each choice's string
 * message.content is healed; a repaired one is replaced and its message gets "healed": true.
 * *answer is replaced when something changed. Returns the outcome over all choices (the
 * worst: unhealable before healed before valid); DP_HEAL_OFF when no choice had content. */
enum dp_heal_status dp_heal_answer(char **answer);

/* Streams: append the content delta of one rewritten chunk (JSON text) to acc. 0, or the
 * sy_buf error (acc then stops growing: its max was reached). */
int dp_heal_collect(struct sy_buf *acc, const char *chunk);
/* Streams: heal the accumulated content and add "healing": {"status", "content"} to the
 * final usage chunk (malloc'ed JSON text, replaced; content is the repaired JSON, present only
 * when healed). Returns the outcome (DP_HEAL_OFF when nothing was accumulated). */
enum dp_heal_status dp_heal_stream_end(const struct sy_buf *acc, char **usage_chunk);

#endif
