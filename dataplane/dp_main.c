/* dp_main.c - switchyard-dataplane: a supervisor process and N worker processes.
 *
 * The parent only supervises: it forks the workers, restarts one that dies unexpectedly,
 * forwards SIGTERM/SIGINT and waits. Each worker is one thread with one dp_loop holding its
 * own MHD daemon (bound with SO_REUSEPORT), ZeroMQ context, view, sync and usage channel.
 *
 * Worker shutdown on SIGTERM: stop accepting, let requests in progress finish until
 * --drain-ms, end what is left (chats settle with a usage record each), then wait for the
 * controlplane to acknowledge the usage records until the same deadline (at least
 * FLUSH_MIN_MS); whatever is unacknowledged stays in the spool for the next start. */
#include "dp_chat.h"
#include "dp_health.h"
#include "dp_http.h"
#include "dp_loop.h"
#include "dp_money.h"
#include "dp_metrics.h"
#include "dp_sync.h"
#include "dp_upstream.h"
#include "dp_usage.h"
#include "dp_view.h"
#include "dp_worker.h"
#include "sy_cidr.h"
#include "sy_clock.h"
#include "sy_curve.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_version.h"
#include "sy_msg.h"
#include "sy_proc.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_WORKERS 256
#define TRUSTED_MAX 64 /* --trusted-proxies entries */
#define DRAIN_POLL_MS 20
#define FLUSH_MIN_MS 1000     /* usage acks get at least this long after the drain */
#define RESTART_DELAY_MS 1000 /* between a worker's death and its replacement */
#define QUICK_DEATH_MS 3000   /* a worker dying this soon after its start ... */
#define QUICK_DEATHS_MAX 5    /* ... this many times in a row cannot start: give up */

static const char usage_text[] =
    "usage: switchyard-dataplane [options]\n"
    "\n"
    "The public OpenRouter-compatible API: N worker processes sharing one port.\n"
    "\n"
    "  --listen HOST:PORT            public API address (default 0.0.0.0:8080)\n"
    "  --metrics-listen HOST:PORT    serve GET /metrics (Prometheus) here, never on the\n"
    "                                public port (default: not served)\n"
    "  --controlplane HOST           shorthand for tcp://HOST:5555/5556/5557 below\n"
    "  --zmq-snapshot ENDPOINT       controlplane snapshot ROUTER (default tcp://127.0.0.1:5555)\n"
    "  --zmq-publish ENDPOINT        controlplane update PUB (default tcp://127.0.0.1:5556)\n"
    "  --zmq-usage ENDPOINT          controlplane usage ROUTER (default tcp://127.0.0.1:5557)\n"
    "  --curve-secret-file FILE      this dataplane's CURVE secret key (Z85; from\n"
    "                                switchyard-controlplane --gen-keys)\n"
    "  --curve-server-key FILE       the controlplane's CURVE public key: with both, the\n"
    "                                ZeroMQ links are encrypted and only that controlplane\n"
    "                                is trusted\n"
    "  --workers N                   worker processes (default: number of cores)\n"
    "  --spool-dir DIR               durable usage spool (default ./switchyard-spool)\n"
    "  --max-body-kb N               request body cap, 413 beyond (default 1024)\n"
    "  --drain-ms N                  on SIGTERM, time for in-flight requests (default 10000)\n"
    "  --connect-timeout-ms N        upstream connect deadline (default 5000)\n"
    "  --first-byte-timeout-ms N     streamed answer: first byte deadline (default 15000)\n"
    "  --answer-timeout-ms N         non-streamed answer, which arrives whole: first byte\n"
    "                                deadline (default 120000)\n"
    "  --idle-timeout-ms N           upstream gap between bytes (default 15000)\n"
    "  --total-timeout-ms N          upstream whole-call deadline (default 600000)\n"
    "  --upstream-proxy URL          send upstream calls through this proxy (http_proxy and\n"
    "                                https_proxy in the environment are ignored)\n"
    "  --header-timeout-ms N         a client's request headers must be complete within\n"
    "                                this (default 10000; then 408 and close)\n"
    "  --body-timeout-ms N           a client's request body must be complete within this\n"
    "                                (default 60000)\n"
    "  --max-conns-per-ip N          connections one client address may hold per worker\n"
    "                                (default 256; 0 = no limit, e.g. behind a proxy)\n"
    "  --allow-core-dumps            let workers dump core (core files hold API and\n"
    "                                provider keys; off by default)\n"
    "  --processing-comment-ms N     ': OPENROUTER PROCESSING' interval (default 5000)\n"
    "  --max-attempts N              upstream attempts per request, retries and fallbacks\n"
    "                                included (default 10)\n"
    "  --attempt-budget-ms N         no new upstream attempt starts this long after the\n"
    "                                request arrived (default 45000; 0 = no limit)\n"
    "  --retry-after-max-ms N        longest upstream Retry-After waited for to retry the\n"
    "                                same endpoint (default 2000; 0 = never wait)\n"
    "  --usage-memory-max N          unacknowledged usage records held in memory per worker;\n"
    "                                the rest wait in the spool (default 10000; 0 = no cap)\n"
    "  --spool-sync-ms N             fdatasync the usage spool within N ms of a write (a\n"
    "                                group commit; 0 = after every loop iteration, before\n"
    "                                any answer goes out; default 100)\n"
    "  --no-spool-fsync              never fdatasync the usage spool (a power loss may\n"
    "                                then lose records; a killed worker loses none)\n"
    "  --malformed-run-max N         unparsable stream events in a row that end a stream\n"
    "                                (fewer are skipped; default 3)\n"
    "  --reserve-max-tokens N        completion tokens a request reserves credits for at most\n"
    "                                (and when it sets no max_tokens; default 4096)\n"
    "  --lease-wait-ms N             how long a request may wait for credits (default 2000)\n"
    "  --cluster-workers N           workers across all dataplanes sharing the rate limits;\n"
    "                                each allows ceil(limit / N) (default: --workers)\n"
    "  --trusted-proxies CIDR,...    load balancers whose X-Forwarded-For names the client\n"
    "                                (for keys' allowed_ips; default: none, the socket peer)\n"
    "  --log-level LEVEL             error|warn|info|debug (default info)\n"
    "  -n, --check                   validate the options, print them and exit\n"
    "  -h, --help                    this text\n"
    "  --version                     print the version and git revision\n";

