/* cp_json_test.c - the entity <-> JSON mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cp_json.h"
#include "cp_store.h"
#include "sy_money.h"

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* Usage example: a key body applied to a message and shown back. */
static void test_key_round_trip(void **state)
{
	ProtobufCMessage *m = cp_entity_new(CP_KEY);
	Sy__ApiKey *k = (Sy__ApiKey *)m;
	k->hash = strdup("ab");
	k->org_id = strdup("org_a");
	json_t *body = json_loads("{\"name\":\"ci\",\"limit\":2.5,\"limit_reset\":\"daily\","
	                          "\"expires_at\":\"2030-01-01T00:00:00Z\",\"rpd\":100,"
	                          "\"tpm\":50000,\"disabled\":true}",
	                          0, NULL);
	assert_int_equal(cp_json_apply_key(k, body), 0);
	json_decref(body);
	assert_int_equal(k->limit, 25 * SY_MONEY_SCALE / 10);
	assert_int_equal(k->expires_at, 1893456000);

	struct cp_key_usage u = {.total = 3 * SY_MONEY_SCALE, .daily = SY_MONEY_SCALE};
	json_t *j = cp_json_key(k, &u);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "ci");
	assert_true(num(j, "limit") == 2.5);
	assert_true(num(j, "limit_remaining") == 1.5); /* daily reset: limit - usage_daily */
	assert_true(num(j, "usage") == 3.0);
	assert_true(json_is_true(json_object_get(j, "disabled")));
	assert_string_equal(json_string_value(json_object_get(j, "expires_at")),
	                    "2030-01-01T00:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(j, "rpd")), 100);
	assert_int_equal(json_integer_value(json_object_get(j, "tpm")), 50000);
	assert_true(json_is_null(json_object_get(j, "rpm")));
	json_decref(j);

	/* Over the limit: remaining is 0, never negative. Null clears. */
	u.daily = 9 * SY_MONEY_SCALE;
	j = cp_json_key(k, &u);
	assert_true(num(j, "limit_remaining") == 0.0);
	json_decref(j);
	body =
	    json_loads("{\"limit\":null,\"limit_reset\":null,\"rpd\":null,\"tpm\":null}", 0, NULL);
	assert_int_equal(cp_json_apply_key(k, body), 0);
	json_decref(body);
	assert_false(k->has_limit);
	assert_null(k->limit_reset);
	assert_false(k->has_rpd);
	assert_false(k->has_tpm);
	cp_entity_free(&m);
}

static void test_time(void **state)
{
	json_t *t = cp_json_time(1795514400);
	assert_string_equal(json_string_value(t), "2026-11-24T10:00:00Z");
	json_decref(t);
	t = cp_json_time(0);
	assert_true(json_is_null(t));
	json_decref(t);
}

static void test_provider_never_shows_credential(void **state)
{
	ProtobufCMessage *m = cp_entity_new(CP_PROVIDER);
	Sy__Provider *p = (Sy__Provider *)m;
	p->slug = strdup("x");
	p->api_key_enc.data = (uint8_t *)strdup("ciphertext");
	p->api_key_enc.len = 10;
	p->has_api_key_enc = true;
	json_t *j = cp_json_provider(p);
	assert_true(json_is_true(json_object_get(j, "has_api_key")));
	assert_null(json_object_get(j, "api_key"));
	assert_null(json_object_get(j, "api_key_enc"));
	char *s = json_dumps(j, 0);
	assert_null(strstr(s, "ciphertext"));
	free(s);
	json_decref(j);
	cp_entity_free(&m);
}

static void test_model_endpoints_replace(void **state)
{
	ProtobufCMessage *m = cp_entity_new(CP_MODEL);
	Sy__Model *mo = (Sy__Model *)m;
	mo->id = strdup("a/b");
	json_t *body = json_loads(
	    "{\"name\":\"B\",\"input_modalities\":[\"text\",\"image\"],\"endpoints\":["
	    "{\"provider\":\"p\",\"provider_model_id\":\"m1\",\"pricing\":{\"prompt\":\"0.1\","
	    "\"completion\":\"0.2\"}},{\"provider\":\"q\",\"provider_model_id\":\"m2\","
	    "\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"},\"tag\":\"free\"}]}",
	    0, NULL);
	assert_int_equal(cp_json_apply_model(mo, body), 0);
	json_decref(body);
	assert_int_equal(mo->n_endpoints, 2);
	assert_int_equal(mo->n_input_modalities, 2);
	body = json_loads("{\"endpoints\":[{\"provider\":\"q\",\"provider_model_id\":\"m3\","
	                  "\"pricing\":{\"prompt\":\"0.5\",\"completion\":\"1\"}}]}",
	                  0, NULL);
	assert_int_equal(cp_json_apply_model(mo, body), 0);
	json_decref(body);
	assert_int_equal(mo->n_endpoints, 1);
	json_t *j = cp_json_model(mo);
	json_t *ep = json_array_get(json_object_get(j, "endpoints"), 0);
	assert_string_equal(json_string_value(json_object_get(ep, "provider_model_id")), "m3");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ep, "pricing"), "prompt")), "0.5");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "B");
	json_decref(j);
	cp_entity_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_round_trip),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_provider_never_shows_credential),
	    cmocka_unit_test(test_model_endpoints_replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
