/*
 * sys_signal.c — signal syscalls: actions, masks, sigreturn, sigaltstack,
 * pending, suspend.  The machinery is in sentry/kernel/signal.c.
 */
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/syscalls/syscalls.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#define SIGBIT(s) (1ULL << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

static int64_t sys_rt_sigaction(struct task *t, const uint64_t a[6])
{
	int sig = (int)a[0];
	if (a[3] != 8)
		return -EINVAL;
	if (sig < 1 || sig > VISOR_NSIG)
		return -EINVAL;
	struct k_sigaction nact, old;
	if (a[1]) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (task_copy_in(t, &nact, a[1], sizeof(nact)) < 0)
			return -EFAULT;
	}
	int r = task_sigaction(t, sig, a[1] ? &nact : NULL, &old);
	if (r < 0)
		return r;
	if (a[2] && task_copy_out(t, a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

static int64_t sys_rt_sigprocmask(struct task *t, const uint64_t a[6])
{
	int how = (int)a[0];
	if (a[3] != 8)
		return -EINVAL;
	sigset64_t set = 0, old;
	if (a[1] && task_copy_in(t, &set, a[1], 8) < 0)
		return -EFAULT;
	int r = task_sigprocmask(t, how, a[1] ? &set : NULL, &old);
	if (r < 0)
		return r;
	if (a[2] && task_copy_out(t, a[2], &old, 8) < 0)
		return -EFAULT;
	return 0;
}

static int64_t sys_rt_sigreturn(struct task *t, const uint64_t a[6])
{
	return signal_sigreturn(t);
}

static int64_t sys_rt_sigpending(struct task *t, const uint64_t a[6])
{
	if (a[1] > 8)
		return -EINVAL;
	sigset64_t p = task_sigpending(t);
	return task_copy_out(t, a[0], &p, a[1]) < 0 ? -EFAULT : 0;
}

static int64_t sys_rt_sigsuspend(struct task *t, const uint64_t a[6])
{
	if (a[1] != 8)
		return -EINVAL;
	sigset64_t set;
	if (task_copy_in(t, &set, a[0], 8) < 0)
		return -EFAULT;
	task_set_sigmask_for_wait(t, set);
	while (task_block(t, NULL) != -EINTR)
		;
	return -ERESTARTNOHAND;
}

/* rt_sigtimedwait(set, info, timeout, sigsetsize): as Linux, the signals in
 * set are waited for even while blocked; another signal interrupts with
 * EINTR (its handler runs); a zero timeout polls (EAGAIN). */
static int64_t sys_rt_sigtimedwait(struct task *t, const uint64_t a[6])
{
	if (a[3] != 8)
		return -EINVAL;
	sigset64_t set;
	if (task_copy_in(t, &set, a[0], 8) < 0)
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	struct timespec deadline, *dl = NULL;
	bool poll_only = false;
	if (a[2]) {
		struct timespec ts;
		if (task_copy_in(t, &ts, a[2], sizeof(ts)) < 0)
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		poll_only = ts.tv_sec == 0 && ts.tv_nsec == 0;
		deadline_after(&deadline, &ts);
		dl = &deadline;
	}
	siginfo_t info;
	int sig = signal_dequeue_set(t, set, &info);
	if (!sig) {
		if (poll_only)
			return -EAGAIN;
		/* Unblock the awaited signals while we sleep; the old mask
		 * comes back when we return to the app. */
		task_set_sigmask_for_wait(t, t->sigmask & ~set);
		for (;;) {
			sig = signal_dequeue_set(t, set, &info);
			if (sig)
				break;
			int r = task_block(t, dl);
			if (r == -ETIMEDOUT) {
				sig = signal_dequeue_set(t, set, &info);
				if (!sig)
					return -EAGAIN;
				break;
			}
			if (r == -EINTR) {
				sig = signal_dequeue_set(t, set, &info);
				if (!sig)
					return -EINTR;
				break;
			}
		}
	}
	if (a[1] && task_copy_out(t, a[1], &info, sizeof(info)) < 0)
		return -EFAULT;
	return sig;
}

static int64_t sys_pause(struct task *t, const uint64_t a[6])
{
	while (task_block(t, NULL) != -EINTR)
		;
	return -ERESTARTNOHAND;
}

struct k_stack_t {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

static int64_t sys_sigaltstack(struct task *t, const uint64_t a[6])
{
	struct k_stack_t ns;
	stack_t ss, oss;
	if (a[0]) {
		if (task_copy_in(t, &ns, a[0], sizeof(ns)) < 0)
			return -EFAULT;
		ss.ss_sp = (void *)(uintptr_t)ns.ss_sp;
		ss.ss_flags = ns.ss_flags;
		ss.ss_size = ns.ss_size;
	}
	int r = task_sigaltstack(t, a[0] ? &ss : NULL, &oss);
	if (r < 0)
		return r;
	struct k_stack_t old = {
		.ss_sp = (uint64_t)(uintptr_t)oss.ss_sp,
		.ss_size = oss.ss_size,
		.ss_flags = oss.ss_flags,
	};
	if (a[1] && task_copy_out(t, a[1], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

static int64_t sys_rt_sigqueueinfo(struct task *t, const uint64_t a[6])
{
	siginfo_t info;
	if (task_copy_in(t, &info, a[2], sizeof(info)) < 0)
		return -EFAULT;
	/* As Linux: an app may not forge kernel-generated codes. */
	if ((info.si_code >= 0 || info.si_code == SI_TKILL) && (int)a[0] != t->tg->tgid)
		return -EPERM;
	info.si_signo = (int)a[1];
	if (info.si_signo < 1 || info.si_signo > VISOR_NSIG)
		return -EINVAL;
	struct thread_group *tg = kernel_get_tg(t->k, (int)a[0]);
	if (!tg)
		return -ESRCH;
	int r = tg_signal_send(tg, &info);
	tg_put(tg);
	return r;
}

/* rt_tgsigqueueinfo(tgid, tid, sig, info): as Linux's do_rt_tgsigqueueinfo,
 * to one thread of process tgid. */
static int64_t sys_rt_tgsigqueueinfo(struct task *t, const uint64_t a[6])
{
	int tgid = (int)a[0], tid = (int)a[1], sig = (int)a[2];
	siginfo_t info;
	if (task_copy_in(t, &info, a[3], sizeof(info)) < 0)
		return -EFAULT;
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if ((info.si_code >= 0 || info.si_code == SI_TKILL) && tid != t->tid)
		return -EPERM;
	if (sig < 0 || sig > VISOR_NSIG)
		return -EINVAL;
	info.si_signo = sig;
	return task_tkill(t, tgid, tid, &info);
}

/* restart_syscall: the signal code turned an -ERESTART_RESTARTBLOCK into
 * this call; continue what the interrupted call left in the restart block
 * (a sleep, a timed futex wait, a poll), or -EINTR when there is none
 * (Linux's do_no_restart_syscall). */
static int64_t sys_restart_syscall(struct task *t, const uint64_t a[6])
{
	int64_t (*fn)(struct task *) = t->restart_fn;
	t->restart_fn = NULL;
	return fn ? fn(t) : -EINTR;
}

const struct syscall_def sys_signal_defs[] = {
	{SYS_rt_sigaction, "rt_sigaction", sys_rt_sigaction},
	{SYS_rt_sigprocmask, "rt_sigprocmask", sys_rt_sigprocmask},
	{SYS_rt_sigreturn, "rt_sigreturn", sys_rt_sigreturn},
	{SYS_rt_sigpending, "rt_sigpending", sys_rt_sigpending},
	{SYS_rt_sigsuspend, "rt_sigsuspend", sys_rt_sigsuspend},
	{SYS_pause, "pause", sys_pause},
	{SYS_rt_sigtimedwait, "rt_sigtimedwait", sys_rt_sigtimedwait},
	{SYS_sigaltstack, "sigaltstack", sys_sigaltstack},
	{SYS_rt_sigqueueinfo, "rt_sigqueueinfo", sys_rt_sigqueueinfo},
	{SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo},
	{SYS_restart_syscall, "restart_syscall", sys_restart_syscall},
	{0},
};
