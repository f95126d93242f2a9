/*
 * cgroupfs.c — the sandbox's /sys/fs/cgroup: the "cgroup" and "cgroup2"
 * file systems as a container sees them under runc, showing the container's
 * own limits (sentry/kernel/limits.h) and usage.
 *
 * Layout: the host's (the app would find it so under runc here).  On a v1
 * host, one directory per hierarchy (blkio cpu cpuacct cpuset devices
 * freezer memory pids systemd), the limits in memory/ (limit_in_bytes,
 * memsw.limit_in_bytes, usage_in_bytes), pids/ (max, current) and cpu/
 * (cfs_quota_us, cfs_period_us, shares), cpuset/ (cpus, mems and their
 * effective_ twins); on a v2 host, memory.max, memory.swap.max,
 * memory.current, pids.max, pids.current, cpu.max, cpu.weight and
 * cpuset.{cpus,mems}.effective at the root.  /proc/PID/mountinfo lists each
 * v1 directory as a cgroup mount (proc_mounts.c).  Usage is the Sentry's: its memory file's pages
 * and its task count.  Read-only, as Docker mounts it.
 *
 * Never: reads the host's cgroup files (the jailed Sentry cannot; the
 * values are the ones the runtime handed over at boot or update).
 */
#include "sentry/fs/procfs.h"
#include "sentry/kernel/hostcpu.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/limits.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define CGROUPFS_V1_MAGIC 0x01021994 /* TMPFS_MAGIC: v1's /sys/fs/cgroup is a tmpfs */
/* v1's "no limit" for memory files: LONG_MAX rounded down to a page. */
#define CG_V1_MEM_UNLIMITED "9223372036854771712"

static bool host_v2;

/* The v1 hierarchies, numbered as on Debian 12's hosts (and in the order of
 * their ids), with the directories fill_v1 makes. */
static const struct cgroupfs_hier v1_hiers[] = {
    {"cpu", "cpu", 1},	     {"cpuacct", "cpuacct", 2}, {"cpuset", "cpuset", 3},
    {"memory", "memory", 4}, {"devices", "devices", 5}, {"freezer", "freezer", 6},
    {"blkio", "blkio", 7},   {"pids", "pids", 8},	{"systemd", "name=systemd", 9},
};

bool cgroupfs_host_v2(void)
{
	return host_v2;
}

int cgroupfs_v1_hierarchies(const struct cgroupfs_hier **out)
{
	if (host_v2)
		return 0;
	*out = v1_hiers;
	return (int)(sizeof(v1_hiers) / sizeof(v1_hiers[0]));
}

bool cgroupfs_is_v1_sb(const struct superblock *sb)
{
	/* Marked by cgroupfs_factory: a real tmpfs has the same type and magic. */
	return !host_v2 && sb->priv == (void *)v1_hiers;
}

enum cg_item {
	CG_MEM_LIMIT,
	CG_MEMSW_LIMIT,
	CG_MEM_USAGE,
	CG_PIDS_MAX,
	CG_PIDS_CURRENT,
	CG_CPU_QUOTA,
	CG_CPU_PERIOD,
	CG_CPU_SHARES,
	CG_V2_MEM_MAX,
	CG_V2_SWAP_MAX,
	CG_V2_CPU_MAX,
	CG_V2_CPU_WEIGHT,
	CG_CPUSET_CPUS,
	CG_CPUSET_MEMS,
};

/* The CPUs the sandbox runs on, as a cpuset list ("0-1,4"): the Sentry's
 * affinity at boot (hostcpu.h: a Sentry thread's own may be one CPU, the
 * platform's choice), which the container's cpuset (--cpuset-cpus) bounds. */
static void cpu_list(char *b, size_t n)
{
	unsigned bytes;
	const uint64_t *mask = hostcpu_mask(&bytes);
	size_t at = 0;
	int ncpu = (int)bytes * 8;
	b[0] = 0;
	for (int c = 0; c < ncpu && at + 24 < n;) {
		if (!(mask[c / 64] >> (c % 64) & 1)) {
			c++;
			continue;
		}
		int e = c;
		while (e + 1 < ncpu && (mask[(e + 1) / 64] >> ((e + 1) % 64) & 1))
			e++;
		at += (size_t)snprintf(b + at, n - at, e > c ? "%s%d-%d" : "%s%d", at ? "," : "", c,
				       e);
		c = e + 1;
	}
	if (!b[0])
		snprintf(b, n, "0");
	at = strlen(b);
	snprintf(b + at, n - at, "\n");
}

