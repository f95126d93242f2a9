/*
 * platform.h — how application code runs and traps.  The Sentry's only view
 * of the host CPU.
 *
 * A platform gives the Sentry two kinds of objects:
 *   - an addr_space: one application address space.  The Sentry decides what
 *     is mapped where and calls map/unmap/protect; the only memory that can be
 *     mapped is the Sentry's memory file (a memfd given at platform_new), at a
 *     page-aligned offset.  The platform's mappings are a cache of the Sentry's
 *     page tables: the Sentry may map lazily, from faults.
 *   - a context: the execution state of one application thread on the host.
 *     context_switch() runs app code in an addr_space with the given registers
 *     until it traps, and reports why.
 *
 * Threading (see DESIGN.md §10): each Sentry task thread owns one context and
 * is the only thread that calls context_switch on it.  map/unmap/protect on an
 * addr_space are called only from a thread whose context has entered that
 * addr_space (context_switch ran on it at least once, and the app thread is now
 * stopped in the Sentry), or on an addr_space never entered (then they only
 * record nothing: there is nothing mapped to change; or, on a platform with
 * map_before_entry, they are kept and hold from the first app instruction
 * on).  context_interrupt may be called from any thread.
 *
 * This file never includes Sentry headers; the Sentry includes it.
 */
#ifndef VISOR_PLATFORM_H
#define VISOR_PLATFORM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

struct platform;
struct addr_space;
struct context;

/* General-purpose registers, x86_64, in the kernel's ptrace layout (includes
 * orig_rax, fs_base and gs_base). */
typedef struct user_regs_struct plat_regs_t;

/* FPU, SSE and extended (AVX, AVX-512, ...) state in the XSAVE standard
 * format, as PTRACE_GETREGSET NT_X86_XSTATE and a Linux signal frame hold
 * it: the 512-byte FXSAVE area (fx), the 64-byte XSAVE header at 512, then
 * each component at its CPUID offset.  Only the first platform.xstate_size
 * bytes are used.  On a CPU without XSAVE it is the FXSAVE area alone.
 * As for XRSTOR, a component whose xstate_bv bit is clear is set to its init
 * state: a change to the FXSAVE area needs bits 0 (x87) and 1 (SSE). */
#define PLAT_XSTATE_MAX 16384
#define PLAT_XSTATE_HEADER 512 /* offset of the XSAVE header (xstate_bv first) */
typedef union plat_fpregs {
	struct user_fpregs_struct fx;
	uint8_t bytes[PLAT_XSTATE_MAX];
} __attribute__((aligned(64))) plat_fpregs_t;

/* The state a thread starts with (after execve, in a signal handler):
 * x87 and SSE in their reset state, every other component in its init
 * state. */
static inline void plat_fpregs_init(plat_fpregs_t *fp, uint32_t size)
{
	for (uint32_t i = 0; i < size && i < PLAT_XSTATE_MAX; i++)
		fp->bytes[i] = 0;
	fp->fx.cwd = 0x37f;
	fp->fx.mxcsr = 0x1f80;
	if (size > PLAT_XSTATE_HEADER)
		fp->bytes[PLAT_XSTATE_HEADER] = 0x3; /* xstate_bv: x87, SSE */
}

enum plat_event_kind {
	PLAT_EV_SYSCALL = 1,   /* app executed `syscall`; regs->orig_rax = number, rip after it */
	PLAT_EV_FAULT = 2,     /* app touched addr and the host could not satisfy it (SIGSEGV/SIGBUS) */
	PLAT_EV_SIGNAL = 3,    /* app raised a synchronous host signal (SIGFPE, SIGILL, SIGTRAP, ...) */
	PLAT_EV_INTERRUPT = 4, /* context_interrupt() was called */
};

