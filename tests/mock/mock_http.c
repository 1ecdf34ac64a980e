/* mock_http.c - request handling: routing, auth, options, faults, delays and streams.
 *
 * Every answer is prepared when the request is complete. An answer that must wait (latency,
 * slow-first-token, paced tokens) suspends its connection and asks the scheduler to resume it;
 * an answer that never comes (no-response, stream-stall) is held until the client hangs up. */
#include "mock_http.h"
#include "mock_embed.h"
#include "mock_reply.h"
#include "mock_sched.h"
#include "mock_state.h"
#include "sy_buf.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_json.h"
#include "sy_key.h"
#include "sy_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY (4 * 1024 * 1024)
/* Bytes of SSE events rendered per reader call. */
#define STREAM_BATCH 8192
#define CHAT_PATH "/v1/chat/completions"
#define EMBED_PATH "/v1/embeddings"
#define MESSAGES_PATH "/v1/messages"
#define GEMINI_PATH "/v1beta/models/"
#define MODELS_PATH "/v1/models"
#define NO_BREAK UINT_MAX

static const char MODELS_BODY[] =
    "{\"object\":\"list\",\"data\":[{\"id\":\"echo\",\"object\":\"model\",\"created\":1700000000,"
    "\"owned_by\":\"switchyard-mock\"}]}";

struct mock_server {
	struct MHD_Daemon *mhd;
	struct mock_sched *sched;
	struct mock_state *state;
	struct mock_opts defaults;
	atomic_int active; /* requests not yet completed */
	unsigned port;
};

/* One POST request, from its first byte to its completion. */
struct req {
	struct mock_server *srv;
	struct MHD_Connection *conn;
	struct sy_buf body;
	bool too_big;              /* the body went over MAX_BODY: answer 413 */
	bool started;              /* the complete request has been handled */
	atomic_bool closing;       /* give up: the client hung up or the mock is stopping */
	unsigned status;           /* of the prepared response */
	struct MHD_Response *resp; /* prepared, queued when the delay is over */
	/* answers written by read_answer() */
	struct mock_plan plan;
	bool have_plan;
	enum mock_fault_kind fault; /* the fault in effect (after once/flap) */
	unsigned next;              /* next stream event */
	unsigned break_at;          /* event where a mid-stream fault strikes */
	int64_t t0;                 /* when the response was queued */
	struct sy_buf out;          /* rendered, not yet handed to MHD */
	size_t off;                 /* bytes of out already handed over */
};

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

int mock_listen_parse(const char *s, struct sockaddr_in *out)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	if (!colon || (size_t)(colon - s) >= sizeof(host) || colon == s)
		return SY_EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return SY_EINVAL;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : SY_EINVAL;
}

/* ---- responses -------------------------------------------------------------------------- */

static struct MHD_Response *json_response(char *body)
{
	if (!body)
		return NULL;
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *resp)
{
	if (!resp)
		return MHD_NO;
	enum MHD_Result rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* An OpenAI-shaped error answer. */
static struct MHD_Response *openai_error(const char *message, const char *type, const char *param,
                                         const char *code)
{
	return json_response(mock_reply_error(message, type, param, code));
}

/* An error answer in format f: OpenAI's (type and code as given), Anthropic's or Google's
 * (their type or status for the HTTP status). */
static struct MHD_Response *format_error(enum mock_format f, int status, const char *message,
                                         const char *type, const char *param, const char *code)
{
	static const struct {
		int status;
		const char *anthropic, *google;
	} names[] = {
	    {400, "invalid_request_error", "INVALID_ARGUMENT"},
	    {401, "authentication_error", "UNAUTHENTICATED"},
	    {403, "permission_error", "PERMISSION_DENIED"},
	    {404, "not_found_error", "NOT_FOUND"},
	    {413, "request_too_large", "INVALID_ARGUMENT"},
	    {429, "rate_limit_error", "RESOURCE_EXHAUSTED"},
	    {500, "api_error", "INTERNAL"},
	    {503, "api_error", "UNAVAILABLE"},
	    {504, "api_error", "DEADLINE_EXCEEDED"},
	    {529, "overloaded_error", "UNAVAILABLE"},
	};
	const char *anthropic = status >= 500 ? "api_error" : "invalid_request_error";
	const char *google = status >= 500 ? "UNKNOWN" : "FAILED_PRECONDITION";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].status == status) {
			anthropic = names[i].anthropic;
			google = names[i].google;
		}
	switch (f) {
	case MOCK_ANTHROPIC:
		return json_response(mock_anthropic_error(anthropic, message));
	case MOCK_GEMINI:
		return json_response(mock_gemini_error(status, google, message));
	default:
		return openai_error(message, type, param, code);
	}
}

