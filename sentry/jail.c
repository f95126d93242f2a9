/*
 * jail.c — the Sentry's jail: an empty root, no capabilities, and a seccomp
 * allow-list.  After this the Sentry can reach files only through the fds it
 * already holds (the memory file, the gofer socket, donated fds, stdio).
 *
 * The allow-list is what the Sentry itself uses: memory management, threads
 * and futexes, I/O on fds it holds, ptrace of its stubs, and the syscalls a
 * forked stub makes before it installs its own filter (it inherits this one).
 * open/openat/openat2 fail with EACCES and execve/execveat/socket are
 * absent (they kill): a compromised Sentry still cannot open a host path
 * or run a program.
 */
#include "sentry/jail.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pivot_empty(const char **what)
{
	*what = "make mounts private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* An empty tmpfs over /tmp of our own namespace becomes the root. */
	*what = "mount empty root";
	if (mount("visor-sentry", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=16k,mode=0755") < 0)
		return -errno;
	*what = "mkdir old root";
	if (mkdir("/tmp/old", 0700) < 0)
		return -errno;
	*what = "pivot_root";
	if (syscall(SYS_pivot_root, "/tmp", "/tmp/old") < 0)
		return -errno;
	*what = "chdir /";
	if (chdir("/") < 0)
		return -errno;
	*what = "detach old root";
	if (umount2("/old", MNT_DETACH) < 0)
		return -errno;
	*what = "rmdir old root";
	if (rmdir("/old") < 0)
		return -errno;
	*what = "remount root read-only";
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return -errno;
	return 0;
}

static int drop_caps(const char **what)
{
	*what = "drop bounding set";
	for (int c = 0; c <= 63; c++) {
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	*what = "clear ambient capabilities";
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	*what = "capset";
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	*what = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

static const int sentry_allowed[] = {
	/* I/O on fds the Sentry holds */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(preadv), SCMP_SYS(pwritev),
	SCMP_SYS(preadv2), SCMP_SYS(pwritev2), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(close_range), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(fstatfs), SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(ioctl),
	SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(getdents64), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(shutdown),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(eventfd2), SCMP_SYS(pipe2),
	/* the control server (control.c) accepts on the listening fd it was given */
	SCMP_SYS(accept4), SCMP_SYS(accept),
	SCMP_SYS(sendfile), SCMP_SYS(copy_file_range), SCMP_SYS(splice),
	/* memory */
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise),
	SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(memfd_create),
	/* threads, signals, time */
	SCMP_SYS(clone), SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(gettid),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(tgkill), SCMP_SYS(kill),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(restart_syscall),
	SCMP_SYS(prlimit64), SCMP_SYS(getrlimit), SCMP_SYS(sysinfo), SCMP_SYS(uname),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(madvise), SCMP_SYS(getrusage), SCMP_SYS(times),
	/* the platform: tracing stubs, and what a new stub does before its own
	 * filter is in place */
	SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(prctl),
	SCMP_SYS(seccomp), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
	SCMP_SYS(arch_prctl), SCMP_SYS(set_tid_address), SCMP_SYS(getcpu),
	SCMP_SYS(sched_setaffinity), SCMP_SYS(pause),
};

static int install_seccomp(const char **what)
{
	*what = "seccomp init";
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	int r = 0;
	*what = "seccomp rules";
	for (size_t i = 0; i < sizeof(sentry_allowed) / sizeof(sentry_allowed[0]) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sentry_allowed[i], 0);
	/* glibc's pthread_create tries clone3 first and falls back to clone
	 * on ENOSYS: answer so instead of killing. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* glibc itself opens files in a few lazy paths (the first heap trim
	 * reads /proc/sys/vm/overcommit_memory) and copes with failure: such
	 * an open is refused with EACCES rather than killing the sandbox. The
	 * host path is never reached either way. */
	static const int refused[] = {SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2)};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), refused[i], 0);
	if (r == 0) {
		*what = "seccomp load";
		r = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	return r;
}

int sentry_jail(const char **what)
{
	int r = pivot_empty(what);
	if (r == 0)
		r = drop_caps(what);
	if (r == 0)
		r = install_seccomp(what);
	return r;
}
