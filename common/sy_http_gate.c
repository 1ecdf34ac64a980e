/* sy_http_gate.c - judge a connection's first header block on its raw bytes. */
#include "sy_http_gate.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* A field value byte other than CR: VCHAR, SP, HTAB, obs-text. */
static bool is_vbyte(unsigned char ch)
{
	return ch == '\t' || (ch >= ' ' && ch != 0x7f);
}

struct judge {
	const unsigned char *b;
	size_t len; /* bytes looked at: min(arrived, max) */
	size_t p;
	unsigned *status;
	const char **why;
};

static enum sy_http_gate_verdict refuse(struct judge *j, unsigned status, const char *why)
{
	*j->status = status;
	*j->why = why;
	return SY_HTTP_GATE_REFUSE;
}

/* The line end at j->p: 1 when CRLF is there (consumed), 0 when the bytes stop before it, -1
 * when something else is there. */
static int crlf(struct judge *j)
{
	if (j->p >= j->len)
		return 0;
	if (j->b[j->p] != '\r')
		return -1;
	if (j->p + 1 >= j->len)
		return 0;
	if (j->b[j->p + 1] != '\n')
		return -1;
	j->p += 2;
	return 1;
}

static const char bad_line[] = "Malformed request line: want METHOD SP target SP HTTP/1.x CRLF";

static enum sy_http_gate_verdict request_line(struct judge *j)
{
	size_t start = j->p;
	while (j->p < j->len && is_tchar(j->b[j->p]))
		j->p++;
	if (j->p >= j->len)
		return SY_HTTP_GATE_MORE;
	if (j->p == start || j->b[j->p] != ' ')
		return refuse(j, 400, bad_line);
	start = ++j->p;
	while (j->p < j->len && j->b[j->p] > ' ' && j->b[j->p] < 0x7f)
		j->p++;
	if (j->p >= j->len)
		return SY_HTTP_GATE_MORE;
	if (j->p == start || j->b[j->p] != ' ')
		return refuse(j, 400,
		              "Malformed request line: the request target holds spaces or control "
		              "characters");
	j->p++;
	static const char v[] = "HTTP/1.";
	for (size_t i = 0; i < sizeof(v); i++, j->p++) { /* the 8th is the minor version */
		if (j->p >= j->len)
			return SY_HTTP_GATE_MORE;
		bool ok = i < sizeof(v) - 1 ? j->b[j->p] == (unsigned char)v[i]
		                            : j->b[j->p] == '0' || j->b[j->p] == '1';
		if (!ok)
			return refuse(j, 400, "Malformed request line: want HTTP/1.1 or HTTP/1.0");
	}
	int e = crlf(j);
	return e < 0 ? refuse(j, 400, bad_line) : e ? SY_HTTP_GATE_OK : SY_HTTP_GATE_MORE;
}

/* A Content-Length value (between its OWS): 1*DIGIT within 64 bits. */
static enum sy_http_gate_verdict content_length(struct judge *j, const unsigned char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n)
		return refuse(j, 400, "Malformed Content-Length: empty");
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return refuse(j, 400, "Malformed Content-Length: not a decimal number");
		unsigned d = v[i] - '0';
		if (x > (UINT64_MAX - d) / 10)
			return refuse(j, 413,
			              "Request body too large: Content-Length past 64 bits");
		x = x * 10 + d;
	}
	return SY_HTTP_GATE_OK;
}

/* One field line at j->p (not the empty line): OK once it is complete and well formed. */
static enum sy_http_gate_verdict field_line(struct judge *j)
{
	size_t name = j->p;
	while (j->p < j->len && is_tchar(j->b[j->p]))
		j->p++;
	if (j->p >= j->len)
		return SY_HTTP_GATE_MORE;
	if (j->p == name && (j->b[j->p] == ' ' || j->b[j->p] == '\t'))
		return refuse(j, 400, "Malformed header: a line folded onto the previous one");
	if (j->p == name || j->b[j->p] != ':')
		return refuse(j, 400,
		              "Malformed header: a field name holds a character other than a token "
		              "character (a space before the colon?)");
	size_t name_len = j->p - name, value = ++j->p;
	while (j->p < j->len && is_vbyte(j->b[j->p]))
		j->p++;
	size_t value_len = j->p - value;
	int e = crlf(j);
	if (e < 0)
		return refuse(j, 400,
		              j->b[j->p]
		                  ? "Malformed header: a field value holds a control character"
		                  : "Malformed header: a field value holds a NUL byte");
	if (!e)
		return SY_HTTP_GATE_MORE;
	if (name_len == 14 && !strncasecmp((const char *)j->b + name, "Content-Length", 14))
		return content_length(j, j->b + value, value_len);
	return SY_HTTP_GATE_OK;
}

enum sy_http_gate_verdict sy_http_gate_judge(const unsigned char *buf, size_t len, size_t max,
                                             unsigned *status, const char **why)
{
	struct judge j = {.b = buf, .len = len < max ? len : max, .status = status, .why = why};
	int e;
	/* RFC 9112 2.2: empty lines before the request line are ignored */
	while ((e = crlf(&j)) > 0)
		;
	enum sy_http_gate_verdict v = e ? request_line(&j) : SY_HTTP_GATE_MORE;
	while (v == SY_HTTP_GATE_OK) {
		e = crlf(&j);
		if (e > 0)
			return SY_HTTP_GATE_OK; /* the empty line: the block is complete */
		if (e == 0)
			break;
		v = field_line(&j);
	}
	if (v == SY_HTTP_GATE_REFUSE)
		return v;
	if (len >= max)
		return refuse(&j, 431, "Request header fields are too large");
	return SY_HTTP_GATE_MORE;
}
