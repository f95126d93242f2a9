/*
 * systrap_layout.h — where things are in every systrap stub process, and the
 * layout of the memory the stub shares with the Sentry.  Included by the
 * stub's assembly (stub.S) and by the Sentry side, so plain #defines only
 * outside the C part.
 *
 * A stub's address space, above PLAT_APP_TOP (the app owns everything below):
 *
 *   ST_CTL_BASE      the control region: a memfd per address space, mapped
 *                    here in the stub and anywhere in the Sentry.
 *     +0x0000          RO page: what the Sentry tells the stub's leader (the
 *                      request queue: mmap/munmap/mprotect/clone/prctl).
 *                      Read-only in the stub: no app thread can change it.
 *     +0x1000          RW page: the leader's progress and results (hints).
 *     +ST_TH_OFF       thread areas, ST_TH_SIZE each, one per app thread:
 *                      its slot (the trap hand-off with the Sentry) and its
 *                      signal stack.  Writable by the app: hostile.
 *   ST_SCRATCH       the template's scratch pages (the template only).
 *   code             the stub blob (stub.S), at an address found free in the
 *                    Sentry at init, above ST_SCRATCH: ST_BLOB_SIZE bytes,
 *                    the code page (r-x) then the parameter page (r--).
 */
#ifndef VISOR_PLATFORM_SYSTRAP_LAYOUT_H
#define VISOR_PLATFORM_SYSTRAP_LAYOUT_H

/* One past the highest user address with 4-level paging (TASK_SIZE_MAX). */
#define ST_USER_TOP 0x7ffffffff000
/* Must equal PLAT_APP_TOP (checked in systrap_stub.c). */
#define ST_CTL_BASE 0x7ffff0000000
#define ST_RO_OFF 0x0
#define ST_RW_OFF 0x1000
#define ST_TH_OFF 0x10000
#define ST_TH_SIZE 0x4000
#define ST_TH_STACK_OFF 0x1000 /* the signal stack: the rest of the area */
#define ST_TH_STACK_SIZE (ST_TH_SIZE - ST_TH_STACK_OFF)
#define ST_MAX_THREADS 4096
#define ST_TH_BASE (ST_CTL_BASE + ST_TH_OFF)
#define ST_TH_END (ST_TH_BASE + ST_MAX_THREADS * ST_TH_SIZE)
#define ST_CTL_SIZE (ST_TH_END - ST_CTL_BASE)
/* Syscall patching (patch.c): the entry table, ST_PATCH_SIZE bytes of the
 * control memfd from ST_PATCH_OFF, mapped read+exec in the stub twice: at
 * ST_PATCH_HI (reached from code in the top 2 GiB of the app's half) and at
 * ST_PATCH_LO (from code below 2 GiB), a range no app can map (the Sentry's
 * mmap floor is 0x10000; the host's must be at most ST_PATCH_LO, else the
 * low copy is left out: P_PATCH_LO).  Entry nr (ST_PATCH_ENTRY bytes each,
 * nr < ST_PATCH_NR) loads nr into eax and jumps to the blob's trampoline. */
#define ST_PATCH_OFF ST_CTL_SIZE
#define ST_PATCH_SIZE 0x3000
#define ST_PATCH_NR 512
#define ST_PATCH_ENTRY 16
#define ST_PATCH_TAIL (ST_PATCH_NR * ST_PATCH_ENTRY) /* movabs $tramp,%rcx; jmp *%rcx */
/* glibc's syscall(): `mov 0x10(%rsp),%r9` (its `mov 0x8(%rsp),%r9`, below
 * the call's return address), then on to the tail, the number in rax. */
#define ST_PATCH_SYSCALL_FN (ST_PATCH_TAIL + 16)
#define ST_PATCH_HI (ST_CTL_BASE + ST_CTL_SIZE)
#define ST_PATCH_LO 0x1000
#define ST_CTL_MEMFD_SIZE (ST_CTL_SIZE + ST_PATCH_SIZE)
#define ST_SCRATCH 0x7ffff8000000
#define ST_SCRATCH_SIZE 0x2000 /* buffers + stack, then a zeroed XSAVE area */
#define ST_CODE_MIN (ST_SCRATCH + 0x10000)
#define ST_BLOB_SIZE 0x2000
#define ST_PARAMS_OFF 0x1000 /* in the blob */

