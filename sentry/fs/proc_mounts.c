/*
 * proc_mounts.c — /proc/PID/mountinfo, /proc/PID/cgroup and /proc/cgroups.
 *
 * mountinfo: the mount table seen from the reader's root, one line per
 * mount in proc_pid_mountinfo(5)'s format (mount id, parent id,
 * major:minor, root within the file system, mount point, options, "-",
 * type, source, super options), paths escaped as Linux's show_mountinfo
 * does (space, tab, newline and backslash as \ooo).  The Sentry's
 * /sys/fs/cgroup on a v1 host is one file system holding a directory per
 * hierarchy (cgroupfs.c); under runc each of those is a mount of type
 * "cgroup" whose super options name its controllers, so each is listed
 * that way below the tmpfs, as runc's container shows them.
 *
 * cgroup and cgroups: the container is the root of every hierarchy it
 * sees ("ID:CONTROLLERS:/" on v1, "0::/" on v2), as with Docker's private
 * cgroup namespace, and /proc/cgroups numbers the v1 hierarchies as the
 * cgroup lines do.  JVMs (CgroupSubsystemFactory), .NET and Go's
 * GOMAXPROCS read these three files to find the container's limits.
 *
 * Never: reads the host's files (the values come from cgroupfs.c's layout).
 */
#include "sentry/fs/procfs.h"
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/vfs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* Show_mountinfo's mangle(): " \t\n\\" as octal escapes. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
}

/* The mount's root within its file system: the names from m->root up to
 * the superblock's root (vfs_tree_lock held by vfs_for_each_mount). */
static void put_mount_root(FILE *f, const struct vfs_mount *m)
{
	const char *names[64];
	int n = 0;
	for (const struct dentry *d = m->root; d && d->parent && n < 64; d = d->parent)
		names[n++] = d->name;
	if (n == 0) {
		fputc('/', f);
		return;
	}
	while (n-- > 0) {
		fputc('/', f);
		put_escaped(f, names[n]);
	}
}

void proc_mount_options(int flags, char *buf, size_t len)
{
	/* As show_mnt_opts: ro/rw, the per-mount flags, and the atime mode
	 * (relatime, Linux's default for every mount). */
	snprintf(buf, len, "%s%s%s%s,relatime", (flags & VFS_MNT_RDONLY) ? "ro" : "rw",
		 (flags & VFS_MNT_NOSUID) ? ",nosuid" : "", (flags & VFS_MNT_NODEV) ? ",nodev" : "",
		 (flags & VFS_MNT_NOEXEC) ? ",noexec" : "");
}

struct mountinfo_walk {
	FILE *f;
};

static void mountinfo_line(struct vfs_mount *m, const char *path, void *arg)
{
	struct mountinfo_walk *w = arg;
	FILE *f = w->f;
	const char *fstype = m->sb && m->sb->fstype ? m->sb->fstype : "none";
	const char *ro = (m->flags & VFS_MNT_RDONLY) ? "ro" : "rw";
	char opts[64];
	proc_mount_options(m->flags, opts, sizeof(opts));
	uint64_t dev = m->sb ? m->sb->dev : 0;
	uint64_t parent = m->parent ? m->parent->id : m->id;
	fprintf(f, "%llu %llu %u:%u ", (unsigned long long)m->id, (unsigned long long)parent,
		major(dev), minor(dev));
	put_mount_root(f, m);
	fputc(' ', f);
	put_escaped(f, path);
	fprintf(f, " %s - %s ", opts, fstype);
	put_escaped(f, m->source ? m->source : fstype);
	fprintf(f, " %s\n", ro);
	if (!m->sb || !cgroupfs_is_v1_sb(m->sb))
		return;
	/* Each v1 hierarchy, as the cgroup mount runc makes of it. */
	const struct cgroupfs_hier *h;
	int nh = cgroupfs_v1_hierarchies(&h);
	for (int i = 0; i < nh; i++) {
		/* Ids no real mount takes: above 2^32, per mount and hierarchy. */
		uint64_t id = (1ULL << 32) + m->id * 16 + (uint64_t)i;
		fprintf(f, "%llu %llu %u:%u / ", (unsigned long long)id, (unsigned long long)m->id,
			major(dev), minor(dev));
		put_escaped(f, path);
		fprintf(f, "/%s %s,nosuid,nodev,noexec,relatime - cgroup cgroup %s,%s\n", h[i].dir, ro,
			ro, h[i].controllers);
	}
}

static char *stream_done(FILE *f, char **buf, size_t *size, size_t *len)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	*len = *size;
	return *buf;
}

char *proc_gen_mountinfo(struct task *t, void *arg, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	struct vfs_path root;
	fs_context_root(t->fs, &root);
	struct mountinfo_walk w = {f};
	vfs_for_each_mount(&root, mountinfo_line, &w);
	path_put(&root);
	return stream_done(f, &buf, &size, len);
}

char *proc_gen_pid_cgroup(struct task *t, void *arg, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	if (cgroupfs_host_v2()) {
		fputs("0::/\n", f);
	} else {
		/* Highest hierarchy first, as Linux's proc_cgroup_show walks them. */
		const struct cgroupfs_hier *h;
		int nh = cgroupfs_v1_hierarchies(&h);
		for (int i = nh - 1; i >= 0; i--)
			fprintf(f, "%d:%s:/\n", h[i].id, h[i].controllers);
	}
	return stream_done(f, &buf, &size, len);
}

char *proc_gen_cgroups(struct task *t, void *arg, size_t *len)
{
	/* Linux's order (the subsystems as compiled in); the hierarchy is 0
	 * for a controller no v1 hierarchy has (all of them on v2). */
	static const char *const subsys[] = {"cpuset",	   "cpu",      "cpuacct", "blkio",
					     "memory",	   "devices",  "freezer", "net_cls",
					     "perf_event", "net_prio", "hugetlb", "pids"};
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	const struct cgroupfs_hier *h;
	int nh = cgroupfs_host_v2() ? 0 : cgroupfs_v1_hierarchies(&h);
	fputs("#subsys_name\thierarchy\tnum_cgroups\tenabled\n", f);
	for (size_t i = 0; i < sizeof(subsys) / sizeof(subsys[0]); i++) {
		int id = 0;
		for (int j = 0; j < nh && !id; j++)
			if (!strcmp(h[j].controllers, subsys[i]))
				id = h[j].id;
		fprintf(f, "%s\t%d\t1\t1\n", subsys[i], id);
	}
	return stream_done(f, &buf, &size, len);
}
