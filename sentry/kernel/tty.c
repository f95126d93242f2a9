/*
 * tty.c — the controlling terminal.  A sandbox has at most one terminal: the
 * host pty slave the runtime gave as the container's stdio (docker run -t).
 * As under runc, the container's init is a session leader whose controlling
 * terminal it is; TIOCSCTTY lets another session leader take it.
 */
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>

/* The console and the session it controls, under k->tasks_lock. */
static struct file *console;
static int console_sid;
static struct kernel *console_k;

static struct file *ctty_of(struct task *t)
{
	struct kernel *k = t->k;
	struct file *f = NULL;
	pthread_mutex_lock(&k->tasks_lock);
	if (console && console_k == k && t->tg->sid == console_sid) {
		f = console;
		file_get(f);
	}
	pthread_mutex_unlock(&k->tasks_lock);
	return f;
}

/* TIOCSCTTY: as Linux's tiocsctty, only a session leader without a
 * terminal may take one; taking it from another session needs steal and
 * CAP_SYS_ADMIN. */
static int set_ctty(struct task *t, struct file *f, int steal)
{
	struct kernel *k = t->k;
	int r = 0;
	pthread_mutex_lock(&k->tasks_lock);
	struct thread_group *tg = t->tg;
	if (f != console || console_k != k) {
		r = -EPERM; /* only the sandbox's console can be a controlling tty */
	} else if (tg->sid != tg->tgid) {
		r = -EPERM;
	} else if (console_sid == tg->sid) {
		r = 0;
	} else if (console_sid && !(steal == 1 && creds_capable(t->creds, 21 /* SYS_ADMIN */))) {
		/* Does the other session still exist? */
		bool alive = false;
		for (struct task *x = k->all_tasks; x; x = x->next_all)
			if (x->tg && !x->tg->zombie && x->tg->sid == console_sid)
				alive = true;
		if (alive)
			r = -EPERM;
	}
	if (r == 0) {
		console_sid = tg->sid;
		hostfd_set_foreground_pgrp(f, tg->pgid);
	}
	pthread_mutex_unlock(&k->tasks_lock);
	return r;
}

void kernel_set_console(struct kernel *k, struct file *f, int sid)
{
	pthread_mutex_lock(&k->tasks_lock);
	if (console)
		file_put(console);
	file_get(f);
	console = f;
	console_sid = sid;
	console_k = k;
	hostfd_set_foreground_pgrp(f, sid);
	pthread_mutex_unlock(&k->tasks_lock);
	devfs_set_console(f);
	vfs_ctty_hook = ctty_of;
	vfs_tty_sctty_hook = set_ctty;
}
