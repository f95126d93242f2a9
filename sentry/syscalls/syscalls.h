/*
 * syscalls.h — the syscall table.
 *
 * Each family file (sys_rw.c, sys_fd.c, sys_mm.c, sys_process.c, ...) holds thin
 * handlers that check and translate arguments and call the subsystem, and
 * exports one table of them, terminated by {0}.  table.c merges the tables
 * into the dispatch array; a number without a handler returns -ENOSYS and is
 * counted (and logged once, by name).
 */
#ifndef VISOR_SENTRY_SYSCALLS_H
#define VISOR_SENTRY_SYSCALLS_H

#include <stdint.h>

struct task;

/* A handler gets the six raw arguments and returns the result or -errno
 * (or -ERESTART* when a signal interrupted it; see task.h). */
typedef int64_t (*syscall_fn)(struct task *t, const uint64_t a[6]);

struct syscall_def {
	int nr;
	const char *name;
	syscall_fn fn;
};

extern const struct syscall_def sys_rw_defs[];
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

#define SYSCALL_MAX 512

/* Build the dispatch array (idempotent). */
void syscall_table_init(void);
/* Dispatch number nr: runs the handler or counts an ENOSYS. */
int64_t syscall_dispatch(struct task *t, int nr, const uint64_t a[6]);
/* The name of a syscall number ("syscall_NNN" if unknown). */
const char *syscall_name(int nr);
/* Unsupported syscalls seen so far, for `visor debug --unsupported` and the
 * log at exit: fills nrs/counts, returns how many. */
int syscall_unsupported(int *nrs, uint64_t *counts, int max);

#endif