/* A Switchyard-shaped error for the mock's own endpoints. */
static enum MHD_Result own_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return queue(conn, status, json_response(sy_json_error((int)status, msg, NULL)));
}

/* The error answer of an HTTP-status fault. */
static struct MHD_Response *status_fault(const struct mock_fault *f, enum mock_format fmt)
{
	struct MHD_Response *r;
	char msg[96];
	switch (f->status) {
	case 429:
		r = format_error(fmt, 429, "Rate limit reached for requests (mock fault)",
		                 "requests", NULL, "rate_limit_exceeded");
		if (r && f->retry_after > 0) {
			snprintf(msg, sizeof(msg), "%d", f->retry_after);
			MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, msg);
		}
		return r;
	case 500:
		return format_error(fmt, 500,
		                    "The server had an error while processing your request. "
		                    "Sorry about that! (mock fault)",
		                    "server_error", NULL, NULL);
	case 503:
	case 529:
		return format_error(fmt, f->status,
		                    "The server is overloaded or not ready yet. (mock fault)",
		                    "server_error", NULL, "service_unavailable");
	default:
		snprintf(msg, sizeof(msg), "mock fault: HTTP %d", f->status);
		return format_error(fmt, f->status, msg,
		                    f->status >= 500 ? "server_error" : "invalid_request_error",
		                    NULL, NULL);
	}
}

/* ---- waking suspended connections -------------------------------------------------------- */

static void on_wake(void *arg, enum mock_wake why)
{
	struct req *r = arg;
	if (why != MOCK_WAKE_DUE)
		atomic_store(&r->closing, true);
	MHD_resume_connection(r->conn);
}

static int conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

/* Suspend until due_ms. */
static void sleep_until(struct req *r, int64_t due_ms)
{
	MHD_suspend_connection(r->conn);
	if (mock_sched_at(r->srv->sched, due_ms, on_wake, r))
		on_wake(r, MOCK_WAKE_SHUTDOWN);
}

/* Suspend until the client hangs up (or the mock stops). */
static void hold(struct req *r)
{
	MHD_suspend_connection(r->conn);
	if (mock_sched_hold(r->srv->sched, conn_fd(r->conn), on_wake, r))
		on_wake(r, MOCK_WAKE_SHUTDOWN);
}

/* ---- streamed and truncated answers ------------------------------------------------------- */

enum fill {
	FILLED,
	SUSPENDED,
	FINISHED,
	BROKEN
};

