/* dp_errtype.c - specific failure reasons to OpenRouter's error types. */
#include "dp_errtype.h"

#include <string.h>

const char *dp_errtype_name(const char *reason)
{
	static const char *const map[][2] = {
	    {"model_not_found", "model_not_found"},
	    {"provider_error", "provider_unavailable"},
	    {"rate_limited", "rate_limit_exceeded"},
	    {"insufficient_credits", "payment_required"},
	    {"key_limit_exceeded", "payment_required"},
	    {"budget_exceeded", "permission_denied"},
	    {"guardrail_budget_exceeded", "permission_denied"},
	    {"forbidden", "permission_denied"},
	};
	for (size_t i = 0; reason && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], reason))
			return map[i][1];
	return reason;
}

void dp_errtype_set(json_t *meta, const char *reason)
{
	if (!meta || !reason)
		return;
	json_object_set_new(meta, "error_type", json_string(dp_errtype_name(reason)));
	json_object_set_new(meta, "reason", json_string(reason));
}
