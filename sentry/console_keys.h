/*
 * console_keys.h — ^C, ^\, ^Z and window resizes at the console as guest
 * signals; see console_keys.c.
 */
#ifndef VISOR_SENTRY_CONSOLE_KEYS_H
#define VISOR_SENTRY_CONSOLE_KEYS_H

#include "sentry/kernel/kernel.h"

/* Before the jail: start the helper that owns the host pty tty as its
 * controlling terminal and the thread that passes its signals to k's
 * console.  Returns the helper's host pid or -errno (-EBUSY: tty already
 * controls a session, as the user's terminal under visor do). */
int console_keys_start(struct kernel *k, int tty);

#endif