/* Render the next due stream events into r->out, or say why there are none. */
static enum fill fill_stream(struct req *r)
{
	const struct mock_plan *p = &r->plan;
	unsigned n = mock_stream_nevents(p);
	if (r->next == r->break_at) {
		switch (r->fault) {
		case MOCK_FAULT_STREAM_STALL:
			hold(r);
			return SUSPENDED;
		case MOCK_FAULT_MALFORMED_CHUNK:
			r->break_at = NO_BREAK;
			return sy_buf_puts(&r->out, "data: {not json\n\n") ? BROKEN : FILLED;
		case MOCK_FAULT_GARBAGE: /* each event left, [DONE] included, comes as garbage */
			if (r->next >= n)
				return FINISHED;
			r->next++;
			r->break_at++;
			return sy_buf_puts(&r->out, "data: {not json\n\n") ? BROKEN : FILLED;
		default:
			return BROKEN; /* stream-cut */
		}
	}
	if (r->next >= n)
		return FINISHED;
	int64_t now = sy_mono_ms();
	if (r->t0 + mock_stream_due_ms(p, r->next) > now) {
		sleep_until(r, r->t0 + mock_stream_due_ms(p, r->next));
		return SUSPENDED;
	}
	while (r->next < n && r->next != r->break_at &&
	       r->t0 + mock_stream_due_ms(p, r->next) <= now && r->out.len < STREAM_BATCH) {
		bool skip = r->fault == MOCK_FAULT_MISSING_DONE &&
		            mock_stream_kind(p, r->next) == MOCK_EV_DONE;
		if (!skip && mock_stream_event(p, r->next, &r->out))
			return BROKEN;
		r->next++;
	}
	return r->out.len ? FILLED : FINISHED;
}

