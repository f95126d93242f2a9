/*
 * devpts.h — pseudo-terminals: /dev/ptmx makes a pair, the slave shows as
 * /dev/pts/N (N >= 1) in the pts directory devfs registers.
 */
#ifndef VISOR_SENTRY_FS_DEVPTS_H
#define VISOR_SENTRY_FS_DEVPTS_H

#include <stdbool.h>

struct file;
struct inode;
struct kernel;
struct task;

/* What the ptys need from the kernel, which owns process groups and
 * signals; sentry/kernel/tty.c sets it (unit tests set their own). */
struct tty_kernel_ops {
	/* Send sig (SI_KERNEL) to every process of group pgid of k. */
	void (*signal_pgrp)(struct kernel *k, int pgid, int sig);
	/* The session of process group pgid of k, or -ESRCH if there is none. */
	int (*pgrp_session)(struct kernel *k, int pgid);
	/* t, in a background group of its terminal's session, reads it (sig
	 * SIGTTIN) or changes it (SIGTTOU): as Linux's tty_check_change, 0 to
	 * go on, -EIO, or -ERESTARTSYS once t's group was sent sig. */
	int (*background)(struct task *t, int sig);
};
extern const struct tty_kernel_ops *devpts_kernel_ops;
/* devfs: new slave nodes go into this tmpfs directory (a reference is kept). */
void devpts_set_dir(struct inode *dir);
/* Register the character devices 5,2 (/dev/ptmx: a new pair, its master
 * opened) and 136,N for N >= 1 (the slave of pty N: -EIO while locked by
 * TIOCSPTLCK or hung up, -ENXIO for no such pty). */
int devpts_register(void);
/* For the kernel's controlling-terminal rules (tty.c).  Is f a pty end? */
bool devpts_is_pty(struct file *f);
/* The session f's pty controls (0: none; *k its kernel), -ENOTTY if not a pty. */
int devpts_get_session(struct file *f, struct kernel **k);
/* f's pty becomes the terminal of session sid of k (0: of none) with
 * foreground group pgrp.  -EIO once hung up. */
int devpts_set_session(struct file *f, struct kernel *k, int sid, int pgrp);
bool devpts_session_has_tty(struct kernel *k, int sid);
/* A new slave file (O_RDWR) of the pty controlling session sid, or NULL. */
struct file *devpts_session_tty(struct kernel *k, int sid);


#endif
