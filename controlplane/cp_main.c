/* cp_main.c - switchyard-controlplane: flags, start-up checks and the one event loop.
 *
 * Single-threaded: one epoll set holds a signalfd, MHD's epoll fd and the ZeroMQ ROUTERs'
 * ZMQ_FDs; heartbeats run off the epoll timeout. No ZeroMQ socket is touched from two
 * threads. */
#include "cp_admin.h"
#include "cp_auth.h"
#include "cp_byok_fee.h"
#include "cp_catalog.h"
#include "cp_http.h"
#include "cp_audit.h"
#include "cp_byok_fee.h"
#include "cp_money.h"
#include "cp_stats.h"
#include "cp_store.h"
#include "cp_sync.h"
#include "cp_usage.h"
#include "cp_zap.h"
#include "sy_clock.h"
#include "sy_curve.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"
#include "sy_version.h"
#include "sy_msg.h"
#include "sy_opt.h"
#include "sy_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

struct opts {
	const char *data_dir;
	const char *admin_listen;
	const char *zmq_snapshot;
	const char *zmq_publish;
	const char *zmq_usage;
	const char *kek_file;
	const char *curve_secret;     /* our CURVE secret key file */
	const char *curve_authorized; /* the dataplane public keys allowed in */
	const char *gen_keys;         /* --gen-keys DIR: write keys and exit */
	const char *catalog;
	const char *log_level;
	size_t map_mb;
	size_t map_max_mb;       /* the map grows up to this (map_mb when smaller) */
	uint32_t retention_days; /* generations older than this are folded (0: kept) */
	uint32_t byok_fee_bp;    /* cp_byok_fee */
	uint32_t byok_free;
	uint32_t lease_ttl_ms;
	uint32_t publish_ms;
	uint32_t stats_ms;
	uint32_t header_ms; /* admin clients' request headers deadline */
	bool allow_core_dumps;
	bool check;
	bool audit;
	char **names; /* --gen-keys: the dataplanes to make keys for */
	int n_names;
};

#define O struct opts
static const struct sy_opt options[] = {
    SY_OPT_STR("data-dir", O, data_dir, "./switchyard-data", "DIR", "LMDB environment directory"),
    SY_OPT_STR("admin-listen", O, admin_listen, "127.0.0.1:8081", "H:P", "admin REST API address"),
    SY_OPT_STR("zmq-snapshot", O, zmq_snapshot, "tcp://127.0.0.1:5555", "EP",
               "snapshot ROUTER endpoint"),
    SY_OPT_STR("zmq-publish", O, zmq_publish, "tcp://127.0.0.1:5556", "EP", "update PUB endpoint"),
    SY_OPT_STR("zmq-usage", O, zmq_usage, "tcp://127.0.0.1:5557", "EP", "usage ROUTER endpoint"),
    SY_OPT_STR("kek-file", O, kek_file, NULL, "FILE",
               "key-encryption key for provider credentials (64 hex);\ndefault: "
               "$SWITCHYARD_KEK"),
    SY_OPT_STR("curve-secret-file", O, curve_secret, NULL, "FILE",
               "the controlplane's CURVE secret key (Z85): the ZeroMQ\nsockets encrypt and "
               "authenticate every connection"),
    SY_OPT_STR("curve-authorized", O, curve_authorized, NULL, "FILE",
               "dataplane CURVE public keys allowed to connect, one per\nline (re-read when "
               "it changes). Without these two flags\nthe ZeroMQ endpoints must be "
               "loopback, ipc:// or inproc://"),
    SY_OPT_STR("gen-keys", O, gen_keys, NULL, "DIR [NAME...]",
               "write DIR/controlplane.{key,pub} and NAME.{key,pub} per\ndataplane (default "
               "NAME: dataplane), list the dataplane\nkeys in DIR/authorized_keys, and exit; "
               "existing keys are kept"),
    SY_OPT_STR("catalog", O, catalog, NULL, "FILE",
               "import providers and models from FILE at start (upsert)"),
    SY_OPT_LOG_LEVEL(O, log_level),
    SY_OPT_INT("map-size-mb", O, map_mb, 1024, 1, 1024 * 1024, "LMDB map size in MiB at start"),
    SY_OPT_INT("map-max-mb", O, map_max_mb, 65536, 1, 1024 * 1024,
               "the map doubles when 3/4 full, up to this many MiB"),
    SY_OPT_INT("generation-retention-days", O, retention_days, 0, 0, 36500,
               "generations older than N days are folded into daily\naggregates (activity and "
               "reports stay exact; 0: kept\nforever)"),
    SY_OPT_INT("byok-fee-bp", O, byok_fee_bp, CP_BYOK_FEE_BP, 0, CP_BYOK_FEE_BP_MAX,
               "the BYOK fee in basis points of a BYOK generation's\nprovider price (500 = 5 %)"),
    SY_OPT_INT("byok-free-requests", O, byok_free, CP_BYOK_FREE_PER_MONTH, 0, UINT32_MAX,
               "BYOK requests per org and UTC month free of the fee"),
    SY_OPT_INT("lease-ttl-ms", O, lease_ttl_ms, CP_USAGE_LEASE_TTL_MS, 10, 3600000,
               "lifetime of a worker's unrenewed credit lease"),
    SY_OPT_INT("publish-ms", O, publish_ms, 250, 10, 3600000,
               "how often changed balances go to the workers"),
    SY_OPT_INT("stats-ms", O, stats_ms, 5000, 10, 3600000,
               "how often changed endpoint stats go to the workers"),
    SY_OPT_INT("header-timeout-ms", O, header_ms, 10000, 10, 3600000,
               "admin clients must send their request headers within this\n(then 408 and "
               "close)"),
    SY_OPT_BOOL("allow-core-dumps", O, allow_core_dumps,
                "allow core files (they would hold the KEK, provider keys\nand management "
                "keys; off by default)"),
    SY_OPT_BOOL("audit", O, audit,
                "check the ledger invariants in --data-dir, print the\nfindings and exit (0 "
                "they hold, 1 they do not)"),
    SY_OPT_CHECK(O, check),
};
#undef O

