/* exec.h — execve(2); see exec.c. */
#ifndef VISOR_SENTRY_EXEC_H
#define VISOR_SENTRY_EXEC_H

#include "sentry/kernel/task.h"

struct file;

/* execve/execveat with app pointers. */
int64_t task_execve(struct task *t, int dirfd, const char *path, uint64_t argv_addr,
		    uint64_t envp_addr, int flags);
/* With Sentry-side argv/envp (the first process).  *argvp may be
 * reallocated (#! scripts grow it); the caller still owns it. */
int task_execve_kernel(struct task *t, int dirfd, const char *path, char ***argvp, int argc,
		       char **envp, int envc, int flags);
/* A thread group's executable (tg->exe_file, Linux's mm->exe_file) denies
 * writing its file for as long as the group holds it: deny when a group
 * takes it (exec, fork), allow when it lets go (exec, the last thread's
 * exit), so ETXTBSY ends before a parent can reap the exit. */
void exec_exe_file_deny(struct file *exe);
void exec_exe_file_allow(struct file *exe);

#endif
