/*
 * sys_filecalls.c — getdents (the old linux_dirent), sync_file_range,
 * name_to_handle_at and open_by_handle_at.
 *
 * File handles: no file system of the Sentry exports handles (they would
 * have to survive the Gofer and the sandbox), so name_to_handle_at answers
 * EOPNOTSUPP once the path resolves, as Linux does for a file system
 * without export operations, and open_by_handle_at checks what Linux checks
 * and then answers ESTALE, as Linux does for a handle nothing decodes.
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

static int64_t sys_sync_file_range(struct task *t, const uint64_t a[6])
{
	int64_t off = (int64_t)a[1], n = (int64_t)a[2];
	unsigned int flags = (unsigned int)a[3];
	if (flags & ~SFR_VALID_FLAGS)
		return -EINVAL;
	int64_t end = (int64_t)((uint64_t)off + (uint64_t)n);
	if (off < 0 || end < 0 || end < off)
		return -EINVAL;
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = 0;
	if (file_get_flags(f) & O_PATH)
		r = -EBADF;
	else if (!f->inode || !(S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode) ||
				S_ISLNK(f->inode->mode) || S_ISBLK(f->inode->mode)))
		r = -ESPIPE;
	else if (flags & SFR_WRITE)
		/* Writing the range back: the whole file's data, which is
		 * more than asked and never less. */
		r = file_fsync(f, true);
	file_put(f);
	return r;
}

/* ---- file handles ---- */

#define MAX_HANDLE_SZ 128
#define AT_HANDLE_FID 0x200
#define AT_HANDLE_MNT_ID_UNIQUE 0x001

static int64_t sys_name_to_handle_at(struct task *t, const uint64_t a[6])
{
	int dirfd = (int)a[0];
	int flags = (int)a[4];
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID | AT_HANDLE_MNT_ID_UNIQUE))
		return -EINVAL;
	struct stat st;
	int sflags = (flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW;
	if (flags & AT_EMPTY_PATH)
		sflags |= AT_EMPTY_PATH;
	int r = statat_in(t, dirfd, a[1], sflags, &st);
	if (r < 0)
		return r;
	return -EOPNOTSUPP;
}

static int64_t sys_open_by_handle_at(struct task *t, const uint64_t a[6])
{
	int mountfd = (int)a[0];
	if (!creds_capable(t->creds, CAP_DAC_READ_SEARCH))
		return -EPERM;
	if (mountfd != AT_FDCWD) {
		struct file *f = get_file(t, mountfd);
		if (!f)
			return -EBADF;
		file_put(f);
	}
	struct {
		uint32_t handle_bytes;
		int32_t handle_type;
	} h;
	if (task_copy_in(t, &h, a[1], sizeof(h)))
		return -EFAULT;
	if (h.handle_bytes > MAX_HANDLE_SZ || h.handle_bytes == 0)
		return -EINVAL;
	if (h.handle_type < 0)
		return -EINVAL;
	return -ESTALE;
}

const struct syscall_def sys_filecalls_defs[] = {
	{SYS_getdents, "getdents", sys_getdents},
	{SYS_sync_file_range, "sync_file_range", sys_sync_file_range},
	{SYS_name_to_handle_at, "name_to_handle_at", sys_name_to_handle_at},
	{SYS_open_by_handle_at, "open_by_handle_at", sys_open_by_handle_at},
	{0},
};
