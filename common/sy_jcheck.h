/* sy_jcheck.h - small helpers for checking client JSON field by field (the request body, a
 * key's provider preferences), each failure a message for the client. */
#ifndef SY_JCHECK_H
#define SY_JCHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Where the client-facing message goes. */
struct sy_errmsg {
	char *s;
	size_t n;
};

/* Write the message into e; returns SY_EINVAL. */
int sy_jcheck_bad(struct sy_errmsg *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A client's request body parsed (flags as json_loadb's); NULL with a message in e when it is
 * not JSON, a NUL byte anywhere included (jansson would stop at a NUL after a complete value
 * and accept the rest unseen). */
json_t *sy_jcheck_body(const char *data, size_t len, size_t flags, struct sy_errmsg *e);
/* The member, or NULL when absent or null. */
json_t *sy_jcheck_opt(const json_t *obj, const char *key);
/* v is a string equal to one of the NULL-terminated set. */
bool sy_jcheck_one_of(const json_t *v, const char *const *set);

#endif
