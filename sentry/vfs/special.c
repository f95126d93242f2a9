/*
 * special.c — what opening a special inode means: the registry of special
 * file types (FIFOs, sockets) and of character devices.
 *
 * The VFS names no file system or device.  A FIFO opens as a Sentry pipe, a
 * character device node as the Sentry's own device and a socket node (next)
 * as a Sentry socket, whichever file system holds the node: the layers
 * above register how (pipes register S_IFIFO, devfs and devpts register
 * their device numbers), and inode_new sets the inode's special ops from
 * here, as Linux's init_special_inode.  A type or device nobody registered
 * opens with -ENXIO, as Linux's no_open and chrdev_open.
 *
 * Registration happens at boot (and in unit tests' set-up), before the
 * inodes that use it are opened; the tables are read without a lock after
 * that except for the character-device list, which is short and locked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/lockdep.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---- character devices ---- */

struct chrdev {
	unsigned int major, minor, count;
	vfs_open_fn open;
};
#define CHRDEV_MAX 32
static struct chrdev chrdevs[CHRDEV_MAX];
static int nchrdevs;
static struct vmutex chrdev_lock = VMUTEX_INITIALIZER(LOCK_CLASS(CHRDEVS));

int vfs_register_chrdev(unsigned int major, unsigned int minor, unsigned int count,
			vfs_open_fn open)
{
	if (!count || !open || minor + count < minor)
		return -EINVAL;
	int r = -ENOSPC;
	vmutex_lock(&chrdev_lock);
	/* The same range again replaces its driver (set-up may run twice). */
	for (int i = 0; i < nchrdevs; i++) {
		struct chrdev *c = &chrdevs[i];
		if (c->major == major && c->minor == minor && c->count == count) {
			c->open = open;
			r = 0;
			goto out;
		}
		if (c->major == major && minor < c->minor + c->count && c->minor < minor + count) {
			r = -EBUSY;
			goto out;
		}
	}
	if (nchrdevs < CHRDEV_MAX) {
		chrdevs[nchrdevs++] = (struct chrdev){major, minor, count, open};
		r = 0;
	}
out:
	vmutex_unlock(&chrdev_lock);
	return r;
}

static int chrdev_open(struct task *t, struct inode *ino, struct file *f)
{
	unsigned int maj = major(ino->rdev), min = minor(ino->rdev);
	vfs_open_fn open = NULL;
	vmutex_lock(&chrdev_lock);
	for (int i = 0; i < nchrdevs; i++) {
		const struct chrdev *c = &chrdevs[i];
		if (c->major == maj && min >= c->minor && min - c->minor < c->count) {
			open = c->open;
			break;
		}
	}
	vmutex_unlock(&chrdev_lock);
	return open ? open(t, ino, f) : -ENXIO;
}

/* ---- special file types ---- */

static const struct inode_special_ops no_open_ops = {0};
static const struct inode_special_ops chrdev_ops = {.open = chrdev_open};

#define TYPE_SLOT(type) (((type) & S_IFMT) >> 12)
static _Atomic(const struct inode_special_ops *) special[16] = {
	[TYPE_SLOT(S_IFCHR)] = &chrdev_ops,
	[TYPE_SLOT(S_IFBLK)] = &no_open_ops,
	[TYPE_SLOT(S_IFIFO)] = &no_open_ops,
	[TYPE_SLOT(S_IFSOCK)] = &no_open_ops,
};

int vfs_register_special(uint32_t type, const struct inode_special_ops *ops)
{
	type &= S_IFMT;
	/* Character devices register by number; regular files, directories
	 * and symlinks are their file system's. */
	if (!ops || (type != S_IFIFO && type != S_IFSOCK && type != S_IFBLK))
		return -EINVAL;
	atomic_store(&special[TYPE_SLOT(type)], ops);
	return 0;
}

const struct inode_special_ops *vfs_special_ops(uint32_t mode)
{
	return atomic_load(&special[TYPE_SLOT(mode)]);
}
