/* Conformance: scheduling policies and priorities (sched_setscheduler,
 * sched_setparam, sched_setattr/getattr and their size rules,
 * sched_rr_get_interval, SCHED_RESET_ON_FORK), nice values, the /proc/PID/stat
 * fields that show them, and ioprio_set/get; run as root (CAP_SYS_NICE), and
 * as an unprivileged user in a child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
	uint8_t tail[8];
};

static const char *ename(long r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case E2BIG: return "E2BIG";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	static char b[32];
	snprintf(b, sizeof(b), "errno %d", errno);
	return b;
}

static long setsched(int pid, int policy, int prio)
{
	struct sched_param p = {.sched_priority = prio};
	errno = 0;
	return syscall(SYS_sched_setscheduler, pid, policy, &p);
}

static void show(const char *what)
{
	struct sched_param p = {0};
	long pol = syscall(SYS_sched_getscheduler, 0);
	syscall(SYS_sched_getparam, 0, &p);
	errno = 0;
	long pr = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	/* /proc/self/stat: priority (18), nice (19), rt_priority (40), policy (41). */
	char buf[1024] = "";
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *s = strrchr(buf, ')');
	long f[60] = {0};
	int i = 3;
	for (char *tok = strtok(s + 2, " "); tok && i < 60; tok = strtok(NULL, " "))
		f[i++] = strtol(tok, NULL, 10);
	printf("%s: policy %#lx prio %d getpriority %ld stat prio %ld nice %ld rt %ld policy %ld\n",
	       what, pol, p.sched_priority, pr, f[18], f[19], f[40], f[41]);
}

