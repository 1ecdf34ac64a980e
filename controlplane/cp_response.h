/* cp_response.h - the admin API's answers, one set for every admin module (cp_admin,
 * cp_billing, cp_byok, cp_reports, cp_auditlog): {"data": ...} on success, OpenRouter's
 * {"error":{"code","message","metadata"}} otherwise. */
#ifndef CP_RESPONSE_H
#define CP_RESPONSE_H

#include <jansson.h>
#include <stdarg.h>

struct cp_verr;

/* The answer: an HTTP status and a malloc'ed body the caller frees. */
struct cp_response {
	unsigned status;
	char *body;
	const char *content_type; /* NULL = application/json */
};

/* Fill res with status and root as JSON (steals root); a 500 "out of memory" error instead
 * when root is NULL or cannot be serialised. */
void cp_response_json(struct cp_response *res, unsigned status, json_t *root);
/* Fill res with OpenRouter's error envelope: status, the printf-style message from fmt and ap,
 * and metadata meta (stolen; may be NULL). */
void cp_response_verror(struct cp_response *res, unsigned status, json_t *meta, const char *fmt,
                        va_list ap) __attribute__((format(printf, 4, 0)));
/* The same with metadata {"field": field} (none when field is NULL). */
void cp_response_field_error(struct cp_response *res, unsigned status, const char *field,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A 500 "internal error (<rc>)", logged as "<module>: <what>: <rc>". */
void cp_response_internal(struct cp_response *res, const char *module, const char *what, int rc);

/* {"data": data} (steals data; NULL = out of memory, a 500). */
void cp_response_data(struct cp_response *res, unsigned status, json_t *data);
/* The error envelope with metadata meta (stolen; may be NULL), printf-style. */
void cp_response_error(struct cp_response *res, unsigned status, json_t *meta, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A field error from validation: e's message, metadata {"field": e's field}. */
void cp_response_verr(struct cp_response *res, unsigned status, const struct cp_verr *e);
/* A store or allocation failure: 404 "<what> not found" for SY_ENOTFOUND, otherwise
 * cp_response_internal's 500 (logged, the code not shown beyond its name). */
void cp_response_rc(struct cp_response *res, const char *module, const char *what, int rc);

#endif
