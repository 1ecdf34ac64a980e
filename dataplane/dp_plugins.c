/* dp_plugins.c - the plugins a request may name. */
#include "dp_plugins.h"
#include "sy_err.h"

#include <stdio.h>
#include <string.h>

int dp_plugins_check(const json_t *body, char *err, size_t errlen)
{
	static const char *const unavailable[] = {"web", "file-parser"};
	json_t *plugins = json_object_get(body, "plugins");
	size_t i;
	json_t *p;
	if (!plugins || json_is_null(plugins))
		return 0;
	if (!json_is_array(plugins)) {
		snprintf(err, errlen, "plugins must be an array of {\"id\": ...} objects");
		return SY_EINVAL;
	}
	json_array_foreach(plugins, i, p)
	{
		const char *id = json_string_value(json_object_get(p, "id"));
		if (!id) {
			snprintf(err, errlen, "plugins[%zu].id is required (a string)", i);
			return SY_EINVAL;
		}
		json_t *enabled = json_object_get(p, "enabled");
		if (enabled && !json_is_null(enabled) && !json_is_boolean(enabled)) {
			snprintf(err, errlen, "plugins[%zu].enabled must be a boolean", i);
			return SY_EINVAL;
		}
		if (!strcmp(id, "response-healing"))
			continue;
		for (size_t k = 0; k < sizeof(unavailable) / sizeof(unavailable[0]); k++)
			if (!strcmp(id, unavailable[k])) {
				snprintf(
				    err, errlen,
				    "plugins[%zu]: the %s plugin is not available on this gateway",
				    i, id);
				return SY_EINVAL;
			}
		snprintf(err, errlen,
		         "plugins[%zu]: unknown plugin %.64s (available: response-healing)", i, id);
		return SY_EINVAL;
	}
	return 0;
}
