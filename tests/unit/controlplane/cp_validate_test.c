/* cp_validate_test.c - every field's bad values are refused, naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cp_validate.h"
#include "sy_err.h"

#define NOW 1800000000LL /* 2027-01-15 */

enum entity {
	ORG,
	KEY,
	MKEY,
	PROVIDER,
	MODEL
};

struct bad_case {
	enum entity e;
	enum cp_vmode mode;
	const char *body;
	const char *field; /* the field the error must name */
};

#define EP                                                                                         \
	"{\"provider\":\"p\",\"provider_model_id\":\"m\",\"pricing\":{\"prompt\":\"0.1\","         \
	"\"completion\":\"0.2\"}"
#define MODEL_WITH_EP(extra) "{\"id\":\"a/b\",\"endpoints\":[" EP extra "}]}"
#define MODEL_WITH_PRICE(k, v)                                                                     \
	"{\"id\":\"a/b\",\"endpoints\":[{\"provider\":\"p\",\"provider_model_id\":\"m\","          \
	"\"pricing\":{\"prompt\":\"0.1\",\"completion\":\"0.2\",\"" k "\":" v "}}]}"

static const struct bad_case bad[] = {
    /* body */
    {ORG, CP_V_CREATE, "[]", "body"},
    {KEY, CP_V_CREATE, "\"x\"", "body"},
    /* orgs */
    {ORG, CP_V_CREATE, "{}", "name"},
    {ORG, CP_V_CREATE, "{\"name\":null}", "name"},
    {ORG, CP_V_CREATE, "{\"name\":\"\"}", "name"},
    {ORG, CP_V_CREATE, "{\"name\":42}", "name"},
    {ORG, CP_V_CREATE, "{\"name\":\"a\\nb\"}", "name"},
    {ORG, CP_V_CREATE, "{\"name\":\"a\\u0000b\"}", "name"},
    {ORG, CP_V_CREATE, "{\"name\":\"acme\",\"postpaid\":\"yes\"}", "postpaid"},
    {ORG, CP_V_PATCH, "{\"id\":\"org_other\"}", "id"},
    {ORG, CP_V_PATCH, "{\"name\":[]}", "name"},
    /* keys */
    {KEY, CP_V_CREATE, "{\"org_id\":\"org_a\"}", "name"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"org_id\":\"org a\"}", "org_id"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"org_id\":7}", "org_id"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"limit\":-1}", "limit"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"limit\":\"5\"}", "limit"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"limit\":1e12}", "limit"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"limit_reset\":\"yearly\"}", "limit_reset"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"limit_reset\":1}", "limit_reset"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"include_byok_in_limit\":1}", "include_byok_in_limit"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"disabled\":\"true\"}", "disabled"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"expires_at\":\"tomorrow\"}", "expires_at"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"expires_at\":\"2020-01-01T00:00:00Z\"}", "expires_at"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"expires_at\":\"2030-02-30T00:00:00Z\"}", "expires_at"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"expires_at\":1900000000}", "expires_at"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"rpm\":0}", "rpm"},
    /* unknown fields, at every level */
    {ORG, CP_V_CREATE, "{\"name\":\"acme\",\"bilin\":\"postpaid\"}", "bilin"},
    {ORG, CP_V_PATCH, "{\"created_at\":\"2026-01-01T00:00:00Z\"}", "created_at"},
    {KEY, CP_V_PATCH, "{\"allowed_model\":[\"a/b\"]}", "allowed_model"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"http://x/\",\"apikey\":\"s\"}",
     "apikey"},
    {MODEL, CP_V_CREATE, MODEL_WITH_EP(",\"weight\":2"), "endpoints[0].weight"},
    {MODEL, CP_V_CREATE, MODEL_WITH_PRICE("promt", "\"0.1\""), "endpoints[0].pricing.promt"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"ctx\":5,\"endpoints\":[" EP "}]}", "ctx"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"rpm\":1.5}", "rpm"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"rpd\":-3}", "rpd"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"rpd\":99999999999}", "rpd"},
    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"tpm\":0}", "tpm"},
    {KEY, CP_V_PATCH, "{\"tpm\":\"many\"}", "tpm"},
    {KEY, CP_V_PATCH, "{\"tpm\":1000000001}", "tpm"},
    {KEY, CP_V_PATCH, "{\"hash\":\"abc\"}", "hash"},
    {KEY, CP_V_PATCH, "{\"name\":null}", "name"},
    /* management keys */
    {MKEY, CP_V_CREATE, "{}", "name"},
    {MKEY, CP_V_CREATE, "{\"name\":\"m\",\"org_id\":\"a/b\"}", "org_id"},
    {MKEY, CP_V_CREATE, "{\"name\":\"m\",\"org_id\":false}", "org_id"},
    /* providers */
    {PROVIDER, CP_V_CREATE, "{\"base_url\":\"https://x\"}", "slug"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"Open AI\",\"base_url\":\"https://x\"}", "slug"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"-x\",\"base_url\":\"https://x\"}", "slug"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\"}", "base_url"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"ftp://x\"}", "base_url"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://\"}", "base_url"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://a b\"}", "base_url"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"name\":\"\"}", "name"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"adapter\":\"soap\"}",
     "adapter"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"api_key\":\"\"}",
     "api_key"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"api_key\":5}", "api_key"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"api_key_env\":\"K\"}",
     "api_key_env"},
    {PROVIDER, CP_V_CREATE,
     "{\"slug\":\"p\",\"base_url\":\"https://x\",\"data_collection\":\"maybe\"}",
     "data_collection"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"connect_timeout_ms\":0}",
     "connect_timeout_ms"},
    {PROVIDER, CP_V_CREATE,
     "{\"slug\":\"p\",\"base_url\":\"https://x\",\"first_byte_timeout_ms\":\"1\"}",
     "first_byte_timeout_ms"},
    {PROVIDER, CP_V_CREATE,
     "{\"slug\":\"p\",\"base_url\":\"https://x\",\"idle_timeout_ms\":99999999}", "idle_timeout_ms"},
    {PROVIDER, CP_V_CREATE, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"total_timeout_ms\":-1}",
     "total_timeout_ms"},
    {PROVIDER, CP_V_PATCH, "{\"slug\":\"other\"}", "slug"},
    {PROVIDER, CP_V_CATALOG, "{\"slug\":\"p\",\"base_url\":\"https://x\",\"api_key\":\"k\"}",
     "api_key"},
    {PROVIDER, CP_V_CATALOG,
     "{\"slug\":\"p\",\"base_url\":\"https://x\",\"api_key_env\":\"lower\"}", "api_key_env"},
    /* models */
    {MODEL, CP_V_CREATE, "{\"endpoints\":[" EP "}]}", "id"},
    {MODEL, CP_V_CREATE, "{\"id\":\"nomodel\",\"endpoints\":[" EP "}]}", "id"},
    {MODEL, CP_V_CREATE, "{\"id\":\"A/b\",\"endpoints\":[" EP "}]}", "id"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b/c\",\"endpoints\":[" EP "}]}", "id"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"name\":7,\"endpoints\":[" EP "}]}", "name"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"description\":[],\"endpoints\":[" EP "}]}",
     "description"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"context_length\":0,\"endpoints\":[" EP "}]}",
     "context_length"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"input_modalities\":\"text\",\"endpoints\":[" EP "}]}",
     "input_modalities"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/b\",\"input_modalities\":[\"smell\"],\"endpoints\":[" EP "}]}",
     "input_modalities[0]"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/b\",\"output_modalities\":[\"text\",\"text\"],\"endpoints\":[" EP "}]}",
     "output_modalities[1]"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/b\",\"supported_parameters\":[\"Top P\"],\"endpoints\":[" EP "}]}",
     "supported_parameters[0]"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"tokenizer\":1,\"endpoints\":[" EP "}]}", "tokenizer"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\"}", "endpoints"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"endpoints\":[]}", "endpoints"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"endpoints\":[1]}", "endpoints[0]"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/"
     "b\",\"endpoints\":[{\"provider_model_id\":\"m\",\"pricing\":{\"prompt\":\"0\",\"completion\":"
     "\"0\"}}]}",
     "endpoints[0].provider"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/"
     "b\",\"endpoints\":[{\"provider\":\"p\",\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}}]"
     "}",
     "endpoints[0].provider_model_id"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/b\",\"endpoints\":[{\"provider\":\"p\",\"provider_model_id\":\"m\"}]}",
     "endpoints[0].pricing"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/"
     "b\",\"endpoints\":[{\"provider\":\"p\",\"provider_model_id\":\"m\",\"pricing\":[]}]}",
     "endpoints[0].pricing"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/"
     "b\",\"endpoints\":[{\"provider\":\"p\",\"provider_model_id\":\"m\",\"pricing\":{"
     "\"completion\":\"0\"}}]}",
     "endpoints[0].pricing.prompt"},
    {MODEL, CP_V_CREATE, MODEL_WITH_PRICE("request", "\"-0.5\""), "endpoints[0].pricing.request"},
    {MODEL, CP_V_CREATE, MODEL_WITH_PRICE("input_cache_read", "0.1"),
     "endpoints[0].pricing.input_cache_read"},
    {MODEL, CP_V_CREATE, MODEL_WITH_PRICE("input_cache_write", "\"1e-6\""),
     "endpoints[0].pricing.input_cache_write"},
    {MODEL, CP_V_CREATE,
     "{\"id\":\"a/"
     "b\",\"endpoints\":[{\"provider\":\"p\",\"provider_model_id\":\"m\",\"pricing\":{\"prompt\":"
     "\"0.00000000001\",\"completion\":\"0\"}}]}",
     "endpoints[0].pricing.prompt"},
    {MODEL, CP_V_CREATE, MODEL_WITH_EP(",\"quantization\":\"int3\""), "endpoints[0].quantization"},
    {MODEL, CP_V_CREATE, MODEL_WITH_EP(",\"max_completion_tokens\":0"),
     "endpoints[0].max_completion_tokens"},
    {MODEL, CP_V_CREATE, MODEL_WITH_EP(",\"context_length\":\"8k\""),
     "endpoints[0].context_length"},
    {MODEL, CP_V_CREATE, MODEL_WITH_EP(",\"supported_parameters\":[1]"),
     "endpoints[0].supported_parameters[0]"},
    {MODEL, CP_V_CREATE, MODEL_WITH_EP(",\"tag\":\"\""), "endpoints[0].tag"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"endpoints\":[" EP "}," EP "}]}", "endpoints"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"output_modalities\":[\"vectors\"]}",
     "output_modalities[0]"},
    {MODEL, CP_V_CREATE, "{\"id\":\"a/b\",\"input_modalities\":[\"embeddings\"]}",
     "input_modalities[0]"},
    {MODEL, CP_V_PATCH, "{\"id\":\"a/c\"}", "id"},
    {MODEL, CP_V_PATCH, "{\"endpoints\":null}", "endpoints"},
};

