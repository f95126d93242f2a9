/*
 * waiter.c — wait queues and poll registrations; see waiter.h.
 */
#include "lib/lockdep.h"
#include "sentry/waiter/waiter.h"

#include <string.h>

static __thread struct waiter_batch *cur_batch;

void waiter_batch_begin(struct waiter_batch *b)
{
	b->n = 0;
	b->outer = cur_batch;
	cur_batch = b;
}

void waiter_batch_end(struct waiter_batch *b)
{
	cur_batch = b->outer;
	for (int i = 0; i < b->n; i++)
		b->call[i].fn(b->call[i].arg, b->call[i].data);
	b->n = 0;
}

bool waiter_defer(waiter_deferred_fn fn, void *arg, uint32_t data)
{
	struct waiter_batch *b = cur_batch;
	if (!b || b->n == WAITER_BATCH_MAX)
		return false;
	b->call[b->n].fn = fn;
	b->call[b->n].arg = arg;
	b->call[b->n].data = data;
	b->n++;
	return true;
}

void waitq_init(struct waitq *wq)
{
	vmutex_init(&wq->lock, LOCK_CLASS(WAITQ));
	wq->head.next = wq->head.prev = &wq->head;
}

void waitq_destroy(struct waitq *wq)
{
	vmutex_destroy(&wq->lock);
}

void waiter_init(struct waiter *w, waiter_wake_fn wake, void *arg, uint32_t mask)
{
	w->next = w->prev = w;
	w->wake = wake;
	w->arg = arg;
	w->mask = mask;
	w->triggered = 0;
}

void waitq_add(struct waitq *wq, struct waiter *w)
{
	vmutex_lock(&wq->lock);
	w->next = &wq->head;
	w->prev = wq->head.prev;
	wq->head.prev->next = w;
	wq->head.prev = w;
	vmutex_unlock(&wq->lock);
}

void waitq_remove(struct waitq *wq, struct waiter *w)
{
	vmutex_lock(&wq->lock);
	if (w->next != w) {
		w->prev->next = w->next;
		w->next->prev = w->prev;
		w->next = w->prev = w;
	}
	vmutex_unlock(&wq->lock);
}

void waitq_notify(struct waitq *wq, uint32_t events)
{
	struct waiter_batch b;
	waiter_batch_begin(&b);
	vmutex_lock(&wq->lock);
	for (struct waiter *w = wq->head.next; w != &wq->head; w = w->next) {
		if (w->mask & events) {
			w->triggered |= events & w->mask;
			if (w->wake)
				w->wake(w);
		}
	}
	vmutex_unlock(&wq->lock);
	waiter_batch_end(&b);
}

uint32_t waiter_take_triggered(struct waitq *wq, struct waiter *w)
{
	vmutex_lock(&wq->lock);
	uint32_t t = w->triggered;
	w->triggered = 0;
	vmutex_unlock(&wq->lock);
	return t;
}

void poll_entry_init(struct poll_entry *pe, waiter_wake_fn wake, void *arg, uint32_t mask)
{
	memset(pe, 0, sizeof(*pe));
	waiter_init(&pe->w, wake, arg, mask);
	pe->hostfd = -1;
}

void poll_wait(struct poll_entry *pe, struct waitq *wq)
{
	if (!pe || pe->wq)
		return;
	pe->wq = wq;
	waitq_add(wq, &pe->w);
}

void poll_wait_host(struct poll_entry *pe, int hostfd, short events)
{
	if (!pe)
		return;
	pe->hostfd = hostfd;
	pe->hostevents = events;
}

void poll_entry_remove(struct poll_entry *pe)
{
	if (pe->wq) {
		waitq_remove(pe->wq, &pe->w);
		pe->wq = NULL;
	}
}
