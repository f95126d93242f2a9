/*
 * ptimer.h — POSIX per-process timers (timer_create & co.) and the CPU-time
 * interval timers (setitimer ITIMER_VIRTUAL, ITIMER_PROF).
 */
#ifndef VISOR_SENTRY_KERNEL_PTIMER_H
#define VISOR_SENTRY_KERNEL_PTIMER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct task;
struct thread_group;

/* timer_create: ev NULL means SIGEV_SIGNAL with SIGALRM and the timer's id
 * as its value.  -EINVAL (clock, sigevent), -EOPNOTSUPP (a clock without
 * timers), -EAGAIN (RLIMIT_SIGPENDING).  The new id in *id. */
int ptimer_create(struct task *t, int clockid, const struct sigevent *ev, int *id);
/* nv validated by the caller; the previous setting in *ov.  -EINVAL for an
 * unknown id. */
int ptimer_settime(struct task *t, int id, int flags, const struct itimerspec *nv,
		   struct itimerspec *ov);
int ptimer_gettime(struct task *t, int id, struct itimerspec *cur);
/* The overrun count of the timer's last delivered signal, or -EINVAL. */
int ptimer_getoverrun(struct task *t, int id);
int ptimer_delete(struct task *t, int id);
/* Delete every POSIX timer of tg (execve; and exit, when close is set: the
 * itimers too, and none can be made after).  With no lock held. */
void ptimer_delete_all(struct thread_group *tg, bool close);
/* The same in two steps, for exit: unlink them under tg->siglock, then
 * free them with no lock held.  The timers hold references to tg, so the
 * second step may run after tg was reaped. */
struct ptimer;
struct ptimer *ptimer_detach_all_locked(struct thread_group *tg, bool close);
void ptimer_free_list(struct ptimer *list);
/* Under tg->siglock, from signal dequeue: info (si_code SI_TIMER) is being
 * taken; fill si_overrun and let the timer queue its signal again.  false:
 * drop it (its timer was deleted or set again since), as Linux 6.13+. */
bool ptimer_dequeued_locked(struct thread_group *tg, siginfo_t *info);

/* setitimer/getitimer ITIMER_VIRTUAL (user time, SIGVTALRM) and
 * ITIMER_PROF (user + system time, SIGPROF) of t's process: ns values,
 * value 0 disarms; the old remaining time and interval come back. */
int ptimer_itimer_set(struct task *t, int which, int64_t value, int64_t interval,
		      int64_t *old_value, int64_t *old_interval);
void ptimer_itimer_get(struct task *t, int which, int64_t *value, int64_t *interval);

#endif
