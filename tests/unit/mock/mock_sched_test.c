/* mock_sched_test.c - wake-ups at times, on hang-up, and at shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../mock/mock_sched.h"
#include "sy_clock.h"

#define MAX_WAKES 8

/* What the wake callback saw, in order. */
struct log {
	pthread_mutex_t lock;
	int n;
	int id[MAX_WAKES];
	enum mock_wake why[MAX_WAKES];
	int64_t at[MAX_WAKES];
};

struct target {
	struct log *log;
	int id;
};

static void on_wake(void *arg, enum mock_wake why)
{
	struct target *t = arg;
	pthread_mutex_lock(&t->log->lock);
	if (t->log->n < MAX_WAKES) {
		t->log->id[t->log->n] = t->id;
		t->log->why[t->log->n] = why;
		t->log->at[t->log->n] = sy_mono_ms();
		t->log->n++;
	}
	pthread_mutex_unlock(&t->log->lock);
}

static int wakes(struct log *l)
{
	pthread_mutex_lock(&l->lock);
	int n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

/* Wait (bounded) until n wakes were seen. */
static void wait_wakes(struct log *l, int n)
{
	for (int i = 0; i < 300 && wakes(l) < n; i++)
		usleep(10000);
	assert_int_equal(wakes(l), n);
}

static void test_timers_fire_in_time_order(void **state)
{
	struct log l = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct target a = {&l, 1}, b = {&l, 2}, c = {&l, 3};
	struct mock_sched *s = mock_sched_new();
	assert_non_null(s);
	int64_t t0 = sy_mono_ms();
	assert_int_equal(mock_sched_at(s, t0 + 120, on_wake, &a), 0);
	assert_int_equal(mock_sched_at(s, t0 + 30, on_wake, &b), 0);
	assert_int_equal(mock_sched_at(s, t0 - 5, on_wake, &c), 0); /* already due */
	wait_wakes(&l, 3);
	assert_int_equal(l.id[0], 3);
	assert_int_equal(l.id[1], 2);
	assert_int_equal(l.id[2], 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(l.why[i], MOCK_WAKE_DUE);
	assert_true(l.at[1] >= t0 + 30);
	assert_true(l.at[2] >= t0 + 120);
	mock_sched_free(&s);
	assert_null(s);
}

static void test_hold_wakes_on_hangup(void **state)
{
	struct log l = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct target a = {&l, 1};
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct mock_sched *s = mock_sched_new();
	assert_int_equal(mock_sched_hold(s, sv[0], on_wake, &a), 0);
	usleep(250000);
	assert_int_equal(wakes(&l), 0); /* peer still there */
	close(sv[1]);
	wait_wakes(&l, 1);
	assert_int_equal(l.why[0], MOCK_WAKE_HANGUP);
	mock_sched_free(&s);
	close(sv[0]);
}

static void test_shutdown_wakes_everything(void **state)
{
	struct log l = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct target a = {&l, 1}, b = {&l, 2}, c = {&l, 3};
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct mock_sched *s = mock_sched_new();
	assert_int_equal(mock_sched_at(s, sy_mono_ms() + 60000, on_wake, &a), 0);
	assert_int_equal(mock_sched_hold(s, sv[0], on_wake, &b), 0);
	mock_sched_shutdown(s);
	assert_int_equal(wakes(&l), 2);
	assert_int_equal(l.why[0], MOCK_WAKE_SHUTDOWN);
	assert_int_equal(l.why[1], MOCK_WAKE_SHUTDOWN);
	/* after shutdown, a new wait ends at once */
	assert_int_equal(mock_sched_at(s, sy_mono_ms() + 60000, on_wake, &c), 0);
	assert_int_equal(wakes(&l), 3);
	assert_int_equal(l.id[2], 3);
	assert_int_equal(l.why[2], MOCK_WAKE_SHUTDOWN);
	mock_sched_free(&s);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timers_fire_in_time_order),
	    cmocka_unit_test(test_hold_wakes_on_hangup),
	    cmocka_unit_test(test_shutdown_wakes_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