/* The RO page. */
#define RO_REQ_SEQ 0 /* u32: bumped by the Sentry per request; the leader's futex */
#define RO_NOPS 4    /* u32: ops in the request */
#define RO_SPIN 8    /* u32: pause iterations the leader spins for the next request */
#define RO_NAME 16   /* char[16]: the name prctl(PR_SET_NAME) ops point at */
#define RO_GS_FREE 32 /* u32: every app thread's gs base is its own area (no app gs base) */
#define RO_OPS 64    /* ops: ST_OP_SIZE bytes each: nr, then six arguments */
#define ST_OP_SIZE 64
#define ST_MAX_OPS 60
#define RO_MSG 3904  /* struct st_lfd_msg: the message a sendmsg op sends */

/* The RW page (written by the leader, read by the Sentry as hints only). */
#define RW_DONE_SEQ 0	     /* u32: the last request served */
#define RW_LEADER_WAITING 4  /* u32: the leader sleeps in FUTEX_WAIT */
#define RW_RESULTS 64	     /* i64 per op */

/* A thread's slot, at the start of its area. */
#define SL_STATE 0	  /* u32 futex word: ST_STATE_* */
#define SL_SENTRY_WAIT 4  /* u32: the Sentry sleeps on SL_STATE */
#define SL_STUB_WAIT 8	  /* u32: the stub thread sleeps on SL_STATE */
#define SL_SPIN 12	  /* u32: pause iterations the stub spins before it sleeps */
#define SL_SIG 16	  /* u64: the signal that trapped */
#define SL_INFO 24	  /* u64: its siginfo, on the signal stack */
#define SL_UC 32	  /* u64: its ucontext, on the signal stack */
#define SL_FS_WANT 40	  /* u64: fs base to run with (Sentry) */
#define SL_GS_WANT 48	  /* u64: gs base to run with (Sentry) */
#define SL_FS_CUR 56	  /* u64: fs base the thread has (stub) */
#define SL_GS_CUR 64	  /* u64: gs base the thread has (stub) */
#define SL_SELF 72	  /* u64: the area's address (the Sentry; the patch trampoline's %gs:) */
#define SL_FAST 80	  /* u32: the Sentry resumes a patched syscall with rax alone changed */
#define SL_LFD 84	  /* u32: the thread's seccomp listener fd + 1 (notification mode; stub) */
#define ST_STATE_EVENT 1  /* the stub thread trapped and waits */
#define ST_STATE_RESUME 2 /* the Sentry let it go */

/* The parameter page of the blob (written by the Sentry before the template
 * is forked; read-only from then on). */
#define P_SENTRY_PID 0	 /* u32: the stubs' parent */
#define P_TMPL_FD 4	 /* u32: the template's end of its socket */
#define P_CTL_FD 8	 /* u32: where a new stub finds its control memfd */
#define P_EVENT_FD 12	 /* u32: where a new stub finds its eventfd */
#define P_XSAVE 16	 /* u32: the CPU has XSAVE */
#define P_ONE 24	 /* u64: 1, the leader's "done" */
#define P_TWO 32	 /* u64: 2, the leader's "done, an op failed" */
#define P_ZERO 40	 /* u64: 0, an empty signal mask */
#define P_PATCH_LO 80	 /* u32: map the patch table at ST_PATCH_LO too */
#define P_NOTIF 84	 /* u32: notification mode: the handler hands off through its listener */
#define P_SECCOMP_FLAGS 88 /* u32: the flags of the app filter's seccomp() */
#define P_NOTIF_FD 92	 /* u32: where a new stub finds the socket its leader sends listeners on */
#define P_BASE_FPROG 48	 /* struct sock_fprog: the filter of every stub thread */
#define P_APP_FPROG 64	 /* struct sock_fprog: the filter added on app threads */
#define P_BASE_FILTER 128
#define P_FILTER_MAX 120 /* instructions per filter */
#define P_APP_FILTER (P_BASE_FILTER + P_FILTER_MAX * 8)

/* The clone flags of a stub thread, and of a new stub (from the template;
 * exit signal 0: only __WALL waits see it, no SIGCHLD to the Sentry). */
#define ST_THREAD_CLONE_FLAGS 0x50f00 /* VM FS FILES SIGHAND THREAD SYSVSEM */
#define ST_STUB_CLONE_FLAGS 0x8000    /* CLONE_PARENT */

/* The signal that interrupts a running stub thread. */
#define ST_SIG_INTERRUPT 17 /* SIGCHLD */

