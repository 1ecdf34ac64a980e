/* dp_heal.c - response healing (see dp_heal.h).
 *
 * The repairer is hand-written: jansson (like every strict JSON library) stops at the first
 * error, and a lenient parser for the errors models make has no package in Debian. It is one
 * left-to-right pass over the text that re-emits it as strict JSON, so it cannot loop: every
 * step consumes input, the output grows by at most a few bytes per input byte, and nesting is
 * bounded. What it writes is then parsed by jansson; only a text jansson accepts is ever
 * returned. Commas are written lazily, before the next member or element, so trailing ones
 * disappear and missing ones appear; whitespace outside strings is dropped.
 *
 * Where the JSON starts: at an opening brace or bracket, the first few of the text tried in
 * order (prose and code fences before it are dropped); where it ends: when its outermost
 * value closes (what follows is dropped) or at the end of the text, where a truncated answer
 * is closed: an open string gets its quote, a key its ": null", a half-written literal or
 * number its end, then every open array and object its bracket. */
#include "dp_heal.h"
#include "dp_jtext.h"
#include "sy_err.h"
#include "sy_jcheck.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 256    /* nesting kept; deeper is not repaired */
#define CANDIDATES_MAX 8 /* opening brackets tried as the start of the JSON */

const char *dp_heal_status_name(enum dp_heal_status s)
{
	switch (s) {
	case DP_HEAL_VALID:
		return "valid";
	case DP_HEAL_HEALED:
		return "healed";
	case DP_HEAL_UNHEALABLE:
		return "unhealable";
	default:
		return NULL;
	}
}

/* ---- the repairer ----------------------------------------------------------------------- */

enum want {
	WANT_VALUE,
	WANT_KEY,
	WANT_COLON,
	AFTER_VALUE
};

struct fixer {
	const char *p, *end;
	struct sy_buf out;
	char stack[DEPTH_MAX]; /* the open containers: '{' or '[' */
	size_t depth;
	enum want want;
	bool done; /* the outermost value closed */
	int rc;    /* the first output error */
};

static void put(struct fixer *f, const char *s, size_t n)
{
	if (!f->rc)
		f->rc = sy_buf_append(&f->out, s, n);
}

static void putc_(struct fixer *f, char c)
{
	put(f, &c, 1);
}

static char last_out(const struct fixer *f)
{
	return f->out.len ? f->out.data[f->out.len - 1] : '\0';
}

static char top(const struct fixer *f)
{
	return f->depth ? f->stack[f->depth - 1] : '\0';
}

/* Before a member (in an object) or an element (in an array): the comma, unless it is the
 * container's first. A value after a key's colon needs none. */
static void separate(struct fixer *f)
{
	char c = last_out(f);
	if (f->depth && c != '{' && c != '[' && c != ':')
		putc_(f, ',');
}

static void value_done(struct fixer *f)
{
	f->want = f->depth ? AFTER_VALUE : WANT_VALUE;
	if (!f->depth)
		f->done = true;
}

/* c is one of set (never the NUL that ends it). */
static bool in_set(char c, const char *set)
{
	return c && strchr(set, c);
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* \uXXXX at p (p[0] == '\\', p[1] == 'u'): its code unit, or -1 when the four digits are not
 * all there. */
static long hex4(const char *p, const char *end)
{
	if (end - p < 6)
		return -1;
	for (int i = 2; i < 6; i++)
		if (!is_hex(p[i]))
			return -1;
	char d[5] = {p[2], p[3], p[4], p[5], '\0'};
	return strtol(d, NULL, 16);
}

/* A \u escape: kept when it is one, with a lone surrogate replaced by U+FFFD (jansson
 * refuses those); a truncated one at the end of the text is dropped; anything else is a
 * backslash to escape. */
static void unicode_escape(struct fixer *f)
{
	long u = hex4(f->p, f->end);
	if (u < 0) {
		const char *q = f->p + 2;
		while (q < f->end && is_hex(*q))
			q++;
		if (q == f->end) { /* cut off inside the escape */
			f->p = q;
			return;
		}
		put(f, "\\\\", 2); /* the 'u' follows as a plain character */
		f->p++;
		return;
	}
	if (u >= 0xD800 && u <= 0xDBFF) {
		long lo = f->end - f->p >= 12 && f->p[6] == '\\' && f->p[7] == 'u'
		              ? hex4(f->p + 6, f->end)
		              : -1;
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			put(f, f->p, 12);
			f->p += 12;
			return;
		}
	}
	if (u >= 0xD800 && u <= 0xDFFF)
		put(f, "\\uFFFD", 6);
	else
		put(f, f->p, 6);
	f->p += 6;
}

