/* Conformance: /proc/PID/{uid_map,gid_map,projid_map,setgroups} of a
 * process in the initial user namespace (a container without a user
 * namespace), reads and the errno of each write. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void cat(const char *path)
{
	char buf[256];
	const char *name = strncmp(path, "/proc/self/", 11) ? "parent's" : path;
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: open %s\n", name, strerror(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	printf("%s: %zd '%.*s'\n", name, n, (int)strcspn(buf, "\n"), buf);
}

static void try_write(const char *path, const char *text)
{
	const char *name = strncmp(path, "/proc/self/", 11) ? "parent's" : path;
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		printf("write %s: open %s\n", name, strerror(errno));
		return;
	}
	ssize_t n = write(fd, text, strlen(text));
	printf("write %s '%.*s': %zd %s\n", name, (int)strcspn(text, "\n"), text, n,
	       n < 0 ? strerror(errno) : "");
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	cat("/proc/self/uid_map");
	cat("/proc/self/gid_map");
	cat("/proc/self/projid_map");
	cat("/proc/self/setgroups");
	struct stat st;
	stat("/proc/self/uid_map", &st);
	printf("uid_map mode %o\n", st.st_mode & 07777);
	stat("/proc/self/setgroups", &st);
	printf("setgroups mode %o\n", st.st_mode & 07777);

	try_write("/proc/self/uid_map", "0 0 1\n");
	try_write("/proc/self/gid_map", "0 0 1\n");
	try_write("/proc/self/setgroups", "allow");
	try_write("/proc/self/setgroups", "allow\n");
	try_write("/proc/self/setgroups", "deny");
	try_write("/proc/self/setgroups", "maybe");
	try_write("/proc/self/setgroups", "allow x");
	cat("/proc/self/setgroups");

	pid_t c = fork();
	if (c == 0) {
		/* Another process's maps, and the maps seen by an unprivileged one. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/uid_map", getppid());
		cat(path);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			printf("setuid: %s\n", strerror(errno));
		cat("/proc/self/uid_map");
		try_write(path, "0 0 1\n");
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return 0;
}
