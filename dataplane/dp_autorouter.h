/* dp_autorouter.h - openrouter/auto and switchyard/auto: the model the controlplane's rules
 * choose for a request.
 *
 * The rules (an AutoRouter entity, set with PUT /api/v1/auto-router on the controlplane) are
 * tried in order; the first whose conditions all hold names the model, else default_model
 * does. Conditions: min_prompt_tokens (the request's estimate is at least that), has_tools
 * (the request has tools, or has none), keywords (one occurs, ignoring ASCII case, in the
 * text of the last user message). Pure logic: no I/O. */
#ifndef DP_AUTOROUTER_H
#define DP_AUTOROUTER_H

#include "dp_request.h"
#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* The model ar's rules choose for req (a string owned by ar). */
const char *dp_autorouter_choose(const Sy__AutoRouter *ar, const struct dp_chat_req *req);
/* Replace each auto router id in req->models by the model ar chooses (dropping an entry that
 * repeats an earlier model). 0, or SY_ENOTFOUND with a client-facing message in err when the
 * request names the auto router and ar is NULL (no rules configured). */
int dp_autorouter_resolve(const Sy__AutoRouter *ar, struct dp_chat_req *req, char *err,
                          size_t errlen);

#endif
