/* dp_cors.h - CORS on the public inference API.
 *
 * OpenRouter lets browsers call its API directly; so does Switchyard's dataplane: every answer
 * carries Access-Control-Allow-Origin (the --cors-origin option, "*" by default; "none" turns
 * CORS off) and exposes the headers a client reads (X-Generation-Id, the rate-limit headers,
 * Retry-After), and an OPTIONS preflight on any API path is answered 204 without a key.
 * Credentials are bearer keys, never cookies, so Access-Control-Allow-Credentials is never
 * sent. The admin API (controlplane) has no CORS at all: it stays same-origin. */
#ifndef DP_CORS_H
#define DP_CORS_H

#include <microhttpd.h>

/* The origin every answer of this process allows: "*", one origin, or NULL / "" / "none"
 * for no CORS headers. Set once at start, before the workers fork. */
void dp_cors_init(const char *origin);
/* The origin in effect, NULL when CORS is off. */
const char *dp_cors_origin(void);
/* Add the CORS headers of an ordinary answer to r. */
void dp_cors_add(struct MHD_Response *r);
/* Answer a preflight on a path that accepts the methods allow ("GET, HEAD", "POST"): 204
 * with Allow and, when CORS is on, the Access-Control-Allow-* headers (the request's
 * Access-Control-Request-Headers echoed when they are plain header names). */
enum MHD_Result dp_cors_preflight(struct MHD_Connection *c, const char *allow);

#endif
