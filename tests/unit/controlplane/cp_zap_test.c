/* cp_zap_test.c - the ZAP handler with real CURVE sockets: authorized keys get through and
 * are named on their messages, others get nothing, the file is re-read when it changes; and
 * cp_zmq's loopback check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cp_metrics.h"
#include "cp_zap.h"
#include "cp_zmq.h"
#include "sy_clock.h"
#include "sy_curve.h"
#include "sy_msg.h"

struct fixture {
	char dir[32];
	char file[64];
	char endpoint[80];
	void *zctx;
	struct sy_curve server;
	struct cp_zap *zap;
	void *router;
};

static void keypair(struct sy_curve *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(zmq_curve_keypair(c->public_key, c->secret_key), 0);
	c->set = true;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A client of f's server with key pair c that sends one snapshot request. */
static void *client(struct fixture *f, struct sy_curve *c)
{
	void *s = zmq_socket(f->zctx, ZMQ_DEALER);
	memcpy(c->server_key, f->server.public_key, sizeof(c->server_key));
	assert_int_equal(sy_zsock_setup(s), 0);
	assert_int_equal(sy_curve_client(s, c), 0);
	assert_int_equal(zmq_connect(s, f->endpoint), 0);
	Sy__SnapshotRequest rq = SY__SNAPSHOT_REQUEST__INIT;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_SNAPSHOT_REQUEST;
	env.snapshot_request = &rq;
	assert_int_equal(sy_zsend_env(s, NULL, 0, &env, ZMQ_DONTWAIT), 0);
	return s;
}

/* Run the ZAP handler and the ROUTER for up to ms: 1 with the sender's key in peer once a
 * message arrives, 0 if none does. */
static int receive(struct fixture *f, int64_t ms, char *peer)
{
	int64_t end = sy_mono_ms() + ms;
	while (sy_mono_ms() < end) {
		struct cp_zmsg m;
		cp_zap_drain(f->zap);
		if (cp_zmq_recv_routed(f->router, "test", &m) == 1) {
			strcpy(peer, m.peer);
			sy_env_free(&m.env);
			return 1;
		}
		usleep(5000);
	}
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *why = NULL;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sy-zap-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->file, sizeof(f->file), "%s/authorized_keys", f->dir);
	snprintf(f->endpoint, sizeof(f->endpoint), "ipc://%s/sock", f->dir);
	keypair(&f->server);
	write_file(f->file, "# no dataplane yet\n");
	f->zctx = zmq_ctx_new();
	f->zap = cp_zap_new(f->zctx, f->file, &why);
	f->router = f->zap ? cp_zmq_bind(f->zctx, ZMQ_ROUTER, f->endpoint, &f->server, &why) : NULL;
	*state = f;
	return f->router ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	zmq_close(f->router);
	cp_zap_free(&f->zap);
	zmq_ctx_term(f->zctx);
	char path[96];
	snprintf(path, sizeof(path), "%s/sock", f->dir);
	unlink(path);
	unlink(f->file);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Usage example: a key in the file gets through, named by its public key; others do not. */
static void test_authorized_only(void **state)
{
	struct fixture *f = *state;
	struct sy_curve good, bad;
	char peer[SY_CURVE_KEY_LEN + 1] = "", text[128];
	keypair(&good);
	keypair(&bad);
	snprintf(text, sizeof(text), "# dataplanes\n%s dp1\n", good.public_key);
	write_file(f->file, text);
	uint64_t refused = cp_metrics.zap_refused;

	void *b = client(f, &bad);
	assert_int_equal(receive(f, 500, peer), 0);
	assert_true(cp_metrics.zap_refused > refused);

	void *g = client(f, &good);
	assert_int_equal(receive(f, 3000, peer), 1);
	assert_string_equal(peer, good.public_key);
	zmq_close(g);
	zmq_close(b);
}

/* A changed file is re-read: a key added later gets through; a bad line keeps the old list. */
static void test_reread(void **state)
{
	struct fixture *f = *state;
	struct sy_curve late;
	char peer[SY_CURVE_KEY_LEN + 1] = "", text[160];
	keypair(&late);
	void *first = client(f, &late);
	assert_int_equal(receive(f, 300, peer), 0);
	zmq_close(first);
	snprintf(text, sizeof(text), "%s later\n", late.public_key);
	write_file(f->file, text);
	void *second = client(f, &late);
	assert_int_equal(receive(f, 3000, peer), 1);
	assert_string_equal(peer, late.public_key);
	zmq_close(second);
	assert_int_equal(cp_zap_count(f->zap), 1);
	write_file(f->file, "not a key at all\n");
	void *third = client(f, &late);
	assert_int_equal(receive(f, 3000, peer), 1); /* still the one key read before */
	assert_int_equal(cp_zap_count(f->zap), 1);
	zmq_close(third);
}

static void test_endpoint_local(void **state)
{
	static const char *const local[] = {"tcp://127.0.0.1:5555", "tcp://127.1.2.3:1",
	                                    "tcp://[::1]:5555",     "tcp://localhost:5555",
	                                    "ipc:///tmp/x",         "inproc://x"};
	static const char *const remote[] = {"tcp://0.0.0.0:5555",  "tcp://*:5555",
	                                     "tcp://10.0.0.1:5555", "tcp://[::]:5555",
	                                     "tcp://eth0:5555",     "tcp://128.0.0.1:5555",
	                                     "tcp://127.0.0.1",     "tcp://1.2.3.4;127.0.0.1:5555",
	                                     "udp://127.0.0.1:5555"};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		assert_true(sy_zendpoint_local(local[i]));
	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		assert_false(sy_zendpoint_local(remote[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_authorized_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reread, setup, teardown),
	    cmocka_unit_test(test_endpoint_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
