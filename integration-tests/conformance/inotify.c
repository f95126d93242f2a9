/* Conformance: inotify on the scratch directory argv[1] (tmpfs under visor;
 * gofer_inotify.c runs the same on a gofer-backed directory). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EEXIST: return "EEXIST";
	case EAGAIN: return "EAGAIN";
	}
	static char b[32];
	snprintf(b, sizeof(b), "errno %d", e);
	return b;
}

#define CHECK(what, expr)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		printf("%s: %s\n", what, r_ < 0 ? en(errno) : "OK");                               \
	} while (0)

static void mask_str(uint32_t m, char *out)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {{IN_ACCESS, "ACCESS"},	   {IN_MODIFY, "MODIFY"},
		    {IN_ATTRIB, "ATTRIB"},	   {IN_CLOSE_WRITE, "CLOSE_WRITE"},
		    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
		    {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
		    {IN_CREATE, "CREATE"},	   {IN_DELETE, "DELETE"},
		    {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
		    {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"},
		    {IN_ISDIR, "ISDIR"}};
	out[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (m & bits[i].bit) {
			if (out[0])
				strcat(out, "|");
			strcat(out, bits[i].name);
		}
}

static uint32_t last_cookie;

/* Print every queued event: wd as "w<N>" relative to the given watch ids. */
static int drain(int fd, const char *label)
{
	char buf[8192] __attribute__((aligned(8)));
	int total = 0;
	printf("[%s]\n", label);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			char m[256];
			mask_str(e->mask, m);
			printf("  wd%d %s %s%s\n", e->wd, m, e->len ? e->name : "-",
			       e->cookie ? " (cookie)" : "");
			if (e->mask & (IN_MOVED_FROM | IN_MOVED_TO)) {
				if (e->mask & IN_MOVED_FROM)
					last_cookie = e->cookie;
				else
					printf("  cookie pairs: %d\n", e->cookie == last_cookie);
			}
			p += sizeof(*e) + e->len;
			total++;
		}
	}
	return total;
}