struct plat_event {
	enum plat_event_kind kind;
	/* PLAT_EV_FAULT: faulting address and the host's si_signo/si_code
	 * (SIGSEGV with SEGV_MAPERR or SEGV_ACCERR, or SIGBUS).  The access type
	 * is not known on every platform: the Sentry infers it (a fault on a page
	 * it already mapped read-only in a writable VMA is a write). */
	uint64_t fault_addr;
	int fault_signo;
	int fault_code;
	/* PROT_WRITE when the platform knows the access was a write (systrap:
	 * the page-fault error code of the signal frame), else 0.  A hint the
	 * app may forge: the Sentry grants nothing on it that a real write to
	 * the same address would not get. */
	int fault_access;
	/* PLAT_EV_SIGNAL: the host's siginfo for the synchronous signal. */
	siginfo_t info;
	/* The registers are partial (systrap's notification mode, for an app
	 * syscall): only rip, orig_rax and the six arguments are the app's
	 * (and the fs/gs bases, which are the Sentry's anyway); the rest are
	 * whatever the last resume had.  The Sentry may change those fields
	 * and rax; before it reads or writes any other (a signal frame, a
	 * ptrace stop, a clone) it asks context_full_regs.  Stays set on an
	 * interrupt that did not run the app. */
	bool partial;
};

/* Memory protections for map/protect: the PROT_* bits of mman.h. */

/*
 * Host syscalls the Sentry's seccomp jail lets through (sentry/jail.h).  The
 * jail's filter kills the Sentry on any syscall no rule names; it is made of
 * the Sentry's own rules, the platform's (platform_ops.jail_rules) and those
 * of the sandbox's network mode.  Written without libseccomp so that every
 * contributor can declare its rules; only the jail translates them.
 */
enum jail_action {
	JAIL_ACT_ALLOW = 0, /* run the syscall */
	JAIL_ACT_ERRNO = 1, /* fail it with `err` without running it */
};

enum jail_cmp_op {
	JAIL_CMP_EQ = 1,
	JAIL_CMP_NE,
	JAIL_CMP_LT,
	JAIL_CMP_LE,
	JAIL_CMP_GE,
	JAIL_CMP_GT,
	JAIL_CMP_MASKED_EQ, /* (argument & mask) == value */
};

/* A condition on one syscall argument, compared as a 64-bit unsigned value. */
struct jail_arg_cmp {
	unsigned int arg; /* 0..5 */
	enum jail_cmp_op op;
	uint64_t value;
	uint64_t mask; /* JAIL_CMP_MASKED_EQ only */
};

#define JAIL_RULE_MAX_CMP 6

/* One rule: syscall nr (x86_64, the SYS_* numbers), when every condition
 * holds (none: whatever the arguments), gets action.  Rules for the same
 * syscall add up: a call matching any of them gets its action.  Rules that
 * can match the same call must agree on the action: the jail refuses a
 * syscall with a rule without conditions and a rule with another action
 * (libseccomp would silently keep one of them), and libseccomp refuses two
 * with the same conditions; overlapping conditions are the writer's care. */
struct jail_rule {
	long nr;
	enum jail_action action;
	int err; /* JAIL_ACT_ERRNO: the errno, 1..4095 */
	unsigned int ncmp;
	struct jail_arg_cmp cmp[JAIL_RULE_MAX_CMP];
};

/* Initializers for rules without conditions: JAIL_ALLOW(SYS_read),
 * JAIL_FAIL(SYS_open, EACCES). */
/* clang-format off */
#define JAIL_ALLOW(sysnr) {.nr = (sysnr), .action = JAIL_ACT_ALLOW}
#define JAIL_FAIL(sysnr, errnum) {.nr = (sysnr), .action = JAIL_ACT_ERRNO, .err = (errnum)}
/* Allowed only when argument argn equals val (the whole 64-bit register). */
#define JAIL_ALLOW_ARG_EQ(sysnr, argn, val) \
	{.nr = (sysnr), .action = JAIL_ACT_ALLOW, .ncmp = 1, \
	 .cmp = {{.arg = (argn), .op = JAIL_CMP_EQ, .value = (val)}}}
/* Allowed only when the low 32 bits of argument argn (an int or unsigned
 * int parameter: the kernel ignores the upper half) equal val. */
