/*
 * sys_process.c — process and thread syscalls: ids, fork/vfork/clone,
 * execve, exit, wait, kill, process groups and sessions, arch_prctl.
 * Argument checking and translation only; the work is in sentry/kernel.
 */
#include "sentry/kernel/exec.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/signal.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int64_t sys_getpid(struct task *t, const uint64_t a[6])
{
	return t->tg->tgid;
}

static int64_t sys_gettid(struct task *t, const uint64_t a[6])
{
	return t->tid;
}

static int64_t sys_getppid(struct task *t, const uint64_t a[6])
{
	return tg_ppid(t->tg);
}

static int64_t sys_fork(struct task *t, const uint64_t a[6])
{
	return task_clone(t, SIGCHLD, 0, 0, 0, 0);
}

static int64_t sys_vfork(struct task *t, const uint64_t a[6])
{
	return task_clone(t, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

static int64_t sys_clone(struct task *t, const uint64_t a[6])
{
	/* x86_64 order: flags, stack, parent_tid, child_tid, tls */
	return task_clone(t, a[0], a[1], a[2], a[3], a[4]);
}

static int64_t sys_execve(struct task *t, const uint64_t a[6])
{
	char path[PATH_MAX];
	ssize_t n = task_copy_string_in(t, path, a[0], sizeof(path));
	if (n < 0)
		return n;
	return task_execve(t, AT_FDCWD, path, a[1], a[2], 0);
}

static int64_t sys_execveat(struct task *t, const uint64_t a[6])
{
	char path[PATH_MAX];
	int flags = (int)a[4];
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	ssize_t n = task_copy_string_in(t, path, a[1], sizeof(path));
	if (n < 0)
		return n;
	if (n == 0 && !(flags & AT_EMPTY_PATH))
		return -ENOENT;
	return task_execve(t, (int)a[0], path, a[2], a[3], flags);
}

static int64_t sys_exit(struct task *t, const uint64_t a[6])
{
	task_exit(t, ((int)a[0] & 0xff) << 8);
}

static int64_t sys_exit_group(struct task *t, const uint64_t a[6])
{
	signal_group_exit(t->tg, ((int)a[0] & 0xff) << 8);
	task_deliver_signals(t); /* does not return: the group is exiting */
	return 0;
}

static int64_t sys_wait4(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	int options = (int)a[2];
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	int idtype, id;
	if (pid == -1) {
		idtype = P_ALL;
		id = 0;
	} else if (pid < -1) {
		if (pid == INT_MIN)
			return -ESRCH;
		idtype = P_PGID;
		id = -pid;
	} else if (pid == 0) {
		idtype = P_PGID;
		id = 0;
	} else {
		idtype = P_PID;
		id = pid;
	}
	int status = 0;
	struct rusage ru;
	int64_t r = task_wait(t, idtype, id,
			      (options & (WNOHANG | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) |
				      WEXITED | ((options & WUNTRACED) ? WSTOPPED : 0),
			      &status, NULL, a[3] ? &ru : NULL);
	if (r > 0) {
		if (a[1] && task_copy_out(t, a[1], &status, sizeof(status)) < 0)
			return -EFAULT;
		if (a[3] && task_copy_out(t, a[3], &ru, sizeof(ru)) < 0)
			return -EFAULT;
	}
	return r;
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* waitid(idtype, id, infop, options, rusage), as Linux's kernel_waitid and
 * its syscall: the checks in Linux's order, then the wait; infop gets the
 * six fields Linux writes (signo, errno, code, pid, uid, status) whatever
 * the result, zeroes when nothing was collected; rusage only on success. */
static int64_t sys_waitid(struct task *t, const uint64_t a[6])
{
	int idtype = (int)a[0];
	int id = (int)a[1];
	int options = (int)a[3];
	int64_t r;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	struct rusage ru;
	if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD |
			__WCLONE | __WALL)) {
		r = -EINVAL;
	} else if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) {
		r = -EINVAL;
	} else if (idtype == P_PIDFD) {
		/* As Linux: the pidfd's process as P_PID; a O_NONBLOCK pidfd
		 * makes the wait WNOHANG, and nothing to collect EAGAIN. */
		struct file *f = id >= 0 ? fdt_get_file(t->fdt, id) : NULL;
		struct thread_group *tg = f ? pidfd_tg(f) : NULL;
		if (id < 0) {
			r = -EINVAL;
		} else if (!tg) {
			r = -EBADF;
		} else {
			bool nb = file_get_flags(f) & O_NONBLOCK;
			r = task_wait(t, P_PID, tg->tgid, options | (nb ? WNOHANG : 0), NULL, &info,
				      a[4] ? &ru : NULL);
			if (r == 0) {
				memset(&info, 0, sizeof(info));
				if (nb && !(options & WNOHANG))
					r = -EAGAIN;
			}
		}
		if (f)
			file_put(f);
	} else if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID) {
		r = -EINVAL;
	} else if ((idtype == P_PID && id <= 0) || (idtype == P_PGID && id < 0)) {
		r = -EINVAL;
	} else {
		r = task_wait(t, idtype, id, options, NULL, &info, a[4] ? &ru : NULL);
		if (r == 0)
			memset(&info, 0, sizeof(info));
	}
	if (r > 0 && a[4] && task_copy_out(t, a[4], &ru, sizeof(ru)) < 0)
		return -EFAULT;
	if (a[2]) {
		int32_t head[3] = {r > 0 ? SIGCHLD : 0, 0, info.si_code};
		int32_t tail[3] = {info.si_pid, (int32_t)info.si_uid, info.si_status};
		if (task_copy_out(t, a[2], head, sizeof(head)) < 0 ||
		    task_copy_out(t, a[2] + 16, tail, sizeof(tail)) < 0)
			return -EFAULT;
	}
	return r > 0 ? 0 : r;
}

