/*
 * ns.h — the namespaces the Sentry models inside a sandbox (ns.c): UTS
 * namespaces (host and domain names) and what unshare(2) can do to a task.
 *
 * A task's UTS namespace is t->uts_ns, NULL for the sandbox's first one,
 * whose names are the kernel's (k->hostname, k->domainname).  uts_lock (in
 * ns.c, rank UTS) guards every namespace's names.
 */
#ifndef VISOR_SENTRY_NS_H
#define VISOR_SENTRY_NS_H

#include <stddef.h>

struct task;
struct uts_ns;

#define UTS_NAME_LEN 64

/* Copy t's host and domain names (UTS_NAME_LEN + 1 bytes each, NUL-padded). */
void uts_get(struct task *t, char *host, char *domain);
/* sethostname / setdomainname in t's namespace (name: UTS_NAME_LEN + 1
 * bytes, NUL-padded). */
void uts_set_hostname(struct task *t, const char *name);
void uts_set_domainname(struct task *t, const char *name);

/* A new task shares its parent's UTS namespace. */
void uts_ns_fork(struct task *child, const struct task *parent);
void uts_ns_put(struct uts_ns *ns);
/* clone(CLONE_NEWUTS): give the new task c (not yet running) a namespace
 * of its own, a copy of the one it shares now.  0 or -ENOMEM. */
int uts_ns_unshare_new(struct task *c);

/* unshare(2) for t (its own thread), Linux's flag rules: 0, -EINVAL (a
 * flag or namespace this kernel does not have, or a shared thread group /
 * VM for CLONE_THREAD / CLONE_SIGHAND / CLONE_VM), -EPERM (a namespace
 * without CAP_SYS_ADMIN), -ENOMEM. */
int task_unshare(struct task *t, unsigned long flags);

/* unshare's IPC part: CLONE_NEWIPC gives t a new, empty IPC namespace
 * (sentry/ipc/ipc.h); CLONE_SYSVSEM leaves a shared SEM_UNDO list (its
 * adjustments apply when the last sharer drops it).  0 or -ENOMEM. */
int ns_ipc_unshare(struct task *t, unsigned long flags);

#endif
