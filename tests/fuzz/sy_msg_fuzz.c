/* sy_msg_fuzz.c - libFuzzer target: envelopes a worker receives (common/sy_msg.c and the
 * update path of dataplane/dp_sync.c).
 *
 * The input is the last frame of a ZeroMQ message. sy_env_unpack decodes and checks it; an
 * update or snapshot chunk is then applied to a worker's view (dp_view_apply, as dp_sync
 * does) and the view is read back through the lookups the request path uses. A decoded
 * envelope must pack again. */
#include "dp_view.h"
#include "sy_log.h"
#include "sy_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every entity back as the request path would. */
static void read_back(const struct dp_view *v)
{
	for (size_t i = 0; i < dp_view_model_count(v); i++) {
		const Sy__Model *m = dp_view_model_at(v, i);
		if (dp_view_model(v, m->id) == NULL)
			abort(); /* a listed model is found by its id */
		for (size_t e = 0; e < m->n_endpoints; e++)
			(void)dp_view_provider(v, m->endpoints[e]->provider);
	}
	for (size_t i = 0; i < dp_view_provider_count(v); i++)
		if (dp_view_provider(v, dp_view_provider_at(v, i)->slug) == NULL)
			abort();
	(void)dp_view_auto_router(v);
}

static void apply(struct dp_view *v, const Sy__Update *u)
{
	(void)dp_view_apply(v, u);
	(void)dp_view_key(v, "k");
	(void)dp_view_org(v, "o");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		sy_log_set_level_name("error"); /* dropped messages are warnings */
		quiet = true;
	}
	int err = 0;
	Sy__Envelope *env = sy_env_unpack(data, size, &err);
	if (!env) {
		if (err == 0)
			abort();
		return 0;
	}
	size_t len = 0;
	unsigned char *packed = sy_env_pack(env, &len);
	free(packed);
	struct dp_view *v = dp_view_new();
	if (v) {
		if (env->body_case == SY__ENVELOPE__BODY_UPDATE) {
			apply(v, env->update);
		} else if (env->body_case == SY__ENVELOPE__BODY_SNAPSHOT_CHUNK) {
			for (size_t i = 0; i < env->snapshot_chunk->n_items; i++)
				apply(v, env->snapshot_chunk->items[i]);
		}
		read_back(v);
		struct dp_view *c = dp_view_clone(v);
		dp_view_unref(&c);
		dp_view_unref(&v);
	}
	sy_env_free(&env);
	return 0;
}
