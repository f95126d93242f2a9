/*
 * cgroup.c — the container's cgroup on the host (see cgroup.h).
 *
 * The files and values are runc's (libcontainer/cgroups/fs and fs2), so a
 * container under visor is limited exactly as under runc:
 *   v1: memory.limit_in_bytes, memory.memsw.limit_in_bytes (swap is memory
 *       plus swap), memory.soft_limit_in_bytes, pids.max, cpu.shares,
 *       cpu.cfs_period_us, cpu.cfs_quota_us, cpuset.cpus, cpuset.mems,
 *       blkio.weight (blkio.bfq.weight under BFQ);
 *   v2: memory.max, memory.swap.max (swap alone: the OCI value minus the
 *       memory limit), memory.low, pids.max, cpu.weight (converted from
 *       shares), cpu.max, cpuset.cpus, cpuset.mems, io.bfq.weight or
 *       io.weight (converted from the blkio weight).
 * In linux.resources 0 means "leave it" (Docker's update sends every field)
 * and -1 "unlimited".
 */
#include "runtime/cgroup.h"
#include "runtime/oci.h"
#include "lib/fileutil.h"
#include "lib/log.h"
#include "lib/verr.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* How long removing a cgroup waits for the sandbox's processes to go. */
#define CGROUP_EMPTY_WAIT_MS 5000

/* The v1 hierarchies a container gets a directory in (those mounted). */
static const char *const v1_controllers[] = {"memory", "pids",    "cpu",     "cpuacct",
					     "cpuset", "blkio",   "devices", "freezer",
					     "net_cls", "perf_event"};

void cgroup_fs_host(struct cgroup_fs *fs)
{
	snprintf(fs->root, sizeof(fs->root), "/sys/fs/cgroup");
	struct statfs sf;
	fs->v2 = statfs(fs->root, &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* ---- paths ------------------------------------------------------------------ */

int cgroup_expand_slice(const char *slice, char *out, size_t size)
{
	static const char suffix[] = ".slice";
	size_t n = strlen(slice), sl = sizeof(suffix) - 1;
	if (n <= sl || strcmp(slice + n - sl, suffix) || strchr(slice, '/'))
		return -EINVAL;
	if (!strcmp(slice, "-.slice")) {
		if (size < 1)
			return -EINVAL;
		out[0] = 0;
		return 0;
	}
	size_t base = n - sl; /* "a-b-c" */
	if (slice[0] == '-' || slice[base - 1] == '-')
		return -EINVAL;
	size_t o = 0;
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		if (i < base && slice[i + 1] == '-')
			return -EINVAL; /* "a--b" */
		/* One level: the prefix slice[0..i) as a slice. */
		int w = snprintf(out + o, size - o, "%s%.*s.slice", o ? "/" : "", (int)i, slice);
		if (w < 0 || (size_t)w >= size - o)
			return -ENAMETOOLONG;
		o += (size_t)w;
	}
	return 0;
}

static bool has_dotdot(const char *p)
{
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == 0 || c[2] == '/'))
			return true;
	return false;
}

