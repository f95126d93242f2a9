/*
 * ptimer.c — POSIX timers (timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete) and setitimer's ITIMER_VIRTUAL and
 * ITIMER_PROF, on the timer service (ktimer.h).
 *
 * A timer belongs to its thread group: the group's timers are a list under
 * tg->siglock, and every field of a timer is too, so the service's function
 * (ptimer_fire) takes the siglock, counts the expirations up to now and
 * queues the signal under it.  Each timer holds a reference to its group
 * (kernel_get_tg), so a firing timer never touches a freed group; a deleted
 * timer is unlinked under the siglock, then destroyed (ktimer_destroy waits
 * for a running fire) with no lock held.
 *
 * Clocks: CLOCK_REALTIME, TAI, MONOTONIC and BOOTTIME timers run on a host
 * CLOCK_MONOTONIC deadline (an absolute time is converted when set: the
 * sandbox's clocks are never set).  CPU-time timers (CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID, ITIMER_PROF: user + system; ITIMER_VIRTUAL: user)
 * read the group's accounted time plus the time its threads have been in app
 * code since their last switch (task->run_start_ns), and are polled at most
 * every CPU_POLL_NS; a thread's CPU clock (CLOCK_THREAD_CPUTIME_ID,
 * pthread_getcpuclockid) reads that thread's own task->cpu_ns the same way,
 * and stops when the thread exits.
 *
 * Signals as Linux: a timer's signal is queued once; expirations while it is
 * pending count as overruns, reported in si_overrun when it is dequeued (and
 * by timer_getoverrun after); si_code SI_TIMER, si_timerid, si_value.  An
 * itimer sends SIGVTALRM/SIGPROF as SI_KERNEL.  Timers count against
 * RLIMIT_SIGPENDING (EAGAIN), are not inherited by fork (a new group starts
 * with none), and execve deletes the POSIX ones (itimers stay), as Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktimer.h"
#include "sentry/kernel/ptimer.h"
#include "sentry/kernel/signal.h"

#define NSEC_PER_SEC 1000000000LL
#define CPU_POLL_NS (10 * 1000000LL)
#define SIGBIT(s) (1ULL << ((s)-1))
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

enum pt_clock { PT_WALL, PT_CPU_PROF, PT_CPU_VIRT, PT_CPU_THREAD };

struct ptimer {
	struct ptimer *link;      /* in tg->ptimers */
	struct thread_group *tg;  /* a reference */
	struct ktimer kt;
	int id;                   /* >= 0: POSIX; -1: an itimer */
	enum pt_clock clock;
	int wall_clock;           /* PT_WALL: the app's clock id (absolute times) */
	int cpu_tid;              /* PT_CPU_THREAD: whose */
	int64_t cpu_last;         /* PT_CPU_THREAD: its clock when last seen */
	int notify;               /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
	int signo, tid, code;
	union sigval value;
	bool armed;
	int64_t next;             /* PT_WALL: host monotonic ns; else CPU ns */
	int64_t interval;
	int overrun, overrun_last;
	bool sig_pending;
	uint32_t seq;             /* bumped when set: an older queued signal is dropped */
	bool dead;                /* unlinked: fire does nothing */
};

/* Linux's si_sys_private, after the timer's value: which setting of the
 * timer queued the signal.  Never shown to the app (cleared at dequeue). */
static int *si_private(siginfo_t *info)
{
	return (int *)((char *)&info->si_value + sizeof(union sigval));
}

static int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / NSEC_PER_SEC - 1)
		return INT64_MAX / 4;
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};
}

static int64_t host_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts_ns(&ts);
}

/* Under siglock: the group's CPU time as clock c counts it. */
static int64_t cpu_now_locked(struct thread_group *tg, enum pt_clock c)
{
	int64_t v = (int64_t)__atomic_load_n(&tg->utime_ns, __ATOMIC_RELAXED);
	if (c == PT_CPU_PROF)
		v += (int64_t)__atomic_load_n(&tg->stime_ns, __ATOMIC_RELAXED);
	int64_t now = ktimer_now();
	for (struct task *x = tg->threads; x; x = x->tg_next) {
		int64_t s = (int64_t)atomic_load(&x->run_start_ns);
		if (s && now > s)
			v += now - s;
	}
	return v;
}

