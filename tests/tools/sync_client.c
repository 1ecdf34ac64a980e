/* sync_client.c - a minimal Clone-pattern client of the controlplane, for tests.
 *
 * Subscribes to the PUB socket first, then asks the snapshot ROUTER for a snapshot, exactly
 * as a dataplane worker does. Prints one JSON line per received item:
 *   {"src":"snapshot","seq":0,"topic":"key/..","kind":"key","id":"..",...}
 *   {"src":"snapshot_end","seq":N,"count":M}
 *   {"src":"ready","seq":N}   first heartbeat after the snapshot: updates now flow
 *   {"src":"update","seq":N,"topic":..,"deleted":false,...}
 *   {"src":"volatile","seq":0,"topic":"stats/..",...}   an update without seq (endpoint
 *                             stats): printed as it comes, outside the sequence
 *   {"src":"hb","seq":N}      (with --heartbeats)
 * Updates that arrive during the snapshot are queued and only those with seq > snapshot seq
 * are printed. Every envelope is validated with sy_env_unpack; an invalid one, a topic frame
 * that does not match the update, or a snapshot count mismatch exits with status 2.
 * Exit 0 when --until-seq was reached (or --duration-ms elapsed without it), 1 on timeout. */
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_msg.h"
#include "tool_curve.h"
#include "tool_emit.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_QUEUED 10000

struct client {
	void *sub, *dealer;
	bool snapshot_done, ready, heartbeats;
	uint64_t snap_seq, until_seq, last_seq;
	uint32_t snap_items;
	Sy__Envelope *queued[MAX_QUEUED];
	size_t nqueued;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sync_client --snapshot EP --publish EP [--until-seq N]\n"
	           "                   [--duration-ms MS] [--timeout-ms MS] [--heartbeats]\n"
	           "                   [--curve-secret-file F --curve-server-key F]\n"
	           "Prints the controlplane's snapshot and live updates as JSON lines.\n");
}