/* A string opened by quote (" or '), written double-quoted; closed at the end of the text. */
static void string(struct fixer *f)
{
	static const char hexd[] = "0123456789abcdef";
	char quote = *f->p++;
	putc_(f, '"');
	while (f->p < f->end) {
		unsigned char c = (unsigned char)*f->p;
		if (c == (unsigned char)quote) {
			f->p++;
			putc_(f, '"');
			return;
		}
		if (c == '\\') {
			char n = f->p + 1 < f->end ? f->p[1] : '\0';
			if (f->p + 1 == f->end) {
				f->p++; /* cut off after the backslash */
			} else if (in_set(n, "\"\\/bfnrt")) {
				put(f, f->p, 2);
				f->p += 2;
			} else if (n == 'u') {
				unicode_escape(f);
			} else if (n == '\'') {
				putc_(f, '\'');
				f->p += 2;
			} else { /* an invalid escape: the backslash was meant literally */
				put(f, "\\\\", 2);
				f->p++;
			}
		} else if (c == '"') { /* inside a single-quoted string */
			put(f, "\\\"", 2);
			f->p++;
		} else if (c < 0x20) {
			const char *esc = c == '\n'   ? "\\n"
			                  : c == '\r' ? "\\r"
			                  : c == '\t' ? "\\t"
			                              : NULL;
			if (esc) {
				put(f, esc, 2);
			} else {
				char u[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
				put(f, u, 6);
			}
			f->p++;
		} else {
			putc_(f, (char)c);
			f->p++;
		}
	}
	putc_(f, '"'); /* truncated */
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

/* A literal: JSON's, Python's (True, False, None), or at the end of the text the start of
 * one. false when it is none of those. */
static bool literal(struct fixer *f)
{
	static const char *const words[][2] = {{"true", "true"},   {"false", "false"},
	                                       {"null", "null"},   {"True", "true"},
	                                       {"False", "false"}, {"None", "null"}};
	const char *s = f->p;
	while (f->p < f->end && is_word(*f->p))
		f->p++;
	size_t n = (size_t)(f->p - s);
	bool cut = f->p == f->end;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wn = strlen(words[i][0]);
		if (n == wn ? !memcmp(s, words[i][0], n)
		            : cut && n < wn && !memcmp(s, words[i][0], n)) {
			put(f, words[i][1], strlen(words[i][1]));
			return true;
		}
	}
	return false;
}

/* A number as written (jansson judges it in the end); one cut off after a sign, point or
 * exponent gets a 0. */
static void number(struct fixer *f)
{
	const char *s = f->p;
	while (f->p < f->end && in_set(*f->p, "0123456789+-.eE"))
		f->p++;
	put(f, s, (size_t)(f->p - s));
	if (f->p == f->end && in_set(f->p[-1], "+-.eE"))
		putc_(f, '0');
}

/* A bare key: letters, digits, _, $ and -. */
static void bare_key(struct fixer *f)
{
	const char *s = f->p;
	while (f->p < f->end && (is_word(*f->p) || *f->p == '-'))
		f->p++;
	putc_(f, '"');
	put(f, s, (size_t)(f->p - s));
	putc_(f, '"');
}

static bool open_container(struct fixer *f)
{
	if (f->depth == DEPTH_MAX)
		return false;
	char c = *f->p++;
	f->stack[f->depth++] = c;
	putc_(f, c);
	f->want = c == '{' ? WANT_KEY : WANT_VALUE;
	return true;
}

/* A closing bracket: closes the containers down to the one it matches (a model that forgot
 * to close an inner one); one that matches none is an extra one, dropped. */
static bool close_container(struct fixer *f)
{
	char want = *f->p == '}' ? '{' : '[';
	size_t i = f->depth;
	while (i && f->stack[i - 1] != want)
		i--;
	f->p++;
	if (!i)
		return true;
	while (f->depth >= i)
		putc_(f, f->stack[--f->depth] == '{' ? '}' : ']');
	value_done(f);
	return true;
}

/* A value where one is expected (the comma before it already written). */
static bool value(struct fixer *f)
{
	char c = *f->p;
	if (c == '{' || c == '[')
		return open_container(f);
	if (c == '"' || c == '\'')
		string(f);
	else if (c == '-' || (c >= '0' && c <= '9'))
		number(f);
	else if (!(is_word(c) && literal(f)))
		return false;
	value_done(f);
	return true;
}

static bool step(struct fixer *f)
{
	char c = *f->p;
	bool in_object = top(f) == '{';
	switch (f->want) {
	case WANT_VALUE:
		if (c == ']' && top(f) == '[') /* an empty array, or a trailing comma */
			return close_container(f);
		separate(f);
		return value(f);
	case WANT_KEY:
		if (c == '}')
			return close_container(f);
		separate(f);
		if (c == '"' || c == '\'')
			string(f);
		else if (is_word(c))
			bare_key(f);
		else
			return false;
		f->want = WANT_COLON;
		return true;
	case WANT_COLON:
		if (c != ':')
			return false;
		f->p++;
		putc_(f, ':');
		f->want = WANT_VALUE;
		return true;
	case AFTER_VALUE:
		if (c == ',') {
			f->p++;
			f->want = in_object ? WANT_KEY : WANT_VALUE;
			return true;
		}
		if (c == '}' || c == ']')
			return close_container(f);
		/* a missing comma: the next member or element starts */
		f->want = in_object ? WANT_KEY : WANT_VALUE;
		return step(f);
	}
	return false;
}

/* Close what the end of the text left open. */
static void finish(struct fixer *f)
{
	if (f->want == WANT_COLON)
		put(f, ":null", 5);
	else if (f->want == WANT_VALUE && top(f) == '{')
		put(f, "null", 4);
	while (f->depth)
		putc_(f, f->stack[--f->depth] == '{' ? '}' : ']');
}

/* Repair from start (an opening bracket) on; true with f->out holding jansson-valid JSON. */
static bool repair_from(struct fixer *f, const char *start, const char *end)
{
	*f = (struct fixer){.p = start, .end = end, .want = WANT_VALUE};
	sy_buf_init(&f->out, 0);
	while (f->p < f->end && !f->done && !f->rc) {
		char c = *f->p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			f->p++;
			continue;
		}
		if (!step(f))
			goto fail;
	}
	if (!f->done)
		finish(f);
	if (f->rc || !f->out.len || memchr(f->out.data, '\0', f->out.len))
		goto fail;
	json_t *j = json_loadb(f->out.data, f->out.len, 0, NULL);
	if (!j)
		goto fail;
	json_decref(j);
	return true;
fail:
	sy_buf_release(&f->out);
	return false;
}