#define JAIL_ALLOW_ARG32_EQ(sysnr, argn, val) \
	{.nr = (sysnr), .action = JAIL_ACT_ALLOW, .ncmp = 1, \
	 .cmp = {{.arg = (argn), .op = JAIL_CMP_MASKED_EQ, .mask = 0xffffffffULL, .value = (val)}}}
/* Allowed only when (argument argn & mask) == val. */
#define JAIL_ALLOW_ARG_MASKED_EQ(sysnr, argn, mask_, val) \
	{.nr = (sysnr), .action = JAIL_ACT_ALLOW, .ncmp = 1, \
	 .cmp = {{.arg = (argn), .op = JAIL_CMP_MASKED_EQ, .mask = (mask_), .value = (val)}}}
/* mmap or mprotect whose prot (argument 2) lacks PROT_EXEC (0x4): the Sentry
 * never makes host memory executable once jailed (the stubs' code pages are
 * set up before the jail). */
#define JAIL_ALLOW_NO_EXEC(sysnr) JAIL_ALLOW_ARG_MASKED_EQ(sysnr, 2, 0x4, 0)
/* kill(pid, sig) and tgkill(tgid, tid, sig) with a positive (t)gid and
 * signal sig: never -1 (every process the caller may signal), never a
 * process group. */
#define JAIL_ALLOW_KILL(sig) \
	{.nr = SYS_kill, .action = JAIL_ACT_ALLOW, .ncmp = 2, \
	 .cmp = {{.arg = 0, .op = JAIL_CMP_MASKED_EQ, .mask = 0xffffffff80000000ULL, .value = 0}, \
		 {.arg = 1, .op = JAIL_CMP_EQ, .value = (sig)}}}
#define JAIL_ALLOW_TGKILL(sig) \
	{.nr = SYS_tgkill, .action = JAIL_ACT_ALLOW, .ncmp = 2, \
	 .cmp = {{.arg = 0, .op = JAIL_CMP_MASKED_EQ, .mask = 0xffffffff80000000ULL, .value = 0}, \
		 {.arg = 2, .op = JAIL_CMP_EQ, .value = (sig)}}}
/* clang-format on */

/* A named list of rules: what one part of visor needs from the host. */
struct jail_rules {
	const char *name; /* for messages: "sentry", "ptrace", ... */
	const struct jail_rule *rules;
	size_t n;
};

/* The initializer of a struct jail_rules over a static array of rules. */
#define JAIL_RULES(name_, array_)                                                                  \
	{ .name = (name_), .rules = (array_), .n = sizeof(array_) / sizeof((array_)[0]) }

/* Counters of platform_ops.stats. */
struct plat_stats {
	uint64_t requests;
	uint64_t ops;
};

struct platform_ops {
	const char *name;
	/* Set up the platform for a Sentry whose memory file is memfd. */
	int (*init)(struct platform *p);
	void (*fini)(struct platform *p);
	/* The host syscalls the Sentry's jail must allow for this platform,
	 * beyond the Sentry's own rules: what the platform calls in Sentry
	 * threads, and what its host processes do while they still run under
	 * the Sentry's filter (a process forked from the jailed Sentry inherits
	 * it, and any filter it adds only narrows it).  Static for the life of
	 * p; any thread may call it. */
	const struct jail_rules *(*jail_rules)(const struct platform *p);

