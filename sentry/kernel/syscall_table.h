/*
 * syscall_table.h — the kernel's syscall table: the handler type, the
 * dispatch array the task loop calls through, and the record of the numbers
 * an app called that have no handler.
 *
 * The kernel defines the table and dispatches; it knows no handler by name.
 * sentry/syscalls/ fills it at boot (syscalls_register), one family table at
 * a time, before the first task runs; from then on it is only read.
 */
#ifndef VISOR_SENTRY_SYSCALL_TABLE_H
#define VISOR_SENTRY_SYSCALL_TABLE_H

#include <stdint.h>

struct task;

/* A handler gets the six raw arguments and returns the result or -errno
 * (or -ERESTART* when a signal interrupted it; see task.h). */
typedef int64_t (*syscall_fn)(struct task *t, const uint64_t a[6]);

/* One handler; a family's table is an array of these ending with {0}. */
struct syscall_def {
	int nr;
	const char *name;
	syscall_fn fn;
};

#define SYSCALL_MAX 512

/* Add a family's handlers to the dispatch array (a number seen again
 * replaces the earlier handler).  At boot, before any task runs. */
void syscall_table_register(const struct syscall_def *defs);
/* Dispatch number nr: runs the handler or counts an ENOSYS. */
int64_t syscall_dispatch(struct task *t, int nr, const uint64_t a[6]);
/* The name of a syscall number ("syscall_NNN" if unknown). */
const char *syscall_name(int nr);
/* Unsupported syscalls seen so far, for `visor debug --unsupported` and the
 * log at exit: fills nrs/counts, returns how many. */
int syscall_unsupported(int *nrs, uint64_t *counts, int max);
/* The numbers dispatched most, most first (the Sentry logs them at exit,
 * with the total, so that where a workload's time goes can be counted
 * without a strace): fills nrs/counts with up to max, returns how many.
 * *total (optional) gets every dispatch, supported or not. */
int syscall_most_called(int *nrs, uint64_t *counts, int max, uint64_t *total);

/* Socket options the Sentry does not implement (setsockopt/getsockopt
 * answered ENOPROTOOPT), counted per (level, option) like unsupported
 * syscalls and logged the first time; the Sentry logs the counts at exit.
 * Safe from any thread. */
void syscall_count_unsupported_sockopt(int level, int optname);
/* Fills levels/optnames/counts with the options seen, returns how many. */
int syscall_unsupported_sockopts(int *levels, int *optnames, uint64_t *counts, int max);
/* How many times one option was counted. */
uint64_t syscall_unsupported_sockopt_count(int level, int optname);

#endif
