/*
 * kernel_fakes.h — the kernel stand-ins of the Sentry's unit-test harness
 * (sentry/tests/harness.h, which includes this): weak fakes of the kernel
 * functions the code under test calls, including the kernel-internal
 * lookups (task_internal.h) that the kernel files linked into a test use,
 * so that kernel.c and the task machinery are never linked into it.
 * Kept beside the kernel because it stands in for kernel internals.
 */
#ifndef VISOR_SENTRY_KERNEL_TESTS_KERNEL_FAKES_H
#define VISOR_SENTRY_KERNEL_TESTS_KERNEL_FAKES_H

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"

#ifndef HARNESS_DATA
/* Harness data a given test may not touch: no unused-variable warning. */
#define HARNESS_DATA static __attribute__((unused))
#endif

/* ==== 1. kernel stand-ins ====
 *
 * Every stand-in is weak.  A test binary links the archive's task.o,
 * signal.o or kernel.o only if something it calls needs one of them
 * (test_task_set and test_control do, and do not use this header); then the
 * real function wins over the stand-in instead of a duplicate-symbol error.
 * A weak definition also keeps the linker from pulling those objects in for
 * the stand-in's own sake, so in the binaries that include this header today
 * the stand-ins are what runs.  A test that depends on a stand-in checks
 * that it is the one linked (fake_signals_work), or fails at once if it is
 * not: the real task_copy_* would copy through the VFS fixture's NULL mm.
 *
 * One set serves both fixtures: a task with an mm (kernel fixture) copies
 * through mm_copy_*, a task without (VFS fixture) takes app addresses as
 * Sentry pointers; a signal is pending when the task was interrupted (VFS
 * tests set t->interrupted) or its tid is fake_signal_tid (kernel tests). */

__attribute__((weak)) __thread struct task *current;

/* The last signal task_signal_send sent (SIGPIPE from pipes and host fds). */
HARNESS_DATA int test_last_signal;

__attribute__((weak)) int task_signal_send(struct task *t, int sig)
{
	test_last_signal = sig;
	return 0;
}

/* A task whose tid equals fake_signal_tid has "a signal pending". */
HARNESS_DATA _Atomic int fake_signal_tid = -1;

__attribute__((weak)) bool task_signal_pending(struct task *t)
{
	return atomic_load(&t->interrupted) != 0 || atomic_load(&fake_signal_tid) == t->tid;
}

/* Is the stand-in task_signal_pending the one linked?  If the archive's real
 * one won (signal.o pulled in by something else), tests that inject a signal
 * would wait forever: they skip() instead. */
static inline bool fake_signals_work(struct task *t)
{
	int saved = atomic_exchange(&fake_signal_tid, t->tid);
	bool ok = task_signal_pending(t);
	atomic_store(&fake_signal_tid, -1);
	ok = ok && !task_signal_pending(t);
	atomic_store(&fake_signal_tid, saved);
	return ok;
}

__attribute__((weak)) void task_set_sigmask_for_wait(struct task *t, sigset64_t mask)
{
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = mask;
}

__attribute__((weak)) void task_set_sigmask(struct task *t, sigset64_t mask) { t->sigmask = mask; }

__attribute__((weak)) int task_copy_in(struct task *t, void *dst, uint64_t src, size_t len)
{
	if (t->mm)
		return mm_copy_in(t->mm, dst, src, len);
	if (!src)
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)src, len);
	return 0;
}

__attribute__((weak)) int task_copy_out(struct task *t, uint64_t dst, const void *src, size_t len)
{
	if (t->mm)
		return mm_copy_out(t->mm, dst, src, len);
	if (!dst)
		return -EFAULT;
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

__attribute__((weak)) ssize_t task_copy_string_in(struct task *t, char *dst, uint64_t src,
						  size_t max)
{
	if (t->mm)
		return mm_copy_string_in(t->mm, dst, src, max);
	if (!src)
		return -EFAULT;
	size_t n = strnlen((const char *)(uintptr_t)src, max);
	if (n == max)
		return -ENAMETOOLONG;
	memcpy(dst, (const char *)(uintptr_t)src, n + 1);
	return n;
}

/* The kernel fixture's tasks, for the task-set lookups below.  They fake
 * every lookup of kernel.c that the code under test calls, so that kernel.c
 * (and the task machinery behind it) is never linked into these tests: a
 * real lookup would search k->all_tasks, which the fixture leaves empty.
 * The fakes take no references; the fixture owns its tasks and groups. */
#define FX_MAX_TASKS 8
HARNESS_DATA struct task *fx_tasks[FX_MAX_TASKS];

__attribute__((weak)) struct task *kernel_find_task_locked(struct kernel *k, int tid)
{
	for (int i = 0; i < FX_MAX_TASKS; i++)
		if (fx_tasks[i] && fx_tasks[i]->tid == tid && fx_tasks[i]->k == k)
			return fx_tasks[i];
	return NULL;
}

__attribute__((weak)) struct task *kernel_get_task(struct kernel *k, int tid)
{
	return kernel_find_task_locked(k, tid);
}

__attribute__((weak)) void task_put(struct task *t) {}

__attribute__((weak)) bool kernel_task_exists(struct kernel *k, int tid)
{
	return kernel_find_task_locked(k, tid) != NULL;
}

__attribute__((weak)) struct thread_group *kernel_get_tg(struct kernel *k, int pid)
{
	for (int i = 0; i < FX_MAX_TASKS; i++)
		if (fx_tasks[i] && fx_tasks[i]->k == k && fx_tasks[i]->tg &&
		    fx_tasks[i]->tg->tgid == pid)
			return fx_tasks[i]->tg;
	return NULL;
}

__attribute__((weak)) void tg_put(struct thread_group *tg) {}

/* Signals sent to thread groups (by timers): counted, the last one kept. */
HARNESS_DATA _Atomic int fake_tg_signals;
HARNESS_DATA _Atomic int fake_tg_last_signo;

__attribute__((weak)) int tg_signal_send(struct thread_group *tg, const siginfo_t *info)
{
	atomic_store(&fake_tg_last_signo, info->si_signo);
	atomic_fetch_add(&fake_tg_signals, 1);
	return 0;
}

/* The sends of signal-driven I/O (vfs/fasync.c) to a thread or a process
 * group, counted the same way, so that a VFS test does not link the real
 * signal.c and kernel.c (and with them the real task_copy_*). */
__attribute__((weak)) int task_signal_send_info(struct task *t, const siginfo_t *info, bool group)
{
	atomic_store(&fake_tg_last_signo, info->si_signo);
	atomic_fetch_add(&fake_tg_signals, 1);
	return 0;
}

__attribute__((weak)) int kernel_for_each_tg(struct kernel *k,
					     int (*fn)(struct thread_group *tg, void *arg), void *arg)
{
	for (int i = 0; i < FX_MAX_TASKS; i++) {
		if (!fx_tasks[i] || fx_tasks[i]->k != k || !fx_tasks[i]->tg)
			continue;
		int r = fn(fx_tasks[i]->tg, arg);
		if (r)
			return r;
	}
	return 0;
}

/* The same count for the POSIX and CPU-time timers' sends (ptimer.c), so
 * that a test of the itimer syscalls does not link the real signal.c. */
__attribute__((weak)) void signal_queue_locked(struct thread_group *tg, struct task *t,
					       const siginfo_t *info)
{
	atomic_store(&fake_tg_last_signo, info->si_signo);
	atomic_fetch_add(&fake_tg_signals, 1);
}

#endif
