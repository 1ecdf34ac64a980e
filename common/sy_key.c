/* sy_key.c - key material and ids on top of libsodium. */
#include "sy_key.h"
#include "sy_err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int sy_crypto_init(void)
{
	return sodium_init() < 0 ? SY_ECRYPTO : 0;
}

void sy_sha256_hex(const void *data, size_t n, char out[SY_HASH_HEX_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, n);
	sodium_bin2hex(out, SY_HASH_HEX_LEN + 1, h, sizeof(h));
}

void sy_key_generate(const char *prefix, char *out, size_t outlen)
{
	unsigned char r[32];
	char hex[65];
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	snprintf(out, outlen, "%s%s", prefix, hex);
	sodium_memzero(r, sizeof(r));
	sodium_memzero(hex, sizeof(hex));
}

void sy_key_label(const char *key, char *out, size_t outlen)
{
	size_t n = strlen(key);
	const char *dash = strrchr(key, '-');
	size_t head = dash ? (size_t)(dash - key) + 1 : 0;
	if (n < head + 6) {
		snprintf(out, outlen, "%.*s...", (int)head, key);
		return;
	}
	snprintf(out, outlen, "%.*s...%s", (int)(head + 3), key, key + n - 3);
}

bool sy_ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

bool sy_is_hash_hex(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return i == SY_HASH_HEX_LEN;
}

/* Random bytes drawn from libsodium POOL bytes at a time: one getrandom syscall per POOL
 * bytes instead of one or two per request. Each thread has its own pool, and a forked child
 * empties its copy (at_fork), so no two threads or processes hand out the same bytes. */
#define POOL 512
static _Thread_local unsigned char pool[POOL];
static _Thread_local size_t pool_left;

static void at_fork(void)
{
	sodium_memzero(pool, sizeof(pool));
	pool_left = 0;
}

static void register_at_fork(void)
{
	pthread_atfork(NULL, NULL, at_fork);
}

void sy_random_buf(void *out, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	unsigned char *o = out;
	if (n > POOL / 4) { /* large draws go straight to the source */
		randombytes_buf(out, n);
		return;
	}
	pthread_once(&once, register_at_fork);
	if (pool_left < n) {
		randombytes_buf(pool, sizeof(pool));
		pool_left = sizeof(pool);
	}
	memcpy(o, pool + sizeof(pool) - pool_left, n);
	sodium_memzero(pool + sizeof(pool) - pool_left, n);
	pool_left -= n;
}

void sy_random_alnum(char *out, size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	/* bytes >= 248 (4 x 62) are skipped so that every character stays equally likely */
	unsigned char r[32];
	size_t used = sizeof(r);
	for (size_t i = 0; i < n;) {
		if (used == sizeof(r)) {
			sy_random_buf(r, sizeof(r));
			used = 0;
		}
		unsigned char b = r[used++];
		if (b < 4 * (sizeof(set) - 1))
			out[i++] = set[b % (sizeof(set) - 1)];
	}
	out[n] = '\0';
}

void sy_gen_id(long long unix_seconds, char out[SY_GEN_ID_MAX])
{
	/* digits in ascending byte order, so that the prefix sorts as its number does */
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char rnd[21];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long ms = ts.tv_sec == unix_seconds  ? ts.tv_nsec / 1000000
	          : ts.tv_sec > unix_seconds ? 999
	                                     : 0;
	rnd[0] = b62[ms / 62];
	rnd[1] = b62[ms % 62];
	sy_random_alnum(rnd + 2, 18);
	snprintf(out, SY_GEN_ID_MAX, "gen-%lld-%s", unix_seconds, rnd);
}