static void child_show(const char *what)
{
	pid_t c = fork();
	if (c == 0) {
		show(what);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void attrs(void)
{
	struct attr a;
	memset(&a, 0xff, sizeof(a));
	long r = syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0);
	printf("getattr 64: %s size %u policy %u flags %#lx nice %d prio %u tail %#x\n", ename(r),
	       a.size, a.policy, (unsigned long)a.flags, a.nice, a.prio, a.tail[0]);
	memset(&a, 0xff, sizeof(a));
	r = syscall(SYS_sched_getattr, 0, &a, 48, 0);
	printf("getattr 48: %s size %u util_min untouched %d\n", ename(r), a.size,
	       a.util_min == 0xffffffffu);
	r = syscall(SYS_sched_getattr, 0, &a, 47, 0);
	printf("getattr 47: %s\n", ename(r));
	r = syscall(SYS_sched_getattr, 0, &a, 5000, 0);
	printf("getattr 5000: %s\n", ename(r));
	r = syscall(SYS_sched_getattr, 0, &a, 56, 1);
	printf("getattr flags: %s\n", ename(r));
	r = syscall(SYS_sched_getattr, 0, NULL, 56, 0);
	printf("getattr NULL: %s\n", ename(r));

	memset(&a, 0, sizeof(a));
	a.size = 20;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr size 20: %s size now %u\n", ename(r), a.size);
	memset(&a, 0, sizeof(a));
	a.size = 64;
	a.tail[3] = 1;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr unknown tail: %s size now %u\n", ename(r), a.size);
	memset(&a, 0, sizeof(a));
	a.size = 64;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr zero tail: %s\n", ename(r));
	memset(&a, 0, sizeof(a));
	a.nice = 3;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr size 0 nice 3: %s\n", ename(r));
	show("nice 3");
	memset(&a, 0, sizeof(a));
	a.size = 48;
	a.nice = -50;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr nice -50: %s\n", ename(r));
	show("nice clamped");
	memset(&a, 0, sizeof(a));
	a.size = 48;
	a.policy = SCHED_RR;
	a.prio = 7;
	a.flags = 1; /* SCHED_FLAG_RESET_ON_FORK */
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr RR 7 reset-on-fork: %s\n", ename(r));
	show("RR 7");
	child_show("child of RR reset-on-fork");
	memset(&a, 0, sizeof(a));
	a.size = 48;
	a.flags = 0x08 | 0x01; /* KEEP_POLICY */
	a.prio = 9;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr keep policy prio 9: %s\n", ename(r));
	show("RR 9");
	memset(&a, 0, sizeof(a));
	a.size = 48;
	a.policy = SCHED_OTHER;
	a.flags = 0x1000;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr unknown flag: %s\n", ename(r));
	a.flags = 0;
	a.policy = 6; /* SCHED_DEADLINE, no parameters */
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr deadline without parameters: %s\n", ename(r));
	a.policy = 9;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr policy 9: %s\n", ename(r));
	a.policy = 0;
	r = syscall(SYS_sched_setattr, 0, &a, 1);
	printf("setattr flags arg: %s\n", ename(r));
	r = syscall(SYS_sched_setattr, -1, &a, 0);
	printf("setattr pid -1: %s\n", ename(r));
	a.policy = SCHED_OTHER;
	a.prio = 0;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("setattr back to OTHER: %s\n", ename(r));
}

static void unprivileged(void)
{
	if (setresuid(65534, 65534, 65534) != 0) {
		printf("setresuid failed\n");
		return;
	}
	show("unprivileged start");
	long r = setsched(0, SCHED_FIFO, 1);
	printf("unprivileged FIFO: %s\n", ename(r));
	errno = 0;
	r = syscall(SYS_setpriority, PRIO_PROCESS, 0, 10);
	printf("unprivileged nice up to 10: %s\n", ename(r));
	errno = 0;
	r = syscall(SYS_setpriority, PRIO_PROCESS, 0, 5);
	printf("unprivileged nice down to 5: %s\n", ename(r));
	struct attr a;
	memset(&a, 0, sizeof(a));
	a.size = 48;
	a.nice = 4;
	r = syscall(SYS_sched_setattr, 0, &a, 0);
	printf("unprivileged setattr nice 4: %s\n", ename(r));
	r = setsched(0, SCHED_IDLE, 0);
	printf("unprivileged IDLE: %s\n", ename(r));
	r = setsched(0, SCHED_OTHER, 0);
	printf("unprivileged IDLE back to OTHER: %s\n", ename(r));
	r = setsched(1, SCHED_OTHER, 0);
	printf("unprivileged on pid 1: %s\n", ename(r));
	errno = 0;
	r = syscall(SYS_ioprio_set, 1, 0, (1 << 13) | 2);
	printf("unprivileged ioprio RT: %s\n", ename(r));
	show("unprivileged end");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	show("start");
	struct timespec ts;
	long r = setsched(0, SCHED_FIFO, 10);
	printf("FIFO 10: %s\n", ename(r));
	show("FIFO 10");
	r = syscall(SYS_sched_rr_get_interval, 0, &ts);
	printf("FIFO interval: %s %ld.%09ld\n", ename(r), (long)ts.tv_sec, ts.tv_nsec);
	struct sched_param p = {.sched_priority = 20};
	r = syscall(SYS_sched_setparam, 0, &p);
	printf("setparam 20: %s\n", ename(r));
	show("FIFO 20");
	child_show("child of FIFO");
	r = setsched(0, SCHED_RR, 5);
	r = syscall(SYS_sched_rr_get_interval, 0, &ts);
	printf("RR interval: %s %ld.%09ld\n", ename(r), (long)ts.tv_sec, ts.tv_nsec);
	printf("FIFO 0: %s\n", ename(setsched(0, SCHED_FIFO, 0)));
	printf("FIFO 100: %s\n", ename(setsched(0, SCHED_FIFO, 100)));
	printf("OTHER 5: %s\n", ename(setsched(0, SCHED_OTHER, 5)));
	printf("policy 7: %s\n", ename(setsched(0, 7, 0)));
	printf("policy -1: %s\n", ename(setsched(0, -1, 0)));
	printf("deadline: %s\n", ename(setsched(0, 6, 0)));
	printf("pid -1: %s\n", ename(setsched(-1, SCHED_OTHER, 0)));
	printf("no such pid: %s\n", ename(setsched(999999, SCHED_OTHER, 0)));
	errno = 0;
	r = syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL);
	printf("NULL param: %s\n", ename(r));
	r = syscall(SYS_sched_getscheduler, -1);
	printf("getscheduler -1: %s\n", ename(r));
	r = syscall(SYS_sched_getparam, 0, NULL);
	printf("getparam NULL: %s\n", ename(r));
	r = syscall(SYS_sched_rr_get_interval, -1, &ts);
	printf("rr_get_interval -1: %s\n", ename(r));
	printf("OTHER reset-on-fork: %s\n", ename(setsched(0, SCHED_OTHER | SCHED_RESET_ON_FORK, 0)));
	show("OTHER reset-on-fork");
	r = syscall(SYS_setpriority, PRIO_PROCESS, 0, -5);
	printf("nice -5: %s\n", ename(r));
	show("nice -5");
	child_show("child of nice -5 reset-on-fork");
	printf("OTHER: %s\n", ename(setsched(0, SCHED_OTHER, 0)));
	child_show("child of nice -5");
	r = syscall(SYS_setpriority, PRIO_PROCESS, 0, 0);
	printf("BATCH: %s\n", ename(setsched(0, SCHED_BATCH, 0)));
	show("BATCH");
	printf("IDLE: %s\n", ename(setsched(0, SCHED_IDLE, 0)));
	show("IDLE");
	printf("OTHER again: %s\n", ename(setsched(0, SCHED_OTHER, 0)));
	attrs();

	/* I/O priorities of the process itself. */
	r = syscall(SYS_ioprio_get, 1, 0);
	printf("ioprio initially: %#lx\n", r);
	r = syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 3);
	printf("ioprio BE 3: %s now %#lx\n", ename(r), syscall(SYS_ioprio_get, 1, 0));
	r = syscall(SYS_ioprio_set, 1, 0, (1 << 13) | 0);
	printf("ioprio RT 0: %s now %#lx\n", ename(r), syscall(SYS_ioprio_get, 1, 0));
	r = syscall(SYS_ioprio_set, 1, 0, (3 << 13) | 5);
	printf("ioprio IDLE 5: %s now %#lx\n", ename(r), syscall(SYS_ioprio_get, 1, 0));
	child_show("child after ioprio");
	pid_t c = fork();
	if (c == 0) {
		printf("child's ioprio: %#lx\n", syscall(SYS_ioprio_get, 1, 0));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	errno = 0;
	r = syscall(SYS_ioprio_set, 1, 0, 0);
	printf("ioprio NONE: %s now %#lx\n", ename(r), syscall(SYS_ioprio_get, 1, 0));
	errno = 0;
	r = syscall(SYS_ioprio_set, 1, 0, 1);
	printf("ioprio NONE 1: %s\n", ename(r));
	errno = 0;
	r = syscall(SYS_ioprio_set, 1, 0, 4 << 13);
	printf("ioprio class 4: %s\n", ename(r));
	errno = 0;
	r = syscall(SYS_ioprio_set, 9, 0, 2 << 13);
	printf("ioprio which 9: %s\n", ename(r));
	errno = 0;
	r = syscall(SYS_ioprio_get, 9, 0);
	printf("ioprio_get which 9: %s\n", ename(r));
	errno = 0;
	r = syscall(SYS_ioprio_get, 1, 999999);
	printf("ioprio_get no such pid: %s\n", ename(r));

	c = fork();
	if (c == 0) {
		unprivileged();
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return 0;
}