static char *gen_item(struct task *t, void *arg, size_t *len)
{
	struct sandbox_limits l;
	limits_get(&l);
	int64_t period = l.cpu_period > 0 ? l.cpu_period : 100000;
	char b[96];
	switch ((enum cg_item)(intptr_t)arg) {
	case CG_MEM_LIMIT:
		if (l.memory > 0)
			snprintf(b, sizeof(b), "%" PRId64 "\n", l.memory);
		else
			snprintf(b, sizeof(b), CG_V1_MEM_UNLIMITED "\n");
		break;
	case CG_MEMSW_LIMIT:
		if (l.memory_swap > 0)
			snprintf(b, sizeof(b), "%" PRId64 "\n", l.memory_swap);
		else
			snprintf(b, sizeof(b), CG_V1_MEM_UNLIMITED "\n");
		break;
	case CG_MEM_USAGE:
		snprintf(b, sizeof(b), "%" PRIu64 "\n", memfile_used(t->k->mf));
		break;
	case CG_PIDS_MAX:
		if (l.pids > 0)
			snprintf(b, sizeof(b), "%" PRId64 "\n", l.pids);
		else
			snprintf(b, sizeof(b), "max\n");
		break;
	case CG_PIDS_CURRENT:
		snprintf(b, sizeof(b), "%d\n", kernel_nr_tasks(t->k));
		break;
	case CG_CPU_QUOTA:
		snprintf(b, sizeof(b), "%" PRId64 "\n", l.cpu_quota > 0 ? l.cpu_quota : -1);
		break;
	case CG_CPU_PERIOD:
		snprintf(b, sizeof(b), "%" PRId64 "\n", period);
		break;
	case CG_CPU_SHARES:
		snprintf(b, sizeof(b), "%" PRId64 "\n", l.cpu_shares > 0 ? l.cpu_shares : 1024);
		break;
	case CG_V2_MEM_MAX:
		if (l.memory > 0)
			snprintf(b, sizeof(b), "%" PRId64 "\n", l.memory);
		else
			snprintf(b, sizeof(b), "max\n");
		break;
	case CG_V2_SWAP_MAX:
		/* v2 counts swap alone: memory+swap minus memory. */
		if (l.memory_swap > 0 && l.memory > 0 && l.memory_swap >= l.memory)
			snprintf(b, sizeof(b), "%" PRId64 "\n", l.memory_swap - l.memory);
		else
			snprintf(b, sizeof(b), "max\n");
		break;
	case CG_V2_CPU_MAX:
		if (l.cpu_quota > 0)
			snprintf(b, sizeof(b), "%" PRId64 " %" PRId64 "\n", l.cpu_quota, period);
		else
			snprintf(b, sizeof(b), "max %" PRId64 "\n", period);
		break;
	case CG_V2_CPU_WEIGHT: {
		/* runc's conversion of shares to weight. */
		int64_t s = l.cpu_shares > 0 ? l.cpu_shares : 1024;
		if (s < 2)
			s = 2;
		int64_t w = 1 + ((s - 2) * 9999) / 262142;
		snprintf(b, sizeof(b), "%" PRId64 "\n", w > 10000 ? 10000 : w);
		break;
	}
	case CG_CPUSET_CPUS:
		cpu_list(b, sizeof(b));
		break;
	case CG_CPUSET_MEMS:
		snprintf(b, sizeof(b), "0\n"); /* one memory node, as sysfs shows */
		break;
	default:
		b[0] = 0;
	}
	*len = strlen(b);
	return strdup(b);
}

static int add_item(struct superblock *sb, struct inode *dir, const char *name, enum cg_item item)
{
	struct inode *f = vfs_synth_file_new(sb, S_IFREG | 0444, gen_item, (void *)(intptr_t)item,
					     NULL);
	if (!f)
		return -ENOMEM;
	return vfs_synth_dir_add(dir, name, f);
}

static int add_subdir(struct superblock *sb, struct inode *parent, const char *name,
		      struct inode **out)
{
	struct inode *d = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	if (!d)
		return -ENOMEM;
	if (out) {
		inode_get(d);
		*out = d;
	}
	return vfs_synth_dir_add(parent, name, d);
}

