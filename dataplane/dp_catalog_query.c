/* dp_catalog_query.c - GET /models' filters and paging (see dp_catalog_query.h). */
#include "dp_catalog_query.h"
#include "sy_buf.h"
#include "sy_err.h"
#include "sy_jcheck.h"
#include "sy_proc.h"

#include <curl/curl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* OpenRouter's filters that Switchyard's catalog cannot answer: refused, never ignored. */
static const char *const refused[] = {
    "arch",
    "distillable",
    "max_age_days",
    "max_agentic_index",
    "max_coding_index",
    "max_intelligence_index",
    "max_output_price",
    "max_price",
    "max_tool_success_rate",
    "min_age_days",
    "min_agentic_index",
    "min_coding_index",
    "min_intelligence_index",
    "min_output_price",
    "min_price",
    "min_tool_success_rate",
    "providers",
    "region",
    "sort",
    "zdr",
};

struct scan {
	const char *bad;
};

static enum MHD_Result find_refused(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	struct scan *s = cls;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!strcmp(key, refused[i])) {
			s->bad = refused[i];
			return MHD_NO;
		}
	return MHD_YES;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	return v && *v ? v : NULL;
}

static int number(struct MHD_Connection *c, const char *name, long long min, long long max,
                  long long *out, struct sy_errmsg *e)
{
	const char *v = arg(c, name);
	if (v && !sy_parse_num(v, min, max, out))
		return sy_jcheck_bad(e, "%s must be an integer from %lld to %lld", name, min, max);
	return 0;
}

int dp_catalog_query_read(struct MHD_Connection *c, struct dp_catalog_query *mq, char *err,
                          size_t errlen)
{
	struct sy_errmsg e = {err, errlen};
	struct scan s = {NULL};
	*mq = (struct dp_catalog_query){0};
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, find_refused, &s);
	if (s.bad)
		return sy_jcheck_bad(&e,
		                     "%s is not supported by this gateway's catalog (supported: q, "
		                     "category, supported_parameters, context, model_authors, "
		                     "input_modalities, output_modalities, offset, limit)",
		                     s.bad);
	mq->q = arg(c, "q");
	mq->category = arg(c, "category");
	mq->supported_parameters = arg(c, "supported_parameters");
	mq->model_authors = arg(c, "model_authors");
	mq->input_modalities = arg(c, "input_modalities");
	mq->output_modalities = arg(c, "output_modalities");
	long long offset = 0, limit = 0;
	int rc = number(c, "context", 1, UINT32_MAX, &mq->context, &e);
	rc = rc ? rc : number(c, "offset", 0, 1000000000, &offset, &e);
	rc = rc ? rc : number(c, "limit", 1, DP_CATALOG_QUERY_LIMIT_MAX, &limit, &e);
	mq->offset = (size_t)offset;
	mq->limit = (size_t)limit;
	return rc;
}

/* Each item of a comma-separated list (empty items skipped) passes test. */
static bool each_item(const char *list, bool all, bool (*test)(const char *, size_t, const void *),
                      const void *arg)
{
	bool any = false;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n) {
			bool ok = test(p, n, arg);
			if (all && !ok)
				return false;
			any = any || ok;
		}
		p += n + (p[n] == ',');
	}
	return all || any;
}

static bool in_array(const char *s, size_t n, const void *arg)
{
	size_t i;
	json_t *v;
	json_array_foreach((const json_t *)arg, i, v)
	{
		if (json_string_length(v) == n && !memcmp(json_string_value(v), s, n))
			return true;
	}
	return false;
}

static bool is_author(const char *s, size_t n, const void *arg)
{
	const char *id = arg;
	return !strncmp(id, s, n) && id[n] == '/';
}

/* needle (lowercase is not assumed) in the string member name of model, ignoring case. */
static bool mentions(const json_t *model, const char *name, const char *needle)
{
	const char *s = json_string_value(json_object_get(model, name));
	size_t n = strlen(needle);
	for (; s && *s; s++)
		if (!strncasecmp(s, needle, n))
			return true;
	return false;
}

bool dp_catalog_query_match(const struct dp_catalog_query *mq, const Sy__Model *m,
                            const json_t *model)
{
	if (!mq)
		return true;
	if (mq->q && !mentions(model, "id", mq->q) && !mentions(model, "name", mq->q) &&
	    !mentions(model, "description", mq->q))
		return false;
	if (mq->category) {
		bool found = false;
		for (size_t i = 0; i < m->n_categories && !found; i++)
			found = !strcmp(m->categories[i], mq->category);
		if (!found)
			return false;
	}
	if (mq->supported_parameters && !each_item(mq->supported_parameters, true, in_array,
	                                           json_object_get(model, "supported_parameters")))
		return false;
	if (mq->model_authors && !each_item(mq->model_authors, false, is_author, m->id))
		return false;
	const json_t *arch = json_object_get(model, "architecture");
	const char *out = mq->output_modalities ? mq->output_modalities : "text";
	if (mq->input_modalities && strcmp(mq->input_modalities, "all") &&
	    !each_item(mq->input_modalities, false, in_array,
	               json_object_get(arch, "input_modalities")))
		return false;
	if (strcmp(out, "all") &&
	    !each_item(out, false, in_array, json_object_get(arch, "output_modalities")))
		return false;
	json_t *ctx = json_object_get(model, "context_length");
	return !mq->context || (json_is_integer(ctx) && json_integer_value(ctx) >= mq->context);
}

static int put_param(struct sy_buf *b, const char *name, const char *value)
{
	if (!value)
		return 0;
	char *esc = curl_easy_escape(NULL, value, 0);
	int rc = esc ? sy_buf_printf(b, "%s=%s&", name, esc) : SY_EINVAL;
	curl_free(esc);
	return rc;
}

json_t *dp_catalog_query_next(const struct dp_catalog_query *mq, const char *path, size_t end,
                              size_t total)
{
	if (!mq || !mq->limit || end >= total)
		return json_null();
	struct sy_buf b;
	sy_buf_init(&b, 0);
	int rc = sy_buf_printf(&b, "%s?", path);
	rc = rc ? rc : put_param(&b, "q", mq->q);
	rc = rc ? rc : put_param(&b, "category", mq->category);
	rc = rc ? rc : put_param(&b, "supported_parameters", mq->supported_parameters);
	rc = rc ? rc : put_param(&b, "model_authors", mq->model_authors);
	rc = rc ? rc : put_param(&b, "input_modalities", mq->input_modalities);
	rc = rc ? rc : put_param(&b, "output_modalities", mq->output_modalities);
	if (!rc && mq->context)
		rc = sy_buf_printf(&b, "context=%lld&", mq->context);
	rc = rc ? rc : sy_buf_printf(&b, "offset=%zu&limit=%zu", end, mq->limit);
	json_t *next = rc ? NULL : json_string(b.data);
	sy_buf_release(&b);
	return next;
}
