/* Conformance: /proc/PID's State (R for the reader itself, S for a task
 * asleep) and pidfd_send_signal through an fd of a /proc/PID directory (what
 * psmisc's killall does): it signals that process, ESRCH once it is reaped,
 * EBADF for any other file, /proc/PID/task/TID included. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char state_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static const char *res(long r)
{
	return r == 0 ? "ok" : strerror(errno);
}

static long send(int fd, int sig)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6))
			printf("self %s", line);
	if (f)
		fclose(f);
	printf("self stat: %c\n", state_of(getpid()));
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	char st = '?';
	for (int i = 0; i < 200 && (st = state_of(child)) != 'S'; i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	printf("child asleep in pause: %c\n", st);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", child);
	int dfd = open(path, O_RDONLY | O_DIRECTORY);
	printf("signal 0 through /proc/PID: %s\n", res(send(dfd, 0)));
	printf("SIGTERM through /proc/PID: %s\n", res(send(dfd, SIGTERM)));
	int ws = 0;
	waitpid(child, &ws, 0);
	printf("child: %s %d\n", WIFSIGNALED(ws) ? "signaled" : "exited",
	       WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
	printf("after reaping: %s\n", res(send(dfd, 0)));
	close(dfd);
	int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
	printf("signal 0 through /proc/self: %s\n", res(send(self, 0)));
	close(self);
	snprintf(path, sizeof(path), "/proc/self/task/%d", getpid());
	int tfd = open(path, O_RDONLY | O_DIRECTORY);
	printf("through /proc/self/task/TID: %s\n", res(send(tfd, 0)));
	close(tfd);
	int sfd = open("/proc/self/status", O_RDONLY);
	printf("through /proc/self/status: %s\n", res(send(sfd, 0)));
	close(sfd);
	int pfd = open("/proc", O_RDONLY | O_DIRECTORY);
	printf("through /proc: %s\n", res(send(pfd, 0)));
	close(pfd);
	return 0;
}
