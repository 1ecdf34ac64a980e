/* mock_opts.c - per-request options and fault names. */
#include "mock_opts.h"
#include "sy_err.h"
#include "sy_proc.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_USAGE_TOKENS 10000000
#define MAX_RETRY_AFTER 3600

void mock_opts_init(struct mock_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tokens = MOCK_DEFAULT_TOKENS;
}

/* A whole decimal number in [0, max], digits only (no sign or leading space). */
static int parse_uint(const char *s, int max, int *out)
{
	long long v;
	if (*s < '0' || *s > '9' || !sy_parse_num(s, 0, max, &v))
		return SY_EINVAL;
	*out = (int)v;
	return 0;
}

static bool has_suffix(const char *s, size_t len, const char *suffix, size_t *stem)
{
	size_t n = strlen(suffix);
	if (len < n || memcmp(s + len - n, suffix, n) != 0)
		return false;
	*stem = len - n;
	return true;
}

/* The fault without its -once/-flap mode: s[0..len). */
static int parse_fault_kind(const char *s, size_t len, struct mock_fault *f)
{
	static const struct {
		const char *name;
		enum mock_fault_kind kind;
	} named[] = {
	    {"reset", MOCK_FAULT_RESET},
	    {"no-response", MOCK_FAULT_NO_RESPONSE},
	    {"slow-first-token", MOCK_FAULT_SLOW_FIRST_TOKEN},
	    {"stream-cut", MOCK_FAULT_STREAM_CUT},
	    {"stream-stall", MOCK_FAULT_STREAM_STALL},
	    {"malformed-chunk", MOCK_FAULT_MALFORMED_CHUNK},
	    {"garbage", MOCK_FAULT_GARBAGE},
	    {"missing-done", MOCK_FAULT_MISSING_DONE},
	    {"context-length", MOCK_FAULT_CONTEXT_LENGTH},
	    {"content-filter", MOCK_FAULT_CONTENT_FILTER},
	};
	char buf[64];
	if (len >= sizeof(buf))
		return SY_EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (strcmp(buf, named[i].name) == 0) {
			f->kind = named[i].kind;
			return 0;
		}
	}
	/* "NNN", "429-retry-after", "429-retry-after-N" */
	const char *ra = "429-retry-after";
	size_t ralen = strlen(ra);
	if (strncmp(buf, ra, ralen) == 0) {
		f->kind = MOCK_FAULT_STATUS;
		f->status = 429;
		f->retry_after = 1;
		if (buf[ralen] == '\0')
			return 0;
		if (buf[ralen] != '-' ||
		    parse_uint(buf + ralen + 1, MAX_RETRY_AFTER, &f->retry_after))
			return SY_EINVAL;
		return 0;
	}
	int status;
	if (len != 3 || parse_uint(buf, 599, &status) || status < 400)
		return SY_EINVAL;
	f->kind = MOCK_FAULT_STATUS;
	f->status = status;
	return 0;
}

int mock_fault_parse(const char *s, struct mock_fault *out)
{
	struct mock_fault f = {.kind = MOCK_FAULT_NONE, .mode = MOCK_FAULT_ALWAYS};
	size_t len = strlen(s), stem;
	int rc = 0;
	if (len == 0 || strcmp(s, "none") == 0)
		goto done;
	if (strcmp(s, "flap") == 0) {
		f.kind = MOCK_FAULT_STATUS;
		f.status = 503;
		f.mode = MOCK_FAULT_FLAP;
		goto done;
	}
	if (has_suffix(s, len, "-once", &stem)) {
		f.mode = MOCK_FAULT_ONCE;
		len = stem;
	} else if (has_suffix(s, len, "-flap", &stem)) {
		f.mode = MOCK_FAULT_FLAP;
		len = stem;
	}
	rc = parse_fault_kind(s, len, &f);
done:
	if (rc == 0)
		*out = f;
	return rc;
}

