/*
 * devfs.c — /dev: the Sentry's character devices and the /dev tree.
 *
 * The tree is a tmpfs (so the app can add nodes and links) populated at mount
 * with null zero full random urandom tty ptmx, the fd/stdin/stdout/stderr
 * links into /proc/self/fd, pts/ and empty shm/ and mqueue/ (the boot mount
 * list puts a tmpfs on /dev/shm).  The memory devices (1,3 to 1,9), /dev/tty
 * (5,0) and the console (136,0) are registered with the VFS, so a device
 * node on ANY file system opens them: the app only ever gets the Sentry's
 * devices, never the host's (devpts registers ptmx and the pty slaves).  pts/ holds the console as 0 and the slaves of the Sentry's
 * ptys (devpts.c adds and removes them, so the directory is not cached by
 * the VFS: its tmpfs entries are the truth).  Not implemented: /dev/console.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/tty.h"
#include "sentry/fs/devpts.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/vfs.h"


static int64_t dev_llseek_zero(struct file *f, int64_t off, int whence)
{
	/* As Linux null_lseek / noop on these devices: the position stays 0. */
	f->pos = 0;
	return 0;
}

static ssize_t null_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	return 0;
}

static ssize_t null_write(struct task *t, struct file *f, const void *buf, size_t len,
			  uint64_t *pos)
{
	return len;
}

static ssize_t zero_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	memset(buf, 0, len);
	return len;
}

static ssize_t full_write(struct task *t, struct file *f, const void *buf, size_t len,
			  uint64_t *pos)
{
	return len ? -ENOSPC : 0;
}

static ssize_t random_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -errno;
		}
		done += n;
	}
	return done;
}

/* /dev/zero private mappings are zero pages: the mm zero-fills past "EOF"
 * only for short reads, so give an effectively infinite size. */
static void zero_mmf_get(struct mm_file *m)
{
}
static void zero_mmf_put(struct mm_file *m)
{
}
static ssize_t zero_mmf_pread(struct mm_file *m, void *buf, size_t len, uint64_t off)
{
	memset(buf, 0, len);
	return len;
}
static int64_t zero_mmf_size(struct mm_file *m)
{
	return INT64_MAX;
}
static const struct mm_file_ops zero_mmf_ops = {
	.get = zero_mmf_get,
	.put = zero_mmf_put,
	.pread = zero_mmf_pread,
	.shared_page = NULL,
	.size = zero_mmf_size,
};
static struct mm_file zero_mmf = {.ops = &zero_mmf_ops, .name = "/dev/zero"};

static struct mm_file *zero_mmap(struct file *f)
{
	return &zero_mmf;
}

static const struct file_ops null_fops = {
	.read = null_read, .write = null_write, .llseek = dev_llseek_zero};
static const struct file_ops zero_fops = {
	.read = zero_read, .write = null_write, .llseek = dev_llseek_zero, .mmap = zero_mmap};
static const struct file_ops full_fops = {
	.read = zero_read, .write = full_write, .llseek = dev_llseek_zero};
static const struct file_ops random_fops = {
	.read = random_read, .write = null_write, .llseek = dev_llseek_zero};

/* /dev/tty: every operation goes to the controlling terminal's file. */
static struct file *ctty(struct file *f)
{
	return f->priv;
}
static ssize_t tty_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	return file_read(t, ctty(f), buf, len);
}
static ssize_t tty_write(struct task *t, struct file *f, const void *buf, size_t len,
			 uint64_t *pos)
{
	return file_write(t, ctty(f), buf, len);
}
static int64_t tty_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	return file_ioctl(t, ctty(f), cmd, arg);
}
static uint32_t tty_poll(struct file *f, struct poll_entry *pe)
{
	return file_poll(ctty(f), pe);
}
static void tty_release(struct file *f)
{
	file_put(ctty(f));
}
static const struct file_ops tty_fops = {
	.read = tty_read,
	.write = tty_write,
	.ioctl = tty_ioctl,
	.poll = tty_poll,
	.release = tty_release,
};

/* The sandbox's terminal (the host pty the runtime gave as stdio), shown as
 * /dev/pts/0 as in a fresh devpts instance under runc. */
static struct file *console;
static struct inode *console_node;