static int validate(enum entity e, enum cp_vmode m, const json_t *j, struct cp_verr *err)
{
	switch (e) {
	case ORG:
		return cp_validate_org(j, m, "org_a", err);
	case KEY:
		return cp_validate_key(j, m, "f00d", NOW, err);
	case MKEY:
		return cp_validate_mkey(j, err);
	case PROVIDER:
		return cp_validate_provider(j, m, "p", err);
	case MODEL:
		return cp_validate_model(j, m, "a/b", err);
	}
	return 0;
}

/* Usage example: a valid body passes, a bad one names its field. */
static void test_key_body(void **state)
{
	struct cp_verr e;
	json_t *ok =
	    json_loads("{\"name\":\"ci\",\"org_id\":\"org_a\",\"limit\":12.5,"
	               "\"limit_reset\":\"monthly\",\"expires_at\":\"2030-01-01T00:00:00Z\","
	               "\"rpm\":60}",
	               0, NULL);
	assert_int_equal(cp_validate_key(ok, CP_V_CREATE, NULL, NOW, &e), 0);
	json_decref(ok);
	json_t *bad_limit = json_loads("{\"name\":\"ci\",\"limit\":-2}", 0, NULL);
	assert_int_equal(cp_validate_key(bad_limit, CP_V_CREATE, NULL, NOW, &e), SY_EINVAL);
	assert_string_equal(e.field, "limit");
	assert_non_null(strstr(e.message, "limit: "));
	json_decref(bad_limit);
	/* A misspelt field is refused, never ignored: "limt" would be an unlimited key. */
	json_t *typo = json_loads("{\"name\":\"ci\",\"limt\":5}", 0, NULL);
	assert_int_equal(cp_validate_key(typo, CP_V_CREATE, NULL, NOW, &e), SY_EINVAL);
	assert_string_equal(e.field, "limt");
	assert_non_null(strstr(e.message, "limt: is not a field"));
	json_decref(typo);
}

