/* dp_loop.h - a worker's single event loop: epoll for file descriptors plus one-shot timers.
 *
 * Everything a worker does runs from this loop on one thread: libmicrohttpd (external epoll),
 * libcurl multi (socket API), ZeroMQ sockets (ZMQ_FD) and timers. Callbacks must not block. */
#ifndef DP_LOOP_H
#define DP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct dp_loop;
struct dp_timer;

/* fd became ready; events are EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits. */
typedef void dp_loop_fd_fn(struct dp_loop *loop, int fd, uint32_t events, void *arg);
/* A timer fired; the timer is already gone when this runs. */
typedef void dp_loop_timer_fn(struct dp_loop *loop, void *arg);

/* New loop; NULL on failure. */
struct dp_loop *dp_loop_new(void);
/* Free the loop (timers are dropped, fds are not closed); idempotent, nulls *loopp. */
void dp_loop_free(struct dp_loop **loopp);

/* Watch fd for events (EPOLLIN|EPOLLOUT, level-triggered unless EPOLLET is given). */
int dp_loop_add_fd(struct dp_loop *loop, int fd, uint32_t events, dp_loop_fd_fn *fn, void *arg);
/* Change the events watched on fd. */
int dp_loop_mod_fd(struct dp_loop *loop, int fd, uint32_t events);
/* Stop watching fd (call before closing it). Safe from inside that fd's callback. */
int dp_loop_del_fd(struct dp_loop *loop, int fd);

/* Arm a one-shot timer delay_ms from now; NULL on allocation failure. */
struct dp_timer *dp_timer_add(struct dp_loop *loop, int64_t delay_ms, dp_loop_timer_fn *fn,
                              void *arg);
/* Cancel a pending timer; idempotent; nulls *tp. Do not call on a timer that already fired. */
void dp_timer_cancel(struct dp_timer **tp);

/* Run until dp_loop_stop. Returns 0, or a negative errno if epoll failed. */
int dp_loop_run(struct dp_loop *loop);
/* Make dp_loop_run return after the current iteration. */
void dp_loop_stop(struct dp_loop *loop);
/* Monotonic milliseconds, cached once per loop iteration. */
int64_t dp_loop_now_ms(const struct dp_loop *loop);
/* Register a function called once per loop iteration after all events were dispatched
 * (e.g. to drain ZeroMQ sockets, whose ZMQ_FD is edge-triggered). One per loop slot. */
int dp_loop_add_idle(struct dp_loop *loop, void (*fn)(struct dp_loop *, void *), void *arg);
/* Unregister an idle function added with the same fn and arg (no-op if absent); not from
 * inside an idle function. */
void dp_loop_del_idle(struct dp_loop *loop, void (*fn)(struct dp_loop *, void *), void *arg);

#endif
