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
#include "dp_cors.h"
#include "dp_http.h"
#include "dp_link.h"
#include "dp_loop.h"
#include "dp_money.h"
#include "dp_ratelease.h"
#include "dp_metrics.h"
#include "dp_sync.h"
#include "dp_usage.h"
#include "dp_worker.h"
#include "sy_cidr.h"
#include "sy_clock.h"
#include "sy_curve.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_version.h"
#include "sy_msg.h"
#include "sy_opt.h"
#include "sy_proc.h"

#include <curl/curl.h>
#include <errno.h>
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

#define MAX_WORKERS 256
#define TRUSTED_MAX 64 /* --trusted-proxies entries */
#define DRAIN_POLL_MS 20
#define FLUSH_MIN_MS 1000     /* usage acks get at least this long after the drain */
#define RESTART_DELAY_MS 1000 /* between a worker's death and its replacement */
#define QUICK_DEATH_MS 3000   /* a worker dying this soon after its start ... */
#define QUICK_DEATHS_MAX 5    /* ... this many times in a row cannot start: give up */

/* ---- options -------------------------------------------------------------------------------- */

/* The defaults --controlplane replaces when an endpoint was not given one by one. */
static const char DEFAULT_SNAPSHOT[] = "tcp://127.0.0.1:5555";
static const char DEFAULT_PUBLISH[] = "tcp://127.0.0.1:5556";
static const char DEFAULT_USAGE[] = "tcp://127.0.0.1:5557";

/* What the command line sets: the workers' configuration and what only start-up reads. */
struct dp_args {
	struct dp_config cfg;
	const char *cp_host;      /* --controlplane */
	const char *curve_secret; /* --curve-secret-file */
	const char *curve_server; /* --curve-server-key */
	const char *trusted;      /* --trusted-proxies, parsed into cfg */
	const char *log_level;
	bool check; /* -n */
};

