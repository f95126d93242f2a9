/*
 * seccomp.h — seccomp(2) for the app: strict mode and classic-BPF filters
 * installed by the app itself and enforced by the Sentry at syscall dispatch.
 *
 * A task's filters are a chain (newest first) of immutable, reference-counted
 * programs: a fork shares the chain, a new filter is pushed on top, execve
 * keeps it.  The task's own thread reads its chain without a lock; it is
 * replaced (never changed in place) by the task itself or by another thread
 * of its group under the group's siglock (SECCOMP_FILTER_FLAG_TSYNC), and a
 * chain replaced by TSYNC is an ancestor of its replacement, so a filter
 * being run stays alive.
 */
#ifndef VISOR_SENTRY_SECCOMP_H
#define VISOR_SENTRY_SECCOMP_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/task.h"

/* The verdict cache covers syscall numbers 0..SECCOMP_CACHE_NRS-1. */
#define SECCOMP_CACHE_NRS 512
#define SECCOMP_CACHE_WORDS (SECCOMP_CACHE_NRS / 64)

/* One installed program; immutable once installed. */
struct seccomp_filter {
	_Atomic int refs;
	struct seccomp_filter *prev; /* older filter (a counted reference), or NULL */
	bool log;                    /* SECCOMP_FILTER_FLAG_LOG */
	/* Bit nr: this filter and every older one allow syscall nr whatever
	 * its arguments and instruction pointer (Linux's action cache). */
	uint64_t allow_cache[SECCOMP_CACHE_WORDS];
	unsigned int len;
	struct sock_filter insns[];
};

/* As Linux: the most instructions of one program, and of all the programs a
 * syscall runs through (each counting 4 more). */
#define SECCOMP_MAX_PROG_INSNS 4096
#define SECCOMP_MAX_PATH_INSNS 32768

/* Classic BPF as seccomp accepts it (Linux's bpf_check_classic and
 * seccomp_check_filter): 0, or -EINVAL for an empty or too long program, an
 * instruction seccomp does not allow, a load outside struct seccomp_data or
 * not 4-byte aligned, a jump out of the program, a constant division by zero
 * or shift of 32 or more, a scratch slot out of range or read before it is
 * written on some path, or a last instruction that is not a return. */
int seccomp_check_prog(const struct sock_filter *prog, unsigned int len);
/* Run a checked program over data: its return value. */
uint32_t seccomp_run_prog(const struct sock_filter *prog, unsigned int len,
			  const struct seccomp_data *data);
/* For each syscall number below SECCOMP_CACHE_NRS, on x86-64: bit set when a
 * checked program returns ALLOW without reading anything but the number and
 * the architecture (so whatever the arguments), clear otherwise. */
void seccomp_allow_bitmap(const struct sock_filter *prog, unsigned int len,
			  uint64_t bits[SECCOMP_CACHE_WORDS]);

/* What the filters say about one syscall of t (t's own thread). */
enum seccomp_verdict {
	SECCOMP_V_RUN,          /* run the handler */
	SECCOMP_V_RETURN,       /* skip it: *ret is what the app gets in rax */
	SECCOMP_V_TRAP,         /* skip it (*ret), and force *info (SIGSYS) */
	SECCOMP_V_KILL_THREAD,  /* the thread dies with info->si_signo */
	SECCOMP_V_KILL_PROCESS, /* the process dies with info->si_signo */
};
enum seccomp_verdict seccomp_decide(struct task *t, int nr, const uint64_t a[6], int64_t *ret,
				    siginfo_t *info);

/* Syscall entry (seccomp_enter.c), on t's own thread, before the handler
 * and its argument checks: true when the syscall runs; false when *ret is
 * what the app gets in rax instead (ERRNO, TRACE without a tracer, TRAP
 * with SIGSYS queued).  Does not return when the verdict kills the thread
 * or the process. */
bool seccomp_syscall_enter(struct task *t, int nr, const uint64_t a[6], int64_t *ret);

/* SECCOMP_MODE_DISABLED / STRICT / FILTER, for PR_GET_SECCOMP and /proc. */
static inline int seccomp_mode(const struct task *t)
{
	return __atomic_load_n(&t->seccomp_mode, __ATOMIC_ACQUIRE);
}

/* How many filters t's chain holds (/proc/PID/status Seccomp_filters): t's
 * own thread, or under its group's siglock. */
static inline int seccomp_filter_count(const struct task *t)
{
	int n = 0;
	for (const struct seccomp_filter *f = __atomic_load_n(&t->seccomp, __ATOMIC_ACQUIRE); f;
	     f = f->prev)
		n++;
	return n;
}

/* seccomp(SECCOMP_SET_MODE_STRICT): -EINVAL if t already has filters. */
int seccomp_set_strict(struct task *t);
/* seccomp(SECCOMP_SET_MODE_FILTER) with a checked program (copied here):
 * 0, -EINVAL (strict mode), -ENOMEM (too many instructions on the path),
 * or with SECCOMP_FILTER_FLAG_TSYNC the tid of a thread that cannot be
 * synchronised (-ESRCH with SECCOMP_FILTER_FLAG_TSYNC_ESRCH).  The caller
 * checked flags and permission (no_new_privs or CAP_SYS_ADMIN). */
int seccomp_set_filter(struct task *t, unsigned int flags, const struct sock_filter *prog,
		       unsigned int len);

/* A new task shares its parent's mode and chain (under the parent group's
 * siglock for a new thread, so TSYNC sees it). */
void seccomp_fork(struct task *child, const struct task *parent);
/* Drop t's chain (task_free). */
void seccomp_task_free(struct task *t);

#endif
