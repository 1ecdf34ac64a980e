/* sy_curve.c - CURVE key files and socket options. */
#include "sy_curve.h"
#include "sy_err.h"
#include "sy_secret.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

bool sy_curve_key_ok(const char *s)
{
	uint8_t bin[32];
	bool ok = strlen(s) == SY_CURVE_KEY_LEN && zmq_z85_decode(bin, s) != NULL;
	sodium_memzero(bin, sizeof(bin));
	return ok;
}

int sy_curve_read_key(const char *path, char out[SY_CURVE_KEY_LEN + 1], const char **why)
{
	char buf[128] = {0};
	if (sy_secret_read_file(path, buf, sizeof(buf))) {
		*why = "cannot read the key file";
		return SY_EINVAL;
	}
	char *s = buf, *e = buf + strlen(buf);
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	int rc = 0;
	if (sy_curve_key_ok(s))
		memcpy(out, s, SY_CURVE_KEY_LEN + 1);
	else {
		*why = "a key file must hold one Z85 key of 40 characters "
		       "(switchyard-controlplane --gen-keys writes them)";
		rc = SY_EINVAL;
	}
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int sy_curve_load(struct sy_curve *c, const char *secret_path, const char *server_path,
                  const char **why)
{
	memset(c, 0, sizeof(*c));
	if (sy_curve_read_key(secret_path, c->secret_key, why))
		return SY_EINVAL;
	if (zmq_curve_public(c->public_key, c->secret_key)) {
		*why = "cannot derive the public key from the secret key";
		goto fail;
	}
	if (server_path && sy_curve_read_key(server_path, c->server_key, why))
		goto fail;
	c->set = true;
	return 0;
fail:
	sy_curve_clear(c);
	return SY_EINVAL;
}

void sy_curve_clear(struct sy_curve *c)
{
	sodium_memzero(c, sizeof(*c));
}

int sy_curve_server(void *sock, const struct sy_curve *c)
{
	int one = 1;
	if (!c || !c->set)
		return 0;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->secret_key, SY_CURVE_KEY_LEN) ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, SY_CURVE_DOMAIN, strlen(SY_CURVE_DOMAIN)))
		return -errno;
	return 0;
}

int sy_curve_client(void *sock, const struct sy_curve *c)
{
	if (!c || !c->set)
		return 0;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, c->server_key, SY_CURVE_KEY_LEN) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->public_key, SY_CURVE_KEY_LEN) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->secret_key, SY_CURVE_KEY_LEN))
		return -errno;
	return 0;
}

/* Write text to path (created with mode, O_EXCL): 0 or -errno. */
static int write_new(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	size_t n = strlen(text);
	int rc = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 ? 0 : -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		unlink(path);
	return rc;
}

int sy_curve_generate(const char *prefix, char pub[SY_CURVE_KEY_LEN + 1], bool *created,
                      const char **why)
{
	char kpath[4096], ppath[4096], sec[SY_CURVE_KEY_LEN + 1], line[SY_CURVE_KEY_LEN + 8];
	int rc = 0;
	*created = false;
	if ((size_t)snprintf(kpath, sizeof(kpath), "%s.key", prefix) >= sizeof(kpath) ||
	    (size_t)snprintf(ppath, sizeof(ppath), "%s.pub", prefix) >= sizeof(ppath)) {
		*why = "key file name too long";
		return SY_EINVAL;
	}
	if (access(kpath, F_OK) == 0) { /* keep an existing pair: its public key is known */
		if ((rc = sy_curve_read_key(kpath, sec, why)))
			return rc;
		rc = zmq_curve_public(pub, sec) ? SY_EINVAL : 0;
		if (rc)
			*why = "cannot derive the public key of an existing secret key";
		sodium_memzero(sec, sizeof(sec));
		return rc;
	}
	if (zmq_curve_keypair(pub, sec)) {
		*why = "zmq_curve_keypair failed (libzmq without CURVE support?)";
		return SY_ECRYPTO;
	}
	snprintf(line, sizeof(line), "%s\n", sec);
	rc = write_new(kpath, line, 0600);
	sodium_memzero(sec, sizeof(sec));
	sodium_memzero(line, sizeof(line));
	if (rc) {
		*why = "cannot write the secret key file";
		return rc;
	}
	snprintf(line, sizeof(line), "%s\n", pub);
	if (unlink(ppath) && errno != ENOENT)
		rc = -errno;
	if (rc || (rc = write_new(ppath, line, 0644))) {
		*why = "cannot write the public key file";
		unlink(kpath);
		return rc;
	}
	*created = true;
	return 0;
}
