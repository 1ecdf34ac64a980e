/* dp_chat.h - one chat completion from the authenticated request to the settled usage record.
 *
 * dp_http authenticates and reads the body, then hands the connection to dp_chat_start, which
 * owns it from then on: it validates, routes, calls the upstream (failing over before the
 * first byte), streams or returns the answer, and on every exit path submits exactly one
 * usage record.
 *
 * The client's connection (suspend/resume, the queued answer or event stream, processing
 * comments, the hang-up watch) is dp_client's: dp_chat only orchestrates parse, plan, admit,
 * attempt, finish and settle. The worker's parts it uses (w->upstream, w->health) are built
 * by dp_worker_open. */
#ifndef DP_CHAT_H
#define DP_CHAT_H

#include "switchyard.pb-c.h"

#include <microhttpd.h>
#include <stdbool.h>

struct dp_worker;
struct dp_view;
struct dp_chat;
struct sy_buf;
struct dp_skin;

/* Request metadata dp_http collected from the headers. Strings are copied by dp_chat_start. */
struct dp_chat_meta {
	const char *session_id;     /* x-session-id header or NULL */
	const char *referer;        /* HTTP-Referer or NULL */
	const char *title;          /* X-Title / X-OpenRouter-Title or NULL */
	const struct dp_skin *skin; /* the client's wire format (dp_skin); NULL = chat */
	bool embeddings;            /* POST /embeddings (dp_embed) rather than a chat completion */
};

/* Serve a chat completion for key (in org) on connection c. Takes a reference on view and
 * ownership of body's contents (the buffer is left empty). *chatp receives the in-flight
 * chat (NULL if a response was queued at once) so dp_http can report the connection's end.
 * Returns what the MHD access handler must return. */
enum MHD_Result dp_chat_start(struct dp_worker *w, struct MHD_Connection *c, struct dp_view *view,
                              const Sy__ApiKey *key, const struct dp_chat_meta *meta,
                              struct sy_buf *body, struct dp_chat **chatp);
/* The connection ended (completed or the client went away): cancel the upstream if still
 * running, settle, free. Called exactly once per chat from MHD's completion notifier. */
void dp_chat_closed(struct dp_chat *chat, enum MHD_RequestTerminationCode toe);
/* Shutdown: end every chat in flight now (upstream cancelled; a 503, or an in-band error
 * chunk on a stream already answering) and resume its connection, so MHD can be stopped
 * (MHD must not be stopped with suspended connections). Each chat still settles in
 * dp_chat_closed. */
void dp_chat_abort_all(struct dp_worker *w);

#endif