/* ---- options -------------------------------------------------------------------------------- */

enum {
	OPT_LISTEN = 256,
	OPT_CP,
	OPT_SNAP,
	OPT_PUB,
	OPT_USAGE,
	OPT_WORKERS,
	OPT_SPOOL,
	OPT_BODY,
	OPT_DRAIN,
	OPT_CONNECT,
	OPT_FIRST_BYTE,
	OPT_ANSWER,
	OPT_IDLE,
	OPT_TOTAL,
	OPT_COMMENT,
	OPT_RESERVE,
	OPT_LEASE_WAIT,
	OPT_CLUSTER_WORKERS,
	OPT_TRUSTED,
	OPT_LOG,
	OPT_CURVE_SECRET,
	OPT_CURVE_SERVER,
	OPT_METRICS,
	OPT_PROXY,
	OPT_HEADER_TIMEOUT,
	OPT_BODY_TIMEOUT,
	OPT_PER_IP,
	OPT_CORE,
	OPT_MAX_ATTEMPTS,
	OPT_ATTEMPT_BUDGET,
	OPT_RETRY_AFTER_MAX,
	OPT_MALFORMED_RUN,
	OPT_USAGE_MEMORY,
	OPT_NO_FSYNC,
	OPT_SPOOL_SYNC,
};

/* --trusted-proxies: a comma-separated list of addresses and CIDR ranges. */
static int parse_trusted(const char *arg, struct dp_config *cfg)
{
	static struct sy_cidr trusted[TRUSTED_MAX];
	size_t bad = 0;
	int n = sy_cidr_parse_list(arg, trusted, TRUSTED_MAX, &bad);
	if (n < 0) {
		fprintf(stderr,
		        "--trusted-proxies: want at most %d comma-separated addresses or CIDR "
		        "ranges, got '%s' (at offset %zu)\n",
		        TRUSTED_MAX, arg, bad);
		return SY_EINVAL;
	}
	cfg->trusted_proxies = trusted;
	cfg->n_trusted_proxies = (size_t)n;
	return 0;
}

