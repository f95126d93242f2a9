/* Conformance: openat2(2) in a scratch directory (argv[1]): struct open_how's
 * size and flag rules, and each RESOLVE_* flag in the path walk (scoped
 * lookups, symlinks, /proc's magic links, mount crossings, the cache). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int dir = -1;

static long openat2_raw(int dirfd, const char *path, const void *how, size_t size)
{
	return syscall(SYS_openat2, dirfd, path, how, size);
}

/* Print the result of an openat2: the first bytes of what opened, or the errno's name. */
static void show_fd(const char *what, long fd)
{
	if (fd < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	char buf[16] = {0};
	ssize_t n = read((int)fd, buf, sizeof(buf) - 1);
	if (n < 0)
		printf("%s: ok (read %s)\n", what, strerrorname_np(errno));
	else
		printf("%s: ok \"%s\"\n", what, buf);
	close((int)fd);
}

static void try(const char *what, int dirfd, const char *path, uint64_t flags, uint64_t mode,
		uint64_t resolve)
{
	struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
	show_fd(what, openat2_raw(dirfd, path, &how, sizeof(how)));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	umask(022);
	mkdir("d", 0755);
	mkdir("d/sub", 0755);
	int fd = open("d/f", O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "inside", 6) != 6)
		return 3;
	close(fd);
	fd = open("outside", O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "outside", 7) != 7)
		return 3;
	close(fd);
	symlink("f", "d/rel");
	symlink("/f", "d/abs");
	symlink("../outside", "d/up");
	symlink("sub/../f", "d/sub_rel");
	dir = open("d", O_RDONLY | O_DIRECTORY);

	/* struct open_how's size. */
	struct {
		struct open_how how;
		uint64_t extra[2];
	} big = {{.flags = O_RDONLY}, {0, 0}};
	show_fd("size 0", openat2_raw(dir, "f", &big, 0));
	show_fd("size 23", openat2_raw(dir, "f", &big, 23));
	show_fd("size 24", openat2_raw(dir, "f", &big, 24));
	show_fd("size 40 zero tail", openat2_raw(dir, "f", &big, 40));
	big.extra[1] = 1;
	show_fd("size 40 nonzero tail", openat2_raw(dir, "f", &big, 40));
	show_fd("size 4097", openat2_raw(dir, "f", &big, 4097));
	show_fd("bad how pointer", openat2_raw(dir, "f", (void *)8, 24));

	/* Flags and mode. */
	try("unknown flag bit 040", dir, "f", 040, 0, 0);
	try("upper flag bit", dir, "f", 1ULL << 40, 0, 0);
	try("unknown resolve bit", dir, "f", O_RDONLY, 0, 0x40);
	try("beneath|in_root", dir, "f", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT);
	try("mode without O_CREAT", dir, "f", O_RDONLY, 0644, 0);
	try("mode with S_IFREG", dir, "new", O_CREAT | O_WRONLY, S_IFREG | 0644, 0);
	try("O_CREAT|O_DIRECTORY", dir, "new", O_CREAT | O_DIRECTORY, 0644, 0);
	try("O_PATH|O_RDWR", dir, "f", O_PATH | O_RDWR, 0, 0);
	try("O_TMPFILE read-only", dir, ".", __O_TMPFILE | O_RDONLY, 0600, 0);
	try("O_CREAT mode 0600", dir, "new", O_CREAT | O_RDWR, 0600, 0);
	struct stat st;
	if (fstatat(dir, "new", &st, 0) == 0)
		printf("new mode %o\n", st.st_mode & 07777);

	/* RESOLVE_BENEATH. */
	try("beneath f", dir, "f", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath sub/../f", dir, "sub/../f", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath ../outside", dir, "../outside", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath absolute", dir, "/f", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath absolute bad dirfd", 999, "/f", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath rel link", dir, "rel", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath sub_rel link", dir, "sub_rel", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath abs link", dir, "abs", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath up link", dir, "up", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath sub/../..", dir, "sub/../../outside", O_RDONLY, 0, RESOLVE_BENEATH);
	try("beneath O_CREAT", dir, "sub/made", O_CREAT | O_RDWR, 0644, RESOLVE_BENEATH);
	try("beneath O_CREAT escape", dir, "../made", O_CREAT | O_RDWR, 0644, RESOLVE_BENEATH);
	try("beneath O_CREAT via up", dir, "up", O_CREAT | O_RDWR, 0644, RESOLVE_BENEATH);

	/* RESOLVE_IN_ROOT: "/" and ".." stay in dirfd. */
	try("in_root /f", dir, "/f", O_RDONLY, 0, RESOLVE_IN_ROOT);
	try("in_root ../../f", dir, "../../f", O_RDONLY, 0, RESOLVE_IN_ROOT);
	try("in_root abs link", dir, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT);
	try("in_root up link", dir, "up", O_RDONLY, 0, RESOLVE_IN_ROOT);
	try("in_root sub/../../../f", dir, "sub/../../../f", O_RDONLY, 0, RESOLVE_IN_ROOT);

	/* RESOLVE_NO_SYMLINKS. */
	try("no_symlinks f", dir, "f", O_RDONLY, 0, RESOLVE_NO_SYMLINKS);
	try("no_symlinks rel", dir, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS);
	try("no_symlinks rel O_PATH|O_NOFOLLOW", dir, "rel", O_PATH | O_NOFOLLOW, 0,
	    RESOLVE_NO_SYMLINKS);
	try("no_symlinks rel O_NOFOLLOW", dir, "rel", O_RDONLY | O_NOFOLLOW, 0,
	    RESOLVE_NO_SYMLINKS);
	try("no_symlinks rel O_CREAT", dir, "rel", O_CREAT | O_RDWR, 0644, RESOLVE_NO_SYMLINKS);
	try("no_symlinks /proc/self/fd", AT_FDCWD, "/proc/self/fd", O_RDONLY, 0,
	    RESOLVE_NO_SYMLINKS);

	/* RESOLVE_NO_MAGICLINKS and the scoped lookups through /proc's magic links. */
	int fdir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	int ffd = openat(dir, "f", O_RDONLY);
	char num[16];
	snprintf(num, sizeof(num), "%d", ffd);
	try("magic link plain", fdir, num, O_RDONLY, 0, 0);
	try("magic link no_magiclinks", fdir, num, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS);
	try("magic link no_symlinks", fdir, num, O_RDONLY, 0, RESOLVE_NO_SYMLINKS);
	try("magic link beneath", fdir, num, O_RDONLY, 0, RESOLVE_BENEATH);
	try("magic link in_root", fdir, num, O_RDONLY, 0, RESOLVE_IN_ROOT);
	try("magic link no_xdev", fdir, num, O_RDONLY, 0, RESOLVE_NO_XDEV);
	try("magic link O_PATH|O_NOFOLLOW no_magiclinks", fdir, num, O_PATH | O_NOFOLLOW, 0,
	    RESOLVE_NO_MAGICLINKS);
	try("proc/self no_magiclinks", AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY, 0,
	    RESOLVE_NO_MAGICLINKS);

	/* RESOLVE_NO_XDEV: /proc is another mount. */
	try("no_xdev sub/../f", dir, "sub/../f", O_RDONLY, 0, RESOLVE_NO_XDEV);
	try("no_xdev /proc", AT_FDCWD, "/proc", O_RDONLY, 0, RESOLVE_NO_XDEV);
	try("no_xdev /proc/self/fd", AT_FDCWD, "/proc/self/fd", O_RDONLY, 0, RESOLVE_NO_XDEV);
	int proc = open("/proc", O_RDONLY | O_DIRECTORY);
	try("no_xdev proc ..", proc, "..", O_RDONLY, 0, RESOLVE_NO_XDEV);
	try("no_xdev proc self/..", proc, "self/..", O_RDONLY, 0, RESOLVE_NO_XDEV);
	try("proc .. plain", proc, "..", O_RDONLY | O_DIRECTORY, 0, 0);

	/* RESOLVE_CACHED: names just used are in the cache; creating never is. */
	try("cached f (warm)", dir, "f", O_RDONLY, 0, 0);
	try("cached f", dir, "f", O_RDONLY, 0, RESOLVE_CACHED);
	try("cached O_CREAT", dir, "f", O_CREAT | O_RDONLY, 0644, RESOLVE_CACHED);
	try("cached O_TRUNC", dir, "f", O_TRUNC | O_RDWR, 0, RESOLVE_CACHED);
	try("cached O_TMPFILE", dir, ".", __O_TMPFILE | O_RDWR, 0600, RESOLVE_CACHED);
	return 0;
}
