/* dp_errtype.h - the error types an OpenRouter client sees in metadata.error_type.
 *
 * Switchyard knows why a request failed more precisely than OpenRouter's few names say: the
 * specific reason ("insufficient_credits", "key_limit_exceeded", "budget_exceeded",
 * "rate_limited", "provider_error", ...) stays in metadata.reason, and metadata.error_type
 * carries OpenRouter's name for it: model_not_found, provider_unavailable,
 * rate_limit_exceeded, payment_required (credits, a key's limit), permission_denied (a
 * budget, a key's restrictions). Reasons without an OpenRouter name keep their own. */
#ifndef DP_ERRTYPE_H
#define DP_ERRTYPE_H

#include <jansson.h>

/* OpenRouter's error type for a specific reason (the reason itself when none is named). */
const char *dp_errtype_name(const char *reason);
/* Set error_type (OpenRouter's name) and reason (the specific one) on the metadata object
 * meta; nothing when reason is NULL. */
void dp_errtype_set(json_t *meta, const char *reason);

#endif