/* Under siglock: thread tid's CPU clock (the last value once it is gone). */
static int64_t thread_cpu_now_locked(struct ptimer *p)
{
	int64_t now = ktimer_now();
	for (struct task *x = p->tg->threads; x; x = x->tg_next) {
		if (x->tid != p->cpu_tid)
			continue;
		int64_t v = (int64_t)atomic_load(&x->cpu_ns);
		int64_t s = (int64_t)atomic_load(&x->run_start_ns);
		if (s && now > s)
			v += now - s;
		p->cpu_last = v;
		break;
	}
	return p->cpu_last;
}

static int64_t pt_now_locked(struct ptimer *p)
{
	if (p->clock == PT_CPU_THREAD)
		return thread_cpu_now_locked(p);
	return p->clock == PT_WALL ? ktimer_now() : cpu_now_locked(p->tg, p->clock);
}

/* Under siglock: arm the service for p's next expiration. */
static void pt_arm_locked(struct ptimer *p, int64_t now)
{
	if (p->clock == PT_WALL) {
		ktimer_arm(&p->kt, p->next);
		return;
	}
	int64_t left = p->next - now;
	ktimer_arm(&p->kt, ktimer_now() + (left < CPU_POLL_NS ? (left > 0 ? left : 0) : CPU_POLL_NS));
}

/* Under siglock: is p's signal still queued where p sent it? */
static bool pt_sig_queued_locked(struct ptimer *p)
{
	struct thread_group *tg = p->tg;
	if (tg->shared_pending.set & SIGBIT(p->signo))
		return true;
	for (struct task *x = tg->threads; x; x = x->tg_next)
		if (x->pending.set & SIGBIT(p->signo))
			return true;
	return false;
}

/* Under siglock: n expirations happened. */
static void pt_expired_locked(struct ptimer *p, int n)
{
	if (p->notify == SIGEV_NONE)
		return;
	if (p->sig_pending && pt_sig_queued_locked(p)) {
		p->overrun = p->overrun > INT32_MAX - n ? INT32_MAX : p->overrun + n;
		return;
	}
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = p->signo;
	info.si_code = p->code;
	if (p->code == SI_TIMER) {
		info.si_timerid = p->id;
		info.si_value = p->value;
		*si_private(&info) = (int)p->seq;
	}
	struct task *target = NULL;
	if (p->notify == SIGEV_THREAD_ID)
		for (struct task *x = p->tg->threads; x; x = x->tg_next)
			if (x->tid == p->tid && !x->exiting)
				target = x;
	p->overrun = n - 1;
	p->sig_pending = true;
	/* A standard signal is pending once: if an earlier setting's signal
	 * of this timer is still there, it now stands for this one. */
	struct sigpending *sp = target ? &target->pending : &p->tg->shared_pending;
	if (p->signo < 32 && (sp->set & SIGBIT(p->signo))) {
		siginfo_t *old = &sp->info[p->signo - 1];
		if (old->si_code == SI_TIMER && old->si_timerid == p->id) {
			*si_private(old) = (int)p->seq;
			return;
		}
	}
	signal_queue_locked(p->tg, target, &info);
}

