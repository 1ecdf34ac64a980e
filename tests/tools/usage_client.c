/* usage_client.c - sends usage batches and generation queries to the usage ROUTER, for tests.
 *
 *   usage_client --usage EP --key-hash H --cost UNITS [--count N] [--repeat R] [--prefix P]
 *                [--org ORG] [--spread-days D] [--models M1,M2,...]
 *     sends the same batch of N records (ids "gen-<P>-<i>", cost UNITS money units each) R
 *     times, waiting for each ack; prints {"round":r,"acked":[ids...]} per ack and exits 0
 *     only if every ack lists exactly the batch's ids. With --org ORG it first asks for a
 *     lease on (ORG, H) as a dataplane does (want = the batch's cost, need 1) and prints
 *     {"lease":{"granted":..,"refused":..,"reason":..}}; the records then carry ORG and that
 *     lease (the controlplane settles costs only for keys the sender holds a lease for).
 *     --spread-days and --models make a history to look at (the console's tests): records
 *     created evenly over the last D days, models taken in turn, provider "mock", every 25th
 *     a 502.
 *     --distinct: round r's ids are "gen-<P>-<r>-<i>" (new records every round, the lease asks
 *     for all R rounds), as a dataplane's successive batches; --summary: one line
 *     {"rounds":R,"acked":N,"complete":bool} instead of one per ack (make bench-cluster).
 *   --curve-secret-file F --curve-server-key F: connect as a CURVE client (a dataplane key).
 *   usage_client --usage EP --query ID --key-hash H
 *     prints {"found":bool,"id":..,"cost":..} from the generation reply.
 * Replies are validated with sy_env_unpack; exit 2 on a protocol error, 1 on timeout. */
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

static void usage(FILE *f)
{
	fprintf(f, "usage: usage_client --usage EP --key-hash H --cost UNITS [--count N]\n"
	           "                    [--repeat R] [--prefix P] [--timeout-ms MS]\n"
	           "                    [--org ORG] [--spread-days D] [--models M1,M2,...]\n"
	           "                    [--distinct] [--summary]\n"
	           "       usage_client --usage EP --query ID --key-hash H [--timeout-ms MS]\n"
	           "  either with [--curve-secret-file F --curve-server-key F]\n");
}

/* Wait for one reply envelope of the given type. NULL with *rc set on timeout/invalid. */
static Sy__Envelope *await(void *sock, int64_t timeout, Sy__Envelope__BodyCase want, int *rc)
{
	zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&it, 1, (long)timeout) <= 0) {
		*rc = 1;
		return NULL;
	}
	zmq_msg_t m;
	zmq_msg_init(&m);
	int err = 0;
	Sy__Envelope *env = NULL;
	if (zmq_msg_recv(&m, sock, 0) >= 0 && !zmq_msg_more(&m))
		env = sy_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), &err);
	zmq_msg_close(&m);
	if (env && env->body_case != want)
		sy_env_free(&env);
	*rc = env ? 0 : 2;
	return env;
}

/* What the records look like beyond their id, key and cost. */
struct history {
	const char *org;  /* NULL: none */
	int spread_days;  /* 0: all now */
	char *models[16]; /* taken in turn */
	int n_models;
	bool distinct; /* new ids every round */
	bool summary;  /* one line at the end, not one per ack */
};

/* Ask for lease_id on (org, hash) and print the answer: 0, or the await() code. */
static int lease(void *sock, const char *org, const char *hash, const char *lease_id, int64_t want,
                 int64_t timeout)
{
	Sy__LeaseRequest rq = SY__LEASE_REQUEST__INIT;
	Sy__Envelope env;
	int rc;
	rq.request_id = 7;
	rq.lease_id = (char *)lease_id;
	rq.org_id = (char *)org;
	rq.key_hash = (char *)hash;
	rq.want = want > 0 ? want : 1;
	rq.has_want = true;
	rq.need = 1;
	rq.has_need = true;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_LEASE_REQUEST;
	env.lease_request = &rq;
	if (sy_zsend_env(sock, NULL, 0, &env, 0))
		return 2;
	Sy__Envelope *r = await(sock, timeout, SY__ENVELOPE__BODY_LEASE_GRANT, &rc);
	if (!r)
		return rc;
	const Sy__LeaseGrant *g = r->lease_grant;
	emit(json_pack("{s:{s:I,s:b,s:s?}}", "lease", "granted", (json_int_t)g->granted, "refused",
	               g->refused, "reason", g->reason));
	sy_env_free(&r);
	return 0;
}

