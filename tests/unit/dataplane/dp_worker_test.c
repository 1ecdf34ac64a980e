/* dp_worker_test.c - the worker's parts built in one place: dp_worker_open builds the loop,
 * ZeroMQ context, upstream client and endpoint health; dp_worker_set_view swaps the view
 * (the old generation's reference dropped, the new one taken); dp_worker_close frees all of
 * it and is idempotent. */
#include "dp_view.h"
#include "dp_worker.h"

#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void test_open_set_view_close(void **state)
{
	struct dp_config cfg = {0};
	struct dp_worker w;
	assert_int_equal(dp_worker_open(&w, 3, &cfg), 0);
	assert_int_equal(w.id, 3);
	assert_ptr_equal(w.cfg, &cfg);
	assert_non_null(w.loop);
	assert_non_null(w.zctx);
	assert_non_null(w.upstream);
	assert_non_null(w.health);
	assert_null(w.view);

	struct dp_view *first = dp_view_new();
	struct dp_view *held = dp_view_ref(first); /* the test's own reference */
	dp_worker_set_view(&w, &first);
	assert_null(first); /* taken */
	assert_ptr_equal(w.view, held);
	struct dp_view *second = dp_view_new();
	struct dp_view *second_held = dp_view_ref(second);
	dp_worker_set_view(&w, &second);
	assert_ptr_equal(w.view, second_held);
	dp_view_unref(&held); /* the worker dropped its reference: this frees the first */

	dp_worker_close(&w);
	assert_null(w.loop);
	assert_null(w.zctx);
	assert_null(w.upstream);
	assert_null(w.health);
	assert_null(w.view);
	dp_worker_close(&w); /* idempotent */
	dp_view_unref(&second_held);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_set_view_close),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
