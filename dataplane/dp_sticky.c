/* dp_sticky.c - weighted rendezvous hashing: score = -ln(u) / w with u uniform in (0, 1)
 * from a keyed hash of (session, model, provider) and w = 1/price^2, so over sessions the
 * endpoint with the lowest score wins with probability w / sum(w) (an exponential race).
 * The hash is libsodium's keyed BLAKE2b (crypto_generichash) under a fixed key: every worker
 * must get the same value for the same session. */
#include "dp_sticky.h"

#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

/* Fixed: sessions must map the same way on every worker and across restarts. */
static const unsigned char sticky_key[crypto_generichash_KEYBYTES_MIN] = "sy-sticky-v1-key";

double dp_sticky_score(const char *session_id, const char *model_id, const char *provider,
                       sy_money per_token)
{
	static const unsigned char sep = 0x1f;
	const char *parts[] = {session_id, model_id, provider};
	crypto_generichash_state st;
	unsigned char out[8];
	crypto_generichash_init(&st, sticky_key, sizeof(sticky_key), sizeof(out));
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		crypto_generichash_update(&st, (const unsigned char *)parts[i], strlen(parts[i]));
		crypto_generichash_update(&st, &sep, 1);
	}
	crypto_generichash_final(&st, out, sizeof(out));
	uint64_t h;
	memcpy(&h, out, sizeof(h));
	double u = ((double)(h >> 11) + 0.5) * 0x1.0p-53; /* (0, 1) */
	double e = -log(u);                               /* exponential(1), > 0 */
	if (per_token <= 0)
		return -1.0 /
		       e; /* free endpoints beat every priced one (scores >= 0), in hash order */
	double p = (double)per_token;
	return e * p * p; /* e / w with w = 1/p^2 */
}
