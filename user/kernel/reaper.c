// SPDX-License-Identifier: MIT
/* reaper.c - detaching links off the run loop, see reaper.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/reaper.h"

struct reaper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;  /* links queued, or stopping */
	pthread_cond_t idle;  /* the queue emptied and nothing is being closed */
	struct links queue;
	bool busy, stopping;
};

static void *reap(void *arg)
{
	struct reaper *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct links now;

		while (!r->queue.n && !r->stopping)
			pthread_cond_wait(&r->work, &r->mu);
		if (!r->queue.n)
			break;
		now = r->queue;
		memset(&r->queue, 0, sizeof(r->queue));
		r->busy = true;
		pthread_mutex_unlock(&r->mu);
		links_free(&now); /* many at once: their grace periods overlap */
		pthread_mutex_lock(&r->mu);
		r->busy = false;
		if (!r->queue.n)
			pthread_cond_broadcast(&r->idle);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int reaper_start(struct reaper **out)
{
	struct reaper *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->idle, NULL);
	err = pthread_create(&r->thread, NULL, reap, r);
	if (err) {
		pthread_cond_destroy(&r->idle);
		pthread_cond_destroy(&r->work);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return -err;
	}
	*out = r;
	return 0;
}

/* Appends the links of l to the queue. Returns 0 or -ENOMEM. */
static int enqueue(struct reaper *r, const struct links *l)
{
	struct links *q = &r->queue;

	if (q->n + l->n > q->cap) {
		size_t cap = q->cap ? q->cap : 16;
		struct link *v;

		while (cap < q->n + l->n)
			cap *= 2;
		v = realloc(q->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		q->v = v;
		q->cap = cap;
	}
	memcpy(q->v + q->n, l->v, l->n * sizeof(*l->v));
	q->n += l->n;
	return 0;
}

void reaper_add(struct reaper *r, struct links *l)
{
	int err = -ENOENT;

	if (r && l->n) {
		pthread_mutex_lock(&r->mu);
		err = enqueue(r, l);
		if (!err)
			pthread_cond_signal(&r->work);
		pthread_mutex_unlock(&r->mu);
	}
	if (err) {
		links_free(l);
		return;
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void reaper_drain(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	while (r->queue.n || r->busy)
		pthread_cond_wait(&r->idle, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

void reaper_stop(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL); /* it empties the queue before it ends */
	links_free(&r->queue);
	pthread_cond_destroy(&r->idle);
	pthread_cond_destroy(&r->work);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
