/* cp_auth.c - management key lookup, scoping and the bootstrap admin key. */
#include "cp_auth.h"
#include "sy_clock.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MKEY_LEN (sizeof(SY_MKEY_PREFIX) - 1 + SY_HASH_HEX_LEN)

bool cp_auth_key_format(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(s, prefix, n) && sy_is_hash_hex(s + n);
}

int cp_auth_lookup(struct cp_txn *t, const char *authorization, Sy__MgmtKey **out)
{
	static const char bearer[] = "Bearer ";
	if (!authorization || strncasecmp(authorization, bearer, sizeof(bearer) - 1))
		return SY_ENOTFOUND;
	const char *key = authorization + sizeof(bearer) - 1;
	while (*key == ' ')
		key++;
	if (!cp_auth_key_format(key, SY_MKEY_PREFIX))
		return SY_ENOTFOUND;
	char hash[SY_HASH_HEX_LEN + 1];
	sy_sha256_hex(key, strlen(key), hash);
	ProtobufCMessage *m = NULL;
	int rc = cp_store_get(t, CP_MKEY, hash, &m);
	if (rc)
		return rc == SY_ENOTFOUND ? SY_ENOTFOUND : rc;
	Sy__MgmtKey *k = (Sy__MgmtKey *)m;
	if (!sy_ct_streq(k->hash, hash)) {
		cp_entity_free(&m);
		return SY_ENOTFOUND;
	}
	*out = k;
	return 0;
}

bool cp_auth_is_global(const Sy__MgmtKey *k)
{
	return !k->org_id || !*k->org_id;
}

bool cp_auth_may_access(const Sy__MgmtKey *k, const char *org_id)
{
	return cp_auth_is_global(k) || (org_id && !strcmp(k->org_id, org_id));
}

Sy__MgmtKey *cp_auth_mkey_new(const char *plain, const char *name, const char *org_id, int64_t now)
{
	Sy__MgmtKey *k = (Sy__MgmtKey *)cp_entity_new(CP_MKEY);
	char label[64];
	if (!k)
		return NULL;
	k->hash = malloc(SY_HASH_HEX_LEN + 1);
	sy_key_label(plain, label, sizeof(label));
	k->label = strdup(label);
	k->name = strdup(name);
	k->org_id = org_id ? strdup(org_id) : NULL;
	if (!k->hash || !k->label || !k->name || (org_id && !k->org_id)) {
		ProtobufCMessage *m = &k->base;
		cp_entity_free(&m);
		return NULL;
	}
	sy_sha256_hex(plain, strlen(plain), k->hash);
	k->created_at = now;
	k->has_created_at = true;
	return k;
}

static int put_mkey(struct cp_txn *t, const char *plain, const char *name)
{
	Sy__MgmtKey *k = cp_auth_mkey_new(plain, name, NULL, sy_unix_s());
	if (!k)
		return -ENOMEM;
	ProtobufCMessage *m = &k->base;
	int rc = cp_store_put(t, CP_MKEY, m);
	cp_entity_free(&m);
	return rc;
}

static int stop_at_first(const ProtobufCMessage *m, void *arg)
{
	return 1;
}

static int write_key_file(const char *path, const char *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	size_t n = strlen(key);
	if (fchmod(fd, 0600) || write(fd, key, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
	    fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* SWITCHYARD_ADMIN_KEY: add its hash as a global key unless present. */
static int bootstrap_env(struct cp_txn *t, const char *env_key, const char **why)
{
	char hash[SY_HASH_HEX_LEN + 1];
	sy_sha256_hex(env_key, strlen(env_key), hash);
	if (cp_store_has(t, CP_MKEY, hash))
		return 0;
	int rc = put_mkey(t, env_key, "bootstrap (SWITCHYARD_ADMIN_KEY)");
	if (rc)
		*why = "cannot store the bootstrap management key";
	else
		sy_info("installed SWITCHYARD_ADMIN_KEY as a global management key");
	return rc;
}

/* No key configured: on a store without management keys, generate one into admin.key. */
static int bootstrap_file(struct cp_txn *t, const char *data_dir, const char **why)
{
	int rc = cp_store_each(t, CP_MKEY, stop_at_first, NULL);
	if (rc == 1)
		return 0;
	if (rc) {
		*why = "cannot read management keys";
		return rc;
	}
	char key[MKEY_LEN + 1], path[4096];
	sy_key_generate(SY_MKEY_PREFIX, key, sizeof(key));
	snprintf(path, sizeof(path), "%s/admin.key", data_dir);
	if ((rc = write_key_file(path, key)))
		*why = "cannot write <data-dir>/admin.key";
	else if ((rc = put_mkey(t, key, "bootstrap (admin.key)")))
		*why = "cannot store the bootstrap management key";
	else
		sy_info("generated a global management key; it is in %s (mode 0600)", path);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int cp_auth_bootstrap(struct cp_store *s, const char *data_dir, const char *env_key,
                      const char **why)
{
	struct cp_txn *t = cp_store_begin(s, true);
	if (!t) {
		*why = "cannot open a store transaction";
		return SY_ESTORE;
	}
	int rc = env_key ? bootstrap_env(t, env_key, why) : bootstrap_file(t, data_dir, why);
	if (rc) {
		cp_store_abort(&t);
		return rc;
	}
	if ((rc = cp_store_commit(&t)))
		*why = "cannot commit the bootstrap management key";
	return rc;
}
