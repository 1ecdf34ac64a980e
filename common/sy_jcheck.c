/* sy_jcheck.c - field-check helpers shared by the request and provider-preference checks. */
#include "sy_jcheck.h"
#include "sy_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sy_jcheck_bad(struct sy_errmsg *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->s, e->n, fmt, ap);
	va_end(ap);
	return SY_EINVAL;
}

json_t *sy_jcheck_body(const char *data, size_t len, size_t flags, struct sy_errmsg *e)
{
	const char *nul = memchr(data, '\0', len);
	if (nul) {
		sy_jcheck_bad(e,
		              "request body is not valid JSON: it holds a NUL byte at offset %zu",
		              (size_t)(nul - data));
		return NULL;
	}
	json_error_t jerr;
	json_t *body = json_loadb(data, len, flags, &jerr);
	if (!body)
		sy_jcheck_bad(e, "request body is not valid JSON: %s (line %d, column %d)",
		              jerr.text, jerr.line, jerr.column);
	return body;
}

json_t *sy_jcheck_opt(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

bool sy_jcheck_one_of(const json_t *v, const char *const *set)
{
	const char *s = json_string_value(v);
	for (; s && *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}
