/* dp_middleout.c - dropping messages from the middle of a conversation until it fits. */
#include "dp_middleout.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dp_middleout_check(const json_t *body, char *err, size_t errlen)
{
	json_t *t = json_object_get(body, "transforms");
	size_t i;
	json_t *v;
	if (!t || json_is_null(t))
		return 0;
	if (!json_is_array(t))
		goto bad;
	json_array_foreach(t, i, v)
	{
		if (!json_is_string(v) || strcmp(json_string_value(v), "middle-out"))
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen,
	         "transforms must be an array of transform names; the only one "
	         "available is \"middle-out\"");
	return SY_EINVAL;
}

bool dp_middleout_wanted(const struct dp_chat_req *req, uint32_t context)
{
	json_t *t = json_object_get(req->body, "transforms");
	if (!context)
		return false;
	if (json_is_array(t))
		return json_array_size(t) > 0; /* only "middle-out" passes the check */
	return context <= DP_MIDDLEOUT_DEFAULT_CONTEXT;
}

/* Estimated tokens of one message: its text, tool-call arguments and framing. */
static uint64_t message_tokens(const json_t *m)
{
	uint64_t chars = 0;
	const json_t *c = json_object_get(m, "content");
	size_t i;
	json_t *v;
	if (json_is_string(c))
		chars += sy_json_chars(c);
	json_array_foreach(c, i, v)
	{
		const json_t *text = json_object_get(v, "text");
		if (json_is_string(text))
			chars += sy_json_chars(text);
	}
	json_array_foreach(json_object_get(m, "tool_calls"), i, v)
	{
		const json_t *args = json_object_get(json_object_get(v, "function"), "arguments");
		if (json_is_string(args))
			chars += sy_json_chars(args);
	}
	return (chars + 3) / 4 + DP_MIDDLEOUT_MESSAGE_TOKENS;
}

static bool role_is(const json_t *m, const char *role)
{
	const char *r = json_string_value(json_object_get(m, "role"));
	return r && !strcmp(r, role);
}

/* The end (exclusive) of the unit starting at i: an assistant turn with its tool results. */
static size_t unit_end(const json_t *messages, size_t i, size_t n)
{
	size_t j = i + 1;
	while (j < n && role_is(json_array_get(messages, j), "tool"))
		j++;
	return j;
}

size_t dp_middleout_plan(const json_t *messages, uint64_t budget, bool *keep)
{
	size_t n = json_array_size(messages);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		keep[i] = true;
		total += message_tokens(json_array_get(messages, i));
	}
	/* what may go: after the leading system/developer messages and the first turn, before
	 * the last turn */
	size_t lo = 0;
	while (lo < n && (role_is(json_array_get(messages, lo), "system") ||
	                  role_is(json_array_get(messages, lo), "developer")))
		lo++;
	if (lo < n)
		lo = unit_end(messages, lo, n);
	size_t hi = n ? n - 1 : 0;
	while (hi > lo && role_is(json_array_get(messages, hi), "tool"))
		hi--; /* the last turn is the call and its results together */
	size_t dropped = 0;
	while (total > budget && lo < hi) {
		/* the kept unit nearest the middle of what may go */
		size_t mid = lo + (hi - lo) / 2, start = SIZE_MAX;
		for (size_t d = 0; start == SIZE_MAX && d <= hi - lo; d++) {
			if (mid >= lo + d && keep[mid - d] &&
			    !role_is(json_array_get(messages, mid - d), "tool"))
				start = mid - d;
			else if (mid + d < hi && keep[mid + d] &&
			         !role_is(json_array_get(messages, mid + d), "tool"))
				start = mid + d;
		}
		if (start == SIZE_MAX)
			break;
		size_t end = unit_end(messages, start, hi);
		for (size_t i = start; i < end; i++) {
			keep[i] = false;
			total -= message_tokens(json_array_get(messages, i));
			dropped++;
		}
	}
	return dropped;
}

int dp_middleout_apply(const struct dp_chat_req *req, uint32_t context, struct dp_chat_req *out)
{
	if (!dp_middleout_wanted(req, context))
		return 0;
	const json_t *msgs = json_object_get(req->body, "messages");
	uint64_t reserve = req->max_tokens > 0 && (uint64_t)req->max_tokens < context
	                       ? (uint64_t)req->max_tokens
	                       : 0;
	size_t n = json_array_size(msgs);
	bool *keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	int rc = 0;
	if (dp_middleout_plan(msgs, context - reserve, keep)) {
		json_t *body = json_copy(req->body), *kept = json_array();
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				json_array_append(kept, json_array_get(msgs, i));
		char *text = NULL, err[256];
		if (body && kept && !json_object_set(body, "messages", kept) &&
		    (text = sy_json_dump(body)))
			/* it parsed before, less some messages: a failure is ours, not the client's */
			rc = dp_request_parse(text, strlen(text), out, err, sizeof(err)) ? -EINVAL
			                                                                 : 1;
		else
			rc = -ENOMEM;
		free(text);
		json_decref(kept);
		json_decref(body);
	}
	free(keep);
	return rc;
}
