/*
 * sys_time.c — clocks and sleeps: clock_gettime, clock_getres, gettimeofday,
 * time, settimeofday, clock_settime, nanosleep, clock_nanosleep, times.
 *
 * The sandbox's clocks:
 *   - CLOCK_REALTIME (and _COARSE, TAI): the host's.  Nothing in the sandbox
 *     may set it: settimeofday/clock_settime validate their arguments as
 *     Linux and then fail with EPERM, even with CAP_SYS_TIME (as gVisor).
 *   - CLOCK_MONOTONIC (and _COARSE): the host's minus k->boot_mono, so the
 *     sandbox's uptime starts at a few seconds, as a freshly booted machine's
 *     (kernel.c: never 0, which programs take for "unset"; the same origin
 *     as kernel_uptime_ns and /proc/uptime).  CLOCK_MONOTONIC_RAW reads the same value: the host's raw
 *     clock has another origin and NTP's rate difference is not reproduced.
 *     CLOCK_BOOTTIME is the host's BOOTTIME minus the same origin, so it is
 *     never behind MONOTONIC and includes host suspends.
 *   - With a vDSO (k->vdso, once the TSC is calibrated), REALTIME,
 *     MONOTONIC, MONOTONIC_RAW and BOOTTIME (and gettimeofday, time) are
 *     read from the vDSO's TSC model of those host clocks (sentry/vdso/
 *     vclock.h), the very function the app's vDSO computes: a syscall and
 *     a vDSO call never disagree, and MONOTONIC never goes back across
 *     them.  The model follows the host's clocks to within the jitter of
 *     its 1 s refresh; sleeps still wait on the host's clock.
 *   - CLOCK_PROCESS_CPUTIME_ID: the thread group's utime_ns + stime_ns, as
 *     accounted by the task loop.
 *   - CLOCK_THREAD_CPUTIME_ID: an approximation, documented here: the host
 *     CPU time of the Sentry thread that runs the task.  On platforms where
 *     app code runs in a stub process it misses the app's own user time.
 *   - The alarm clocks behave as on a host without an RTC (EINVAL, and
 *     EOPNOTSUPP for sleeps).
 *   - CPU clocks by pid (negative clockids, from clock_getcpuclockid and
 *     pthread_getcpuclockid: ~pid << 3 | type, bit 2 per-thread): a
 *     process's is its group's CPU time (pid 0: the caller's); a thread's
 *     is the caller's own thread clock when it names the caller, else,
 *     approximated, its process's (only the caller's own threads, as
 *     Linux).  An unknown pid, or type 3, is EINVAL.
 *
 * Sleeps become an absolute host CLOCK_MONOTONIC deadline when they start (an
 * absolute CLOCK_REALTIME sleep is converted once, so a later change of the
 * host's wall clock does not move it).  An interrupted relative sleep writes
 * the remaining time and returns -ERESTART_RESTARTBLOCK with a restart block
 * holding the deadline; an absolute one returns -ERESTARTNOHAND, as Linux.
 *
 * Interval timers: ITIMER_REAL (setitimer, getitimer, alarm) is served by
 * one service thread that sends SIGALRM to the thread group with
 * tg_signal_send when a timer expires.  A timer is keyed by (kernel, tgid,
 * tg->start_ns), so a process that exits and a later one reusing its pid are
 * told apart; a timer whose process is gone is dropped when it fires, and
 * fork does not inherit timers (new tgid) while execve keeps them, as Linux.
 * ITIMER_VIRTUAL and ITIMER_PROF are CPU-time timers of sentry/kernel/
 * ptimer.c.  A kernel must outlive its armed timers (the Sentry frees its
 * kernel only at exit).
 *
 * Lock order: rt_lock is a leaf; the timer thread drops it before it looks
 * up the thread group and sends the signal.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "lib/lockdep.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ptimer.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vdso/vdso.h"

#define NSEC_PER_SEC 1000000000LL
#define USER_HZ 100
/* How often a sleep on the process CPU clock re-reads it. */
#define CPU_SLEEP_POLL_NS 10000000LL

#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

static int64_t ts_ns_sat(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / NSEC_PER_SEC)
		return INT64_MAX;
	if (ts->tv_sec <= INT64_MIN / NSEC_PER_SEC)
		return INT64_MIN;
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static struct timespec ns_ts(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};
	if (ts.tv_nsec < 0) {
		ts.tv_nsec += NSEC_PER_SEC;
		ts.tv_sec--;
	}
	return ts;
}

