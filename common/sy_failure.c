/* sy_failure.c - the one table of upstream failure classes (see sy_failure.h). */
#include "sy_failure.h"

#include <string.h>

#define PE "provider_error"

/* provider_auth ejects the endpoint on the worker (traffic moves away from a credential the
 * provider refuses) but is the operator's configuration, not the provider's uptime. */
static const struct sy_failure_class table[SY_FAIL_COUNT] = {
    [SY_FAIL_CONNECT] = {"connect", true, true, 502, PE, "connect",
                         "Could not connect to the provider"},
    [SY_FAIL_TIMEOUT] = {"timeout", true, true, 504, "timeout", "timeout",
                         "The provider did not answer in time"},
    [SY_FAIL_IDLE_TIMEOUT] = {"idle_timeout", true, true, 504, "timeout", "idle_timeout",
                              "The provider stopped sending data"},
    [SY_FAIL_RESET] = {"reset", true, true, 502, PE, "reset", "The provider closed the connection"},
    [SY_FAIL_HTTP_4XX] = {"http_4xx", true, true, 502, PE, "http_4xx", "Provider returned error"},
    [SY_FAIL_HTTP_5XX] = {"http_5xx", true, true, 502, PE, "http_5xx", "Provider returned error"},
    [SY_FAIL_RATE_LIMITED] = {"rate_limited", false, false, 429, "rate_limited", "rate_limited",
                              "Rate limited by the upstream provider"},
    [SY_FAIL_CONTEXT_LENGTH] = {"context_length", false, false, 0, "context_length_exceeded",
                                "context_length", "Provider rejected the request"},
    [SY_FAIL_CLIENT_ERROR] = {"client_error", false, false, 0, "invalid_request", "client_error",
                              "Provider rejected the request"},
    [SY_FAIL_INVALID_RESPONSE] = {"invalid_response", true, true, 502, PE, "invalid_response",
                                  "invalid provider response"},
    [SY_FAIL_MALFORMED_CHUNK] = {"malformed_chunk", true, true, 502, PE, "malformed_chunk",
                                 "invalid provider response: malformed stream chunk"},
    [SY_FAIL_STREAM_CUT] = {"stream_cut", true, true, 502, PE, "stream_cut",
                            "The provider ended the stream before it finished"},
    [SY_FAIL_UPSTREAM_ERROR] = {"upstream_error", true, true, 502, PE, "upstream_error",
                                "Upstream request failed"},
    [SY_FAIL_INTERNAL] = {"internal", false, false, 502, PE, "internal",
                          "Could not start the upstream request"},
    [SY_FAIL_CONFIG] = {"config", false, false, 502, PE, "config",
                        "Could not start the upstream request"},
    [SY_FAIL_PROVIDER_AUTH] = {"provider_auth", false, true, 502, PE, "provider_auth",
                               "The provider refused its credential"},
    [SY_FAIL_UNSUPPORTED_REQUEST] = {"unsupported_request", false, false, 400, "invalid_request",
                                     "unsupported_request",
                                     "The provider cannot serve this request"},
    [SY_FAIL_OTHER] = {"other", false, false, 502, PE, "other", "Upstream request failed"},
    [SY_FAIL_BYOK_AUTH] = {"byok_auth", false, false, 502, PE, "other",
                           "Provider refused your organization's own credential (BYOK)"},
    [SY_FAIL_CANCELLED] = {"cancelled", false, false, 499, "cancelled", NULL,
                           "client closed the request"},
    [SY_FAIL_SHUTDOWN] = {"shutdown", false, false, 503, "unavailable", NULL,
                          "The server is shutting down"},
};

const struct sy_failure_class *sy_failure_get(enum sy_fail c)
{
	return &table[c < SY_FAIL_COUNT ? c : SY_FAIL_OTHER];
}

enum sy_fail sy_failure_find(const char *name)
{
	for (int i = 0; name && name[0] && i < SY_FAIL_COUNT; i++)
		if (!strcmp(name, table[i].name))
			return (enum sy_fail)i;
	return SY_FAIL_OTHER;
}

bool sy_failure_is_provider_fault(const char *name)
{
	return table[sy_failure_find(name)].provider_fault;
}
