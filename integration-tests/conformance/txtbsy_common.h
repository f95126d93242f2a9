/* Shared by txtbsy.c (tmpfs under visor) and gofer_txtbsy.c (a gofer-backed
 * host directory): ETXTBSY as Linux 6.18 (inode->i_writecount).  A running
 * program's file cannot be opened for write, truncated or O_TRUNC-opened,
 * but can be read, linked, unlinked and renamed over; once the program has
 * exited (and was reaped) it can be written again; a file open for write
 * cannot be executed, nor can a script open for write. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int r)
{
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static void try_open(const char *what, const char *path, int flags)
{
	int fd = open(path, flags);
	show(what, fd);
	if (fd >= 0)
		close(fd);
}

/* Copy /proc/self/exe to path, executable. */
static int copy_self(const char *path)
{
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return -1;
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return close(out);
}

/* Run path with argv[1] = arg in a child; returns its pid once it has
 * exec'd (a close-on-exec pipe tells), -1 if the exec failed (errno set). */
static pid_t spawn(const char *path, const char *arg, int keep_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char fdarg[16];
		snprintf(fdarg, sizeof(fdarg), "%d", keep_fd);
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		execl(path, path, arg, fdarg, (char *)NULL);
		int e = errno;
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	int e = 0;
	ssize_t n = read(p[0], &e, sizeof(e));
	close(p[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		errno = e;
		return -1;
	}
	return pid;
}

static int child_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--wait")) {
		/* Wait for the parent to close the pipe's write end. */
		int fd = argc >= 3 ? atoi(argv[2]) : 0;
		char c;
		while (read(fd, &c, 1) > 0)
			;
		_exit(0);
	}
	if (argc >= 2 && !strcmp(argv[1], "--exit"))
		_exit(0);
	return -1;
}

static int txtbsy_main(int argc, char **argv)
{
	if (child_main(argc, argv) == 0)
		return 0;
	if (argc < 2)
		return 2;
	char prog[PATH_MAX], keep[PATH_MAX], other[PATH_MAX], script[PATH_MAX];
	snprintf(prog, sizeof(prog), "%s/prog", argv[1]);
	snprintf(keep, sizeof(keep), "%s/keep", argv[1]);
	snprintf(other, sizeof(other), "%s/other", argv[1]);
	snprintf(script, sizeof(script), "%s/script", argv[1]);
	if (copy_self(prog) < 0) {
		printf("copy: %s\n", strerror(errno));
		return 1;
	}
	show("link keep", link(prog, keep));

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return 1;
	pid_t pid = spawn(prog, "--wait", p[0]);
	show("exec prog", pid);
	close(p[0]);
	if (pid < 0)
		return 1;
	try_open("running: open O_WRONLY", prog, O_WRONLY);
	try_open("running: open O_RDWR", prog, O_RDWR);
	try_open("running: open O_RDWR|O_TRUNC", prog, O_RDWR | O_TRUNC);
	try_open("running: open O_RDONLY|O_TRUNC", prog, O_RDONLY | O_TRUNC);
	try_open("running: open O_WRONLY another name", keep, O_WRONLY);
	try_open("running: open O_RDONLY", prog, O_RDONLY);
	show("running: truncate", truncate(prog, 0));
	show("running: chmod", chmod(prog, 0755));
	/* A second run of the same file: any number may deny writing. */
	pid_t pid2 = spawn(keep, "--exit", -1);
	show("running: exec it again", pid2);
	if (pid2 > 0) {
		int st;
		waitpid(pid2, &st, 0);
		printf("second run: exit %d\n", WEXITSTATUS(st));
	}
	try_open("running: still O_WRONLY", prog, O_WRONLY);
	show("running: unlink a name", unlink(prog));
	int fd = open(other, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	show("running: write another file", fd);
	if (fd >= 0)
		close(fd);
	show("running: rename over keep", rename(other, keep));
	try_open("running: open O_WRONLY the new keep", keep, O_WRONLY);
	/* The running file is still reachable through /proc/PID/exe. */
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	try_open("running: open its /proc/PID/exe O_WRONLY", exe, O_WRONLY);
	try_open("running: open its /proc/PID/exe O_RDONLY", exe, O_RDONLY);
	close(p[1]);
	int st;
	waitpid(pid, &st, 0);
	printf("waiter: exit %d\n", WEXITSTATUS(st));

	/* After the exit: writable again, at once. */
	if (copy_self(prog) < 0)
		printf("copy again: %s\n", strerror(errno));
	pid = spawn(prog, "--exit", -1);
	show("exec a fresh copy", pid);
	if (pid > 0) {
		waitpid(pid, &st, 0);
		try_open("exited: open O_WRONLY", prog, O_WRONLY);
	}

	/* A file open for write cannot be executed. */
	fd = open(prog, O_WRONLY);
	show("open O_WRONLY", fd);
	show("exec it while open for write", spawn(prog, "--exit", -1));
	close(fd);
	fd = open(prog, O_RDONLY);
	show("exec it while open read-only", pid = spawn(prog, "--exit", -1));
	if (pid > 0)
		waitpid(pid, NULL, 0);
	close(fd);

	/* A script: its own file too is denied while exec reads it. */
	fd = open(script, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	char line[PATH_MAX + 32];
	int n = snprintf(line, sizeof(line), "#!%s --exit\n", prog);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		printf("script: %s\n", strerror(errno));
	show("exec a script open for write", spawn(script, NULL, -1));
	close(fd);
	pid = spawn(script, NULL, -1);
	show("exec the script closed", pid);
	if (pid > 0) {
		waitpid(pid, &st, 0);
		printf("script: exit %d\n", WEXITSTATUS(st));
	}
	fd = open(prog, O_WRONLY);
	show("interpreter open for write", fd);
	show("exec the script", spawn(script, NULL, -1));
	if (fd >= 0)
		close(fd);
	unlink(prog);
	unlink(keep);
	unlink(script);
	return 0;
}
