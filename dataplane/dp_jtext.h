/* dp_jtext.h - JSON text used in place: validated once, then walked as spans of the text.
 *
 * The response path changes a handful of members of an upstream answer and passes everything
 * else through byte for byte. Building a jansson tree of a whole answer and dumping it again
 * cost more CPU than all the rest of a request; this scanner validates a text in one pass
 * without allocating, after which values are found by skipping over their text. It accepts
 * what jansson accepts (RFC 8259 grammar, valid escapes and surrogate pairs, valid UTF-8, no
 * NUL character, at most DP_JTEXT_MAX_DEPTH levels of nesting), except that numbers of any
 * size pass.
 *
 * Every function taking a struct dp_jval requires a value from a text dp_jtext_check accepted. */
#ifndef DP_JTEXT_H
#define DP_JTEXT_H

#include "sy_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DP_JTEXT_MAX_DEPTH 2048 /* jansson's limit */

/* One value's text without surrounding whitespace: `{...}`, `[...]`, `"..."` (quotes
 * included), a number, `true`, `false` or `null`. */
struct dp_jval {
	const char *p;
	size_t n;
};

/* A walk over the members of an object or the elements of an array. */
struct dp_jiter {
	const char *p;   /* the next member or element, or the closing bracket */
	const char *end; /* the closing bracket */
};

/* Validate p[0..n) as one JSON value with optional surrounding whitespace and set *root to it.
 * 0, or SY_EPROTO when the text is not JSON. */
int dp_jtext_check(const char *p, size_t n, struct dp_jval *root);

/* The kind of a value: its first character ('{', '[', '"', 't', 'f', 'n', or '-' or a digit
 * for a number). */
static inline char dp_jtext_kind(const struct dp_jval *v)
{
	return v->p[0];
}

/* Start walking an object or an array. */
void dp_jtext_iter(const struct dp_jval *container, struct dp_jiter *it);
/* The next member of an object (key is the string value, quotes included); false at the end. */
bool dp_jtext_member(struct dp_jiter *it, struct dp_jval *key, struct dp_jval *val);
/* The next element of an array; false at the end. */
bool dp_jtext_element(struct dp_jiter *it, struct dp_jval *val);

/* Whether a value is a string that, decoded, equals name[0..n). */
bool dp_jtext_str_eqn(const struct dp_jval *v, const char *name, size_t n);
/* The same for a C string (a constant's length is known at compile time). */
static inline bool dp_jtext_str_eq(const struct dp_jval *v, const char *name)
{
	return dp_jtext_str_eqn(v, name, strlen(name));
}
/* The value of the member named name of object obj, the last one of duplicates (as jansson
 * keeps); false if absent or if obj is NULL or not an object. */
bool dp_jtext_get(const struct dp_jval *obj, const char *name, struct dp_jval *val);
/* Several members of object obj (NULL or not an object: none) in one walk: vals[i] is the
 * last member named names[i], or has p NULL when there is none. */
void dp_jtext_pick(const struct dp_jval *obj, const char *const *names, size_t n,
                   struct dp_jval *vals);
/* An integer literal (no fraction, no exponent) that fits in 64 bits; false otherwise. */
bool dp_jtext_int(const struct dp_jval *v, int64_t *out);
/* Characters (Unicode code points) of a string value once decoded; 0 for other values. */
size_t dp_jtext_chars(const struct dp_jval *v);
/* Decode a string value into buf (cap >= 1): NUL-terminated, cut to at most cap - 1 bytes on
 * a character boundary. Returns the full decoded length in bytes. */
size_t dp_jtext_str(const struct dp_jval *v, char *buf, size_t cap);

/* Append s as a JSON string (quoted and escaped; bytes that are not UTF-8 become U+FFFD),
 * or null for NULL. 0 or the sy_buf error. */
int dp_jtext_put_str(struct sy_buf *b, const char *s);

#endif