static int parse_args(int argc, char **argv, struct dp_config *cfg, bool *check)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"controlplane", required_argument, NULL, OPT_CP},
	    {"zmq-snapshot", required_argument, NULL, OPT_SNAP},
	    {"zmq-publish", required_argument, NULL, OPT_PUB},
	    {"zmq-usage", required_argument, NULL, OPT_USAGE},
	    {"curve-secret-file", required_argument, NULL, OPT_CURVE_SECRET},
	    {"curve-server-key", required_argument, NULL, OPT_CURVE_SERVER},
	    {"workers", required_argument, NULL, OPT_WORKERS},
	    {"spool-dir", required_argument, NULL, OPT_SPOOL},
	    {"max-body-kb", required_argument, NULL, OPT_BODY},
	    {"drain-ms", required_argument, NULL, OPT_DRAIN},
	    {"connect-timeout-ms", required_argument, NULL, OPT_CONNECT},
	    {"first-byte-timeout-ms", required_argument, NULL, OPT_FIRST_BYTE},
	    {"answer-timeout-ms", required_argument, NULL, OPT_ANSWER},
	    {"idle-timeout-ms", required_argument, NULL, OPT_IDLE},
	    {"total-timeout-ms", required_argument, NULL, OPT_TOTAL},
	    {"processing-comment-ms", required_argument, NULL, OPT_COMMENT},
	    {"reserve-max-tokens", required_argument, NULL, OPT_RESERVE},
	    {"lease-wait-ms", required_argument, NULL, OPT_LEASE_WAIT},
	    {"cluster-workers", required_argument, NULL, OPT_CLUSTER_WORKERS},
	    {"trusted-proxies", required_argument, NULL, OPT_TRUSTED},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"metrics-listen", required_argument, NULL, OPT_METRICS},
	    {"upstream-proxy", required_argument, NULL, OPT_PROXY},
	    {"header-timeout-ms", required_argument, NULL, OPT_HEADER_TIMEOUT},
	    {"body-timeout-ms", required_argument, NULL, OPT_BODY_TIMEOUT},
	    {"max-conns-per-ip", required_argument, NULL, OPT_PER_IP},
	    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
	    {"attempt-budget-ms", required_argument, NULL, OPT_ATTEMPT_BUDGET},
	    {"retry-after-max-ms", required_argument, NULL, OPT_RETRY_AFTER_MAX},
	    {"malformed-run-max", required_argument, NULL, OPT_MALFORMED_RUN},
	    {"usage-memory-max", required_argument, NULL, OPT_USAGE_MEMORY},
	    {"no-spool-fsync", no_argument, NULL, OPT_NO_FSYNC},
	    {"spool-sync-ms", required_argument, NULL, OPT_SPOOL_SYNC},
	    {"allow-core-dumps", no_argument, NULL, OPT_CORE},
	    {"check", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static char cp_eps[3][300];
	static struct sy_curve curve; /* lives as long as the process: workers inherit it */
	const char *cp_host = NULL, *snap = NULL, *pub = NULL, *usage = NULL;
	const char *curve_secret = NULL, *curve_server = NULL, *why = NULL;
	long long v;
	int c;
	while ((c = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		const char *name = NULL;
		long long min = 1, max = INT32_MAX;
		switch (c) {
		case OPT_LISTEN:
			cfg->listen = optarg;
			continue;
		case OPT_CP:
			cp_host = optarg;
			continue;
		case OPT_SNAP:
			snap = optarg;
			continue;
		case OPT_PUB:
			pub = optarg;
			continue;
		case OPT_USAGE:
			usage = optarg;
			continue;
		case OPT_CURVE_SECRET:
			curve_secret = optarg;
			continue;
		case OPT_CURVE_SERVER:
			curve_server = optarg;
			continue;
		case OPT_SPOOL:
			cfg->spool_dir = optarg;
			continue;
		case OPT_METRICS:
			cfg->metrics_listen = optarg;
			continue;
		case OPT_PROXY:
			cfg->upstream_proxy = optarg;
			continue;
		case OPT_NO_FSYNC:
			cfg->no_spool_fsync = true;
			continue;
		case OPT_CORE:
			cfg->allow_core_dumps = true;
			continue;
		case OPT_TRUSTED:
			if (parse_trusted(optarg, cfg))
				return SY_EINVAL;
			continue;
		case OPT_LOG:
			if (sy_log_set_level_name(optarg)) {
				fprintf(stderr, "--log-level: want error, warn, info or debug\n");
				return SY_EINVAL;
			}
			continue;
		case 'n':
			*check = true;
			continue;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			sy_version_print(stdout, "switchyard-dataplane");
			exit(0);
		case OPT_WORKERS:
			name = "--workers";
			max = MAX_WORKERS;
			break;
		case OPT_BODY:
			name = "--max-body-kb";
			max = 1024 * 1024;
			break;
		case OPT_DRAIN:
			name = "--drain-ms";
			min = 0;
			break;
		case OPT_CONNECT:
			name = "--connect-timeout-ms";
			break;
		case OPT_FIRST_BYTE:
			name = "--first-byte-timeout-ms";
			break;
		case OPT_ANSWER:
			name = "--answer-timeout-ms";
			break;
		case OPT_IDLE:
			name = "--idle-timeout-ms";
			break;
		case OPT_TOTAL:
			name = "--total-timeout-ms";
			break;
		case OPT_COMMENT:
			name = "--processing-comment-ms";
			break;
		case OPT_RESERVE:
			name = "--reserve-max-tokens";
			max = 10000000;
			break;
		case OPT_LEASE_WAIT:
			name = "--lease-wait-ms";
			max = 60000;
			break;
		case OPT_CLUSTER_WORKERS:
			name = "--cluster-workers";
			max = 65536;
			break;
		case OPT_HEADER_TIMEOUT:
			name = "--header-timeout-ms";
			max = 3600000;
			break;
		case OPT_BODY_TIMEOUT:
			name = "--body-timeout-ms";
			max = 3600000;
			break;
		case OPT_PER_IP:
			name = "--max-conns-per-ip";
			min = 0;
			max = 1000000;
			break;
		case OPT_MAX_ATTEMPTS:
			name = "--max-attempts";
			max = 64;
			break;
		case OPT_ATTEMPT_BUDGET:
			name = "--attempt-budget-ms";
			min = 0;
			max = 3600000;
			break;
		case OPT_RETRY_AFTER_MAX:
			name = "--retry-after-max-ms";
			min = 0;
			max = 60000;
			break;
		case OPT_MALFORMED_RUN:
			name = "--malformed-run-max";
			max = 1000;
			break;
		case OPT_SPOOL_SYNC:
			name = "--spool-sync-ms";
			min = 0;
			max = 60000;
			break;
		case OPT_USAGE_MEMORY:
			name = "--usage-memory-max";
			min = 0;
			max = 10000000;
			break;
		default:
			fputs(usage_text, stderr);
			return SY_EINVAL;
		}
		if (!sy_parse_num(optarg, min, max, &v)) {
			fprintf(stderr, "%s: want an integer from %lld to %lld, got '%s'\n", name,
			        min, max, optarg);
			return SY_EINVAL;
		}
		switch (c) {
		case OPT_WORKERS:
			cfg->workers = (int)v;
			break;
		case OPT_BODY:
			cfg->max_body = (size_t)v * 1024;
			break;
		case OPT_DRAIN:
			cfg->drain_ms = v;
			break;
		case OPT_CONNECT:
			cfg->connect_timeout_ms = (uint32_t)v;
			break;
		case OPT_FIRST_BYTE:
			cfg->first_byte_timeout_ms = (uint32_t)v;
			break;
		case OPT_ANSWER:
			cfg->answer_timeout_ms = (uint32_t)v;
			break;
		case OPT_IDLE:
			cfg->idle_timeout_ms = (uint32_t)v;
			break;
		case OPT_TOTAL:
			cfg->total_timeout_ms = (uint32_t)v;
			break;
		case OPT_COMMENT:
			cfg->processing_comment_ms = (uint32_t)v;
			break;
		case OPT_RESERVE:
			cfg->reserve_max_tokens = (uint32_t)v;
			break;
		case OPT_LEASE_WAIT:
			cfg->lease_wait_ms = (uint32_t)v;
			break;
		case OPT_CLUSTER_WORKERS:
			cfg->cluster_workers = (int)v;
			break;
		case OPT_HEADER_TIMEOUT:
			cfg->header_timeout_ms = (uint32_t)v;
			break;
		case OPT_BODY_TIMEOUT:
			cfg->body_timeout_ms = (uint32_t)v;
			break;
		case OPT_PER_IP:
			cfg->max_conns_per_ip = (uint32_t)v;
			break;
		case OPT_MAX_ATTEMPTS:
			cfg->max_attempts = (uint32_t)v;
			break;
		case OPT_ATTEMPT_BUDGET:
			cfg->attempt_budget_ms = (uint32_t)v;
			break;
		case OPT_RETRY_AFTER_MAX:
			cfg->retry_after_max_ms = (uint32_t)v;
			break;
		case OPT_MALFORMED_RUN:
			cfg->malformed_run_max = (uint32_t)v;
			break;
		case OPT_USAGE_MEMORY:
			cfg->usage_memory_max = (uint32_t)v;
			break;
		case OPT_SPOOL_SYNC:
			cfg->spool_sync_ms = (uint32_t)v;
			break;
		}
	}
	struct sockaddr_storage ss;
	bool v6;
	if (dp_http_parse_listen(cfg->listen, &ss, &v6)) {
		fprintf(stderr, "--listen: want HOST:PORT, got '%s'\n", cfg->listen);
		return SY_EINVAL;
	}
	if (cfg->metrics_listen && dp_http_parse_listen(cfg->metrics_listen, &ss, &v6)) {
		fprintf(stderr, "--metrics-listen: want HOST:PORT, got '%s'\n",
		        cfg->metrics_listen);
		return SY_EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n%s", argv[optind], usage_text);
		return SY_EINVAL;
	}
	/* --controlplane fills in the endpoints not given one by one */
	if (cp_host) {
		for (int i = 0; i < 3; i++)
			snprintf(cp_eps[i], sizeof(cp_eps[i]), "tcp://%s:%d", cp_host, 5555 + i);
		cfg->zmq_snapshot = cp_eps[0];
		cfg->zmq_publish = cp_eps[1];
		cfg->zmq_usage = cp_eps[2];
	}
	if (!curve_secret != !curve_server) {
		fprintf(stderr, "--curve-secret-file and --curve-server-key go together\n");
		return SY_EINVAL;
	}
	if (curve_secret && sy_curve_load(&curve, curve_secret, curve_server, &why)) {
		fprintf(stderr, "--curve-secret-file %s / --curve-server-key %s: %s\n",
		        curve_secret, curve_server, why);
		return SY_EINVAL;
	}
	cfg->curve = curve.set ? &curve : NULL;
	if (snap)
		cfg->zmq_snapshot = snap;
	if (pub)
		cfg->zmq_publish = pub;
	if (usage)
		cfg->zmq_usage = usage;
	/* whoever answers on a plaintext link beyond this host could feed this dataplane a
	 * state of its choosing and read the usage it sends */
	const char *eps[] = {cfg->zmq_snapshot, cfg->zmq_publish, cfg->zmq_usage};
	for (int i = 0; i < 3 && !cfg->curve; i++)
		if (!sy_zendpoint_local(eps[i])) {
			fprintf(
			    stderr,
			    "controlplane endpoint %s reaches beyond this host: without CURVE the "
			    "link is neither encrypted nor authenticated. Set --curve-secret-file "
			    "and --curve-server-key (keys: switchyard-controlplane --gen-keys "
			    "DIR)\n",
			    eps[i]);
			return SY_EINVAL;
		}
	return 0;
}

/* ---- worker ----------------------------------------------------------------------------------- */

static int money_send(void *usage, const Sy__Envelope *env)
{
	return dp_usage_send(usage, env);
}

/* Return the credit leases and stop routing lease grants to the money state. */
static void money_stop(struct dp_worker *w)
{
	if (w->usage)
		dp_usage_on_message(w->usage, NULL, NULL);
	dp_money_free(&w->money);
}

struct shutdown {
	struct dp_worker *w;
	int64_t deadline; /* drain deadline (monotonic ms) */
	bool http_closed;
};

static void shutdown_poll(struct dp_loop *loop, void *arg)
{
	struct shutdown *sd = arg;
	struct dp_worker *w = sd->w;
	int64_t now = sy_mono_ms();
	if (!sd->http_closed) {
		if (dp_http_active(w->http) && now < sd->deadline) {
			dp_timer_add(loop, DRAIN_POLL_MS, shutdown_poll, sd);
			return;
		}
		if (dp_http_active(w->http))
			sy_warn("drain deadline reached with %u requests in progress: ending them",
			        dp_http_active(w->http));
		dp_http_free(&w->http); /* every chat left settles now */
		money_stop(w);          /* and the credit leases go back */
		sd->http_closed = true;
		if (sd->deadline < now + FLUSH_MIN_MS)
			sd->deadline = now + FLUSH_MIN_MS;
	}
	if (dp_usage_pending(w->usage) && now < sd->deadline) {
		dp_timer_add(loop, DRAIN_POLL_MS, shutdown_poll, sd);
		return;
	}
	if (dp_usage_pending(w->usage))
		sy_warn("%zu usage records unacknowledged: kept in the spool for the next start",
		        dp_usage_pending(w->usage));
	dp_loop_stop(loop);
}

static void on_signal(struct dp_loop *loop, int fd, uint32_t events, void *arg)
{
	struct shutdown *sd = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (sd->w->draining)
			continue;
		sd->w->draining = true;
		sd->deadline = sy_mono_ms() + sd->w->cfg->drain_ms;
		sy_info("signal %u: draining (up to %lld ms)", si.ssi_signo,
		        (long long)sd->w->cfg->drain_ms);
		dp_http_quiesce(sd->w->http);
		shutdown_poll(loop, sd);
	}
}