/* Under siglock: count expirations up to now; returns how many. */
static int pt_update_locked(struct ptimer *p, int64_t now)
{
	if (!p->armed || now < p->next)
		return 0;
	int64_t n = 1;
	if (p->interval) {
		n = (now - p->next) / p->interval + 1;
		p->next += n * p->interval;
	} else {
		p->armed = false;
	}
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

static void ptimer_fire(struct ktimer *kt)
{
	struct ptimer *p = kt->arg;
	struct thread_group *tg = p->tg;
	vmutex_lock(&tg->siglock);
	if (!p->dead && p->armed) {
		int64_t now = pt_now_locked(p);
		int n = pt_update_locked(p, now);
		if (n)
			pt_expired_locked(p, n);
		if (p->armed)
			pt_arm_locked(p, now);
	}
	vmutex_unlock(&tg->siglock);
}

static void pt_free(struct ptimer *p)
{
	ktimer_destroy(&p->kt);
	tg_put(p->tg);
	free(p);
}

/* Under siglock: the current setting (Linux's common_timer_get). */
static void pt_get_locked(struct ptimer *p, int64_t now, struct itimerspec *cur)
{
	memset(cur, 0, sizeof(*cur));
	if (p->notify == SIGEV_NONE && p->armed && p->interval && now >= p->next)
		pt_update_locked(p, now); /* a SIGEV_NONE timer is forwarded when read */
	if (!p->armed)
		return;
	cur->it_interval = ns_ts(p->interval);
	int64_t left = p->next - now;
	/* As Linux's common_timer_get: an expired timer whose expiry the
	 * timer service has not handled yet reads 1 ns (a signal is on its
	 * way), but a SIGEV_NONE one reads 0: nothing is on its way, and a
	 * loaded host may run the service late. */
	if (left <= 0 && p->notify == SIGEV_NONE)
		return;
	cur->it_value = ns_ts(left > 0 ? left : 1);
}

/* Under siglock. */
static struct ptimer *pt_find_locked(struct thread_group *tg, int id)
{
	if (id < 0)
		return NULL;
	for (struct ptimer *p = tg->ptimers; p; p = p->link)
		if (p->id == id)
			return p;
	return NULL;
}

static struct ptimer *pt_alloc(struct task *t)
{
	struct ptimer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tg = kernel_get_tg(t->k, t->tg->tgid);
	if (!p->tg) {
		free(p);
		return NULL;
	}
	ktimer_init(&p->kt, ptimer_fire, p);
	return p;
}

int ptimer_create(struct task *t, int clockid, const struct sigevent *ev, int *id)
{
	enum pt_clock clock = PT_WALL;
	int cpu_tid = t->tid;
	switch (clockid) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		break;
	case CLOCK_PROCESS_CPUTIME_ID:
		clock = PT_CPU_PROF;
		break;
	case CLOCK_THREAD_CPUTIME_ID:
		clock = PT_CPU_THREAD;
		break;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		/* No timers on these (alarms: a host without an RTC). */
		return -EOPNOTSUPP;
	default:
		/* A CPU clock by pid (clock_getcpuclockid, pthread_getcpuclockid):
		 * this process's own, or one of its threads'.  Simplification,
		 * stated: timers on other processes' CPU clocks are EINVAL. */
		if (clockid < 0 && (clockid & 3) != 3) {
			int pid = ~(clockid >> 3);
			bool ok = false;
			if (clockid & 4) {
				cpu_tid = pid ? pid : t->tid;
				vmutex_lock(&t->tg->siglock);
				for (struct task *x = t->tg->threads; x; x = x->tg_next)
					ok |= x->tid == cpu_tid;
				vmutex_unlock(&t->tg->siglock);
				clock = PT_CPU_THREAD;
			} else {
				ok = pid == 0 || pid == t->tg->tgid;
				clock = PT_CPU_PROF;
			}
			if (ok)
				break;
		}
		return -EINVAL;
	}
	struct sigevent def;
	if (!ev) {
		memset(&def, 0, sizeof(def));
		def.sigev_notify = SIGEV_SIGNAL;
		def.sigev_signo = SIGALRM;
		ev = &def;
	}
	struct thread_group *tg = t->tg;
	struct ptimer *p = pt_alloc(t);
	if (!p)
		return -EAGAIN;
	p->clock = clock;
	p->wall_clock = clockid;
	p->cpu_tid = cpu_tid;
	p->notify = ev->sigev_notify;
	p->signo = ev->sigev_signo;
	p->tid = ev->_sigev_un._tid;
	p->value = ev->sigev_value;
	p->code = SI_TIMER;
	int r = 0;
	vmutex_lock(&tg->siglock);
	/* As Linux's good_sigevent. */
	switch (p->notify) {
	case SIGEV_THREAD_ID: {
		bool found = false;
		for (struct task *x = tg->threads; x; x = x->tg_next)
			if (x->tid == p->tid && !x->exiting)
				found = true;
		if (!found) {
			r = -EINVAL;
			break;
		}
	}
		/* fall through */
	case SIGEV_SIGNAL:
	case SIGEV_THREAD:
		if (p->signo <= 0 || p->signo > VISOR_NSIG)
			r = -EINVAL;
		break;
	case SIGEV_NONE:
		break;
	default:
		r = -EINVAL;
	}
	/* As Linux: each timer holds a preallocated signal, counted against
	 * RLIMIT_SIGPENDING, checked before an id is given; the sigevent is
	 * checked after (a bad one has used an id). */
	if (tg->ptimers_closed ||
	    (uint64_t)tg->nptimers + 1 > (uint64_t)tg->rlimits[RLIMIT_SIGPENDING].rlim_cur) {
		r = -EAGAIN;
	} else {
		/* Ids count up per process, wrapping at INT_MAX. */
		do {
			p->id = tg->ptimer_next_id;
			tg->ptimer_next_id = (tg->ptimer_next_id + 1) & INT32_MAX;
		} while (pt_find_locked(tg, p->id));
	}
	if (!r) {
		if (!ev->sigev_value.sival_ptr && ev == &def)
			p->value.sival_int = p->id;
		p->next = 0;
		struct ptimer **pp = &tg->ptimers;
		while (*pp)
			pp = &(*pp)->link;
		*pp = p;
		tg->nptimers++;
		*id = p->id;
	}
	vmutex_unlock(&tg->siglock);
	if (r)
		pt_free(p);
	return r;
}

