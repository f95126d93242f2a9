/* Conformance: sched_setaffinity/sched_getaffinity (what taskset and nproc
 * use): a task's mask is what it set within the machine's CPUs, inherited by
 * threads and children, readable by others; the errors.  (Recorded, not
 * applied on the host under visor: sched_getcpu is not checked.) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int ncpu;

static void show(const char *what, pid_t pid)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	if (sched_getaffinity(pid, sizeof(s), &s) < 0) {
		printf("%s: %s\n", what, strerror(errno));
		return;
	}
	if (CPU_COUNT(&s) == ncpu) {
		printf("%s: all %d\n", what, ncpu);
		return;
	}
	printf("%s:", what);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &s))
			printf(" %d", i);
	printf("\n");
}

static int set_one(pid_t pid, int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(pid, sizeof(s), &s) < 0 ? -errno : 0;
}

static void *thread_fn(void *arg)
{
	show("thread", 0);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	cpu_set_t all;
	CPU_ZERO(&all);
	sched_getaffinity(0, sizeof(all), &all);
	ncpu = CPU_COUNT(&all);
	printf("online cpus == mask: %s\n", ncpu == sysconf(_SC_NPROCESSORS_ONLN) ? "yes" : "no");
	show("start", 0);
	printf("set {0}: %d\n", set_one(0, 0));
	show("after set", 0);
	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);
	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		show("child inherits", 0);
		if (ncpu > 1)
			printf("child set {1}: %d\n", set_one(0, 1));
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	if (read(pfd[0], &c, 1) != 1)
		return 1;
	show("parent reads child", child);
	show("parent keeps", 0);
	printf("set child {0}: %d\n", set_one(child, 0));
	show("parent reads child again", child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	cpu_set_t none;
	CPU_ZERO(&none);
	printf("empty mask: %s\n", sched_setaffinity(0, sizeof(none), &none) < 0 ? strerror(errno) : "ok");
	printf("only cpu 1000: %d\n", set_one(0, 1000));
	printf("dead pid: %d\n", set_one(999999, 0));
	unsigned char small[4] = {1};
	printf("get with 4 bytes: %s\n",
	       syscall(SYS_sched_getaffinity, 0, sizeof(small), small) < 0 ? strerror(errno) : "ok");
	printf("set with 4 bytes: %s\n",
	       syscall(SYS_sched_setaffinity, 0, sizeof(small), small) < 0 ? strerror(errno) : "ok");
	show("after 4-byte set", 0);
	long r = syscall(SYS_sched_getaffinity, 0, 128, &all);
	printf("get returns the mask size: %s\n", r == 8 || r == 128 ? "yes" : "no");
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	printf("set all: %s\n", sched_setaffinity(0, sizeof(all), &all) < 0 ? strerror(errno) : "ok");
	show("end", 0);
	return 0;
}
