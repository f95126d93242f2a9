/*
 * process_vm.h — another process's memory, for process_vm_readv/writev
 * (process_vm.c).
 */
#ifndef VISOR_SENTRY_PROCESS_VM_H
#define VISOR_SENTRY_PROCESS_VM_H

struct task;
struct mm;

/* A reference to the mm of thread pid (mm_put with no lock held), if t may
 * attach to it as ptrace would: 0, -ESRCH (no such live thread), -EPERM. */
int task_access_mm(struct task *t, int pid, struct mm **out);

#endif
