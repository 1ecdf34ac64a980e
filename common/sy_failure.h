/* sy_failure.h - the one table of upstream failure classes.
 *
 * An attempt that failed carries a class name (Attempt.error_class). What the class means is
 * said here once: whether it counts against the endpoint's uptime (controlplane cp_stats),
 * whether it ejects the endpoint from this worker's routing (dataplane dp_health), what the
 * client gets when it is the last word, and the class label of the dataplane's
 * switchyard_dp_upstream_errors_total. A class missing from the table counts as "other" in
 * the metrics and as no provider fault in uptime; adding one is a row here. What to do next
 * after a failure is dp_failover's business, not this table's. */
#ifndef SY_FAILURE_H
#define SY_FAILURE_H

#include <stdbool.h>

/* The order is that of the metrics output. */
enum sy_fail {
	SY_FAIL_CONNECT,
	SY_FAIL_TIMEOUT,
	SY_FAIL_IDLE_TIMEOUT,
	SY_FAIL_RESET,
	SY_FAIL_HTTP_4XX,
	SY_FAIL_HTTP_5XX,
	SY_FAIL_RATE_LIMITED,
	SY_FAIL_CONTEXT_LENGTH,
	SY_FAIL_CLIENT_ERROR,
	SY_FAIL_INVALID_RESPONSE,
	SY_FAIL_MALFORMED_CHUNK,
	SY_FAIL_STREAM_CUT,
	SY_FAIL_UPSTREAM_ERROR,
	SY_FAIL_INTERNAL,
	SY_FAIL_CONFIG,
	SY_FAIL_PROVIDER_AUTH,
	SY_FAIL_UNSUPPORTED_REQUEST,
	SY_FAIL_OTHER, /* a class this table does not know */
	SY_FAIL_BYOK_AUTH,
	SY_FAIL_CANCELLED,
	SY_FAIL_SHUTDOWN,
	SY_FAIL_COUNT
};

struct sy_failure_class {
	const char *name;       /* Attempt.error_class */
	bool provider_fault;    /* counts against the endpoint's uptime (cp_stats) */
	bool ejects;            /* counts against the endpoint's health on the worker (dp_health) */
	int status;             /* HTTP status for the client; 0 = the upstream's own 4xx */
	const char *error_type; /* the client's error.metadata.error_type */
	const char *metric;     /* label of the error counter; NULL = not an upstream error */
	const char *message;    /* the client's message when nothing more precise is known */
};

/* The row of c (c < SY_FAIL_COUNT). */
const struct sy_failure_class *sy_failure_get(enum sy_fail c);
/* The class named name; SY_FAIL_OTHER for NULL, "" or a name not in the table. */
enum sy_fail sy_failure_find(const char *name);
/* Whether the class named name counts against the endpoint's uptime. */
bool sy_failure_is_provider_fault(const char *name);

#endif