static int worker_main(const struct dp_config *cfg, int id)
{
	char tag[16];
	snprintf(tag, sizeof(tag), "dp/%d", id);
	sy_log_set_tag(tag);
	dp_metrics_attach(id);
	int rc = 1, sfd = -1;
	struct dp_worker w = {.id = id, .cfg = cfg};
	struct shutdown sd = {.w = &w};
	sigset_t set;
	sy_block_term_signals(&set);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		sy_err("libcurl initialisation failed");
		return 1;
	}
	w.loop = dp_loop_new();
	w.zctx = zmq_ctx_new();
	if (!w.loop || !w.zctx)
		goto out;
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || dp_loop_add_fd(w.loop, sfd, EPOLLIN, on_signal, &sd))
		goto out;
	w.usage = dp_usage_new(w.loop, w.zctx, cfg->zmq_usage, cfg->curve, cfg->spool_dir, id);
	if (!w.usage)
		goto out;
	dp_usage_configure(w.usage, !cfg->no_spool_fsync, cfg->spool_sync_ms,
	                   cfg->usage_memory_max);
	char mtag[16];
	snprintf(mtag, sizeof(mtag), "w%d", id);
	struct dp_money_config mcfg = {
	    .send = money_send,
	    .send_arg = w.usage,
	    .cluster_workers = cfg->cluster_workers ? cfg->cluster_workers : cfg->workers,
	    .lease_wait_ms = cfg->lease_wait_ms,
	    .worker_tag = mtag,
	};
	if (!(w.money = dp_money_new(w.loop, &mcfg)))
		goto out;
	dp_usage_on_message(w.usage, dp_money_on_message, w.money);
	w.sync = dp_sync_new(&w);
	if (!w.sync)
		goto out;
	w.http = dp_http_new(&w, cfg->listen, false);
	if (!w.http)
		goto out;
	if (cfg->metrics_listen && !(w.metrics_http = dp_http_new(&w, cfg->metrics_listen, true)))
		goto out;
	dp_metrics_watch(&w);
	sy_info("worker up: listening on %s, controlplane %s %s %s (CURVE %s)", cfg->listen,
	        cfg->zmq_snapshot, cfg->zmq_publish, cfg->zmq_usage, cfg->curve ? "on" : "off");
	rc = dp_loop_run(w.loop) ? 1 : 0;
	if (rc)
		sy_err("event loop failed: %s", strerror(errno));