static void kill_info(struct task *t, int sig, siginfo_t *info)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = SI_USER;
	info->si_pid = t->tg->tgid;
	info->si_uid = t->creds->ruid;
}

static int64_t sys_kill(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	int sig = (int)a[1];
	if (sig < 0 || sig > VISOR_NSIG)
		return -EINVAL;
	siginfo_t info;
	kill_info(t, sig, &info);
	return task_kill(t, pid, &info);
}

static int64_t do_tkill(struct task *t, int tgid, int tid, int sig)
{
	if (tid <= 0 || sig < 0 || sig > VISOR_NSIG)
		return -EINVAL;
	siginfo_t info;
	kill_info(t, sig, &info);
	info.si_code = SI_TKILL;
	return task_tkill(t, tgid, tid, &info);
}

static int64_t sys_tkill(struct task *t, const uint64_t a[6])
{
	return do_tkill(t, -1, (int)a[0], (int)a[1]);
}

static int64_t sys_tgkill(struct task *t, const uint64_t a[6])
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return do_tkill(t, (int)a[0], (int)a[1], (int)a[2]);
}

static int64_t sys_set_tid_address(struct task *t, const uint64_t a[6])
{
	t->clear_child_tid = a[0];
	return t->tid;
}

static int64_t sys_arch_prctl(struct task *t, const uint64_t a[6])
{
	switch ((int)a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= PLAT_APP_TOP)
			return -EPERM;
		t->regs.fs_base = a[1];
		return 0;
	case ARCH_SET_GS:
		if (a[1] >= PLAT_APP_TOP)
			return -EPERM;
		t->regs.gs_base = a[1];
		return 0;
	case ARCH_GET_FS:
		return task_copy_out(t, a[1], &t->regs.fs_base, 8);
	case ARCH_GET_GS:
		return task_copy_out(t, a[1], &t->regs.gs_base, 8);
	default:
		/* CET, CPUID faulting, AMX permissions: not supported. */
		return -EINVAL;
	}
}

static int64_t sys_getpgid(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	if (pid == 0)
		return t->tg->pgid;
	struct thread_group *tg = kernel_get_tg(t->k, pid);
	if (!tg)
		return -ESRCH;
	int r = tg->pgid;
	tg_put(tg);
	return r;
}

static int64_t sys_getpgrp(struct task *t, const uint64_t a[6])
{
	return t->tg->pgid;
}

static int64_t sys_getsid(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	if (pid == 0)
		return t->tg->sid;
	struct thread_group *tg = kernel_get_tg(t->k, pid);
	if (!tg)
		return -ESRCH;
	int r = tg->sid;
	tg_put(tg);
	return r;
}

static int64_t sys_setsid(struct task *t, const uint64_t a[6])
{
	return tg_setsid(t->tg);
}

static int64_t sys_setpgid(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0], pgid = (int)a[1];
	if (pgid < 0)
		return -EINVAL;
	if (pid == 0)
		pid = t->tg->tgid;
	if (pgid == 0)
		pgid = pid;
	return task_setpgid(t, pid, pgid);
}

const struct syscall_def sys_process_defs[] = {
	{SYS_getpid, "getpid", sys_getpid},
	{SYS_gettid, "gettid", sys_gettid},
	{SYS_getppid, "getppid", sys_getppid},
	{SYS_fork, "fork", sys_fork},
	{SYS_vfork, "vfork", sys_vfork},
	{SYS_clone, "clone", sys_clone},
	{SYS_execve, "execve", sys_execve},
	{SYS_execveat, "execveat", sys_execveat},
	{SYS_exit, "exit", sys_exit},
	{SYS_exit_group, "exit_group", sys_exit_group},
	{SYS_wait4, "wait4", sys_wait4},
	{SYS_waitid, "waitid", sys_waitid},
	{SYS_kill, "kill", sys_kill},
	{SYS_tkill, "tkill", sys_tkill},
	{SYS_tgkill, "tgkill", sys_tgkill},
	{SYS_set_tid_address, "set_tid_address", sys_set_tid_address},
	{SYS_arch_prctl, "arch_prctl", sys_arch_prctl},
	{SYS_getpgid, "getpgid", sys_getpgid},
	{SYS_getpgrp, "getpgrp", sys_getpgrp},
	{SYS_getsid, "getsid", sys_getsid},
	{SYS_setsid, "setsid", sys_setsid},
	{SYS_setpgid, "setpgid", sys_setpgid},
	{0},
};
