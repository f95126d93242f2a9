/* Conformance: who owns /proc/<pid> (Linux's task_dump_owner): the
 * process's effective uid and gid, for the directory and every file and
 * directory in it (task/<tid> too), so a user lists its own /proc/self/fd
 * (mode 0500); when the process is not dumpable (PR_SET_DUMPABLE 0, or a
 * set-id exec) root, except for the world-readable directories; back to
 * the user when it is dumpable again.  (The child makes itself dumpable
 * after setresuid, which Linux's commit_creds makes it not.) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* name: what to print for path (its pid differs between runs). */
static void owner_as(const char *tag, const char *path, const char *name)
{
	struct stat st;
	if (stat(path, &st) < 0)
		printf("%s %s: %s\n", tag, name, strerror(errno));
	else
		printf("%s %s: %u:%u %o\n", tag, name, st.st_uid, st.st_gid, st.st_mode & 07777);
}

static void owner(const char *tag, const char *path)
{
	owner_as(tag, path, path);
}

static void list_fds(const char *tag)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		printf("%s opendir /proc/self/fd: %s\n", tag, strerror(errno));
		return;
	}
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	printf("%s /proc/self/fd lists: %s\n", tag, n > 2 ? "yes" : "no");
}

int main(void)
{
	int p[2], q[2];
	if (pipe(p) < 0 || pipe(q) < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		char b;
		if (setgroups(0, NULL) < 0 || setresgid(1001, 1001, 1001) < 0 ||
		    setresuid(1000, 1000, 1000) < 0 || prctl(PR_SET_DUMPABLE, 1) < 0)
			_exit(9);
		char task[64];
		snprintf(task, sizeof(task), "/proc/self/task/%d", getpid());
		owner("user", "/proc/self/");
		owner("user", "/proc/self/status");
		owner("user", "/proc/self/fd");
		owner("user", "/proc/self/task");
		owner_as("user", task, "/proc/self/task/TID");
		list_fds("user");
		fflush(stdout);
		write(q[1], "1", 1);
		read(p[0], &b, 1);
		prctl(PR_SET_DUMPABLE, 0);
		owner("not dumpable", "/proc/self/");
		owner("not dumpable", "/proc/self/status");
		owner("not dumpable", "/proc/self/task");
		prctl(PR_SET_DUMPABLE, 1);
		owner("dumpable again", "/proc/self/fd");
		fflush(stdout);
		_exit(0);
	}
	char b, path[64];
	read(q[0], &b, 1);
	snprintf(path, sizeof(path), "/proc/%d", c);
	owner_as("parent sees", path, "/proc/CHILD");
	fflush(stdout);
	write(p[1], "1", 1);
	int st;
	waitpid(c, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	owner("self", "/proc/self/");
	return 0;
}
