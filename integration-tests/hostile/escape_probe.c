/*
 * escape_probe.c — escape attempts made from inside a sandbox by
 * integration-tests/test_escapes.sh; each prints what it tried and the errno
 * name it got (or "SUCCEEDED", which the test counts as an escape).
 *
 *   escape_probe mmap FILE     FILE opened read-only, then mapped shared and
 *                              writable, or made so by mprotect: EACCES;
 *                              a private writable mapping is allowed and
 *                              its writes never reach the file
 *   escape_probe ioctl         TIOCSTI and other terminal ioctls on the fds
 *                              the sandbox was given (host fds): never done
 *   escape_probe pid PID       ptrace(ATTACH|SEIZE), kill, process_vm_readv
 *                              and pidfd_open of a host pid: ESRCH
 *   escape_probe raw PATH      the app's own `syscall` instruction, with no
 *                              libc: getpid is the sandbox's, openat of a
 *                              host path is not found; the 32-bit int $0x80
 *                              ABI never runs a host call either
 *   escape_probe stub PATH     find the platform's stub code above the app's
 *                              top (0x7ffff0000000: read every page, a
 *                              SIGSEGV where nothing is) and jump to each of
 *                              its syscall instructions with mkdir(PATH)
 *                              in the registers: the stub's filter (systrap)
 *                              or PTRACE_SYSEMU (ptrace) hands it to the
 *                              Sentry, so the host PATH is never made
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	case ENOTTY: return "ENOTTY";
	case EIO: return "EIO";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENOSYS: return "ENOSYS";
	case EFAULT: return "EFAULT";
	default: return "other";
	}
}

static void report(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, ename(errno));
	else
		printf("%s: SUCCEEDED\n", what);
}

static int probe_mmap(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	report("mmap shared writable of a read-only fd", p == MAP_FAILED ? -1 : 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		report("mmap shared read-only", -1);
		return 1;
	}
	report("mprotect it writable", mprotect(p, 4096, PROT_READ | PROT_WRITE));
	char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (q == MAP_FAILED) {
		report("mmap private writable", -1);
		return 1;
	}
	memcpy(q, "PRIVATE", 7); /* copy-on-write: never the file */
	msync(q, 4096, MS_SYNC);
	munmap(q, 4096);
	printf("private writable mapping written\n");
	return 0;
}

static int probe_ioctl(void)
{
	static const struct {
		unsigned long cmd;
		const char *name;
	} cmds[] = {{TIOCSTI, "TIOCSTI"}, {TIOCSCTTY, "TIOCSCTTY"}, {TIOCCONS, "TIOCCONS"},
		    {TIOCSETD, "TIOCSETD"}, {TIOCLINUX, "TIOCLINUX"}};
	for (int fd = 0; fd <= 2; fd++) {
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			int arg = 0;
			char c = 'X', what[64];
			void *a = cmds[i].cmd == TIOCSTI ? (void *)&c : (void *)&arg;
			if (cmds[i].cmd == TIOCLINUX)
				c = 6; /* TIOCL_GETSHIFTSTATE-ish subcode */
			snprintf(what, sizeof(what), "ioctl(%d, %s)", fd, cmds[i].name);
			report(what, ioctl(fd, cmds[i].cmd, a));
		}
	}
	return 0;
}

static int probe_pid(pid_t pid)
{
	report("ptrace(PTRACE_ATTACH)", ptrace(PTRACE_ATTACH, pid, NULL, NULL));
	report("ptrace(PTRACE_SEIZE)", ptrace(PTRACE_SEIZE, pid, NULL, NULL));
	report("kill(pid, 0)", kill(pid, 0));
	report("kill(pid, SIGKILL)", kill(pid, SIGKILL));
	char buf[8];
	struct iovec l = {buf, sizeof(buf)}, r = {(void *)0x400000, sizeof(buf)};
	report("process_vm_readv", process_vm_readv(pid, &l, 1, &r, 1, 0));
	report("pidfd_open", syscall(SYS_pidfd_open, pid, 0));
	return 0;
}

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static int probe_raw(const char *host_path)
{
	long pid = raw_syscall3(SYS_getpid, 0, 0, 0);
	printf("raw getpid: %s\n", pid == getpid() ? "the sandbox's pid" : "ANOTHER PID");
	long fd = raw_syscall3(SYS_openat, AT_FDCWD, (long)host_path, O_RDONLY);
	printf("raw openat of the host path: %s\n", fd >= 0 ? "SUCCEEDED" : ename((int)-fd));
	fflush(stdout);
	/* int $0x80 (the i386 ABI: getpid is 20) in a child: it may be killed. */
	pid_t c = fork();
	if (c == 0) {
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		_exit(ret == getpid() || ret < 0 ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	printf("int $0x80 getpid: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 1 ? "ANOTHER PID"
				      : "no host answer");
	return 0;
}

#include <setjmp.h>

static sigjmp_buf probe_jb;

static void on_fault(int sig) { siglongjmp(probe_jb, 1); }

static int probe_stub(const char *path)
{
	const unsigned long lo = 0x7ffff0000000UL, hi = 0x7ffffffff000UL;
	struct sigaction sa = {.sa_handler = on_fault, .sa_flags = SA_NODEFER};
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	unsigned long sites[64];
	int nsites = 0, pages = 0;
	for (unsigned long a = lo; a < hi && nsites < 64; a += 4096) {
		volatile const unsigned char *pg = (const unsigned char *)a;
		if (sigsetjmp(probe_jb, 1))
			continue;
		(void)pg[0];
		pages++;
		for (int i = 0; i + 1 < 4096 && nsites < 64; i++)
			if (pg[i] == 0x0f && pg[i + 1] == 0x05)
				sites[nsites++] = a + (unsigned long)i;
	}
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	printf("stub pages readable from the app: %d\n", pages);
	int survived = 0;
	for (int i = 0; i < nsites; i++) {
		pid_t c = fork();
		if (c == 0) {
			alarm(1);
			unsigned long site = sites[i];
			__asm__ volatile("mov $83, %%eax\n\t" /* mkdir */
					 "jmp *%2"
					 :
					 : "D"(path), "S"(0755L), "r"(site)
					 : "rax", "memory");
			_exit(0);
		}
		int st;
		waitpid(c, &st, 0);
		survived += WIFEXITED(st);
	}
	printf("jumps into the stub's %d syscall instructions: %d returned, the rest died\n",
	       nsites, survived);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && !strcmp(argv[1], "mmap"))
		return probe_mmap(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "ioctl"))
		return probe_ioctl();
	if (argc == 3 && !strcmp(argv[1], "pid"))
		return probe_pid((pid_t)atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "raw"))
		return probe_raw(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "stub"))
		return probe_stub(argv[2]);
	fprintf(stderr, "usage: escape_probe mmap FILE | ioctl | pid PID | raw PATH | stub PATH\n");
	return 2;
}