static int send_batches(void *sock, const char *hash, int64_t cost, int count, int repeat,
                        const char *prefix, int64_t timeout, const struct history *h)
{
	int64_t now = sy_unix_s(), span = (int64_t)h->spread_days * 86400;
	const char *org = h->org;
	char lease_id[64];
	snprintf(lease_id, sizeof(lease_id), "uc-%.40s.1", prefix);
	if (org) {
		int lrc = lease(sock, org, hash, lease_id,
		                cost * count * (h->distinct ? repeat : 1), timeout);
		if (lrc)
			return lrc;
	}
	Sy__UsageRecord *recs = calloc((size_t)count, sizeof(*recs));
	Sy__UsageRecord **ptrs = calloc((size_t)count, sizeof(*ptrs));
	char(*ids)[64] = calloc((size_t)count, sizeof(*ids));
	int rc = 0;
	for (int i = 0; i < count; i++) {
		sy__usage_record__init(&recs[i]);
		snprintf(ids[i], sizeof(ids[i]), "gen-%s-%d", prefix, i);
		recs[i].id = ids[i];
		recs[i].key_hash = (char *)hash;
		recs[i].org_id = (char *)org;
		recs[i].lease_id = org ? lease_id : NULL;
		recs[i].cost = cost;
		recs[i].has_cost = true;
		recs[i].created_at = now - span * i / count;
		recs[i].has_created_at = true;
		recs[i].model = h->n_models ? h->models[i % h->n_models] : "mock/echo";
		recs[i].prompt_tokens = 10;
		recs[i].has_prompt_tokens = true;
		if (h->spread_days || h->n_models) {
			recs[i].provider = "mock";
			recs[i].completion_tokens = 20 + (uint32_t)(i % 50);
			recs[i].has_completion_tokens = true;
			recs[i].status = i % 25 ? 200 : 502;
			recs[i].has_status = true;
			recs[i].error_class = i % 25 ? "" : "http_5xx";
			recs[i].latency_ms = 100 + (uint32_t)(i % 400);
			recs[i].has_latency_ms = true;
		}
		ptrs[i] = &recs[i];
	}
	Sy__UsageBatch batch = SY__USAGE_BATCH__INIT;
	batch.records = ptrs;
	batch.n_records = (size_t)count;
	Sy__Envelope env;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_USAGE_BATCH;
	env.usage_batch = &batch;
	long acked_total = 0;
	bool all_complete = true;
	for (int r = 0; r < repeat && !rc; r++) {
		for (int i = 0; h->distinct && i < count; i++)
			snprintf(ids[i], sizeof(ids[i]), "gen-%s-%d-%d", prefix, r, i);
		if (sy_zsend_env(sock, NULL, 0, &env, 0)) {
			rc = 2;
			break;
		}
		Sy__Envelope *ack = await(sock, timeout, SY__ENVELOPE__BODY_USAGE_ACK, &rc);
		if (!ack)
			break;
		json_t *acked = json_array();
		bool all = ack->usage_ack->n_ids == (size_t)count;
		for (size_t i = 0; i < ack->usage_ack->n_ids; i++) {
			json_array_append_new(acked, json_string(ack->usage_ack->ids[i]));
			all = all && i < (size_t)count && !strcmp(ack->usage_ack->ids[i], ids[i]);
		}
		acked_total += (long)ack->usage_ack->n_ids;
		all_complete = all_complete && all;
		if (h->summary)
			json_decref(acked);
		else
			emit(json_pack("{s:i,s:o,s:b}", "round", r, "acked", acked, "complete",
			               all));
		if (!all)
			rc = 2;
		sy_env_free(&ack);
	}
	if (h->summary)
		emit(json_pack("{s:i,s:I,s:b}", "rounds", repeat, "acked", (json_int_t)acked_total,
		               "complete", all_complete && !rc));
	free(recs);
	free(ptrs);
	free(ids);
	return rc;
}