static long read_num(const char *p)
{
	FILE *f = fopen(p, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void path(char *out, const char *dir, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char top[PATH_MAX], a[PATH_MAX], b[PATH_MAX], d[PATH_MAX], f[PATH_MAX], g[PATH_MAX];
	snprintf(top, sizeof(top), "%s/inotify-test", dir);
	mkdir(top, 0755);
	path(a, top, "a");
	path(b, top, "b");
	path(d, top, "d");
	path(f, top, "f");
	path(g, top, "g");

	printf("max_queued_events %ld max_user_instances %ld max_user_watches > 0: %d\n",
	       read_num("/proc/sys/fs/inotify/max_queued_events"),
	       read_num("/proc/sys/fs/inotify/max_user_instances"),
	       read_num("/proc/sys/fs/inotify/max_user_watches") > 0);
	CHECK("init1 bad flags", inotify_init1(0x1));
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	printf("init: %d cloexec %d nonblock %d\n", in >= 0, (fcntl(in, F_GETFD) & FD_CLOEXEC) != 0,
	       (fcntl(in, F_GETFL) & O_NONBLOCK) != 0);
	CHECK("mask 0", inotify_add_watch(in, top, 0));
	CHECK("mask add+create", inotify_add_watch(in, top, IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
	CHECK("bad fd", inotify_add_watch(999, top, IN_MODIFY));
	CHECK("not inotify", inotify_add_watch(1, top, IN_MODIFY));
	CHECK("no such path", inotify_add_watch(in, "/nonexistent/x", IN_MODIFY));
	int fd0 = open(f, O_CREAT | O_WRONLY, 0644);
	close(fd0);
	CHECK("onlydir on a file", inotify_add_watch(in, f, IN_MODIFY | IN_ONLYDIR));
	CHECK("rm bad wd", inotify_rm_watch(in, 12345));
	CHECK("rm not inotify", inotify_rm_watch(1, 1));
	char small[8];
	CHECK("read nothing", read(in, small, sizeof(small)));

	int wd = inotify_add_watch(in, top, IN_ALL_EVENTS);
	printf("dir wd: %d\n", wd);
	printf("same inode, same wd: %d\n", inotify_add_watch(in, top, IN_ALL_EVENTS) == wd);
	CHECK("mask create on watched", inotify_add_watch(in, top, IN_ALL_EVENTS | IN_MASK_CREATE));

	/* create, write, close */
	int fd = open(a, O_CREAT | O_WRONLY, 0644);
	write(fd, "hello", 5);
	write(fd, "again", 5);
	int avail = -1;
	ioctl(in, FIONREAD, &avail);
	printf("FIONREAD: %d\n", avail);
	CHECK("read too small", read(in, small, sizeof(small)));
	struct pollfd p = {.fd = in, .events = POLLIN};
	printf("poll: %d\n", poll(&p, 1, 0));
	close(fd);
	drain(in, "create write close");
	/* read, chmod, truncate */
	fd = open(a, O_RDONLY);
	char c;
	read(fd, &c, 1);
	close(fd);
	chmod(a, 0600);
	truncate(a, 1);
	drain(in, "read chmod truncate");
	/* mkdir, rename, unlink, rmdir */
	mkdir(d, 0755);
	rename(a, b);
	unlink(b);
	rmdir(d);
	drain(in, "mkdir rename unlink rmdir");
	/* link: the link count is an attribute */
	link(f, g);
	unlink(g);
	drain(in, "link unlink");
	CHECK("rm dir watch", inotify_rm_watch(in, wd));
	drain(in, "after rm_watch");
	CHECK("rm again", inotify_rm_watch(in, wd));

	/* A watch on a file: modify, move, delete. */
	int wf = inotify_add_watch(in, f, IN_ALL_EVENTS);
	printf("file wd is new: %d\n", wf > wd);
	fd = open(f, O_WRONLY | O_APPEND);
	write(fd, "x", 1);
	close(fd);
	rename(f, g);
	unlink(g);
	drain(in, "file: modify move delete");

	/* IN_ONESHOT, IN_MASK_ADD, replacing a mask. */
	fd0 = open(f, O_CREAT | O_WRONLY, 0644);
	int w1 = inotify_add_watch(in, f, IN_MODIFY | IN_ONESHOT);
	write(fd0, "1", 1);
	write(fd0, "22", 2);
	drain(in, "oneshot");
	int w2 = inotify_add_watch(in, f, IN_MODIFY);
	printf("new wd after oneshot: %d\n", w2 > w1);
	printf("mask add same wd: %d\n", inotify_add_watch(in, f, IN_ATTRIB | IN_MASK_ADD) == w2);
	write(fd0, "3", 1);
	fchmod(fd0, 0640);
	drain(in, "mask add");
	inotify_add_watch(in, f, IN_ATTRIB);
	write(fd0, "4", 1);
	fchmod(fd0, 0644);
	drain(in, "mask replaced");
	close(fd0);
	drain(in, "close not watched");
	inotify_rm_watch(in, w2);
	drain(in, "rm");

	/* A watched file unlinked while open: IN_DELETE_SELF at its close. */
	int ofd = open(a, O_CREAT | O_WRONLY, 0644);
	int ow = inotify_add_watch(in, a, IN_ALL_EVENTS);
	unlink(a);
	drain(in, "open file unlinked");
	write(ofd, "y", 1);
	close(ofd);
	drain(in, "then closed");
	(void)ow;

	/* A child unlinked while open: its directory still hears of it,
	 * unless the watch has IN_EXCL_UNLINK. */
	for (int excl = 0; excl < 2; excl++) {
		int uw = inotify_add_watch(in, top, IN_ALL_EVENTS | (excl ? IN_EXCL_UNLINK : 0));
		int ufd = open(a, O_CREAT | O_WRONLY, 0644);
		unlink(a);
		write(ufd, "z", 1);
		close(ufd);
		drain(in, excl ? "unlinked child, IN_EXCL_UNLINK" : "unlinked child");
		inotify_rm_watch(in, uw);
		drain(in, "rm");
	}

	/* A blocking read woken by another process. */
	int bin = inotify_init();
	inotify_add_watch(bin, top, IN_CREATE);
	pid_t ch = fork();
	if (ch == 0) {
		usleep(20000);
		close(open(a, O_CREAT | O_WRONLY, 0644));
		_exit(0);
	}
	char buf[512];
	ssize_t n = read(bin, buf, sizeof(buf));
	struct inotify_event *e = (struct inotify_event *)buf;
	printf("blocking read: %d %s create %d\n", n > 0, e->len ? e->name : "-",
	       (e->mask & IN_CREATE) != 0);
	waitpid(ch, NULL, 0);
	close(bin);
	unlink(a);

	/* Queue overflow. */
	int oin = inotify_init1(IN_NONBLOCK);
	fd0 = open(f, O_RDONLY);
	inotify_add_watch(oin, f, IN_OPEN | IN_CLOSE_NOWRITE);
	for (int i = 0; i < 8300; i++)
		close(open(f, O_RDONLY));
	int count = 0, overflow = 0;
	for (;;) {
		static char big[65536] __attribute__((aligned(8)));
		n = read(oin, big, sizeof(big));
		if (n <= 0)
			break;
		for (char *q = big; q < big + n;) {
			struct inotify_event *ev = (struct inotify_event *)q;
			count++;
			if (ev->mask & IN_Q_OVERFLOW)
				overflow = ev->wd == -1;
			q += sizeof(*ev) + ev->len;
		}
	}
	printf("overflow: events %d overflow-last %d\n", count, overflow);
	close(oin);
	close(fd0);
	unlink(f);
	rmdir(top);
	close(in);
	return 0;
}