static void test_every_bad_field(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_error_t jerr;
		json_t *j = json_loads(bad[i].body, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!j)
			fail_msg("case %zu: test body does not parse: %s", i, jerr.text);
		struct cp_verr e;
		memset(&e, 0, sizeof(e));
		int rc = validate(bad[i].e, bad[i].mode, j, &e);
		if (rc != SY_EINVAL || strcmp(e.field, bad[i].field))
			fail_msg("case %zu (%s): got rc=%d field=\"%s\", want field \"%s\"", i,
			         bad[i].body, rc, e.field, bad[i].field);
		char prefix[160];
		snprintf(prefix, sizeof(prefix), "%s: ", bad[i].field);
		assert_true(!strncmp(e.message, prefix, strlen(prefix)));
		json_decref(j);
	}
}

static void test_good_bodies(void **state)
{
	static const struct {
		enum entity e;
		enum cp_vmode mode;
		const char *body;
	} good[] = {
	    {ORG, CP_V_CREATE, "{\"name\":\"Acme, Inc.\",\"postpaid\":true}"},
	    {ORG, CP_V_PATCH, "{\"id\":\"org_a\",\"name\":\"x\"}"},
	    {ORG, CP_V_PATCH, "{}"},
	    {KEY, CP_V_PATCH,
	     "{\"disabled\":true,\"limit\":null,\"limit_reset\":null,"
	     "\"expires_at\":null,\"rpm\":null,\"hash\":\"f00d\"}"},
	    {KEY, CP_V_CREATE, "{\"name\":\"k\",\"expires_at\":\"2031-06-01T12:00:00.250+02:00\"}"},
	    {MKEY, CP_V_CREATE, "{\"name\":\"m\",\"org_id\":null}"},
	    {PROVIDER, CP_V_CREATE,
	     "{\"slug\":\"open-ai.v2\",\"base_url\":\"http://127.0.0.1:9100/v1\","
	     "\"adapter\":\"openai\",\"api_key\":\"sk-x\",\"data_collection\":\"deny\","
	     "\"connect_timeout_ms\":1000}"},
	    {PROVIDER, CP_V_PATCH, "{\"api_key\":null}"},
	    {PROVIDER, CP_V_CATALOG,
	     "{\"slug\":\"p\",\"base_url\":\"https://x\",\"api_key_env\":\"OPENAI_API_KEY\"}"},
	    {MODEL, CP_V_CREATE,
	     "{\"id\":\"mistralai/devstral-2512:free\",\"context_length\":262144,"
	     "\"input_modalities\":[\"text\",\"image\"],\"supported_parameters\":[\"tools\"],"
	     "\"endpoints\":[" EP ",\"quantization\":\"fp8\",\"tag\":\"free\"}," EP "}]}"},
	    {MODEL, CP_V_CREATE,
	     "{\"id\":\"openai/text-embedding-3-small\",\"input_modalities\":[\"text\"],"
	     "\"output_modalities\":[\"embeddings\"],\"endpoints\":[{\"provider\":\"p\","
	     "\"provider_model_id\":\"text-embedding-3-small\",\"pricing\":{\"prompt\":"
	     "\"0.00000002\",\"completion\":\"0\"}}]}"},
	    {MODEL, CP_V_PATCH, "{\"name\":\"Renamed\"}"},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *j = json_loads(good[i].body, 0, NULL);
		assert_non_null(j);
		struct cp_verr e;
		memset(&e, 0, sizeof(e));
		if (validate(good[i].e, good[i].mode, j, &e))
			fail_msg("good case %zu refused: %s", i, e.message);
		json_decref(j);
	}
}

