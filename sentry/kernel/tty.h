/*
 * tty.h — controlling terminals: the link between a terminal and the
 * kernel's sessions.
 *
 * The kernel owns sessions, process groups and signals; a terminal (a pty
 * of fs/devpts.c, the console host fd of fs/hostfd.c) embeds a struct
 * tty_session, the kernel's object saying which session of which sandbox
 * the terminal controls and its foreground process group (as gVisor's
 * kernel.TTY).  The terminal reaches the kernel only through the ops in
 * that object (signals, process-group lookups, the job-control and
 * TIOCSCTTY rules), and the kernel reaches the terminal only through the
 * terminal's ops (a new open file for /dev/tty, references) and the VFS's
 * file_ops.tty (the session link of a terminal file), so neither
 * names the other and there are no writable globals.
 *
 * Locks: a session's k, sid, pgrp and hungup are protected by the
 * terminal's own lock (tty_session.lock).  The kernel's list of
 * controlling terminals (kernel.ttys, linked through tty_session.next) is
 * protected by k->tasks_lock, taken before any terminal lock.  The kernel
 * never calls a terminal op while holding tasks_lock (opening a file may
 * take vfs_tree_lock, which comes first); it pins the terminal (ops->get)
 * under the lock and opens after.
 */
#ifndef VISOR_SENTRY_KERNEL_TTY_H
#define VISOR_SENTRY_KERNEL_TTY_H

#include <pthread.h>
#include <stdbool.h>
#include "lib/lockdep.h"

struct file;
struct kernel;
struct task;
struct tty_session;

/* What a terminal offers the kernel. */
struct tty_ops {
	/* Pin the terminal (its tty_session stays valid) / unpin it. */
	void (*get)(struct tty_session *s);
	void (*put)(struct tty_session *s);
	/* A new open file (O_RDWR) of the terminal, for /dev/tty; NULL if it
	 * cannot be opened (hung up). */
	struct file *(*open)(struct tty_session *s);
};

/* What the kernel offers terminals (kernel.tty_kops; unit tests give
 * their own).  None is called with the terminal's lock held. */
struct tty_kernel_ops {
	/* Send sig (SI_KERNEL) to every process of group pgid of k. */
	void (*signal_pgrp)(struct kernel *k, int pgid, int sig);
	/* The session of process group pgid of k, or -ESRCH if there is none. */
	int (*pgrp_session)(struct kernel *k, int pgid);
	/* t, in a background group of its terminal's session, reads it (sig
	 * SIGTTIN) or changes it (SIGTTOU): as Linux's tty_check_change, 0 to
	 * go on, -EIO, or -ERESTARTSYS once t's group was sent sig. */
	int (*background)(struct task *t, int sig);
	/* TIOCSCTTY on terminal s (steal: the ioctl's argument), as Linux's
	 * tiocsctty. */
	int (*set_ctty)(struct task *t, struct tty_session *s, int steal);
	/* The terminal no longer controls a session (hung up, TIOCNOTTY):
	 * leave the kernel's list.  Called after clearing sid. */
	void (*detach)(struct tty_session *s);
	/* /dev/tty: a new open file of t's session's controlling terminal, or
	 * NULL (for devfs, which holds no terminal itself). */
	struct file *(*open_ctty)(struct task *t);
};

struct tty_session {
	const struct tty_ops *ops;          /* the terminal's */
	const struct tty_kernel_ops *kops;  /* the kernel's; NULL: no kernel manages it */
	struct vmutex *lock;                /* the terminal's lock, guarding what follows */
	struct kernel *k;                   /* the sandbox whose session it controls */
	int sid;                            /* that session; 0: none */
	int pgrp;                           /* its foreground process group */
	bool hungup;                        /* no session may take it any more */
	struct tty_session *next;           /* in k->ttys (under k->tasks_lock) */
	bool listed;                        /* in k->ttys (under k->tasks_lock) */
};

/* A terminal sets up its session link when it is made. */
static inline void tty_session_init(struct tty_session *s, const struct tty_ops *ops,
				    const struct tty_kernel_ops *kops, struct vmutex *lock)
{
	*s = (struct tty_session){.ops = ops, .kops = kops, .lock = lock};
}

/* The kernel's own ops (tty.c), set in every kernel by kernel_new. */
extern const struct tty_kernel_ops kernel_tty_ops;

/* The sandbox's console (the host pty the runtime gave as stdio, docker run
 * -t): file f, a terminal (file_ops.tty), becomes the controlling terminal
 * of session sid (the container's init), as runc sets it up. */
void kernel_set_console(struct kernel *k, struct file *f, int sid);

/* A signal the console's line discipline raised on the host (^C, ^\, ^Z
 * with ISIG on; SIGWINCH after a resize): to the guest console's
 * foreground process group, as Linux's tty layer sends it (SI_KERNEL).
 * From a host thread of the Sentry (console_keys.c), no task. */
void kernel_console_signal(struct kernel *k, int sig);

#endif
