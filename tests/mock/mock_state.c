/* mock_state.c - counters in small chained hash tables under one mutex. */
#include "mock_state.h"
#include "sy_json.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 256
/* Distinct keys kept per table; a runaway client cannot grow the mock without bound. */
#define MAX_KEYS 65536

struct entry {
	struct entry *next;
	unsigned long n;
	char key[]; /* NUL-terminated */
};

struct table {
	struct entry *bucket[NBUCKETS];
	size_t nkeys;
};

struct mock_state {
	pthread_mutex_t lock;
	struct table requests; /* "<prefix>|<model>" -> chat requests */
	struct table faults;   /* fault key -> faulty requests seen */
	unsigned long total;
	char *last_path, *last_auth, *last_body;
	char *last_version, *last_beta; /* anthropic-version, anthropic-beta */
	size_t last_len;
};

static uint32_t fnv1a(const char *a, const char *b)
{
	uint32_t h = 2166136261u;
	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	h = (h ^ '|') * 16777619u;
	for (; b && *b; b++)
		h = (h ^ (unsigned char)*b) * 16777619u;
	return h;
}

/* Add 1 to the counter of key a[|b] and return its previous value. b may be NULL. */
static unsigned long table_bump(struct table *t, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	uint32_t slot = fnv1a(a, b) % NBUCKETS;
	for (struct entry *e = t->bucket[slot]; e; e = e->next) {
		if (strncmp(e->key, a, la) == 0 &&
		    (b ? e->key[la] == '|' && strcmp(e->key + la + 1, b) == 0 : e->key[la] == '\0'))
			return e->n++;
	}
	if (t->nkeys >= MAX_KEYS)
		return 0;
	struct entry *e = malloc(sizeof(*e) + la + lb + 2);
	if (!e)
		return 0;
	memcpy(e->key, a, la);
	if (b) {
		e->key[la] = '|';
		memcpy(e->key + la + 1, b, lb + 1);
	} else {
		e->key[la] = '\0';
	}
	e->n = 1;
	e->next = t->bucket[slot];
	t->bucket[slot] = e;
	t->nkeys++;
	return 0;
}

static void table_clear(struct table *t)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (t->bucket[i]) {
			struct entry *e = t->bucket[i];
			t->bucket[i] = e->next;
			free(e);
		}
	}
	t->nkeys = 0;
}

struct mock_state *mock_state_new(void)
{
	struct mock_state *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void forget_last(struct mock_state *s)
{
	free(s->last_path);
	free(s->last_auth);
	free(s->last_body);
	free(s->last_version);
	free(s->last_beta);
	s->last_path = s->last_auth = s->last_body = s->last_version = s->last_beta = NULL;
	s->last_len = 0;
}

void mock_state_reset(struct mock_state *s)
{
	pthread_mutex_lock(&s->lock);
	table_clear(&s->requests);
	table_clear(&s->faults);
	s->total = 0;
	forget_last(s);
	pthread_mutex_unlock(&s->lock);
}

void mock_state_free(struct mock_state **sp)
{
	struct mock_state *s = *sp;
	if (!s)
		return;
	mock_state_reset(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
	*sp = NULL;
}

unsigned long mock_state_record(struct mock_state *s, const char *prefix, const char *model,
                                const char *path, const char *auth, const char *body, size_t len)
{
	/* Copy outside the lock; swap inside it. */
	char *p = strdup(path), *a = auth ? strdup(auth) : NULL, *b = malloc(len + 1);
	if (b) {
		memcpy(b, body, len);
		b[len] = '\0';
	}
	pthread_mutex_lock(&s->lock);
	table_bump(&s->requests, prefix, model);
	unsigned long seq = ++s->total;
	forget_last(s);
	s->last_path = p;
	s->last_auth = a;
	s->last_body = b;
	s->last_len = b ? len : 0;
	pthread_mutex_unlock(&s->lock);
	return seq;
}

void mock_state_note_anthropic(struct mock_state *s, const char *version, const char *beta)
{
	char *v = version ? strdup(version) : NULL, *b = beta ? strdup(beta) : NULL;
	pthread_mutex_lock(&s->lock);
	free(s->last_version);
	free(s->last_beta);
	s->last_version = v;
	s->last_beta = b;
	pthread_mutex_unlock(&s->lock);
}

unsigned long mock_state_fault_seq(struct mock_state *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	unsigned long n = table_bump(&s->faults, key, NULL);
	pthread_mutex_unlock(&s->lock);
	return n;
}

char *mock_state_stats_json(struct mock_state *s)
{
	json_t *reqs = json_object(), *prefixes = json_object();
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < NBUCKETS; i++) {
		for (struct entry *e = s->requests.bucket[i]; e; e = e->next) {
			json_object_set_new(reqs, e->key, json_integer((json_int_t)e->n));
			size_t plen = strcspn(e->key, "|");
			json_t *pn = json_object_getn(prefixes, e->key, plen);
			json_int_t sum = json_integer_value(pn) + (json_int_t)e->n;
			json_object_setn_new(prefixes, e->key, plen, json_integer(sum));
		}
	}
	json_int_t total = (json_int_t)s->total;
	pthread_mutex_unlock(&s->lock);
	json_t *root =
	    json_pack("{s:o,s:o,s:I}", "requests", reqs, "prefixes", prefixes, "total", total);
	char *out = sy_json_dump(root);
	json_decref(root);
	return out;
}

char *mock_state_last_json(struct mock_state *s)
{
	json_t *root = json_object();
	pthread_mutex_lock(&s->lock);
	if (s->last_path) {
		json_t *body = s->last_body ? json_loadb(s->last_body, s->last_len, 0, NULL) : NULL;
		if (!body && s->last_body)
			body = json_stringn(s->last_body, s->last_len);
		json_object_set_new(root, "path", json_string(s->last_path));
		json_object_set_new(root, "authorization",
		                    s->last_auth ? json_string(s->last_auth) : json_null());
		json_object_set_new(root, "body", body ? body : json_null());
		if (s->last_version)
			json_object_set_new(root, "anthropic_version",
			                    json_string(s->last_version));
		if (s->last_beta)
			json_object_set_new(root, "anthropic_beta", json_string(s->last_beta));
	}
	pthread_mutex_unlock(&s->lock);
	char *out = sy_json_dump(root);
	json_decref(root);
	return out;
}