int cgroup_path_resolve(const char *cgroups_path, char *out, size_t size, struct verr *err)
{
	if (!cgroups_path || !cgroups_path[0])
		return verr_set(err, EINVAL, "config.json: linux.cgroupsPath is empty");
	const char *c1 = strchr(cgroups_path, ':');
	if (!c1) {
		const char *p = cgroups_path;
		while (*p == '/')
			p++;
		if (has_dotdot(p))
			return verr_set(err, EINVAL, "config.json: linux.cgroupsPath %s has a .. component",
					cgroups_path);
		if ((size_t)snprintf(out, size, "%s", p) >= size)
			return verr_set(err, ENAMETOOLONG, "config.json: linux.cgroupsPath is too long");
		size_t n = strlen(out);
		while (n > 0 && out[n - 1] == '/')
			out[--n] = 0;
		return 0;
	}
	/* systemd: "slice:prefix:name" */
	const char *c2 = strchr(c1 + 1, ':');
	if (!c2 || strchr(c2 + 1, ':'))
		return verr_set(err, EINVAL,
				"config.json: linux.cgroupsPath %s: a systemd path is slice:prefix:name",
				cgroups_path);
	char slice[256], prefix[256], name[256];
	size_t ls = (size_t)(c1 - cgroups_path), lp = (size_t)(c2 - c1 - 1);
	if (ls >= sizeof(slice) || lp >= sizeof(prefix) || strlen(c2 + 1) >= sizeof(name))
		return verr_set(err, ENAMETOOLONG, "config.json: linux.cgroupsPath is too long");
	snprintf(slice, sizeof(slice), "%.*s", (int)ls, cgroups_path);
	snprintf(prefix, sizeof(prefix), "%.*s", (int)lp, c1 + 1);
	snprintf(name, sizeof(name), "%s", c2 + 1);
	if (!name[0] || strchr(name, '/') || strchr(prefix, '/') || has_dotdot(name) ||
	    !strcmp(name, "."))
		return verr_set(err, EINVAL, "config.json: linux.cgroupsPath %s: bad unit name",
				cgroups_path);
	char sdir[PATH_MAX];
	if (cgroup_expand_slice(slice[0] ? slice : "system.slice", sdir, sizeof(sdir)) < 0)
		return verr_set(err, EINVAL, "config.json: linux.cgroupsPath %s: bad slice %s",
				cgroups_path, slice);
	/* A name that is a slice is the unit itself (nested in the parent's
	 * path as systemd nests slices); otherwise a scope. */
	char unit[PATH_MAX];
	size_t nl = strlen(name);
	if (nl > 6 && !strcmp(name + nl - 6, ".slice")) {
		if (cgroup_expand_slice(name, unit, sizeof(unit)) < 0)
			return verr_set(err, EINVAL, "config.json: linux.cgroupsPath %s: bad slice %s",
					cgroups_path, name);
		const char *leaf = strrchr(unit, '/');
		snprintf(unit, sizeof(unit), "%s", leaf ? leaf + 1 : name);
	} else if (prefix[0]) {
		snprintf(unit, sizeof(unit), "%s-%s.scope", prefix, name);
	} else {
		snprintf(unit, sizeof(unit), "%s.scope", name);
	}
	if ((size_t)snprintf(out, size, "%s%s%s", sdir, sdir[0] ? "/" : "", unit) >= size)
		return verr_set(err, ENAMETOOLONG, "config.json: linux.cgroupsPath is too long");
	return 0;
}

/* ---- files ------------------------------------------------------------------ */

static int cg_write(const char *dir, const char *file, const char *val, struct verr *err)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return verr_errno(err, errno, "cgroup: cannot set %s to %s", p, val);
	ssize_t w = write(fd, val, strlen(val));
	int e = w < 0 ? errno : 0;
	close(fd);
	if (e)
		return verr_errno(err, e, "cgroup: cannot set %s to %s", p, val);
	return 0;
}

static int cg_write_i64(const char *dir, const char *file, int64_t v, struct verr *err)
{
	char s[32];
	snprintf(s, sizeof(s), "%" PRId64, v);
	return cg_write(dir, file, s, err);
}

static bool cg_exists(const char *dir, const char *file)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

static int64_t cg_read_i64(const char *dir, const char *file)
{
	char p[PATH_MAX + 64], buf[64] = "";
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

/* root/ctrl/rel (v1) or root/rel (v2, ctrl NULL). */
static void cg_dir(const struct cgroup_fs *fs, const char *ctrl, const char *rel, char *out,
		   size_t size)
{
	if (ctrl)
		snprintf(out, size, "%s/%s%s%s", fs->root, ctrl, rel[0] ? "/" : "", rel);
	else
		snprintf(out, size, "%s%s%s", fs->root, rel[0] ? "/" : "", rel);
}

static bool v1_mounted(const struct cgroup_fs *fs, const char *ctrl)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", fs->root, ctrl);
	return access(p, F_OK) == 0;
}

/* The v1 directory of ctrl for rel, which a limit needs: -ENOENT with err
 * when that hierarchy is not mounted. */
