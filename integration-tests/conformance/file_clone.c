/* The reflink ioctls where no file system shares extents (ext4, tmpfs,
 * overlayfs): FICLONE, FICLONERANGE and FIDEDUPERANGE check their
 * arguments as Linux does and end in EOPNOTSUPP, so cp --reflink=always
 * says "Operation not supported" and --reflink=auto falls back to a copy;
 * FIONREAD on a regular file gives the bytes past the offset. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FICLONE_ 0x40049409UL
#define FICLONERANGE_ 0x4020940dUL
#define FIDEDUPERANGE_ 0xc0189436UL

static void show(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char a[256], b[256];
	snprintf(a, sizeof(a), "%s/clone_a", dir);
	snprintf(b, sizeof(b), "%s/clone_b", dir);
	int fa = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int fb = open(b, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fa < 0 || fb < 0) {
		perror("open");
		return 1;
	}
	write(fa, "0123456789", 10);
	int ro = open(a, O_RDONLY), wo = open(a, O_WRONLY), ap = open(b, O_WRONLY | O_APPEND);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	int p[2];
	pipe(p);
	show("FICLONE", ioctl(fb, FICLONE_, fa));
	show("FICLONE bad fd", ioctl(fb, FICLONE_, 999));
	show("FICLONE src write-only", ioctl(fb, FICLONE_, wo));
	show("FICLONE dst read-only", ioctl(ro, FICLONE_, fa));
	show("FICLONE dst O_APPEND", ioctl(ap, FICLONE_, fa));
	show("FICLONE src dir", ioctl(fb, FICLONE_, d));
	show("FICLONE src pipe", ioctl(fb, FICLONE_, p[0]));
	show("FICLONE dst pipe", ioctl(p[1], FICLONE_, fa));
	struct {
		int64_t src_fd;
		uint64_t off, len, dst_off;
	} range = {fa, 0, 4096, 0};
	show("FICLONERANGE", ioctl(fb, FICLONERANGE_, &range));
	range.src_fd = -1;
	show("FICLONERANGE bad fd", ioctl(fb, FICLONERANGE_, &range));
	show("FICLONERANGE bad pointer", ioctl(fb, FICLONERANGE_, (void *)8));
	struct {
		uint64_t off, len;
		uint16_t count, r1;
		uint32_t r2;
		struct {
			int64_t fd;
			uint64_t off, bytes;
			int32_t status;
			uint32_t reserved;
		} info[1];
	} dd = {0, 10, 1, 0, 0, {{fb, 0, 0, 0, 0}}};
	show("FIDEDUPERANGE", ioctl(fa, FIDEDUPERANGE_, &dd));
	dd.r2 = 1;
	show("FIDEDUPERANGE reserved", ioctl(fa, FIDEDUPERANGE_, &dd));
	dd.r2 = 0;
	dd.count = 200;
	show("FIDEDUPERANGE too many", ioctl(fa, FIDEDUPERANGE_, &dd));
	dd.count = 1;
	show("FIDEDUPERANGE on a dir", ioctl(d, FIDEDUPERANGE_, &dd));
	int n = -1;
	lseek(fa, 3, SEEK_SET);
	show("FIONREAD regular", ioctl(fa, FIONREAD, &n));
	printf("  bytes %d\n", n);
	lseek(fa, 20, SEEK_SET);
	ioctl(fa, FIONREAD, &n);
	printf("  past the end %d\n", n);
	show("FIONREAD dir", ioctl(d, FIONREAD, &n));
	unlink(a);
	unlink(b);
	return 0;
}
