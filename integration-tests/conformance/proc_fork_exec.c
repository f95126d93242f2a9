/* Conformance: fork, wait4 statuses, pipes, execve, exit codes, getppid;
 * /proc/PID/environ holds the environment execve gave (also seen by a
 * forked child reading its parent's). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_environ(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (n < 0) {
		printf("%s: %s\n", strchr(path + 6, '/') ? "environ" : path, strerror(errno));
		return;
	}
	printf("environ %zd bytes:", n);
	for (ssize_t i = 0; i < n; i++)
		putchar(buf[i] ? buf[i] : '|');
	putchar('\n');
	close(fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "child")) {
		printf("child argv ok: %s\n", argv[2]);
		if (argc > 3 && !strcmp(argv[3], "environ")) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/environ", (int)getpid());
			if (fork() == 0) {
				/* A child reads its parent's: the same bytes. */
				print_environ(path);
				_exit(0);
			}
			wait(NULL);
			print_environ("/proc/self/environ");
		}
		return 3;
	}
	pid_t me = getpid();
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		/* Print before writing: the parent's read orders the output. */
		printf("child: parent is me: %d\n", getppid() == me);
		const char msg[] = "through the pipe";
		if (write(p[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(9);
		_exit(7);
	}
	close(p[1]);
	char buf[64] = {0};
	ssize_t n = read(p[0], buf, sizeof(buf));
	printf("parent read %zd: %s\n", n, buf);
	n = read(p[0], buf, sizeof(buf));
	printf("then EOF: %zd\n", n);
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("waited right child: %d exited: %d code: %d\n", w == c, WIFEXITED(st), WEXITSTATUS(st));
	printf("no more children: %d %s\n", (int)waitpid(-1, &st, WNOHANG), strerror(errno));

	c = fork();
	if (c == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("killed by signal: %d sig: %d\n", WIFSIGNALED(st), WTERMSIG(st));

	c = fork();
	if (c == 0) {
		char *args[] = {argv[0], "child", "xyz", NULL};
		execv(argv[0], args);
		_exit(99);
	}
	waitpid(c, &st, 0);
	printf("exec child code: %d\n", WEXITSTATUS(st));

	c = fork();
	if (c == 0) {
		char *args[] = {argv[0], "child", "env", "environ", NULL};
		char *env[] = {"A=1", "EMPTY=", "B=two words", NULL};
		execve(argv[0], args, env);
		_exit(99);
	}
	waitpid(c, &st, 0);
	printf("execve child code: %d\n", WEXITSTATUS(st));

	c = fork();
	if (c == 0) {
		char *args[] = {"/nonexistent/binary", NULL};
		execv(args[0], args);
		printf("execv failed: %s\n", strerror(errno));
		_exit(5);
	}
	waitpid(c, &st, 0);
	printf("failed exec code: %d\n", WEXITSTATUS(st));

	pid_t v = vfork();
	if (v == 0)
		_exit(11);
	waitpid(v, &st, 0);
	printf("vfork child code: %d\n", WEXITSTATUS(st));
	return 0;
}
