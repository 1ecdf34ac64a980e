/* dp_sse_test.c - the incremental event-stream parser, fed whole and in every kind of piece. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sse.h"
#include "sy_buf.h"
#include "sy_err.h"

/* Each event is recorded as "<event>|<data>\n" (data with '\n' shown as "\\n"). */
static int record(const char *event, const char *data, size_t len, void *arg)
{
	struct sy_buf *b = arg;
	assert_int_equal(strlen(data), len); /* data is NUL-terminated at len */
	sy_buf_printf(b, "%s|", event);
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			sy_buf_puts(b, "\\n");
		else
			sy_buf_append(b, &data[i], 1);
	}
	sy_buf_puts(b, "\n");
	return 0;
}

/* Feed text in pieces of the given sizes (cycled); return the transcript (malloc'ed). */
static char *feed_pieces(const char *text, const size_t *sizes, size_t nsizes, size_t max)
{
	struct dp_sse s;
	struct sy_buf out;
	dp_sse_init(&s, max);
	sy_buf_init(&out, 0);
	size_t n = strlen(text), off = 0, k = 0;
	while (off < n) {
		size_t m = sizes[k++ % nsizes];
		if (m > n - off)
			m = n - off;
		assert_int_equal(dp_sse_feed(&s, text + off, m, record, &out), 0);
		off += m;
	}
	dp_sse_release(&s);
	sy_buf_puts(&out, ""); /* an empty transcript is "" rather than NULL */
	return out.data;
}

static char *feed_whole(const char *text)
{
	size_t n = strlen(text);
	return feed_pieces(text, &n, 1, 4096);
}

static void test_openai_stream(void **state)
{
	const char *stream = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
	                     "data: [DONE]\n\n";
	char *t = feed_whole(stream);
	assert_string_equal(t, "|{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n"
	                       "|[DONE]\n");
	free(t);
}

static void test_line_endings(void **state)
{
	char *t = feed_whole("data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\ndata: e\n\r");
	assert_string_equal(t, "|a\n|b\n|c\n|d\n|e\n");
	free(t);
}

static void test_space_after_colon_optional(void **state)
{
	char *t = feed_whole("data:x\n\ndata: y\n\ndata:  z\n\ndata\n\ndata:\n\n");
	/* only one space is stripped; a bare "data" or "data:" is an empty data line */
	assert_string_equal(t, "|x\n|y\n| z\n|\n|\n");
	free(t);
}

static void test_multiline_data_joined(void **state)
{
	char *t = feed_whole("data: one\ndata: two\ndata:\ndata: four\n\n");
	assert_string_equal(t, "|one\\ntwo\\n\\nfour\n");
	free(t);
}

static void test_comments_fields_and_event_names(void **state)
{
	char *t = feed_whole(": OPENROUTER PROCESSING\n\n"
	                     "event: message_start\n"
	                     "id: 7\nretry: 100\nfoo: bar\n"
	                     "data: {\"type\":\"message_start\"}\n\n"
	                     "data: unnamed\n\n"
	                     "event: ping\n\n"      /* no data: nothing dispatched */
	                     "data: after-ping\n\n" /* and the name does not leak */
	                     "event:content_block_delta\n"
	                     ":comment between\n"
	                     "data: x\n\n");
	assert_string_equal(t, "message_start|{\"type\":\"message_start\"}\n"
	                       "|unnamed\n"
	                       "|after-ping\n"
	                       "content_block_delta|x\n");
	free(t);
}

static void test_long_event_name_truncated(void **state)
{
	char line[200];
	memset(line, 'e', sizeof(line));
	char text[300];
	snprintf(text, sizeof(text), "event: %.*s\ndata: 1\n\n", 100, line);
	char *t = feed_whole(text);
	char want[100];
	snprintf(want, sizeof(want), "%.*s|1\n", 63, line);
	assert_string_equal(t, want);
	free(t);
}

static void test_incomplete_event_not_dispatched(void **state)
{
	char *t = feed_whole("data: done\n\ndata: partial\n");
	assert_string_equal(t, "|done\n");
	free(t);
}

/* A stream using every feature; split anywhere it must give the same events. */
static const char *const mixed = ": hello\r\n"
                                 "event: message_start\r\n"
                                 "data: {\"a\":1}\r\n"
                                 "\r\n"
                                 "data:no-space\n"
                                 "data: second line\n"
                                 "\n"
                                 "event: delta\r"
                                 "data: cr only\r"
                                 "\r"
                                 "data: [DONE]\n"
                                 "\n"
                                 "data: tail\r\n"
                                 "\r\n";

static const char *const mixed_events = "message_start|{\"a\":1}\n"
                                        "|no-space\\nsecond line\n"
                                        "delta|cr only\n"
                                        "|[DONE]\n"
                                        "|tail\n";

static void test_one_byte_at_a_time(void **state)
{
	size_t one = 1;
	char *t = feed_pieces(mixed, &one, 1, 4096);
	assert_string_equal(t, mixed_events);
	free(t);
}

