/* cp_validate.c - one check per field, each failure naming its field. */
#include "cp_validate.h"
#include "sy_cidr.h"
#include "sy_err.h"
#include "sy_key.h"
#include "sy_key.h"
#include "sy_money.h"
#include "sy_msg.h"
#include "sy_prefs.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	F_REQUIRED = 1,
	F_NULLABLE = 2
};

#define USD_MAX 1.0e8       /* largest key limit accepted, USD */
#define COUNT_MAX 100000000 /* context lengths, token caps */
#define RATE_MAX 10000000   /* rpm / rpd */
#define TPM_MAX 1000000000  /* tpm */
#define TIMEOUT_MAX 3600000 /* provider timeouts, ms */
#define URL_MAX 512
#define SECRET_MAX 4096
#define TEXT_MAX 8192
#define LIST_MAX 64
#define ENDPOINTS_MAX 64
#define RULES_MAX 64    /* auto-router rules */
#define KEYWORD_MAX 128 /* characters of one auto-router keyword */
#define AUTO_TARGET "a model id (\"author/slug\"), not the auto router itself"

static const char *const adapters[] = {"openai", "anthropic", "gemini", NULL};
static const char *const collection[] = {"allow", "deny", NULL};
static const char *const resets[] = {"daily", "weekly", "monthly", NULL};
static const char *const billings[] = {"prepaid", "postpaid", NULL};
static const char *const modalities[] = {"text", "image", "audio", "video", "file", NULL};
/* embeddings models (POST /embeddings) output "embeddings" and nothing else */
static const char *const outputs[] = {"text", "image",      "audio", "video",
                                      "file", "embeddings", NULL};
/* OpenRouter's use-case categories (GET /models?category=) */
static const char *const categories[] = {
    "programming", "roleplay", "marketing", "marketing/seo", "technology", "science", "translation",
    "legal",       "finance",  "health",    "trivia",        "academia",   NULL};
static const char *const quantizations[] = {"int4", "int8", "fp4",  "fp6",     "fp8",
                                            "fp16", "bf16", "fp32", "unknown", NULL};
static const char *const timeouts[] = {"connect_timeout_ms", "first_byte_timeout_ms",
                                       "idle_timeout_ms", "total_timeout_ms", NULL};

static int vset(struct cp_verr *e, const char *field, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int vset(struct cp_verr *e, const char *field, const char *fmt, va_list ap)
{
	char why[256];
	vsnprintf(why, sizeof(why), fmt, ap);
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->message, sizeof(e->message), "%s: %s", field, why);
	return SY_EINVAL;
}

int cp_verr_set(struct cp_verr *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vset(e, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* Fail on the field prefix + name (prefix e.g. "endpoints[0]."). */
static int fail(struct cp_verr *e, const char *pre, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct cp_verr *e, const char *pre, const char *name, const char *fmt, ...)
{
	char field[128];
	snprintf(field, sizeof(field), "%s%s", pre, name);
	va_list ap;
	va_start(ap, fmt);
	int rc = vset(e, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* 1 with *out set when present and not null; 0 when absent or an allowed null; SY_EINVAL. */
static int lookup(const json_t *obj, const char *pre, const char *name, unsigned flags,
                  struct cp_verr *e, const json_t **out)
{
	const json_t *v = json_object_get(obj, name);
	if (!v || (json_is_null(v) && (flags & F_REQUIRED)))
		return (flags & F_REQUIRED) ? fail(e, pre, name, "is required") : 0;
	if (json_is_null(v))
		return (flags & F_NULLABLE) ? 0 : fail(e, pre, name, "must not be null");
	*out = v;
	return 1;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int check_str(const json_t *obj, const char *pre, const char *name, unsigned flags,
                     size_t maxlen, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, pre, name, flags, e, &v);
	if (rc <= 0)
		return rc;
	if (!json_is_string(v))
		return fail(e, pre, name, "must be a string");
	size_t n = json_string_length(v);
	if (n == 0 || n > maxlen)
		return fail(e, pre, name, "must be 1 to %zu characters", maxlen);
	if (strlen(json_string_value(v)) != n || !printable(json_string_value(v)))
		return fail(e, pre, name, "must not contain control characters");
	return 0;
}

/* A string matching pred; what says what it must look like. */
static int check_syntax(const json_t *obj, const char *pre, const char *name, unsigned flags,
                        bool (*pred)(const char *), const char *what, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, pre, name, flags, e, &v);
	if (rc <= 0)
		return rc;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    !pred(json_string_value(v)))
		return fail(e, pre, name, "must be %s", what);
	return 0;
}

static int check_bool(const json_t *obj, const char *pre, const char *name, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, pre, name, 0, e, &v);
	if (rc <= 0)
		return rc;
	return json_is_boolean(v) ? 0 : fail(e, pre, name, "must be true or false");
}

static int check_uint(const json_t *obj, const char *pre, const char *name, unsigned flags,
                      json_int_t min, json_int_t max, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, pre, name, flags, e, &v);
	if (rc <= 0)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(e, pre, name, "must be an integer from %lld to %lld", (long long)min,
		            (long long)max);
	return 0;
}

