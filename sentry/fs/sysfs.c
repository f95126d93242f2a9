/*
 * sysfs.c — the small /sys that programs read, plus the mount type Docker
 * always asks for (cgroup) as the Sentry's own (mqueue is sentry/fs/mqueue.c).
 *
 * sysfs: devices/system/cpu as Linux shows it for the sandbox's CPUs,
 * numbered 0..n-1 (glibc's get_nprocs_conf counts the cpuN directories; the
 * Go and Java runtimes and libuv read online/possible and the topology),
 * kernel/mm/transparent_hugepage as the host has it, and empty class/,
 * bus/ and fs/cgroup/ directories.  cgroup/cgroup2: the
 * container's limits, registered from here (sentry/fs/cgroupfs.c).  maskfile:
 * the empty read-only file that covers a masked path (OCI maskedPaths).  Host facts
 * are captured before the jail (sysfs_init).
 */
#include "sentry/fs/procfs.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/kernel/hostcpu.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSFS_MAGIC 0x62656572

static long host_kernel_max = -1; /* NR_CPUS - 1 of the host kernel */

/* kernel/mm/transparent_hugepage: the host's settings, read at init (the
 * Sentry's memory is host memory: THP applies to it as the host says).
 * The Go runtime reads hpage_pmd_size at every start, the JVM enabled. */
static const char *const thp_names[] = {"enabled", "defrag", "hpage_pmd_size", "shmem_enabled"};
#define THP_FILES (sizeof(thp_names) / sizeof(thp_names[0]))
static char *thp_text[THP_FILES]; /* NULL: the host has no such file */

/* A file whose text is the string arg (static, or freed with the inode). */
static char *gen_text(struct task *t, void *arg, size_t *len)
{
	*len = strlen(arg);
	return strdup(arg);
}

/* Linux's cpulist format: "0", "0-3". */
static char *cpu_list(long first, long last)
{
	char *s = NULL;
	int n = first == last ? asprintf(&s, "%ld\n", first) : asprintf(&s, "%ld-%ld\n", first, last);
	return n < 0 ? NULL : s;
}

/* Linux's cpumask format (%*pb): 32-bit hex words, most significant
 * first, nr_cpu_ids bits wide, with CPUs first..last set. */
static char *cpu_mask(long first, long last)
{
	long nbits = hostcpu_online();
	long words = (nbits + 31) / 32;
	char *s = malloc((size_t)words * 9 + 1), *p = s;
	if (!s)
		return NULL;
	for (long w = words - 1; w >= 0; w--) {
		uint32_t v = 0;
		for (long b = 0; b < 32; b++)
			if (w * 32 + b >= first && w * 32 + b <= last)
				v |= 1u << b;
		/* The top word shows only the digits of bits that exist. */
		long top = nbits - w * 32;
		int digits = w == words - 1 && top < 32 ? (int)((top + 3) / 4) : 8;
		p += sprintf(p, "%0*x%c", digits, v, w ? ',' : '\n');
	}
	return s;
}

static int add_text(struct superblock *sb, struct inode *dir, const char *name, uint32_t mode,
		    char *text)
{
	if (!text)
		return -ENOMEM;
	struct inode *f = vfs_synth_file_new(sb, S_IFREG | mode, gen_text, text, free);
	if (!f) {
		free(text);
		return -ENOMEM;
	}
	return vfs_synth_dir_add(dir, name, f);
}

static int add_dir(struct superblock *sb, struct inode *parent, const char *name,
		   struct inode **out);

/* cpuN/: each sandbox CPU a core of its own in package 0 (the sandbox
 * does not show the host's topology), hot-pluggable except cpu0, as x86. */