static const struct sy_opt_table option_table = SY_OPT_TABLE(
    "switchyard-controlplane",
    "The Switchyard controlplane: LMDB state, admin REST API, state sync to dataplane\n"
    "workers (ZeroMQ snapshot ROUTER + update PUB) and usage intake (ZeroMQ ROUTER).\n",
    "Environment: SWITCHYARD_ADMIN_KEY (a global management key, "
    "sk-sy-mgmt-v1-<64 hex>,\ninstalled at start; without it a fresh store gets a "
    "generated key in\n<data-dir>/admin.key), SWITCHYARD_KEK (unless --kek-file).\n",
    options);

/* 0 = run, 1 = exit 0 (help), -1 = exit 1 (bad flags). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	int operand;
	int rc = sy_opt_parse(&option_table, argc, argv, o, &operand);
	if (rc)
		return rc == SY_OPT_EXIT ? 1 : -1;
	if (o->gen_keys) { /* the names of the dataplanes to make keys for */
		o->names = argv + operand;
		o->n_names = argc - operand;
	} else if (operand < argc) {
		fprintf(stderr, "unexpected argument: %s\n", argv[operand]);
		return -1;
	}
	return 0;
}

/* True if file (one key per line, names after the key) already lists key. */
static bool lists_key(const char *file, const char *key)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(file, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, key, SY_CURVE_KEY_LEN);
	if (f)
		fclose(f);
	return found;
}