static int64_t host_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts_ns_sat(&ts);
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC_PER_SEC;
}

static int64_t tg_cpu_ns(struct thread_group *tg)
{
	/* Written by the task loop without a lock we share: read atomically. */
	return (int64_t)(__atomic_load_n(&tg->utime_ns, __ATOMIC_RELAXED) +
			 __atomic_load_n(&tg->stime_ns, __ATOMIC_RELAXED));
}

/* A CPU clock by pid (clk < 0): its value now, or -EINVAL. */
static int cpu_clock_now(struct task *t, int clk, int64_t *ns)
{
	if ((clk & 3) == 3)
		return -EINVAL;
	int pid = ~(clk >> 3);
	bool thread = clk & 4;
	if (thread) {
		if (pid == 0 || pid == t->tid) {
			*ns = host_ns(CLOCK_THREAD_CPUTIME_ID);
			return 0;
		}
		/* As Linux: only the caller's own threads. */
		struct task *x = kernel_get_task(t->k, pid);
		if (!x)
			return -EINVAL;
		bool ours = x->tg == t->tg;
		task_put(x);
		if (!ours)
			return -EINVAL;
		*ns = tg_cpu_ns(t->tg);
		return 0;
	}
	if (pid == 0 || pid == t->tg->tgid) {
		*ns = tg_cpu_ns(t->tg);
		return 0;
	}
	struct thread_group *tg = kernel_get_tg(t->k, pid);
	if (!tg)
		return -EINVAL;
	*ns = tg_cpu_ns(tg);
	tg_put(tg);
	return 0;
}

/* The sandbox's clock clk now, in ns.  -EINVAL for an unknown clock. */
static int clock_now(struct task *t, int clk, int64_t *ns)
{
	if (clk < 0)
		return cpu_clock_now(t, clk, ns);
	if (t->k->vdso && vdso_clock_now(t->k->vdso, clk, ns))
		return 0;
	int64_t boot = ts_ns_sat(&t->k->boot_mono);
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		*ns = host_ns(clk);
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
		*ns = host_ns(CLOCK_MONOTONIC) - boot;
		return 0;
	case CLOCK_MONOTONIC_COARSE:
		*ns = host_ns(CLOCK_MONOTONIC_COARSE) - boot;
		return 0;
	case CLOCK_BOOTTIME:
		*ns = host_ns(CLOCK_BOOTTIME) - boot;
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
		*ns = tg_cpu_ns(t->tg);
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = host_ns(CLOCK_THREAD_CPUTIME_ID);
		return 0;
	}
	return -EINVAL;
}