static int check_enum(const json_t *obj, const char *pre, const char *name, unsigned flags,
                      const char *const *values, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, pre, name, flags, e, &v);
	if (rc <= 0)
		return rc;
	for (size_t i = 0; json_is_string(v) && values[i]; i++)
		if (!strcmp(json_string_value(v), values[i]))
			return 0;
	char list[256] = "";
	for (size_t i = 0; values[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
		         i ? ", " : "", values[i]);
	return fail(e, pre, name, "must be one of %s%s", list,
	            (flags & F_NULLABLE) ? " or null" : "");
}

/* A USD amount (JSON number, not negative), or null. */
static int check_usd(const json_t *obj, const char *name, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, "", name, F_NULLABLE, e, &v);
	if (rc <= 0)
		return rc;
	sy_money m;
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > USD_MAX ||
	    sy_money_from_usd(json_number_value(v), &m))
		return fail(e, "", name, "must be a USD amount from 0 to %.0f, or null", USD_MAX);
	return 0;
}

/* An ISO-8601 time after now, or null. */
static int check_future(const json_t *obj, const char *name, int64_t now, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, "", name, F_NULLABLE, e, &v);
	if (rc <= 0)
		return rc;
	int64_t t;
	if (!json_is_string(v) || cp_parse_time(json_string_value(v), &t))
		return fail(
		    e, "", name,
		    "must be an ISO-8601 UTC time such as \"2030-01-31T00:00:00Z\", or null");
	if (t <= now)
		return fail(e, "", name, "must lie in the future");
	return 0;
}

/* A price: decimal string, USD per token, not negative, at most 10 decimals. */
static int check_price(const json_t *obj, const char *pre, const char *name, unsigned flags,
                       struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, pre, name, flags, e, &v);
	if (rc <= 0)
		return rc;
	sy_money m;
	if (!json_is_string(v) || json_string_length(v) > 32 ||
	    sy_money_parse(json_string_value(v), &m) || m < 0)
		return fail(e, pre, name,
		            "must be a non-negative decimal string in USD per token, e.g. "
		            "\"0.000002\"");
	return 0;
}

static bool param_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 64)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static const char *known_list(const char *const known[]);

/* An array of distinct strings, each from values (or a parameter name when values is NULL). */
static int check_str_array(const json_t *obj, const char *pre, const char *name,
                           const char *const *values, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, pre, name, 0, e, &v);
	if (rc <= 0)
		return rc;
	if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
		return fail(e, pre, name, "must be an array of at most %d strings", LIST_MAX);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *it = json_array_get(v, i);
		char item[64];
		snprintf(item, sizeof(item), "%s[%zu]", name, i);
		bool ok =
		    json_is_string(it) && strlen(json_string_value(it)) == json_string_length(it);
		if (ok && values) {
			ok = false;
			for (size_t k = 0; values[k] && !ok; k++)
				ok = !strcmp(json_string_value(it), values[k]);
		} else if (ok) {
			ok = param_name(json_string_value(it));
		}
		if (!ok && values)
			return fail(e, pre, item, "must be a known value (%s)", known_list(values));
		if (!ok)
			return fail(e, pre, item,
			            "must be a parameter name (lowercase letters, digits, _)");
		for (size_t k = 0; k < i; k++)
			if (json_equal(json_array_get(v, k), it))
				return fail(e, pre, item, "is listed twice");
	}
	return 0;
}

/* An array (or null: no restriction) of at most LIST_MAX distinct strings matching pred. */
static int check_list(const json_t *obj, const char *name, bool (*pred)(const char *),
                      const char *what, struct cp_verr *e)
{
	const json_t *v;
	int rc = lookup(obj, "", name, F_NULLABLE, e, &v);
	if (rc <= 0)
		return rc;
	if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
		return fail(e, "", name, "must be an array of at most %d strings, or null",
		            LIST_MAX);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *it = json_array_get(v, i);
		char item[64];
		snprintf(item, sizeof(item), "%s[%zu]", name, i);
		if (!json_is_string(it) ||
		    strlen(json_string_value(it)) != json_string_length(it) ||
		    !pred(json_string_value(it)))
			return fail(e, "", item, "must be %s", what);
		for (size_t k = 0; k < i; k++)
			if (json_equal(json_array_get(v, k), it))
				return fail(e, "", item, "is listed twice");
	}
	return 0;
}

/* In patch mode an id field may be repeated but not changed. */
static int check_same(const json_t *obj, const char *name, const char *id, struct cp_verr *e)
{
	const json_t *v = json_object_get(obj, name);
	if (v && !(json_is_string(v) && id && !strcmp(json_string_value(v), id)))
		return fail(e, "", name, "cannot be changed");
	return 0;
}

