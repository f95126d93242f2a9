/*
 * task_internal.h — task lifecycle functions shared inside sentry/kernel.
 * Nothing outside sentry/kernel/ includes it: the layers above use the
 * public API in kernel.h (lookups with references, walks, clone, wait).
 */
#ifndef VISOR_SENTRY_TASK_INTERNAL_H
#define VISOR_SENTRY_TASK_INTERNAL_H

#include "sentry/kernel/kernel.h"

struct task *task_alloc(struct kernel *k);
void task_free(struct task *t);
/* Under tasks_lock: the kernel gives t up (it is off every list).  Returns
 * true when the caller must task_free it now; false when a lookup still
 * holds it (task_put frees it). */
bool task_release_locked(struct task *t);
/* Under tasks_lock: the thread tid, or NULL. */
struct task *kernel_find_task_locked(struct kernel *k, int tid);
struct thread_group *tg_alloc(struct kernel *k);
int task_start(struct task *t);
void task_vfork_complete(struct task *t);
/* Under tasks_lock: free a reaped zombie group. */
void reap_locked(struct kernel *k, struct thread_group *tg);
/* Kill every other thread of the group and wait for them (execve). */
int task_de_thread(struct task *t);

#endif
