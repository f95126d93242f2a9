/* Conformance: directory change notification (fcntl F_NOTIFY) on tmpfs (a
 * directory made under /dev/shm; gofer_dnotify.c runs it in argv[1], a
 * gofer-backed one): SIGIO for each DN_* event on an entry, one-shot marks
 * and DN_MULTISHOT ones, a mark ended by F_NOTIFY 0 and by closing its fd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static volatile sig_atomic_t sigio;

static void on_sigio(int sig)
{
	sigio++;
}

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

/* Run an operation, then print how many SIGIOs it brought. */
#define EVENT(what, op)                                                                            \
	do {                                                                                       \
		int before_ = sigio;                                                               \
		long r_ = (long)(op);                                                              \
		printf("%s: %s, sigio +%d\n", what, r_ < 0 ? strerrorname_np(errno) : "ok",        \
		       (int)(sigio - before_));                                                    \
	} while (0)

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGIO, on_sigio);
#ifdef SCRATCH_IN_ARGV
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/dnotify.XXXXXX", argc > 1 ? argv[1] : ".");
#else
	char dir[] = "/dev/shm/dnotify.XXXXXX";
#endif
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 2;
	close(open("f", O_CREAT | O_RDWR, 0644));
	int d = open(".", O_RDONLY | O_DIRECTORY);
	int f = open("f", O_RDWR);

	res("F_NOTIFY on a file", fcntl(f, F_NOTIFY, DN_MODIFY));
	res("F_NOTIFY nothing", fcntl(d, F_NOTIFY, 0));
	res("multishot mark", fcntl(d, F_NOTIFY, DN_CREATE | DN_DELETE | DN_RENAME | DN_MODIFY |
						     DN_ATTRIB | DN_ACCESS | DN_MULTISHOT));
	EVENT("create", close(open("g", O_CREAT | O_WRONLY, 0644)));
	EVENT("write", write(f, "x", 1));
	EVENT("pwrite", pwrite(f, "y", 1, 5));
	char c;
	EVENT("read", pread(f, &c, 1, 0));
	EVENT("chmod", chmod("f", 0600));
	EVENT("setxattr", setxattr("f", "user.d", "1", 1, 0));
	EVENT("removexattr", removexattr("f", "user.d"));
	EVENT("truncate", ftruncate(f, 0));
	EVENT("truncating open", close(open("f", O_WRONLY | O_TRUNC)));
	EVENT("rename", rename("g", "h"));
	EVENT("mkdir", mkdir("sub", 0755));
	EVENT("rmdir", rmdir("sub"));
	EVENT("unlink", unlink("h"));
	EVENT("symlink", symlink("f", "l"));
	EVENT("link", link("f", "f2"));
	EVENT("stat (no event)", access("f", F_OK));
	EVENT("end the mark", fcntl(d, F_NOTIFY, 0));
	EVENT("create after the end", close(open("g2", O_CREAT | O_WRONLY, 0644)));

	/* One-shot: the first event ends the mark; events it does not watch do not. */
	res("one-shot create mark", fcntl(d, F_NOTIFY, DN_CREATE));
	EVENT("unlink (not watched)", unlink("g2"));
	EVENT("create", close(open("g3", O_CREAT | O_WRONLY, 0644)));
	EVENT("create again", close(open("g4", O_CREAT | O_WRONLY, 0644)));
	res("masks add up", fcntl(d, F_NOTIFY, DN_DELETE));
	res("masks add up", fcntl(d, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
	EVENT("delete", unlink("g3"));
	EVENT("create (now multishot)", close(open("g5", O_CREAT | O_WRONLY, 0644)));
	res("end the mark", fcntl(d, F_NOTIFY, 0));

	/* Closing an fd of the marking description ends the mark. */
	int d2 = open(".", O_RDONLY | O_DIRECTORY);
	res("mark on another fd", fcntl(d2, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
	int d3 = dup(d2);
	close(d3);
	EVENT("create after closing a dup", close(open("g6", O_CREAT | O_WRONLY, 0644)));
	res("mark again", fcntl(d2, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
	close(d2);
	EVENT("create after closing", close(open("g7", O_CREAT | O_WRONLY, 0644)));
	int op = open(".", O_PATH);
	res("F_NOTIFY on O_PATH", fcntl(op, F_NOTIFY, DN_CREATE));

	const char *names[] = {"f", "f2", "l", "g4", "g5", "g6", "g7"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(names[i]);
	if (chdir("/") < 0 || rmdir(dir) < 0)
		printf("cleanup: %s\n", strerrorname_np(errno));
	return 0;
}