/* "a, b, c" of a NULL-terminated list, for error messages (cut to fit). */
static const char *known_list(const char *const known[])
{
	static __thread char out[200];
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; known[i] && n < sizeof(out); i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? ", " : "", known[i]);
	return out;
}

static int check_object(const json_t *j, struct cp_verr *e)
{
	return json_is_object(j) ? 0 : cp_verr_set(e, "body", "must be a JSON object");
}

int cp_validate_fields(const json_t *obj, const char *pre, const char *const known[],
                       struct cp_verr *e)
{
	const char *name;
	const json_t *v;
	json_object_foreach((json_t *)obj, name, v)
	{
		size_t i = 0;
		while (known[i] && strcmp(known[i], name))
			i++;
		if (!known[i])
			return fail(e, pre, name, "is not a field of this object (known: %s)",
			            known_list(known));
	}
	return 0;
}

/* The fields each body may carry (a field outside these lists is refused, never ignored:
 * a misspelt "limt" must not create an unlimited key). */
static const char *const org_fields[] = {
    "id", "name", "billing", "postpaid", "enforce_zdr", "byok_fallback", "default_model", NULL};
static const char *const key_fields[] = {"hash",
                                         "name",
                                         "org_id",
                                         "workspace_id",
                                         "disabled",
                                         "limit",
                                         "limit_reset",
                                         "include_byok_in_limit",
                                         "expires_at",
                                         "rpm",
                                         "rpd",
                                         "tpm",
                                         "allowed_models",
                                         "allowed_providers",
                                         "ignored_providers",
                                         "max_price",
                                         "provider",
                                         "allowed_ips",
                                         "allowed_referrers",
                                         "default_model",
                                         NULL};
static const char *const mkey_fields[] = {"name", "org_id", NULL};
static const char *const provider_fields[] = {"slug",
                                              "name",
                                              "adapter",
                                              "base_url",
                                              "data_collection",
                                              "connect_timeout_ms",
                                              "first_byte_timeout_ms",
                                              "idle_timeout_ms",
                                              "total_timeout_ms",
                                              "api_key",
                                              "api_key_env",
                                              "internal",
                                              "zdr",
                                              "region",
                                              "datacenters",
                                              NULL};
static const char *const endpoint_fields[] = {"provider",
                                              "provider_model_id",
                                              "quantization",
                                              "max_completion_tokens",
                                              "context_length",
                                              "supported_parameters",
                                              "tag",
                                              "pricing",
                                              NULL};
static const char *const pricing_fields[] = {"prompt",           "completion",        "request",
                                             "input_cache_read", "input_cache_write", NULL};
static const char *const model_fields[] = {"id",
                                           "name",
                                           "description",
                                           "context_length",
                                           "input_modalities",
                                           "output_modalities",
                                           "supported_parameters",
                                           "tokenizer",
                                           "categories",
                                           "endpoints",
                                           NULL};
static const char *const autorouter_fields[] = {"default_model", "rules", NULL};
static const char *const rule_fields[] = {"model", "min_prompt_tokens", "has_tools", "keywords",
                                          NULL};

bool cp_valid_slug(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > CP_SLUG_MAX ||
	    !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      strchr("._-", *s)))
			return false;
	return true;
}

bool cp_valid_model_id(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t n = strlen(s);
	if (!slash || slash == s || !slash[1] || n > CP_MODEL_ID_MAX)
		return false;
	for (const char *p = s; *p; p++) {
		bool ok = islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		          strchr("._-", *p) || (p > slash && *p == ':') || p == slash;
		if (!ok)
			return false;
	}
	return isalnum((unsigned char)s[0]) && isalnum((unsigned char)slash[1]);
}

bool cp_valid_org_id(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 64)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-'))
			return false;
	return true;
}

static bool valid_env_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 128 || isdigit((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!(isupper((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static bool valid_url(const char *s)
{
	size_t n = strlen(s), skip;
	if (!strncmp(s, "https://", 8))
		skip = 8;
	else if (!strncmp(s, "http://", 7))
		skip = 7;
	else
		return false;
	if (n <= skip || n > URL_MAX || s[skip] == '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int digits(const char **p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

int cp_parse_time(const char *s, int64_t *out)
{
	struct tm tm = {0};
	const char *p = s;
	int y = digits(&p, 4), mo = (*p == '-' && p++) ? digits(&p, 2) : -1;
	int d = (*p == '-' && p++) ? digits(&p, 2) : -1;
	int h = (*p == 'T' && p++) ? digits(&p, 2) : -1;
	int mi = (*p == ':' && p++) ? digits(&p, 2) : -1;
	int sec = (*p == ':' && p++) ? digits(&p, 2) : -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 60)
		return SY_EINVAL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return SY_EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int offset = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		int oh = digits(&p, 2), om = (*p == ':' && p++) ? digits(&p, 2) : -1;
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return SY_EINVAL;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return SY_EINVAL;
	}
	if (*p)
		return SY_EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (tm.tm_mday != d) /* 2026-02-30 normalised to March */
		return SY_EINVAL;
	*out = (int64_t)t - offset;
	return 0;
}

int cp_parse_when(const char *s, int64_t *out)
{
	char buf[40];
	if (strlen(s) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		s = buf;
	}
	return cp_parse_time(s, out);
}

static bool datacenter(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > CP_SLUG_MAX)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("._-", *s)))
			return false;
	return true;
}

/* A model id, or a glob of one ("anthropic/" followed by "*"). */
static bool model_pattern(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > CP_MODEL_ID_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		      strchr("._-/:*?", *p)))
			return false;
	return strpbrk(s, "*?") || cp_valid_model_id(s);
}

