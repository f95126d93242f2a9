/*
 * watchdog.h — the sandbox's watchdog: ends what can no longer run when a
 * host process of the sandbox dies under it.
 */
#ifndef VISOR_SENTRY_WATCHDOG_H
#define VISOR_SENTRY_WATCHDOG_H

struct kernel;

/* Look every WATCHDOG_PERIOD_MS, on the timer service, for (1) processes
 * whose stub process died (killed from outside, by the host's OOM killer):
 * each is killed with SIGKILL, as if the kernel had killed it, so its
 * parent sees status 137 and a container whose init it was ends; (2) a
 * dead Gofer: every process is killed, since the container has no files
 * any more.  0 or -errno. */
#define WATCHDOG_PERIOD_MS 250
int watchdog_start(struct kernel *k);

/* One look, now (the timer calls it; tests may too).  Returns how many
 * processes it killed. */
int watchdog_check(struct kernel *k);

#endif