static int query(void *sock, const char *id, const char *hash, int64_t timeout)
{
	Sy__GenerationQuery q = SY__GENERATION_QUERY__INIT;
	Sy__Envelope env;
	int rc;
	q.request_id = 42;
	q.id = (char *)id;
	q.key_hash = (char *)hash;
	sy_env_init(&env);
	env.body_case = SY__ENVELOPE__BODY_GENERATION_QUERY;
	env.generation_query = &q;
	if (sy_zsend_env(sock, NULL, 0, &env, 0))
		return 2;
	Sy__Envelope *r = await(sock, timeout, SY__ENVELOPE__BODY_GENERATION_REPLY, &rc);
	if (!r)
		return rc;
	const Sy__UsageRecord *rec = r->generation_reply->record;
	if (r->generation_reply->request_id != 42)
		rc = 2;
	emit(json_pack("{s:b,s:o,s:o}", "found", rec != NULL, "id",
	               rec ? json_string(rec->id) : json_null(), "cost",
	               rec ? json_integer(rec->cost) : json_null()));
	sy_env_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"usage", required_argument, NULL, 'e'},  {"key-hash", required_argument, NULL, 'k'},
	    {"cost", required_argument, NULL, 'c'},   {"count", required_argument, NULL, 'n'},
	    {"repeat", required_argument, NULL, 'r'}, {"prefix", required_argument, NULL, 'p'},
	    {"query", required_argument, NULL, 'q'},  {"timeout-ms", required_argument, NULL, 't'},
	    {"org", required_argument, NULL, 'o'},    {"spread-days", required_argument, NULL, 'd'},
	    {"models", required_argument, NULL, 'm'}, {"distinct", no_argument, NULL, 'D'},
	    {"summary", no_argument, NULL, 'u'},      TOOL_CURVE_OPTIONS,
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	struct history h = {0};
	const char *ep = NULL, *hash = NULL, *prefix = "test", *qid = NULL;
	struct tool_curve_args ca = {0};
	struct sy_curve curve = {0};
	int64_t cost = 0, timeout = 5000;
	int count = 1, repeat = 1, opt;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (tool_curve_opt(&ca, opt, optarg))
			continue;
		switch (opt) {
		case 'e':
			ep = optarg;
			break;
		case 'k':
			hash = optarg;
			break;
		case 'c':
			cost = strtoll(optarg, NULL, 10);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'q':
			qid = optarg;
			break;
		case 't':
			timeout = strtoll(optarg, NULL, 10);
			break;
		case 'o':
			h.org = optarg;
			break;
		case 'd':
			h.spread_days = atoi(optarg);
			break;
		case 'm':
			for (char *sv, *m = strtok_r(optarg, ",", &sv); m && h.n_models < 16;
			     m = strtok_r(NULL, ",", &sv))
				h.models[h.n_models++] = m;
			break;
		case 'D':
			h.distinct = true;
			break;
		case 'u':
			h.summary = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ep || !hash || count < 1 || count > 10000 || repeat < 1) {
		usage(stderr);
		return 2;
	}
	if (tool_curve_load("usage_client", &ca, &curve))
		return 2;
	void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_DEALER);
	int rc = 2;
	if (!sy_zsock_setup(sock) && !sy_curve_client(sock, &curve) && !zmq_connect(sock, ep))
		rc = qid ? query(sock, qid, hash, timeout)
		         : send_batches(sock, hash, cost, count, repeat, prefix, timeout, &h);
	zmq_close(sock);
	zmq_ctx_term(ctx);
	return rc;
}
