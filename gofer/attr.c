/*
 * attr.c — the host file's attributes for the Gofer's replies: the stat
 * every walk, create and getattr returns, and what statx(2) adds to it
 * (birth time, attribute bits, direct I/O alignment).  Reads only.
 */
#include "gofer/attr.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

void gofer_put_stat(struct gofer_cursor *c, const struct stat *st)
{
	gofer_put_u64(c, st->st_dev);
	gofer_put_u64(c, st->st_ino);
	gofer_put_u64(c, st->st_nlink);
	gofer_put_u64(c, (uint64_t)st->st_size);
	gofer_put_u64(c, (uint64_t)st->st_blocks);
	gofer_put_u64(c, st->st_rdev);
	gofer_put_u32(c, st->st_mode);
	gofer_put_u32(c, st->st_uid);
	gofer_put_u32(c, st->st_gid);
	gofer_put_u32(c, (uint32_t)st->st_blksize);
	gofer_put_u64(c, (uint64_t)st->st_atim.tv_sec);
	gofer_put_u64(c, (uint64_t)st->st_mtim.tv_sec);
	gofer_put_u64(c, (uint64_t)st->st_ctim.tv_sec);
	gofer_put_u32(c, (uint32_t)st->st_atim.tv_nsec);
	gofer_put_u32(c, (uint32_t)st->st_mtim.tv_nsec);
	gofer_put_u32(c, (uint32_t)st->st_ctim.tv_nsec);
}

int gofer_statx_reply(int fd, uint32_t mask, struct gofer_cursor *rep)
{
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, mask, &sx) < 0)
		return -errno;
	gofer_put_u32(rep, sx.stx_mask);
	gofer_put_u64(rep, sx.stx_attributes);
	gofer_put_u64(rep, sx.stx_attributes_mask);
	gofer_put_u64(rep, (uint64_t)sx.stx_btime.tv_sec);
	gofer_put_u32(rep, sx.stx_btime.tv_nsec);
	gofer_put_u32(rep, sx.stx_dio_mem_align);
	gofer_put_u32(rep, sx.stx_dio_offset_align);
	return 0;
}