void devfs_set_console(struct file *f)
{
	file_get(f);
	if (console)
		file_put(console);
	console = f;
}

struct inode *devfs_console_node(void)
{
	return console_node;
}

/* 1,N: the memory devices. */
static int mem_open(struct task *t, struct inode *ino, struct file *f)
{
	switch (minor(ino->rdev)) {
	case 3:
		f->ops = &null_fops;
		return 0;
	case 5:
		f->ops = &zero_fops;
		return 0;
	case 7:
		f->ops = &full_fops;
		return 0;
	case 8:
	case 9:
		f->ops = &random_fops;
		return 0;
	}
	return -ENXIO;
}

/* A tty file that forwards everything to term (takes over its reference). */
static int tty_forward(struct file *f, struct file *term)
{
	if (!term)
		return -ENXIO;
	f->priv = term;
	f->ops = &tty_fops;
	f->stream = true;
	return 0;
}

/* 136,0: the console, as /dev/pts/0. */
static int console_open(struct task *t, struct inode *ino, struct file *f)
{
	if (console)
		file_get(console);
	return tty_forward(f, console);
}

/* 5,0: /dev/tty, the controlling terminal of the opener's session. */
static int ctty_open(struct task *t, struct inode *ino, struct file *f)
{
	const struct tty_kernel_ops *kops = t && t->k ? t->k->tty_kops : NULL;
	return tty_forward(f, kops ? kops->open_ctty(t) : NULL);
}

static int devfs_new(const char *source, const char *data, struct superblock **sbp,
		     struct dentry **rootp)
{
	struct superblock *sb;
	struct dentry *root;
	int r = tmpfs_new(0, 0755, &sb, &root);
	if (r < 0)
		return r;
	static const struct {
		const char *name;
		unsigned int maj, min;
	} devs[] = {
		{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
		{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}, {"ptmx", 5, 2},
	};
	static const struct {
		const char *name, *target;
	} links[] = {
		{"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"},
	};
	struct inode *dir = root->inode;
	for (size_t i = 0; r == 0 && i < sizeof(devs) / sizeof(devs[0]); i++)
		r = tmpfs_add_node(dir, devs[i].name, S_IFCHR | 0666,
				   makedev(devs[i].maj, devs[i].min), NULL, NULL);
	for (size_t i = 0; r == 0 && i < sizeof(links) / sizeof(links[0]); i++)
		r = tmpfs_add_node(dir, links[i].name, S_IFLNK | 0777, 0, links[i].target, NULL);
	struct inode *pts = NULL;
	if (r == 0)
		r = tmpfs_add_node(dir, "pts", S_IFDIR | 0755, 0, NULL, &pts);
	if (r == 0 && console) {
		struct inode *node = NULL;
		r = tmpfs_add_node(pts, "0", S_IFCHR | 0620, makedev(136, 0), NULL, &node);
		if (r == 0) {
			if (console_node)
				inode_put(console_node);
			console_node = node; /* keeps its reference */
		}
	}
	if (r == 0) {
		/* Slave nodes come and go with their masters (devpts.c). */
		pts->flags |= VFS_INODE_NOCACHE;
		devpts_set_dir(pts);
	}
	if (pts)
		inode_put(pts);
	if (r == 0)
		r = tmpfs_add_node(dir, "shm", S_IFDIR | 01777, 0, NULL, NULL);
	if (r == 0) /* where OCI runtimes mount mqueue */
		r = tmpfs_add_node(dir, "mqueue", S_IFDIR | 01777, 0, NULL, NULL);
	if (r < 0) {
		dentry_put(root);
		sb_put(sb);
		return r;
	}
	sb->fstype = "devtmpfs";
	*sbp = sb;
	*rootp = root;
	return 0;
}

int devfs_register(void)
{
	int r = vfs_register_fs("devtmpfs", devfs_new);
	if (r == 0)
		r = vfs_register_fs("dev", devfs_new);
	if (r == 0)
		r = vfs_register_chrdev(1, 3, 7, mem_open); /* null (3) to urandom (9) */
	if (r == 0)
		r = vfs_register_chrdev(5, 0, 1, ctty_open);
	if (r == 0)
		r = vfs_register_chrdev(136, 0, 1, console_open);
	return r;
}
