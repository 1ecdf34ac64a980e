/* sy_http_gate.h - the raw bytes of a request's header block, judged before libmicrohttpd
 * reads them.
 *
 * libmicrohttpd 0.9.75 answers some malformed requests itself, with an HTML page and its
 * header block sent twice (a Content-Length that is not a number: 400, one past 2^64: 413, a
 * request line it cannot split: 400, a header block past its connection memory: 431), cuts a
 * header value at a NUL before any callback sees it, and waits for the end of a header block
 * that never comes when the request line is garbage (a TLS ClientHello). The listeners peek at
 * each new connection's header block (sy_http_guard.c) and hand it to libmicrohttpd only when
 * this judge accepts it; a refusal is answered in the JSON envelope with Connection: close.
 *
 * Hand-written: neither libmicrohttpd (whose parser is the thing being guarded) nor another
 * library here exposes an HTTP/1.1 request-head syntax check on raw bytes; the grammar is
 * RFC 9112's request-line and field-line, stricter where the RFC allows a server to refuse
 * (obs-fold, bare CR, control characters). */
#ifndef SY_HTTP_GATE_H
#define SY_HTTP_GATE_H

#include <stddef.h>

enum sy_http_gate_verdict {
	SY_HTTP_GATE_MORE,   /* acceptable so far; the header block has not ended */
	SY_HTTP_GATE_OK,     /* a complete, well-formed header block */
	SY_HTTP_GATE_REFUSE, /* refuse with *status and *why (a string constant) */
};

/* Judge the first len bytes that arrived on a connection. Bytes past the end of the header
 * block (a body) are not looked at. A block longer than max bytes (request line through the
 * empty line) is refused with 431 as soon as that many bytes are in without its end; a
 * refusal comes as soon as the bytes in show one (a garbage request line at its first byte). */
enum sy_http_gate_verdict sy_http_gate_judge(const unsigned char *buf, size_t len, size_t max,
                                             unsigned *status, const char **why);

#endif