/* --gen-keys DIR [NAME...]: one command makes every key a cluster needs. Exit status. */
static int gen_keys(const char *dir, char **names, int n_names)
{
	static char *dflt[] = {"dataplane"};
	char prefix[4096], auth[4096], pub[SY_CURVE_KEY_LEN + 1];
	const char *why = NULL;
	bool created;
	if (!n_names) {
		names = dflt;
		n_names = 1;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(auth, sizeof(auth), "%s/authorized_keys", dir);
	for (int i = -1; i < n_names; i++) {
		const char *name = i < 0 ? "controlplane" : names[i];
		if (!*name || strchr(name, '/') || (i >= 0 && !strcmp(name, "controlplane"))) {
			fprintf(stderr, "--gen-keys: bad dataplane name \"%s\"\n", name);
			return 1;
		}
		snprintf(prefix, sizeof(prefix), "%s/%s", dir, name);
		if (sy_curve_generate(prefix, pub, &created, &why)) {
			fprintf(stderr, "%s: %s\n", prefix, why);
			return 1;
		}
		printf("%s %s.key / %s.pub\n", created ? "wrote" : "kept", prefix, prefix);
		if (i < 0 || lists_key(auth, pub))
			continue;
		FILE *f = fopen(auth, "a");
		if (!f || fprintf(f, "%s %s\n", pub, name) < 0 || fclose(f)) {
			fprintf(stderr, "%s: cannot append: %s\n", auth, strerror(errno));
			return 1;
		}
		printf("authorized %s in %s\n", name, auth);
	}
	return 0;
}

static bool endpoint_ok(const char *ep)
{
	return (!strncmp(ep, "tcp://", 6) && ep[6]) || (!strncmp(ep, "ipc://", 6) && ep[6]) ||
	       (!strncmp(ep, "inproc://", 9) && ep[9]);
}

/* Flags and environment that need no store: 0 or -1 with the reason printed. */
static int check_flags(const struct opts *o, const char *admin_key)
{
	struct sockaddr_storage ss;
	unsigned len;
	const char *eps[] = {o->zmq_snapshot, o->zmq_publish, o->zmq_usage};
	if (cp_http_parse_listen(o->admin_listen, &ss, &len)) {
		fprintf(stderr, "--admin-listen must be host:port, not %s\n", o->admin_listen);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (!endpoint_ok(eps[i])) {
			fprintf(stderr, "bad ZeroMQ endpoint %s (tcp://, ipc:// or inproc://)\n",
			        eps[i]);
			return -1;
		}
		for (int k = 0; k < i; k++)
			if (!strcmp(eps[i], eps[k])) {
				fprintf(stderr, "ZeroMQ endpoint %s is given twice\n", eps[i]);
				return -1;
			}
	}
	if (!o->curve_secret != !o->curve_authorized) {
		fprintf(stderr, "--curve-secret-file and --curve-authorized go together\n");
		return -1;
	}
	for (int i = 0; i < 3 && !o->curve_secret; i++)
		if (!sy_zendpoint_local(eps[i])) {
			fprintf(
			    stderr,
			    "ZeroMQ endpoint %s reaches beyond this host: without CURVE anyone "
			    "who can connect reads every provider credential and can post usage. "
			    "Bind to 127.0.0.1, or set --curve-secret-file and "
			    "--curve-authorized (keys: switchyard-controlplane --gen-keys DIR)\n",
			    eps[i]);
			return -1;
		}
	if (admin_key && !cp_auth_key_format(admin_key, SY_MKEY_PREFIX)) {
		fprintf(stderr, "SWITCHYARD_ADMIN_KEY must be %s followed by 64 lowercase hex\n",
		        SY_MKEY_PREFIX);
		return -1;
	}
	return 0;
}

static int check_credential(const ProtobufCMessage *m, void *arg)
{
	const Sy__Provider *p = (const Sy__Provider *)m;
	char *plain = NULL;
	int rc = cp_provider_open(p, arg, &plain);
	if (plain) {
		memset(plain, 0, strlen(plain));
		free(plain);
	}
	if (rc && rc != SY_ENOTFOUND) {
		fprintf(stderr, "provider %s: its stored credential cannot be decrypted: %s\n",
		        p->slug, sy_strerror(rc));
		return 1;
	}
	return 0;
}

/* -n: everything start-up would check, without serving or changing anything. */
static int check_config(const struct opts *o, const struct sy_kek *kek, const char *admin_key)
{
	struct stat st;
	char tmp[] = "/tmp/sy-cp-check-XXXXXX", err[512];
	const char *why = NULL, *dir = o->data_dir;
	if (o->curve_authorized) { /* the secret key was read already; the list is read here */
		void *zctx = zmq_ctx_new();
		struct cp_zap *zap = zctx ? cp_zap_new(zctx, o->curve_authorized, &why) : NULL;
		cp_zap_free(&zap);
		if (zctx)
			zmq_ctx_term(zctx);
		if (why) {
			fprintf(stderr, "--curve-authorized: %s\n",
			        zctx ? why : "no ZeroMQ context");
			return 1;
		}
	}
	bool fresh = stat(o->data_dir, &st) != 0;
	if (fresh && !(dir = mkdtemp(tmp))) {
		fprintf(stderr, "cannot create a scratch directory to check the catalog\n");
		return 1;
	}
	struct cp_store *s = cp_store_open(dir, o->map_mb, &why);
	int rc = 1;
	if (!s) {
		fprintf(stderr, "%s: %s\n", o->data_dir, why);
		goto out;
	}
	struct cp_txn *t = cp_store_begin(s, false);
	int bad = t ? cp_store_each(t, CP_PROVIDER, check_credential, (void *)kek) : 1;
	cp_store_abort(&t);
	if (bad)
		goto out;
	if (o->catalog && cp_catalog_import(s, kek, o->catalog, true, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	sy_opt_print(&option_table, o, stdout);
	printf("configuration ok: data dir %s%s, seq %llu, key-encryption key %s\n", o->data_dir,
	       fresh ? " (will be created)" : "", (unsigned long long)cp_store_seq(s),
	       kek->set ? "set" : "not set");
	rc = 0;
out:
	cp_store_free(&s);
	if (fresh && dir == tmp) {
		char f[sizeof(tmp) + 16];
		snprintf(f, sizeof(f), "%s/data.mdb", tmp);
		unlink(f);
		snprintf(f, sizeof(f), "%s/lock.mdb", tmp);
		unlink(f);
		rmdir(tmp);
	}
	return rc;
}

/* The event loop: until SIGTERM/SIGINT arrives on sigfd. 0 or a negative errno. */
static int run(int sigfd, struct cp_http *http, struct cp_sync *sync, struct cp_usage *usage,
               struct cp_zap *zap, uint32_t publish_ms, struct cp_stats *stats, uint32_t stats_ms)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), rc = 0;
	if (ep < 0)
		return -errno;
	struct epoll_event ev = {.events = EPOLLIN};
	int fds[] = {sigfd, cp_http_fd(http), cp_sync_fd(sync), cp_usage_fd(usage),
	             zap ? cp_zap_fd(zap) : -2};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] == -2) /* no ZAP handler: CURVE is off */
			continue;
		ev.events = EPOLLIN | (i >= 2 ? EPOLLET : 0);
		ev.data.fd = fds[i];
		if (fds[i] < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev)) {
			rc = fds[i] < 0 ? -EBADF : -errno;
			goto out;
		}
	}
	int64_t next_hb = sy_mono_ms(), next_tick = next_hb, next_stats = next_hb + stats_ms;
	bool more = false, stop = false, ticks_left = false;
	while (!stop) {
		int64_t now = sy_mono_ms();
		if (now >= next_hb) {
			cp_sync_heartbeat(sync);
			next_hb = now + SY_HEARTBEAT_MS;
		}
		if (now >= next_tick || ticks_left) {
			ticks_left = cp_usage_tick(usage);
			next_tick = now + publish_ms;
		}
		if (now >= next_stats) {
			if (cp_stats_publish(stats, sy_unix_s(), cp_sync_publish_stats, sync))
				sy_warn("endpoint stats not all published; retrying next time");
			next_stats = now + stats_ms;
		}
		int64_t timeout = (next_hb < next_tick ? next_hb : next_tick) - now;
		if (next_stats - now < timeout)
			timeout = next_stats - now;
		int64_t ht = cp_http_timeout_ms(http);
		if (ht >= 0 && ht < timeout)
			timeout = ht;
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, more || ticks_left ? 0 : (int)timeout);
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd != sigfd)
				continue;
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				sy_info("signal %u: shutting down", si.ssi_signo);
				stop = true;
			}
		}
		cp_http_run(http);
		more = cp_sync_drain(sync);
		more = cp_usage_drain(usage) || more;
		/* after the others: a handshake the loop just caused is answered in this pass */
		more = (zap && cp_zap_drain(zap)) || more;
	}
	/* what settled last is published (and stored on the entities) before we go */
	for (int i = 0; i < 64 && cp_usage_tick(usage); i++)
		;
