/*
 * oom.h — the Sentry's OOM killer: when the app's memory (the memory file)
 * reaches the container's memory limit, one process is killed, as Linux's
 * memory cgroup does, and the rest of the container goes on.
 */
#ifndef VISOR_SENTRY_KERNEL_OOM_H
#define VISOR_SENTRY_KERNEL_OOM_H

#include <stdbool.h>

struct kernel;
struct task;

/* Kill the process with the largest resident set (Linux's badness without
 * oom_score_adj, which the Sentry does not offer yet), unless the one killed
 * last is still dying.  Call with no lock held.  Returns its pid, 0 when a
 * victim is still on its way out, -ESRCH when there is none. */
int oom_kill(struct kernel *k);

/* After t's page fault failed: was it the memory limit?  Then the OOM
 * killer has run, t waited a moment for memory to be freed, and the fault
 * is to be retried (true); else the fault is a fault (false). */
bool oom_fault_retry(struct task *t);

#endif
