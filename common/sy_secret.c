/* sy_secret.c - AEAD sealing of provider credentials. */
#include "sy_secret.h"
#include "sy_err.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

int sy_kek_from_hex(struct sy_kek *kek, const char *hex)
{
	char tmp[160];
	size_t n = 0;
	for (const char *p = hex; *p && n < sizeof(tmp) - 1; p++)
		if (!isspace((unsigned char)*p))
			tmp[n++] = *p;
	tmp[n] = '\0';
	size_t got = 0;
	if (n != SY_KEK_BYTES * 2 ||
	    sodium_hex2bin(kek->key, SY_KEK_BYTES, tmp, n, NULL, &got, NULL) != 0 ||
	    got != SY_KEK_BYTES) {
		sodium_memzero(tmp, sizeof(tmp));
		return SY_EINVAL;
	}
	sodium_memzero(tmp, sizeof(tmp));
	kek->set = true;
	return 0;
}

int sy_secret_read_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	size_t got = fread(buf, 1, n - 1, f);
	int rc = ferror(f) ? -EIO : 0;
	fclose(f);
	buf[got] = '\0';
	return rc;
}

int sy_kek_load(struct sy_kek *kek, const char *path, const char **why)
{
	kek->set = false;
	if (path) {
		char buf[160] = {0};
		if (sy_secret_read_file(path, buf, sizeof(buf))) {
			*why = "cannot open --kek-file";
			return SY_EINVAL;
		}
		int rc = sy_kek_from_hex(kek, buf);
		sodium_memzero(buf, sizeof(buf));
		if (rc)
			*why = "--kek-file must hold 64 hex characters (32 bytes)";
		return rc;
	}
	const char *env = getenv("SWITCHYARD_KEK");
	if (!env || !*env)
		return 0;
	int rc = sy_kek_from_hex(kek, env);
	if (rc)
		*why = "SWITCHYARD_KEK must be 64 hex characters (32 bytes)";
	return rc;
}

void sy_kek_clear(struct sy_kek *kek)
{
	sodium_memzero(kek->key, sizeof(kek->key));
	kek->set = false;
}

int sy_secret_seal(const struct sy_kek *kek, const char *ad, const char *plain, unsigned char **out,
                   size_t *outlen)
{
	if (!kek->set)
		return SY_ENOKEK;
	size_t pl = strlen(plain);
	unsigned char *c = malloc(NONCE + pl + TAG);
	if (!c)
		return -ENOMEM;
	randombytes_buf(c, NONCE);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(c + NONCE, &clen, (const unsigned char *)plain,
	                                           pl, (const unsigned char *)ad, strlen(ad), NULL,
	                                           c, kek->key);
	*out = c;
	*outlen = NONCE + (size_t)clen;
	return 0;
}

int sy_secret_open(const struct sy_kek *kek, const char *ad, const unsigned char *in, size_t inlen,
                   char **plain)
{
	if (!kek->set)
		return SY_ENOKEK;
	if (inlen < NONCE + TAG)
		return SY_ECRYPTO;
	char *p = malloc(inlen - NONCE - TAG + 1);
	if (!p)
		return -ENOMEM;
	unsigned long long plen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)p, &plen, NULL, in + NONCE,
	                                               inlen - NONCE, (const unsigned char *)ad,
	                                               strlen(ad), in, kek->key) != 0) {
		free(p);
		return SY_ECRYPTO;
	}
	p[plen] = '\0';
	*plain = p;
	return 0;
}
