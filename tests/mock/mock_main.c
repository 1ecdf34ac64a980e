/* mock_main.c - switchyard-mock: a fake OpenAI-compatible LLM provider for tests and demos. */
#include "mock_http.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_opt.h"
#include "sy_version.h"
#include "sy_proc.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Default worker threads: one per CPU, at most 4. */
static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
}

/* What the command line sets. */
struct mock_args {
	struct mock_config cfg;
	const char *listen; /* parsed into cfg.listen */
	const char *log_level;
	bool check; /* -n */
};

#define A struct mock_args
static const struct sy_opt options[] = {
    SY_OPT_STR("listen", A, listen, "127.0.0.1:9100", "HOST:PORT", "address to serve on"),
    SY_OPT_INT("latency-ms", A, cfg.defaults.latency_ms, 0, 0, MOCK_MAX_DELAY_MS,
               "delay before a non-streaming answer"),
    SY_OPT_INT("ttft-ms", A, cfg.defaults.ttft_ms, 0, 0, MOCK_MAX_DELAY_MS,
               "delay before the first streamed token"),
    SY_OPT_INT("tps", A, cfg.defaults.tps, 0, 0, MOCK_MAX_TPS,
               "streamed tokens per second, 0 = unpaced"),
    SY_OPT_INT("tokens", A, cfg.defaults.tokens, MOCK_DEFAULT_TOKENS, 0, MOCK_MAX_TOKENS,
               "completion tokens per answer"),
    SY_OPT_INT_COMPUTED("threads", A, cfg.threads, "CPUs, at most 4", 1, 64, "HTTP worker threads"),
    SY_OPT_INT("max-conns", A, cfg.max_conns, 4096, 1, 1000000,
               "open connections at most (the descriptor limit is\nraised to fit)"),
    SY_OPT_LOG_LEVEL(A, log_level),
    SY_OPT_CHECK(A, check),
};
#undef A

static const struct sy_opt_table option_table =
    SY_OPT_TABLE("switchyard-mock",
                 "A fake OpenAI-compatible LLM provider with scripted latency, token rate, usage\n"
                 "and faults (see docs/mock.md).\n",
                 "Per request, the model id NAME@opt=val,... or X-Mock-<opt> headers set "
                 "latency,\nttft, tps, tokens, fault, usage, reasoning and key.\n",
                 options);

int main(int argc, char **argv)
{
	static struct mock_args a;
	struct mock_config *cfg = &a.cfg;
	int operand;
	mock_opts_init(&cfg->defaults);
	sy_opt_defaults(&option_table, &a);
	cfg->threads = default_threads();
	sy_log_set_tag("mock");
	int rc = sy_opt_parse(&option_table, argc, argv, &a, &operand);
	if (rc)
		return rc == SY_OPT_EXIT ? 0 : 2;
	if (operand < argc) {
		fprintf(stderr, "switchyard-mock: unexpected argument '%s'\n", argv[operand]);
		return 2;
	}
	if (mock_listen_parse(a.listen, &cfg->listen)) {
		fprintf(stderr, "switchyard-mock: --listen wants IPV4:PORT, got '%s'\n", a.listen);
		return 2;
	}
	if (a.check) {
		sy_opt_print(&option_table, &a, stdout);
		return 0;
	}
	if (sy_crypto_init()) {
		fprintf(stderr, "switchyard-mock: libsodium failed to initialise\n");
		return 1;
	}

	/* a descriptor per connection, and a few more */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)cfg->max_conns + 64) {
		rl.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)cfg->max_conns + 64
		        ? (rlim_t)cfg->max_conns + 64
		        : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* Signals go to sigwait below, not to the server's threads. */
	sigset_t sigs;
	sy_block_term_signals(&sigs);

	struct mock_server *srv = mock_server_new(cfg);
	if (!srv)
		return 1;
	sy_info("listening on %s:%u threads=%u tokens=%d", inet_ntoa(cfg->listen.sin_addr),
	        mock_server_port(srv), cfg->threads, cfg->defaults.tokens);
	int sig = 0;
	sigwait(&sigs, &sig);
	sy_info("signal %d: shutting down", sig);
	mock_server_free(&srv);
	return 0;
}
