/* Conformance: clone3(2): struct clone_args sizes and argument rules, a
 * fork-like clone3 with exit_signal, CLONE_CLEAR_SIGHAND, a thread on its
 * own stack, and pthreads (glibc uses clone3 when the kernel has it). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(long r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	}
	return "other";
}

struct args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
	uint64_t extra;
};

static long clone3(struct args *a, size_t size)
{
	errno = 0;
	return syscall(SYS_clone3, a, size);
}

static void try(const char *what, struct args *a, size_t size)
{
	long r = clone3(a, size);
	if (r == 0)
		_exit(0); /* a child that should not have been made */
	if (r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	printf("%s: %s\n", what, ename(r));
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *worker(void *arg)
{
	return (void *)((long)arg * 2);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct args a;
	memset(&a, 0, sizeof(a));
	a.exit_signal = SIGCHLD;
	try("size 63", &a, 63);
	try("size 4097", &a, 4097);
	a.extra = 1;
	try("unknown nonzero tail", &a, sizeof(a));
	a.extra = 0;
	try("NULL args", NULL, 64);
	a.exit_signal = 65;
	try("exit_signal 65", &a, 64);
	a.exit_signal = 0x100 | SIGCHLD;
	try("exit_signal past CSIGNAL", &a, 64);
	a.exit_signal = SIGCHLD;
	a.flags = SIGCHLD;
	try("signal in flags", &a, 64);
	a.flags = 1ULL << 40;
	try("unknown flag", &a, 64);
	a.flags = CLONE_SIGHAND | CLONE_VM | CLONE_CLEAR_SIGHAND;
	try("SIGHAND with CLEAR_SIGHAND", &a, 64);
	a.flags = CLONE_PARENT;
	try("PARENT with exit_signal", &a, 64);
	a.flags = 0;
	a.stack = 0x1000;
	try("stack without size", &a, 64);
	a.stack = 0;
	a.stack_size = 4096;
	try("size without stack", &a, 64);
	a.stack_size = 0;
	a.set_tid_size = 1;
	try("set_tid_size without set_tid", &a, 80);
	a.set_tid_size = 33;
	pid_t want = 4242;
	a.set_tid = (uint64_t)(uintptr_t)&want;
	try("set_tid_size 33", &a, 80);
	a.set_tid = 0;
	a.set_tid_size = 0;
	a.flags = CLONE_INTO_CGROUP;
	a.cgroup = 1;
	try("INTO_CGROUP with a non-cgroup fd", &a, 88);
	a.cgroup = 1ULL << 40;
	try("INTO_CGROUP fd too big", &a, 88);
	a.flags = 0;
	a.cgroup = 0;

	/* A fork through clone3, with SIGUSR1 as its exit signal. */
	a.exit_signal = SIGUSR1;
	a.flags = CLONE_PARENT_SETTID;
	pid_t ptid = 0;
	a.parent_tid = (uint64_t)(uintptr_t)&ptid;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	long r = clone3(&a, 64);
	if (r == 0)
		_exit(3);
	int sig = 0;
	sigwait(&set, &sig);
	int st;
	pid_t w = waitpid((pid_t)r, &st, __WALL);
	printf("clone3 fork: exit signal %s, parent_tid set %d, status %d, reaped %d\n",
	       sig == SIGUSR1 ? "SIGUSR1" : "?", ptid == r, WEXITSTATUS(st), w == r);

	/* CLONE_CLEAR_SIGHAND: handlers go, ignored signals stay ignored. */
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	memset(&a, 0, sizeof(a));
	a.exit_signal = SIGCHLD;
	a.flags = CLONE_CLEAR_SIGHAND;
	r = clone3(&a, 64);
	if (r == 0) {
		struct sigaction o1, o2;
		sigaction(SIGUSR1, NULL, &o1);
		sigaction(SIGUSR2, NULL, &o2);
		printf("child: SIGUSR1 %s, SIGUSR2 %s\n", o1.sa_handler == SIG_DFL ? "default" : "handled",
		       o2.sa_handler == SIG_IGN ? "ignored" : "not ignored");
		_exit(0);
	}
	waitpid((pid_t)r, NULL, 0);

	/* pthreads: glibc calls clone3 for each thread when it is there. */
	pthread_t th[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	long sum = 0;
	for (int i = 0; i < 4; i++) {
		void *rv;
		pthread_join(th[i], &rv);
		sum += (long)rv;
	}
	printf("threads joined, sum %ld\n", sum);
	return 0;
}
