/* dp_sticky.h - sticky sessions without shared state: weighted rendezvous hashing.
 *
 * Requests with the same session_id (body) or x-session-id (header) go to the same endpoint
 * of a model on every worker of every dataplane, so a provider's prompt cache keeps hitting,
 * with no lookup on the request path: each endpoint gets a score from a hash of (session,
 * model, provider) and its load-balancing weight (1/price^2), and the best score among the
 * healthy endpoints wins. Every worker computes the same scores, so they agree as long as
 * they agree on which endpoints are healthy. When the chosen endpoint leaves the healthy set
 * the session moves to the next best score and comes back when it returns; adding or
 * removing an endpoint moves only the sessions it wins or loses. Over many sessions the
 * first choices follow the same 1/price^2 split as requests without a session. */
#ifndef DP_STICKY_H
#define DP_STICKY_H

#include "sy_money.h"

/* The score of endpoint (model_id, provider) for session_id, lower wins. per_token is its
 * prompt + completion price in money units (0: free, which beats every priced endpoint). */
double dp_sticky_score(const char *session_id, const char *model_id, const char *provider,
                       sy_money per_token);

#endif