static ssize_t read_answer(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct req *r = cls;
	if (atomic_load(&r->closing))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (r->off == r->out.len) {
		sy_buf_reset(&r->out);
		r->off = 0;
		enum fill f;
		if (r->plan.stream) {
			f = fill_stream(r);
		} else if (r->fault == MOCK_FAULT_STREAM_STALL) {
			hold(r); /* the first half of the body is out: stall */
			f = SUSPENDED;
		} else {
			f = BROKEN; /* stream-cut: close after the first half */
		}
		switch (f) {
		case FILLED:
			break;
		case SUSPENDED:
			return 0;
		case FINISHED:
			return MHD_CONTENT_READER_END_OF_STREAM;
		case BROKEN:
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	size_t n = r->out.len - r->off;
	if (n > max)
		n = max;
	memcpy(buf, r->out.data + r->off, n);
	r->off += n;
	return (ssize_t)n;
}

/* The SSE response of a streaming request. */
static struct MHD_Response *stream_response(struct req *r)
{
	unsigned mid = mock_stream_midpoint(&r->plan);
	switch (r->fault) {
	case MOCK_FAULT_STREAM_CUT:
	case MOCK_FAULT_STREAM_STALL:
	case MOCK_FAULT_MALFORMED_CHUNK:
	case MOCK_FAULT_GARBAGE:
		r->break_at = mid;
		break;
	default:
		break;
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BATCH, read_answer, r, NULL);
	if (!resp)
		return NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (r->fault == MOCK_FAULT_MISSING_DONE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	return resp;
}

/* The non-streaming answer, whole or as the fault mangles it. */
static struct MHD_Response *completion_response(struct req *r)
{
	char *body = mock_reply_completion(&r->plan);
	if (!body)
		return NULL;
	size_t len = strlen(body);
	struct MHD_Response *resp;
	switch (r->fault) {
	case MOCK_FAULT_MALFORMED_CHUNK:
	case MOCK_FAULT_GARBAGE:
		body[len / 2] = '\0'; /* invalid JSON, complete HTTP response */
		return json_response(body);
	case MOCK_FAULT_STREAM_CUT:
	case MOCK_FAULT_STREAM_STALL:
		/* announce the whole length, send half */
		if (sy_buf_append(&r->out, body, len / 2)) {
			free(body);
			return NULL;
		}
		free(body);
		resp = MHD_create_response_from_callback(len, STREAM_BATCH, read_answer, r, NULL);
		if (resp)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
			                        "application/json");
		return resp;
	default:
		return json_response(body);
	}
}

/* ---- chat completions --------------------------------------------------------------------- */

struct header_opts {
	struct mock_opts *opts;
	char err[160];
	int rc;
};

static enum MHD_Result apply_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	struct header_opts *h = cls;
	if (strncasecmp(key, "x-mock-", 7) != 0)
		return MHD_YES;
	h->rc = mock_opts_set(h->opts, key + 7, value ? value : "", h->err, sizeof(h->err));
	return h->rc ? MHD_NO : MHD_YES;
}

static bool bearer_ok(const char *auth)
{
	return auth && strncasecmp(auth, "Bearer ", 7) == 0 && auth[7 + strspn(auth + 7, " ")];
}

/* Reset the connection: linger 0 makes close() send RST. */
static enum MHD_Result reset_connection(struct req *r)
{
	int fd = conn_fd(r->conn);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return MHD_NO;
}

/* Queue the prepared response now, or after delay_ms. */
static enum MHD_Result answer(struct req *r, unsigned status, struct MHD_Response *resp,
                              int delay_ms)
{
	if (!resp)
		return MHD_NO;
	if (delay_ms <= 0) {
		r->t0 = sy_mono_ms();
		return queue(r->conn, status, resp);
	}
	r->status = status;
	r->resp = resp;
	sleep_until(r, sy_mono_ms() + delay_ms);
	return MHD_YES;
}

/* Decide what the fault does to this request; returns the fault in effect. */
static enum mock_fault_kind fault_in_effect(struct req *r, const struct mock_opts *o,
                                            const char *prefix, const char *model)
{
	const struct mock_fault *f = &o->fault;
	if (f->kind == MOCK_FAULT_NONE || f->mode == MOCK_FAULT_ALWAYS)
		return f->kind;
	char key[MOCK_KEY_MAX + 512];
	if (o->key[0])
		snprintf(key, sizeof(key), "%s", o->key);
	else
		snprintf(key, sizeof(key), "%s|%s", prefix, model);
	unsigned long seq = mock_state_fault_seq(r->srv->state, key);
	return mock_fault_fires(f, seq) ? f->kind : MOCK_FAULT_NONE;
}

/* Where a chat request came in: its wire format, the length of the URL before the API path
 * (the mock prefix, with its leading slash), and for Gemini the model and streaming, which
 * the URL carries. */
struct route {
	enum mock_format format;
	size_t prefix_len;
	char model[512];
	bool stream;
	bool embed; /* embeddings (mock_embed): OpenAI's /v1/embeddings, Gemini's embed calls */
	bool batch; /* Gemini's :batchEmbedContents */
};

static const char *header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* The credential the format sends, or NULL when it is missing; *refusal is the answer. */
static const char *credential(struct req *r, enum mock_format f, struct MHD_Response **refusal,
                              unsigned *status)
{
	const char *v;
	switch (f) {
	case MOCK_ANTHROPIC:
		v = header(r, "x-api-key");
		*status = 401;
		*refusal = format_error(f, 401, "x-api-key header is required", NULL, NULL, NULL);
		break;
	case MOCK_GEMINI:
		v = header(r, "x-goog-api-key");
		if (!v)
			v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "key");
		*status = 403;
		*refusal =
		    format_error(f, 403,
		                 "Method doesn't allow unregistered callers (callers without "
		                 "established identity). Please use API Key or other form of "
		                 "API consumer identity to call this API.",
		                 NULL, NULL, NULL);
		break;
	default:
		v = header(r, MHD_HTTP_HEADER_AUTHORIZATION);
		*status = 401;
		*refusal =
		    openai_error("You didn't provide an API key. You need to provide your API "
		                 "key in an Authorization header using Bearer auth.",
		                 "invalid_request_error", NULL, "invalid_api_key");
		if (v && !bearer_ok(v))
			v = NULL;
	}
	if (v && *v) {
		MHD_destroy_response(*refusal);
		*refusal = NULL;
		return v;
	}
	return NULL;
}

