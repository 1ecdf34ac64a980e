/* dp_auth.c - bearer key -> SHA-256 -> view lookup -> constant-time compare -> policy. */
#include "dp_auth.h"
#include "dp_view.h"
#include "sy_err.h"
#include "sy_key.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

static int refuse(struct dp_auth *res, const char *why)
{
	res->error = why;
	return SY_EFORBIDDEN;
}

/* The token of "Bearer <token>" (scheme case-insensitive, surrounding blanks ignored) into
 * tok; false when the header has another shape. */
static bool bearer_token(const char *h, char *tok, size_t toklen)
{
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return false;
	h += 6;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strcspn(h, " \t");
	const char *rest = h + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (n == 0 || n >= toklen || *rest)
		return false;
	memcpy(tok, h, n);
	tok[n] = '\0';
	return true;
}

int dp_auth_check(const struct dp_view *v, const char *authorization, int64_t now, bool allow_mgmt,
                  struct dp_auth *res)
{
	char tok[256], hash[SY_HASH_HEX_LEN + 1];
	int rc;

	memset(res, 0, sizeof(*res));
	if (!authorization || !*authorization)
		return refuse(res, "Missing Authorization header: send 'Authorization: Bearer "
		                   "<API key>'");
	if (!bearer_token(authorization, tok, sizeof(tok)))
		return refuse(res, "Malformed Authorization header: expected 'Bearer <API key>'");
	sy_sha256_hex(tok, strlen(tok), hash);
	sodium_memzero(tok, sizeof(tok));

	const Sy__ApiKey *k = dp_view_key(v, hash);
	if (k && sy_ct_streq(k->hash, hash)) {
		if (k->disabled) {
			rc = refuse(res, "API key is disabled");
			goto out;
		}
		if (k->has_expires_at && k->expires_at <= now) {
			rc = refuse(res, "API key has expired");
			goto out;
		}
		res->org = dp_view_org(v, k->org_id);
		if (!res->org) {
			rc = refuse(res, "API key's organization does not exist");
			goto out;
		}
		res->key = k;
		rc = 0;
		goto out;
	}
	const Sy__MgmtKey *mk = dp_view_mkey(v, hash);
	if (mk && sy_ct_streq(mk->hash, hash)) {
		if (!allow_mgmt) {
			rc = refuse(res, "Management keys cannot be used for this endpoint: use an "
			                 "inference API key");
			goto out;
		}
		res->mkey = mk;
		res->org = mk->org_id ? dp_view_org(v, mk->org_id) : NULL;
		rc = 0;
		goto out;
	}
	rc = refuse(res, "Invalid API key: no such key");
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}
