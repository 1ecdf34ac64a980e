/* cp_zap.c - ZAP requests answered from the authorized-keys file. */
#include "cp_zap.h"
#include "cp_metrics.h"
#include "cp_zmq.h"
#include "sy_array.h"
#include "sy_clock.h"
#include "sy_curve.h"
#include "sy_err.h"
#include "sy_log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define DRAIN_BUDGET 16
#define ZAP_FRAMES 7 /* version, request id, domain, address, identity, mechanism, credential */

struct cp_zap {
	void *rep;
	char *path;
	struct stat seen; /* the file as last read: re-read when it changes */
	char (*keys)[SY_CURVE_KEY_LEN + 1];
	size_t n, cap;
	int64_t logged_ms; /* when a refusal was last logged */
	uint64_t quiet;    /* refusals since */
};

/* Parse the file into a fresh key list: 0, or SY_EINVAL / -ENOMEM with why filled in (the
 * bad line named) and the old list kept. */
static int load(struct cp_zap *z, char *why, size_t whylen)
{
	FILE *f = fopen(z->path, "r");
	if (!f) {
		snprintf(why, whylen, "%s: %s", z->path, strerror(errno));
		return SY_EINVAL;
	}
	struct stat st;
	char(*keys)[SY_CURVE_KEY_LEN + 1] = NULL, line[512];
	size_t n = 0, cap = 0;
	int rc = 0, lineno = 0;
	fstat(fileno(f), &st);
	while (!rc && fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = line, *e;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '#') /* only whole lines: '#' is also a Z85 digit */
			continue;
		for (e = s; *e && !isspace((unsigned char)*e); e++)
			;
		*e = '\0'; /* what follows the key on its line is its name */
		if (!*s)
			continue;
		void *v = NULL;
		if (!sy_curve_key_ok(s)) {
			snprintf(why, whylen, "%s:%d: not a Z85 public key of 40 characters",
			         z->path, lineno);
			rc = SY_EINVAL;
		} else if (!(v = sy_array_grow(keys, n, &cap, sizeof(*keys), 8))) {
			snprintf(why, whylen, "out of memory");
			rc = -ENOMEM;
		} else {
			keys = v;
			memcpy(keys[n++], s, SY_CURVE_KEY_LEN + 1);
		}
	}
	fclose(f);
	if (rc) {
		free(keys);
		return rc;
	}
	free(z->keys);
	z->keys = keys;
	z->n = n;
	z->cap = cap;
	z->seen = st;
	return 0;
}

/* Re-read the file if it changed since the last read; a bad file keeps the old list. */
static void refresh(struct cp_zap *z)
{
	struct stat st;
	char why[512];
	if (stat(z->path, &st)) {
		sy_warn("zap: %s: %s; keeping the %zu key(s) read before", z->path, strerror(errno),
		        z->n);
		return;
	}
	if (st.st_ino == z->seen.st_ino && st.st_size == z->seen.st_size &&
	    st.st_mtim.tv_sec == z->seen.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == z->seen.st_mtim.tv_nsec)
		return;
	if (load(z, why, sizeof(why)))
		sy_err("zap: %s; keeping the %zu key(s) read before", why, z->n);
	else
		sy_info("zap: %s re-read: %zu authorized key(s)", z->path, z->n);
}

static bool authorized(const struct cp_zap *z, const char *key)
{
	for (size_t i = 0; i < z->n; i++)
		if (!strcmp(z->keys[i], key))
			return true;
	return false;
}

/* Receive the request's frames (at most ZAP_FRAMES kept). The number received, or -1. */
static int recv_request(void *rep, zmq_msg_t *parts)
{
	int n = 0;
	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, rep, n ? 0 : ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return n ? n : -1;
		}
		bool more = zmq_msg_more(&m);
		if (n < ZAP_FRAMES)
			zmq_msg_move(&parts[n], &m);
		zmq_msg_close(&m);
		n++;
		if (!more)
			return n;
	}
}

