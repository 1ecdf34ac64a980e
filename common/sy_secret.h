/* sy_secret.h - provider credentials encrypted at rest under a key-encryption key (KEK).
 *
 * The KEK is 32 bytes given as 64 hex characters in SWITCHYARD_KEK or in a file; it is never
 * stored beside the data. Ciphertext = 24-byte nonce || XChaCha20-Poly1305 output, with the
 * provider slug as associated data so a ciphertext cannot be moved to another provider. */
#ifndef SY_SECRET_H
#define SY_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SY_KEK_BYTES 32

struct sy_kek {
	bool set;
	unsigned char key[SY_KEK_BYTES];
};

/* Read a small secret file (a key) into buf: at most n - 1 bytes, NUL-terminated. 0 or -errno.
 * The caller wipes buf after use. */
int sy_secret_read_file(const char *path, char *buf, size_t n);
/* Load from file (if path non-NULL) else from $SWITCHYARD_KEK. Neither present: kek->set is
 * false and 0 is returned. Malformed: SY_EINVAL with *why set. */
int sy_kek_load(struct sy_kek *kek, const char *path, const char **why);
/* Parse 64 hex chars (surrounding whitespace ignored). */
int sy_kek_from_hex(struct sy_kek *kek, const char *hex);
/* Wipe the key. */
void sy_kek_clear(struct sy_kek *kek);

/* Encrypt; *out is malloc'ed, *outlen set. 0, SY_ENOKEK or -ENOMEM. */
int sy_secret_seal(const struct sy_kek *kek, const char *ad, const char *plain, unsigned char **out,
                   size_t *outlen);
/* Decrypt into a malloc'ed NUL-terminated string. 0, SY_ENOKEK, SY_ECRYPTO or -ENOMEM. */
int sy_secret_open(const struct sy_kek *kek, const char *ad, const unsigned char *in, size_t inlen,
                   char **plain);

#endif