static int64_t sys_clock_gettime(struct task *t, const uint64_t a[6])
{
	int64_t ns;
	int r = clock_now(t, (int)a[0], &ns);
	if (r)
		return r;
	struct timespec ts = ns_ts(ns);
	return task_copy_out(t, a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

static int64_t sys_clock_getres(struct task *t, const uint64_t a[6])
{
	int clk = (int)a[0];
	struct timespec res = {0, 1}; /* high-resolution and CPU clocks: 1ns */
	int64_t ignored;
	if (clk < 0 && cpu_clock_now(t, clk, &ignored) < 0)
		return -EINVAL; /* glibc's clock_getcpuclockid asks this */
	switch (clk < 0 ? CLOCK_PROCESS_CPUTIME_ID : clk) {
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		clock_getres(clk, &res); /* the host's tick */
		break;
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		break;
	default:
		return -EINVAL;
	}
	if (!a[1])
		return 0;
	return task_copy_out(t, a[1], &res, sizeof(res)) ? -EFAULT : 0;
}

static int64_t sys_gettimeofday(struct task *t, const uint64_t a[6])
{
	if (a[0]) {
		int64_t ns;
		if (clock_now(t, CLOCK_REALTIME, &ns))
			return -EINVAL;
		struct timespec now = ns_ts(ns);
		struct timeval tv = {.tv_sec = now.tv_sec, .tv_usec = now.tv_nsec / 1000};
		if (task_copy_out(t, a[0], &tv, sizeof(tv)))
			return -EFAULT;
	}
	if (a[1]) {
		/* The kernel's sys_tz: never set in the sandbox, so UTC. */
		struct timezone tz = {0, 0};
		if (task_copy_out(t, a[1], &tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

static int64_t sys_time(struct task *t, const uint64_t a[6])
{
	int64_t now;
	if (clock_now(t, CLOCK_REALTIME, &now))
		return -EINVAL;
	now /= NSEC_PER_SEC;
	if (a[0] && task_copy_out(t, a[0], &now, sizeof(now)))
		return -EFAULT;
	return now;
}

static int64_t sys_settimeofday(struct task *t, const uint64_t a[6])
{
	if (a[0]) {
		struct timeval tv;
		if (task_copy_in(t, &tv, a[0], sizeof(tv)))
			return -EFAULT;
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000 || tv.tv_sec < 0)
			return -EINVAL;
	}
	if (a[1]) {
		struct timezone tz;
		if (task_copy_in(t, &tz, a[1], sizeof(tz)))
			return -EFAULT;
	}
	/* The host's clock is not the sandbox's to change. */
	return -EPERM;
}

static int64_t sys_clock_settime(struct task *t, const uint64_t a[6])
{
	int clk = (int)a[0];
	/* As Linux: only CLOCK_REALTIME and the CPU clocks have a setter. */
	if (clk != CLOCK_REALTIME && clk != CLOCK_PROCESS_CPUTIME_ID &&
	    clk != CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	struct timespec ts;
	if (task_copy_in(t, &ts, a[1], sizeof(ts)))
		return -EFAULT;
	if (clk == CLOCK_REALTIME && !ts_valid(&ts))
		return -EINVAL;
	return -EPERM;
}

/* ---- sleeping ---- */

/* Restart-block kinds (restart_arg[0]). */
enum { SLEEP_HOST_MONO = 0, SLEEP_PROCESS_CPU = 1 };

/* Sleep until host CLOCK_MONOTONIC reaches deadline (ns): 0, or -EINTR. */
static int sleep_until_host(struct task *t, int64_t deadline)
{
	struct timespec dl = ns_ts(deadline);
	for (;;) {
		int r = task_block(t, &dl);
		if (r == -EINTR)
			return -EINTR;
		/* A wake meant for something else, or a capped long timeout:
		 * only the deadline ends the sleep. */
		if (host_ns(CLOCK_MONOTONIC) >= deadline)
			return 0;
	}
}

/* Sleep until the group's CPU clock reaches target: polled, since it only
 * moves when other threads of the group run. */
static int sleep_until_cpu(struct task *t, int64_t target)
{
	while (tg_cpu_ns(t->tg) < target) {
		struct timespec dl = ns_ts(add_sat(host_ns(CLOCK_MONOTONIC), CPU_SLEEP_POLL_NS));
		if (task_block(t, &dl) == -EINTR)
			return -EINTR;
	}
	return 0;
}

static int64_t sleep_restart(struct task *t);

/* Sleep until deadline of the given kind; on a signal write the remaining
 * time to rmtp (if any) and set up restart_syscall (relative sleeps only). */
static int64_t sleep_common(struct task *t, int kind, int64_t deadline, uint64_t rmtp, bool abs)
{
	int r = kind == SLEEP_PROCESS_CPU ? sleep_until_cpu(t, deadline)
					  : sleep_until_host(t, deadline);
	if (r == 0)
		return 0;
	if (abs)
		return -ERESTARTNOHAND;
	int64_t now = kind == SLEEP_PROCESS_CPU ? tg_cpu_ns(t->tg) : host_ns(CLOCK_MONOTONIC);
	if (deadline - now <= 0)
		return 0; /* as Linux: an expired sleep is a completed one */
	if (rmtp) {
		struct timespec rem = ns_ts(deadline - now);
		if (task_copy_out(t, rmtp, &rem, sizeof(rem)))
			return -EFAULT;
	}
	t->restart_arg[0] = (uint64_t)kind;
	t->restart_arg[1] = (uint64_t)deadline;
	t->restart_arg[2] = rmtp;
	t->restart_fn = sleep_restart;
	return -ERESTART_RESTARTBLOCK;
}

static int64_t sleep_restart(struct task *t)
{
	t->restart_fn = NULL;
	return sleep_common(t, (int)t->restart_arg[0], (int64_t)t->restart_arg[1],
			    t->restart_arg[2], false);
}

static int64_t sys_nanosleep(struct task *t, const uint64_t a[6])
{
	struct timespec req;
	if (task_copy_in(t, &req, a[0], sizeof(req)))
		return -EFAULT;
	if (!ts_valid(&req))
		return -EINVAL;
	int64_t deadline = add_sat(host_ns(CLOCK_MONOTONIC), ts_ns_sat(&req));
	return sleep_common(t, SLEEP_HOST_MONO, deadline, a[1], false);
}

static int64_t sys_clock_nanosleep(struct task *t, const uint64_t a[6])
{
	int clk = (int)a[0];
	bool abs = a[1] & TIMER_ABSTIME;
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		break;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		return -EOPNOTSUPP; /* clocks Linux cannot sleep on (alarms: no RTC) */
	default:
		return -EINVAL;
	}
	struct timespec req;
	if (task_copy_in(t, &req, a[2], sizeof(req)))
		return -EFAULT;
	if (!ts_valid(&req))
		return -EINVAL;
	/* As Linux posix_cpu_nsleep: a thread cannot sleep on its own clock. */
	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	uint64_t rmtp = abs ? 0 : a[3];
	int64_t v = ts_ns_sat(&req);
	if (clk == CLOCK_PROCESS_CPUTIME_ID) {
		int64_t target = abs ? v : add_sat(tg_cpu_ns(t->tg), v);
		return sleep_common(t, SLEEP_PROCESS_CPU, target, rmtp, abs);
	}
	int64_t mono = host_ns(CLOCK_MONOTONIC);
	int64_t deadline;
	if (abs) {
		int64_t now;
		clock_now(t, clk, &now);
		deadline = add_sat(mono, v - now);
	} else {
		deadline = add_sat(mono, v);
	}
	return sleep_common(t, SLEEP_HOST_MONO, deadline, rmtp, abs);
}

static int64_t sys_times(struct task *t, const uint64_t a[6])
{
	struct thread_group *tg = t->tg;
	const int64_t tick = NSEC_PER_SEC / USER_HZ;
	if (a[0]) {
		struct tms tms = {
			.tms_utime = (clock_t)(__atomic_load_n(&tg->utime_ns, __ATOMIC_RELAXED) / tick),
			.tms_stime = (clock_t)(__atomic_load_n(&tg->stime_ns, __ATOMIC_RELAXED) / tick),
			.tms_cutime = (clock_t)(__atomic_load_n(&tg->cutime_ns, __ATOMIC_RELAXED) / tick),
			.tms_cstime = (clock_t)(__atomic_load_n(&tg->cstime_ns, __ATOMIC_RELAXED) / tick),
		};
		if (task_copy_out(t, a[0], &tms, sizeof(tms)))
			return -EFAULT;
	}
	/* Ticks since the sandbox booted (Linux counts from an arbitrary
	 * origin too; only differences mean anything). */
	return (host_ns(CLOCK_MONOTONIC) - ts_ns_sat(&t->k->boot_mono)) / tick;
}

/* ---- ITIMER_REAL ---- */

struct real_timer {
	struct real_timer *next;
	struct kernel *k;
	int tgid;
	uint64_t tg_start_ns; /* tells the process from a later one with its pid */
	int64_t expires;      /* host CLOCK_MONOTONIC ns */
	int64_t interval;     /* ns; 0: one-shot */
};

static struct vmutex rt_lock = VMUTEX_INITIALIZER(LOCK_CLASS(REAL_TIMERS)); /* rt_list and its timers */
static pthread_cond_t rt_cond;                              /* on CLOCK_MONOTONIC */
static struct real_timer *rt_list;
static pthread_once_t rt_once = PTHREAD_ONCE_INIT;
static int rt_start_error;

/* How many expired timers the thread handles per pass (the rest next pass). */
#define RT_BATCH 16

struct rt_fire {
	struct kernel *k;
	int tgid;
	uint64_t tg_start_ns;
};

static void rt_remove_locked(const struct rt_fire *f)
{
	for (struct real_timer **pp = &rt_list; *pp; pp = &(*pp)->next) {
		struct real_timer *r = *pp;
		if (r->k == f->k && r->tgid == f->tgid && r->tg_start_ns == f->tg_start_ns) {
			*pp = r->next;
			free(r);
			return;
		}
	}
}

/* Send SIGALRM for an expired timer; false when its process is gone. */
static bool rt_deliver(const struct rt_fire *f)
{
	struct thread_group *tg = kernel_get_tg(f->k, f->tgid);
	if (!tg)
		return false;
	bool same = tg->start_ns == f->tg_start_ns;
	if (same) {
		/* As Linux's it_real_fn: SIGALRM from the kernel (SI_KERNEL). */
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGALRM;
		info.si_code = SI_KERNEL;
		tg_signal_send(tg, &info);
	}
	tg_put(tg);
	return same;
}

static void *rt_thread_main(void *arg)
{
	vmutex_lock(&rt_lock);
	for (;;) {
		int64_t now = host_ns(CLOCK_MONOTONIC), next = INT64_MAX;
		struct rt_fire fires[RT_BATCH];
		int nf = 0;
		for (struct real_timer **pp = &rt_list; *pp;) {
			struct real_timer *r = *pp;
			if (r->expires <= now && nf < RT_BATCH) {
				fires[nf++] = (struct rt_fire){r->k, r->tgid, r->tg_start_ns};
				if (!r->interval) {
					*pp = r->next;
					free(r);
					continue;
				}
				/* As hrtimer_forward: skip whole missed periods. */
				r->expires += ((now - r->expires) / r->interval + 1) * r->interval;
			}
			if (r->expires < next)
				next = r->expires;
			pp = &r->next;
		}
		if (nf) {
			vmutex_unlock(&rt_lock);
			bool gone[RT_BATCH];
			for (int i = 0; i < nf; i++)
				gone[i] = !rt_deliver(&fires[i]);
			vmutex_lock(&rt_lock);
			for (int i = 0; i < nf; i++)
				if (gone[i])
					rt_remove_locked(&fires[i]);
			continue;
		}
		if (next == INT64_MAX) {
			vmutex_cond_wait(&rt_cond, &rt_lock);
		} else {
			struct timespec dl = ns_ts(next);
			vmutex_cond_timedwait(&rt_cond, &rt_lock, &dl);
		}
	}
	return NULL;
}

static void rt_start(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rt_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_t th;
	rt_start_error = pthread_create(&th, NULL, rt_thread_main, NULL);
	if (!rt_start_error)
		pthread_detach(th);
}

/* Arm (value > 0) or disarm (value 0) the group's ITIMER_REAL; the old
 * remaining time and interval go to *old_value / *old_interval. */
static int real_timer_set(struct task *t, int64_t value, int64_t interval, int64_t *old_value,
			  int64_t *old_interval)
{
	pthread_once(&rt_once, rt_start);
	if (rt_start_error)
		return -EAGAIN;
	struct thread_group *tg = t->tg;
	struct real_timer *fresh = value ? calloc(1, sizeof(*fresh)) : NULL;
	if (value && !fresh)
		return -ENOMEM;
	vmutex_lock(&rt_lock);
	struct real_timer **pp = &rt_list;
	while (*pp && !((*pp)->k == t->k && (*pp)->tgid == tg->tgid &&
			(*pp)->tg_start_ns == tg->start_ns))
		pp = &(*pp)->next;
	struct real_timer *r = *pp;
	int64_t now = host_ns(CLOCK_MONOTONIC);
	*old_value = *old_interval = 0;
	if (r) {
		/* As Linux: an expired timer not yet handled reads as 1 us. */
		*old_value = r->expires - now > 1000 ? r->expires - now : 1000;
		*old_interval = r->interval;
	}
	if (!value) {
		if (r) {
			*pp = r->next;
			free(r);
		}
	} else {
		if (!r) {
			r = fresh;
			fresh = NULL;
			r->k = t->k;
			r->tgid = tg->tgid;
			r->tg_start_ns = tg->start_ns;
			r->next = rt_list;
			rt_list = r;
		}
		r->expires = add_sat(now, value);
		r->interval = interval;
	}
	pthread_cond_signal(&rt_cond);
	vmutex_unlock(&rt_lock);
	free(fresh);
	return 0;
}

static int64_t tv_ns(const struct timeval *tv)
{
	if (tv->tv_sec >= INT64_MAX / NSEC_PER_SEC)
		return INT64_MAX;
	return (int64_t)tv->tv_sec * NSEC_PER_SEC + (int64_t)tv->tv_usec * 1000;
}

static struct timeval ns_tv(int64_t ns)
{
	struct timeval tv = {.tv_sec = ns / NSEC_PER_SEC, .tv_usec = ns % NSEC_PER_SEC / 1000};
	return tv;
}

static bool tv_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static int64_t sys_getitimer(struct task *t, const uint64_t a[6])
{
	int which = (int)a[0];
	struct itimerval v;
	memset(&v, 0, sizeof(v));
	if (which == ITIMER_REAL) {
		vmutex_lock(&rt_lock);
		for (struct real_timer *r = rt_list; r; r = r->next) {
			if (r->k == t->k && r->tgid == t->tg->tgid &&
			    r->tg_start_ns == t->tg->start_ns) {
				int64_t left = r->expires - host_ns(CLOCK_MONOTONIC);
				v.it_value = ns_tv(left > 1000 ? left : 1000);
				v.it_interval = ns_tv(r->interval);
			}
		}
		vmutex_unlock(&rt_lock);
	} else if (which == ITIMER_VIRTUAL || which == ITIMER_PROF) {
		int64_t value, interval;
		ptimer_itimer_get(t, which, &value, &interval);
		v.it_value = ns_tv(value);
		v.it_interval = ns_tv(interval);
	} else {
		return -EINVAL;
	}
	return task_copy_out(t, a[1], &v, sizeof(v)) ? -EFAULT : 0;
}

static int64_t sys_setitimer(struct task *t, const uint64_t a[6])
{
	int which = (int)a[0];
	struct itimerval nv, ov;
	memset(&nv, 0, sizeof(nv));
	memset(&ov, 0, sizeof(ov));
	/* As Linux: a NULL new value disarms (a misfeature it still keeps). */
	if (a[1]) {
		if (task_copy_in(t, &nv, a[1], sizeof(nv)))
			return -EFAULT;
		if (!tv_valid(&nv.it_value) || !tv_valid(&nv.it_interval))
			return -EINVAL;
	}
	if (which == ITIMER_REAL) {
		int64_t value = tv_ns(&nv.it_value), old_value, old_interval;
		int r = real_timer_set(t, value, value ? tv_ns(&nv.it_interval) : 0, &old_value,
				       &old_interval);
		if (r)
			return r;
		ov.it_value = ns_tv(old_value);
		ov.it_interval = ns_tv(old_interval);
	} else if (which == ITIMER_VIRTUAL || which == ITIMER_PROF) {
		int64_t value = tv_ns(&nv.it_value), old_value, old_interval;
		int r = ptimer_itimer_set(t, which, value, value ? tv_ns(&nv.it_interval) : 0,
					  &old_value, &old_interval);
		if (r)
			return r;
		ov.it_value = ns_tv(old_value);
		ov.it_interval = ns_tv(old_interval);
	} else {
		return -EINVAL;
	}
	if (a[2] && task_copy_out(t, a[2], &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

static int64_t sys_alarm(struct task *t, const uint64_t a[6])
{
	unsigned seconds = (unsigned)a[0];
	int64_t old_value, old_interval;
	int r = real_timer_set(t, (int64_t)seconds * NSEC_PER_SEC, 0, &old_value, &old_interval);
	if (r)
		return r;
	/* As alarm_setitimer: round the old remainder to the nearest second,
	 * and never report 0 for a timer still armed. */
	struct timeval tv = ns_tv(old_value);
	if ((!tv.tv_sec && tv.tv_usec) || tv.tv_usec >= 500000)
		tv.tv_sec++;
	return tv.tv_sec;
}

const struct syscall_def sys_time_defs[] = {
	{SYS_clock_gettime, "clock_gettime", sys_clock_gettime},
	{SYS_clock_getres, "clock_getres", sys_clock_getres},
	{SYS_gettimeofday, "gettimeofday", sys_gettimeofday},
	{SYS_time, "time", sys_time},
	{SYS_settimeofday, "settimeofday", sys_settimeofday},
	{SYS_clock_settime, "clock_settime", sys_clock_settime},
	{SYS_nanosleep, "nanosleep", sys_nanosleep},
	{SYS_clock_nanosleep, "clock_nanosleep", sys_clock_nanosleep},
	{SYS_times, "times", sys_times},
	{SYS_getitimer, "getitimer", sys_getitimer},
	{SYS_setitimer, "setitimer", sys_setitimer},
	{SYS_alarm, "alarm", sys_alarm},
	{0},
};