static int v1_need(const struct cgroup_fs *fs, const char *ctrl, const char *rel, const char *what,
		   char *dir, size_t size, struct verr *err)
{
	if (!v1_mounted(fs, ctrl))
		return verr_set(err, ENOENT,
				"cgroup: %s needs the %s controller, which is not mounted at %s/%s",
				what, ctrl, fs->root, ctrl);
	cg_dir(fs, ctrl, rel, dir, size);
	return 0;
}

/* ---- limits ------------------------------------------------------------------- */

static bool mem_wanted(const struct oci_resources *r)
{
	return (r->has_memory_limit && r->memory_limit) || (r->has_memory_swap && r->memory_swap) ||
	       (r->has_memory_reservation && r->memory_reservation);
}

static int apply_v1(const struct cgroup_fs *fs, const char *rel, const struct oci_resources *r,
		    struct verr *err)
{
	char dir[PATH_MAX];
	int e = 0;
	if (mem_wanted(r)) {
		if ((e = v1_need(fs, "memory", rel, "a memory limit", dir, sizeof(dir), err)) < 0)
			return e;
		int64_t limit = r->has_memory_limit ? r->memory_limit : 0;
		int64_t swap = r->has_memory_swap ? r->memory_swap : 0;
		if (limit == -1 && swap == 0)
			swap = -1; /* as runc: unlimited memory lifts the swap limit too */
		if (limit && swap) {
			/* memsw may never be below the memory limit: raise it
			 * first when it grows, lower the limit first when it
			 * shrinks. */
			int64_t cur = cg_read_i64(dir, "memory.limit_in_bytes");
			if (swap == -1 || cur < swap) {
				if (!(e = cg_write_i64(dir, "memory.memsw.limit_in_bytes", swap, err)))
					e = cg_write_i64(dir, "memory.limit_in_bytes", limit, err);
			} else {
				if (!(e = cg_write_i64(dir, "memory.limit_in_bytes", limit, err)))
					e = cg_write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
			}
		} else if (limit) {
			e = cg_write_i64(dir, "memory.limit_in_bytes", limit, err);
		} else if (swap) {
			e = cg_write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
		}
		if (!e && r->has_memory_reservation && r->memory_reservation)
			e = cg_write_i64(dir, "memory.soft_limit_in_bytes", r->memory_reservation, err);
		if (e)
			return e;
	}
	if (r->has_pids_limit && r->pids_limit) {
		if ((e = v1_need(fs, "pids", rel, "a pids limit", dir, sizeof(dir), err)) < 0)
			return e;
		if (r->pids_limit > 0)
			e = cg_write_i64(dir, "pids.max", r->pids_limit, err);
		else
			e = cg_write(dir, "pids.max", "max", err);
		if (e)
			return e;
	}
	bool shares = r->has_cpu_shares && r->cpu_shares;
	bool period = r->has_cpu_period && r->cpu_period;
	bool quota = r->has_cpu_quota && r->cpu_quota;
	if (shares || period || quota) {
		if ((e = v1_need(fs, "cpu", rel, "a cpu limit", dir, sizeof(dir), err)) < 0)
			return e;
		if (shares && (e = cg_write_i64(dir, "cpu.shares", (int64_t)r->cpu_shares, err)))
			return e;
		if (period && (e = cg_write_i64(dir, "cpu.cfs_period_us", (int64_t)r->cpu_period, err)))
			return e;
		if (quota && (e = cg_write_i64(dir, "cpu.cfs_quota_us",
					       r->cpu_quota > 0 ? r->cpu_quota : -1, err)))
			return e;
	}
	if ((r->cpu_cpus && r->cpu_cpus[0]) || (r->cpu_mems && r->cpu_mems[0])) {
		if ((e = v1_need(fs, "cpuset", rel, "a cpuset", dir, sizeof(dir), err)) < 0)
			return e;
		if (r->cpu_cpus && r->cpu_cpus[0] && (e = cg_write(dir, "cpuset.cpus", r->cpu_cpus, err)))
			return e;
		if (r->cpu_mems && r->cpu_mems[0] && (e = cg_write(dir, "cpuset.mems", r->cpu_mems, err)))
			return e;
	}
	if (r->has_blkio_weight && r->blkio_weight) {
		if ((e = v1_need(fs, "blkio", rel, "a block I/O weight", dir, sizeof(dir), err)) < 0)
			return e;
		const char *f = cg_exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
		if (!cg_exists(dir, f))
			return verr_set(err, EOPNOTSUPP,
					"cgroup: a block I/O weight needs blkio.weight or "
					"blkio.bfq.weight in %s (no CFQ or BFQ scheduler)", dir);
		if ((e = cg_write_i64(dir, f, r->blkio_weight, err)))
			return e;
	}
	return 0;
}

