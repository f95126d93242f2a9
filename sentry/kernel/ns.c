/*
 * ns.c — namespaces inside the sandbox: UTS namespaces, and unshare(2) of
 * what a task can stop sharing (its fs context, its fd table, its UTS
 * namespace).
 *
 * The sandbox itself is one set of namespaces (its pid, mount, net, IPC,
 * user namespaces); new ones of those kinds are not modelled, so unshare
 * answers EINVAL for them as a kernel built without them does.
 */
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/ns.h"
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct uts_ns {
	_Atomic int refs;
	char hostname[UTS_NAME_LEN + 1];
	char domainname[UTS_NAME_LEN + 1];
};

/* Every UTS namespace's names, the kernel's included. */
static struct vmutex uts_lock = VMUTEX_INITIALIZER(LOCK_CLASS(UTS));

static char *host_of(struct task *t)
{
	return t->uts_ns ? t->uts_ns->hostname : t->k->hostname;
}

static char *domain_of(struct task *t)
{
	return t->uts_ns ? t->uts_ns->domainname : t->k->domainname;
}

void uts_get(struct task *t, char *host, char *domain)
{
	vmutex_lock(&uts_lock);
	if (host)
		memcpy(host, host_of(t), UTS_NAME_LEN + 1);
	if (domain)
		memcpy(domain, domain_of(t), UTS_NAME_LEN + 1);
	vmutex_unlock(&uts_lock);
}

void uts_set_hostname(struct task *t, const char *name)
{
	vmutex_lock(&uts_lock);
	memcpy(host_of(t), name, UTS_NAME_LEN + 1);
	vmutex_unlock(&uts_lock);
}

void uts_set_domainname(struct task *t, const char *name)
{
	vmutex_lock(&uts_lock);
	memcpy(domain_of(t), name, UTS_NAME_LEN + 1);
	vmutex_unlock(&uts_lock);
}

void uts_ns_fork(struct task *child, const struct task *parent)
{
	child->uts_ns = parent->uts_ns;
	if (child->uts_ns)
		atomic_fetch_add(&child->uts_ns->refs, 1);
}

void uts_ns_put(struct uts_ns *ns)
{
	if (ns && atomic_fetch_sub(&ns->refs, 1) == 1)
		free(ns);
}

int uts_ns_unshare_new(struct task *c)
{
	struct uts_ns *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	atomic_init(&ns->refs, 1);
	uts_get(c, ns->hostname, ns->domainname);
	uts_ns_put(c->uts_ns);
	c->uts_ns = ns;
	return 0;
}

int ns_ipc_unshare(struct task *t, unsigned long flags)
{
	if (flags & CLONE_NEWIPC)
		return ipc_task_unshare(t); /* applies and drops the undo list too */
	/* CLONE_SYSVSEM alone: as Linux's exit_sem, leave the shared list. */
	ipc_undo_put(t->sysvsem);
	t->sysvsem = NULL;
	return 0;
}

#define UNSHARE_KNOWN                                                                          \
	(CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES |      \
	 CLONE_SYSVSEM | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER |          \
	 CLONE_NEWPID | CLONE_NEWCGROUP | 0x80 /* CLONE_NEWTIME */)
#define UNSHARE_NAMESPACES                                                                     \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID |              \
	 CLONE_NEWCGROUP | 0x80)

int task_unshare(struct task *t, unsigned long flags)
{
	/* As Linux's check_unshare_flags. */
	if (flags & ~(unsigned long)UNSHARE_KNOWN)
		return -EINVAL;
	if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) {
		vmutex_lock(&t->tg->siglock);
		int n = t->tg->nthreads;
		vmutex_unlock(&t->tg->siglock);
		if (n > 1)
			return -EINVAL;
	}
	/* As ksys_unshare: what implies what. */
	if (flags & CLONE_NEWUSER)
		flags |= CLONE_THREAD | CLONE_FS;
	if (flags & CLONE_NEWNS)
		flags |= CLONE_FS;
	if (flags & UNSHARE_NAMESPACES) {
		if (!creds_capable(t->creds, CAP_SYS_ADMIN))
			return -EPERM;
	}
	/* Namespaces the sandbox does not model. */
	if (flags & (CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWUSER |
		     0x80))
		return -EINVAL;
	if (flags & (CLONE_NEWIPC | CLONE_SYSVSEM)) {
		int r = ns_ipc_unshare(t, flags & (CLONE_NEWIPC | CLONE_SYSVSEM));
		if (r)
			return r;
	}

	struct uts_ns *uts = NULL;
	struct fs_context *fs = NULL;
	struct fd_table *fdt = NULL;
	if (flags & CLONE_NEWUTS) {
		uts = calloc(1, sizeof(*uts));
		if (!uts)
			return -ENOMEM;
		atomic_init(&uts->refs, 1);
		uts_get(t, uts->hostname, uts->domainname);
	}
	/* Copies even when nothing shares them: Linux copies only a shared
	 * one, and a private copy of a private table is the same table. */
	if (flags & CLONE_FS) {
		fs = fs_context_copy(t->fs);
		if (!fs)
			goto nomem;
	}
	if (flags & CLONE_FILES) {
		fdt = fdt_copy(t->fdt);
		if (!fdt)
			goto nomem;
	}
	/* Swap under the task-set lock, where procfs reads them. */
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	struct uts_ns *old_uts = NULL;
	if (uts) {
		old_uts = t->uts_ns;
		t->uts_ns = uts;
	}
	if (fs) {
		struct fs_context *o = t->fs;
		t->fs = fs;
		fs = o;
	}
	if (fdt) {
		struct fd_table *o = t->fdt;
		t->fdt = fdt;
		fdt = o;
	}
	vmutex_unlock(&k->tasks_lock);
	uts_ns_put(old_uts);
	if (fs)
		fs_context_put(fs);
	if (fdt)
		fdt_put(fdt);
	return 0;
nomem:
	uts_ns_put(uts);
	if (fs)
		fs_context_put(fs);
	return -ENOMEM;
}
