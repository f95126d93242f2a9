/* Conformance: statx(2) on tmpfs (a directory made under /dev/shm, natively
 * and in the sandbox) and procfs: every mask and flag coreutils passes, what
 * stx_mask claims against what is filled, the attribute bits, mount ids and
 * device numbers; never inode numbers or times themselves. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U
#endif

static long raw_statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf)
{
	return syscall(SYS_statx, dirfd, path, flags, mask, buf);
}

static void show(const char *what, int dirfd, const char *path, int flags, unsigned int mask)
{
	struct statx sx;
	memset(&sx, 0xa5, sizeof(sx));
	if (raw_statx(dirfd, path, flags, mask, &sx) < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: mask %#x attrs %#llx amask %#llx type %o perm %o nlink>0 %d", what,
	       sx.stx_mask, (unsigned long long)sx.stx_attributes,
	       (unsigned long long)sx.stx_attributes_mask, sx.stx_mode & S_IFMT,
	       sx.stx_mode & 07777, sx.stx_nlink > 0);
	if (sx.stx_mask & STATX_BTIME)
		printf(" btime<=mtime %d", sx.stx_btime.tv_sec <= sx.stx_mtime.tv_sec);
	if (!(sx.stx_mask & STATX_DIOALIGN))
		printf(" dio %u/%u", sx.stx_dio_mem_align, sx.stx_dio_offset_align);
	struct stat st;
	int r = (flags & AT_EMPTY_PATH) ? fstat(dirfd, &st)
					: fstatat(dirfd, path, &st, flags & AT_SYMLINK_NOFOLLOW);
	if (r == 0)
		printf(" same-as-stat %d",
		       sx.stx_ino == st.st_ino && sx.stx_dev_major == major(st.st_dev) &&
			       sx.stx_dev_minor == minor(st.st_dev) &&
			       sx.stx_rdev_major == major(st.st_rdev) &&
			       sx.stx_rdev_minor == minor(st.st_rdev) &&
			       (off_t)sx.stx_size == st.st_size && sx.stx_uid == st.st_uid &&
			       sx.stx_blocks == (unsigned long long)st.st_blocks);
	printf("\n");
}

static unsigned long long mnt_id(const char *path, unsigned int mask)
{
	struct statx sx = {0};
	if (raw_statx(AT_FDCWD, path, 0, mask, &sx) < 0)
		return 0;
	return sx.stx_mnt_id;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/dev/shm/statx.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 2;
	umask(022);
	int fd = open("f", O_CREAT | O_RDWR, 0640);
	if (fd < 0 || write(fd, "hello", 5) != 5)
		return 3;
	mkdir("d", 0755);
	symlink("f", "lnk");

	/* Masks, as coreutils' stat, ls and cp ask for them. */
	show("f mask 0", AT_FDCWD, "f", 0, 0);
	show("f basic", AT_FDCWD, "f", 0, STATX_BASIC_STATS);
	show("f all", AT_FDCWD, "f", 0, STATX_ALL);
	show("f btime", AT_FDCWD, "f", 0, STATX_BTIME);
	show("f mnt_id", AT_FDCWD, "f", 0, STATX_MNT_ID);
	show("f mnt_id_unique", AT_FDCWD, "f", 0, STATX_MNT_ID_UNIQUE);
	show("f dioalign", AT_FDCWD, "f", 0, STATX_DIOALIGN);
	show("f type|mode|ino", AT_FDCWD, "f", 0, STATX_TYPE | STATX_MODE | STATX_INO);
	show("f unknown bits", AT_FDCWD, "f", 0, 0x40000000);
	show("f reserved bit", AT_FDCWD, "f", 0, 0x80000000u);
	show("d all", AT_FDCWD, "d", 0, STATX_ALL);
	show("mount root", AT_FDCWD, "/dev/shm", 0, STATX_ALL | STATX_MNT_ID);
	show("proc", AT_FDCWD, "/proc", 0, STATX_ALL | STATX_MNT_ID);

	/* Flags. */
	show("sync as stat", AT_FDCWD, "f", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS);
	show("force sync", AT_FDCWD, "f", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS);
	show("dont sync", AT_FDCWD, "f", AT_STATX_DONT_SYNC, STATX_BASIC_STATS);
	show("force|dont sync", AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
	     STATX_BASIC_STATS);
	show("no automount", AT_FDCWD, "f", AT_NO_AUTOMOUNT, STATX_BASIC_STATS);
	show("lnk follow", AT_FDCWD, "lnk", 0, STATX_BASIC_STATS);
	show("lnk nofollow", AT_FDCWD, "lnk", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
	show("empty path fd", fd, "", AT_EMPTY_PATH, STATX_ALL);
	show("empty path no flag", fd, "", 0, STATX_ALL);
	show("empty path cwd", AT_FDCWD, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
	show("bad flag", AT_FDCWD, "f", 0x1, STATX_BASIC_STATS);
	show("bad dirfd", 999, "f", 0, STATX_BASIC_STATS);
	show("missing", AT_FDCWD, "nope", 0, STATX_BASIC_STATS);
	printf("bad buffer: %s\n",
	       raw_statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, (void *)8) < 0
		       ? strerrorname_np(errno)
		       : "ok");
	int p[2];
	if (pipe(p) == 0) {
		struct statx sx = {0};
		int r = (int)raw_statx(p[0], "", AT_EMPTY_PATH, STATX_ALL, &sx);
		printf("pipe: %d fifo %d mnt_id set %d\n", r, S_ISFIFO(sx.stx_mode),
		       (sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id != 0);
	}

	/* Mount ids: one per mount, the same for every file on it. */
	unsigned long long a = mnt_id("f", STATX_MNT_ID), b = mnt_id("d", STATX_MNT_ID),
			   c = mnt_id("/proc", STATX_MNT_ID);
	printf("mnt ids: same fs %d other fs differs %d nonzero %d\n", a == b, a != c, a != 0);

	unlink("lnk");
	unlink("f");
	rmdir("d");
	chdir("/");
	rmdir(dir);
	return 0;
}