out:
	dp_http_free(&w.metrics_http);
	dp_http_free(&w.http);
	/* dp_chat creates these on first use; nothing may use them once MHD is stopped */
	struct dp_upstream *up = w.upstream;
	dp_upstream_free(&up);
	w.upstream = NULL;
	dp_health_free(&w.health);
	dp_sync_free(&w.sync);
	money_stop(&w); /* unused credit leases go back before the channel closes */
	dp_usage_free(&w.usage);
	dp_view_unref(&w.view);
	if (sfd >= 0) {
		if (w.loop)
			dp_loop_del_fd(w.loop, sfd);
		close(sfd);
	}
	if (w.zctx)
		zmq_ctx_term(w.zctx);
	dp_loop_free(&w.loop);
	curl_global_cleanup();
	sy_info("worker exiting (%d)", rc);
	return rc;
}

/* ---- supervisor --------------------------------------------------------------------------------- */

struct child {
	pid_t pid;          /* 0 = not running */
	int64_t started;    /* monotonic ms of the last fork */
	int64_t restart_at; /* monotonic ms when a replacement is due (0 = none) */
	int quick_deaths;   /* consecutive deaths within QUICK_DEATH_MS of starting */
};

static pid_t spawn(const struct dp_config *cfg, int id, const sigset_t *parent_mask)
{
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, parent_mask, NULL);
		exit(worker_main(cfg, id)); /* exit, not _exit: leak checkers run at exit */
	}
	if (pid < 0)
		sy_err("fork worker %d: %s", id, strerror(errno));
	return pid;
}