out:
	close(ep);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	sy_opt_defaults(&option_table, &o);
	struct sy_kek kek = {0};
	struct cp_store *store = NULL;
	struct cp_sync *sync = NULL;
	struct cp_usage *usage = NULL;
	struct cp_stats *stats = NULL;
	struct cp_zap *zap = NULL;
	struct sy_curve curve = {0};
	struct cp_admin *admin = NULL;
	struct cp_http *http = NULL;
	void *zctx = NULL;
	int sigfd = -1, rc = parse_args(argc, argv, &o), status = 1;
	const char *why = NULL;
	char err[512];
	if (rc)
		return rc > 0 ? 0 : 1;
	sy_log_set_tag("cp");
	sy_proc_protect_secrets(o.allow_core_dumps);
	if (o.audit)
		return cp_audit_run(o.data_dir, stdout) ? 1 : 0;
	if (o.gen_keys)
		return gen_keys(o.gen_keys, o.names, o.n_names);
	const char *admin_key = getenv("SWITCHYARD_ADMIN_KEY");
	if (admin_key && !*admin_key)
		admin_key = NULL;
	if (check_flags(&o, admin_key))
		return 1;
	if (sy_crypto_init()) {
		fprintf(stderr, "libsodium failed to initialise\n");
		return 1;
	}
	if (sy_kek_load(&kek, o.kek_file, &why)) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	if (o.curve_secret && sy_curve_load(&curve, o.curve_secret, NULL, &why)) {
		fprintf(stderr, "--curve-secret-file %s: %s\n", o.curve_secret, why);
		goto out;
	}
	if (o.check) {
		status = check_config(&o, &kek, admin_key);
		goto out;
	}
	if (!kek.set)
		sy_warn("no key-encryption key configured (SWITCHYARD_KEK or --kek-file): provider "
		        "credentials cannot be set");

	/* Block the signals before any thread exists (ZeroMQ's I/O threads inherit the mask). */
	sigset_t set;
	sy_block_term_signals(&set);
	if ((sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		sy_err("signalfd: %s", strerror(errno));
		goto out;
	}
	if (!(store = cp_store_open(o.data_dir, o.map_mb, &why))) {
		sy_err("cannot open the store in %s: %s", o.data_dir, why);
		goto out;
	}
	cp_store_set_map_max(store, o.map_max_mb > o.map_mb ? o.map_max_mb : o.map_mb);
	cp_store_make_room(store);
	/* Changes made before the sockets exist reach workers through their first snapshot. */
	if (cp_auth_bootstrap(store, o.data_dir, admin_key, &why)) {
		sy_err("bootstrap: %s", why);
		goto out;
	}
	if (o.catalog && cp_catalog_import(store, &kek, o.catalog, false, err, sizeof(err))) {
		sy_err("catalog: %s", err);
		goto out;
	}
	if (!(zctx = zmq_ctx_new())) {
		sy_err("cannot create the ZeroMQ context");
		goto out;
	}
	/* the ZAP handler first: libzmq admits every CURVE client while none is bound */
	if (curve.set && !(zap = cp_zap_new(zctx, o.curve_authorized, &why))) {
		sy_err("ZeroMQ: %s", why);
		goto out;
	}
	if (!(sync = cp_sync_new(zctx, store, &kek, o.zmq_snapshot, o.zmq_publish, &curve, &why)) ||
	    !(usage = cp_usage_new(zctx, store, o.zmq_usage, &curve, &why))) {
		sy_err("ZeroMQ: %s", why);
		goto out;
	}
	if (curve.set)
		sy_info("ZeroMQ: CURVE on, public key %s, %d authorized dataplane key(s) in %s",
		        curve.public_key, cp_zap_count(zap), o.curve_authorized);
	else
		sy_warn("ZeroMQ: CURVE off (no --curve-secret-file): loopback endpoints only");
	cp_store_on_commit(store, cp_sync_publish, sync);
	if (!(stats = cp_stats_new())) {
		sy_err("out of memory");
		goto out;
	}
	cp_sync_set_stats(sync, stats);
	cp_usage_set_stats(usage, stats);
	cp_usage_set_lease_ttl(usage, o.lease_ttl_ms);
	cp_usage_set_retention(usage, (int64_t)o.retention_days * 86400);
	cp_usage_set_byok_fee(usage, &(struct cp_byok_fee){o.byok_fee_bp, o.byok_free});
	/* workers could not renew while we were down: give every lease one TTL to be renewed */
	if (cp_money_grace(store, sy_unix_ms() + o.lease_ttl_ms))
		sy_warn("could not extend the leases of the previous run; some may expire early");
	if (!(admin = cp_admin_new(store, &kek)) ||
	    !(http = cp_http_new(admin, o.admin_listen, o.header_ms, &why))) {
		sy_err("admin API on %s: %s", o.admin_listen, admin ? why : "out of memory");
		goto out;
	}
	cp_admin_set_stats(admin, stats);
	sy_info("ready: admin http://%s, snapshot %s, publish %s, usage %s, seq %llu",
	        o.admin_listen, o.zmq_snapshot, o.zmq_publish, o.zmq_usage,
	        (unsigned long long)cp_store_seq(store));
	if ((rc = run(sigfd, http, sync, usage, zap, o.publish_ms, stats, o.stats_ms)))
		sy_err("event loop: %s", sy_strerror(rc));
	else
		status = 0;
out:
	cp_http_free(&http);
	cp_admin_free(&admin);
	cp_usage_free(&usage);
	cp_sync_free(&sync);
	cp_zap_free(&zap);
	cp_stats_free(&stats);
	if (zctx)
		zmq_ctx_term(zctx);
	cp_store_free(&store);
	if (sigfd >= 0)
		close(sigfd);
	sy_kek_clear(&kek);
	sy_curve_clear(&curve);
	if (!o.check)
		sy_info("stopped");
	return status;
}
