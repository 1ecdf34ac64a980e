/* dp_failover.c - what to do after an upstream attempt failed (see dp_failover.h). */
#include "dp_failover.h"

/* Worth another target: everything but the request's own fault and the gateway's stops. */
static bool retryable(enum sy_fail c)
{
	return c != SY_FAIL_CLIENT_ERROR && c != SY_FAIL_CONTEXT_LENGTH && c != SY_FAIL_CANCELLED &&
	       c != SY_FAIL_SHUTDOWN;
}

/* Failed fast, without waiting for a deadline: one more try of the same endpoint is cheap. */
static bool quick(enum sy_fail c)
{
	switch (c) {
	case SY_FAIL_CONNECT:
	case SY_FAIL_RESET:
	case SY_FAIL_HTTP_4XX:
	case SY_FAIL_HTTP_5XX:
	case SY_FAIL_INVALID_RESPONSE:
	case SY_FAIL_MALFORMED_CHUNK:
	case SY_FAIL_STREAM_CUT:
	case SY_FAIL_UPSTREAM_ERROR:
		return true;
	default:
		return false;
	}
}

/* A one-off error that an immediate retry usually clears. */
static bool transient(const struct dp_failover_outcome *o)
{
	if (o->cls == SY_FAIL_HTTP_5XX)
		return o->status == 500 || o->status == 502;
	return o->cls == SY_FAIL_RESET && o->status == 0;
}

enum sy_fail dp_failover_class_of_status(long status, enum dp_adapter_fault fault, bool byok)
{
	switch (fault) {
	case DP_FAULT_RATE_LIMITED:
		return SY_FAIL_RATE_LIMITED;
	case DP_FAULT_CLIENT:
		return SY_FAIL_CLIENT_ERROR;
	case DP_FAULT_CONTEXT_LENGTH:
		return SY_FAIL_CONTEXT_LENGTH;
	default:
		break;
	}
	if ((status == 401 || status == 403) && byok)
		return SY_FAIL_BYOK_AUTH;
	if (fault == DP_FAULT_CREDENTIAL)
		return SY_FAIL_PROVIDER_AUTH;
	return status >= 500 ? SY_FAIL_HTTP_5XX : SY_FAIL_HTTP_4XX;
}

enum sy_fail dp_failover_class_of_result(enum dp_upstream_result r)
{
	switch (r) {
	case DP_UPSTREAM_CONNECT:
		return SY_FAIL_CONNECT;
	case DP_UPSTREAM_TIMEOUT_FIRST_BYTE:
	case DP_UPSTREAM_TIMEOUT_TOTAL:
		return SY_FAIL_TIMEOUT;
	case DP_UPSTREAM_TIMEOUT_IDLE:
		return SY_FAIL_IDLE_TIMEOUT;
	case DP_UPSTREAM_RESET:
		return SY_FAIL_RESET;
	case DP_UPSTREAM_REFUSED: /* the operator's configuration, not the provider's health */
		return SY_FAIL_CONFIG;
	default:
		return SY_FAIL_UPSTREAM_ERROR;
	}
}

uint32_t dp_failover_time_left(const struct dp_failover_budget *b, int64_t elapsed_ms)
{
	if (!b->time_ms)
		return UINT32_MAX;
	return elapsed_ms < (int64_t)b->time_ms ? (uint32_t)(b->time_ms - elapsed_ms) : 0;
}

bool dp_failover_within_budget(const struct dp_failover_budget *b,
                               const struct dp_failover_state *s)
{
	if (b->max_attempts && s->attempts >= b->max_attempts)
		return false;
	return dp_failover_time_left(b, s->elapsed_ms) > 0;
}

struct dp_failover_decision dp_failover_decide(const struct dp_failover_budget *b,
                                               const struct dp_failover_outcome *o,
                                               const struct dp_failover_state *s)
{
	struct dp_failover_decision d = {.next = DP_FAILOVER_GIVE_UP};
	if (o->cls == SY_FAIL_CONTEXT_LENGTH) {
		if (s->longer_model_left && dp_failover_within_budget(b, s))
			d.next = DP_FAILOVER_NEXT_MODEL;
		return d;
	}
	if (!retryable(o->cls) || !dp_failover_within_budget(b, s))
		return d;
	if (o->cls == SY_FAIL_RATE_LIMITED && o->retry_after_ms >= 0 && !s->retried_same &&
	    !s->endpoint_left && o->retry_after_ms <= b->retry_after_max_ms &&
	    o->retry_after_ms < dp_failover_time_left(b, s->elapsed_ms)) {
		d.next = DP_FAILOVER_RETRY_SAME;
		d.wait_ms = (uint32_t)o->retry_after_ms;
		d.why = DP_FAILOVER_WHY_RETRY_AFTER;
		return d;
	}
	if (transient(o) && !s->retried_same) {
		d.next = DP_FAILOVER_RETRY_SAME;
		d.why = DP_FAILOVER_WHY_TRANSIENT;
		return d;
	}
	if (s->target_left) {
		d.next = DP_FAILOVER_NEXT_ENDPOINT;
		return d;
	}
	if (quick(o->cls) && !s->retried_same) {
		d.next = DP_FAILOVER_RETRY_SAME;
		d.why = DP_FAILOVER_WHY_LAST_RESORT;
	}
	return d;
}

bool dp_failover_skip_garbage(struct dp_failover_garbage *g, uint32_t run_max)
{
	g->total++;
	return ++g->run < (run_max ? run_max : 1);
}