static int supervise(const struct dp_config *cfg)
{
	struct child kids[MAX_WORKERS] = {{0}};
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	sy_log_set_tag("dp");
	sy_info("starting %d workers on %s", cfg->workers, cfg->listen);
	for (int i = 0; i < cfg->workers; i++) {
		kids[i].pid = spawn(cfg, i, &old);
		kids[i].started = sy_mono_ms();
	}

	bool stopping = false;
	int failures = 0, running = 0;
	int64_t kill_at = 0;
	for (;;) {
		running = 0;
		for (int i = 0; i < cfg->workers; i++)
			running += kids[i].pid > 0;
		if (stopping && !running)
			break;
		struct timespec ts = {0, 100 * 1000 * 1000};
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &ts);
		int64_t now = sy_mono_ms();
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping)
				sy_info("signal %d: stopping %d workers", sig, running);
			stopping = true;
			/* workers drain, flush, then exit; SIGKILL only well past their deadline */
			kill_at = now + cfg->drain_ms + 10000;
			for (int i = 0; i < cfg->workers; i++)
				if (kids[i].pid > 0)
					kill(kids[i].pid, SIGTERM);
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < cfg->workers; i++) {
				if (kids[i].pid != pid)
					continue;
				kids[i].pid = 0;
				bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
				if (stopping) {
					/* the exit status reports the shutdown, not past restarts */
					failures += !clean;
					if (!clean)
						sy_warn("worker %d exited with status %d", i,
						        status);
					break;
				}
				sy_warn("worker %d (pid %d) died unexpectedly (%s %d): restarting",
				        i, (int)pid, WIFSIGNALED(status) ? "signal" : "status",
				        WIFSIGNALED(status) ? WTERMSIG(status)
				                            : WEXITSTATUS(status));
				kids[i].quick_deaths = now - kids[i].started < QUICK_DEATH_MS
				                           ? kids[i].quick_deaths + 1
				                           : 0;
				kids[i].restart_at = now + RESTART_DELAY_MS;
				if (kids[i].quick_deaths >= QUICK_DEATHS_MAX) {
					sy_err("worker %d keeps failing at start: giving up", i);
					failures++;
					stopping = true;
					kill_at = now + cfg->drain_ms + 10000;
					for (int k = 0; k < cfg->workers; k++)
						if (kids[k].pid > 0)
							kill(kids[k].pid, SIGTERM);
				}
			}
		}
		for (int i = 0; i < cfg->workers && !stopping; i++) {
			if (!kids[i].pid && kids[i].restart_at && now >= kids[i].restart_at) {
				kids[i].restart_at = 0;
				kids[i].pid = spawn(cfg, i, &old);
				kids[i].started = now;
			}
		}
		if (stopping && now >= kill_at) {
			for (int i = 0; i < cfg->workers; i++) {
				if (kids[i].pid > 0) {
					sy_err("worker %d did not stop: killing it", i);
					kill(kids[i].pid, SIGKILL);
				}
			}
			kill_at = now + 1000;
		}
	}
	sy_info("all workers stopped");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct dp_config cfg = {
	    .listen = "0.0.0.0:8080",
	    .zmq_snapshot = "tcp://127.0.0.1:5555",
	    .zmq_publish = "tcp://127.0.0.1:5556",
	    .zmq_usage = "tcp://127.0.0.1:5557",
	    .spool_dir = "./switchyard-spool",
	    .workers = cores > 0 ? (int)(cores > MAX_WORKERS ? MAX_WORKERS : cores) : 1,
	    .max_body = 1024 * 1024,
	    .drain_ms = 10000,
	    .connect_timeout_ms = 5000,
	    .first_byte_timeout_ms = 15000,
	    .answer_timeout_ms = 120000,
	    .idle_timeout_ms = 15000,
	    .total_timeout_ms = 600000,
	    .processing_comment_ms = 5000,
	    .reserve_max_tokens = 4096,
	    .lease_wait_ms = 2000,
	    .header_timeout_ms = 10000,
	    .body_timeout_ms = 60000,
	    .max_conns_per_ip = 256,
	    .max_attempts = 10,
	    .attempt_budget_ms = 45000,
	    .retry_after_max_ms = 2000,
	    .malformed_run_max = 3,
	    .usage_memory_max = 10000,
	    .spool_sync_ms = 100,
	};
	bool check = false;
	if (parse_args(argc, argv, &cfg, &check))
		return 2;
	if (check) {
		printf("listen %s\nzmq-snapshot %s\nzmq-publish %s\nzmq-usage %s\nworkers %d\n"
		       "spool-dir %s\nmax-body %zu\ndrain-ms %lld\ntimeouts-ms connect %u "
		       "first-byte %u answer %u idle %u total %u\n",
		       cfg.listen, cfg.zmq_snapshot, cfg.zmq_publish, cfg.zmq_usage, cfg.workers,
		       cfg.spool_dir, cfg.max_body, (long long)cfg.drain_ms, cfg.connect_timeout_ms,
		       cfg.first_byte_timeout_ms, cfg.answer_timeout_ms, cfg.idle_timeout_ms,
		       cfg.total_timeout_ms);
		printf("attempts max %u budget-ms %u retry-after-max-ms %u malformed-run-max %u\n",
		       cfg.max_attempts, cfg.attempt_budget_ms, cfg.retry_after_max_ms,
		       cfg.malformed_run_max);
		printf("usage-memory-max %u spool-fsync %s spool-sync-ms %u\n",
		       cfg.usage_memory_max, cfg.no_spool_fsync ? "off" : "on", cfg.spool_sync_ms);
		printf("curve %s%s\n", cfg.curve ? "on, public key " : "off",
		       cfg.curve ? cfg.curve->public_key : "");
		printf("trusted-proxies %zu\n", cfg.n_trusted_proxies);
		return 0;
	}
	sy_proc_protect_secrets(cfg.allow_core_dumps);
	if (sy_crypto_init()) {
		fprintf(stderr, "libsodium initialisation failed\n");
		return 1;
	}
	/* shared by the workers, so GET /metrics on any of them sums them all */
	if (dp_metrics_init(cfg.workers)) {
		fprintf(stderr, "cannot map the metrics region\n");
		return 1;
	}
	/* one descriptor per connection: take what the hard limit allows */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return supervise(&cfg);
}