/* The OpenAI-shaped request a native one amounts to (for the plan); NULL with *why. */
static json_t *plan_request(struct req *r, const struct route *rt, json_t *native, bool *thinking,
                            const char **why)
{
	*thinking = false;
	switch (rt->format) {
	case MOCK_ANTHROPIC:
		if (!header(r, "anthropic-version")) {
			*why = "anthropic-version: header is required";
			return NULL;
		}
		return mock_anthropic_request(native, thinking, why);
	case MOCK_GEMINI: {
		const char *alt =
		    MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "alt");
		if (rt->stream && (!alt || strcmp(alt, "sse"))) {
			*why = "the mock streams only with alt=sse";
			return NULL;
		}
		return mock_gemini_request(native, rt->model, rt->stream, thinking, why);
	}
	default: {
		/* DeepSeek-style thinking: reasoning_effort asks, non-streamed answers only */
		const char *effort = json_string_value(json_object_get(native, "reasoning_effort"));
		*thinking = effort && strcmp(effort, "none") &&
		            !json_is_true(json_object_get(native, "stream"));
		return json_incref(native);
	}
	}
}

/* An answer id in the format's style. */
static void answer_id(enum mock_format f, char *id)
{
	const char *prefix = f == MOCK_ANTHROPIC ? "msg_" : f == MOCK_GEMINI ? "" : "chatcmpl-";
	size_t n = strlen(prefix);
	memcpy(id, prefix, n);
	sy_random_alnum(id + n, 24);
}

/* The plan's format-specific parts: thinking shown, cache writes, a refusal. */
static void plan_native(struct mock_plan *p, const struct route *rt, const struct mock_opts *o,
                        bool thinking, enum mock_fault_kind fault)
{
	p->format = rt->format;
	if (thinking)
		mock_plan_think(p, o);
	if (rt->format == MOCK_OPENAI)
		return;
	p->cache_write_tokens = (unsigned)o->cache_write;
	if (p->prompt_tokens < p->cached_tokens + p->cache_write_tokens)
		p->prompt_tokens = p->cached_tokens + p->cache_write_tokens;
	if (fault == MOCK_FAULT_CONTENT_FILTER) {
		/* Anthropic and Google refuse in a 200: stop_reason refusal, blockReason */
		p->refusal = true;
		free(p->tool_name);
		p->tool_name = NULL;
		p->ntokens = p->nthink = 0;
		p->completion_tokens = p->reasoning_tokens = 0;
		p->finish = "stop";
	}
}

static struct MHD_Response *context_length_fault(const struct route *rt, unsigned prompt)
{
	char msg[256];
	unsigned n = prompt > 8192 ? prompt : 8193;
	switch (rt->format) {
	case MOCK_ANTHROPIC:
		snprintf(msg, sizeof(msg), "prompt is too long: %u tokens > 8192 maximum", n);
		break;
	case MOCK_GEMINI:
		snprintf(msg, sizeof(msg),
		         "The input token count (%u) exceeds the maximum number of tokens allowed "
		         "(8192).",
		         n);
		break;
	default:
		snprintf(
		    msg, sizeof(msg),
		    "This model's maximum context length is 8192 tokens. However, your "
		    "messages resulted in %u tokens. Please reduce the length of the messages.",
		    n);
	}
	return format_error(rt->format, 400, msg, "invalid_request_error", "messages",
	                    "context_length_exceeded");
}

/* An embeddings request: the vectors (mock_embed), or the fault in effect (a status, a reset
 * or no response; the others do not apply to embeddings). */
static enum MHD_Result embed(struct req *r, const struct route *rt, const json_t *native,
                             const struct mock_opts *o, const char *prefix, const char *model)
{
	const char *why = NULL;
	char *body = mock_embed_answer(rt->format, rt->batch, native, model, &why);
	if (!body)
		return queue(r->conn, why ? 400 : 500,
		             format_error(rt->format, why ? 400 : 500, why ? why : "out of memory",
		                          why ? "invalid_request_error" : "server_error", "input",
		                          NULL));
	switch (fault_in_effect(r, o, prefix, model)) {
	case MOCK_FAULT_STATUS:
		free(body);
		return answer(r, (unsigned)o->fault.status, status_fault(&o->fault, rt->format),
		              o->latency_ms);
	case MOCK_FAULT_RESET:
		free(body);
		return reset_connection(r);
	case MOCK_FAULT_NO_RESPONSE:
		free(body);
		hold(r);
		return MHD_YES;
	default:
		return answer(r, 200, json_response(body), o->latency_ms);
	}
}

