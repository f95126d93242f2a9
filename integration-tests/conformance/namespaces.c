/* Conformance: unshare(2) of a UTS namespace (sethostname seen only inside,
 * inherited by children, /proc/sys/kernel/hostname follows), of the fs
 * context and of the fd table of a thread, unshare's flag rules, and setns
 * on files that are not namespaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	}
	return "other";
}

static void proc_hostname(char *out, size_t n)
{
	out[0] = 0;
	int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
	ssize_t r = fd >= 0 ? read(fd, out, n - 1) : -1;
	out[r > 0 ? r : 0] = 0;
	if (r > 0 && out[r - 1] == '\n')
		out[r - 1] = 0;
	if (fd >= 0)
		close(fd);
}

static int fd_probe = -1;
static char *cwd_before;

static void *fs_thread(void *arg)
{
	(void)arg;
	printf("thread unshare(CLONE_FS): %s\n", ename(unshare(CLONE_FS)));
	chdir("/");
	printf("thread unshare(CLONE_FILES): %s\n", ename(unshare(CLONE_FILES)));
	close(fd_probe);
	printf("thread closed its copy: %d\n", fcntl(fd_probe, F_GETFD) < 0);
	return NULL;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct utsname u0, u;
	uname(&u0);
	printf("unshare(0): %s\n", ename(unshare(0)));
	printf("unknown flag: %s\n", ename(unshare(1)));

	pid_t c = fork();
	if (c == 0) {
		printf("unshare(CLONE_NEWUTS): %s\n", ename(unshare(CLONE_NEWUTS)));
		uname(&u);
		printf("names copied: %d\n", strcmp(u.nodename, u0.nodename) == 0);
		printf("sethostname: %s\n", ename(sethostname("inner-host", 10)));
		uname(&u);
		char ph[80];
		proc_hostname(ph, sizeof(ph));
		printf("inside: %s, /proc says %s\n", u.nodename, ph);
		pid_t g = fork();
		if (g == 0) {
			uname(&u);
			printf("grandchild: %s\n", u.nodename);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	uname(&u);
	char ph[80];
	proc_hostname(ph, sizeof(ph));
	printf("outside unchanged: %d, /proc unchanged: %d\n", strcmp(u.nodename, u0.nodename) == 0,
	       strcmp(ph, u0.nodename) == 0);

	/* clone(CLONE_NEWUTS): the child starts in a namespace of its own. */
	c = (pid_t)syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		printf("clone(CLONE_NEWUTS) child, sethostname: %s\n",
		       ename(sethostname("cloned-host", 11)));
		uname(&u);
		printf("clone child sees: %s\n", u.nodename);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	uname(&u);
	printf("outside unchanged after the clone: %d\n", strcmp(u.nodename, u0.nodename) == 0);

	c = fork();
	if (c == 0) {
		setresuid(65534, 65534, 65534);
		errno = 0;
		printf("unprivileged clone(CLONE_NEWUTS): %s\n",
		       ename((int)syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0)));
		printf("unprivileged unshare(CLONE_NEWUTS): %s\n", ename(unshare(CLONE_NEWUTS)));
		printf("unprivileged unshare(CLONE_FS): %s\n", ename(unshare(CLONE_FS)));
		_exit(0);
	}
	waitpid(c, NULL, 0);

	/* A thread stops sharing cwd and fds with the process. */
	if (argc > 1)
		chdir(argv[1]);
	cwd_before = getcwd(NULL, 0);
	fd_probe = open("/dev/null", O_RDONLY);
	pthread_t th;
	pthread_create(&th, NULL, fs_thread, NULL);
	pthread_join(th, NULL);
	char *cwd = getcwd(NULL, 0);
	printf("main's cwd unchanged: %d\n", strcmp(cwd, cwd_before) == 0);
	printf("main's fd still open: %d\n", fcntl(fd_probe, F_GETFD) >= 0);

	/* pthread_join returns when the thread's tid is cleared, before Linux
	 * has taken it out of the group and dropped its mm: retry a while. */
	int ut = -1, uv = -1;
	for (int i = 0; i < 200 && (ut || uv); i++) {
		ut = unshare(CLONE_THREAD) ? errno : 0;
		uv = unshare(CLONE_VM) ? errno : 0;
		if (ut || uv)
			usleep(5000);
	}
	errno = ut;
	printf("unshare(CLONE_THREAD) alone: %s\n", ename(ut ? -1 : 0));
	errno = uv;
	printf("unshare(CLONE_VM) alone: %s\n", ename(uv ? -1 : 0));
	pthread_create(&th, NULL, idle_thread, NULL);
	printf("unshare(CLONE_THREAD) with a thread: %s\n", ename(unshare(CLONE_THREAD)));
	printf("unshare(CLONE_SIGHAND) with a thread: %s\n", ename(unshare(CLONE_SIGHAND)));

	errno = 0;
	printf("setns bad fd: %s\n", ename(setns(999, 0)));
	int fd = open("/", O_RDONLY);
	printf("setns on a directory: %s\n", ename(setns(fd, 0)));
	printf("setns on a directory as UTS: %s\n", ename(setns(fd, CLONE_NEWUTS)));
	return 0;
}
