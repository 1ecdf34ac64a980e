/* cp_route.c - path patterns of the admin API's route tables. */
#include "cp_route.h"

#include <string.h>

bool cp_route_match(const char *pattern, const char *path, struct cp_route_caps *caps)
{
	caps->n = 0;
	while (*pattern) {
		size_t pn = strcspn(pattern, "/"), sn = strcspn(path, "/");
		bool rest = pn == 3 && !strncmp(pattern, "{*}", 3);
		if (rest || (pn == 2 && !strncmp(pattern, "{}", 2))) {
			if (!sn || caps->n == CP_ROUTE_CAPS)
				return false;
			if (rest)
				sn = strlen(path);
			caps->at[caps->n] = path;
			caps->len[caps->n++] = sn;
		} else if (pn != sn || strncmp(pattern, path, pn)) {
			return false;
		}
		pattern += pn;
		path += sn;
		if (*pattern != *path) /* one has another segment, the other does not */
			return false;
		if (*pattern) {
			pattern++;
			path++;
		}
	}
	return !*path;
}

bool cp_route_cap(const struct cp_route_caps *caps, size_t i, char *buf, size_t size)
{
	buf[0] = '\0';
	if (i >= caps->n || caps->len[i] >= size)
		return false;
	memcpy(buf, caps->at[i], caps->len[i]);
	buf[caps->len[i]] = '\0';
	return true;
}

void cp_route_fail(struct cp_response *res, bool path_matched, const char *method)
{
	if (path_matched)
		cp_response_error(res, 405, NULL, "method %s not allowed here", method);
	else
		cp_response_error(res, 404, NULL, "no such admin endpoint");
}
