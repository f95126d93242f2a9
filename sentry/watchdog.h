/*
 * watchdog.h — the sandbox's watchdog: ends what can no longer run when a
 * host process of the sandbox dies under it.
 */
#ifndef VISOR_SENTRY_WATCHDOG_H
#define VISOR_SENTRY_WATCHDOG_H

#include <stdbool.h>

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

/* The idle check the timer makes every MEMTRIM_IDLE_PERIOD_MS: when the app
 * made at most MEMTRIM_IDLE_EVENTS syscalls and page faults since the last
 * one, and the Sentry has not trimmed since it was last busy, give back
 * its free heap, its code's resident pages (lib/memtrim.h) and the Gofer
 * client's scratch buffers.  True when it trimmed. */
bool watchdog_idle_trim(struct kernel *k);

#endif