static bool ip_range(const char *s)
{
	struct sy_cidr c;
	return sy_cidr_parse(s, &c) == 0;
}

static bool host_name(const char *s, size_t n)
{
	if (!n || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* "https://app.example.com[:port]", "*.example.com" or a bare host "example.com". */
static bool referrer_pattern(const char *s)
{
	if (!strncmp(s, "*.", 2))
		return host_name(s + 2, strlen(s + 2));
	const char *host = strstr(s, "://");
	if (!host)
		return host_name(s, strlen(s));
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return false;
	host += 3;
	const char *colon = strchr(host, ':');
	size_t n = colon ? (size_t)(colon - host) : strlen(host);
	if (!host_name(host, n))
		return false;
	if (!colon)
		return true;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	return isdigit((unsigned char)colon[1]) && !*end && port > 0 && port < 65536;
}

/* max_price {prompt, completion (USD per million tokens), request (USD)} or null. */
static int check_max_price(const json_t *j, struct cp_verr *e)
{
	static const char *const names[] = {"prompt", "completion", "request", NULL};
	const json_t *v;
	int rc = lookup(j, "", "max_price", F_NULLABLE, e, &v);
	if (rc <= 0)
		return rc;
	if (!json_is_object(v) || !json_object_size(v))
		return fail(e, "", "max_price",
		            "must be an object of prompt, completion (USD per million tokens) "
		            "and request (USD), or null");
	const char *k;
	const json_t *x;
	json_object_foreach((json_t *)v, k, x)
	{
		bool known = false;
		for (size_t i = 0; names[i]; i++)
			known |= !strcmp(k, names[i]);
		if (!known)
			return fail(e, "max_price.", k,
			            "is not a price limit (prompt, completion, request)");
		if (!json_is_number(x) || json_number_value(x) < 0 ||
		    json_number_value(x) > USD_MAX)
			return fail(e, "max_price.", k, "must be a USD amount from 0 to %.0f",
			            USD_MAX);
	}
	return 0;
}

/* provider: default routing preferences, the same object a request may send, or null. */
static int check_prefs(const json_t *j, struct cp_verr *e)
{
	const json_t *v;
	char why[256];
	int rc = lookup(j, "", "provider", F_NULLABLE, e, &v);
	if (rc <= 0)
		return rc;
	if (sy_prefs_check(v, why, sizeof(why)))
		return cp_verr_set(e, "provider", "%s", why);
	return 0;
}

/* The restrictions a key carries (cp_validate_key). */
static int check_restrictions(const json_t *j, struct cp_verr *e)
{
	int rc;
	if ((rc = check_list(j, "allowed_models", model_pattern,
	                     "a model id or a glob of one (\"anthropic/*\")", e)) ||
	    (rc = check_list(j, "allowed_providers", cp_valid_slug, "a provider slug", e)) ||
	    (rc = check_list(j, "ignored_providers", cp_valid_slug, "a provider slug", e)) ||
	    (rc = check_list(j, "allowed_ips", ip_range,
	                     "an IPv4 or IPv6 address or CIDR range (\"10.0.0.0/8\")", e)) ||
	    (rc = check_list(j, "allowed_referrers", referrer_pattern,
	                     "an origin (\"https://app.example.com\"), a host, or "
	                     "\"*.example.com\"",
	                     e)) ||
	    (rc = check_max_price(j, e)))
		return rc;
	return check_prefs(j, e);
}

int cp_validate_org(const json_t *j, enum cp_vmode m, const char *id, struct cp_verr *e)
{
	int rc;
	if ((rc = check_object(j, e)) || (rc = cp_validate_fields(j, "", org_fields, e)))
		return rc;
	if (m == CP_V_PATCH && (rc = check_same(j, "id", id, e)))
		return rc;
	if ((rc = check_str(j, "", "name", m == CP_V_PATCH ? 0 : F_REQUIRED, CP_NAME_MAX, e)))
		return rc;
	if ((rc = check_enum(j, "", "billing", 0, billings, e)) ||
	    (rc = check_bool(j, "", "enforce_zdr", e)) ||
	    (rc = check_bool(j, "", "byok_fallback", e)) ||
	    (rc = check_syntax(j, "", "default_model", F_NULLABLE, cp_valid_model_id, "a model id",
	                       e)))
		return rc;
	return check_bool(j, "", "postpaid", e);
}

int cp_validate_key(const json_t *j, enum cp_vmode m, const char *hash, int64_t now,
                    struct cp_verr *e)
{
	int rc;
	if ((rc = check_object(j, e)) || (rc = cp_validate_fields(j, "", key_fields, e)))
		return rc;
	if (m == CP_V_PATCH && (rc = check_same(j, "hash", hash, e)))
		return rc;
	if ((rc = check_str(j, "", "name", m == CP_V_PATCH ? 0 : F_REQUIRED, CP_NAME_MAX, e)) ||
	    (rc = check_syntax(j, "", "org_id", 0, cp_valid_org_id, "an org id", e)) ||
	    (rc = check_syntax(j, "", "workspace_id", 0, cp_valid_org_id, "an org id", e)) ||
	    (rc = check_bool(j, "", "disabled", e)) || (rc = check_usd(j, "limit", e)) ||
	    (rc = check_bool(j, "", "include_byok_in_limit", e)) ||
	    (rc = check_enum(j, "", "limit_reset", F_NULLABLE, resets, e)) ||
	    (rc = check_future(j, "expires_at", now, e)) ||
	    (rc = check_uint(j, "", "rpm", F_NULLABLE, 1, RATE_MAX, e)) ||
	    (rc = check_uint(j, "", "rpd", F_NULLABLE, 1, RATE_MAX, e)) ||
	    (rc = check_uint(j, "", "tpm", F_NULLABLE, 1, TPM_MAX, e)) ||
	    (rc = check_syntax(j, "", "default_model", F_NULLABLE, cp_valid_model_id, "a model id",
	                       e)))
		return rc;
	return check_restrictions(j, e);
}

int cp_validate_mkey(const json_t *j, struct cp_verr *e)
{
	int rc;
	if ((rc = check_object(j, e)) || (rc = cp_validate_fields(j, "", mkey_fields, e)) ||
	    (rc = check_str(j, "", "name", F_REQUIRED, CP_NAME_MAX, e)))
		return rc;
	return check_syntax(j, "", "org_id", F_NULLABLE, cp_valid_org_id, "an org id or null", e);
}

int cp_validate_provider(const json_t *j, enum cp_vmode m, const char *slug, struct cp_verr *e)
{
	int rc;
	unsigned req = m == CP_V_PATCH ? 0 : F_REQUIRED;
	if ((rc = check_object(j, e)) || (rc = cp_validate_fields(j, "", provider_fields, e)))
		return rc;
	if (m == CP_V_PATCH)
		rc = check_same(j, "slug", slug, e);
	else
		rc = check_syntax(j, "", "slug", F_REQUIRED, cp_valid_slug,
		                  "a slug of lowercase letters, digits, '.', '_' or '-' (at most "
		                  "64)",
		                  e);
	if (rc || (rc = check_str(j, "", "name", 0, CP_NAME_MAX, e)) ||
	    (rc = check_enum(j, "", "adapter", 0, adapters, e)) ||
	    (rc = check_syntax(j, "", "base_url", req, valid_url,
	                       "an http:// or https:// URL without spaces", e)) ||
	    (rc = check_enum(j, "", "data_collection", 0, collection, e)) ||
	    (rc = check_bool(j, "", "internal", e)) || (rc = check_bool(j, "", "zdr", e)) ||
	    (rc = check_syntax(j, "", "region", F_NULLABLE, cp_valid_slug,
	                       "a region slug (\"us\", \"europe\", ...) or null", e)) ||
	    (rc = check_list(j, "datacenters", datacenter,
	                     "a datacenter name (letters, digits, "
	                     "'.', '_', '-'; at most 64)",
	                     e)))
		return rc;
	for (size_t i = 0; timeouts[i]; i++)
		if ((rc = check_uint(j, "", timeouts[i], F_NULLABLE, 1, TIMEOUT_MAX, e)))
			return rc;
	if (m == CP_V_CATALOG) {
		if (json_object_get(j, "api_key"))
			return fail(e, "", "api_key",
			            "is not allowed in a catalog file: name an environment "
			            "variable in api_key_env");
		return check_syntax(j, "", "api_key_env", 0, valid_env_name,
		                    "an environment variable name (A-Z, 0-9, _)", e);
	}
	if (json_object_get(j, "api_key_env"))
		return fail(e, "", "api_key_env",
		            "is only read from a --catalog file; send the credential as api_key");
	return check_str(j, "", "api_key", F_NULLABLE, SECRET_MAX, e);
}

static int check_endpoint(const json_t *ep, size_t i, struct cp_verr *e)
{
	char pre[32], pp[48];
	int rc;
	snprintf(pre, sizeof(pre), "endpoints[%zu]", i);
	if (!json_is_object(ep))
		return fail(e, pre, "", "must be an object");
	strcat(pre, ".");
	if ((rc = cp_validate_fields(ep, pre, endpoint_fields, e)) ||
	    (rc = check_syntax(ep, pre, "provider", F_REQUIRED, cp_valid_slug, "a provider slug",
	                       e)) ||
	    (rc = check_str(ep, pre, "provider_model_id", F_REQUIRED, 256, e)) ||
	    (rc = check_enum(ep, pre, "quantization", F_NULLABLE, quantizations, e)) ||
	    (rc = check_uint(ep, pre, "max_completion_tokens", F_NULLABLE, 1, COUNT_MAX, e)) ||
	    (rc = check_uint(ep, pre, "context_length", F_NULLABLE, 1, COUNT_MAX, e)) ||
	    (rc = check_str_array(ep, pre, "supported_parameters", NULL, e)) ||
	    (rc = check_str(ep, pre, "tag", F_NULLABLE, CP_SLUG_MAX, e)))
		return rc;
	const json_t *pr;
	snprintf(pp, sizeof(pp), "%spricing.", pre);
	if ((rc = lookup(ep, pre, "pricing", F_REQUIRED, e, &pr)) < 0)
		return rc;
	if (!json_is_object(pr))
		return fail(e, pre, "pricing", "must be an object of per-token price strings");
	if ((rc = cp_validate_fields(pr, pp, pricing_fields, e)) ||
	    (rc = check_price(pr, pp, "prompt", F_REQUIRED, e)) ||
	    (rc = check_price(pr, pp, "completion", F_REQUIRED, e)) ||
	    (rc = check_price(pr, pp, "request", F_NULLABLE, e)) ||
	    (rc = check_price(pr, pp, "input_cache_read", F_NULLABLE, e)) ||
	    (rc = check_price(pr, pp, "input_cache_write", F_NULLABLE, e)))
		return rc;
	return 0;
}

/* json_equal, with absent and null equal to each other. */
static bool same_value(const json_t *a, const json_t *b)
{
	bool na = !a || json_is_null(a), nb = !b || json_is_null(b);
	return (na && nb) || (!na && !nb && json_equal(a, b));
}

static bool same_endpoint(const json_t *a, const json_t *b)
{
	static const char *const keys[] = {"provider", "provider_model_id", "tag"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!same_value(json_object_get(a, keys[i]), json_object_get(b, keys[i])))
			return false;
	return true;
}

int cp_validate_model(const json_t *j, enum cp_vmode m, const char *id, struct cp_verr *e)
{
	int rc;
	unsigned req = m == CP_V_PATCH ? 0 : F_REQUIRED;
	if ((rc = check_object(j, e)) || (rc = cp_validate_fields(j, "", model_fields, e)))
		return rc;
	if (m == CP_V_PATCH)
		rc = check_same(j, "id", id, e);
	else
		rc = check_syntax(j, "", "id", F_REQUIRED, cp_valid_model_id,
		                  "\"author/slug\" in lowercase letters, digits, '.', '_', '-' "
		                  "(':' in the slug)",
		                  e);
	if (rc || (rc = check_str(j, "", "name", 0, 256, e)) ||
	    (rc = check_str(j, "", "description", F_NULLABLE, TEXT_MAX, e)) ||
	    (rc = check_uint(j, "", "context_length", 0, 1, COUNT_MAX, e)) ||
	    (rc = check_str_array(j, "", "input_modalities", modalities, e)) ||
	    (rc = check_str_array(j, "", "output_modalities", outputs, e)) ||
	    (rc = check_str_array(j, "", "supported_parameters", NULL, e)) ||
	    (rc = check_str(j, "", "tokenizer", F_NULLABLE, CP_SLUG_MAX, e)) ||
	    (rc = check_str_array(j, "", "categories", categories, e)))
		return rc;
	const json_t *eps;
	if ((rc = lookup(j, "", "endpoints", req, e, &eps)) <= 0)
		return rc;
	if (!json_is_array(eps) || json_array_size(eps) < 1 || json_array_size(eps) > ENDPOINTS_MAX)
		return cp_verr_set(e, "endpoints", "must be an array of 1 to %d endpoints",
		                   ENDPOINTS_MAX);
	for (size_t i = 0; i < json_array_size(eps); i++) {
		if ((rc = check_endpoint(json_array_get(eps, i), i, e)))
			return rc;
		for (size_t k = 0; k < i; k++)
			if (same_endpoint(json_array_get(eps, k), json_array_get(eps, i)))
				return cp_verr_set(e, "endpoints",
				                   "item %zu repeats item %zu (same provider, "
				                   "provider_model_id and tag)",
				                   i, k);
	}
	return 0;
}

/* ---- guardrails ---------------------------------------------------------------------------- */

static bool key_hash(const char *s)
{
	return sy_is_hash_hex(s);
}

int cp_validate_guardrail(const json_t *j, enum cp_vmode m, const char *id, struct cp_verr *e)
{
	static const char *const fields[] = {"id",
	                                     "name",
	                                     "description",
	                                     "allowed_models",
	                                     "allowed_providers",
	                                     "max_price",
	                                     "enforce_zdr",
	                                     "allowed_data_regions",
	                                     "org_ids",
	                                     "key_hashes",
	                                     "limit_usd",
	                                     "reset_interval",
	                                     NULL};
	int rc;
	if ((rc = check_object(j, e)) || (rc = cp_validate_fields(j, "", fields, e)))
		return rc;
	if (m == CP_V_PATCH && (rc = check_same(j, "id", id, e)))
		return rc;
	if ((rc = check_str(j, "", "name", m == CP_V_PATCH ? 0 : F_REQUIRED, CP_NAME_MAX, e)) ||
	    (rc = check_str(j, "", "description", F_NULLABLE, TEXT_MAX, e)) ||
	    (rc = check_list(j, "allowed_models", model_pattern,
	                     "a model id or a glob of one (\"anthropic/*\")", e)) ||
	    (rc = check_list(j, "allowed_providers", cp_valid_slug, "a provider slug", e)) ||
	    (rc = check_max_price(j, e)) || (rc = check_bool(j, "", "enforce_zdr", e)) ||
	    (rc = check_list(j, "allowed_data_regions", cp_valid_slug,
	                     "a region slug (\"us\", \"europe\", ...)", e)) ||
	    (rc = check_list(j, "org_ids", cp_valid_org_id, "an org id", e)) ||
	    (rc = check_usd(j, "limit_usd", e)) ||
	    (rc = check_enum(j, "", "reset_interval", F_NULLABLE, resets, e)))
		return rc;
	/* OpenRouter's rule: the limit and its interval are set (or cleared) together */
	const json_t *lim = json_object_get(j, "limit_usd"),
	             *ri = json_object_get(j, "reset_interval");
	if (!lim != !ri || (lim && json_is_null(lim) != json_is_null(ri)))
		return fail(e, "", lim ? "reset_interval" : "limit_usd",
		            "must be given with %s (both a value, or both null)",
		            lim ? "limit_usd" : "reset_interval");
	return check_list(j, "key_hashes", key_hash, "an API key's hash (64 lowercase hex)", e);
}

int cp_validate_guardrail_refs(struct cp_txn *t, const Sy__Guardrail *g, struct cp_verr *e)
{
	char f[48];
	for (size_t i = 0; i < g->n_org_ids; i++) {
		if (!cp_store_has(t, CP_ORG, g->org_ids[i])) {
			snprintf(f, sizeof(f), "org_ids[%zu]", i);
			return cp_verr_set(e, f, "no org \"%s\" exists", g->org_ids[i]);
		}
	}
	for (size_t i = 0; i < g->n_key_hashes; i++) {
		if (!cp_store_has(t, CP_KEY, g->key_hashes[i])) {
			snprintf(f, sizeof(f), "key_hashes[%zu]", i);
			return cp_verr_set(e, f, "no API key with this hash exists");
		}
	}
	return 0;
}

/* ---- the auto router ------------------------------------------------------------------- */

static bool auto_target(const char *s)
{
	return cp_valid_model_id(s) && !sy_auto_router_is(s);
}

static int check_rule(const json_t *r, size_t i, struct cp_verr *e)
{
	char rule[32], pre[40];
	int rc;
	snprintf(rule, sizeof(rule), "rules[%zu]", i);
	snprintf(pre, sizeof(pre), "%s.", rule);
	if (!json_is_object(r))
		return fail(e, rule, "", "must be an object");
	if ((rc = cp_validate_fields(r, pre, rule_fields, e)) ||
	    (rc = check_syntax(r, pre, "model", F_REQUIRED, auto_target, AUTO_TARGET, e)) ||
	    (rc = check_uint(r, pre, "min_prompt_tokens", F_NULLABLE, 1, COUNT_MAX, e)) ||
	    (rc = check_bool(r, pre, "has_tools", e)))
		return rc;
	const json_t *kw = NULL;
	if ((rc = lookup(r, pre, "keywords", F_NULLABLE, e, &kw)) < 0)
		return rc;
	if (kw && (!json_is_array(kw) || !json_array_size(kw) || json_array_size(kw) > LIST_MAX))
		return fail(e, pre, "keywords", "must be an array of 1 to %d strings", LIST_MAX);
	for (size_t k = 0; k < json_array_size(kw); k++) {
		char item[32];
		snprintf(item, sizeof(item), "keywords[%zu]", k);
		const json_t *s = json_array_get(kw, k);
		size_t n = json_string_length(s);
		if (!json_is_string(s) || !n || n > KEYWORD_MAX ||
		    strlen(json_string_value(s)) != n || !printable(json_string_value(s)))
			return fail(e, pre, item, "must be a string of 1 to %d characters",
			            KEYWORD_MAX);
	}
	const json_t *mpt = json_object_get(r, "min_prompt_tokens");
	const json_t *tools = json_object_get(r, "has_tools");
	if (!kw && !json_is_integer(mpt) && !json_is_boolean(tools))
		return fail(e, rule, "",
		            "must set a condition: min_prompt_tokens, has_tools or keywords (a "
		            "request no rule matches goes to default_model)");
	return 0;
}

int cp_validate_autorouter(const json_t *j, struct cp_verr *e)
{
	int rc;
	const json_t *rules = NULL;
	if ((rc = check_object(j, e)) || (rc = cp_validate_fields(j, "", autorouter_fields, e)) ||
	    (rc = check_syntax(j, "", "default_model", F_REQUIRED, auto_target, AUTO_TARGET, e)))
		return rc;
	if ((rc = lookup(j, "", "rules", F_NULLABLE, e, &rules)) < 0)
		return rc;
	if (rules && (!json_is_array(rules) || json_array_size(rules) > RULES_MAX))
		return cp_verr_set(e, "rules", "must be an array of at most %d rules", RULES_MAX);
	for (size_t i = 0; i < json_array_size(rules); i++)
		if ((rc = check_rule(json_array_get(rules, i), i, e)))
			return rc;
	return 0;
}

/* A model id that exists, or a variant of one. */
static bool model_exists(struct cp_txn *t, const char *id)
{
	static const char *const variants[] = {":free", ":nitro", ":floor"};
	if (cp_store_has(t, CP_MODEL, id))
		return true;
	size_t n = strlen(id);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		size_t vn = strlen(variants[i]);
		char base[CP_MODEL_ID_MAX + 1];
		if (n > vn && n - vn <= CP_MODEL_ID_MAX && !strcmp(id + n - vn, variants[i])) {
			snprintf(base, sizeof(base), "%.*s", (int)(n - vn), id);
			return cp_store_has(t, CP_MODEL, base);
		}
	}
	return false;
}

int cp_validate_autorouter_refs(struct cp_txn *t, const Sy__AutoRouter *ar, struct cp_verr *e)
{
	if (!model_exists(t, ar->default_model))
		return cp_verr_set(e, "default_model", "no model \"%s\" exists", ar->default_model);
	for (size_t i = 0; i < ar->n_rules; i++) {
		if (!model_exists(t, ar->rules[i]->model)) {
			char f[48];
			snprintf(f, sizeof(f), "rules[%zu].model", i);
			return cp_verr_set(e, f, "no model \"%s\" exists", ar->rules[i]->model);
		}
	}
	return 0;
}

/* An embeddings model: "embeddings" its only output, priced per input token (completion 0),
 * served by providers whose API has embeddings (Anthropic's has none). */
static int check_embeddings(struct cp_txn *t, const Sy__Model *m, struct cp_verr *e)
{
	bool emb = false;
	for (size_t i = 0; i < m->n_output_modalities; i++)
		emb = emb || !strcmp(m->output_modalities[i], "embeddings");
	if (!emb)
		return 0;
	if (m->n_output_modalities != 1)
		return cp_verr_set(
		    e, "output_modalities",
		    "\"embeddings\" cannot be combined with other output modalities");
	for (size_t i = 0; i < m->n_endpoints; i++) {
		const Sy__Endpoint *ep = m->endpoints[i];
		const char *c = ep->pricing ? ep->pricing->completion : NULL;
		sy_money v = 0;
		char f[64];
		if (c && *c && (sy_money_parse(c, &v) || v)) {
			snprintf(f, sizeof(f), "endpoints[%zu].pricing.completion", i);
			return cp_verr_set(e, f,
			                   "must be \"0\": an embeddings model is priced per input "
			                   "token (pricing.prompt)");
		}
		ProtobufCMessage *pm = NULL;
		if (cp_store_get(t, CP_PROVIDER, ep->provider, &pm))
			continue;
		const char *ad = ((Sy__Provider *)pm)->adapter;
		bool refused = ad && !strcmp(ad, "anthropic");
		cp_entity_free(&pm);
		if (refused) {
			snprintf(f, sizeof(f), "endpoints[%zu].provider", i);
			return cp_verr_set(e, f,
			                   "provider \"%s\" speaks Anthropic's API, which has no "
			                   "embeddings",
			                   ep->provider);
		}
	}
	return 0;
}

int cp_validate_model_refs(struct cp_txn *t, const Sy__Model *m, struct cp_verr *e)
{
	for (size_t i = 0; i < m->n_endpoints; i++) {
		if (!cp_store_has(t, CP_PROVIDER, m->endpoints[i]->provider)) {
			char f[48];
			snprintf(f, sizeof(f), "endpoints[%zu].provider", i);
			return cp_verr_set(e, f, "no provider \"%s\" exists",
			                   m->endpoints[i]->provider);
		}
	}
	return check_embeddings(t, m, e);
}