bool mock_fault_fires(const struct mock_fault *f, unsigned long seq)
{
	switch (f->mode) {
	case MOCK_FAULT_ONCE:
		return f->kind != MOCK_FAULT_NONE && seq == 0;
	case MOCK_FAULT_FLAP:
		return f->kind != MOCK_FAULT_NONE && seq % 2 == 0;
	case MOCK_FAULT_ALWAYS:
		break;
	}
	return f->kind != MOCK_FAULT_NONE;
}

int mock_opts_slow_ms(const struct mock_opts *o)
{
	return o->ttft_set ? o->ttft_ms : MOCK_SLOW_FIRST_TOKEN_MS;
}

static bool valid_key(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= MOCK_KEY_MAX)
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/|-") ==
	       n;
}

/* usage=none | usage=cached:N | usage=cache_write:N */
static int set_usage(struct mock_opts *o, const char *v)
{
	if (strcmp(v, "none") == 0) {
		o->usage_none = true;
		return 0;
	}
	if (strncmp(v, "cached:", 7) == 0)
		return parse_uint(v + 7, MAX_USAGE_TOKENS, &o->cached);
	if (strncmp(v, "cache_write:", 12) == 0)
		return parse_uint(v + 12, MAX_USAGE_TOKENS, &o->cache_write);
	return SY_EINVAL;
}

int mock_opts_set(struct mock_opts *o, const char *name, const char *value, char *err,
                  size_t errlen)
{
	int rc;
	if (strcasecmp(name, "latency") == 0) {
		rc = parse_uint(value, MOCK_MAX_DELAY_MS, &o->latency_ms);
	} else if (strcasecmp(name, "ttft") == 0) {
		rc = parse_uint(value, MOCK_MAX_DELAY_MS, &o->ttft_ms);
		o->ttft_set = rc == 0;
	} else if (strcasecmp(name, "tps") == 0) {
		rc = parse_uint(value, MOCK_MAX_TPS, &o->tps);
	} else if (strcasecmp(name, "tokens") == 0) {
		rc = parse_uint(value, MOCK_MAX_TOKENS, &o->tokens);
	} else if (strcasecmp(name, "fault") == 0) {
		rc = mock_fault_parse(value, &o->fault);
	} else if (strcasecmp(name, "usage") == 0) {
		rc = set_usage(o, value);
	} else if (strcasecmp(name, "reasoning") == 0) {
		rc = parse_uint(value, MAX_USAGE_TOKENS, &o->reasoning);
	} else if (strcasecmp(name, "reply") == 0) {
		rc = strcmp(value, "echo") ? SY_EINVAL : 0;
		o->echo = rc == 0;
	} else if (strcasecmp(name, "key") == 0) {
		rc = valid_key(value) ? 0 : SY_EINVAL;
		if (rc == 0)
			snprintf(o->key, sizeof(o->key), "%s", value);
	} else {
		snprintf(err, errlen, "unknown mock option '%.40s'", name);
		return SY_EINVAL;
	}
	if (rc)
		snprintf(err, errlen, "invalid value for mock option '%s': '%.60s'", name, value);
	return rc;
}

int mock_opts_parse_model(struct mock_opts *o, const char *model, size_t *name_len, char *err,
                          size_t errlen)
{
	const char *at = strchr(model, '@');
	*name_len = at ? (size_t)(at - model) : strlen(model);
	if (!at)
		return 0;
	char buf[512];
	if (strlen(at + 1) >= sizeof(buf)) {
		snprintf(err, errlen, "mock options in the model name are too long");
		return SY_EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", at + 1);
	char *save = NULL;
	for (char *opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');
		if (!eq) {
			snprintf(err, errlen, "mock option '%.40s' needs a value (opt=val)", opt);
			return SY_EINVAL;
		}
		*eq = '\0';
		int rc = mock_opts_set(o, opt, eq + 1, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}