static void test_every_split_position(void **state)
{
	size_t n = strlen(mixed);
	for (size_t i = 0; i <= n; i++) {
		for (size_t j = i; j <= n; j++) {
			size_t sizes[3] = {i, j - i, n - j};
			/* zero-length pieces are fed too: they must change nothing */
			struct dp_sse s;
			struct sy_buf out;
			dp_sse_init(&s, 4096);
			sy_buf_init(&out, 0);
			size_t off = 0;
			for (size_t k = 0; k < 3; k++) {
				assert_int_equal(
				    dp_sse_feed(&s, mixed + off, sizes[k], record, &out), 0);
				off += sizes[k];
			}
			assert_string_equal(out.data, mixed_events);
			sy_buf_release(&out);
			dp_sse_release(&s);
		}
	}
}

static void test_random_chunk_sizes(void **state)
{
	srand(12345);
	for (int round = 0; round < 500; round++) {
		size_t sizes[16];
		for (size_t k = 0; k < 16; k++)
			sizes[k] = 1 + (size_t)rand() % 20;
		char *t = feed_pieces(mixed, sizes, 16, 4096);
		assert_string_equal(t, mixed_events);
		free(t);
	}
}

static void test_oversized_event(void **state)
{
	struct dp_sse s;
	struct sy_buf out;
	sy_buf_init(&out, 0);
	dp_sse_init(&s, 8);
	/* exactly 8 bytes of data, over two lines ("abc\ndef" + ...) are fine */
	assert_int_equal(dp_sse_feed(&s, "data: 12345678\n\n", 16, record, &out), 0);
	assert_int_equal(dp_sse_feed(&s, "data: abc\ndata: defg\n\n", 22, record, &out), 0);
	assert_string_equal(out.data, "|12345678\n|abc\\ndefg\n");
	/* 9 bytes in one line, fed whole */
	assert_int_equal(dp_sse_feed(&s, "data: 123456789\n\n", 17, record, &out), SY_ETOOBIG);
	dp_sse_release(&s);

	/* over the cap across lines */
	dp_sse_init(&s, 8);
	assert_int_equal(dp_sse_feed(&s, "data: 1234\ndata: 5678\n\n", 23, record, &out),
	                 SY_ETOOBIG);
	dp_sse_release(&s);

	/* a line that never ends is capped too, even fed one byte at a time */
	dp_sse_init(&s, 8);
	int rc = 0;
	for (int i = 0; i < 100 && !rc; i++)
		rc = dp_sse_feed(&s, "x", 1, record, &out);
	assert_int_equal(rc, SY_ETOOBIG);
	assert_true(s.line.len <= 8 + 16);
	dp_sse_release(&s);
	assert_string_equal(out.data, "|12345678\n|abc\\ndefg\n");
	sy_buf_release(&out);
}

/* Found by tests/fuzz/dp_sse_fuzz.c: a comment (or any line the parser ignores) over the line
 * cap was refused when it arrived in pieces but passed when it arrived whole, so the same
 * stream failed or not depending on how the network cut it. Now it is refused either way. */
static void test_oversized_ignored_line_refused_however_it_arrives(void **state)
{
	char text[64];
	memset(text, 'x', sizeof(text));
	memcpy(text, ": ", 2);
	text[sizeof(text) - 1] = '\n';
	for (size_t piece = 1; piece <= sizeof(text); piece++) {
		struct dp_sse s;
		dp_sse_init(&s, 8); /* lines of up to 8 + 16 bytes */
		int rc = 0;
		for (size_t off = 0; off < sizeof(text) && !rc; off += piece) {
			size_t n = sizeof(text) - off < piece ? sizeof(text) - off : piece;
			rc = dp_sse_feed(&s, text + off, n, record, NULL);
		}
		assert_int_equal(rc, SY_ETOOBIG);
		dp_sse_release(&s);
	}
}

static int stop_on_done(const char *event, const char *data, size_t len, void *arg)
{
	int *count = arg;
	(*count)++;
	return strcmp(data, "[DONE]") ? 0 : 42;
}

static void test_callback_stops_feed(void **state)
{
	struct dp_sse s;
	dp_sse_init(&s, 1024);
	int count = 0;
	const char *text = "data: 1\n\ndata: [DONE]\n\ndata: never\n\n";
	assert_int_equal(dp_sse_feed(&s, text, strlen(text), stop_on_done, &count), 42);
	assert_int_equal(count, 2);
	dp_sse_release(&s);
	dp_sse_release(&s); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_openai_stream),
	    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_space_after_colon_optional),
	    cmocka_unit_test(test_multiline_data_joined),
	    cmocka_unit_test(test_comments_fields_and_event_names),
	    cmocka_unit_test(test_long_event_name_truncated),
	    cmocka_unit_test(test_incomplete_event_not_dispatched),
	    cmocka_unit_test(test_one_byte_at_a_time),
	    cmocka_unit_test(test_every_split_position),
	    cmocka_unit_test(test_random_chunk_sizes),
	    cmocka_unit_test(test_oversized_event),
	    cmocka_unit_test(test_oversized_ignored_line_refused_however_it_arrives),
	    cmocka_unit_test(test_callback_stops_feed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
