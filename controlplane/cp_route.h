/* cp_route.h - the admin API's one way of matching a path against a module's route table and
 * of answering when no row serves it (404 "no such admin endpoint", 405 "method ... not
 * allowed here"). cp_admin and cp_billing route with it; each keeps its own table of rows
 * and handler type.
 *
 * A pattern is the path after /api/v1/, segment by segment: a literal segment matches itself,
 * "{}" any one non-empty segment, "{*}" everything that is left (one or more segments). The
 * segments a pattern's braces matched are captured, in order, as spans of the path. */
#ifndef CP_ROUTE_H
#define CP_ROUTE_H

#include "cp_response.h"

#include <stdbool.h>
#include <stddef.h>

#define CP_ROUTE_CAPS 2

/* What matched the braces of a pattern: spans of the path (not NUL-terminated, except the
 * last capture of a pattern ending in braces, which ends the path). */
struct cp_route_caps {
	const char *at[CP_ROUTE_CAPS];
	size_t len[CP_ROUTE_CAPS];
	size_t n;
};

/* True if path (after the /api/v1/ prefix) matches pattern; caps receives the captures. */
bool cp_route_match(const char *pattern, const char *path, struct cp_route_caps *caps);
/* Copy capture i into buf as a string; false (buf "") if it does not fit. */
bool cp_route_cap(const struct cp_route_caps *caps, size_t i, char *buf, size_t size);
/* The answer when a path matched rows but none for method (405), or no row at all (404). */
void cp_route_fail(struct cp_response *res, bool path_matched, const char *method);

#endif
