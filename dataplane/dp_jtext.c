/* dp_jtext.c - validating JSON scanner, span walker and string writer. */
#include "dp_jtext.h"
#include "sy_err.h"

#include <stddef.h>
#include <string.h>

/* Bytes that need no attention inside a string being validated: printable ASCII but the
 * quote and the backslash. */
static const bool plain[256] = {[0x20 ... 0x21] = true, /* '"' is 0x22 */
                                [0x23 ... 0x5B] = true, /* '\\' is 0x5C */
                                [0x5D ... 0x7F] = true};
/* Bytes that matter when skipping a validated container: quotes and brackets. */
static const bool structural[256] = {
    ['"'] = true, ['{'] = true, ['}'] = true, ['['] = true, [']'] = true};

/* ---- validation ------------------------------------------------------------------------- */

struct scan {
	const unsigned char *p, *end;
};

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && is_ws(*s->p))
		s->p++;
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Four hex digits at p (the caller checked there are four bytes); -1 if not hex. */
static long hex4(const unsigned char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(p[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Bytes of the well-formed UTF-8 sequence starting at p (a byte >= 0x80), 0 if ill-formed
 * (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* Whether the 8 bytes at p all are plain (table plain): no quote, backslash, control or
 * non-ASCII byte. Word-at-a-time tests (exact as a whole, whichever byte trips them). */
static bool plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t w, q, b;
	memcpy(&w, p, 8);
	q = w ^ (ones * '"');
	b = w ^ (ones * '\\');
	uint64_t special = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
	return !(special & highs);
}

/* A string; s->p is on the opening quote. */
static bool check_string(struct scan *s)
{
	const unsigned char *p = s->p + 1, *end = s->end;
	while (p < end) {
		while (end - p >= 8 && plain8(p))
			p += 8;
		while (p < end && plain[*p])
			p++;
		if (p == end)
			return false;
		unsigned char c = *p;
		if (c == '"') {
			s->p = p + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			size_t n = utf8_len(p, end);
			if (!n)
				return false;
			p += n;
			continue;
		}
		if (end - p < 2)
			return false;
		if (p[1] != 'u') {
			if (!p[1] || !strchr("\"\\/bfnrt", p[1]))
				return false;
			p += 2;
			continue;
		}
		long v = end - p >= 6 ? hex4(p + 2) : -1;
		if (v <= 0 || (v >= 0xDC00 && v <= 0xDFFF)) /* no NUL, no lone low surrogate */
			return false;
		p += 6;
		if (v >= 0xD800 && v <= 0xDBFF) {
			long w = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
			if (w < 0xDC00 || w > 0xDFFF)
				return false;
			p += 6;
		}
	}
	return false;
}

static bool check_number(struct scan *s)
{
	const unsigned char *p = s->p, *end = s->end;
	if (p < end && *p == '-')
		p++;
	if (p == end || !is_digit(*p))
		return false;
	if (*p++ != '0')
		while (p < end && is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		if (++p == end || !is_digit(*p))
			return false;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return false;
		while (p < end && is_digit(*p))
			p++;
	}
	s->p = p;
	return true;
}

static bool check_literal(struct scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return false;
	s->p += n;
	return true;
}

static bool check_value(struct scan *s, int depth);

/* An object or an array; s->p is on the opening bracket. */
static bool check_container(struct scan *s, int depth)
{
	bool object = *s->p == '{';
	unsigned char close = object ? '}' : ']';
	if (depth >= DP_JTEXT_MAX_DEPTH)
		return false;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		if (object) {
			if (s->p == s->end || *s->p != '"' || !check_string(s))
				return false;
			skip_ws(s);
			if (s->p == s->end || *s->p != ':')
				return false;
			s->p++;
			skip_ws(s);
		}
		if (!check_value(s, depth + 1))
			return false;
		skip_ws(s);
		if (s->p == s->end)
			return false;
		if (*s->p == close) {
			s->p++;
			return true;
		}
		if (*s->p++ != ',')
			return false;
		skip_ws(s);
	}
}

static bool check_value(struct scan *s, int depth)
{
	if (s->p == s->end)
		return false;
	switch (*s->p) {
	case '{':
	case '[':
		return check_container(s, depth);
	case '"':
		return check_string(s);
	case 't':
		return check_literal(s, "true", 4);
	case 'f':
		return check_literal(s, "false", 5);
	case 'n':
		return check_literal(s, "null", 4);
	default:
		return check_number(s);
	}
}

int dp_jtext_check(const char *p, size_t n, struct dp_jval *root)
{
	struct scan s = {(const unsigned char *)p, (const unsigned char *)p + n};
	skip_ws(&s);
	const unsigned char *start = s.p;
	if (!check_value(&s, 0))
		return SY_EPROTO;
	root->p = (const char *)start;
	root->n = (size_t)(s.p - start);
	skip_ws(&s);
	return s.p == s.end ? 0 : SY_EPROTO;
}

/* ---- walking validated text ------------------------------------------------------------- */

static const char *skip_space(const char *p)
{
	while (is_ws((unsigned char)*p))
		p++;
	return p;
}

/* Past the closing quote of the string at p. */
static const char *skip_string(const char *p)
{
	for (;;) {
		/* the text is valid: a closing quote follows; it is escaped when an odd number of
		 * backslashes precede it (the opening quote stops the count) */
		p = rawmemchr(p + 1, '"');
		size_t n = 0;
		while (p[-1 - (ptrdiff_t)n] == '\\')
			n++;
		if (!(n & 1))
			return p + 1;
	}
}

/* Past the value at p. */
static const char *skip_value(const char *p)
{
	switch (*p) {
	case '"':
		return skip_string(p);
	case '{':
	case '[':
		for (size_t depth = 0;;) {
			while (!structural[(unsigned char)*p])
				p++;
			char c = *p;
			if (c == '"') {
				p = skip_string(p);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return p + 1;
			p++;
		}
	case 't':
	case 'n':
		return p + 4;
	case 'f':
		return p + 5;
	default:
		while (is_digit((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.' ||
		       *p == 'e' || *p == 'E')
			p++;
		return p;
	}
}

void dp_jtext_iter(const struct dp_jval *c, struct dp_jiter *it)
{
	it->p = c->p + 1;
	it->end = c->p + c->n - 1;
}

/* The start of the next member or element, NULL at the end. */
static const char *next_item(struct dp_jiter *it)
{
	const char *p = skip_space(it->p);
	if (*p == ',')
		p = skip_space(p + 1);
	if (p >= it->end) {
		it->p = it->end;
		return NULL;
	}
	return p;
}

bool dp_jtext_element(struct dp_jiter *it, struct dp_jval *val)
{
	const char *p = next_item(it);
	if (!p)
		return false;
	val->p = p;
	it->p = skip_value(p);
	val->n = (size_t)(it->p - p);
	return true;
}

bool dp_jtext_member(struct dp_jiter *it, struct dp_jval *key, struct dp_jval *val)
{
	const char *p = next_item(it);
	if (!p)
		return false;
	key->p = p;
	p = skip_string(p);
	key->n = (size_t)(p - key->p);
	p = skip_space(skip_space(p) + 1); /* the colon */
	val->p = p;
	it->p = skip_value(p);
	val->n = (size_t)(it->p - p);
	return true;
}

bool dp_jtext_str_eqn(const struct dp_jval *v, const char *name, size_t n)
{
	if (dp_jtext_kind(v) != '"' || v->n - 2 < n)
		return false;
	/* an escape is longer than what it stands for: text as long as name has none */
	if (v->n - 2 == n)
		return !memcmp(v->p + 1, name, n);
	if (!memchr(v->p, '\\', v->n))
		return false;
	char buf[128];
	return n < sizeof(buf) && dp_jtext_str(v, buf, sizeof(buf)) == n && !memcmp(buf, name, n);
}

bool dp_jtext_get(const struct dp_jval *obj, const char *name, struct dp_jval *val)
{
	struct dp_jiter it;
	struct dp_jval k, v;
	bool found = false;
	if (!obj || dp_jtext_kind(obj) != '{')
		return false;
	dp_jtext_iter(obj, &it);
	while (dp_jtext_member(&it, &k, &v)) {
		if (dp_jtext_str_eq(&k, name)) {
			*val = v;
			found = true;
		}
	}
	return found;
}

void dp_jtext_pick(const struct dp_jval *obj, const char *const *names, size_t n,
                   struct dp_jval *vals)
{
	struct dp_jiter it;
	struct dp_jval k, v;
	for (size_t i = 0; i < n; i++)
		vals[i].p = NULL;
	if (!obj || dp_jtext_kind(obj) != '{')
		return;
	dp_jtext_iter(obj, &it);
	while (dp_jtext_member(&it, &k, &v))
		for (size_t i = 0; i < n; i++)
			if (dp_jtext_str_eq(&k, names[i]))
				vals[i] = v;
}

bool dp_jtext_int(const struct dp_jval *v, int64_t *out)
{
	const char *p = v->p, *end = v->p + v->n;
	bool neg = *p == '-';
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, x = 0;
	if (neg)
		p++;
	if (p == end || !is_digit((unsigned char)*p))
		return false;
	for (; p < end; p++) {
		if (!is_digit((unsigned char)*p))
			return false; /* a fraction or an exponent */
		unsigned d = (unsigned)(*p - '0');
		if (x > (limit - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = neg ? (int64_t)(0 - x) : (int64_t)x;
	return true;
}

/* Decode the escape at p (on the backslash) into cp; returns the bytes it takes. */
static size_t escape(const char *p, uint32_t *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (p[1] != 'u') {
		*cp = (unsigned char)to[strchr(from, p[1]) - from];
		return 2;
	}
	uint32_t v = (uint32_t)hex4((const unsigned char *)p + 2);
	if (v < 0xD800 || v > 0xDBFF) {
		*cp = v;
		return 6;
	}
	*cp = 0x10000 + ((v - 0xD800) << 10) +
	      ((uint32_t)hex4((const unsigned char *)p + 8) - 0xDC00);
	return 12;
}

size_t dp_jtext_chars(const struct dp_jval *v)
{
	size_t chars = 0;
	if (dp_jtext_kind(v) != '"')
		return 0;
	for (const char *p = v->p + 1, *end = v->p + v->n - 1; p < end;) {
		if (*p == '\\') {
			uint32_t cp;
			p += escape(p, &cp);
			chars++;
			continue;
		}
		/* the text is valid UTF-8: count every byte that does not continue a sequence */
		chars += ((unsigned char)*p++ & 0xC0) != 0x80;
	}
	return chars;
}

/* UTF-8 of cp into out (4 bytes of room); returns its length. */
static size_t encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t dp_jtext_str(const struct dp_jval *v, char *buf, size_t cap)
{
	size_t len = 0, used = 0;
	bool cut = false;
	for (const char *p = v->p + 1, *end = v->p + v->n - 1; p < end;) {
		char ch[4];
		size_t n;
		if (*p == '\\') {
			uint32_t cp;
			p += escape(p, &cp);
			n = encode(cp, ch);
		} else {
			n = (unsigned char)*p < 0x80
			        ? 1
			        : utf8_len((const unsigned char *)p, (const unsigned char *)end);
			memcpy(ch, p, n);
			p += n;
		}
		len += n;
		if (!cut && used + n < cap) {
			memcpy(buf + used, ch, n);
			used += n;
		} else {
			cut = true;
		}
	}
	buf[used] = '\0';
	return len;
}

/* ---- writing ---------------------------------------------------------------------------- */

int dp_jtext_put_str(struct sy_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (!s)
		return sy_buf_append(b, "null", 4);
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	int rc = sy_buf_append(b, "\"", 1);
	while (!rc && p < end) {
		const unsigned char *run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			rc = sy_buf_append(b, run, (size_t)(p - run));
		if (rc || p == end)
			break;
		if (*p >= 0x80) {
			size_t n = utf8_len(p, end);
			rc = n ? sy_buf_append(b, p, n) : sy_buf_append(b, "\\ufffd", 6);
			p += n ? n : 1;
		} else if (*p == '"' || *p == '\\') {
			char e[2] = {'\\', (char)*p++};
			rc = sy_buf_append(b, e, 2);
		} else {
			char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
			p++;
			rc = sy_buf_append(b, e, 6);
		}
	}
	return rc ? rc : sy_buf_append(b, "\"", 1);
}