/* --trusted-proxies: a comma-separated list of addresses and CIDR ranges. */
static int parse_trusted(const struct sy_opt *o, const char *arg, void *settings)
{
	static struct sy_cidr trusted[TRUSTED_MAX];
	struct dp_config *cfg = &((struct dp_args *)settings)->cfg;
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

#define A struct dp_args
static const struct sy_opt options[] = {
    SY_OPT_STR("listen", A, cfg.listen, "0.0.0.0:8080", "HOST:PORT", "public API address"),
    SY_OPT_STR("metrics-listen", A, cfg.metrics_listen, NULL, "HOST:PORT",
               "serve GET /metrics (Prometheus) here, never on the\npublic port (default: "
               "not served)"),
    SY_OPT_STR("controlplane", A, cp_host, NULL, "HOST",
               "shorthand for tcp://HOST:5555/5556/5557 below"),
    SY_OPT_STR("zmq-snapshot", A, cfg.zmq_snapshot, DEFAULT_SNAPSHOT, "ENDPOINT",
               "controlplane snapshot ROUTER"),
    SY_OPT_STR("zmq-publish", A, cfg.zmq_publish, DEFAULT_PUBLISH, "ENDPOINT",
               "controlplane update PUB"),
    SY_OPT_STR("zmq-usage", A, cfg.zmq_usage, DEFAULT_USAGE, "ENDPOINT",
               "controlplane usage ROUTER"),
    SY_OPT_STR("curve-secret-file", A, curve_secret, NULL, "FILE",
               "this dataplane's CURVE secret key (Z85; from\nswitchyard-controlplane "
               "--gen-keys)"),
    SY_OPT_STR("curve-server-key", A, curve_server, NULL, "FILE",
               "the controlplane's CURVE public key: with both, the\nZeroMQ links are "
               "encrypted and only that controlplane\nis trusted"),
    SY_OPT_INT_COMPUTED("workers", A, cfg.workers, "number of cores", 1, MAX_WORKERS,
                        "worker processes"),
    SY_OPT_STR("spool-dir", A, cfg.spool_dir, "./switchyard-spool", "DIR", "durable usage spool"),
    SY_OPT_INT_SCALED("max-body-kb", A, cfg.max_body, 1024, 1, 1024 * 1024, 1024,
                      "request body cap, 413 beyond"),
    SY_OPT_INT("drain-ms", A, cfg.drain_ms, 10000, 0, INT32_MAX,
               "on SIGTERM, time for in-flight requests"),
    SY_OPT_INT("connect-timeout-ms", A, cfg.connect_timeout_ms, 5000, 1, INT32_MAX,
               "upstream connect deadline"),
    SY_OPT_INT("first-byte-timeout-ms", A, cfg.first_byte_timeout_ms, 15000, 1, INT32_MAX,
               "streamed answer: first byte deadline"),
    SY_OPT_INT("answer-timeout-ms", A, cfg.answer_timeout_ms, 120000, 1, INT32_MAX,
               "non-streamed answer, which arrives whole: first byte\ndeadline"),
    SY_OPT_INT("idle-timeout-ms", A, cfg.idle_timeout_ms, 15000, 1, INT32_MAX,
               "upstream gap between bytes"),
    SY_OPT_INT("total-timeout-ms", A, cfg.total_timeout_ms, 600000, 1, INT32_MAX,
               "upstream whole-call deadline"),
    SY_OPT_STR("upstream-proxy", A, cfg.upstream_proxy, NULL, "URL",
               "send upstream calls through this proxy (http_proxy and\nhttps_proxy in the "
               "environment are ignored)"),
    SY_OPT_STR("cors-origin", A, cfg.cors_origin, "*", "ORIGIN",
               "Access-Control-Allow-Origin of every public answer\n(OPTIONS preflights "
               "answered 204 without a key); one\norigin, or none for no CORS headers; the "
               "admin API\nnever sends them"),
    SY_OPT_INT("header-timeout-ms", A, cfg.header_timeout_ms, 10000, 1, 3600000,
               "a client's request headers must be complete within\nthis (then 408 and "
               "close)"),
    SY_OPT_INT("body-timeout-ms", A, cfg.body_timeout_ms, 60000, 1, 3600000,
               "a client's request body must be complete within this"),
    SY_OPT_INT("max-conns-per-ip", A, cfg.max_conns_per_ip, 256, 0, 1000000,
               "connections one client address may hold per worker\n(0 = no limit, e.g. "
               "behind a proxy)"),
    SY_OPT_BOOL("one-request-per-connection", A, cfg.one_request,
                "close each client connection after its answer, so every\nrequest's header "
                "block passes the raw-bytes check (off\nby default: keep-alive; "
                "docs/security.md)"),
    SY_OPT_INT("max-conns", A, cfg.max_conns, 0, 0, 1000000,
               "client connections per worker (0 = half the descriptor\nlimit: each may "
               "hold an upstream one too)"),
    SY_OPT_BOOL("allow-core-dumps", A, cfg.allow_core_dumps,
                "let workers dump core (core files hold API and\nprovider keys; off by "
                "default)"),
    SY_OPT_BOOL("heal-json", A, cfg.heal_json,
                "heal the answers of requests with response_format\njson_object or "
                "json_schema (docs/healing.md; off by\ndefault; plugins: response-healing "
                "asks per request)"),
    SY_OPT_INT("processing-comment-ms", A, cfg.processing_comment_ms, 5000, 1, INT32_MAX,
               "': OPENROUTER PROCESSING' interval"),
    SY_OPT_INT("max-attempts", A, cfg.max_attempts, 10, 1, 64,
               "upstream attempts per request, retries and fallbacks\nincluded"),
    SY_OPT_INT("attempt-budget-ms", A, cfg.attempt_budget_ms, 45000, 0, 3600000,
               "no new upstream attempt starts this long after the\nrequest arrived (0 = no "
               "limit)"),
    SY_OPT_INT("retry-after-max-ms", A, cfg.retry_after_max_ms, 2000, 0, 60000,
               "longest upstream Retry-After waited for to retry the\nsame endpoint (0 = never "
               "wait)"),
    SY_OPT_INT("usage-memory-max", A, cfg.usage_memory_max, 10000, 0, 10000000,
               "unacknowledged usage records held in memory per worker;\nthe rest wait in the "
               "spool (0 = no cap)"),
    SY_OPT_INT("spool-sync-ms", A, cfg.spool_sync_ms, 100, 0, 60000,
               "fdatasync the usage spool within this of a write (one\nsync for everything "
               "written meanwhile; 0 = after every\nloop iteration)"),
    SY_OPT_BOOL("no-spool-fsync", A, cfg.no_spool_fsync,
                "never fdatasync the usage spool (a power loss may\nthen lose records; a killed "
                "worker loses none)"),
    SY_OPT_INT("malformed-run-max", A, cfg.malformed_run_max, 3, 1, 1000,
               "unparsable stream events in a row that end a stream\n(fewer are skipped)"),
    SY_OPT_INT("reserve-max-tokens", A, cfg.reserve_max_tokens, 4096, 1, 10000000,
               "completion tokens a request reserves credits for at most\n(and when it sets "
               "no max_tokens)"),
    SY_OPT_INT("lease-wait-ms", A, cfg.lease_wait_ms, 2000, 1, 60000,
               "how long a request may wait for credits"),
    SY_OPT_INT_COMPUTED("cluster-workers", A, cfg.cluster_workers, "--workers", 1, 65536,
                        "workers across all dataplanes sharing the rate limits;\neach allows "
                        "ceil(limit / N)"),
    SY_OPT_STR_HOOK("trusted-proxies", A, trusted, NULL, "CIDR,...", parse_trusted,
                    "load balancers whose X-Forwarded-For names the client\n(for keys' "
                    "allowed_ips; default: none, the socket peer)"),
    SY_OPT_LOG_LEVEL(A, log_level),
    SY_OPT_CHECK(A, check),
};
#undef A

static const struct sy_opt_table option_table = SY_OPT_TABLE(
    "switchyard-dataplane",
    "The public OpenRouter-compatible API: N worker processes sharing one port.\n", NULL, options);

/* Parse and check the command line: 0, SY_OPT_EXIT, or SY_EINVAL with the reason printed. */
static int parse_args(int argc, char **argv, struct dp_args *a)
{
	static char cp_eps[3][300];
	static struct sy_curve curve; /* lives as long as the process: workers inherit it */
	struct dp_config *cfg = &a->cfg;
	const char *why = NULL;
	int operand;
	int rc = sy_opt_parse(&option_table, argc, argv, a, &operand);
	if (rc)
		return rc;
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
	if (operand < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[operand]);
		sy_opt_help(&option_table, stderr);
		return SY_EINVAL;
	}
	/* --controlplane fills in the endpoints not given one by one (still the defaults) */
	if (a->cp_host) {
		const char **eps[] = {&cfg->zmq_snapshot, &cfg->zmq_publish, &cfg->zmq_usage};
		const char *dflt[] = {DEFAULT_SNAPSHOT, DEFAULT_PUBLISH, DEFAULT_USAGE};
		for (int i = 0; i < 3; i++) {
			snprintf(cp_eps[i], sizeof(cp_eps[i]), "tcp://%s:%d", a->cp_host, 5555 + i);
			if (*eps[i] == dflt[i])
				*eps[i] = cp_eps[i];
		}
	}
	if (!a->curve_secret != !a->curve_server) {
		fprintf(stderr, "--curve-secret-file and --curve-server-key go together\n");
		return SY_EINVAL;
	}
	if (a->curve_secret && sy_curve_load(&curve, a->curve_secret, a->curve_server, &why)) {
		fprintf(stderr, "--curve-secret-file %s / --curve-server-key %s: %s\n",
		        a->curve_secret, a->curve_server, why);
		return SY_EINVAL;
	}
	cfg->curve = curve.set ? &curve : NULL;
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

/* Rate tokens (dp_ratelease): asks go out on the controlplane link, grants come back on it. */
static int rates_start(struct dp_worker *w, int cluster_workers)
{
	struct dp_link *link = dp_usage_link(w->usage);
	struct dp_ratelease_config rcfg = {
	    .send = dp_link_post,
	    .send_arg = link,
	    .cluster_workers = cluster_workers,
	};
	if (!(w->rates = dp_ratelease_new(w->loop, &rcfg)))
		return -ENOMEM;
	return dp_link_on(link, SY__ENVELOPE__BODY_RATELEASE_GRANT, dp_ratelease_on_message,
	                  w->rates);
}

/* Unused rate tokens go back; grants stop reaching them. */
static void rates_stop(struct dp_worker *w)
{
	if (w->rates && w->usage)
		dp_link_on(dp_usage_link(w->usage), SY__ENVELOPE__BODY_RATELEASE_GRANT, NULL, NULL);
	dp_ratelease_free(&w->rates);
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
		rates_stop(w);
		dp_money_free(&w->money); /* and the credit leases go back */
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
	struct dp_worker w = {0};
	struct shutdown sd = {.w = &w};
	sigset_t set;
	sy_block_term_signals(&set);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		sy_err("libcurl initialisation failed");
		return 1;
	}
	if (dp_worker_open(&w, id, cfg))
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
	    .link = dp_usage_link(w.usage),
	    .cluster_workers = cfg->cluster_workers ? cfg->cluster_workers : cfg->workers,
	    .lease_wait_ms = cfg->lease_wait_ms,
	    .worker_tag = mtag,
	};
	if (!(w.money = dp_money_new(w.loop, &mcfg)))
		goto out;
	if (rates_start(&w, mcfg.cluster_workers))
		goto out;
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
	dp_sync_free(&w.sync);
	rates_stop(&w);
	dp_money_free(&w.money); /* unused credit leases go back before the link closes */
	dp_usage_free(&w.usage);
	if (sfd >= 0) {
		if (w.loop)
			dp_loop_del_fd(w.loop, sfd);
		close(sfd);
	}
	dp_worker_close(&w);
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
	static struct dp_args a; /* the workers keep pointing into it */
	sy_opt_defaults(&option_table, &a);
	a.cfg.workers = cores > 0 ? (int)(cores > MAX_WORKERS ? MAX_WORKERS : cores) : 1;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == SY_OPT_EXIT ? 0 : 2;
	struct dp_config cfg = a.cfg;
	if (a.check) {
		sy_opt_print(&option_table, &a, stdout);
		printf("curve %s%s\n", cfg.curve ? "on, public key " : "off",
		       cfg.curve ? cfg.curve->public_key : "");
		return 0;
	}
	sy_proc_protect_secrets(cfg.allow_core_dumps);
	dp_cors_init(cfg.cors_origin);
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
	/* a client connection and its upstream one, and some for the rest */
	rlim_t need = (rlim_t)cfg.max_conns * 2 + 256;
	if (cfg.max_conns && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need)
		sy_warn("--max-conns %u needs %llu descriptors, the limit is %llu: raise the hard "
		        "limit (LimitNOFILE=, ulimit -Hn)",
		        cfg.max_conns, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	return supervise(&cfg);
}
