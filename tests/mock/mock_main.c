/* mock_main.c - switchyard-mock: a fake OpenAI-compatible LLM provider for tests and demos. */
#include "mock_http.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_version.h"
#include "sy_proc.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fputs("usage: switchyard-mock [options]\n"
	      "A fake OpenAI-compatible LLM provider with scripted latency, token rate, usage\n"
	      "and faults (see docs/mock.md).\n\n"
	      "  --listen HOST:PORT   address to serve on (default 127.0.0.1:9100)\n"
	      "  --latency-ms N       delay before a non-streaming answer (default 0)\n"
	      "  --ttft-ms N          delay before the first streamed token (default 0)\n"
	      "  --tps N              streamed tokens per second, 0 = unpaced (default 0)\n"
	      "  --tokens N           completion tokens per answer (default 16)\n"
	      "  --threads N          HTTP worker threads (default: CPUs, at most 4)\n"
	      "  --log-level LEVEL    error|warn|info|debug (default info)\n"
	      "  --help               this text\n"
	      "  --version            print the version and git revision\n\n"
	      "Per request, the model id NAME@opt=val,... or X-Mock-<opt> headers set latency,\n"
	      "ttft, tps, tokens, fault, usage, reasoning and key.\n",
	      f);
}

/* Default worker threads: one per CPU, at most 4. */
static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"latency-ms", required_argument, NULL, 'L'},
	    {"ttft-ms", required_argument, NULL, 'T'},
	    {"tps", required_argument, NULL, 'p'},
	    {"tokens", required_argument, NULL, 'n'},
	    {"threads", required_argument, NULL, 't'},
	    {"log-level", required_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct mock_config cfg = {.threads = default_threads()};
	const char *listen = "127.0.0.1:9100";
	char err[160];
	int c, rc = 0;
	mock_opts_init(&cfg.defaults);
	sy_log_set_tag("mock");
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'L':
			rc = mock_opts_set(&cfg.defaults, "latency", optarg, err, sizeof(err));
			break;
		case 'T':
			rc = mock_opts_set(&cfg.defaults, "ttft", optarg, err, sizeof(err));
			cfg.defaults.ttft_set = false; /* slow-first-token keeps its own default */
			break;
		case 'p':
			rc = mock_opts_set(&cfg.defaults, "tps", optarg, err, sizeof(err));
			break;
		case 'n':
			rc = mock_opts_set(&cfg.defaults, "tokens", optarg, err, sizeof(err));
			break;
		case 't': {
			long long n;
			if (!sy_parse_num(optarg, 1, 64, &n)) {
				snprintf(err, sizeof(err), "--threads must be 1..64");
				rc = SY_EINVAL;
				break;
			}
			cfg.threads = (unsigned)n;
			break;
		}
		case 'v':
			rc = sy_log_set_level_name(optarg);
			if (rc)
				snprintf(err, sizeof(err),
				         "--log-level must be error|warn|info|debug");
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			sy_version_print(stdout, "switchyard-mock");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (rc) {
			fprintf(stderr, "switchyard-mock: %s\n", err);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "switchyard-mock: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (mock_listen_parse(listen, &cfg.listen)) {
		fprintf(stderr, "switchyard-mock: --listen wants IPV4:PORT, got '%s'\n", listen);
		return 2;
	}
	if (sy_crypto_init()) {
		fprintf(stderr, "switchyard-mock: libsodium failed to initialise\n");
		return 1;
	}

	/* Signals go to sigwait below, not to the server's threads. */
	sigset_t sigs;
	sy_block_term_signals(&sigs);

	struct mock_server *srv = mock_server_new(&cfg);
	if (!srv)
		return 1;
	sy_info("listening on %s:%u threads=%u tokens=%d", inet_ntoa(cfg.listen.sin_addr),
	        mock_server_port(srv), cfg.threads, cfg.defaults.tokens);
	int sig = 0;
	sigwait(&sigs, &sig);
	sy_info("signal %d: shutting down", sig);
	mock_server_free(&srv);
	return 0;
}
