/*
 * jail.c — confining the Gofer process before it serves (privilege
 * separation, in the order main must apply it):
 *   0. gofer_jail_detach_mounts: every bind mount's fds move to a detached
 *      clone of its mount tree, so no held fd reaches a host mount by "..";
 *   1. gofer_jail_pivot: own mount namespace whose only file tree is the
 *      container root, so no host path is reachable by name;
 *   2. gofer_jail_drop_caps: only the capabilities needed to act as any file
 *      owner (chown, DAC override, fowner, fsetid), no_new_privs;
 *   3. gofer_jail_seccomp: only the syscalls the server loop makes.
 * Must never: keep CAP_SYS_ADMIN or CAP_MKNOD, allow socket()/execve/ptrace/
 * open_by_handle_at (which with CAP_DAC_READ_SEARCH names any inode on a file
 * system — the classic container escape).
 */
#include "gofer/server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
/* Older kernel headers lack fchmodat2 (Linux 6.6); the number is fixed. */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int gofer_jail_pivot(const char *root, bool readonly, const char **what)
{
	const char *dummy;
	if (!what)
		what = &dummy;
	if (unshare(CLONE_NEWNS) < 0) {
		*what = "unshare(CLONE_NEWNS)";
		return -errno;
	}
	/* Nothing we do below may propagate back to the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		*what = "making / private";
		return -errno;
	}
	/* pivot_root needs the new root to be a mount point: attach a bind
	 * mount of it on top of itself.  Done with open_tree + move_mount so
	 * that our cwd is inside the new mount even when root is "/" (after a
	 * plain `mount --bind / /`, chdir("/") still lands on the old mount).
	 * Non-recursive on purpose: host mounts below the root (say /proc in a
	 * host-root sandbox) must not come along. */
	int tree = open_tree(AT_FDCWD, root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0) {
		*what = "open_tree of the root";
		return -errno;
	}
	if (fchdir(tree) < 0 || move_mount(tree, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		int e = errno;
		close(tree);
		*what = "bind-mounting the root onto itself";
		return -e;
	}
	close(tree);
	/* pivot_root(".", "."): the old root ends up stacked on "/" and is then
	 * detached, without needing a directory for it inside the container. */
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		*what = "pivot_root";
		return -errno;
	}
	if (umount2(".", MNT_DETACH) < 0) {
		*what = "detaching the old root";
		return -errno;
	}
	if (chdir("/") < 0) {
		*what = "chdir /";
		return -errno;
	}
	/* Second line of defence behind the server's own checks: the root mount
	 * never serves device nodes or set-id, and is read-only when asked. */
	unsigned long fl = MS_REMOUNT | MS_BIND | MS_NODEV | MS_NOSUID | (readonly ? MS_RDONLY : 0);
	if (mount(NULL, "/", NULL, fl, NULL) < 0) {
		*what = "remounting the root nodev,nosuid";
		return -errno;
	}
	return 0;
}

/* A detached, private clone of the mount tree at fd (a directory), or
 * -errno. */
static int detached_clone(int fd, bool readonly)
{
	int c = open_tree(fd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
	if (c < 0)
		return -errno;
	/* Private: nothing the host mounts later under the source shows up
	 * in the clone. */
	struct mount_attr attr = {.propagation = MS_PRIVATE};
	if (readonly)
		attr.attr_set = MOUNT_ATTR_RDONLY;
	if (mount_setattr(c, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		int e = -errno;
		close(c);
		return e;
	}
	return c;
}

static int detach_mount(struct gofer_mount *m, const char **what)
{
	if (m->parent_fd < 0) {
		*what = "cloning a bind mount's source";
		int c = detached_clone(m->fd, m->readonly);
		if (c < 0)
			return c;
		close(m->fd);
		m->fd = c;
		return 0;
	}
	*what = "cloning a file mount's parent directory";
	int c = detached_clone(m->parent_fd, m->readonly);
	if (c < 0)
		return c;
	*what = "re-opening a file mount through its clone";
	int f = openat(c, m->leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat a, b;
	int e = f < 0 ? -errno : 0;
	if (e == 0 && (fstat(f, &a) < 0 || fstat(m->fd, &b) < 0))
		e = -errno;
	if (e == 0 && (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		e = -ESTALE; /* the name was swapped since the source was opened */
	if (e < 0) {
		if (f >= 0)
			close(f);
		close(c);
		return e;
	}
	close(m->fd);
	close(m->parent_fd);
	m->fd = f;
	m->parent_fd = c;
	return 0;
}

int gofer_jail_detach_mounts(struct gofer_mount *mounts, int n, const char **what)
{
	for (int i = 1; i < n; i++) {
		int r = detach_mount(&mounts[i], what);
		if (r < 0)
			return r;
	}
	return 0;
}

int gofer_jail_drop_caps(void)
{
	const uint64_t keep = (1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) |
			      (1ull << CAP_DAC_READ_SEARCH) | (1ull << CAP_FOWNER) |
			      (1ull << CAP_FSETID);
	/* Every capability number there can be, not the kernel's
	 * /proc/sys/kernel/cap_last_cap: this runs after the pivot, where
	 * /proc is the container image's (a FIFO there would hang us, a
	 * forged small number would keep capabilities).  The kernel answers
	 * EINVAL past its last one. */
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {{0}};
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* What gofer_serve and the C library under it call, nothing more. */
static const int gofer_allowed_syscalls[] = {
	/* the socket to the Sentry (existing one only: no socket/connect) */
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	/* file operations, all fd-relative */
	SCMP_SYS(openat2), SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fstatfs), SCMP_SYS(fchownat),
	SCMP_SYS(fchown), SCMP_SYS(fchmod),
	SCMP_SYS(fchmodat), SCMP_SYS(fchmodat2), SCMP_SYS(ftruncate), SCMP_SYS(utimensat),
	SCMP_SYS(fgetxattr), SCMP_SYS(fsetxattr), SCMP_SYS(flistxattr), SCMP_SYS(fremovexattr),
	SCMP_SYS(mkdirat), SCMP_SYS(mknodat), SCMP_SYS(symlinkat), SCMP_SYS(linkat),
	SCMP_SYS(unlinkat), SCMP_SYS(renameat2), SCMP_SYS(readlinkat), SCMP_SYS(getdents64),
	SCMP_SYS(lseek), SCMP_SYS(fcntl), SCMP_SYS(umask), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(syncfs),
	/* logging (lib/log.c stamps each line with the time and the pid) */
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(gettimeofday), SCMP_SYS(clock_gettime),
	SCMP_SYS(getpid),
	/* memory and process basics of the C library */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(mprotect), SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

int gofer_jail_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; r == 0 && i < sizeof(gofer_allowed_syscalls) / sizeof(int); i++) {
		/* A syscall this libseccomp does not know resolves to a negative
		 * pseudo number: skip it rather than fail (fchmodat2 is recent). */
		if (gofer_allowed_syscalls[i] < 0)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, gofer_allowed_syscalls[i], 0);
	}
	/* The CPU hint (server.c's follow_cpu) moves this thread only. */
	struct scmp_arg_cmp self = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0};
	if (r == 0)
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_setaffinity), 1,
					   &self);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}