static void send_reply(void *rep, const zmq_msg_t *reqid, const char *code, const char *text,
                       const char *user)
{
	zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(rep, reqid ? zmq_msg_data((zmq_msg_t *)reqid) : "",
	         reqid ? zmq_msg_size((zmq_msg_t *)reqid) : 0, ZMQ_SNDMORE);
	zmq_send(rep, code, strlen(code), ZMQ_SNDMORE);
	zmq_send(rep, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(rep, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(rep, "", 0, 0);
}

static bool frame_is(zmq_msg_t *m, const char *s)
{
	return zmq_msg_size(m) == strlen(s) && !memcmp(zmq_msg_data(m), s, strlen(s));
}

static void serve(struct cp_zap *z, zmq_msg_t *p, int n)
{
	char key[SY_CURVE_KEY_LEN + 1] = "", addr[64] = "";
	if (n != ZAP_FRAMES || !frame_is(&p[0], "1.0") || !frame_is(&p[5], "CURVE") ||
	    zmq_msg_size(&p[6]) != 32) {
		/* only CURVE server sockets exist in this process, so this is a bug, not a peer */
		sy_err("zap: malformed request of %d frame(s): refused", n);
		send_reply(z->rep, n >= 2 ? &p[1] : NULL, "500", "malformed ZAP request", "");
		return;
	}
	zmq_z85_encode(key, zmq_msg_data(&p[6]), 32);
	snprintf(addr, sizeof(addr), "%.*s", (int)zmq_msg_size(&p[3]), (char *)zmq_msg_data(&p[3]));
	refresh(z);
	if (authorized(z, key)) {
		cp_metrics.zap_accepted++;
		sy_debug("zap: accepted dataplane key %s from %s", key, addr);
		send_reply(z->rep, &p[1], "200", "OK", key);
	} else {
		/* a public key and an address: neither is a secret. A refused client retries
		 * every few hundred ms, so at most one line a second says how many there were. */
		int64_t now = sy_mono_ms();
		cp_metrics.zap_refused++;
		z->quiet++;
		if (now - z->logged_ms >= 1000) {
			sy_warn("zap: refused a connection from %s: key %s is not authorized (%llu "
			        "refusal(s) since the last such line)",
			        addr, key, (unsigned long long)z->quiet);
			z->logged_ms = now;
			z->quiet = 0;
		}
		send_reply(z->rep, &p[1], "400", "key not authorized", "");
	}
}

bool cp_zap_drain(struct cp_zap *z)
{
	for (int i = 0; i < DRAIN_BUDGET; i++) {
		zmq_msg_t parts[ZAP_FRAMES];
		for (int k = 0; k < ZAP_FRAMES; k++)
			zmq_msg_init(&parts[k]);
		int n = recv_request(z->rep, parts);
		if (n > 0)
			serve(z, parts, n);
		for (int k = 0; k < ZAP_FRAMES; k++)
			zmq_msg_close(&parts[k]);
		if (n < 0)
			return false;
	}
	return true;
}

struct cp_zap *cp_zap_new(void *zctx, const char *path, const char **why)
{
	static char err[600];
	struct cp_zap *z = calloc(1, sizeof(*z));
	if (!z || !(z->path = strdup(path))) {
		*why = "out of memory";
		goto fail;
	}
	if (load(z, err, sizeof(err))) {
		*why = err;
		goto fail;
	}
	int linger = 0;
	if (!(z->rep = zmq_socket(zctx, ZMQ_REP)) ||
	    zmq_setsockopt(z->rep, ZMQ_LINGER, &linger, sizeof(linger)) ||
	    zmq_bind(z->rep, ZAP_ENDPOINT)) {
		snprintf(err, sizeof(err), "cannot bind the ZAP handler: %s", zmq_strerror(errno));
		*why = err;
		goto fail;
	}
	return z;
fail:
	cp_zap_free(&z);
	return NULL;
}

void cp_zap_free(struct cp_zap **zp)
{
	struct cp_zap *z = *zp;
	if (!z)
		return;
	if (z->rep)
		zmq_close(z->rep);
	free(z->keys);
	free(z->path);
	free(z);
	*zp = NULL;
}

int cp_zap_fd(const struct cp_zap *z)
{
	return cp_zmq_fd(z->rep);
}

int cp_zap_count(const struct cp_zap *z)
{
	return (int)z->n;
}
