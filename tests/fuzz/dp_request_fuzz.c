/* dp_request_fuzz.c - libFuzzer target: client chat-completion bodies (dataplane/dp_request.c).
 *
 * The input is a request body as a client sends it. An accepted body is turned into the
 * upstream body (which must be a JSON object) with parameters dropped as routing does, and its
 * parameters are listed; a refused one must come with a message naming the problem. */
#include "dp_request.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool count(const char *name, void *arg)
{
	if (!*name)
		abort();
	++*(size_t *)arg;
	return true;
}

static bool count_member(const char *member, const char *param, void *arg)
{
	return count(member, arg) && count(param, arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1); /* exactly size bytes: no NUL to lean on */
	if (!p)
		return 0;
	memcpy(p, data, size);
	struct dp_chat_req req;
	char err[256] = "";
	if (dp_request_parse(p, size, &req, err, sizeof(err)) == 0) {
		static const char *const drop[] = {"temperature", "tools", "response_format", NULL};
		size_t len = 0, n = 0;
		char *body = dp_request_upstream_body(&req, "upstream-model", drop, &len);
		if (body) {
			json_t *j = json_loadb(body, len, 0, NULL);
			if (!json_is_object(j))
				abort();
			json_decref(j);
			free(body);
		}
		dp_request_each_param(&req, count, &n);
		dp_request_each_member(&req, count_member, &n);
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	dp_request_release(&req);
	dp_request_release(&req); /* idempotent */
	free(p);
	return 0;
}