static bool valid_json(const char *text, size_t len)
{
	if (memchr(text, '\0', len)) /* jansson would stop there */
		return false;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	json_decref(j);
	return j != NULL;
}

enum dp_heal_status dp_heal_json(const char *text, size_t len, char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (valid_json(text, len))
		return DP_HEAL_VALID;
	const char *end = text + len;
	int tried = 0;
	for (const char *p = text; p < end && tried < CANDIDATES_MAX; p++) {
		if (*p != '{' && *p != '[')
			continue;
		tried++;
		struct fixer f;
		if (repair_from(&f, p, end)) {
			*outlen = f.out.len;
			*out = f.out.data;
			return DP_HEAL_HEALED;
		}
	}
	return DP_HEAL_UNHEALABLE;
}

/* ---- the request -------------------------------------------------------------------------- */

bool dp_heal_wanted(const json_t *body, bool auto_json)
{
	static const char *const json_types[] = {"json_object", "json_schema", NULL};
	json_t *rf = sy_jcheck_opt(body, "response_format");
	bool heal = auto_json && sy_jcheck_one_of(json_object_get(rf, "type"), json_types);
	size_t i;
	json_t *pl;
	json_array_foreach(sy_jcheck_opt(body, "plugins"), i, pl)
	{
		const char *id = json_string_value(json_object_get(pl, "id"));
		if (id && !strcmp(id, "response-healing"))
			heal = !json_is_false(
			    json_object_get(pl, "enabled")); /* false: the operator's off */
	}
	return heal;
}

/* ---- the answer --------------------------------------------------------------------------- */