static void test_parse_time(void **state)
{
	int64_t t;
	assert_int_equal(cp_parse_time("2026-11-24T10:00:00Z", &t), 0);
	assert_int_equal(t, 1795514400);
	assert_int_equal(cp_parse_time("2026-11-24T12:00:00+02:00", &t), 0);
	assert_int_equal(t, 1795514400);
	assert_int_equal(cp_parse_time("2026-11-24T10:00:00.123Z", &t), 0);
	assert_int_equal(t, 1795514400);
	const char *badt[] = {"",
	                      "2026-11-24",
	                      "2026-11-24T10:00:00",
	                      "2026-13-01T00:00:00Z",
	                      "2026-11-24T25:00:00Z",
	                      "2026-11-24T10:00:00Zjunk",
	                      "1969-12-31T23:59:59Z",
	                      "2026-11-24 10:00:00Z"};
	for (size_t i = 0; i < sizeof(badt) / sizeof(badt[0]); i++)
		assert_int_equal(cp_parse_time(badt[i], &t), SY_EINVAL);
}

static void test_id_syntax(void **state)
{
	assert_true(cp_valid_slug("openai"));
	assert_true(cp_valid_slug("mock-b"));
	assert_false(cp_valid_slug(""));
	assert_false(cp_valid_slug("a/b"));
	assert_true(cp_valid_model_id("openai/gpt-5.2"));
	assert_true(cp_valid_model_id("mistralai/devstral-2512:free"));
	assert_false(cp_valid_model_id("openai:x/gpt"));
	assert_false(cp_valid_model_id("/gpt"));
	assert_false(cp_valid_model_id("openai/"));
	assert_true(cp_valid_org_id("org_AbC123"));
	assert_false(cp_valid_org_id("org a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_body),    cmocka_unit_test(test_every_bad_field),
	    cmocka_unit_test(test_good_bodies), cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_id_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
