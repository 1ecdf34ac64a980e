/* mock_reply.h - the mock's answer to one chat request, in OpenAI's, Anthropic's or
 * Gemini's wire format.
 *
 * A plan is everything the answer depends on, worked out once from the request and its
 * options; the builders render it as one answer body or as a sequence of SSE events, in the
 * plan's format (mock_anthropic.c and mock_gemini.c render the other two). Content is
 * deterministic: token k is "tok<k>", joined by single spaces; thinking (asked for in the
 * native formats) is "thought<k>" likewise. */
#ifndef MOCK_REPLY_H
#define MOCK_REPLY_H

#include "mock_opts.h"
#include "sy_buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define MOCK_ID_MAX 48
#define ECHO_PIECE 8 /* bytes of echoed content per stream event */

enum mock_format {
	MOCK_OPENAI,    /* POST .../v1/chat/completions */
	MOCK_ANTHROPIC, /* POST .../v1/messages */
	MOCK_GEMINI,    /* POST .../v1beta/models/{m}:generateContent, :streamGenerateContent */
};

/* Thinking tokens when thinking is asked for and the reasoning option does not say. */
#define MOCK_THINK_TOKENS 4

struct mock_plan {
	enum mock_format format;
	char id[MOCK_ID_MAX]; /* "chatcmpl-..." shared by every chunk */
	int64_t created;      /* unix seconds */
	char *model;          /* the requested model, as sent (malloc'ed) */
	bool stream;
	bool usage;         /* report usage (non-streaming; streaming only if include_usage) */
	bool include_usage; /* stream_options.include_usage was true */
	unsigned ntokens;   /* content tokens to send */
	const char *finish; /* "stop", "length" or "tool_calls" */
	char *tool_name;    /* malloc'ed; non-NULL when answering with a tool call */
	char *tool_args;    /* malloc'ed JSON object text of the call's arguments */
	char tool_id[32];   /* "call_<n>" */
	char *echo; /* malloc'ed; reply=echo (OpenAI format): the content, sent ECHO_PIECE bytes
	             * per event */
	unsigned prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens;
	unsigned cache_write_tokens; /* prompt tokens written to cache (Anthropic) */
	unsigned nthink;             /* thinking tokens to show (native formats only) */
	bool refusal;                /* the content-filter fault, as the native formats answer it */
	int ttft_ms;                 /* delay from the stream's start to its first event */
	int tps;                     /* content events per second, 0 = unpaced */
};

/* What an SSE event of the stream carries. */
enum mock_event {
	MOCK_EV_ROLE,    /* delta.role */
	MOCK_EV_CONTENT, /* one token, or one tool-call fragment */
	MOCK_EV_FINISH,  /* empty delta with finish_reason */
	MOCK_EV_USAGE,   /* choices: [] and usage */
	MOCK_EV_DONE,    /* data: [DONE] */
};

/* ceil(characters of all message contents / 4), at least 1. Characters are Unicode code
 * points; content may be a string or an array of {"type":"text","text":...} parts. */
unsigned mock_prompt_tokens(const json_t *messages);
/* The arguments of a call to tool: {"<first required property>": <sample>} as JSON text
 * (malloc'ed). The first property if none is required, "{}" if it has none. */
char *mock_tool_args(const json_t *tool);

/* Work out the answer to request req (the parsed body) under options o; id and tool_seq
 * name it. 0, SY_EINVAL with *why naming the bad field, or -ENOMEM. */
int mock_plan_init(struct mock_plan *p, const json_t *req, const struct mock_opts *o,
                   const char *id, unsigned long tool_seq, const char **why);
/* Show thinking (the request asked for it): nthink tokens, counted as reasoning. */
void mock_plan_think(struct mock_plan *p, const struct mock_opts *o);
/* Free what the plan owns; safe on a plan whose init failed. */
void mock_plan_release(struct mock_plan *p);

/* The whole answer in the plan's format (malloc'ed JSON), NULL on allocation failure. */
char *mock_reply_completion(const struct mock_plan *p);
/* Number of SSE events in the stream, [DONE] included. */
unsigned mock_stream_nevents(const struct mock_plan *p);
/* Kind of event i (< mock_stream_nevents). */
enum mock_event mock_stream_kind(const struct mock_plan *p, unsigned i);
/* Milliseconds from the stream's start at which event i is due. */
int64_t mock_stream_due_ms(const struct mock_plan *p, unsigned i);
/* Index of the first content event past the middle of the stream, where mid-stream
 * faults strike. */
unsigned mock_stream_midpoint(const struct mock_plan *p);
/* Append event i (one or more SSE events in the plan's format) to out. 0 or a negative
 * error. */
int mock_stream_event(const struct mock_plan *p, unsigned i, struct sy_buf *out);

/* OpenAI's error body {"error":{"message","type","param","code"}} (malloc'ed); param and
 * code may be NULL (JSON null). */
char *mock_reply_error(const char *message, const char *type, const char *param, const char *code);

/* Text of content token k ("tok<k>", a space before all but the first) and of thinking
 * token k ("thought<k>"). */
void mock_token_text(unsigned k, char *out, size_t outlen);
void mock_thought_text(unsigned k, char *out, size_t outlen);
/* Content events of the plan's stream: one per token, the tool call's, or the echo's
 * pieces. */
unsigned mock_content_events(const struct mock_plan *p);
/* The byte range [*from, *to) of the tool arguments that content event j > 0 carries. */
void mock_tool_fragment(const struct mock_plan *p, unsigned j, size_t *from, size_t *to);

/* Anthropic: the OpenAI-shaped request a Messages request amounts to (NULL with *why
 * when it is not one), the message body, stream event i and the error body. */
json_t *mock_anthropic_request(const json_t *req, bool *thinking, const char **why);
char *mock_anthropic_message(const struct mock_plan *p);
int mock_anthropic_event(const struct mock_plan *p, unsigned i, struct sy_buf *out);
char *mock_anthropic_error(const char *type, const char *message);
/* Gemini: the same for a generateContent request to model; status names the error
 * ("RESOURCE_EXHAUSTED"). */
json_t *mock_gemini_request(const json_t *req, const char *model, bool stream, bool *thinking,
                            const char **why);
char *mock_gemini_response(const struct mock_plan *p);
int mock_gemini_event(const struct mock_plan *p, unsigned i, struct sy_buf *out);
char *mock_gemini_error(int code, const char *status, const char *message);

#endif
