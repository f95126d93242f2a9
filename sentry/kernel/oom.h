/*
 * oom.h — the Sentry's OOM killer: when the app's memory (the memory file)
 * reaches the container's memory limit, one process is killed, as Linux's
 * memory cgroup does, and the rest of the container goes on.
 */
#ifndef VISOR_SENTRY_KERNEL_OOM_H
#define VISOR_SENTRY_KERNEL_OOM_H

#include <stdbool.h>
#include <stdint.h>

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

/* /proc/PID/oom_score_adj of process pid: read, and write from t (as
 * Linux: -1000..1000, else -EINVAL; below the floor a privileged writer
 * set (0 at first) only with CAP_SYS_RESOURCE, else -EACCES; -ESRCH
 * without such a process).  legacy: a write through /proc/PID/oom_adj,
 * where any lowering needs CAP_SYS_RESOURCE and the floor stays. */
int oom_score_adj_get(struct kernel *k, int pid, int *out);
int oom_score_adj_set(struct task *t, int pid, int val, bool legacy);
/* /proc/PID/oom_score of process pid: its badness over total_pages of
 * memory, as Linux's proc_oom_score.  -ESRCH when there is no such process. */
int oom_score_get(struct kernel *k, int pid, uint64_t total_pages, long *out);

/* Was pid the OOM killer's last victim? */
bool oom_was_victim(int pid);

/*
 * Make the end of a container whose init the OOM killer took visible to
 * Docker as runc's is (`docker inspect`: OOMKilled): the shim learns of an
 * OOM from the host memory cgroup's OOM event, which the Sentry's own
 * killer never raises.  So the Sentry, its work done, grows its own memory
 * past the host cgroup's limit and lets the host's OOM killer end it
 * (status 137, as init's).  bound: the host limit and some; if the host has
 * not acted by then (no host limit after all), the memory is given back and
 * this returns.
 */
void oom_report_to_host(uint64_t bound);

#endif