static enum MHD_Result chat(struct req *r, const char *url, const struct route *rt)
{
	struct mock_server *srv = r->srv;
	char prefix[256], why_buf[160];
	size_t prefix_len = rt->prefix_len;
	snprintf(prefix, sizeof(prefix), "%.*s", prefix_len ? (int)prefix_len - 1 : 0, url + 1);
	struct MHD_Response *refusal = NULL;
	unsigned refusal_status = 0;
	const char *auth = credential(r, rt->format, &refusal, &refusal_status);
	const char *body = r->body.data ? r->body.data : "";
	json_t *native = r->too_big ? NULL : json_loadb(body, r->body.len, 0, NULL);
	json_t *jmodel = json_object_get(native, "model");
	const char *model = rt->format == MOCK_GEMINI ? rt->model
	                    : json_is_string(jmodel)  ? json_string_value(jmodel)
	                                              : "";
	unsigned long seq =
	    mock_state_record(srv->state, prefix, model, url, auth, body, r->body.len);
	if (rt->format == MOCK_ANTHROPIC)
		mock_state_note_anthropic(srv->state, header(r, "anthropic-version"),
		                          header(r, "anthropic-beta"));
	enum MHD_Result rc;
	struct mock_opts opts = srv->defaults;
	struct header_opts hdr = {.opts = &opts};
	const char *why = NULL;
	size_t name_len;
	json_t *req = NULL;
	bool thinking = false;

	if (r->too_big) {
		rc = queue(r->conn, 413,
		           format_error(rt->format, 413, "Request body too large",
		                        "invalid_request_error", NULL, "request_too_large"));
		goto out;
	}
	if (!auth) {
		rc = queue(r->conn, refusal_status, refusal);
		refusal = NULL;
		goto out;
	}
	if (!native) {
		rc = queue(r->conn, 400,
		           format_error(rt->format, 400,
		                        "We could not parse the JSON body of your request.",
		                        "invalid_request_error", NULL, "invalid_json"));
		goto out;
	}
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, apply_header, &hdr);
	if (hdr.rc == 0)
		hdr.rc = mock_opts_parse_model(&opts, model, &name_len, hdr.err, sizeof(hdr.err));
	if (hdr.rc) {
		rc = queue(
		    r->conn, 400,
		    format_error(rt->format, 400, hdr.err, "invalid_request_error", "model", NULL));
		goto out;
	}
	if (rt->embed) {
		rc = embed(r, rt, native, &opts, prefix, model);
		goto out;
	}
	req = plan_request(r, rt, native, &thinking, &why);
	if (!req) {
		rc = queue(r->conn, 400,
		           format_error(rt->format, 400, why ? why : "invalid request",
		                        "invalid_request_error", NULL, NULL));
		goto out;
	}
	char id[MOCK_ID_MAX];
	answer_id(rt->format, id);
	int err = mock_plan_init(&r->plan, req, &opts, id, seq, &why);
	if (err) {
		snprintf(why_buf, sizeof(why_buf), "%s", why ? why : sy_strerror(err));
		rc = queue(r->conn, err == SY_EINVAL ? 400 : 500,
		           format_error(rt->format, err == SY_EINVAL ? 400 : 500, why_buf,
		                        err == SY_EINVAL ? "invalid_request_error" : "server_error",
		                        NULL, NULL));
		goto out;
	}
	r->have_plan = true;
	r->fault = fault_in_effect(r, &opts, prefix, model);
	plan_native(&r->plan, rt, &opts, thinking, r->fault);
	int delay = r->plan.stream ? 0 : opts.latency_ms;
	sy_debug("chat prefix=%s model=%s format=%d stream=%d fault=%d", prefix, model,
	         (int)rt->format, r->plan.stream, (int)r->fault);
	switch (r->fault) {
	case MOCK_FAULT_STATUS:
		rc = answer(r, (unsigned)opts.fault.status, status_fault(&opts.fault, rt->format),
		            delay);
		goto out;
	case MOCK_FAULT_RESET:
		rc = reset_connection(r);
		goto out;
	case MOCK_FAULT_NO_RESPONSE:
		hold(r);
		rc = MHD_YES;
		goto out;
	case MOCK_FAULT_CONTEXT_LENGTH:
		rc = answer(r, 400, context_length_fault(rt, r->plan.prompt_tokens), delay);
		goto out;
	case MOCK_FAULT_CONTENT_FILTER:
		if (rt->format != MOCK_OPENAI)
			break; /* a refusal in a 200 (plan_native) */
		rc = answer(r, 400,
		            openai_error("Your request was rejected as a result of our safety "
		                         "system. (mock fault)",
		                         "invalid_request_error", "messages", "content_filter"),
		            delay);
		goto out;
	case MOCK_FAULT_SLOW_FIRST_TOKEN:
		delay = mock_opts_slow_ms(&opts);
		r->plan.ttft_ms = 0; /* the wait is before the first byte instead */
		break;
	default:
		break;
	}
	rc = answer(r, 200, r->plan.stream ? stream_response(r) : completion_response(r), delay);
