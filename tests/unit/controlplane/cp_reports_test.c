/* cp_reports_test.c - the console's report endpoints through cp_admin_handle: the usage report's
 * groups and percentiles, the generation log's filters, paging and CSV, one generation, and
 * management-key scoping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_admin.h"
#include "cp_auth.h"
#include "cp_ledger.h"
#include "cp_stats.h"
#include "cp_test_util.h"
#include "sy_clock.h"
#include "sy_log.h"

#define ADMIN "sk-sy-mgmt-v1-cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
#define DAY 86400

struct fixture {
	char dir[sizeof(TEST_DIR_TEMPLATE)];
	struct cp_store *s;
	struct sy_kek kek;
	struct cp_admin *a;
	char org[32], other[32], hash[65], scoped[96];
	int64_t recent; /* a minute ago: in the past whenever the test runs */
};

/* The response of one request: status, and the body as JSON (or raw text for CSV). */
struct answer {
	unsigned status;
	json_t *j;
	char *text;
};

/* Query arguments come from the url after '?', "a=b&c=d", without decoding. */
static const char *query_arg(void *arg, const char *name)
{
	static char val[256];
	size_t n = strlen(name);
	for (const char *p = arg; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == '=') {
			snprintf(val, sizeof(val), "%.*s", (int)strcspn(p + n + 1, "&"), p + n + 1);
			return val;
		}
	return NULL;
}

static struct answer ask(struct fixture *f, const char *method, const char *url, const char *body,
                         const char *key)
{
	char path[512], auth[160];
	snprintf(path, sizeof(path), "%s", url);
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	snprintf(auth, sizeof(auth), "Bearer %s", key);
	struct cp_request req = {.method = method,
	                         .path = path,
	                         .authorization = auth,
	                         .body = body,
	                         .body_len = body ? strlen(body) : 0,
	                         .query = q ? query_arg : NULL,
	                         .query_arg = q};
	struct cp_response res;
	cp_admin_handle(f->a, &req, &res);
	struct answer a = {res.status, NULL, res.body};
	if (!res.content_type) {
		a.j = json_loads(res.body, 0, NULL);
		assert_non_null(a.j);
	}
	return a;
}

static void answer_free(struct answer *a)
{
	json_decref(a->j);
	free(a->text);
}

static json_t *data(const struct answer *a)
{
	return json_object_get(a->j, "data");
}

static const char *error_field(const struct answer *a)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(a->j, "error"), "metadata"), "field"));
}

/* One generation of the fixture's key. */
static void add(struct fixture *f, const char *id, const char *org, const char *model, int64_t at,
                unsigned status, unsigned latency, int64_t cost, const char *app)
{
	Sy__UsageRecord r = SY__USAGE_RECORD__INIT, *p = &r;
	Sy__Attempt att = SY__ATTEMPT__INIT, *pa = &att;
	r.id = (char *)id;
	r.key_hash = f->hash;
	r.org_id = (char *)org;
	r.model = (char *)model;
	r.provider = "prov";
	r.created_at = at;
	r.has_created_at = true;
	r.status = status;
	r.has_status = true;
	r.latency_ms = latency;
	r.has_latency_ms = true;
	r.cost = cost;
	r.has_cost = true;
	r.prompt_tokens = 10;
	r.has_prompt_tokens = true;
	r.completion_tokens = 5;
	r.has_completion_tokens = true;
	r.finish_reason = status < 400 ? "stop" : NULL;
	r.app_title = (char *)app;
	att.provider = "prov";
	att.status = status;
	att.latency_ms = latency;
	r.attempts = &pa;
	r.n_attempts = 1;
	size_t stored, dups, invalid;
	assert_int_equal(cp_ledger_apply(f->s, NULL, &p, 1, &stored, &dups, &invalid), 0);
	assert_int_equal(stored, 1);
}

static void create(struct fixture *f, const char *url, const char *body, const char *field,
                   char *out, size_t outlen)
{
	struct answer a = ask(f, "POST", url, body, ADMIN);
	assert_int_equal(a.status, 201);
	const char *v =
	    json_string_value(json_object_get(strcmp(field, "key") ? data(&a) : a.j, field));
	assert_non_null(v);
	snprintf(out, outlen, "%s", v);
	answer_free(&a);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *why = NULL;
	char body[256];
	f->s = test_store_new(f->dir);
	if (!f->s || cp_auth_bootstrap(f->s, f->dir, ADMIN, &why))
		return -1;
	f->a = cp_admin_new(f->s, &f->kek);
	*state = f;
	f->recent = sy_unix_s() - 60;
	create(f, "/api/v1/orgs", "{\"name\":\"acme\"}", "id", f->org, sizeof(f->org));
	create(f, "/api/v1/orgs", "{\"name\":\"other\"}", "id", f->other, sizeof(f->other));
	snprintf(body, sizeof(body), "{\"name\":\"k1\",\"org_id\":\"%s\"}", f->org);
	create(f, "/api/v1/keys", body, "hash", f->hash, sizeof(f->hash));
	snprintf(body, sizeof(body), "{\"name\":\"ops\",\"org_id\":\"%s\"}", f->org);
	create(f, "/api/v1/management-keys", body, "key", f->scoped, sizeof(f->scoped));
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cp_admin_free(&f->a);
	test_store_free(&f->s, f->dir);
	free(f);
	return 0;
}

