/* /proc/locks (what lslocks reads): POSIX, OFD and flock locks, one line
 * each as Linux prints them: kind, type, the locker's pid (-1 for OFD),
 * MAJOR:MINOR:INODE and the range; locks go from it when released. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* The lines of /proc/locks for the file with inode ino, sorted by the
 * caller's reading order, with the ordinal dropped and pids named. */
static void show(const char *what, const struct stat *st, pid_t child)
{
	FILE *f = fopen("/proc/locks", "r");
	if (!f) {
		perror("/proc/locks");
		return;
	}
	char line[256], want[64];
	snprintf(want, sizeof(want), "%02x:%02x:%llu ", major(st->st_dev), minor(st->st_dev),
		 (unsigned long long)st->st_ino);
	char out[16][128];
	int n = 0;
	while (fgets(line, sizeof(line), f) && n < 16) {
		if (!strstr(line, want) || strstr(line, "->"))
			continue;
		char kind[16], adv[16], type[16], range1[32], range2[32], dev[64];
		int pid;
		if (sscanf(line, "%*d: %15s %15s %15s %d %63s %31s %31s", kind, adv, type, &pid, dev,
			   range1, range2) != 7)
			continue;
		const char *who = pid == getpid() ? "self" : pid == child ? "child" : pid == -1 ? "-1" : "other";
		/* The spacing before the pid, exactly (tools split on it). */
		char *p = strchr(line, ':') + 2, *q = strstr(line, want) - 1;
		while (q > p && q[-1] != ' ')
			q--;
		snprintf(out[n++], sizeof(out[0]), "[%.*s] %s %s %s %s %s %s", (int)(q - p), p, kind,
			 adv, type, who, range1, range2);
	}
	fclose(f);
	/* Linux lists newest first per CPU: order is not part of the ABI. */
	qsort(out, n, sizeof(out[0]), (int (*)(const void *, const void *))strcmp);
	printf("%s: %d\n", what, n);
	for (int i = 0; i < n; i++)
		printf("  %s\n", out[i]);
}

static void setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	if (fcntl(fd, cmd, &fl) < 0)
		perror("fcntl");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char path[256];
	snprintf(path, sizeof(path), "%s/locked", argc > 1 ? argv[1] : "/tmp");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	write(fd, "0123456789", 10);
	struct stat st;
	fstat(fd, &st);
	show("none", &st, 0);
	setlk(fd, F_SETLK, F_WRLCK, 0, 10);
	setlk(fd, F_SETLK, F_RDLCK, 20, 0);
	show("posix", &st, 0);
	int ofd = open(path, O_RDWR);
	setlk(ofd, F_OFD_SETLK, F_RDLCK, 100, 50);
	show("posix and ofd", &st, 0);
	int pfd[2];
	pipe(pfd);
	pid_t c = fork();
	if (c == 0) {
		int f2 = open(path, O_RDWR);
		flock(f2, LOCK_EX);
		write(pfd[1], "x", 1);
		pause();
		_exit(0);
	}
	char b;
	read(pfd[0], &b, 1);
	show("and a child's flock", &st, c);
	setlk(fd, F_SETLK, F_UNLCK, 5, 2); /* splits the write lock */
	show("posix split", &st, c);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	close(ofd);
	show("child gone, ofd closed", &st, c);
	close(fd);
	show("all closed", &st, c);
	unlink(path);
	return 0;
}
