/* dp_reasoning.c - reasoning forms for OpenAI-compatible upstreams, and their answers. */
#include "dp_reasoning.h"
#include "dp_adapter.h"
#include "sy_err.h"
#include "sy_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool dp_reasoning_excluded(const struct dp_chat_req *req)
{
	return json_is_true(json_object_get(json_object_get(req->body, "reasoning"), "exclude")) ||
	       json_is_false(json_object_get(req->body, "include_reasoning"));
}

bool dp_reasoning_asked(const struct dp_chat_req *req, const char *const *drop)
{
	return dp_adapter_param(req, drop, "reasoning") ||
	       dp_adapter_param(req, drop, "reasoning_effort") ||
	       dp_adapter_param(req, drop, "include_reasoning");
}

const char *dp_reasoning_effort(const struct dp_chat_req *req, const char *const *drop,
                                uint32_t max_tokens)
{
	json_t *r = dp_adapter_param(req, drop, "reasoning");
	const char *effort = json_string_value(json_object_get(r, "effort"));
	json_t *legacy = dp_adapter_param(req, drop, "reasoning_effort");
	json_t *budget = json_object_get(r, "max_tokens");
	json_t *enabled = json_object_get(r, "enabled");
	if (effort)
		return effort;
	if (json_is_string(legacy))
		return json_string_value(legacy);
	if (json_is_false(enabled))
		return "none";
	if (json_is_integer(budget) && json_integer_value(budget) > 0 && max_tokens) {
		double share = (double)json_integer_value(budget) / max_tokens;
		return share >= 0.875  ? "xhigh"
		       : share >= 0.65 ? "high"
		       : share >= 0.35 ? "medium"
		       : share >= 0.15 ? "low"
		                       : "minimal";
	}
	if (json_is_object(r) || json_is_true(dp_adapter_param(req, drop, "include_reasoning")))
		return "medium";
	return NULL;
}

/* Rename and drop in one message or delta; true if it changed. */
static bool fix(json_t *m, bool exclude)
{
	if (!json_is_object(m))
		return false;
	bool changed = false;
	json_t *rc = json_object_get(m, "reasoning_content");
	if (rc) {
		if (!exclude && !json_object_get(m, "reasoning"))
			json_object_set(m, "reasoning", rc);
		json_object_del(m, "reasoning_content");
		changed = true;
	}
	if (exclude) {
		changed |= !json_object_del(m, "reasoning");
		changed |= !json_object_del(m, "reasoning_details");
	}
	return changed;
}

static bool mentions(const char *data, size_t len, const char *key)
{
	return memmem(data, len, key, strlen(key)) != NULL;
}

int dp_reasoning_rewrite(const char *data, size_t len, bool exclude, struct sy_buf *out)
{
	/* the exact member names (usage's "reasoning_tokens" must not cost a parse) */
	if (!mentions(data, len, "\"reasoning_content\"") &&
	    !(exclude && (mentions(data, len, "\"reasoning\"") ||
	                  mentions(data, len, "\"reasoning_details\""))))
		return 0;
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr);
	if (!root)
		return SY_EPROTO;
	bool changed = false;
	size_t i;
	json_t *ch;
	json_array_foreach(json_object_get(root, "choices"), i, ch)
	{
		changed |= fix(json_object_get(ch, "message"), exclude);
		changed |= fix(json_object_get(ch, "delta"), exclude);
	}
	int rc = 0;
	if (changed) {
		char *s = sy_json_dump(root);
		rc = !s ? -ENOMEM : sy_buf_puts(out, s);
		rc = rc ? rc : 1;
		free(s);
	}
	json_decref(root);
	return rc;
}
