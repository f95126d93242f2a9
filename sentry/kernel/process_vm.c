/*
 * process_vm.c — access to another process's memory for
 * process_vm_readv/writev: the target's mm, with Linux's ptrace "attach"
 * permission (PTRACE_MODE_ATTACH_REALCREDS).
 */
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/process_vm.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"

#include <errno.h>
#include <linux/capability.h>

int task_access_mm(struct task *t, int pid, struct mm **out)
{
	struct kernel *k = t->k;
	*out = NULL;
	vmutex_lock(&k->tasks_lock);
	struct task *x = pid > 0 ? kernel_find_task_locked(k, pid) : NULL;
	if (!x || x->exiting || !x->mm || !x->tg) {
		vmutex_unlock(&k->tasks_lock);
		return -ESRCH;
	}
	struct thread_group *tg = x->tg;
	vmutex_lock(&tg->siglock);
	/* As __ptrace_may_access: one's own process always; another needs
	 * the same ids (or CAP_SYS_PTRACE) and, unless CAP_SYS_PTRACE, a
	 * dumpable target. */
	bool ok = tg == t->tg;
	if (!ok) {
		const struct creds *c = t->creds, *tc = x->creds;
		bool cap = creds_capable(c, CAP_SYS_PTRACE);
		ok = tc && (cap || creds_ids_match(c, tc)) && (cap || tg->dumpable == 1);
	}
	vmutex_unlock(&tg->siglock);
	if (ok) {
		mm_get(x->mm);
		*out = x->mm;
	}
	vmutex_unlock(&k->tasks_lock);
	return ok ? 0 : -EPERM;
}