/* Under siglock: the host deadline / CPU target for value, as set. */
static int64_t pt_target_locked(struct task *t, struct ptimer *p, int flags, int64_t value,
				int64_t now)
{
	if (!(flags & TIMER_ABSTIME))
		return now + value;
	if (p->clock != PT_WALL)
		return value;
	int64_t boot = ts_ns(&t->k->boot_mono);
	switch (p->wall_clock) {
	case CLOCK_REALTIME:
	case CLOCK_TAI:
		return now + (value - host_ns(p->wall_clock));
	case CLOCK_BOOTTIME:
		return now + (value - (host_ns(CLOCK_BOOTTIME) - boot));
	default:
		return value + boot;
	}
}

static void pt_set_locked(struct task *t, struct ptimer *p, int flags, int64_t value,
			  int64_t interval)
{
	int64_t now = pt_now_locked(p);
	p->overrun = 0;
	p->seq++;
	p->sig_pending = false; /* a signal of the old setting is dropped (dequeue) */
	p->armed = value != 0;
	p->interval = p->armed ? interval : 0;
	if (p->armed) {
		p->next = pt_target_locked(t, p, flags, value, now);
		pt_arm_locked(p, now);
	} else {
		ktimer_disarm(&p->kt);
	}
}

int ptimer_settime(struct task *t, int id, int flags, const struct itimerspec *nv,
		   struct itimerspec *ov)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	struct ptimer *p = pt_find_locked(tg, id);
	if (!p) {
		vmutex_unlock(&tg->siglock);
		return -EINVAL;
	}
	pt_get_locked(p, pt_now_locked(p), ov);
	pt_set_locked(t, p, flags, ts_ns(&nv->it_value), ts_ns(&nv->it_interval));
	vmutex_unlock(&tg->siglock);
	return 0;
}

int ptimer_gettime(struct task *t, int id, struct itimerspec *cur)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	struct ptimer *p = pt_find_locked(tg, id);
	if (p)
		pt_get_locked(p, pt_now_locked(p), cur);
	vmutex_unlock(&tg->siglock);
	return p ? 0 : -EINVAL;
}

int ptimer_getoverrun(struct task *t, int id)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	struct ptimer *p = pt_find_locked(tg, id);
	int r = p ? p->overrun_last : -EINVAL;
	vmutex_unlock(&tg->siglock);
	return r;
}

/* Under siglock: take p off the group's list. */
static void pt_unlink_locked(struct thread_group *tg, struct ptimer *p)
{
	for (struct ptimer **pp = &tg->ptimers; *pp; pp = &(*pp)->link)
		if (*pp == p) {
			*pp = p->link;
			break;
		}
	p->dead = true;
	p->link = NULL;
	tg->nptimers--;
}

int ptimer_delete(struct task *t, int id)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	struct ptimer *p = pt_find_locked(tg, id);
	if (p)
		pt_unlink_locked(tg, p);
	vmutex_unlock(&tg->siglock);
	if (!p)
		return -EINVAL;
	pt_free(p);
	return 0;
}

