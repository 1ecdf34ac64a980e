/* dp_plugins.h - OpenRouter's `plugins` request member: which plugins this gateway runs.
 *
 * `plugins` is an array of {"id": ..., ...}. `response-healing` is accepted (repairing JSON
 * answers); `web` (web search) and `file-parser` (PDF parsing) need services this gateway does
 * not have and are refused with a 400 saying so, as is any other id — a plugin that silently
 * did nothing would give answers the client did not ask for. */
#ifndef DP_PLUGINS_H
#define DP_PLUGINS_H

#include <jansson.h>
#include <stddef.h>

/* Check body's plugins member (absent or null: nothing; each item's "enabled", when given,
 * a boolean). 0, or SY_EINVAL with a message
 * naming the plugin in err. */
int dp_plugins_check(const json_t *body, char *err, size_t errlen);

#endif
