/* dp_cors.c - CORS headers and preflights of the public API. */
#include "dp_cors.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Process-wide, like the listen address: set before the workers fork, read-only after. */
static const char *cors_origin = "*";

#define EXPOSED                                                                                    \
	"X-Generation-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "           \
	"Retry-After, X-Switchyard-Overhead-Us"
#define ALLOWED_HEADERS                                                                            \
	"Authorization, Content-Type, HTTP-Referer, X-Title, X-OpenRouter-Title, X-Session-Id"
#define MAX_AGE "86400"

void dp_cors_init(const char *origin)
{
	cors_origin = origin && *origin && strcmp(origin, "none") ? origin : NULL;
}

const char *dp_cors_origin(void)
{
	return cors_origin;
}

void dp_cors_add(struct MHD_Response *r)
{
	if (!cors_origin || !r)
		return;
	MHD_add_response_header(r, "Access-Control-Allow-Origin", cors_origin);
	MHD_add_response_header(r, "Access-Control-Expose-Headers", EXPOSED);
	if (strcmp(cors_origin, "*"))
		MHD_add_response_header(r, "Vary", "Origin");
}

/* A comma-separated list of header names (token characters, spaces, commas) of sane size. */
static bool header_list(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!(isalnum((unsigned char)s[n]) || strchr("-_, ", s[n])))
			return false;
	return n > 0 && n < 512;
}

enum MHD_Result dp_cors_preflight(struct MHD_Connection *c, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	char methods[64];
	snprintf(methods, sizeof(methods), "%s, OPTIONS", allow);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, methods);
	if (cors_origin) {
		const char *asked = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                                "Access-Control-Request-Headers");
		dp_cors_add(r);
		MHD_add_response_header(r, "Access-Control-Allow-Methods", methods);
		MHD_add_response_header(r, "Access-Control-Allow-Headers",
		                        asked && header_list(asked) ? asked : ALLOWED_HEADERS);
		MHD_add_response_header(r, "Access-Control-Max-Age", MAX_AGE);
	}
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	return ret;
}