static int apply_v2(const struct cgroup_fs *fs, const char *rel, const struct oci_resources *r,
		    struct verr *err)
{
	char dir[PATH_MAX];
	cg_dir(fs, NULL, rel, dir, sizeof(dir));
	int e = 0;
	int64_t limit = r->has_memory_limit ? r->memory_limit : 0;
	int64_t swap = r->has_memory_swap ? r->memory_swap : 0;
	if (swap > 0) {
		/* v2's swap limit is swap alone (runc's conversion). */
		if (limit <= 0)
			return verr_set(err, EINVAL,
					"cgroup: a swap limit needs a memory limit on cgroup v2");
		if (swap < limit)
			return verr_set(err, EINVAL,
					"cgroup: memory+swap limit %" PRId64
					" is below the memory limit %" PRId64, swap, limit);
		if ((e = cg_write_i64(dir, "memory.swap.max", swap - limit, err)))
			return e;
	} else if (swap == -1 || (limit == -1 && swap == 0)) {
		if ((e = cg_write(dir, "memory.swap.max", "max", err)))
			return e;
	}
	if (limit && (e = limit < 0 ? cg_write(dir, "memory.max", "max", err)
				    : cg_write_i64(dir, "memory.max", limit, err)))
		return e;
	if (r->has_memory_reservation && r->memory_reservation &&
	    (e = cg_write_i64(dir, "memory.low", r->memory_reservation, err)))
		return e;
	if (r->has_pids_limit && r->pids_limit &&
	    (e = r->pids_limit > 0 ? cg_write_i64(dir, "pids.max", r->pids_limit, err)
				   : cg_write(dir, "pids.max", "max", err)))
		return e;
	if (r->has_cpu_shares && r->cpu_shares) {
		/* runc: shares 2..262144 -> weight 1..10000 */
		uint64_t s = r->cpu_shares < 2 ? 2 : r->cpu_shares;
		uint64_t w = 1 + ((s - 2) * 9999) / 262142;
		if ((e = cg_write_i64(dir, "cpu.weight", (int64_t)(w > 10000 ? 10000 : w), err)))
			return e;
	}
	if ((r->has_cpu_quota && r->cpu_quota) || (r->has_cpu_period && r->cpu_period)) {
		char v[64];
		uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 100000;
		if (r->has_cpu_quota && r->cpu_quota > 0)
			snprintf(v, sizeof(v), "%" PRId64 " %" PRIu64, r->cpu_quota, period);
		else
			snprintf(v, sizeof(v), "max %" PRIu64, period);
		if ((e = cg_write(dir, "cpu.max", v, err)))
			return e;
	}
	if (r->cpu_cpus && r->cpu_cpus[0] && (e = cg_write(dir, "cpuset.cpus", r->cpu_cpus, err)))
		return e;
	if (r->cpu_mems && r->cpu_mems[0] && (e = cg_write(dir, "cpuset.mems", r->cpu_mems, err)))
		return e;
	if (r->has_blkio_weight && r->blkio_weight) {
		if (cg_exists(dir, "io.bfq.weight"))
			e = cg_write_i64(dir, "io.bfq.weight", r->blkio_weight, err);
		else {
			/* runc: blkio 10..1000 -> io.weight 1..10000 */
			char v[64];
			uint64_t w = r->blkio_weight < 10 ? 10 : r->blkio_weight;
			snprintf(v, sizeof(v), "default %" PRIu64, 1 + (w - 10) * 9999 / 990);
			e = cg_write(dir, "io.weight", v, err);
		}
		if (e)
			return e;
	}
	return 0;
}

