/*
 * ptrace_jail.c — what the ptrace platform needs the Sentry's seccomp jail to
 * allow (platform_ops.jail_rules; the jail is sentry/jail.c).
 *
 * Only Sentry threads run under the Sentry's filter: tracing stub threads,
 * waiting for their stops, signalling and killing stubs, asking the stub
 * template for a new stub.  Stub processes never carry it: they are forked
 * by the template (ptrace_stub.c), which the platform forks before the jail,
 * and run under the template's filter and their own.  So the Sentry's own
 * rules hold under ptrace as under systrap, no PROT_EXEC mapping included:
 * the stub page is made executable before the jail, and the app's code is
 * mapped by syscalls injected into stubs, which the Sentry's filter never
 * sees.  Application syscalls never reach any filter: PTRACE_SYSEMU stops
 * them at syscall entry, before seccomp runs.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

static const struct jail_rule pt_jail_rule_list[] = {
    JAIL_ALLOW(SYS_ptrace), /* tracing stub threads: seize, interrupt, sysemu, regs */
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
    /* A new stub: a byte to the template, its pid back (pt_template_fork). */
    JAIL_ALLOW(SYS_sendto),
    JAIL_ALLOW(SYS_recvfrom),
};

static const struct jail_rules pt_jail_rules = JAIL_RULES("ptrace", pt_jail_rule_list);

const struct jail_rules *ptrace_jail_rules(const struct platform *p) { return &pt_jail_rules; }
