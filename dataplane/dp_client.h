/* dp_client.h - the client's connection of one chat: suspend and resume, the answer queued
 * to MHD (a whole JSON answer, or an event stream read from an output queue), processing
 * comments (or the skin's keepalive) and the hang-up watch.
 *
 * dp_chat orchestrates the request (parse, plan, admit, attempt, finish, settle) and talks to
 * the client only through this module. The connection stays suspended while the chat waits;
 * every answer is queued while suspended and then resumed (dp_client_wake), so MHD's access
 * handler is not called again for the request. While suspended for longer than a short delay,
 * the client socket is watched for a hangup (EPOLLRDHUP on the worker's loop), reported
 * through ops->hangup. The struct lives inside the chat (no allocation of its own). */
#ifndef DP_CLIENT_H
#define DP_CLIENT_H

#include "dp_skin.h"
#include "dp_worker.h"
#include "sy_buf.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_overhead;
struct dp_timer;

/* What the chat hears from its connection. */
struct dp_client_ops {
	/* Add the chat's own headers to a JSON answer of status (after the common ones). */
	void (*headers)(void *arg, int status, struct MHD_Response *r);
	/* The client hung up while the connection was suspended (the watch was removed). */
	void (*hangup)(void *arg);
	/* The output queue drained below half of DP_CLIENT_OUT_HIGH after dp_client_backlogged. */
	void (*drained)(void *arg);
};

/* Queued for a slow client beyond this: the producer pauses (dp_client_backlogged). */
#define DP_CLIENT_OUT_HIGH (1u << 20)

struct dp_client {
	struct dp_worker *w;
	struct MHD_Connection *conn;
	const char *id;                /* the generation id: X-Generation-Id and log lines */
	const struct dp_overhead *ovh; /* the request's overhead clock (X-Switchyard-Overhead-Us) */
	const struct dp_skin *skin;    /* the client's wire format */
	void *const *skin_state;       /* the chat's skin state (set once the request is parsed) */
	const struct dp_client_ops *ops;
	void *arg;

	struct sy_buf out; /* bytes waiting for MHD's reader */
	struct dp_timer *comment_timer;
	uint32_t comment_ms;
	int fd;                       /* watched for a hangup while suspended; -1 = not watched */
	struct dp_timer *watch_timer; /* starts the watch (see dp_client_suspend) */
	bool suspended;
	bool queued;   /* a response is queued (status is final) */
	bool out_done; /* nothing more will be queued */
	bool paused;   /* the producer was told to pause (dp_client_backlogged) */
	bool gone;     /* the client hung up */
	int status;    /* the status queued (dp_chat records 499 when nothing was) */
};

/* Set up cl for connection c (nothing is queued or suspended yet). */
void dp_client_init(struct dp_client *cl, struct dp_worker *w, struct MHD_Connection *c,
                    const char *id, const struct dp_overhead *ovh, const struct dp_skin *skin,
                    void *const *skin_state, const struct dp_client_ops *ops, void *arg);
/* Stop the watch and timers and free the queue. */
void dp_client_release(struct dp_client *cl);

/* Resume a suspended connection c of worker w. MHD (0.9.75, external epoll) notices a resume
 * only in a later MHD_run, which w->resumed asks dp_http for before the loop waits again. */
static inline void dp_client_resume(struct dp_worker *w, struct MHD_Connection *c)
{
	MHD_resume_connection(c);
	w->resumed = true;
}

/* Suspend the connection while the chat waits (the hang-up watch starts after a delay). */
void dp_client_suspend(struct dp_client *cl);
/* Let MHD send what is queued. */
void dp_client_wake(struct dp_client *cl);

/* Queue a whole JSON answer (takes json, malloc'ed; NULL = out of memory), in the skin's
 * format, with the generation id, CORS, overhead and the chat's own headers; then wake. */
enum MHD_Result dp_client_json(struct dp_client *cl, int status, char *json);
/* Queue the 200 of an event stream read from cl->out (once; 0 if already queued). On failure
 * a 500 is queued instead and SY_EINVAL returned. */
int dp_client_stream(struct dp_client *cl);
/* Append to the output queue; a failure ends the stream (the client sees it cut). */
void dp_client_emit(struct dp_client *cl, const char *p, size_t n);
/* Frame one stream part (JSON; NULL = out of memory) in the client's format into to (cl->out
 * or a buffer held back by the chat). */
void dp_client_frame(struct dp_client *cl, struct sy_buf *to, enum dp_skin_part part,
                     const char *json);
/* Nothing more will be queued: end the stream once the queue is read, and wake. */
void dp_client_end(struct dp_client *cl);
/* The queue holds more than DP_CLIENT_OUT_HIGH: the producer must pause until ops->drained. */
bool dp_client_backlogged(struct dp_client *cl);

/* Send a processing comment (the skin's keepalive) every ms (0 = never) until stopped or the
 * output ends; the first one also queues the stream's 200. */
void dp_client_comments_start(struct dp_client *cl, uint32_t ms);
void dp_client_comments_stop(struct dp_client *cl);

#endif
