/* sy_curve.h - CURVE keys for the ZeroMQ links between the controlplane and the dataplanes.
 *
 * Every key is Z85 text of SY_CURVE_KEY_LEN characters in a file of its own: secret keys are
 * read from files only (never a command-line argument, where `ps` would show them) and are
 * never logged. The controlplane is a CURVE server with its own keypair and a ZAP handler
 * (cp_zap) deciding which client public keys may connect; each dataplane is a client with its
 * own keypair that pins the controlplane's public key. See docs/security.md. */
#ifndef SY_CURVE_H
#define SY_CURVE_H

#include <stdbool.h>

/* Z85 length of a 32-byte CURVE key (the buffers below hold one more byte for the NUL). */
#define SY_CURVE_KEY_LEN 40
/* The ZAP domain the controlplane's server sockets belong to. */
#define SY_CURVE_DOMAIN "switchyard"

/* One side's CURVE configuration; all-zero = CURVE off. */
struct sy_curve {
	bool set;
	char public_key[SY_CURVE_KEY_LEN + 1]; /* own public key, derived from the secret one */
	char secret_key[SY_CURVE_KEY_LEN + 1]; /* own secret key; wiped by sy_curve_clear */
	char server_key[SY_CURVE_KEY_LEN + 1]; /* clients: the controlplane's public key */
};

/* True if s is exactly one Z85-encoded 32-byte key. */
bool sy_curve_key_ok(const char *s);
/* Read a file holding one Z85 key (surrounding whitespace ignored) into out. 0 or SY_EINVAL
 * with *why set; the file's bytes are wiped from memory either way. */
int sy_curve_read_key(const char *path, char out[SY_CURVE_KEY_LEN + 1], const char **why);
/* Load the own secret key from secret_path (deriving the public key) and, when server_path is
 * not NULL, the server's public key. 0 (c->set) or SY_EINVAL with *why set. */
int sy_curve_load(struct sy_curve *c, const char *secret_path, const char *server_path,
                  const char **why);
/* Wipe the keys; c->set becomes false. */
void sy_curve_clear(struct sy_curve *c);
/* Before zmq_bind: make sock a CURVE server in SY_CURVE_DOMAIN. No-op when c is NULL or not
 * set. 0 or -errno. */
int sy_curve_server(void *sock, const struct sy_curve *c);
/* Before zmq_connect: make sock a CURVE client pinned to c->server_key. No-op when c is NULL
 * or not set. 0 or -errno. */
int sy_curve_client(void *sock, const struct sy_curve *c);
/* Write a new keypair to <prefix>.key (mode 0600) and <prefix>.pub unless <prefix>.key exists
 * (then its public key is derived). pub receives the public key, *created whether a new pair
 * was written. 0 or a negative code with *why set. */
int sy_curve_generate(const char *prefix, char pub[SY_CURVE_KEY_LEN + 1], bool *created,
                      const char **why);

#endif