static json_t *item(const json_t *arr, const char *field, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach(
	    arr, i, v) if (!strcmp(json_string_value(json_object_get(v, field)), value)) return v;
	fail_msg("no %s %s", field, value);
	return NULL;
}

static json_int_t int_of(const json_t *o, const char *field)
{
	return json_integer_value(json_object_get(o, field));
}

/* The usage report: per day and model, per model, key, app and endpoint. */
static void test_usage_report(void **state)
{
	struct fixture *f = *state;
	int64_t y = f->recent - DAY, t = f->recent;
	add(f, "g1", f->org, "a/one", y, 200, 100, 30000000, "my app");
	add(f, "g2", f->org, "a/two", y, 502, 300, 0, NULL);
	add(f, "g3", f->org, "a/one", t, 200, 200, 10000000, NULL);
	add(f, "g4", f->org, "a/one", t, 200, 900, 10000000, NULL);
	struct answer a = ask(f, "GET", "/api/v1/reports/usage", NULL, ADMIN);
	assert_int_equal(a.status, 200);
	const json_t *d = data(&a);
	assert_int_equal(int_of(json_object_get(d, "totals"), "requests"), 4);
	assert_true(json_real_value(json_object_get(json_object_get(d, "totals"), "usage")) ==
	            0.005);
	const json_t *days = json_object_get(d, "days");
	assert_int_equal(json_array_size(days),
	                 3); /* (yesterday, one), (yesterday, two), (today, one) */
	const json_t *d2 = json_array_get(days, 2);
	assert_string_equal(json_string_value(json_object_get(d2, "model")), "a/one");
	assert_int_equal(int_of(d2, "requests"), 2);
	assert_int_equal(int_of(d2, "prompt_tokens"), 20);
	const json_t *models = json_object_get(d, "models");
	assert_string_equal(json_string_value(json_object_get(json_array_get(models, 0), "model")),
	                    "a/one");
	assert_int_equal(int_of(json_array_get(models, 0), "requests"), 3);
	const json_t *key = json_array_get(json_object_get(d, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(key, "name")), "k1");
	assert_string_equal(json_string_value(json_object_get(key, "key_hash")), f->hash);
	assert_int_equal(int_of(item(json_object_get(d, "apps"), "app", "my app"), "requests"), 1);
	const json_t *one = item(json_object_get(d, "endpoints"), "model", "a/one");
	assert_string_equal(json_string_value(json_object_get(one, "provider")), "prov");
	assert_true(json_real_value(json_object_get(one, "error_rate")) == 0.0);
	assert_int_equal(int_of(json_object_get(one, "latency_ms"), "p50"), 200);
	assert_int_equal(int_of(json_object_get(one, "latency_ms"), "p95"), 900);
	const json_t *two = item(json_object_get(d, "endpoints"), "model", "a/two");
	assert_true(json_real_value(json_object_get(two, "error_rate")) == 1.0);
	answer_free(&a);

	/* a range: today only */
	char url[128];
	a = ask(f, "GET", "/api/v1/reports/usage?from=2999-01-01", NULL, ADMIN);
	assert_int_equal(a.status, 400);
	assert_string_equal(error_field(&a), "to");
	answer_free(&a);
	time_t tt = (time_t)f->recent;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(url, sizeof(url), "/api/v1/reports/usage?from=%Y-%m-%d", &tm);
	a = ask(f, "GET", url, NULL, ADMIN);
	assert_int_equal(a.status, 200);
	assert_int_equal(int_of(json_object_get(data(&a), "totals"), "requests"), 2);
	answer_free(&a);
}