int cgroup_apply(const struct cgroup_fs *fs, const char *rel, const struct oci_resources *r,
		 struct verr *err)
{
	if (!r)
		return 0;
	return fs->v2 ? apply_v2(fs, rel, r, err) : apply_v1(fs, rel, r, err);
}

/* ---- creation ---------------------------------------------------------------- */

/* cgroup v1 cpuset: a new group starts with empty cpus/mems and refuses
 * tasks until they are set; give every level of rel the root's. */
static void cpuset_inherit(const struct cgroup_fs *fs, const char *rel)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char base[PATH_MAX], sub[PATH_MAX];
	snprintf(base, sizeof(base), "%s/cpuset", fs->root);
	snprintf(sub, sizeof(sub), "%s", rel);
	for (size_t f = 0; f < ARRAY_LEN(files); f++) {
		char rootv[256] = "", p[PATH_MAX * 2 + 64];
		snprintf(p, sizeof(p), "%s/%s", base, files[f]);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, rootv, sizeof(rootv) - 1);
		close(fd);
		if (n <= 0)
			continue;
		rootv[n] = 0;
		/* Each prefix of rel, outermost first. */
		for (char *c = sub;; c++) {
			if (*c == '/' || *c == 0) {
				char save = *c;
				*c = 0;
				if (sub[0]) {
					char cur[8] = "";
					snprintf(p, sizeof(p), "%s/%s/%s", base, sub, files[f]);
					fd = open(p, O_RDONLY | O_CLOEXEC);
					if (fd >= 0) {
						ssize_t k = read(fd, cur, sizeof(cur) - 1);
						close(fd);
						if (k <= 1) {
							int w = open(p, O_WRONLY | O_CLOEXEC);
							if (w >= 0) {
								if (write(w, rootv, strlen(rootv)) < 0)
									log_warn("cgroup: %s: %s", p,
										 strerror(errno));
								close(w);
							}
						}
					}
				}
				*c = save;
				if (!save)
					break;
			}
		}
	}
}

/* v2: make the controllers the root offers available in each level down to
 * rel's parent (cgroup.subtree_control), one at a time: one a level cannot
 * enable is left out, and a limit that needs it then fails by name. */
