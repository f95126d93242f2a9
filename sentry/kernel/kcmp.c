/*
 * kcmp.c — kcmp(2): do two tasks share a kernel resource?  As Linux, the
 * answer orders the resources by an obfuscated pointer (0 equal, 1 less,
 * 2 greater), so it says nothing about where they live.
 *
 * Resources without an object here compare as Linux's NULL ones: every
 * task's I/O context and System V semaphore undo list are "none", hence
 * equal.  KCMP_EPOLL_TFD needs an epoll target lookup this kernel does not
 * offer: EOPNOTSUPP.
 */
#include "sentry/kernel/kcmp.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>

static uint64_t cookies[KCMP_TYPES][2];
static pthread_once_t cookies_once = PTHREAD_ONCE_INIT;

static void cookies_init(void)
{
	if (getrandom(cookies, sizeof(cookies), 0) != (ssize_t)sizeof(cookies)) {
		for (int i = 0; i < KCMP_TYPES; i++) {
			cookies[i][0] = (uint64_t)random() << 32 | (uint64_t)random();
			cookies[i][1] = (uint64_t)random() << 32 | (uint64_t)random();
		}
	}
	for (int i = 0; i < KCMP_TYPES; i++)
		cookies[i][1] |= 1; /* odd: the multiplication is a bijection */
}

static int kcmp_ptr(const void *a, const void *b, int type)
{
	int64_t ta = (int64_t)(((uint64_t)(uintptr_t)a ^ cookies[type][0]) * cookies[type][1]);
	int64_t tb = (int64_t)(((uint64_t)(uintptr_t)b ^ cookies[type][0]) * cookies[type][1]);
	return ta < tb ? 1 : ta > tb ? 2 : 0;
}

/* Under tasks_lock: may t read x as ptrace's PTRACE_MODE_READ_REALCREDS? */
static bool may_read_locked(struct task *t, struct task *x)
{
	if (x->tg == t->tg)
		return true;
	vmutex_lock(&x->tg->siglock);
	const struct creds *c = t->creds, *tc = x->creds;
	bool cap = creds_capable(c, CAP_SYS_PTRACE);
	bool ok = tc && (cap || creds_ids_match(c, tc)) && (cap || x->tg->dumpable == 1);
	vmutex_unlock(&x->tg->siglock);
	return ok;
}

int task_kcmp(struct task *t, int pid1, int pid2, int type, unsigned long idx1,
	      unsigned long idx2)
{
	pthread_once(&cookies_once, cookies_init);
	struct kernel *k = t->k;
	struct file *f1 = NULL, *f2 = NULL;
	int r;
	vmutex_lock(&k->tasks_lock);
	struct task *a = pid1 > 0 ? kernel_find_task_locked(k, pid1) : NULL;
	struct task *b = pid2 > 0 ? kernel_find_task_locked(k, pid2) : NULL;
	if (!a || !b || a->exiting || b->exiting || !a->tg || !b->tg) {
		r = -ESRCH;
		goto out;
	}
	if (!may_read_locked(t, a) || !may_read_locked(t, b)) {
		r = -EPERM;
		goto out;
	}
	switch (type) {
	case KCMP_FILE:
		f1 = a->fdt && idx1 <= INT32_MAX ? fdt_get_file(a->fdt, (int)idx1) : NULL;
		f2 = b->fdt && idx2 <= INT32_MAX ? fdt_get_file(b->fdt, (int)idx2) : NULL;
		r = f1 && f2 ? kcmp_ptr(f1, f2, type) : -EBADF;
		break;
	case KCMP_VM:
		r = kcmp_ptr(a->mm, b->mm, type);
		break;
	case KCMP_FILES:
		r = kcmp_ptr(a->fdt, b->fdt, type);
		break;
	case KCMP_FS:
		r = kcmp_ptr(a->fs, b->fs, type);
		break;
	case KCMP_SIGHAND:
		r = kcmp_ptr(a->tg, b->tg, type); /* handlers are shared by the thread group */
		break;
	case KCMP_IO:
	case KCMP_SYSVSEM:
		r = kcmp_ptr(NULL, NULL, type);
		break;
	case KCMP_EPOLL_TFD:
		r = -EOPNOTSUPP;
		break;
	default:
		r = -EINVAL;
	}
out:
	vmutex_unlock(&k->tasks_lock);
	if (f1)
		file_put(f1);
	if (f2)
		file_put(f2);
	return r;
}
