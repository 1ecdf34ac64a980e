/* cp_response.c - JSON answers and error envelopes of the admin API. */
#include "cp_response.h"
#include "cp_validate.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_log.h"

#include <stdio.h>

void cp_response_json(struct cp_response *res, unsigned status, json_t *root)
{
	res->status = status;
	res->body = root ? sy_json_dump(root) : NULL;
	json_decref(root);
	if (!res->body) {
		res->status = 500;
		res->body = sy_json_error(500, "out of memory", NULL);
	}
}

void cp_response_verror(struct cp_response *res, unsigned status, json_t *meta, const char *fmt,
                        va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	res->status = status;
	res->body = sy_json_error((int)status, msg, meta);
}

void cp_response_field_error(struct cp_response *res, unsigned status, const char *field,
                             const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cp_response_verror(res, status, field ? json_pack("{s:s}", "field", field) : NULL, fmt, ap);
	va_end(ap);
}

void cp_response_internal(struct cp_response *res, const char *module, const char *what, int rc)
{
	sy_err("%s: %s: %s", module, what, sy_strerror(rc));
	cp_response_field_error(res, 500, NULL, "internal error (%s)", sy_strerror(rc));
}

void cp_response_data(struct cp_response *res, unsigned status, json_t *data)
{
	cp_response_json(res, status, data ? json_pack("{s:o}", "data", data) : NULL);
}

void cp_response_error(struct cp_response *res, unsigned status, json_t *meta, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cp_response_verror(res, status, meta, fmt, ap);
	va_end(ap);
}

void cp_response_verr(struct cp_response *res, unsigned status, const struct cp_verr *e)
{
	cp_response_error(res, status, json_pack("{s:s}", "field", e->field), "%s", e->message);
}

void cp_response_rc(struct cp_response *res, const char *module, const char *what, int rc)
{
	if (rc == SY_ENOTFOUND)
		cp_response_error(res, 404, NULL, "%s not found", what);
	else
		cp_response_internal(res, module, what, rc);
}