out:
	if (refusal)
		MHD_destroy_response(refusal);
	json_decref(req);
	json_decref(native);
	return rc;
}

/* Which API url is, if any: OpenAI's chat or embeddings, Anthropic's, or Gemini's
 * .../v1beta/models/{model}:generateContent, :streamGenerateContent, :embedContent or
 * :batchEmbedContents. */
static bool chat_route(const char *url, struct route *rt)
{
	size_t len = strlen(url);
	*rt = (struct route){.format = MOCK_OPENAI};
	if (ends_with(url, len, CHAT_PATH)) {
		rt->prefix_len = len - strlen(CHAT_PATH);
		return true;
	}
	if (ends_with(url, len, EMBED_PATH)) {
		rt->embed = true;
		rt->prefix_len = len - strlen(EMBED_PATH);
		return true;
	}
	if (ends_with(url, len, MESSAGES_PATH)) {
		rt->format = MOCK_ANTHROPIC;
		rt->prefix_len = len - strlen(MESSAGES_PATH);
		return true;
	}
	const char *g = strstr(url, GEMINI_PATH);
	const char *colon = g ? strrchr(g, ':') : NULL;
	if (!colon || colon == g + strlen(GEMINI_PATH))
		return false;
	rt->batch = !strcmp(colon, ":batchEmbedContents");
	rt->embed = rt->batch || !strcmp(colon, ":embedContent");
	if (!rt->embed && strcmp(colon, ":generateContent") &&
	    strcmp(colon, ":streamGenerateContent"))
		return false;
	const char *m = g + strlen(GEMINI_PATH);
	if ((size_t)(colon - m) >= sizeof(rt->model))
		return false;
	rt->format = MOCK_GEMINI;
	rt->prefix_len = (size_t)(g - url);
	rt->stream = !strcmp(colon, ":streamGenerateContent");
	snprintf(rt->model, sizeof(rt->model), "%.*s", (int)(colon - m), m);
	return true;
}

/* ---- routing ------------------------------------------------------------------------------ */

static enum MHD_Result handle_get(struct mock_server *srv, struct MHD_Connection *conn,
                                  const char *url, const char *method)
{
	size_t len = strlen(url);
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	struct route rt;
	bool is_chat = chat_route(url, &rt);
	bool known = strcmp(url, "/mock/stats") == 0 || strcmp(url, "/mock/last") == 0 ||
	             strcmp(url, "/mock/reset") == 0 || ends_with(url, len, MODELS_PATH) || is_chat;
	if (!known)
		return own_error(conn, 404, "no such endpoint");
	if (!get || strcmp(url, "/mock/reset") == 0 || is_chat)
		return own_error(conn, 405, "method not allowed");
	if (strcmp(url, "/mock/stats") == 0)
		return queue(conn, 200, json_response(mock_state_stats_json(srv->state)));
	if (strcmp(url, "/mock/last") == 0)
		return queue(conn, 200, json_response(mock_state_last_json(srv->state)));
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    sizeof(MODELS_BODY) - 1, (void *)MODELS_BODY, MHD_RESPMEM_PERSISTENT);
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return queue(conn, 200, r);
}