/* The decoded text of a string value (malloc'ed, NUL-terminated), NULL when out of memory. */
static char *decode(const struct dp_jval *v, size_t *len)
{
	char one[1];
	*len = dp_jtext_str(v, one, sizeof(one));
	char *s = malloc(*len + 1);
	if (s)
		dp_jtext_str(v, s, *len + 1);
	return s;
}

static enum dp_heal_status worse(enum dp_heal_status a, enum dp_heal_status b)
{
	return a > b ? a : b;
}

enum dp_heal_status dp_heal_answer(char **answer)
{
	struct dp_jval root, choices, choice, msg, content;
	struct dp_jiter it;
	const char *text = *answer;
	size_t len = strlen(text);
	enum dp_heal_status all = DP_HEAL_OFF;
	if (dp_jtext_check(text, len, &root) || !dp_jtext_get(&root, "choices", &choices) ||
	    dp_jtext_kind(&choices) != '[')
		return all;
	struct sy_buf b;
	sy_buf_init(&b, 0);
	const char *copied = text; /* text before this is in b */
	int rc = 0;
	dp_jtext_iter(&choices, &it);
	while (!rc && dp_jtext_element(&it, &choice)) {
		if (!dp_jtext_get(&choice, "message", &msg) ||
		    !dp_jtext_get(&msg, "content", &content) || dp_jtext_kind(&content) != '"')
			continue;
		size_t n, outlen;
		char *s = decode(&content, &n), *fixed = NULL;
		enum dp_heal_status st =
		    s ? dp_heal_json(s, n, &fixed, &outlen) : DP_HEAL_UNHEALABLE;
		free(s);
		all = worse(all, st);
		if (st != DP_HEAL_HEALED)
			continue;
		/* the content replaced, "healed": true right after it */
		rc = sy_buf_append(&b, copied, (size_t)(content.p - copied));
		rc = rc ? rc : dp_jtext_put_str(&b, fixed);
		rc = rc ? rc : sy_buf_puts(&b, ",\"healed\":true");
		copied = content.p + content.n;
		free(fixed);
	}
	if (!rc && copied != text)
		rc = sy_buf_append(&b, copied, (size_t)(text + len - copied));
	if (rc || copied == text) {
		sy_buf_release(&b);
		return rc ? DP_HEAL_UNHEALABLE : all;
	}
	free(*answer);
	*answer = b.data;
	return all;
}

int dp_heal_collect(struct sy_buf *acc, const char *chunk)
{
	struct dp_jval root, choices, choice, delta, content;
	struct dp_jiter it;
	if (dp_jtext_check(chunk, strlen(chunk), &root) ||
	    !dp_jtext_get(&root, "choices", &choices) || dp_jtext_kind(&choices) != '[')
		return 0;
	dp_jtext_iter(&choices, &it);
	if (!dp_jtext_element(&it, &choice) || !dp_jtext_get(&choice, "delta", &delta) ||
	    !dp_jtext_get(&delta, "content", &content) || dp_jtext_kind(&content) != '"')
		return 0;
	size_t n;
	char *s = decode(&content, &n);
	int rc = s ? sy_buf_append(acc, s, n) : -ENOMEM;
	free(s);
	return rc;
}

enum dp_heal_status dp_heal_stream_end(const struct sy_buf *acc, char **usage_chunk)
{
	if (!acc->len || !*usage_chunk)
		return DP_HEAL_OFF;
	char *fixed = NULL;
	size_t outlen;
	enum dp_heal_status st = dp_heal_json(acc->data, acc->len, &fixed, &outlen);
	size_t len = strlen(*usage_chunk);
	struct sy_buf b;
	sy_buf_init(&b, 0);
	/* the chunk is an object: its closing brace makes room for one more member */
	int rc = sy_buf_append(&b, *usage_chunk, len - 1);
	rc =
	    rc ? rc : sy_buf_printf(&b, ",\"healing\":{\"status\":\"%s\"", dp_heal_status_name(st));
	if (!rc && fixed) {
		rc = sy_buf_puts(&b, ",\"content\":");
		rc = rc ? rc : dp_jtext_put_str(&b, fixed);
	}
	rc = rc ? rc : sy_buf_puts(&b, "}}");
	free(fixed);
	if (rc) {
		sy_buf_release(&b);
		return st;
	}
	free(*usage_chunk);
	*usage_chunk = b.data;
	return st;
}
