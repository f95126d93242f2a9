/*
 * syscalls.h — the syscall families.
 *
 * Each family file (sys_rw.c, sys_fd.c, sys_mm.c, sys_process.c, ...) holds thin
 * handlers that check and translate arguments and call the subsystem, and
 * exports one table of them, terminated by {0}.  At boot, syscalls_register
 * hands every table to the kernel's dispatch array (sentry/kernel/
 * syscall_table.h), which owns dispatch and the count of unsupported calls.
 */
#ifndef VISOR_SENTRY_SYSCALLS_H
#define VISOR_SENTRY_SYSCALLS_H

#include "sentry/kernel/syscall_table.h"

extern const struct syscall_def sys_rw_defs[];
extern const struct syscall_def sys_aio_defs[];
extern const struct syscall_def sys_fd_defs[];
extern const struct syscall_def sys_stat_defs[];
extern const struct syscall_def sys_dir_defs[];
extern const struct syscall_def sys_poll_defs[];
extern const struct syscall_def sys_xattr_defs[];
extern const struct syscall_def sys_mount_defs[];
extern const struct syscall_def sys_mm_defs[];
extern const struct syscall_def sys_process_defs[];
extern const struct syscall_def sys_signal_defs[];
extern const struct syscall_def sys_time_defs[];
extern const struct syscall_def sys_info_defs[];
extern const struct syscall_def sys_cred_defs[];
extern const struct syscall_def sys_futex_defs[];
extern const struct syscall_def sys_socket_defs[];
extern const struct syscall_def sys_ipc_defs[];
extern const struct syscall_def sys_events_defs[];
extern const struct syscall_def sys_seccomp_defs[];
extern const struct syscall_def sys_sched_defs[];
extern const struct syscall_def sys_memcalls_defs[];
extern const struct syscall_def sys_clone3_defs[];
extern const struct syscall_def sys_ns_defs[];
extern const struct syscall_def sys_process_vm_defs[];
extern const struct syscall_def sys_memfd_defs[];
extern const struct syscall_def sys_pkey_defs[];
extern const struct syscall_def sys_ptrace_defs[];

/* seccomp(2)'s operations (sys_seccomp.c), also prctl(PR_SET_SECCOMP)'s. */
struct task;
int64_t seccomp_do(struct task *t, unsigned int op, unsigned int flags, uint64_t uargs);

/* Fill the kernel's syscall table with every family (idempotent).  At boot,
 * before the first task runs. */
void syscalls_register(void);

#endif
