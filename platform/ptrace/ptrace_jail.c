/*
 * ptrace_jail.c — what the ptrace platform needs the Sentry's seccomp jail to
 * allow (platform_ops.jail_rules; the jail is sentry/jail.c).
 *
 * Two kinds of callers run under the Sentry's filter:
 *  - Sentry threads, in ptrace.c and ptrace_stub.c: tracing stub threads,
 *    waiting for their stops, signalling and killing stubs, forking new ones.
 *  - Stub processes.  A stub is forked from the jailed Sentry and inherits its
 *    filter for good: the stub's own filter (ptrace_stub.c) is stacked on top
 *    and can only narrow it.  So everything the forked child does before its
 *    filter is in place, every syscall ptrace.c injects into a stub, and every
 *    syscall the stub's own filter allows must be allowed here too.
 *
 * Several of these are in the Sentry's own rules as well (memory, clone,
 * signals): they are listed here anyway, so that this list alone says what
 * the platform needs and stays right when the Sentry's rules change.  A
 * duplicate allow costs nothing in the filter.
 *
 * Application syscalls never reach either filter: PTRACE_SYSEMU stops them at
 * syscall entry, before seccomp runs.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const struct jail_rule pt_jail_rule_list[] = {
    /* Sentry threads */
    JAIL_ALLOW(SYS_ptrace), /* tracing stub threads; the child's PTRACE_TRACEME */
    JAIL_ALLOW(SYS_wait4),  /* pt_wait: ptrace stops and deaths (waitpid) */
    /* Collecting stubs with waitid, and reading or writing a stub's memory
     * directly: allowed since the first jail, called by nothing today (the
     * Sentry copies app memory through its memory file). */
    JAIL_ALLOW(SYS_waitid),
    JAIL_ALLOW(SYS_process_vm_readv),
    JAIL_ALLOW(SYS_process_vm_writev),
    JAIL_ALLOW_KILL(SIGKILL),	  /* as_release and failed creations: SIGKILL a stub */
    JAIL_ALLOW_TGKILL(SIGCHLD),	  /* context_interrupt: SIGCHLD to a running stub thread */
    JAIL_ALLOW(SYS_sched_setaffinity), /* pt_rec_follow_cpu: a stub thread follows its tracer */
    JAIL_ALLOW(SYS_getcpu),	       /* sched_getcpu, when the vDSO does not answer */
    JAIL_ALLOW_ARG_EQ(SYS_clone, 0, 0), /* pt_fork: a new stub process, nothing shared */
    JAIL_ALLOW_ARG_EQ(SYS_clone, 0, PT_THREAD_CLONE_FLAGS), /* injected: a spare stub thread */
    /* Injected into a stub: its mappings of the memory file (app code is
     * PROT_EXEC), and dropping the Sentry's.  Unconditional, so with ptrace
     * the Sentry's own no-PROT_EXEC rule does not hold: a stub is forked
     * from the jailed Sentry and carries the Sentry's filter, and no
     * argument tells a stub's call from a Sentry thread's.  (systrap forks
     * its stubs from a template made before the jail, so there it holds.)
     * The stub page itself is made executable before the jail. */
    JAIL_ALLOW(SYS_mmap),
    JAIL_ALLOW(SYS_mprotect),
    JAIL_ALLOW(SYS_munmap),
    /* The forked child before its filter (pt_stub_child), then injections
     * (pt_stub_create, pt_stub_set_name) */
    JAIL_ALLOW_ARG32_EQ(SYS_prctl, 0, PR_SET_PDEATHSIG),
    JAIL_ALLOW_ARG32_EQ(SYS_prctl, 0, PR_SET_NO_NEW_PRIVS),
    JAIL_ALLOW_ARG32_EQ(SYS_prctl, 0, PR_SET_NAME),
    JAIL_ALLOW(SYS_getppid),
    JAIL_ALLOW(SYS_rt_sigaction),
    JAIL_ALLOW(SYS_rt_sigprocmask),
    JAIL_ALLOW(SYS_close_range),
    JAIL_ALLOW(SYS_rseq),    /* unregistering glibc's rseq area */
    JAIL_ALLOW(SYS_seccomp), /* installing the stub's own filter */
    /* In the jail's platform group since its first version; nothing calls
     * them today (candidates to drop, in a change of their own). */
    JAIL_ALLOW(SYS_arch_prctl),
    JAIL_ALLOW(SYS_set_tid_address),
    /* What the stub's own filter allows besides the above (stub.S) */
    JAIL_ALLOW(SYS_pause), /* spare threads wait in pause() */
    /* A call into the vsyscall page: the host kernel emulates it as
     * gettimeofday, time or getcpu and runs seccomp on it; the stub's own
     * filter traps it (SIGSYS, served by the Sentry: pt_classify), but
     * every filter runs and the strictest answer wins, so this one must
     * not kill it first.  gettimeofday and getcpu are the Sentry's anyway. */
    JAIL_ALLOW(SYS_time),
    JAIL_ALLOW(SYS_gettimeofday),
    JAIL_ALLOW(SYS_exit),
    JAIL_ALLOW(SYS_exit_group),
};

static const struct jail_rules pt_jail_rules = JAIL_RULES("ptrace", pt_jail_rule_list);

const struct jail_rules *ptrace_jail_rules(const struct platform *p) { return &pt_jail_rules; }
