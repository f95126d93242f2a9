/* exec.h — execve(2); see exec.c. */
#ifndef VISOR_SENTRY_EXEC_H
#define VISOR_SENTRY_EXEC_H

#include "sentry/kernel/task.h"

/* execve/execveat with app pointers. */
int64_t task_execve(struct task *t, int dirfd, const char *path, uint64_t argv_addr,
		    uint64_t envp_addr, int flags);
/* With Sentry-side argv/envp (the first process).  *argvp may be
 * reallocated (#! scripts grow it); the caller still owns it. */
int task_execve_kernel(struct task *t, int dirfd, const char *path, char ***argvp, int argc,
		       char **envp, int envc, int flags);

#endif
