/* dp_worker.h - what one worker process holds: its loop, its view and its channels.
 *
 * There is exactly one of these per worker process; request handlers reach everything
 * through it. dp_worker_open builds the worker's own parts (loop, ZeroMQ context, upstream
 * client, endpoint health) and dp_worker_close frees them; the channels that talk back to
 * the worker (usage, money, sync, http) are built by dp_main on top and freed before
 * dp_worker_close. The view is swapped only through dp_worker_set_view (dp_sync). */
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
struct dp_upstream;
struct dp_money;
struct sy_curve;
struct sy_cidr;

struct dp_config {
	const char *listen;           /* "host:port" for the public API */
	const char *metrics_listen;   /* "host:port" for GET /metrics; NULL = not served */
	const char *upstream_proxy;   /* proxy URL for upstream calls; NULL = connect directly */
	const char *cors_origin;      /* Access-Control-Allow-Origin (dp_cors); "none" = no CORS */
	const char *zmq_snapshot;     /* controlplane snapshot ROUTER */
	const char *zmq_publish;      /* controlplane update PUB */
	const char *zmq_usage;        /* controlplane usage ROUTER */
	const struct sy_curve *curve; /* CURVE keys for the three sockets; NULL = plaintext */
	const char *spool_dir;        /* durable usage spool */
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
	uint32_t header_timeout_ms;     /* client: complete request headers within this */
	uint32_t body_timeout_ms;       /* client: complete request body within this */
	uint32_t max_conns_per_ip;      /* client connections from one address (0 = no limit) */
	uint32_t max_conns;             /* client connections (0 = half the descriptor limit) */
	uint32_t max_attempts;          /* upstream attempts per request (dp_failover budget) */
	uint32_t attempt_budget_ms;     /* no new attempt after this long (0 = no limit) */
	uint32_t retry_after_max_ms;    /* longest Retry-After waited for on the same endpoint */
	uint32_t malformed_run_max;     /* unparsable stream events in a row that end a stream */
	uint32_t usage_memory_max;      /* unacknowledged usage records in memory (dp_usage) */
	bool no_spool_fsync;            /* the spool is written without fdatasync */
	uint32_t spool_sync_ms;         /* fdatasync within this of a write (0: every iteration) */
	bool one_request;               /* --one-request-per-connection: close after each answer */
	bool allow_core_dumps;          /* operator asked for core files (they hold secrets) */
	bool heal_json; /* --heal-json: heal response_format json_object/json_schema answers */
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
	struct dp_http *metrics_http; /* the --metrics-listen listener; NULL without one */
	struct dp_health *health;     /* per-endpoint health (routing) */
	struct dp_upstream *upstream; /* the worker's curl multi wrapper */
	struct dp_chat *chats;        /* chats in flight (dp_chat's list, for shutdown) */
	struct dp_money *money; /* leases, reservations, rate limits; NULL = no money checks */
	bool draining;          /* SIGTERM received: no new requests */
	bool resumed;           /* a connection was resumed since MHD last ran (dp_client_resume) */
	unsigned in_flight;     /* chat requests not yet settled */

	/* rate tokens leased across workers (dp_ratelease); NULL = local shares */
	struct dp_ratelease *rates;
};

/* Set up w for worker id with cfg and build its parts (see above). 0, or SY_ENOMEM with
 * whatever was built freed (logged). */
int dp_worker_open(struct dp_worker *w, int id, const struct dp_config *cfg);
/* Free the parts dp_worker_open built and the view; the channels must be gone. Idempotent. */
void dp_worker_close(struct dp_worker *w);
/* Make *vp (a reference, taken; *vp nulled) the worker's current view generation. */
void dp_worker_set_view(struct dp_worker *w, struct dp_view **vp);

#endif