static enum MHD_Result handle_post(struct req *r, const char *url)
{
	size_t len = strlen(url);
	struct route rt;
	if (chat_route(url, &rt))
		return chat(r, url, &rt);
	if (strcmp(url, "/mock/reset") == 0) {
		mock_state_reset(r->srv->state);
		return queue(r->conn, 200, json_response(strdup("{\"ok\":true}")));
	}
	if (strcmp(url, "/mock/stats") == 0 || strcmp(url, "/mock/last") == 0 ||
	    ends_with(url, len, MODELS_PATH))
		return own_error(r->conn, 405, "method not allowed");
	return own_error(r->conn, 404, "no such endpoint");
}

/* Called again after a wake: queue what was prepared, or give up. */
static enum MHD_Result handle_resumed(struct req *r)
{
	if (atomic_load(&r->closing) || !r->resp)
		return MHD_NO;
	struct MHD_Response *resp = r->resp;
	r->resp = NULL;
	r->t0 = sy_mono_ms();
	return queue(r->conn, r->status, resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct mock_server *srv = cls;
	struct req *r = *con_cls;
	if (!r) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return handle_get(srv, conn, url, method);
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->srv = srv;
		r->conn = conn;
		r->break_at = NO_BREAK;
		sy_buf_init(&r->body, MAX_BODY);
		sy_buf_init(&r->out, 0);
		atomic_fetch_add(&srv->active, 1);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		/* over the cap: drop the rest, answer 413 at the end */
		if (!r->too_big && sy_buf_append(&r->body, upload, *upload_size))
			r->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->started)
		return handle_resumed(r);
	r->started = true;
	return handle_post(r, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	if (!r)
		return;
	struct mock_server *srv = r->srv;
	if (r->resp)
		MHD_destroy_response(r->resp);
	if (r->have_plan)
		mock_plan_release(&r->plan);
	sy_buf_release(&r->body);
	sy_buf_release(&r->out);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->active, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	sy_debug("mhd: %s", line);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

struct mock_server *mock_server_new(const struct mock_config *cfg)
{
	struct mock_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->defaults = cfg->defaults;
	s->state = mock_state_new();
	s->sched = mock_sched_new();
	if (!s->state || !s->sched)
		goto fail;
	unsigned flags =
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	s->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, &cfg->listen, MHD_OPTION_THREAD_POOL_SIZE,
	    cfg->threads > 1 ? cfg->threads : 0, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_CONNECTION_LIMIT,
	    cfg->max_conns, MHD_OPTION_END);
	if (!s->mhd) {
		sy_err("cannot listen on %s:%u: %s", inet_ntoa(cfg->listen.sin_addr),
		       ntohs(cfg->listen.sin_port), strerror(errno));
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : ntohs(cfg->listen.sin_port);
	return s;
fail:
	mock_sched_free(&s->sched);
	mock_state_free(&s->state);
	free(s);
	return NULL;
}

unsigned mock_server_port(const struct mock_server *s)
{
	return s->port;
}

void mock_server_free(struct mock_server **sp)
{
	struct mock_server *s = *sp;
	if (!s)
		return;
	MHD_quiesce_daemon(s->mhd);
	/* MHD must not stop with suspended connections: wake them all, let them close. */
	mock_sched_shutdown(s->sched);
	for (int i = 0; i < 200 && atomic_load(&s->active) > 0; i++)
		usleep(10000);
	MHD_stop_daemon(s->mhd);
	mock_sched_free(&s->sched);
	mock_state_free(&s->state);
	free(s);
	*sp = NULL;
}