static int add_cpu_dir(struct superblock *sb, struct inode *cpu, long i)
{
	char name[32];
	snprintf(name, sizeof(name), "cpu%ld", i);
	struct inode *d = NULL, *topo = NULL;
	int r = add_dir(sb, cpu, name, &d);
	if (r == 0 && i > 0)
		r = add_text(sb, d, "online", 0644, strdup("1\n"));
	if (r == 0)
		r = add_dir(sb, d, "topology", &topo);
	long last = hostcpu_online() - 1;
	struct {
		const char *name;
		char *text;
	} files[] = {
		{"physical_package_id", strdup("0\n")},
		{"die_id", strdup("0\n")},
		{"core_id", NULL},
		{"thread_siblings_list", cpu_list(i, i)},
		{"thread_siblings", cpu_mask(i, i)},
		{"core_cpus_list", cpu_list(i, i)},
		{"core_cpus", cpu_mask(i, i)},
		{"core_siblings_list", cpu_list(0, last)},
		{"core_siblings", cpu_mask(0, last)},
		{"die_cpus_list", cpu_list(0, last)},
		{"die_cpus", cpu_mask(0, last)},
		{"package_cpus_list", cpu_list(0, last)},
		{"package_cpus", cpu_mask(0, last)},
	};
	if (asprintf(&files[2].text, "%ld\n", i) < 0)
		files[2].text = NULL;
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		if (r == 0)
			r = add_text(sb, topo, files[k].name, 0444, files[k].text);
		else
			free(files[k].text);
	}
	if (topo)
		inode_put(topo);
	if (d)
		inode_put(d);
	return r;
}

static int add_cpus(struct superblock *sb, struct inode *cpu)
{
	int r = 0;
	long ncpu = hostcpu_online();
	static const char *const ranges[] = {"online", "possible", "present"};
	for (size_t i = 0; r == 0 && i < sizeof(ranges) / sizeof(ranges[0]); i++)
		r = add_text(sb, cpu, ranges[i], 0444, cpu_list(0, ncpu - 1));
	if (r == 0)
		r = add_text(sb, cpu, "offline", 0444, strdup("\n"));
	char *km = NULL;
	if (r == 0 && asprintf(&km, "%ld\n", host_kernel_max) >= 0)
		r = add_text(sb, cpu, "kernel_max", 0444, km);
	for (long i = 0; r == 0 && i < ncpu; i++)
		r = add_cpu_dir(sb, cpu, i);
	return r;
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
	if (r == 0)
		r = add_cpus(sb, cpu);
	static const char *const empty[] = {"class", "bus", "block", "module"};
	for (size_t i = 0; r == 0 && i < sizeof(empty) / sizeof(empty[0]); i++)
		r = add_dir(sb, root, empty[i], NULL);
	struct inode *kernel = NULL, *mm = NULL, *thp = NULL;
	if (r == 0)
		r = add_dir(sb, root, "kernel", &kernel);
	if (r == 0 && thp_text[0]) {
		r = add_dir(sb, kernel, "mm", &mm);
		if (r == 0)
			r = add_dir(sb, mm, "transparent_hugepage", &thp);
		for (size_t i = 0; r == 0 && i < THP_FILES; i++)
			if (thp_text[i])
				r = add_text(sb, thp, thp_names[i], 0444, strdup(thp_text[i]));
	}
	struct inode *kheld[] = {kernel, mm, thp};
	for (size_t i = 0; i < sizeof(kheld) / sizeof(kheld[0]); i++)
		if (kheld[i])
			inode_put(kheld[i]);
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
	FILE *f = fopen("/sys/devices/system/cpu/kernel_max", "re");
	if (!f || fscanf(f, "%ld", &host_kernel_max) != 1 ||
	    host_kernel_max < hostcpu_online() - 1)
		host_kernel_max = 8191; /* Debian's NR_CPUS - 1 */
	if (f)
		fclose(f);
	for (size_t i = 0; i < THP_FILES; i++) {
		char path[96], buf[256];
		snprintf(path, sizeof(path), "/sys/kernel/mm/transparent_hugepage/%s", thp_names[i]);
		f = fopen(path, "re");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = 0;
		free(thp_text[i]); /* init again (the unit tests): read afresh */
		thp_text[i] = n > 0 ? strdup(buf) : NULL;
	}
	int r = vfs_register_fs("sysfs", sysfs_factory);
	if (r == 0)
		r = cgroupfs_init(); /* "cgroup", "cgroup2": cgroupfs.c */
	if (r == 0)
		r = vfs_register_fs("maskfile", maskfile_factory);
	return r;
}