	/* Maps made into an address space never entered are kept (not
	 * dropped) and hold before its first app instruction, as cheaply as
	 * the platform's first request allows: worth making ahead (a fork's
	 * child gets its parent's working set so).  An unmap or protect there
	 * holds too.  A map it cannot keep fails (-ENOSPC). */
	bool map_before_entry;
	/* A new, empty address space.  NULL on failure (errno set). */
	struct addr_space *(*new_addr_space)(struct platform *p);
	/* Map [addr, addr+len) to the memory file at offset, replacing whatever
	 * was there.  All page-aligned. */
	int (*as_map)(struct addr_space *as, uint64_t addr, uint64_t len, int prot, uint64_t offset);
	int (*as_unmap)(struct addr_space *as, uint64_t addr, uint64_t len);
	int (*as_protect)(struct addr_space *as, uint64_t addr, uint64_t len, int prot);
	/* Optional (NULL: always true).  May the calling thread call
	 * map/unmap/protect on `as` now (see the threading rules above)?  The
	 * Sentry asks before it changes an address space other than the
	 * caller's own (a write-back write-protecting another process's
	 * mapping of a file); when not, it does without. */
	bool (*as_can_change)(struct addr_space *as);
	/* Called by a thread whose context is stopped in `as`, before another
	 * thread's context first enters `as` (app clone with CLONE_VM, vfork).
	 * Platforms that need host resources per (thread, addr_space) make them
	 * here, while a stopped app thread of `as` is at hand. */
	int (*as_prepare_thread)(struct addr_space *as);
	/* Drop the address space (all its host resources). */
	void (*as_release)(struct addr_space *as);
	/* Optional (NULL: not supported).  Release old, handing its host
	 * resources, emptied, to fresh: an address space never entered, into
	 * which nothing was mapped yet but from the Sentry's own records (or
	 * maps it kept, map_before_entry: they hold after the emptying).  For
	 * execve: old is the replaced address space, which no task uses any
	 * more and no other thread holds, and the calling thread's context is
	 * stopped in it; the new program then skips the making of a host
	 * process.  Nothing of the old program may reach the new one: no
	 * mapping of old stays, and whatever host state the old program could
	 * write is reset.  0; or -errno and nothing changed (the caller then
	 * releases old itself). */
	int (*as_recycle)(struct addr_space *old, struct addr_space *fresh);
	/* Optional (NULL when the platform has no such thing).  The pid of the
	 * host process backing `as`, so that host tools (`docker top`, ps) can
	 * be pointed at the application's processes; 0 when there is none (yet,
	 * or any more).  The pid is as the calling process sees it: a Sentry in
	 * its own pid namespace gets that namespace's number, which the runtime
	 * translates (/proc/PID/status NSpid).  Any thread may call it. */
	int (*as_host_pid)(struct addr_space *as);
	/* Optional (NULL: never).  Has the host process backing `as` died on
	 * its own (killed from outside, by the host's OOM killer)?  Never
	 * blocks, reaps nothing; any thread may call it.  The Sentry's
	 * watchdog asks it of every process's address space, so that one
	 * whose stub died ends even while its threads sleep in the Sentry
	 * (context_switch reports it only to a thread that runs app code).
	 * false for an address space never entered or already released. */
	bool (*as_dead)(struct addr_space *as);
	/* Optional.  The name (at most 15 bytes are used, as Linux's comm) the
	 * host should show for the process backing `as`: host tools then list
	 * the application's command instead of the Sentry's.  Kept in `as` and
	 * applied when the platform can: at once when the calling thread could
	 * call as_map now (see the threading rules above), else when the host
	 * process is created.  0 or -errno. */
	int (*as_set_name)(struct addr_space *as, const char *name);
	/* Optional (NULL: no syscall patching).  The 5 bytes that may replace
	 * the `mov $nr,%eax` (b8 imm32) of an app's `mov $nr,%eax; syscall` at
	 * site in `as`, so that later calls there reach the Sentry faster; the
	 * `syscall` after them stays, and must still work for a thread that
	 * stopped before it.  The Sentry decides whether to (and writes the app's
	 * memory).  nr PLAT_PATCH_SYSCALL_FN: the site is glibc's syscall()
	 * instead, `mov 0x8(%rsp),%r9; syscall` (4c 8b 4c 24 08 0f 05), the
	 * number in rax.  0, or -errno when this site cannot be patched.  Any
	 * thread. */
	int (*as_patch_syscall)(struct addr_space *as, uint64_t site, uint32_t nr, uint8_t call[5]);
	/* Optional (NULL: nothing to count).  What the platform asked of its
	 * host processes so far, for the Sentry's stats line: requests (round
	 * trips to a helper thread, such as systrap's leader) and the address
	 * space ops (map, unmap, protect...) they carried.  Any thread. */
	void (*stats)(struct platform *p, struct plat_stats *st);

