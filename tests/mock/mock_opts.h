/* mock_opts.h - how the mock provider answers one request: timing, usage and faults.
 *
 * Options start from the command line's defaults, then X-Mock-<option> headers, then the
 * options in the model name "NAME@opt=val,opt=val" (later wins). The model name carries them
 * because a gateway passes the provider's model id through but not the client's headers. */
#ifndef MOCK_OPTS_H
#define MOCK_OPTS_H

#include <stdbool.h>
#include <stddef.h>

enum mock_fault_kind {
	MOCK_FAULT_NONE,
	MOCK_FAULT_STATUS,           /* an HTTP error status with an OpenAI error body */
	MOCK_FAULT_RESET,            /* close the connection without a response */
	MOCK_FAULT_NO_RESPONSE,      /* read the request, never answer */
	MOCK_FAULT_SLOW_FIRST_TOKEN, /* hold the first byte for ttft (default 5000 ms) */
	MOCK_FAULT_STREAM_CUT,       /* close the connection halfway through the answer */
	MOCK_FAULT_STREAM_STALL,     /* stop sending halfway, keep the connection open */
	MOCK_FAULT_MALFORMED_CHUNK,  /* an invalid JSON event (or body) halfway */
	MOCK_FAULT_GARBAGE,          /* every event from halfway on is invalid JSON (or body) */
	MOCK_FAULT_MISSING_DONE,     /* a complete stream without data: [DONE] */
	MOCK_FAULT_CONTEXT_LENGTH,   /* 400 context_length_exceeded */
	MOCK_FAULT_CONTENT_FILTER,   /* 400 content_filter */
};

enum mock_fault_mode {
	MOCK_FAULT_ALWAYS, /* every request */
	MOCK_FAULT_ONCE,   /* only the first request for the fault key */
	MOCK_FAULT_FLAP,   /* the 1st, 3rd, 5th... request for the fault key */
};

struct mock_fault {
	enum mock_fault_kind kind;
	enum mock_fault_mode mode;
	int status;      /* MOCK_FAULT_STATUS: 400..599 */
	int retry_after; /* 429: Retry-After seconds, 0 = no header */
};

#define MOCK_KEY_MAX 128
/* Bounds of the numeric options (command line, headers and model names alike). */
#define MOCK_MAX_DELAY_MS 600000
#define MOCK_MAX_TPS 1000000
#define MOCK_MAX_TOKENS 100000
#define MOCK_DEFAULT_TOKENS 16
/* slow-first-token waits this long unless the request sets ttft. */
#define MOCK_SLOW_FIRST_TOKEN_MS 5000

struct mock_opts {
	int latency_ms; /* delay before a non-streaming answer */
	int ttft_ms;    /* delay before the first streamed token */
	bool ttft_set;  /* ttft came from the request (header or model name) */
	int tps;        /* streamed tokens per second, 0 = as fast as possible */
	int tokens;     /* completion tokens per answer */
	struct mock_fault fault;
	bool usage_none;        /* omit usage entirely */
	int cached;             /* cached prompt tokens to report */
	int cache_write;        /* prompt tokens written to cache to report (Anthropic) */
	int reasoning;          /* reasoning tokens to report (counted in completion_tokens) */
	bool echo;              /* reply=echo: the content is the last user message's text */
	char key[MOCK_KEY_MAX]; /* fault-state key; "" = "<prefix>|<model>" */
};

/* Defaults: no delays, 16 tokens, no fault. */
void mock_opts_init(struct mock_opts *o);
/* Set one option by name (latency, ttft, tps, tokens, fault, usage, reasoning, reply, key).
 * 0, or SY_EINVAL with a message in err. */
int mock_opts_set(struct mock_opts *o, const char *name, const char *value, char *err,
                  size_t errlen);
/* Apply the options of a model id "NAME[@opt=val,...]"; *name_len gets the length of NAME.
 * 0, or SY_EINVAL with a message in err (o may then be partly changed). */
int mock_opts_parse_model(struct mock_opts *o, const char *model, size_t *name_len, char *err,
                          size_t errlen);
/* Parse a fault name ("500", "500-once", "flap", "429-retry-after-3", "reset", ...).
 * 0 or SY_EINVAL. */
int mock_fault_parse(const char *s, struct mock_fault *f);
/* Whether the fault hits a request that is the seq-th (0-based) one for its fault key. */
bool mock_fault_fires(const struct mock_fault *f, unsigned long seq);
/* The delay before the first byte of a slow-first-token answer. */
int mock_opts_slow_ms(const struct mock_opts *o);

#endif
