/* dp_worker.h - what one worker process holds: its loop, its view and its channels.
 *
 * There is exactly one of these per worker process; request handlers reach everything
 * through it. */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_loop;
struct dp_view;
struct dp_usage;
struct dp_http;
struct dp_sync;
struct dp_health;
struct dp_chat;
struct dp_money;
struct sy_cidr;

struct dp_config {
	const char *listen;       /* "host:port" for the public API */
	const char *zmq_snapshot; /* controlplane snapshot ROUTER */
	const char *zmq_publish;  /* controlplane update PUB */
	const char *zmq_usage;    /* controlplane usage ROUTER */
	const char *spool_dir;    /* durable usage spool */
	int workers;
	size_t max_body;                /* request body cap (413 beyond) */
	int64_t drain_ms;               /* in-flight deadline on SIGTERM */
	uint32_t connect_timeout_ms;    /* upstream defaults, overridable per provider */
	uint32_t first_byte_timeout_ms; /* streamed answers */
	uint32_t answer_timeout_ms;     /* non-streamed answers: their first byte is the whole */
	uint32_t idle_timeout_ms;
	uint32_t total_timeout_ms;
	uint32_t processing_comment_ms; /* ": OPENROUTER PROCESSING" interval */
	uint32_t reserve_max_tokens;    /* completion tokens a request reserves at most */
	uint32_t lease_wait_ms;         /* a request's wait for its credit lease to grow */
	int cluster_workers;            /* workers sharing the rate limits (0 = workers) */
	/* --trusted-proxies: peers whose X-Forwarded-For names the client (dp_policy) */
	const struct sy_cidr *trusted_proxies;
	size_t n_trusted_proxies;
};

struct dp_worker {
	int id; /* 0..workers-1 */
	const struct dp_config *cfg;
	struct dp_loop *loop;
	void *zctx;           /* the process's ZeroMQ context */
	struct dp_view *view; /* current generation; NULL until the first snapshot */
	struct dp_usage *usage;
	struct dp_sync *sync;
	struct dp_http *http;
	struct dp_health *health; /* per-endpoint health (routing); may be NULL */
	void *upstream;           /* the worker's curl multi wrapper (dp_upstream) */
	struct dp_chat *chats;    /* chats in flight (dp_chat's list, for shutdown) */
	struct dp_money *money;   /* leases, reservations, rate limits; NULL = no money checks */
	bool draining;            /* SIGTERM received: no new requests */
	bool resumed;             /* a connection was resumed since MHD last ran (dp_http_resume) */
	unsigned in_flight;       /* chat requests not yet settled */
};

#endif
