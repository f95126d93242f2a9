/*
 * sysfs.c — the small /sys that programs read, plus the mount types Docker
 * always asks for (mqueue, cgroup) as the Sentry's own.
 *
 * sysfs: devices/system/cpu/{online,possible,present} (glibc's get_nprocs
 * and the Go and Java runtimes read them), and empty kernel/, class/, bus/
 * and fs/cgroup/ directories.  mqueue: a tmpfs (POSIX message queues are not
 * implemented: mq_open returns ENOSYS).  cgroup/cgroup2: an empty read-only
 * directory: the sandbox's limits are applied on the host side.  maskfile:
 * the empty read-only file that covers a masked path (OCI maskedPaths).  Host facts
 * are captured before the jail (sysfs_init).
 */
#include "sentry/fs/procfs.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSFS_MAGIC 0x62656572
#define CGROUP2_SUPER_MAGIC 0x63677270

static long host_ncpu = 1;

static char *gen_cpu_range(struct task *t, void *arg, size_t *len)
{
	char *s = NULL;
	int n = host_ncpu > 1 ? asprintf(&s, "0-%ld\n", host_ncpu - 1) : asprintf(&s, "0\n");
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

static int add_dir(struct superblock *sb, struct inode *parent, const char *name,
		   struct inode **out)
{
	struct inode *d = vfs_synth_dir_new(sb, S_IFDIR | 0755, NULL, NULL, NULL, NULL);
	if (!d)
		return -ENOMEM;
	if (out) {
		inode_get(d);
		*out = d;
	}
	return vfs_synth_dir_add(parent, name, d);
}

/* Wrap a root inode into the dentry a factory returns. */
static int finish(struct superblock *sb, struct inode *root, int r, struct superblock **sbp,
		  struct dentry **rootp)
{
	if (r == 0) {
		struct dentry *d = dentry_new(NULL, "/", root);
		if (d) {
			inode_put(root);
			*sbp = sb;
			*rootp = d;
			return 0;
		}
		r = -ENOMEM;
	}
	inode_put(root);
	sb_put(sb);
	return r;
}

static int sysfs_factory(const char *source, const char *data, struct superblock **sbp,
			 struct dentry **rootp)
{
	struct superblock *sb = vfs_synth_sb_new("sysfs", SYSFS_MAGIC);
	if (!sb)
		return -ENOMEM;
	struct inode *root = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	if (!root) {
		sb_put(sb);
		return -ENOMEM;
	}
	struct inode *devices = NULL, *system = NULL, *cpu = NULL, *fs = NULL;
	int r = add_dir(sb, root, "devices", &devices);
	if (r == 0)
		r = add_dir(sb, devices, "system", &system);
	if (r == 0)
		r = add_dir(sb, system, "cpu", &cpu);
	static const char *const ranges[] = {"online", "possible", "present"};
	for (size_t i = 0; r == 0 && i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		struct inode *f = vfs_synth_file_new(sb, S_IFREG | 0444, gen_cpu_range, NULL, NULL);
		r = f ? vfs_synth_dir_add(cpu, ranges[i], f) : -ENOMEM;
	}
	static const char *const empty[] = {"kernel", "class", "bus", "block", "module"};
	for (size_t i = 0; r == 0 && i < sizeof(empty) / sizeof(empty[0]); i++)
		r = add_dir(sb, root, empty[i], NULL);
	if (r == 0)
		r = add_dir(sb, root, "fs", &fs);
	if (r == 0)
		r = add_dir(sb, fs, "cgroup", NULL);
	struct inode *held[] = {devices, system, cpu, fs};
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (held[i])
			inode_put(held[i]);
	return finish(sb, root, r, sbp, rootp);
}

static int mqueue_factory(const char *source, const char *data, struct superblock **sbp,
			  struct dentry **rootp)
{
	return tmpfs_new(0, 01777, sbp, rootp);
}

static int cgroup_factory(const char *source, const char *data, struct superblock **sbp,
			  struct dentry **rootp)
{
	struct superblock *sb = vfs_synth_sb_new("cgroup2", CGROUP2_SUPER_MAGIC);
	if (!sb)
		return -ENOMEM;
	struct inode *root = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	if (!root) {
		sb_put(sb);
		return -ENOMEM;
	}
	return finish(sb, root, 0, sbp, rootp);
}

static char *gen_empty(struct task *t, void *arg, size_t *len)
{
	*len = 0;
	return calloc(1, 1);
}

/* OCI maskedPaths over a file: an empty read-only file (runc binds
 * /dev/null there). */
static int maskfile_factory(const char *source, const char *data, struct superblock **sbp,
			    struct dentry **rootp)
{
	struct superblock *sb = vfs_synth_sb_new("tmpfs", 0x01021994);
	if (!sb)
		return -ENOMEM;
	struct inode *f = vfs_synth_file_new(sb, S_IFREG | 0444, gen_empty, NULL, NULL);
	if (!f) {
		sb_put(sb);
		return -ENOMEM;
	}
	return finish(sb, f, 0, sbp, rootp);
}

int sysfs_init(void)
{
	host_ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (host_ncpu < 1)
		host_ncpu = 1;
	int r = vfs_register_fs("sysfs", sysfs_factory);
	if (r == 0)
		r = vfs_register_fs("mqueue", mqueue_factory);
	if (r == 0)
		r = vfs_register_fs("cgroup", cgroup_factory);
	if (r == 0)
		r = vfs_register_fs("cgroup2", cgroup_factory);
	if (r == 0)
		r = vfs_register_fs("maskfile", maskfile_factory);
	return r;
}