/* The generation log: newest first, filters, paging, total. */
static void test_generations_paging_and_filters(void **state)
{
	struct fixture *f = *state;
	char id[16];
	for (int i = 0; i < 7; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		add(f, id, f->org, i % 2 ? "a/odd" : "a/even", f->recent - 10 + i,
		    i == 3 ? 500 : 200, 10, 100, NULL);
	}
	struct answer a = ask(f, "GET", "/api/v1/generations?limit=3", NULL, ADMIN);
	assert_int_equal(a.status, 200);
	assert_int_equal(int_of(a.j, "total"), 7);
	assert_int_equal(json_array_size(data(&a)), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(data(&a), 0), "id")),
	                    "p6");
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations?limit=3&offset=6", NULL, ADMIN);
	assert_int_equal(json_array_size(data(&a)), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(data(&a), 0), "id")),
	                    "p0");
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations?model=a/odd", NULL, ADMIN);
	assert_int_equal(int_of(a.j, "total"), 3);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations?status=error", NULL, ADMIN);
	assert_int_equal(int_of(a.j, "total"), 1);
	assert_int_equal(int_of(json_array_get(data(&a), 0), "status"), 500);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations?provider=nope", NULL, ADMIN);
	assert_int_equal(int_of(a.j, "total"), 0);
	answer_free(&a);
	static const char *const bad[][2] = {{"limit=0", "limit"},      {"limit=501", "limit"},
	                                     {"offset=-1", "offset"},   {"status=ok", "status"},
	                                     {"model=", "model"},       {"org_id=a/b", "org_id"},
	                                     {"from=yesterday", "from"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char url[128];
		snprintf(url, sizeof(url), "/api/v1/generations?%s", bad[i][0]);
		a = ask(f, "GET", url, NULL, ADMIN);
		if (a.status != 400)
			fail_msg("%s: %u", url, a.status);
		assert_string_equal(error_field(&a), bad[i][1]);
		answer_free(&a);
	}
	a = ask(f, "POST", "/api/v1/generations", "{}", ADMIN);
	assert_int_equal(a.status, 405);
	answer_free(&a);
}

/* CSV: a header, one row per generation, quotes doubled and formulas defused. */
static void test_generations_csv(void **state)
{
	struct fixture *f = *state;
	add(f, "c1", f->org, "a/one", f->recent, 200, 42, 12345, "=HYPERLINK(\"x\")");
	struct answer a = ask(f, "GET", "/api/v1/generations.csv", NULL, ADMIN);
	assert_int_equal(a.status, 200);
	assert_null(a.j);
	assert_non_null(strstr(a.text, "id,created_at,org_id,key_hash,model,provider,status,"));
	assert_non_null(strstr(a.text, "\"c1\","));
	assert_non_null(strstr(a.text, ",0.0000012345,42,"));
	assert_non_null(strstr(a.text, ",\"'=HYPERLINK(\"\"x\"\")\"\r\n"));
	int lines = 0;
	for (const char *p = a.text; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	assert_int_equal(lines, 2);
	answer_free(&a);
}

/* One generation; an org-scoped key sees only its org's, and learns its own scope. */
static void test_detail_and_scope(void **state)
{
	struct fixture *f = *state;
	add(f, "mine", f->org, "a/one", f->recent, 200, 10, 100, NULL);
	add(f, "theirs", f->other, "a/one", f->recent, 200, 10, 100, NULL);
	struct answer a = ask(f, "GET", "/api/v1/generations/mine", NULL, ADMIN);
	assert_int_equal(a.status, 200);
	assert_string_equal(json_string_value(json_object_get(data(&a), "finish_reason")), "stop");
	assert_int_equal(json_array_size(json_object_get(data(&a), "attempts")), 1);
	assert_null(json_object_get(data(&a), "prompt"));
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations/theirs", NULL, f->scoped);
	assert_int_equal(a.status, 404);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations/mine", NULL, f->scoped);
	assert_int_equal(a.status, 200);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations", NULL, f->scoped);
	assert_int_equal(int_of(a.j, "total"), 1);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations", NULL, ADMIN);
	assert_int_equal(int_of(a.j, "total"), 2);
	answer_free(&a);
	char url[96];
	snprintf(url, sizeof(url), "/api/v1/reports/usage?org_id=%s", f->other);
	a = ask(f, "GET", url, NULL, f->scoped);
	assert_int_equal(a.status, 403);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/reports/usage", NULL, f->scoped);
	assert_int_equal(int_of(json_object_get(data(&a), "totals"), "requests"), 1);
	assert_string_equal(json_string_value(json_object_get(data(&a), "org_id")), f->org);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/management-key", NULL, f->scoped);
	assert_int_equal(a.status, 200);
	assert_string_equal(json_string_value(json_object_get(data(&a), "org_id")), f->org);
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/management-key", NULL, ADMIN);
	assert_true(json_is_null(json_object_get(data(&a), "org_id")));
	answer_free(&a);
	a = ask(f, "GET", "/api/v1/generations", NULL, "sk-sy-mgmt-v1-nope");
	assert_int_equal(a.status, 401);
	answer_free(&a);
}

/* Endpoint stats: what cp_stats last published, empty before anything was. */
static void test_endpoint_stats(void **state)
{
	struct fixture *f = *state;
	struct answer a = ask(f, "GET", "/api/v1/endpoint-stats", NULL, f->scoped);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_array_size(data(&a)), 0);
	answer_free(&a);
	struct cp_stats *st = cp_stats_new();
	cp_admin_set_stats(f->a, st);
	a = ask(f, "GET", "/api/v1/endpoint-stats", NULL, ADMIN);
	assert_int_equal(a.status, 200);
	assert_true(json_is_array(data(&a)));
	answer_free(&a);
	cp_stats_free(&st);
}

int main(void)
{
	sy_log_level = SY_LOG_ERROR;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_usage_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generations_paging_and_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generations_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_detail_and_scope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_stats, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