static int fill_v1(struct superblock *sb, struct inode *root)
{
	static const char *const empty[] = {"blkio", "cpuacct", "devices", "freezer", "systemd"};
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof(empty) / sizeof(empty[0]); i++)
		r = add_subdir(sb, root, empty[i], NULL);
	struct inode *mem = NULL, *pids = NULL, *cpu = NULL, *cpuset = NULL;
	if (r == 0)
		r = add_subdir(sb, root, "cpuset", &cpuset);
	if (r == 0)
		r = add_item(sb, cpuset, "cpuset.cpus", CG_CPUSET_CPUS);
	if (r == 0)
		r = add_item(sb, cpuset, "cpuset.effective_cpus", CG_CPUSET_CPUS);
	if (r == 0)
		r = add_item(sb, cpuset, "cpuset.mems", CG_CPUSET_MEMS);
	if (r == 0)
		r = add_item(sb, cpuset, "cpuset.effective_mems", CG_CPUSET_MEMS);
	if (r == 0)
		r = add_subdir(sb, root, "memory", &mem);
	if (r == 0)
		r = add_item(sb, mem, "memory.limit_in_bytes", CG_MEM_LIMIT);
	if (r == 0)
		r = add_item(sb, mem, "memory.memsw.limit_in_bytes", CG_MEMSW_LIMIT);
	if (r == 0)
		r = add_item(sb, mem, "memory.usage_in_bytes", CG_MEM_USAGE);
	if (r == 0)
		r = add_subdir(sb, root, "pids", &pids);
	if (r == 0)
		r = add_item(sb, pids, "pids.max", CG_PIDS_MAX);
	if (r == 0)
		r = add_item(sb, pids, "pids.current", CG_PIDS_CURRENT);
	if (r == 0)
		r = add_subdir(sb, root, "cpu", &cpu);
	if (r == 0)
		r = add_item(sb, cpu, "cpu.cfs_quota_us", CG_CPU_QUOTA);
	if (r == 0)
		r = add_item(sb, cpu, "cpu.cfs_period_us", CG_CPU_PERIOD);
	if (r == 0)
		r = add_item(sb, cpu, "cpu.shares", CG_CPU_SHARES);
	struct inode *held[] = {mem, pids, cpu, cpuset};
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (held[i])
			inode_put(held[i]);
	return r;
}

static int fill_v2(struct superblock *sb, struct inode *root)
{
	static const struct {
		const char *name;
		enum cg_item item;
	} files[] = {
		{"memory.max", CG_V2_MEM_MAX},	 {"memory.swap.max", CG_V2_SWAP_MAX},
		{"memory.current", CG_MEM_USAGE}, {"pids.max", CG_PIDS_MAX},
		{"pids.current", CG_PIDS_CURRENT}, {"cpu.max", CG_V2_CPU_MAX},
		{"cpu.weight", CG_V2_CPU_WEIGHT},
		{"cpuset.cpus.effective", CG_CPUSET_CPUS}, {"cpuset.mems.effective", CG_CPUSET_MEMS},
	};
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof(files) / sizeof(files[0]); i++)
		r = add_item(sb, root, files[i].name, files[i].item);
	return r;
}

static int cgroupfs_factory(const char *source, const char *data, struct superblock **sbp,
			    struct dentry **rootp)
{
	struct superblock *sb = vfs_synth_sb_new(host_v2 ? "cgroup2" : "tmpfs",
						 host_v2 ? CGROUP2_SUPER_MAGIC : CGROUPFS_V1_MAGIC);
	if (!sb)
		return -ENOMEM;
	if (!host_v2)
		sb->priv = (void *)v1_hiers; /* cgroupfs_is_v1_sb's mark */
	struct inode *root = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	if (!root) {
		sb_put(sb);
		return -ENOMEM;
	}
	int r = host_v2 ? fill_v2(sb, root) : fill_v1(sb, root);
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

int cgroupfs_init(void)
{
	/* Before the jail: the host's layout is the one the app expects. */
	struct statfs sf;
	host_v2 = statfs("/sys/fs/cgroup", &sf) == 0 &&
		  (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC;
	int r = vfs_register_fs("cgroup", cgroupfs_factory);
	if (r == 0)
		r = vfs_register_fs("cgroup2", cgroupfs_factory);
	return r;
}
