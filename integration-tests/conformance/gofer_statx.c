/* Conformance: statx(2) on a host directory (argv[1]; under visor the
 * gofer-backed root): what the host's file system keeps beyond a stat
 * (ext4: birth time, direct I/O alignment, its attribute bits, multigrain
 * times) shows as natively, for every mask coreutils asks with.  Never
 * inode numbers or times themselves. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void show(const char *what, int dirfd, const char *path, int flags, unsigned int mask)
{
	struct statx sx;
	memset(&sx, 0xa5, sizeof(sx));
	if (syscall(SYS_statx, dirfd, path, flags, mask, &sx) < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: mask %#x attrs %#llx amask %#llx type %o", what,
	       sx.stx_mask & ~0x5000u /* the mount ids, checked by statx.c */,
	       (unsigned long long)sx.stx_attributes, (unsigned long long)sx.stx_attributes_mask,
	       sx.stx_mode & S_IFMT);
	if (sx.stx_mask & STATX_BTIME)
		printf(" btime<=ctime %d", sx.stx_btime.tv_sec <= sx.stx_ctime.tv_sec ||
						   !(sx.stx_mask & STATX_CTIME));
	if (sx.stx_mask & STATX_DIOALIGN)
		printf(" dio %u/%u", sx.stx_dio_mem_align, sx.stx_dio_offset_align);
	if (!(sx.stx_mask & STATX_MTIME))
		printf(" mtime zero %d", sx.stx_mtime.tv_sec == 0 && sx.stx_mtime.tv_nsec == 0);
	struct stat st;
	int r = (flags & AT_EMPTY_PATH) ? fstat(dirfd, &st)
					: fstatat(dirfd, path, &st, flags & AT_SYMLINK_NOFOLLOW);
	if (r == 0)
		printf(" same-as-stat %d",
		       sx.stx_ino == st.st_ino && (off_t)sx.stx_size == st.st_size &&
			       sx.stx_nlink == st.st_nlink && sx.stx_uid == st.st_uid &&
			       (sx.stx_mode & 07777) == (st.st_mode & 07777));
	printf("\n");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	umask(022);
	int fd = open("f", O_CREAT | O_RDWR, 0640);
	if (fd < 0 || write(fd, "hello", 5) != 5)
		return 3;
	mkdir("d", 0755);
	symlink("f", "lnk");
	show("f mask 0", AT_FDCWD, "f", 0, 0);
	show("f basic", AT_FDCWD, "f", 0, STATX_BASIC_STATS);
	show("f all", AT_FDCWD, "f", 0, STATX_ALL);
	show("f btime", AT_FDCWD, "f", 0, STATX_BTIME);
	show("f type|mode", AT_FDCWD, "f", 0, STATX_TYPE | STATX_MODE);
	show("f dioalign", AT_FDCWD, "f", 0, STATX_DIOALIGN);
	show("f basic|btime|dioalign", AT_FDCWD, "f", 0,
	     STATX_BASIC_STATS | STATX_BTIME | STATX_DIOALIGN);
	show("f mask 0 again", AT_FDCWD, "f", 0, 0);
	show("d all", AT_FDCWD, "d", 0, STATX_ALL);
	show("d dioalign", AT_FDCWD, "d", 0, STATX_DIOALIGN);
	show("lnk nofollow", AT_FDCWD, "lnk", AT_SYMLINK_NOFOLLOW, STATX_ALL);
	show("lnk follow", AT_FDCWD, "lnk", 0, STATX_ALL);
	show("empty path fd", fd, "", AT_EMPTY_PATH, STATX_ALL);
	show("force sync", AT_FDCWD, "f", AT_STATX_FORCE_SYNC, STATX_ALL);
	show("dont sync", AT_FDCWD, "f", AT_STATX_DONT_SYNC, STATX_BASIC_STATS);
	return 0;
}
