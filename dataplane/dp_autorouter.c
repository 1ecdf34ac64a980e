/* dp_autorouter.c - evaluating the auto router's rules for one request.
 *
 * The request was validated by dp_request_parse: messages is a non-empty array of objects
 * with a role, and a content that is a string, an array of parts or null. */
#include "dp_autorouter.h"
#include "sy_err.h"
#include "sy_msg.h"

#include <stdio.h>
#include <string.h>

static bool has_keyword(const char *text, char *const *keywords, size_t n)
{
	for (size_t i = 0; text && i < n; i++)
		if (keywords[i][0] && strcasestr(text, keywords[i]))
			return true;
	return false;
}

/* One of the keywords occurs in the text (or a text part) of the last user message. */
static bool last_user_mentions(const json_t *body, char *const *keywords, size_t n)
{
	const json_t *msgs = json_object_get(body, "messages");
	for (size_t i = json_array_size(msgs); i-- > 0;) {
		const json_t *m = json_array_get(msgs, i);
		const char *role = json_string_value(json_object_get(m, "role"));
		if (!role || strcmp(role, "user"))
			continue;
		const json_t *content = json_object_get(m, "content");
		if (json_is_string(content))
			return has_keyword(json_string_value(content), keywords, n);
		size_t j;
		const json_t *part;
		json_array_foreach(content, j, part)
		{
			if (has_keyword(json_string_value(json_object_get(part, "text")), keywords,
			                n))
				return true;
		}
		return false;
	}
	return false;
}

static bool rule_matches(const Sy__AutoRule *r, const struct dp_chat_req *req)
{
	if (r->has_min_prompt_tokens && req->prompt_tokens_est < r->min_prompt_tokens)
		return false;
	if (r->has_has_tools && req->has_tools != (bool)r->has_tools)
		return false;
	if (r->n_keywords && !last_user_mentions(req->body, r->keywords, r->n_keywords))
		return false;
	return true;
}

const char *dp_autorouter_choose(const Sy__AutoRouter *ar, const struct dp_chat_req *req)
{
	for (size_t i = 0; i < ar->n_rules; i++)
		if (rule_matches(ar->rules[i], req))
			return ar->rules[i]->model;
	return ar->default_model;
}

int dp_autorouter_resolve(const Sy__AutoRouter *ar, struct dp_chat_req *req, char *err,
                          size_t errlen)
{
	const char *chosen = NULL;
	size_t n = 0;
	for (size_t i = 0; i < req->n_models; i++) {
		const char *id = req->models[i];
		if (sy_auto_router_is(id)) {
			if (!ar) {
				snprintf(err, errlen,
				         "%s is not available: no auto-router rules are configured "
				         "(PUT /api/v1/auto-router on the controlplane)",
				         id);
				return SY_ENOTFOUND;
			}
			if (!chosen)
				chosen = dp_autorouter_choose(ar, req);
			id = chosen;
		}
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = !strcmp(req->models[j], id);
		if (!dup)
			req->models[n++] = id;
	}
	req->n_models = n;
	return 0;
}
