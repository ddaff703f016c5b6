/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the run loop: one epoll set owning every source of events of a
 * trace (ring buffers, signals, processes' pidfds, timers, the HTTP
 * server's sockets). Handlers run one at a time on the loop's thread, so
 * what they share needs no lock; a handler must not block.
 */
#ifndef ETLTRACE_LOOP_H
#define ETLTRACE_LOOP_H

#include <stdint.h>

struct loop;

/* Called when fd is ready (events: EPOLLIN...) or a timer expires (events
 * 0). Return 0 to go on, or a negative errno to stop the loop with it. */
typedef int (*loop_fn)(void *ctx, uint32_t events);

/* Returns 0 or -errno. */
int loop_new(struct loop **out);

/* Watches fd for events (EPOLLIN etc.). fd stays the caller's. Returns 0
 * or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fn fn, void *ctx);

/* Stops watching fd (before the caller closes it). */
void loop_del_fd(struct loop *l, int fd);

/* A timer firing every period_ns, first after first_ns (0: one period).
 * Returns its id (>= 0) for loop_del_timer, or -errno. */
int loop_add_timer(struct loop *l, uint64_t first_ns, uint64_t period_ns, loop_fn fn, void *ctx);
void loop_del_timer(struct loop *l, int id);

/* Runs until loop_stop or a handler's error. Returns the code given to
 * loop_stop, or the handler's negative errno, or -errno if waiting failed. */
int loop_run(struct loop *l);

/* Makes loop_run return rc once the current handler returns. */
void loop_stop(struct loop *l, int rc);

/* Frees the loop (its timers; not the caller's fds). NULL is allowed. */
void loop_free(struct loop *l);

#endif /* ETLTRACE_LOOP_H */
