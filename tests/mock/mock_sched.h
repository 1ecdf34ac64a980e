/* mock_sched.h - one thread that wakes suspended connections.
 *
 * Delayed and paced answers suspend their connection and ask to be woken at a time; answers
 * that never come (no-response, stream-stall) ask to be woken when the client hangs up. No
 * thread sleeps per connection, so thousands of slow streams cost one thread. */
#ifndef MOCK_SCHED_H
#define MOCK_SCHED_H

#include <stdint.h>

struct mock_sched;

enum mock_wake {
	MOCK_WAKE_DUE,      /* the requested time came */
	MOCK_WAKE_HANGUP,   /* the held connection's peer closed it */
	MOCK_WAKE_SHUTDOWN, /* the scheduler is shutting down: give up */
};

/* Called once per mock_sched_at/mock_sched_hold, on the scheduler's thread (or the caller's
 * after shutdown), without any scheduler lock held. */
typedef void mock_wake_fn(void *arg, enum mock_wake why);

/* Start the thread. NULL on failure. */
struct mock_sched *mock_sched_new(void);
/* Call fn(arg, MOCK_WAKE_DUE) at due_ms (sy_mono_ms clock). 0 or -ENOMEM. */
int mock_sched_at(struct mock_sched *s, int64_t due_ms, mock_wake_fn *fn, void *arg);
/* Call fn(arg, MOCK_WAKE_HANGUP) once the peer of socket fd hangs up. 0 or -ENOMEM. */
int mock_sched_hold(struct mock_sched *s, int fd, mock_wake_fn *fn, void *arg);
/* Stop the thread and wake everything pending with MOCK_WAKE_SHUTDOWN; later calls wake
 * at once with MOCK_WAKE_SHUTDOWN. Idempotent. */
void mock_sched_shutdown(struct mock_sched *s);
/* Shut down if needed and free; sets *sp to NULL. */
void mock_sched_free(struct mock_sched **sp);

#endif