/* Exit codes of a stub that gave up (seen by the Sentry as its wait status). */
#define ST_EXIT_SETUP 120 /* a set-up step of a new stub failed */
#define ST_EXIT_FATAL 121 /* the leader could not keep a promise (munmap failed) */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct st_op {
	uint64_t nr;
	uint64_t a[6];
	uint64_t pad;
};

/* A thread's listener, as the leader sends it (notification mode): one byte
 * and the fd, on the stub's socket. */
struct st_lfd_msg {
	uint64_t msghdr[7]; /* struct msghdr */
	uint64_t iov[2];    /* struct iovec */
	uint64_t byte;
	uint64_t cmsg[3];   /* struct cmsghdr, then the fd (CMSG_SPACE(sizeof(int))) */
};

struct st_ro {
	uint32_t req_seq;
	uint32_t nops;
	uint32_t spin;
	uint32_t pad;
	char name[16];
	uint32_t gs_free;
	char pad2[RO_OPS - 36];
	struct st_op ops[ST_MAX_OPS];
	struct st_lfd_msg msg;
};

struct st_rw {
	uint32_t done_seq;
	uint32_t leader_waiting;
	char pad[RW_RESULTS - 8];
	int64_t results[ST_MAX_OPS];
};

struct st_slot {
	uint32_t state;
	uint32_t sentry_wait;
	uint32_t stub_wait;
	uint32_t spin;
	uint64_t sig, info, uc;
	uint64_t fs_want, gs_want, fs_cur, gs_cur;
	uint64_t self;
	uint32_t fast;
	uint32_t lfd;
};

_Static_assert(__builtin_offsetof(struct st_ro, name) == RO_NAME, "RO_NAME");
_Static_assert(__builtin_offsetof(struct st_ro, ops) == RO_OPS, "RO_OPS");
_Static_assert(sizeof(struct st_op) == ST_OP_SIZE, "ST_OP_SIZE");
_Static_assert(__builtin_offsetof(struct st_ro, msg) == RO_MSG, "RO_MSG");
_Static_assert(sizeof(struct st_ro) <= 0x1000, "RO page");
_Static_assert(__builtin_offsetof(struct st_rw, results) == RW_RESULTS, "RW_RESULTS");
_Static_assert(sizeof(struct st_rw) <= 0x1000, "RW page");
_Static_assert(__builtin_offsetof(struct st_slot, sentry_wait) == SL_SENTRY_WAIT, "SL");
_Static_assert(__builtin_offsetof(struct st_slot, stub_wait) == SL_STUB_WAIT, "SL");
_Static_assert(__builtin_offsetof(struct st_slot, spin) == SL_SPIN, "SL_SPIN");
_Static_assert(__builtin_offsetof(struct st_slot, sig) == SL_SIG, "SL_SIG");
_Static_assert(__builtin_offsetof(struct st_slot, info) == SL_INFO, "SL_INFO");
_Static_assert(__builtin_offsetof(struct st_slot, uc) == SL_UC, "SL_UC");
_Static_assert(__builtin_offsetof(struct st_slot, fs_want) == SL_FS_WANT, "SL_FS_WANT");
_Static_assert(__builtin_offsetof(struct st_slot, gs_want) == SL_GS_WANT, "SL_GS_WANT");
_Static_assert(__builtin_offsetof(struct st_slot, fs_cur) == SL_FS_CUR, "SL_FS_CUR");
_Static_assert(__builtin_offsetof(struct st_slot, gs_cur) == SL_GS_CUR, "SL_GS_CUR");
_Static_assert(__builtin_offsetof(struct st_slot, self) == SL_SELF, "SL_SELF");
_Static_assert(__builtin_offsetof(struct st_slot, fast) == SL_FAST, "SL_FAST");
_Static_assert(__builtin_offsetof(struct st_slot, lfd) == SL_LFD, "SL_LFD");
_Static_assert(__builtin_offsetof(struct st_ro, gs_free) == RO_GS_FREE, "RO_GS_FREE");
_Static_assert(P_APP_FILTER + P_FILTER_MAX * 8 <= ST_BLOB_SIZE - ST_PARAMS_OFF, "params page");
_Static_assert(ST_PATCH_HI + ST_PATCH_SIZE <= ST_SCRATCH, "patch table below the scratch");
_Static_assert(ST_PATCH_SYSCALL_FN + 16 <= ST_PATCH_SIZE, "patch table");
_Static_assert(ST_PATCH_LO + ST_PATCH_SIZE <= 0x10000, "low patch table below the mmap floor");
_Static_assert(ST_TH_BASE % ST_TH_SIZE == 0, "thread areas aligned to their size");
#endif

#endif
