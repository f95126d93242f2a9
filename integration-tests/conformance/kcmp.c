/* Conformance: kcmp(2) between threads and processes of the sandbox: what
 * is shared compares equal (0), what is not does not; its errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
	errno = 0;
	return syscall(SYS_kcmp, a, b, type, i1, i2);
}

static const char *res(long r)
{
	if (r == 0)
		return "same";
	if (r == 1 || r == 2)
		return "different";
	switch (errno) {
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ESRCH: return "ESRCH";
	case EPERM: return "EPERM";
	}
	return "other";
}

static pid_t thread_tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *thread_fn(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	thread_tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pause();
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t me = getpid();
	int fd = open("/dev/null", O_RDONLY);
	int dupfd = dup(fd);
	int other = open("/dev/null", O_RDONLY);
	printf("self VM: %s\n", res(kcmp(me, me, KCMP_VM, 0, 0)));
	printf("dup'ed fd: %s\n", res(kcmp(me, me, KCMP_FILE, fd, dupfd)));
	printf("two opens: %s\n", res(kcmp(me, me, KCMP_FILE, fd, other)));
	printf("closed fd: %s\n", res(kcmp(me, me, KCMP_FILE, fd, 999)));
	printf("unknown type: %s\n", res(kcmp(me, me, 99, 0, 0)));
	printf("no such pid: %s\n", res(kcmp(me, 999999, KCMP_VM, 0, 0)));

	pthread_t th;
	pthread_mutex_lock(&mu);
	pthread_create(&th, NULL, thread_fn, NULL);
	while (!thread_tid)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("thread VM: %s\n", res(kcmp(me, thread_tid, KCMP_VM, 0, 0)));
	printf("thread FILES: %s\n", res(kcmp(me, thread_tid, KCMP_FILES, 0, 0)));
	printf("thread FS: %s\n", res(kcmp(me, thread_tid, KCMP_FS, 0, 0)));
	printf("thread SIGHAND: %s\n", res(kcmp(me, thread_tid, KCMP_SIGHAND, 0, 0)));

	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		char ch;
		read(p[0], &ch, 1);
		_exit(0);
	}
	printf("child VM: %s\n", res(kcmp(me, c, KCMP_VM, 0, 0)));
	printf("child FILES: %s\n", res(kcmp(me, c, KCMP_FILES, 0, 0)));
	printf("child FS: %s\n", res(kcmp(me, c, KCMP_FS, 0, 0)));
	printf("child SIGHAND: %s\n", res(kcmp(me, c, KCMP_SIGHAND, 0, 0)));
	printf("inherited fd: %s\n", res(kcmp(me, c, KCMP_FILE, fd, fd)));
	write(p[1], "x", 1);
	waitpid(c, NULL, 0);

	c = fork();
	if (c == 0) {
		setresuid(65534, 65534, 65534);
		printf("unprivileged on root's process: %s\n", res(kcmp(me, me, KCMP_VM, 0, 0)));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return 0;
}
