/*
 * jail.h — confining the Sentry before it runs app code.
 *
 * The seccomp allow-list is made of rule sets (struct jail_rules, declared in
 * platform.h so that platforms can write theirs without libseccomp): the
 * Sentry's own, its platform's, and those the sandbox's network mode adds.
 */
#ifndef VISOR_SENTRY_JAIL_H
#define VISOR_SENTRY_JAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"

/* What the Sentry itself needs from the host, whatever its platform and
 * network: I/O on the fds it holds, memory, threads, signals, time; open
 * fails with EACCES and clone3 with ENOSYS. */
extern const struct jail_rules jail_sentry_rules;

/* The most rule sets one filter is made of. */
#define JAIL_MAX_SETS 8

/*
 * The rule sets of the jail of a Sentry running on plat, in order:
 * jail_sentry_rules, the platform's (platform_ops.jail_rules), then those of
 * extra, NULL-terminated (NULL for none): what the sandbox's network mode
 * adds.  Fills sets[0..max) and returns how many, or -E2BIG.
 */
int jail_rule_sets(const struct platform *plat, const struct jail_rules *const extra[],
		   const struct jail_rules *sets[], size_t max);

/*
 * Load into the calling thread (and the threads and processes it creates
 * from now on) a seccomp filter that applies the rules of sets[0..n) and
 * kills the process on any other syscall, or on a syscall of another
 * architecture.  Sets no_new_privs.  Returns 0, or -errno with *what naming
 * the failed step (-EINVAL: a malformed rule, or rules that disagree).
 */
int jail_seccomp_load(const struct jail_rules *const sets[], size_t n, const char **what);

/*
 * Pivot into an empty read-only root (the Sentry must already be in its own
 * mount namespace), drop every capability, set no_new_privs and load the
 * filter of jail_rule_sets(plat, extra): no open/openat/execve, no sockets
 * unless extra adds them.  Returns 0 or -errno with *what naming the failed
 * step.
 */
/* Before any thread or platform: move into a user namespace of our own
 * (with a mount namespace), as root there and the unprivileged host id
 * sentry_userns_host_id(our host pid) outside.  0, or -errno with *what
 * naming the step that failed. */
int sentry_userns_enter(const char **what);
uint32_t sentry_userns_host_id(pid_t host_pid);

int sentry_jail(const struct platform *plat, const struct jail_rules *const extra[],
		const char **what);

#endif
