/* Conformance: bad app pointers give EFAULT (never a crash of the kernel). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)8)
#define KERNEL ((void *)0xffff800000000000ULL)

static void show(const char *what, long r)
{
	printf("%-14s %ld %s\n", what, r < 0 ? -1L : r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2];
	pipe(p);
	show("write", syscall(SYS_write, p[1], BAD, 10));
	show("write kernel", syscall(SYS_write, p[1], KERNEL, 10));
	write(p[1], "x", 1);
	show("read", syscall(SYS_read, p[0], BAD, 10));
	show("open", syscall(SYS_open, BAD, O_RDONLY));
	show("stat path", syscall(SYS_stat, BAD, BAD));
	show("stat buf", syscall(SYS_stat, "/", BAD));
	show("fstat", syscall(SYS_fstat, 0, KERNEL));
	show("clock_gettime", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD));
	show("uname", syscall(SYS_uname, BAD));
	show("pipe", syscall(SYS_pipe, BAD));
	show("getcwd", syscall(SYS_getcwd, BAD, 100));
	show("rt_sigaction", syscall(SYS_rt_sigaction, SIGUSR1, BAD, NULL, 8));
	show("rt_sigprocmask", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD, NULL, 8));
	show("nanosleep", syscall(SYS_nanosleep, BAD, NULL));
	show("execve", syscall(SYS_execve, BAD, NULL, NULL));
	show("execve argv", syscall(SYS_execve, "/bin/true", BAD, NULL));
	show("readv", syscall(SYS_readv, p[0], BAD, 1));
	show("getrandom", syscall(SYS_getrandom, BAD, 16, 0));
	show("sysinfo", syscall(SYS_sysinfo, BAD));
	show("mkdir", syscall(SYS_mkdir, KERNEL, 0755));
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	show("wait4 status", syscall(SYS_wait4, c, BAD, 0, NULL));
	show("wait4 again", syscall(SYS_wait4, c, NULL, 0, NULL));
	return 0;
}