struct ptimer *ptimer_detach_all_locked(struct thread_group *tg, bool close)
{
	struct ptimer *list = NULL;
	while (tg->ptimers) {
		struct ptimer *p = tg->ptimers;
		pt_unlink_locked(tg, p);
		p->link = list;
		list = p;
	}
	if (close) {
		tg->ptimers_closed = true;
		for (int i = 0; i < 2; i++) {
			struct ptimer *p = tg->itimers[i];
			tg->itimers[i] = NULL;
			if (p) {
				p->dead = true;
				p->link = list;
				list = p;
			}
		}
	}
	return list;
}

void ptimer_free_list(struct ptimer *list)
{
	while (list) {
		struct ptimer *p = list;
		list = p->link;
		pt_free(p);
	}
}

void ptimer_delete_all(struct thread_group *tg, bool close)
{
	vmutex_lock(&tg->siglock);
	struct ptimer *list = ptimer_detach_all_locked(tg, close);
	vmutex_unlock(&tg->siglock);
	ptimer_free_list(list);
}

bool ptimer_dequeued_locked(struct thread_group *tg, siginfo_t *info)
{
	int seq = *si_private(info);
	*si_private(info) = 0;
	if (!seq) {
		info->si_overrun = 0;
		return true; /* not a timer's (rt_sigqueueinfo with SI_TIMER) */
	}
	struct ptimer *p = pt_find_locked(tg, info->si_timerid);
	/* As Linux 6.13+: the signal of a deleted timer, or of an earlier
	 * setting of a re-armed one, is dropped. */
	if (!p || p->signo != info->si_signo || (int)p->seq != seq || !p->sig_pending)
		return false;
	info->si_overrun = p->overrun;
	p->overrun_last = p->overrun;
	p->overrun = 0;
	p->sig_pending = false;
	return true;
}

/* ---- ITIMER_VIRTUAL, ITIMER_PROF ---- */

int ptimer_itimer_set(struct task *t, int which, int64_t value, int64_t interval,
		      int64_t *old_value, int64_t *old_interval)
{
	struct thread_group *tg = t->tg;
	int slot = which == ITIMER_VIRTUAL ? 0 : 1;
	struct ptimer *fresh = NULL;
	vmutex_lock(&tg->siglock);
	if (!tg->itimers[slot] && value && !tg->ptimers_closed) {
		vmutex_unlock(&tg->siglock);
		fresh = pt_alloc(t);
		if (!fresh)
			return -ENOMEM;
		fresh->id = -1;
		fresh->clock = slot == 0 ? PT_CPU_VIRT : PT_CPU_PROF;
		fresh->notify = SIGEV_SIGNAL;
		fresh->signo = slot == 0 ? SIGVTALRM : SIGPROF;
		fresh->code = SI_KERNEL;
		vmutex_lock(&tg->siglock);
		if (!tg->itimers[slot] && !tg->ptimers_closed) {
			tg->itimers[slot] = fresh;
			fresh = NULL;
		}
	}
	struct ptimer *p = tg->itimers[slot];
	*old_value = *old_interval = 0;
	if (p) {
		int64_t now = pt_now_locked(p);
		pt_update_locked(p, now);
		if (p->armed) {
			/* As Linux: an expired timer not yet handled reads as 1 us. */
			*old_value = p->next - now > 1000 ? p->next - now : 1000;
			*old_interval = p->interval;
		}
		pt_set_locked(t, p, 0, value, interval);
	}
	vmutex_unlock(&tg->siglock);
	if (fresh)
		pt_free(fresh);
	return 0;
}

void ptimer_itimer_get(struct task *t, int which, int64_t *value, int64_t *interval)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	struct ptimer *p = tg->itimers[which == ITIMER_VIRTUAL ? 0 : 1];
	*value = *interval = 0;
	if (p) {
		int64_t now = pt_now_locked(p);
		if (p->armed) {
			*value = p->next - now > 1000 ? p->next - now : 1000;
			*interval = p->interval;
		}
	}
	vmutex_unlock(&tg->siglock);
}
