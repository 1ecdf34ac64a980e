/* dp_loop.c - epoll + a binary heap of one-shot timers. */
#include "dp_loop.h"
#include "sy_clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define MAX_IDLE 8

struct watch {
	int fd;
	dp_loop_fd_fn *fn;
	void *arg;
};

struct dp_timer {
	int64_t due;
	uint64_t order; /* ties fire in arming order */
	size_t slot;    /* index in the heap */
	dp_loop_timer_fn *fn;
	void *arg;
	struct dp_loop *loop;
};

struct idle {
	void (*fn)(struct dp_loop *, void *);
	void *arg;
};

struct dp_loop {
	int epfd;
	bool stop;
	int64_t now;
	struct watch **watches; /* indexed by fd */
	size_t nwatches;
	struct dp_timer **heap;
	size_t nheap, capheap;
	uint64_t next_order;
	struct idle idle[MAX_IDLE];
	size_t nidle;
};

struct dp_loop *dp_loop_new(void)
{
	struct dp_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->now = sy_mono_ms();
	return l;
}

void dp_loop_free(struct dp_loop **loopp)
{
	struct dp_loop *l = *loopp;
	if (!l)
		return;
	for (size_t i = 0; i < l->nwatches; i++)
		free(l->watches[i]);
	free(l->watches);
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	close(l->epfd);
	free(l);
	*loopp = NULL;
}

int dp_loop_add_fd(struct dp_loop *l, int fd, uint32_t events, dp_loop_fd_fn *fn, void *arg)
{
	if (fd < 0)
		return -EINVAL;
	if ((size_t)fd >= l->nwatches) {
		size_t n = (size_t)fd + 64;
		struct watch **w = realloc(l->watches, n * sizeof(*w));
		if (!w)
			return -ENOMEM;
		memset(w + l->nwatches, 0, (n - l->nwatches) * sizeof(*w));
		l->watches = w;
		l->nwatches = n;
	}
	if (l->watches[fd])
		return -EEXIST;
	struct watch *w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){fd, fn, arg};
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(w);
		return -e;
	}
	l->watches[fd] = w;
	return 0;
}

int dp_loop_mod_fd(struct dp_loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int dp_loop_del_fd(struct dp_loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nwatches || !l->watches[fd])
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	free(l->watches[fd]);
	l->watches[fd] = NULL;
	return 0;
}

static bool before(const struct dp_timer *a, const struct dp_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void heap_set(struct dp_loop *l, size_t i, struct dp_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void heap_up(struct dp_loop *l, size_t i)
{
	struct dp_timer *t = l->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(t, l->heap[p]))
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void heap_down(struct dp_loop *l, size_t i)
{
	struct dp_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct dp_loop *l, size_t i)
{
	l->nheap--;
	if (i == l->nheap)
		return;
	struct dp_timer *moved = l->heap[l->nheap];
	heap_set(l, i, moved);
	heap_down(l, i);
	heap_up(l, moved->slot);
}

struct dp_timer *dp_timer_add(struct dp_loop *l, int64_t delay_ms, dp_loop_timer_fn *fn, void *arg)
{
	if (l->nheap == l->capheap) {
		size_t n = l->capheap ? l->capheap * 2 : 64;
		struct dp_timer **h = realloc(l->heap, n * sizeof(*h));
		if (!h)
			return NULL;
		l->heap = h;
		l->capheap = n;
	}
	struct dp_timer *t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	*t = (struct dp_timer){.due = sy_mono_ms() + (delay_ms > 0 ? delay_ms : 0),
	                       .order = l->next_order++,
	                       .fn = fn,
	                       .arg = arg,
	                       .loop = l};
	l->heap[l->nheap] = t;
	t->slot = l->nheap++;
	heap_up(l, t->slot);
	return t;
}

void dp_timer_cancel(struct dp_timer **tp)
{
	struct dp_timer *t = *tp;
	if (!t)
		return;
	heap_remove(t->loop, t->slot);
	free(t);
	*tp = NULL;
}

int dp_loop_add_idle(struct dp_loop *l, void (*fn)(struct dp_loop *, void *), void *arg)
{
	if (l->nidle == MAX_IDLE)
		return -ENOSPC;
	l->idle[l->nidle++] = (struct idle){fn, arg};
	return 0;
}

void dp_loop_del_idle(struct dp_loop *l, void (*fn)(struct dp_loop *, void *), void *arg)
{
	for (size_t i = 0; i < l->nidle; i++) {
		if (l->idle[i].fn == fn && l->idle[i].arg == arg) {
			memmove(&l->idle[i], &l->idle[i + 1],
			        (l->nidle - i - 1) * sizeof(l->idle[0]));
			l->nidle--;
			return;
		}
	}
}

static void run_timers(struct dp_loop *l)
{
	while (l->nheap && l->heap[0]->due <= l->now) {
		struct dp_timer *t = l->heap[0];
		heap_remove(l, 0);
		dp_loop_timer_fn *fn = t->fn;
		void *arg = t->arg;
		free(t);
		fn(l, arg);
	}
}

int dp_loop_run(struct dp_loop *l)
{
	struct epoll_event evs[MAX_EVENTS];
	l->stop = false;
	while (!l->stop) {
		l->now = sy_mono_ms();
		run_timers(l);
		for (size_t i = 0; i < l->nidle; i++)
			l->idle[i].fn(l, l->idle[i].arg);
		if (l->stop)
			break;
		int timeout = -1;
		if (l->nheap) {
			int64_t d = l->heap[0]->due - sy_mono_ms();
			timeout = d < 0 ? 0 : (d > 60000 ? 60000 : (int)d);
		}
		int n = epoll_wait(l->epfd, evs, MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->now = sy_mono_ms();
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			/* a callback earlier in this batch may have removed this watch */
			if ((size_t)fd >= l->nwatches || !l->watches[fd])
				continue;
			struct watch *w = l->watches[fd];
			w->fn(l, fd, evs[i].events, w->arg);
		}
	}
	return 0;
}

void dp_loop_stop(struct dp_loop *l)
{
	l->stop = true;
}

int64_t dp_loop_now_ms(const struct dp_loop *l)
{
	return l->now;
}
