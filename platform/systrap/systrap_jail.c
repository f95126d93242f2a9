/*
 * systrap_jail.c — what the systrap platform needs the Sentry's seccomp jail
 * to allow (platform_ops.jail_rules; the jail is sentry/jail.c).
 *
 * Only Sentry threads run under the Sentry's filter here: the stubs are
 * forked by the template, which the platform forks before the Sentry jails
 * itself, so no stub ever carries the jail's filter (it would kill app
 * syscalls that must trap).  What stubs may do is their own filters'
 * business (systrap_stub.c).  No ptrace.
 *
 * Several of these are in the Sentry's own rules as well: they are listed
 * here anyway, so that this list alone says what the platform needs and stays
 * right when the Sentry's rules change.  A duplicate allow costs nothing in
 * the filter.
 */
#include "platform/systrap/systrap_internal.h"

#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static const struct jail_rule st_jail_rule_list[] = {
    /* the trap hand-off with app threads and the leader's request word */
    JAIL_ALLOW(SYS_futex),
    /* waiting for the leader's eventfd, reading it */
    JAIL_ALLOW(SYS_poll),
    JAIL_ALLOW(SYS_read),
    /* a new stub: its control memfd and eventfd, then the template's fork */
    JAIL_ALLOW(SYS_memfd_create),
    JAIL_ALLOW(SYS_ftruncate),
    JAIL_ALLOW_NO_EXEC(SYS_mmap), /* the control memfd, read-write */
    JAIL_ALLOW(SYS_munmap),
    JAIL_ALLOW(SYS_eventfd2),
    JAIL_ALLOW(SYS_close),
    JAIL_ALLOW(SYS_sendmsg),
    JAIL_ALLOW(SYS_recvfrom),
    /* interrupts (a signal to a stub thread), killing a stub; whether a
     * thread is the stub's (signal 0) */
    JAIL_ALLOW_TGKILL(ST_SIG_INTERRUPT),
    JAIL_ALLOW_TGKILL(ST_SIG_WAKE),
    JAIL_ALLOW_TGKILL(0),
    JAIL_ALLOW_KILL(SIGKILL),
    /* whether a stub died (WNOWAIT), and reaping it */
    JAIL_ALLOW(SYS_waitid),
    /* notification mode (systrap_notif.c): the socket a stub's leader sends
     * its threads' listeners on, the notifications and their answers */
    JAIL_ALLOW(SYS_socketpair),
    JAIL_ALLOW(SYS_recvmsg),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, SECCOMP_IOCTL_NOTIF_SET_FLAGS),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, SECCOMP_IOCTL_NOTIF_RECV),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, SECCOMP_IOCTL_NOTIF_SEND),
    /* hand-offs on one CPU (systrap_cpu.c) */
    JAIL_ALLOW(SYS_sched_setaffinity),
    JAIL_ALLOW(SYS_getcpu),
};

static const struct jail_rules st_jail_rules = JAIL_RULES("systrap", st_jail_rule_list);

const struct jail_rules *systrap_jail_rules(const struct platform *p) { return &st_jail_rules; }
