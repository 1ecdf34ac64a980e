/* dp_sse_fuzz.c - libFuzzer target: the event-stream parser (dataplane/dp_sse.c).
 *
 * Upstream streams arrive in pieces of any size. The first input byte picks a piece length;
 * the rest is fed whole into one parser and in those pieces into another, and both must hand
 * over the same events (names and data, each NUL-terminated at its length) and stop with the
 * same result. */
#include "dp_sse.h"
#include "sy_buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* small enough that over-long events and lines are reached */
#define MAX_EVENT 512

static int record(const char *event, const char *data, size_t len, void *arg)
{
	struct sy_buf *b = arg;
	if (data[len] != '\0' || strlen(event) >= 64)
		abort();
	sy_buf_printf(b, "%s|%zu|", event, len);
	sy_buf_append(b, data, len);
	return 0;
}

static int run(const char *p, size_t n, size_t piece, struct sy_buf *out)
{
	struct dp_sse s;
	dp_sse_init(&s, MAX_EVENT);
	int rc = 0;
	for (size_t off = 0; off < n && !rc; off += piece)
		rc = dp_sse_feed(&s, p + off, n - off < piece ? n - off : piece, record, out);
	dp_sse_release(&s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = data[0] % 16 + 1;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	struct sy_buf whole, pieces;
	sy_buf_init(&whole, 0);
	sy_buf_init(&pieces, 0);
	int a = run(p, n, n ? n : 1, &whole);
	int b = run(p, n, piece, &pieces);
	if (a != b || whole.len != pieces.len ||
	    (whole.len && memcmp(whole.data, pieces.data, whole.len) != 0))
		abort();
	sy_buf_release(&whole);
	sy_buf_release(&pieces);
	return 0;
}
