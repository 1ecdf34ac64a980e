/* mock_embed_test.c - the mock's deterministic embeddings in OpenAI's and Gemini's formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../mock/mock_embed.h"

static json_t *answer(enum mock_format f, bool batch, const char *req, const char **why)
{
	json_t *r = json_loads(req, 0, NULL);
	assert_non_null(r);
	char *s = mock_embed_answer(f, batch, r, "text-embedding-3-small", why);
	json_decref(r);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;
	free(s);
	return j;
}

static void test_values(void **state)
{
	for (unsigned j = 0; j < 64; j++) {
		double v = mock_embed_value("hello", 5, j);
		assert_true(v >= -1 && v < 1);
		assert_true(v * 1024 == floor(v * 1024)); /* exact in float32 */
		assert_true(v == mock_embed_value("hello", 5, j));
	}
	assert_true(mock_embed_value("hello", 5, 0) != mock_embed_value("hellp", 5, 0));
}

static void test_openai(void **state)
{
	const char *why = NULL;
	json_t *j =
	    answer(MOCK_OPENAI, false,
	           "{\"model\":\"m\",\"input\":[\"hello\",\"twelve chars\"],\"dimensions\":3,"
	           "\"encoding_format\":\"float\"}",
	           &why);
	assert_non_null(j);
	json_t *data = json_object_get(j, "data");
	assert_int_equal(json_array_size(data), 2);
	json_t *v = json_object_get(json_array_get(data, 0), "embedding");
	assert_int_equal(json_array_size(v), 3);
	for (unsigned k = 0; k < 3; k++)
		assert_true(json_real_value(json_array_get(v, k)) ==
		            mock_embed_value("hello", 5, k));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(data, 1), "index")), 1);
	json_t *u = json_object_get(j, "usage");
	assert_int_equal(json_integer_value(json_object_get(u, "prompt_tokens")), 2 + 3);
	assert_string_equal(json_string_value(json_object_get(j, "model")),
	                    "text-embedding-3-small");
	json_decref(j);

	/* one token id array: one vector, default length, a token each */
	j = answer(MOCK_OPENAI, false, "{\"input\":[5,6,7]}", &why);
	data = json_object_get(j, "data");
	assert_int_equal(json_array_size(data), 1);
	assert_int_equal(json_array_size(json_object_get(json_array_get(data, 0), "embedding")),
	                 MOCK_EMBED_DIMS);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "usage"), "prompt_tokens")), 3);
	json_decref(j);

	static const char *const bad[] = {"{\"input\":\"\"}", "{\"input\":[]}", "{}",
	                                  "{\"input\":\"x\",\"dimensions\":0}",
	                                  "{\"input\":\"x\",\"encoding_format\":\"base64\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_null(answer(MOCK_OPENAI, false, bad[i], &why));
		assert_non_null(why);
	}
}

static void test_gemini(void **state)
{
	const char *why = NULL;
	json_t *j = answer(MOCK_GEMINI, false,
	                   "{\"content\":{\"parts\":[{\"text\":\"hello\"}]},"
	                   "\"outputDimensionality\":2}",
	                   &why);
	json_t *vals = json_object_get(json_object_get(j, "embedding"), "values");
	assert_int_equal(json_array_size(vals), 2);
	assert_true(json_real_value(json_array_get(vals, 1)) == mock_embed_value("hello", 5, 1));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "usageMetadata"),
	                                                    "promptTokenCount")),
	                 2);
	json_decref(j);

	j = answer(
	    MOCK_GEMINI, true,
	    "{\"requests\":[{\"model\":\"models/e\",\"content\":{\"parts\":[{\"text\":\"a\"}]}},"
	    "{\"model\":\"models/e\",\"content\":{\"parts\":[{\"text\":\"b\"}]}}]}",
	    &why);
	json_t *list = json_object_get(j, "embeddings");
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(json_array_size(json_object_get(json_array_get(list, 1), "values")),
	                 MOCK_EMBED_DIMS);
	json_decref(j);

	assert_null(answer(MOCK_GEMINI, true, "{\"requests\":[]}", &why));
	assert_non_null(why);
	assert_null(answer(MOCK_GEMINI, false, "{\"content\":{\"parts\":[]}}", &why));
	assert_non_null(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_openai),
	    cmocka_unit_test(test_gemini),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
