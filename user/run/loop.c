// SPDX-License-Identifier: MIT
/* loop.c - the run loop, see loop.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "run/loop.h"

struct source {
	int fd;
	bool timer; /* fd is a timerfd the loop owns */
	bool used;
	loop_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	struct source *src;
	size_t nsrc;
	bool stopped;
	int rc;
};

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = -errno;

		free(l);
		return err;
	}
	*out = l;
	return 0;
}

/* A free slot (index), grown if needed; -ENOMEM. */
static int slot(struct loop *l)
{
	struct source *v;

	for (size_t i = 0; i < l->nsrc; i++)
		if (!l->src[i].used)
			return (int)i;
	v = realloc(l->src, (l->nsrc + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->src = v;
	l->src[l->nsrc] = (struct source){ .fd = -1 };
	return (int)l->nsrc++;
}

static int add(struct loop *l, int fd, bool timer, uint32_t events, loop_fn fn, void *ctx)
{
	int i = slot(l);
	struct epoll_event ev = { .events = events };

	if (i < 0)
		return i;
	ev.data.u32 = (uint32_t)i;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->src[i] = (struct source){ fd, timer, true, fn, ctx };
	return i;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fn fn, void *ctx)
{
	int i = add(l, fd, false, events, fn, ctx);

	return i < 0 ? i : 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nsrc; i++) {
		if (!l->src[i].used || l->src[i].timer || l->src[i].fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->src[i].used = false;
	}
}

int loop_add_timer(struct loop *l, uint64_t first_ns, uint64_t period_ns, loop_fn fn, void *ctx)
{
	struct itimerspec its = {
		.it_interval = { (time_t)(period_ns / 1000000000u), (long)(period_ns % 1000000000u) },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), i;

	if (fd < 0)
		return -errno;
	if (!first_ns)
		first_ns = period_ns;
	its.it_value = (struct timespec){ (time_t)(first_ns / 1000000000u),
					   (long)(first_ns % 1000000000u) };
	if (timerfd_settime(fd, 0, &its, NULL)) {
		i = -errno;
		close(fd);
		return i;
	}
	i = add(l, fd, true, EPOLLIN, fn, ctx);
	if (i < 0)
		close(fd);
	return i;
}

void loop_del_timer(struct loop *l, int id)
{
	if (id < 0 || (size_t)id >= l->nsrc || !l->src[id].used || !l->src[id].timer)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->src[id].fd, NULL);
	close(l->src[id].fd);
	l->src[id].used = false;
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[16];

	l->stopped = false;
	while (!l->stopped) {
		int n = epoll_wait(l->epfd, ev, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stopped; i++) {
			struct source *s = &l->src[ev[i].data.u32];
			uint64_t ticks;
			int rc;

			if (!s->used)
				continue; /* removed by an earlier handler */
			if (s->timer && read(s->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
				continue;
			rc = s->fn(s->ctx, s->timer ? 0 : ev[i].events);
			if (rc < 0)
				loop_stop(l, rc);
		}
	}
	return l->rc;
}

void loop_stop(struct loop *l, int rc)
{
	l->stopped = true;
	l->rc = rc;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nsrc; i++)
		if (l->src[i].used && l->src[i].timer)
			close(l->src[i].fd);
	close(l->epfd);
	free(l->src);
	free(l);
}