static void v2_enable_at(const struct cgroup_fs *fs, const char *sub, const char *avail)
{
	char dir[PATH_MAX], copy[512], *save = NULL;
	cg_dir(fs, NULL, sub, dir, sizeof(dir));
	snprintf(copy, sizeof(copy), "%s", avail);
	for (char *t = strtok_r(copy, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		char v[64];
		snprintf(v, sizeof(v), "+%s", t);
		cg_write(dir, "cgroup.subtree_control", v, NULL);
	}
}

static void v2_enable_controllers(const struct cgroup_fs *fs, const char *rel)
{
	char avail[512] = "", p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/cgroup.controllers", fs->root);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, avail, sizeof(avail) - 1);
	close(fd);
	if (n <= 0)
		return;
	avail[n] = 0;
	/* The root, then each proper prefix of rel; rel's own subtree stays
	 * empty (processes live in it: v2's no-internal-process rule). */
	v2_enable_at(fs, "", avail);
	char sub[PATH_MAX];
	for (size_t i = 0; rel[i]; i++)
		if (rel[i] == '/') {
			snprintf(sub, sizeof(sub), "%.*s", (int)i, rel);
			v2_enable_at(fs, sub, avail);
		}
}

int cgroup_create(const struct cgroup_fs *fs, const char *rel, const struct oci_resources *r,
		  struct verr *err)
{
	char dir[PATH_MAX];
	if (fs->v2) {
		cg_dir(fs, NULL, rel, dir, sizeof(dir));
		if (mkdir_p(dir, 0755) < 0)
			return verr_errno(err, errno, "cgroup: cannot create %s", dir);
		v2_enable_controllers(fs, rel);
	} else {
		int made = 0;
		for (size_t i = 0; i < ARRAY_LEN(v1_controllers); i++) {
			if (!v1_mounted(fs, v1_controllers[i]))
				continue;
			cg_dir(fs, v1_controllers[i], rel, dir, sizeof(dir));
			if (mkdir_p(dir, 0755) < 0)
				return verr_errno(err, errno, "cgroup: cannot create %s", dir);
			if (!strcmp(v1_controllers[i], "cpuset"))
				cpuset_inherit(fs, rel);
			made++;
		}
		if (!made)
			return verr_set(err, ENOENT, "cgroup: no cgroup hierarchy is mounted under %s",
					fs->root);
	}
	return cgroup_apply(fs, rel, r, err);
}

int cgroup_enter(const struct cgroup_fs *fs, const char *rel, pid_t pid, struct verr *err)
{
	char dir[PATH_MAX], v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	if (fs->v2) {
		cg_dir(fs, NULL, rel, dir, sizeof(dir));
		return cg_write(dir, "cgroup.procs", v, err);
	}
	int placed = 0;
	for (size_t i = 0; i < ARRAY_LEN(v1_controllers); i++) {
		if (!v1_mounted(fs, v1_controllers[i]))
			continue;
		cg_dir(fs, v1_controllers[i], rel, dir, sizeof(dir));
		if (access(dir, F_OK) < 0)
			continue; /* a hierarchy mounted after create */
		int e = cg_write(dir, "cgroup.procs", v, err);
		if (e < 0)
			return e;
		placed++;
	}
	if (!placed)
		return verr_set(err, ENOENT, "cgroup: %s does not exist under %s", rel, fs->root);
	return 0;
}

int cgroup_freeze(const struct cgroup_fs *fs, const char *rel, bool freeze)
{
	char dir[PATH_MAX];
	if (fs->v2) {
		cg_dir(fs, NULL, rel, dir, sizeof(dir));
		return cg_write(dir, "cgroup.freeze", freeze ? "1" : "0", NULL);
	}
	cg_dir(fs, "freezer", rel, dir, sizeof(dir));
	int r = cg_write(dir, "freezer.state", freeze ? "FROZEN" : "THAWED", NULL);
	/* FROZEN is reached asynchronously: wait for it (5 s at most). */
	char file[PATH_MAX + 32];
	snprintf(file, sizeof(file), "%s/freezer.state", dir);
	for (int i = 0; r == 0 && freeze && i < 500; i++) {
		char st[32] = "";
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		ssize_t n = read(fd, st, sizeof(st) - 1);
		close(fd);
		if (n > 0 && !strncmp(st, "FROZEN", 6))
			break;
		usleep(10000);
	}
	return r;
}

/* ---- removal ------------------------------------------------------------------- */

/* SIGKILL what dir's cgroup.procs lists. */
static void cgroup_kill_procs(const char *dir)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

/* Remove one cgroup directory.  The sandbox's processes die asynchronously
 * after the Sentry (stubs through PTRACE_O_EXITKILL or their parent-death
 * signal, the Gofer when its socket closes), and a cgroup with a process
 * left is EBUSY: wait for it to empty; half-way, kill what is still there
 * (as runc does with what a container leaves), and wait again. */
static void cgroup_rmdir_wait(const char *dir)
{
	int tries = CGROUP_EMPTY_WAIT_MS / 10;
	for (int i = 0; i < tries; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		if (i == tries / 2)
			cgroup_kill_procs(dir);
		usleep(10000);
	}
	log_warn("cgroup: cannot remove %s: %s", dir, strerror(errno));
}

void cgroup_remove(const struct cgroup_fs *fs, const char *rel)
{
	if (!rel[0])
		return; /* never the root */
	char dir[PATH_MAX];
	if (fs->v2) {
		cg_dir(fs, NULL, rel, dir, sizeof(dir));
		cgroup_rmdir_wait(dir);
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(v1_controllers); i++) {
		if (!v1_mounted(fs, v1_controllers[i]))
			continue;
		cg_dir(fs, v1_controllers[i], rel, dir, sizeof(dir));
		if (access(dir, F_OK) == 0)
			cgroup_rmdir_wait(dir);
	}
}
