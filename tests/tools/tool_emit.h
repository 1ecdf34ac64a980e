/* tool_emit.h - the JSON-lines output the test tools share (header-only: each file in
 * tests/tools/ is its own binary). */
#ifndef TOOL_EMIT_H
#define TOOL_EMIT_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* Print j as one compact line with sorted keys and flush it (tests read stdout as it comes);
 * steals j. */
static inline void emit(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (s) {
		puts(s);
		fflush(stdout);
		free(s);
	}
	json_decref(j);
}

#endif
