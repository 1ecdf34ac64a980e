/* mock_sched.c - a binary heap of wake-up times plus a list of held sockets, one thread. */
#include "mock_sched.h"
#include "sy_array.h"
#include "sy_clock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* How often held sockets are checked for a hang-up. */
#define HOLD_POLL_MS 100

struct wake {
	int64_t due; /* timers only */
	int fd;      /* holds only */
	mock_wake_fn *fn;
	void *arg;
};

struct vec {
	struct wake *v;
	size_t n, cap;
};

struct mock_sched {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool stop;        /* the thread is asked to exit */
	bool down;        /* the thread has exited: wake at once */
	struct vec heap;  /* timers, min-heap on due */
	struct vec holds; /* held sockets */
	struct vec fire;  /* the thread's batch to fire outside the lock */
	struct pollfd *pfds;
	size_t pfds_cap;
};

static int vec_push(struct vec *v, struct wake w)
{
	struct wake *p = sy_array_grow(v->v, v->n, &v->cap, sizeof(*p), 64);
	if (!p)
		return -ENOMEM;
	v->v = p;
	v->v[v->n++] = w;
	return 0;
}

static void swap(struct wake *a, struct wake *b)
{
	struct wake t = *a;
	*a = *b;
	*b = t;
}

static int heap_push(struct vec *h, struct wake w)
{
	int rc = vec_push(h, w);
	if (rc)
		return rc;
	for (size_t i = h->n - 1; i > 0 && h->v[(i - 1) / 2].due > h->v[i].due; i = (i - 1) / 2)
		swap(&h->v[i], &h->v[(i - 1) / 2]);
	return 0;
}

static struct wake heap_pop(struct vec *h)
{
	struct wake top = h->v[0];
	h->v[0] = h->v[--h->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->v[l].due < h->v[m].due)
			m = l;
		if (r < h->n && h->v[r].due < h->v[m].due)
			m = r;
		if (m == i)
			break;
		swap(&h->v[i], &h->v[m]);
		i = m;
	}
	return top;
}

/* Move the holds whose peer hung up to the fire batch. Called with the lock held. */
static void check_holds(struct mock_sched *s)
{
	if (s->pfds_cap < s->holds.n) {
		struct pollfd *p = realloc(s->pfds, s->holds.n * sizeof(*p));
		if (!p)
			return;
		s->pfds = p;
		s->pfds_cap = s->holds.n;
	}
	for (size_t i = 0; i < s->holds.n; i++)
		s->pfds[i] = (struct pollfd){.fd = s->holds.v[i].fd, .events = POLLRDHUP};
	if (poll(s->pfds, s->holds.n, 0) <= 0)
		return;
	size_t kept = 0;
	for (size_t i = 0; i < s->holds.n; i++) {
		if ((s->pfds[i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) &&
		    vec_push(&s->fire, s->holds.v[i]) == 0)
			continue;
		s->holds.v[kept++] = s->holds.v[i];
	}
	s->holds.n = kept;
}

static void wait_until(struct mock_sched *s, int64_t due_ms)
{
	struct timespec ts = {.tv_sec = due_ms / 1000, .tv_nsec = (due_ms % 1000) * 1000000};
	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

static void *run(void *arg)
{
	struct mock_sched *s = arg;
	int64_t next_poll = 0;
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		int64_t now = sy_mono_ms();
		s->fire.n = 0;
		while (s->heap.n && s->heap.v[0].due <= now) {
			struct wake w = heap_pop(&s->heap);
			if (vec_push(&s->fire, w)) { /* no memory for the batch: fire it alone */
				pthread_mutex_unlock(&s->lock);
				w.fn(w.arg, MOCK_WAKE_DUE);
				pthread_mutex_lock(&s->lock);
			}
		}
		size_t ndue = s->fire.n;
		if (s->holds.n && now >= next_poll) {
			check_holds(s);
			next_poll = now + HOLD_POLL_MS;
		}
		if (s->fire.n) {
			pthread_mutex_unlock(&s->lock);
			for (size_t i = 0; i < s->fire.n; i++)
				s->fire.v[i].fn(s->fire.v[i].arg,
				                i < ndue ? MOCK_WAKE_DUE : MOCK_WAKE_HANGUP);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		int64_t until = s->heap.n ? s->heap.v[0].due : now + 60000;
		if (s->holds.n && next_poll < until)
			until = next_poll;
		wait_until(s, until);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct mock_sched *mock_sched_new(void)
{
	struct mock_sched *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

int mock_sched_at(struct mock_sched *s, int64_t due_ms, mock_wake_fn *fn, void *arg)
{
	pthread_mutex_lock(&s->lock);
	if (s->down) {
		pthread_mutex_unlock(&s->lock);
		fn(arg, MOCK_WAKE_SHUTDOWN);
		return 0;
	}
	int rc = heap_push(&s->heap, (struct wake){.due = due_ms, .fn = fn, .arg = arg});
	if (rc == 0 && s->heap.v[0].arg == arg && s->heap.v[0].due == due_ms)
		pthread_cond_signal(&s->cond); /* a new earliest time */
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int mock_sched_hold(struct mock_sched *s, int fd, mock_wake_fn *fn, void *arg)
{
	pthread_mutex_lock(&s->lock);
	if (s->down) {
		pthread_mutex_unlock(&s->lock);
		fn(arg, MOCK_WAKE_SHUTDOWN);
		return 0;
	}
	int rc = vec_push(&s->holds, (struct wake){.fd = fd, .fn = fn, .arg = arg});
	if (rc == 0 && s->holds.n == 1)
		pthread_cond_signal(&s->cond); /* start polling */
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void mock_sched_shutdown(struct mock_sched *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->stop) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);

	pthread_mutex_lock(&s->lock);
	s->down = true;
	struct vec heap = s->heap, holds = s->holds;
	s->heap = (struct vec){0};
	s->holds = (struct vec){0};
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < heap.n; i++)
		heap.v[i].fn(heap.v[i].arg, MOCK_WAKE_SHUTDOWN);
	for (size_t i = 0; i < holds.n; i++)
		holds.v[i].fn(holds.v[i].arg, MOCK_WAKE_SHUTDOWN);
	free(heap.v);
	free(holds.v);
}

void mock_sched_free(struct mock_sched **sp)
{
	struct mock_sched *s = *sp;
	if (!s)
		return;
	mock_sched_shutdown(s);
	free(s->heap.v);
	free(s->holds.v);
	free(s->fire.v);
	free(s->pfds);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
	*sp = NULL;
}
