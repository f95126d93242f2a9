/*
 * ktimer.c — the timer service (see ktimer.h): a list sorted by deadline and
 * one thread that sleeps on a CLOCK_MONOTONIC condition variable until the
 * first deadline, then calls the expired timers' functions one at a time
 * with ktimer_lock dropped.  `running` names the timer whose function runs,
 * so ktimer_destroy can wait for it.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "lib/lockdep.h"
#include "sentry/kernel/ktimer.h"

#define NSEC_PER_SEC 1000000000LL

static struct vmutex ktimer_lock = VMUTEX_INITIALIZER(LOCK_CLASS(KTIMERS));
static pthread_cond_t kt_cond;      /* the service waits: a new first deadline */
static pthread_cond_t kt_done_cond; /* a function returned (ktimer_destroy waits) */
static struct ktimer *kt_list;      /* by deadline, earliest first */
static struct ktimer *kt_running;   /* whose function runs now */
static pthread_once_t kt_once = PTHREAD_ONCE_INIT;
static int kt_start_error;

int64_t ktimer_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Under ktimer_lock. */
static void unqueue_locked(struct ktimer *kt)
{
	if (!kt->queued)
		return;
	for (struct ktimer **pp = &kt_list; *pp; pp = &(*pp)->next)
		if (*pp == kt) {
			*pp = kt->next;
			break;
		}
	kt->queued = false;
	kt->next = NULL;
}

static void *kt_main(void *arg)
{
	vmutex_lock(&ktimer_lock);
	for (;;) {
		struct ktimer *kt = kt_list;
		if (!kt) {
			vmutex_cond_wait(&kt_cond, &ktimer_lock);
			continue;
		}
		if (kt->when > ktimer_now()) {
			struct timespec dl = {kt->when / NSEC_PER_SEC, kt->when % NSEC_PER_SEC};
			vmutex_cond_timedwait(&kt_cond, &ktimer_lock, &dl);
			continue;
		}
		unqueue_locked(kt);
		kt_running = kt;
		vmutex_unlock(&ktimer_lock);
		kt->fn(kt);
		vmutex_lock(&ktimer_lock);
		kt_running = NULL;
		pthread_cond_broadcast(&kt_done_cond);
	}
	return NULL;
}

static void kt_start(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&kt_cond, &ca);
	pthread_cond_init(&kt_done_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_t th;
	kt_start_error = pthread_create(&th, NULL, kt_main, NULL);
	if (!kt_start_error)
		pthread_detach(th);
}

void ktimer_init(struct ktimer *kt, ktimer_fn fn, void *arg)
{
	*kt = (struct ktimer){.fn = fn, .arg = arg};
}

int ktimer_arm(struct ktimer *kt, int64_t when)
{
	pthread_once(&kt_once, kt_start);
	if (kt_start_error)
		return -EAGAIN;
	vmutex_lock(&ktimer_lock);
	if (kt->dead) {
		vmutex_unlock(&ktimer_lock);
		return 0;
	}
	unqueue_locked(kt);
	kt->when = when;
	struct ktimer **pp = &kt_list;
	while (*pp && (*pp)->when <= when)
		pp = &(*pp)->next;
	kt->next = *pp;
	*pp = kt;
	kt->queued = true;
	if (kt_list == kt)
		pthread_cond_signal(&kt_cond);
	vmutex_unlock(&ktimer_lock);
	return 0;
}

void ktimer_disarm(struct ktimer *kt)
{
	vmutex_lock(&ktimer_lock);
	unqueue_locked(kt);
	vmutex_unlock(&ktimer_lock);
}

void ktimer_destroy(struct ktimer *kt)
{
	vmutex_lock(&ktimer_lock);
	kt->dead = true;
	unqueue_locked(kt);
	while (kt_running == kt)
		vmutex_cond_wait(&kt_done_cond, &ktimer_lock);
	vmutex_unlock(&ktimer_lock);
}
