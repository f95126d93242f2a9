/*
 * sys_filecalls.c — getdents, the old linux_dirent form of getdents64
 * (sys_dir.c).  sync_file_range is sys_rw.c's, the file-handle calls
 * sys_fd.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

/* ---- getdents ---- */

struct old_dents_ctx {
	struct dir_ctx ctx;
	char *buf;
	size_t size, used;
	bool full;
};

static int old_dents_emit(struct dir_ctx *c, const char *name, size_t namelen, uint64_t ino,
			  unsigned int type, uint64_t next_pos)
{
	struct old_dents_ctx *d = (struct old_dents_ctx *)c;
	/* struct linux_dirent: ino, off, reclen, name, NUL, then the type in
	 * the record's last byte; 8-aligned. */
	size_t reclen = (18 + namelen + 2 + 7) & ~(size_t)7;
	if (d->used + reclen > d->size) {
		d->full = true;
		return 1;
	}
	char *r = d->buf + d->used;
	memset(r, 0, reclen);
	uint16_t rl = (uint16_t)reclen;
	memcpy(r, &ino, 8);
	memcpy(r + 8, &next_pos, 8);
	memcpy(r + 16, &rl, 2);
	memcpy(r + 18, name, namelen);
	r[reclen - 1] = (char)type;
	d->used += reclen;
	return 0;
}

static int64_t sys_getdents(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r;
	size_t count = (size_t)(unsigned int)a[2];
	if (file_get_flags(f) & O_PATH) {
		r = -EBADF;
	} else if (!f->ops->readdir) {
		r = -ENOTDIR;
	} else {
		if (count > RW_CHUNK)
			count = RW_CHUNK;
		struct old_dents_ctx d = {.ctx.emit = old_dents_emit, .size = count};
		d.buf = malloc(count ? count : 1);
		if (!d.buf) {
			r = -ENOMEM;
		} else {
			vmutex_lock(&f->pos_lock);
			d.ctx.pos = f->pos;
			r = f->ops->readdir(t, f, &d.ctx);
			if (r == 0)
				f->pos = d.ctx.pos;
			vmutex_unlock(&f->pos_lock);
			if (r == 0) {
				if (d.used == 0 && d.full)
					r = -EINVAL; /* not even one entry fitted */
				else if (d.used && task_copy_out(t, a[1], d.buf, d.used) < 0)
					r = -EFAULT;
				else
					r = (int64_t)d.used;
			}
			free(d.buf);
		}
	}
	if (r > 0 && f->inode)
		inode_touch(f->inode, VFS_TOUCH_A);
	file_put(f);
	return r;
}

/* ---- sync_file_range ---- */

#define SFR_VALID_FLAGS 0x7 /* WAIT_BEFORE, WRITE, WAIT_AFTER */
#define SFR_WRITE 0x2

/* ---- file handles ---- */


const struct syscall_def sys_filecalls_defs[] = {
	{SYS_getdents, "getdents", sys_getdents},
	{0},
};
