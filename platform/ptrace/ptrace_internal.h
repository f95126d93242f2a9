/*
 * ptrace_internal.h — what the files of the ptrace platform share.
 *
 * ptrace_stub.c owns the host mechanics: the stub page, the stub's seccomp
 * filter, creating a stub process, waiting for ptrace stops and injecting a
 * syscall into a stopped stub thread.  ptrace.c owns the platform objects
 * (addr_space, context), the per-Sentry-thread records of which stub thread
 * the thread traces, and the platform_ops table.  ptrace_jail.c lists what
 * both need the Sentry's seccomp jail to allow.  Nothing here is for the
 * Sentry; tests use the few accessors at the end.
 */
#ifndef VISOR_PLATFORM_PTRACE_INTERNAL_H
#define VISOR_PLATFORM_PTRACE_INTERNAL_H

#include "lib/page.h"
#include "lib/lockdep.h"
#include "platform/platform.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The x86-64 vsyscall page (0xffffffffff600000): its low 32 bits, as the
 * stub's filter compares them, and the whole address. */
#define PT_VSYSCALL_PAGE_LO 0xff600000U
#define PT_VSYSCALL_PAGE 0xffffffffff600000ULL
/* One past the highest user address with 4-level paging (TASK_SIZE_MAX). */
#define PT_USER_TOP 0x7ffffffff000ULL
/* Where in the stub page the seccomp program lives (the code is at 0). */
#define PT_FPROG_OFF 0x800
#define PT_FILTER_OFF 0x810
#define PT_FILTER_MAX 64
/* Where the stub's host name (comm) goes before prctl(PR_SET_NAME) reads it:
 * 16 bytes at the end of the page, after the filter.  Written with
 * PTRACE_POKEDATA into the stub's own private copy of the page (ptrace writes
 * through the page's read-only protection, and copy-on-write keeps the
 * Sentry's copy and other stubs' copies untouched). */
#define PT_NAME_OFF 0xff0
#define PT_NAME_LEN 16
_Static_assert(PT_FILTER_OFF + PT_FILTER_MAX * sizeof(struct sock_filter) <= PT_NAME_OFF,
	       "the name slot overlaps the seccomp filter");
_Static_assert(PT_NAME_OFF + PT_NAME_LEN <= PAGE_SIZE, "the name slot is off the page");

/* Platform-wide state (platform->priv). */
struct pt_platform {
	int memfd;
	uint64_t stub_addr; /* the stub page, same address in the Sentry and every stub */
	struct sock_filter filter[PT_FILTER_MAX];
	unsigned short filter_len;
	/* The stub template (ptrace_stub.c): a process forked before the
	 * Sentry's jail that forks every stub, so that no stub carries the
	 * Sentry's filter.  Its own filter is the stub's plus its loop. */
	struct sock_filter tmpl_filter[PT_FILTER_MAX];
	unsigned short tmpl_filter_len;
	struct sock_fprog tmpl_prog;
	struct vmutex tmpl_lock; /* one request and its reply at a time */
	int tmpl_sock;		 /* -1: no template */
	int tmpl_fd_no;		 /* the socket's number in the template (and a new stub) */
	pid_t tmpl_pid;
};

/* Addresses of the stub page's entry points. */
uint64_t pt_stub_inject_addr(const struct pt_platform *pp);
uint64_t pt_stub_clone_addr(const struct pt_platform *pp);
uint64_t pt_stub_wait_addr(const struct pt_platform *pp);

/*
 * THE INVARIANT OF THIS PLATFORM: app code runs only under PTRACE_SYSEMU.
 * The stub's seccomp filter allows mmap of the memory file at any offset
 * (the stub maps what the Sentry asks, and the filter cannot tell one
 * offset from another), so app code that ran with syscalls reaching the
 * host would map any app's memory, or the Sentry's.  PTRACE_SYSEMU stops
 * every app syscall at entry, before the filter.  Every other way a stub
 * thread runs (PTRACE_CONT while a syscall is injected, PTRACE_DETACH of a
 * spare or of the leader) first points rip at the stub's own code, which
 * makes only its own syscalls and parks or traps: each such site says so
 * and checks it with pt_stub_runs_at.
 *
 * pt_stub_runs_at: whether rip is in the stub's code (not its data: the
 * filter and the name slot).
 */
bool pt_stub_runs_at(const struct pt_platform *pp, uint64_t rip);

/* Map the stub page into the Sentry, build the seccomp filters and fork the
 * stub template (before the Sentry's jail); fini ends the template and
 * unmaps the page. */
int pt_stub_page_init(struct pt_platform *pp);
void pt_stub_page_fini(struct pt_platform *pp);

/* The clone flags of a spare stub thread (the only clone the filter allows). */
#define PT_THREAD_CLONE_FLAGS                                                                      \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

/*
 * Have the template fork a new stub process (a child of the Sentry, by
 * CLONE_PARENT), seize it from the calling thread and set it up: the calling
 * thread is its tracer until it returns; on success the stub holds only the
 * stub page and the memfd, runs under the template's filter and its own, and
 * its leader is left ptrace-stopped with *regs its registers.
 */
int pt_stub_create(struct pt_platform *pp, pid_t *pid, plat_regs_t *regs);

/*
 * Wait for the next state change of tid (a stop, or death).  EINTR is
 * retried.  Returns 0, or -errno (ECHILD: not ours / already reaped).
 */
int pt_wait(pid_t tid, int *status);
/* After SIGKILL: collect tid's exit, skipping stops (ECHILD: someone already
 * did).  Any Sentry thread may reap any stub thread: wait(2) looks at the
 * children and tracees of every thread in the caller's thread group. */
void pt_reap(pid_t tid);

/*
 * Run one host syscall in the stopped stub thread tid, which the calling
 * thread traces: regs is any valid register set of the thread (its segment
 * selectors and fs/gs base are kept); the thread is left stopped at the int3
 * after the syscall, with its registers clobbered.  Returns the syscall's
 * result (negative errno from the host) in *ret; the function's own return
 * is 0, or -ESRCH if the thread died (its *status then in *death when
 * non-NULL), or -EINVAL (nothing run) when site is not in the stub's code.
 */
int pt_inject(const struct pt_platform *pp, pid_t tid, const plat_regs_t *regs, uint64_t site,
	      long nr, const long args[6], long *ret, int *death);

/*
 * Set the host name (comm) of stub thread tid, stopped and traced by the
 * calling thread, to name (PT_NAME_LEN bytes, NUL-padded): write it into the
 * stub page, then inject prctl(PR_SET_NAME).  Linux renames only the thread
 * that calls it.  regs as for pt_inject (clobbered the same way).  0, or
 * -errno (-ESRCH: the thread died).
 */
int pt_stub_set_name(struct pt_platform *pp, pid_t tid, const plat_regs_t *regs,
		     const char name[PT_NAME_LEN]);

/* platform_ops.jail_rules (ptrace_jail.c). */
const struct jail_rules *ptrace_jail_rules(const struct platform *p);

/* For tests and debugging: the stub process of as (0 if none yet), and the
 * wait status the stub died with (0 if it did not). */
pid_t ptrace_as_stub_pid(struct addr_space *as);
int ptrace_as_death_status(struct addr_space *as);
/* For tests: inject syscall nr into the calling thread's stub thread in as.
 * Returns the result, or -ESRCH when the stub died doing it. */
long ptrace_as_inject_syscall(struct addr_space *as, long nr, const long args[6]);

#endif