static json_t *strs(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The fields tests look at, per kind. */
static void describe(json_t *o, const Sy__Update *u)
{
	switch (u->value_case) {
	case SY__UPDATE__VALUE_ORG:
		json_object_set_new(o, "kind", json_string("org"));
		json_object_set_new(o, "id", json_string(u->org->id));
		json_object_set_new(o, "name", json_string(u->org->name ? u->org->name : ""));
		break;
	case SY__UPDATE__VALUE_KEY:
		json_object_set_new(o, "kind", json_string("key"));
		json_object_set_new(o, "id", json_string(u->key->hash));
		json_object_set_new(o, "org_id", json_string(u->key->org_id));
		json_object_set_new(o, "disabled", json_boolean(u->key->disabled));
		json_object_set_new(o, "name", json_string(u->key->name ? u->key->name : ""));
		if (u->key->has_limit)
			json_object_set_new(o, "limit", json_integer(u->key->limit));
		break;
	case SY__UPDATE__VALUE_MKEY:
		json_object_set_new(o, "kind", json_string("mkey"));
		json_object_set_new(o, "id", json_string(u->mkey->hash));
		json_object_set_new(o, "org_id",
		                    u->mkey->org_id ? json_string(u->mkey->org_id) : json_null());
		break;
	case SY__UPDATE__VALUE_PROVIDER:
		json_object_set_new(o, "kind", json_string("provider"));
		json_object_set_new(o, "id", json_string(u->provider->slug));
		json_object_set_new(
		    o, "base_url", json_string(u->provider->base_url ? u->provider->base_url : ""));
		json_object_set_new(o, "has_api_key", json_boolean(u->provider->has_api_key));
		json_object_set_new(o, "api_key",
		                    u->provider->api_key ? json_string(u->provider->api_key)
		                                         : json_null());
		json_object_set_new(o, "api_key_enc_len",
		                    json_integer((json_int_t)u->provider->api_key_enc.len));
		break;
	case SY__UPDATE__VALUE_MODEL: {
		json_t *eps = json_array();
		json_object_set_new(o, "kind", json_string("model"));
		json_object_set_new(o, "id", json_string(u->model->id));
		for (size_t i = 0; i < u->model->n_endpoints; i++) {
			const Sy__Endpoint *e = u->model->endpoints[i];
			json_array_append_new(
			    eps, json_pack("{s:s,s:s,s:s?,s:s?}", "provider", e->provider,
			                   "provider_model_id", e->provider_model_id, "prompt",
			                   e->pricing ? e->pricing->prompt : NULL, "completion",
			                   e->pricing ? e->pricing->completion : NULL));
		}
		json_object_set_new(o, "endpoints", eps);
		json_object_set_new(o, "input_modalities",
		                    strs(u->model->input_modalities, u->model->n_input_modalities));
		break;
	}
	case SY__UPDATE__VALUE_STATS:
		json_object_set_new(o, "kind", json_string("stats"));
		json_object_set_new(o, "id", json_string(u->stats->model));
		json_object_set_new(o, "endpoints",
		                    json_integer((json_int_t)u->stats->n_endpoints));
		break;
	case SY__UPDATE__VALUE_AUTO_ROUTER:
		json_object_set_new(o, "kind", json_string("autorouter"));
		json_object_set_new(o, "id", json_string(u->auto_router->id));
		json_object_set_new(o, "default_model", json_string(u->auto_router->default_model));
		json_object_set_new(o, "rules", json_integer((json_int_t)u->auto_router->n_rules));
		break;
	default:
		json_object_set_new(o, "kind", json_null());
		break;
	}
}

static void print_update(const char *src, const Sy__Update *u)
{
	json_t *o = json_pack("{s:s,s:I,s:s,s:b}", "src", src, "seq", (json_int_t)u->seq, "topic",
	                      u->topic, "deleted", u->deleted);
	describe(o, u);
	emit(o);
}

static int fail(const char *why)
{
	emit(json_pack("{s:s,s:s}", "src", "error", "error", why));
	return 2;
}

/* Receive one message into the initialised f0, f1 and decode its last frame. NULL with the
 * failure printed and *rc set when it does not have exactly `frames` frames (1 or 2; shape
 * says what was expected) or its envelope is invalid. */
static Sy__Envelope *recv_env(void *sock, int frames, zmq_msg_t *f0, zmq_msg_t *f1,
                              const char *shape, int *rc)
{
	int n = -1, err = 0;
	if (zmq_msg_recv(f0, sock, ZMQ_DONTWAIT) >= 0) {
		if (!zmq_msg_more(f0))
			n = 1;
		else if (zmq_msg_recv(f1, sock, 0) >= 0 && !zmq_msg_more(f1))
			n = 2;
	}
	zmq_msg_t *last = frames == 1 ? f0 : f1;
	Sy__Envelope *env =
	    n == frames ? sy_env_unpack(zmq_msg_data(last), zmq_msg_size(last), &err) : NULL;
	if (!env)
		*rc = fail(n == frames ? sy_strerror(err) : shape);
	return env;
}

static int on_dealer(struct client *c)
{
	zmq_msg_t f0, f1;
	zmq_msg_init(&f0);
	zmq_msg_init(&f1);
	int rc = 0;
	Sy__Envelope *env =
	    recv_env(c->dealer, 1, &f0, &f1, "snapshot reply is not one frame", &rc);
	if (!env)
		goto out;
	if (env->body_case == SY__ENVELOPE__BODY_SNAPSHOT_CHUNK) {
		for (size_t i = 0; i < env->snapshot_chunk->n_items; i++) {
			if (env->snapshot_chunk->items[i]->seq != 0) {
				rc = fail("snapshot item with a non-zero seq");
				goto out;
			}
			print_update("snapshot", env->snapshot_chunk->items[i]);
			c->snap_items++;
		}
	} else if (env->body_case == SY__ENVELOPE__BODY_SNAPSHOT_END) {
		c->snap_seq = c->last_seq = env->snapshot_end->seq;
		c->snapshot_done = true;
		emit(json_pack("{s:s,s:I,s:I}", "src", "snapshot_end", "seq",
		               (json_int_t)c->snap_seq, "count",
		               (json_int_t)env->snapshot_end->count));
		if (env->snapshot_end->count != c->snap_items) {
			rc = fail("snapshot_end count differs from the items received");
			goto out;
		}
		for (size_t i = 0; i < c->nqueued; i++) {
			if (c->queued[i]->update->seq > c->snap_seq) {
				print_update("update", c->queued[i]->update);
				c->last_seq = c->queued[i]->update->seq;
			}
			sy_env_free(&c->queued[i]);
		}
		c->nqueued = 0;
	} else {
		rc = fail("unexpected envelope on the snapshot socket");
	}
out:
	sy_env_free(&env);
	zmq_msg_close(&f0);
	zmq_msg_close(&f1);
	return rc;
}

static int on_sub(struct client *c)
{
	zmq_msg_t f0, f1;
	zmq_msg_init(&f0);
	zmq_msg_init(&f1);
	int rc = 0;
	Sy__Envelope *env =
	    recv_env(c->sub, 2, &f0, &f1, "published message is not [topic][envelope]", &rc);
	if (!env)
		goto out;
	const char *topic = zmq_msg_data(&f0);
	size_t tlen = zmq_msg_size(&f0);
	if (env->body_case == SY__ENVELOPE__BODY_HEARTBEAT) {
		if (tlen != 2 || memcmp(topic, "hb", 2)) {
			rc = fail("heartbeat under a topic other than hb");
			goto out;
		}
		if (c->heartbeats)
			emit(json_pack("{s:s,s:I}", "src", "hb", "seq",
			               (json_int_t)env->heartbeat->seq));
		if (c->snapshot_done && !c->ready) {
			c->ready = true;
			emit(json_pack("{s:s,s:I,s:I}", "src", "ready", "seq",
			               (json_int_t)c->last_seq, "hb_seq",
			               (json_int_t)env->heartbeat->seq));
		}
	} else if (env->body_case == SY__ENVELOPE__BODY_UPDATE) {
		const Sy__Update *u = env->update;
		if (strlen(u->topic) != tlen || memcmp(topic, u->topic, tlen) ||
		    (!u->seq && strncmp(u->topic, "stats/", 6))) {
			rc = fail("update topic frame or seq invalid");
			goto out;
		}
		if (!u->seq) {
			print_update("volatile", u);
		} else if (!c->snapshot_done) {
			if (c->nqueued == MAX_QUEUED) {
				rc = fail("too many updates queued during the snapshot");
				goto out;
			}
			c->queued[c->nqueued++] = env;
			env = NULL;
		} else if (u->seq > c->last_seq) {
			print_update("update", u);
			c->last_seq = u->seq;
		}
	} else {
		rc = fail("unexpected envelope on the PUB socket");
	}
out:
	sy_env_free(&env);
	zmq_msg_close(&f0);
	zmq_msg_close(&f1);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"snapshot", required_argument, NULL, 's'},
	                                   {"publish", required_argument, NULL, 'p'},
	                                   {"until-seq", required_argument, NULL, 'u'},
	                                   {"duration-ms", required_argument, NULL, 'd'},
	                                   {"timeout-ms", required_argument, NULL, 't'},
	                                   {"heartbeats", no_argument, NULL, 'b'},
	                                   TOOL_CURVE_OPTIONS,
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	struct client c = {0};
	const char *snap = NULL, *pub = NULL;
	struct tool_curve_args ca = {0};
	struct sy_curve curve = {0};
	int64_t duration = -1, timeout = 10000;
	int opt, rc = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (tool_curve_opt(&ca, opt, optarg))
			continue;
		switch (opt) {
		case 's':
			snap = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'u':
			c.until_seq = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			duration = strtoll(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtoll(optarg, NULL, 10);
			break;
		case 'b':
			c.heartbeats = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!snap || !pub) {
		usage(stderr);
		return 2;
	}
	if (tool_curve_load("sync_client", &ca, &curve))
		return 2;
	void *ctx = zmq_ctx_new();
	c.sub = zmq_socket(ctx, ZMQ_SUB);
	c.dealer = zmq_socket(ctx, ZMQ_DEALER);
	if (sy_zsock_setup(c.sub) || sy_zsock_setup(c.dealer) || sy_curve_client(c.sub, &curve) ||
	    sy_curve_client(c.dealer, &curve) || zmq_setsockopt(c.sub, ZMQ_SUBSCRIBE, "", 0) ||
	    zmq_connect(c.sub, pub) || zmq_connect(c.dealer, snap)) {
		fprintf(stderr, "sync_client: cannot set up sockets: %s\n",
		        zmq_strerror(zmq_errno()));
		rc = 2;
		goto out;
	}
	Sy__Envelope env;
	Sy__SnapshotRequest req = SY__SNAPSHOT_REQUEST__INIT;
	sy_env_init(&env);
	req.worker_id = "sync_client";
	env.body_case = SY__ENVELOPE__BODY_SNAPSHOT_REQUEST;
	env.snapshot_request = &req;
	if (sy_zsend_env(c.dealer, NULL, 0, &env, 0)) {
		rc = fail("cannot send the snapshot request");
		goto out;
	}
	int64_t start = sy_mono_ms(), limit = duration >= 0 ? duration : timeout;
	for (;;) {
		if (c.until_seq && c.snapshot_done && c.ready && c.last_seq >= c.until_seq) {
			rc = 0;
			break;
		}
		int64_t left = start + limit - sy_mono_ms();
		if (left <= 0) {
			rc = duration >= 0 && !c.until_seq ? 0 : 1;
			if (rc)
				fail("timed out");
			break;
		}
		zmq_pollitem_t items[] = {{c.dealer, 0, ZMQ_POLLIN, 0}, {c.sub, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(items, 2, (long)(left < 100 ? left : 100)) < 0)
			continue;
		int r = 0;
		if (items[0].revents & ZMQ_POLLIN)
			r = on_dealer(&c);
		if (!r && (items[1].revents & ZMQ_POLLIN))
			r = on_sub(&c);
		if (r) {
			rc = r;
			break;
		}
	}
out:
	for (size_t i = 0; i < c.nqueued; i++)
		sy_env_free(&c.queued[i]);
	zmq_close(c.sub);
	zmq_close(c.dealer);
	zmq_ctx_term(ctx);
	return rc;
}