	/* A new execution context, owned by the calling thread from now on. */
	struct context *(*new_context)(struct platform *p);
	/* Run app code in `as` starting from *regs (and *fpregs when non-NULL
	 * and dirty) until it traps; on return *regs holds the trapped state.
	 * Returns 0 and fills *ev, or -errno when the host side failed (the
	 * address space died: the task cannot continue). */
	int (*context_switch)(struct context *ctx, struct addr_space *as, plat_regs_t *regs,
			      struct plat_event *ev);
	/* Optional (a platform that reports partial registers).  Fill in the
	 * rest of *regs, partial since the last event: the app's registers
	 * then, but for the fields a partial event carries, which keep what
	 * *regs says.  0, or -ESRCH (the address space died). */
	int (*context_full_regs)(struct context *ctx, plat_regs_t *regs);
	/* FPU state of the app thread last run on ctx (or to run next): the
	 * platform's xstate_size bytes of *fp.  set takes the state as given;
	 * the caller has checked it (reserved header and MXCSR bits clear,
	 * features within xstate_features), as Linux's sigreturn does. */
	int (*context_get_fpregs)(struct context *ctx, plat_fpregs_t *fp);
	int (*context_set_fpregs)(struct context *ctx, const plat_fpregs_t *fp);
	/* Make a running (or the next) context_switch return PLAT_EV_INTERRUPT.
	 * Any thread may call it. */
	void (*context_interrupt)(struct context *ctx);
	/* Optional.  The thread owning ctx is about to sleep in the Sentry
	 * (for another task, a pipe, a child...), perhaps long: a platform that
	 * keeps the thread on one CPU for its hand-offs lets it go. */
	void (*context_blocking)(struct context *ctx);
	/* Optional.  The CPU the calling thread keeps its hand-offs on, or -1
	 * (none, or not a thread owning a context): a task waking another
	 * records it for context_woken. */
	int (*cpu_hint)(struct platform *p);
	/* Optional.  The thread owning ctx woke from a sleep in the Sentry;
	 * cpu: its waker's cpu_hint (-1: not known, or no waker).  A platform
	 * that keeps hand-offs on one CPU may move ctx's there: a task woken
	 * by another most often hands work back to it soon. */
	void (*context_woken)(struct context *ctx, int cpu);
	void (*context_release)(struct context *ctx);
};

#define PLAT_PATCH_SYSCALL_FN 0xffffffffu

struct platform {
	const struct platform_ops *ops;
	int memfd;  /* the Sentry's memory file */
	void *priv; /* implementation state */
	/* The FPU state an app thread has on this host CPU (set by
	 * platform_new from CPUID and XCR0): the bytes of plat_fpregs_t in use
	 * (the XSAVE area size of the enabled features, or 512 without XSAVE)
	 * and the XSAVE features enabled for user code (XCR0; 0 without XSAVE). */
	uint32_t xstate_size;
	uint64_t xstate_features;
	uint32_t mxcsr_mask; /* the MXCSR bits the CPU accepts (FXRSTOR faults on others) */
};

/* Lowest address the platform reserves for itself in every address space:
 * app mappings must stay below it.  The stub lives above: 256 MiB, of which
 * systrap needs 64 MiB for the signal stacks and hand-off slots of up to
 * 4096 threads per address space (platform/systrap/systrap_layout.h). */
#define PLAT_APP_TOP 0x7ffff0000000ULL

/* Create and init the named platform ("ptrace", "systrap").  NULL + errno on
 * failure: ENOENT for a name this build does not have. */
struct platform *platform_new(const char *name, int memfd);
void platform_free(struct platform *p);
/* The names platform_new knows, comma-separated: "ptrace,systrap". */
const char *platform_names(void);

extern const struct platform_ops ptrace_platform_ops;
extern const struct platform_ops systrap_platform_ops;

#endif
