/*
 * sys_events.c — event files and timers: timerfd_create, timerfd_settime,
 * timerfd_gettime, signalfd, signalfd4, pidfd_open, pidfd_send_signal,
 * pidfd_getfd.  Argument checks in Linux's order; the objects are in
 * sentry/kernel (timerfd.c, signalfd.c, pidfd.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

#include "sentry/fs/procfs.h"
#include "sentry/kernel/inotify.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/proc.h"
#include "sentry/kernel/ptimer.h"
#include "sentry/kernel/signalfd.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timerfd.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#define NSEC_PER_SEC 1000000000L

/* ---- timerfd ---- */

static int64_t sys_timerfd_create(struct task *t, const uint64_t a[6])
{
	int clk = (int)a[0], flags = (int)a[1];
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME &&
	    clk != CLOCK_REALTIME_ALARM && clk != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	if ((clk == CLOCK_REALTIME_ALARM || clk == CLOCK_BOOTTIME_ALARM) &&
	    !creds_capable(t->creds, CAP_WAKE_ALARM))
		return -EPERM;
	struct file *f;
	int r = timerfd_new(t->k, clk, flags, &f);
	return r < 0 ? r : install(t, f, flags & TFD_CLOEXEC);
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC_PER_SEC;
}

/* The timerfd of fd with a reference: -EBADF, or -EINVAL for another file. */
static int timerfd_get(struct task *t, int fd, struct file **out)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	if (!file_is_timerfd(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

static int64_t sys_timerfd_settime(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[1];
	struct itimerspec nv, ov;
	if (task_copy_in(t, &nv, a[2], sizeof(nv)))
		return -EFAULT;
	if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) || !ts_valid(&nv.it_value) ||
	    !ts_valid(&nv.it_interval))
		return -EINVAL;
	struct file *f;
	int r = timerfd_get(t, (int)a[0], &f);
	if (r)
		return r;
	r = timerfd_file_settime(f, flags, &nv, &ov);
	file_put(f);
	if (r)
		return r;
	if (a[3] && task_copy_out(t, a[3], &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

static int64_t sys_timerfd_gettime(struct task *t, const uint64_t a[6])
{
	struct file *f;
	int r = timerfd_get(t, (int)a[0], &f);
	if (r)
		return r;
	struct itimerspec cur;
	timerfd_file_gettime(f, &cur);
	file_put(f);
	return task_copy_out(t, a[1], &cur, sizeof(cur)) ? -EFAULT : 0;
}

/* ---- signalfd ---- */

static int64_t do_signalfd4(struct task *t, int fd, uint64_t umask, uint64_t sizemask, int flags)
{
	if (sizemask != sizeof(sigset64_t))
		return -EINVAL;
	sigset64_t mask;
	if (task_copy_in(t, &mask, umask, sizeof(mask)))
		return -EFAULT;
	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	if (fd == -1) {
		struct file *f;
		int r = signalfd_new(mask, flags, &f);
		return r < 0 ? r : install(t, f, flags & SFD_CLOEXEC);
	}
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	if (!file_is_signalfd(f)) {
		file_put(f);
		return -EINVAL;
	}
	signalfd_set_mask(f, mask);
	file_put(f);
	return fd;
}

static int64_t sys_signalfd4(struct task *t, const uint64_t a[6])
{
	return do_signalfd4(t, (int)a[0], a[1], a[2], (int)a[3]);
}

static int64_t sys_signalfd(struct task *t, const uint64_t a[6])
{
	return do_signalfd4(t, (int)a[0], a[1], a[2], 0);
}

/* ---- POSIX timers ---- */

static int64_t sys_timer_create(struct task *t, const uint64_t a[6])
{
	struct sigevent ev;
	if (a[1] && task_copy_in(t, &ev, a[1], sizeof(ev)))
		return -EFAULT;
	int id;
	int r = ptimer_create(t, (int)a[0], a[1] ? &ev : NULL, &id);
	if (r)
		return r;
	if (task_copy_out(t, a[2], &id, sizeof(id))) {
		ptimer_delete(t, id);
		return -EFAULT;
	}
	return 0;
}

static int64_t sys_timer_settime(struct task *t, const uint64_t a[6])
{
	struct itimerspec nv, ov;
	if (task_copy_in(t, &nv, a[2], sizeof(nv)))
		return -EFAULT;
	if (!ts_valid(&nv.it_value) || !ts_valid(&nv.it_interval))
		return -EINVAL;
	int r = ptimer_settime(t, (int)a[0], (int)a[1], &nv, &ov);
	if (r)
		return r;
	if (a[3] && task_copy_out(t, a[3], &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

static int64_t sys_timer_gettime(struct task *t, const uint64_t a[6])
{
	struct itimerspec cur;
	int r = ptimer_gettime(t, (int)a[0], &cur);
	if (r)
		return r;
	return task_copy_out(t, a[1], &cur, sizeof(cur)) ? -EFAULT : 0;
}

static int64_t sys_timer_getoverrun(struct task *t, const uint64_t a[6])
{
	return ptimer_getoverrun(t, (int)a[0]);
}

static int64_t sys_timer_delete(struct task *t, const uint64_t a[6])
{
	return ptimer_delete(t, (int)a[0]);
}

/* ---- inotify ---- */

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif
/* Linux's ALL_INOTIFY_BITS. */
#define ALL_INOTIFY_BITS                                                                           \
	(IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW |    \
	 IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT)

static int64_t sys_inotify_init1(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[0];
	struct file *f;
	int r = inotify_new(flags, &f);
	return r < 0 ? r : install(t, f, flags & IN_CLOEXEC);
}

static int64_t sys_inotify_init(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {0};
	return sys_inotify_init1(t, b);
}

static int64_t sys_inotify_add_watch(struct task *t, const uint64_t a[6])
{
	uint32_t mask = (uint32_t)a[2];
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	if (!(mask & ALL_INOTIFY_BITS))
		return -EINVAL;
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int r = -EINVAL;
	if (!file_is_inotify(f))
		goto out;
	char *path;
	r = path_in(t, a[1], &path);
	if (r < 0)
		goto out;
	struct vfs_path p = {0};
	r = vfs_walk(t, AT_FDCWD, path,
		     ((mask & IN_DONT_FOLLOW) ? 0 : VFS_LOOKUP_FOLLOW) |
			     ((mask & IN_ONLYDIR) ? VFS_LOOKUP_DIRECTORY : 0),
		     &p);
	free(path);
	if (r < 0)
		goto out;
	r = vfs_permission(vfs_task_creds(t), p.dentry->inode, VFS_MAY_READ);
	if (r == 0)
		r = (mask & IN_ALL_EVENTS) ? inotify_add(f, p.dentry->inode, mask) : -EINVAL;
	path_put(&p);
out:
	file_put(f);
	return r;
}

static int64_t sys_inotify_rm_watch(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int r = file_is_inotify(f) ? inotify_rm(f, (int)a[1]) : -EINVAL;
	file_put(f);
	return r;
}

/* ---- pidfd ---- */

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#define CAP_SYS_PTRACE_NR 19

static int64_t sys_pidfd_open(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	unsigned int flags = (unsigned int)a[1];
	if (flags & ~(unsigned int)PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	struct file *f;
	int r = pidfd_open_pid(t->k, pid, (int)flags, &f);
	/* As Linux: a pidfd is always close-on-exec. */
	return r < 0 ? r : install(t, f, true);
}

/* The process of pidfd fd, and the file (a reference), or -EBADF.  With
 * proc_dir, an fd of a /proc/<pid> directory names its process too (only
 * pidfd_send_signal takes one, as Linux's tgid_pidfd_to_pid). */
static int pidfd_get(struct task *t, int fd, bool proc_dir, struct file **fp,
		     struct thread_group **tgp)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	struct thread_group *tg = pidfd_tg(f);
	if (!tg && proc_dir)
		tg = procfs_pid_dir_tg(f);
	if (!tg) {
		file_put(f);
		return -EBADF;
	}
	*fp = f;
	*tgp = tg;
	return 0;
}

static int64_t sys_pidfd_send_signal(struct task *t, const uint64_t a[6])
{
	int sig = (int)a[1];
	if (a[3])
		return -EINVAL;
	struct file *f;
	struct thread_group *tg;
	int r = pidfd_get(t, (int)a[0], true, &f, &tg);
	if (r)
		return r;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	if (a[2]) {
		if (task_copy_in(t, &info, a[2], sizeof(info))) {
			r = -EFAULT;
			goto out;
		}
		if (info.si_signo != sig) {
			r = -EINVAL;
			goto out;
		}
		/* As Linux: arbitrary siginfo only to oneself. */
		bool self = tg == t->tg && t->tid == tg->tgid;
		if (!self && (info.si_code >= 0 || info.si_code == SI_TKILL)) {
			r = -EPERM;
			goto out;
		}
	} else {
		info.si_signo = sig;
		info.si_code = SI_USER;
		info.si_pid = t->tg->tgid;
		info.si_uid = t->creds->ruid;
	}
	r = sig < 0 || sig > VISOR_NSIG ? -EINVAL : pidfd_kill(t, tg, &info);
out:
	file_put(f);
	return r;
}

static int64_t sys_pidfd_getfd(struct task *t, const uint64_t a[6])
{
	int fd = (int)a[1];
	if (a[2])
		return -EINVAL;
	struct file *pf;
	struct thread_group *tg;
	int r = pidfd_get(t, (int)a[0], false, &pf, &tg);
	if (r)
		return r;
	int tgid = tg->tgid;
	bool reaped = __atomic_load_n(&tg->reaped, __ATOMIC_ACQUIRE);
	file_put(pf);
	if (reaped)
		return -ESRCH;
	struct proc_snapshot s;
	if (kernel_proc_snapshot(t->k, tgid, PROC_SNAP_FDT, &s) < 0)
		return -ESRCH;
	/* As ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS) without LSMs:
	 * the same process, the same user, or CAP_SYS_PTRACE. */
	if (s.tgid != t->tg->tgid && s.creds && !creds_ids_match(t->creds, s.creds) &&
	    !creds_capable(t->creds, CAP_SYS_PTRACE_NR)) {
		proc_snapshot_release(&s);
		return -EPERM;
	}
	struct file *f = s.fdt && fd >= 0 ? fdt_get_file(s.fdt, fd) : NULL;
	proc_snapshot_release(&s);
	if (!f)
		return -EBADF;
	return install(t, f, true);
}

const struct syscall_def sys_events_defs[] = {
	{SYS_timerfd_create, "timerfd_create", sys_timerfd_create},
	{SYS_timerfd_settime, "timerfd_settime", sys_timerfd_settime},
	{SYS_timerfd_gettime, "timerfd_gettime", sys_timerfd_gettime},
	{SYS_signalfd, "signalfd", sys_signalfd},
	{SYS_signalfd4, "signalfd4", sys_signalfd4},
	{SYS_timer_create, "timer_create", sys_timer_create},
	{SYS_timer_settime, "timer_settime", sys_timer_settime},
	{SYS_timer_gettime, "timer_gettime", sys_timer_gettime},
	{SYS_timer_getoverrun, "timer_getoverrun", sys_timer_getoverrun},
	{SYS_timer_delete, "timer_delete", sys_timer_delete},
	{SYS_inotify_init, "inotify_init", sys_inotify_init},
	{SYS_inotify_init1, "inotify_init1", sys_inotify_init1},
	{SYS_inotify_add_watch, "inotify_add_watch", sys_inotify_add_watch},
	{SYS_inotify_rm_watch, "inotify_rm_watch", sys_inotify_rm_watch},
	{SYS_pidfd_open, "pidfd_open", sys_pidfd_open},
	{SYS_pidfd_send_signal, "pidfd_send_signal", sys_pidfd_send_signal},
	{SYS_pidfd_getfd, "pidfd_getfd", sys_pidfd_getfd},
	{0},
};
