/* Conformance: a file is its inode, not its first name, on a host directory
 * (argv[1]; under visor a gofer-backed one): git's way of storing an object
 * (write a temporary file, link it to its final name, unlink the temporary
 * one), hard links counted and renamed over, open files outliving their
 * names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int r)
{
	printf("%s: %d %s\n", what, r < 0 ? -1 : r, r < 0 ? strerror(errno) : "");
}

static void put(const char *name, const char *data)
{
	int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0444);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		printf("put %s: %s\n", name, strerror(errno));
	close(fd);
}

static void cat(const char *name)
{
	char buf[64] = {0};
	int fd = open(name, O_RDONLY);
	if (fd < 0) {
		printf("open %s: %s\n", name, strerror(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	printf("%s: %zd \"%s\"\n", name, n, buf);
}

static void nlink(const char *name)
{
	struct stat st;
	if (stat(name, &st) < 0)
		printf("stat %s: %s\n", name, strerror(errno));
	else
		printf("%s: nlink %ld size %ld\n", name, (long)st.st_nlink, (long)st.st_size);
}

static int same_inode(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	umask(022);
	show("mkdir objects", mkdir("objects", 0755));
	/* git: tmp_obj_XXXX -> objects/ab/cdef */
	for (int i = 0; i < 20; i++) {
		char tmp[32], dir[32], obj[96], data[32];
		snprintf(tmp, sizeof(tmp), "objects/tmp_obj_%d", i);
		snprintf(dir, sizeof(dir), "objects/%02x", i * 7);
		snprintf(obj, sizeof(obj), "%s/%038d", dir, i);
		snprintf(data, sizeof(data), "object %d", i);
		put(tmp, data);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			printf("mkdir %s: %s\n", dir, strerror(errno));
		if (link(tmp, obj) < 0)
			printf("link %s: %s\n", obj, strerror(errno));
		if (unlink(tmp) < 0)
			printf("unlink %s: %s\n", tmp, strerror(errno));
		char buf[32] = {0};
		int fd = open(obj, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0 || strcmp(buf, data))
			printf("object %d: %s \"%s\"\n", i, fd < 0 ? strerror(errno) : "wrong data",
			       buf);
		close(fd);
	}
	printf("20 objects stored\n");

	put("a", "first");
	show("link a b", link("a", "b"));
	show("link a b again", link("a", "b"));
	show("link to a directory", link("objects", "dirlink"));
	show("link from a missing name", link("missing", "c"));
	nlink("a");
	show("same inode a b", same_inode("a", "b"));
	show("unlink a", unlink("a"));
	nlink("b");
	cat("b");
	cat("a");
	/* the second name keeps working for everything */
	show("chmod b", chmod("b", 0644));
	int fd = open("b", O_WRONLY | O_APPEND);
	show("append through b", (int)write(fd, "+more", 5));
	close(fd);
	cat("b");
	show("truncate b", truncate("b", 3));
	cat("b");
	show("rename b c", rename("b", "c"));
	cat("c");
	show("link c d", link("c", "d"));
	show("link d e", link("d", "e"));
	nlink("c");
	/* rename over one of the names: the others count one link less */
	put("other", "other");
	show("rename other d", rename("other", "d"));
	nlink("c");
	nlink("e");
	cat("d");
	/* rename onto another name of the same file: nothing happens */
	show("rename c e", rename("c", "e"));
	nlink("c");
	/* an open file outlives all its names */
	fd = open("c", O_RDWR);
	show("unlink c", unlink("c"));
	show("unlink e", unlink("e"));
	struct stat st;
	fstat(fd, &st);
	printf("open file: nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
	show("write to it", (int)pwrite(fd, "xyz", 3, 0));
	char buf[8] = {0};
	show("read it back", (int)pread(fd, buf, 3, 0));
	printf("data %s\n", buf);
	close(fd);
	cat("c");
	return 0;
}
