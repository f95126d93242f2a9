/* Conformance: the /proc/<pid> links only a process that may ptrace-read
 * pid follows (Linux's proc_fd_access_allowed, PTRACE_MODE_READ): exe, cwd,
 * root, fd/N.  Root without CAP_SYS_PTRACE (Docker's default set lacks it)
 * is refused another user's (EACCES: ss -p then shows only its own
 * sockets), while status, cmdline, stat, environ, auxv and maps still open
 * (as Linux 6.18 lets it); with CAP_SYS_PTRACE it follows them all; its
 * own are always open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void try_open(const char *tag, int pid, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s open %s: %s\n", tag, name, strerror(errno));
		return;
	}
	char b[16];
	ssize_t n = read(fd, b, sizeof(b));
	printf("%s open %s: ok, read %s\n", tag, name, n > 0 ? "data" : n == 0 ? "nothing" : strerror(errno));
	close(fd);
}

static void try_link(const char *tag, int pid, const char *name)
{
	char path[64], t[256];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	ssize_t n = readlink(path, t, sizeof(t));
	printf("%s readlink %s: %s\n", tag, name, n >= 0 ? "ok" : strerror(errno));
}

static void probe(const char *tag, int pid)
{
	const char *files[] = {"status", "cmdline", "stat", "environ", "auxv", "maps"};
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		try_open(tag, pid, files[i]);
	const char *links[] = {"exe", "cwd", "root", "fd/0"};
	for (unsigned i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		try_link(tag, pid, links[i]);
	try_open(tag, pid, "fd/0");
}

/* Drop (or keep) CAP_SYS_PTRACE from the effective set, the rest as is. */
static int set_ptrace_cap(int on)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	if (on)
		d[0].effective |= 1u << CAP_SYS_PTRACE;
	else
		d[0].effective &= ~(1u << CAP_SYS_PTRACE);
	return (int)syscall(SYS_capset, &h, d);
}

int main(void)
{
	int p[2], q[2];
	if (pipe(p) < 0 || pipe(q) < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(p[0]);
		close(q[1]);
		if (setgroups(0, NULL) < 0 || setresgid(1001, 1001, 1001) < 0 ||
		    setresuid(1000, 1000, 1000) < 0)
			_exit(9);
		if (write(p[1], "r", 1) != 1 || read(q[0], &b, 1) < 0)
			_exit(8);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	char b;
	if (read(p[0], &b, 1) != 1)
		return 2;
	if (set_ptrace_cap(0) < 0) {
		printf("capset: %s\n", strerror(errno));
		return 3;
	}
	probe("no-ptrace-cap other:", c);
	probe("no-ptrace-cap self:", getpid());
	if (set_ptrace_cap(1) < 0) {
		printf("capset back: %s\n", strerror(errno));
		return 3;
	}
	probe("ptrace-cap other:", c);
	close(q[1]);
	int st;
	waitpid(c, &st, 0);
	printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
