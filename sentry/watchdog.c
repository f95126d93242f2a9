/*
 * watchdog.c — the sandbox's watchdog (see watchdog.h).
 *
 * Why it exists: the platform reports a dead stub only to a task thread
 * that switches into it, and the Gofer client sees a dead Gofer only on
 * its next request.  An app asleep in the Sentry (`sleep 1000`, a blocked
 * read) would never notice either, and the container would stay "running"
 * with nothing behind it.  gVisor's answer for the Gofer is the same: the
 * sandbox goes when its Gofer goes.
 *
 * Owns: one ktimer, re-armed every WATCHDOG_PERIOD_MS.  Its function runs
 * on the timer service with no lock held; it walks the thread groups under
 * k->tasks_lock (kernel_for_each_tg), asks the platform about each group's
 * address space (PLATFORM_AS, ranked after TASKS) and sends SIGKILL
 * (SIGLOCK, ranked after TASKS).  Every MEMTRIM_IDLE_PERIOD_MS it also
 * looks whether the app is idle (lib/memtrim.h: its syscalls and page faults
 * in the period) and if so gives back what the Sentry does not need while
 * idle, with no lock held.  Never: blocks, reaps a host process (the
 * platform's reapers do), or touches app memory.
 */
#include "sentry/watchdog.h"
#include "sentry/fs/gofer_client.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktimer.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/syscall_table.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "platform/platform.h"
#include "lib/log.h"
#include "lib/memtrim.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>

static struct ktimer watchdog_timer;
static atomic_bool watchdog_gofer_gone;
/* The idle check's state and its tick count: the timer service's alone. */
static struct memtrim_idle watchdog_idle;
static unsigned int watchdog_ticks;

struct wd_walk {
	struct kernel *k;
	bool kill_all;
	int killed;
};

static int wd_check_tg(struct thread_group *tg, void *arg)
{
	struct wd_walk *w = arg;
	if (tg->zombie)
		return 0;
	if (w->kill_all) {
		signal_group_exit(tg, SIGKILL);
		w->killed++;
		return 0;
	}
	const struct platform_ops *ops = w->k->plat->ops;
	if (!ops->as_dead)
		return 0;
	/* Under tasks_lock a thread's mm is held by that thread (exit and
	 * execve swap it under the lock), so its address space is alive. */
	struct mm *mm = NULL;
	for (struct task *t = tg->threads; t && !mm; t = t->tg_next)
		mm = t->mm;
	struct addr_space *as = mm ? mm_addr_space(mm) : NULL;
	if (as && ops->as_dead(as)) {
		log_warn("watchdog: the host process of pid %d died: killing it", tg->tgid);
		signal_group_exit(tg, SIGKILL);
		w->killed++;
	}
	return 0;
}

int watchdog_check(struct kernel *k)
{
	struct wd_walk w = {.k = k};
	if (k->gofer && gofer_client_peer_gone(k->gofer)) {
		if (!atomic_exchange(&watchdog_gofer_gone, true))
			log_error("watchdog: the Gofer died: ending the sandbox");
		w.kill_all = true;
	}
	kernel_for_each_tg(k, wd_check_tg, &w);
	return w.killed;
}

/* What the app did so far: each syscall and page fault is a trap into the
 * Sentry, and the only way it makes the Sentry touch its code and heap. */
static uint64_t wd_app_events(void)
{
	uint64_t syscalls = 0;
	syscall_most_called(NULL, NULL, 0, &syscalls);
	return syscalls + task_fault_count();
}

bool watchdog_idle_trim(struct kernel *k)
{
	if (!memtrim_idle_due(&watchdog_idle, wd_app_events()))
		return false;
	if (k->gofer)
		gofer_client_trim(k->gofer);
	memtrim_now();
	return true;
}

static void wd_tick(struct ktimer *kt)
{
	struct kernel *k = kt->arg;
	watchdog_check(k);
	/* Requests to the Gofer not waited for reach the host within a tick
	 * even when no other request follows them (gofer_client.h). */
	if (k->gofer)
		gofer_client_push(k->gofer);
	if (++watchdog_ticks % (MEMTRIM_IDLE_PERIOD_MS / WATCHDOG_PERIOD_MS) == 0)
		watchdog_idle_trim(k);
	ktimer_arm(kt, ktimer_now() + WATCHDOG_PERIOD_MS * 1000000LL);
}

int watchdog_start(struct kernel *k)
{
	ktimer_init(&watchdog_timer, wd_tick, k);
	return ktimer_arm(&watchdog_timer, ktimer_now() + WATCHDOG_PERIOD_MS * 1000000LL);
}
