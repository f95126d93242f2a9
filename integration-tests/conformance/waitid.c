/* Conformance: waitid (and wait4) option combinations, what each returns at
 * once, the siginfo written (also on errors), and the errno of each misuse. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static long raw_waitid(int idtype, long id, siginfo_t *si, int options, struct rusage *ru)
{
	long r = syscall(SYS_waitid, idtype, id, si, options, ru);
	return r < 0 ? -errno : r;
}

/* What waitid wrote: the fields Linux fills, and whether it touched the
 * rest (Linux writes six fields, even on errors). */
static void show(const char *what, long r, const siginfo_t *si, pid_t child)
{
	const unsigned char *b = (const unsigned char *)si;
	int untouched = 1;
	for (size_t i = 32; i < sizeof(*si); i++)
		untouched &= b[i] == 0xa5;
	printf("%s: %ld signo %d errno %d code %d pid %s uid %d status %d, rest untouched %d\n",
	       what, r, si->si_signo, si->si_errno, si->si_code,
	       si->si_pid == 0 ? "0" : si->si_pid == child ? "child" : "other", (int)si->si_uid,
	       si->si_status, untouched);
}

static long wid(const char *what, int idtype, long id, int options, pid_t child)
{
	siginfo_t si;
	memset(&si, 0xa5, sizeof(si));
	long r = raw_waitid(idtype, id, &si, options, NULL);
	show(what, r, &si, child);
	return r;
}

static pid_t spawn_exit(int code)
{
	pid_t p = fork();
	if (p == 0)
		_exit(code);
	return p;
}

static pid_t spawn_pause(void)
{
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

/* Until child is a zombie (without reaping it). */
static void until_zombie(pid_t p)
{
	siginfo_t si;
	raw_waitid(P_PID, p, &si, WEXITED | WNOWAIT | __WALL, NULL);
}

static int clone_child(void *arg)
{
	return 5;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* No children. */
	wid("no children", P_ALL, 0, WEXITED, 0);
	wid("no children WNOHANG", P_ALL, 0, WEXITED | WNOHANG, 0);
	/* Misuse. */
	wid("options 0", P_ALL, 0, 0, 0);
	wid("WNOHANG alone", P_ALL, 0, WNOHANG, 0);
	wid("unknown option", P_ALL, 0, WEXITED | 0x100, 0);
	wid("idtype 7", 7, 0, WEXITED, 0);
	wid("P_PID 0", P_PID, 0, WEXITED, 0);
	wid("P_PID -1", P_PID, -1, WEXITED, 0);
	wid("P_PGID -1", P_PGID, -1, WEXITED, 0);
	wid("P_PIDFD bad fd", P_PIDFD, 99, WEXITED, 0);
	long r = raw_waitid(P_ALL, 0, (siginfo_t *)8, WEXITED, NULL);
	printf("bad infop, no children: %ld\n", r);

	/* A running child: WNOHANG returns 0 at once with si_pid 0. */
	pid_t c = spawn_pause();
	wid("running WNOHANG", P_ALL, 0, WEXITED | WNOHANG, c);
	wid("running WSTOPPED|WNOHANG", P_PID, c, WSTOPPED | WNOHANG, c);
	wid("other pid WNOHANG", P_PID, c + 100000, WEXITED | WNOHANG, c);
	wid("other pgid WNOHANG", P_PGID, 999999, WEXITED | WNOHANG, c);

	/* Stopped, continued, killed. */
	kill(c, SIGSTOP);
	wid("stopped WSTOPPED|WNOWAIT", P_PID, c, WSTOPPED | WNOWAIT, c);
	wid("stopped WSTOPPED", P_PID, c, WSTOPPED, c);
	wid("stopped again WSTOPPED|WNOHANG", P_PID, c, WSTOPPED | WNOHANG, c);
	kill(c, SIGCONT);
	wid("continued WCONTINUED|WNOWAIT", P_PID, c, WCONTINUED | WNOWAIT, c);
	wid("continued WCONTINUED", P_PID, c, WCONTINUED, c);
	wid("continued again WCONTINUED|WNOHANG", P_PID, c, WCONTINUED | WNOHANG, c);
	kill(c, SIGTERM);
	until_zombie(c);
	/* A zombie with only WSTOPPED/WCONTINUED asked: nothing to wait for. */
	wid("zombie WSTOPPED", P_PID, c, WSTOPPED, c);
	wid("zombie WSTOPPED|WCONTINUED|WNOHANG", P_ALL, 0, WSTOPPED | WCONTINUED | WNOHANG, c);
	wid("zombie WEXITED|WNOWAIT", P_PID, c, WEXITED | WNOWAIT, c);
	struct rusage ru;
	memset(&ru, 0xa5, sizeof(ru));
	siginfo_t si;
	r = raw_waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WCONTINUED, &ru);
	printf("zombie all: %ld code %d status %d rusage written %d\n", r, si.si_code,
	       si.si_status, ru.ru_utime.tv_usec != (long)0xa5a5a5a5a5a5a5a5);
	wid("reaped", P_PID, c, WEXITED | WNOHANG, c);

	/* si_uid is the child's. */
	c = fork();
	if (c == 0) {
		if (setuid(4321) < 0)
			_exit(9);
		_exit(3);
	}
	until_zombie(c);
	wid("uid", P_PID, c, WEXITED, c);

	/* Two exited children: the older one is reported first. */
	pid_t a = spawn_exit(1);
	until_zombie(a);
	pid_t b = spawn_exit(2);
	until_zombie(b);
	memset(&si, 0, sizeof(si));
	raw_waitid(P_ALL, 0, &si, WEXITED, NULL);
	printf("first of two: %s\n", si.si_pid == a ? "older" : "newer");
	raw_waitid(P_ALL, 0, &si, WEXITED, NULL);
	printf("second of two: %s\n", si.si_pid == b ? "newer" : "older");

	/* Process groups. */
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		_exit(4);
	}
	setpgid(c, c);
	until_zombie(c);
	wid("P_PGID 0 (ours), child elsewhere", P_PGID, 0, WEXITED | WNOHANG, c);
	wid("P_PGID child's", P_PGID, c, WEXITED, c);

	/* A child whose exit signal is not SIGCHLD is seen only with
	 * __WCLONE or __WALL. */
	static char stack[65536];
	c = clone(clone_child, stack + sizeof(stack), 0, NULL);
	until_zombie(c);
	int st;
	r = waitpid(-1, &st, WNOHANG);
	printf("clone child, plain waitpid: %ld %s\n", r, r < 0 ? strerror(errno) : "");
	wid("clone child, waitid", P_ALL, 0, WEXITED | WNOHANG, c);
	r = waitpid(c, &st, __WCLONE);
	printf("clone child, __WCLONE: %s exit %d\n", r == c ? "child" : "?", WEXITSTATUS(st));
	c = clone(clone_child, stack + sizeof(stack), 0, NULL);
	until_zombie(c);
	wid("clone child, __WALL", P_ALL, 0, WEXITED | __WALL, c);

	/* wait4 misuse. */
	r = wait4(-1, &st, 0x100, NULL);
	printf("wait4 bad option: %ld %s\n", r, strerror(errno));
	r = wait4(-1, &st, WNOHANG, NULL);
	printf("wait4 no children: %ld %s\n", r, strerror(errno));
	return 0;
}
