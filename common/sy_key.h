/* sy_key.h - API keys, their hashes and generation ids.
 *
 * An API key is "sk-sy-v1-" followed by 64 lowercase hex characters. Only its SHA-256 (hex)
 * is ever stored; the plaintext exists once, in the response that created it. */
#ifndef SY_KEY_H
#define SY_KEY_H

#include <stdbool.h>
#include <stddef.h>

#define SY_KEY_PREFIX "sk-sy-v1-"
#define SY_KEY_LEN (sizeof(SY_KEY_PREFIX) - 1 + 64)
#define SY_MKEY_PREFIX "sk-sy-mgmt-v1-"
#define SY_HASH_HEX_LEN 64
#define SY_GEN_ID_MAX 48

/* Initialise libsodium; call once at process start. 0 or SY_ECRYPTO. */
int sy_crypto_init(void);
/* Hex SHA-256 of n bytes into out (65 bytes incl. NUL). */
void sy_sha256_hex(const void *data, size_t n, char out[SY_HASH_HEX_LEN + 1]);
/* A fresh random key with the given prefix (SY_KEY_PREFIX or SY_MKEY_PREFIX) into out. */
void sy_key_generate(const char *prefix, char *out, size_t outlen);
/* OpenRouter-style display label "sk-sy-v1-abc...123" of a plaintext key. */
void sy_key_label(const char *key, char *out, size_t outlen);
/* Constant-time equality of two NUL-terminated strings of the same length. */
bool sy_ct_streq(const char *a, const char *b);
/* True if s is exactly 64 lowercase hex characters. */
bool sy_is_hash_hex(const char *s);
/* "gen-<unix seconds>-<20 alphanumerics>" into out (SY_GEN_ID_MAX bytes). The first two
 * alphanumerics are the millisecond within that second in base 62 ("0-9A-Za-z", which sorts
 * as it counts), the other 18 random (107 bits): ids sort by time, so the controlplane's
 * stores, keyed by id, take each batch of records at one end instead of all over their
 * pages. */
void sy_gen_id(long long unix_seconds, char out[SY_GEN_ID_MAX]);
/* Random lowercase alphanumerics, n characters plus NUL into out. */
void sy_random_alnum(char *out, size_t n);
/* n random bytes (libsodium's, pooled per thread: for ids and draws on the request path;
 * keys use randombytes_buf). */
void sy_random_buf(void *out, size_t n);

#endif
