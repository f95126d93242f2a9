/*
 * cgroup.h — the container's cgroup on the host: where linux.cgroupsPath
 * puts it (a cgroupfs path, or systemd's "slice:prefix:name"), on the v1
 * hierarchies or the v2 unified one; linux.resources written into it;
 * processes moved into it; the freezer; removal.
 *
 * Owns: the translation of OCI resources to cgroup files (as runc's fs and
 * fs2 drivers write them) and the errors that name the file that refused.
 * Never: decides which processes belong to the sandbox (runtime/sandbox.c
 * does), or talks to systemd (there is no D-Bus client in visor: a systemd
 * path is created directly where systemd would put the scope, as runc's
 * cgroupfs fallback does).
 *
 * Every function takes a struct cgroup_fs, the root the hierarchies are
 * mounted under, so the unit tests can run on a directory of their own.
 */
#ifndef VISOR_RUNTIME_CGROUP_H
#define VISOR_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct oci_resources;
struct verr;

struct cgroup_fs {
	char root[256]; /* "/sys/fs/cgroup" */
	bool v2;        /* root is the unified hierarchy; else root/<controller> are v1 ones */
};

/* The host's: /sys/fs/cgroup, v2 when cgroup2 is mounted there. */
void cgroup_fs_host(struct cgroup_fs *fs);

/*
 * linux.cgroupsPath -> the cgroup's path relative to each hierarchy's root.
 * A cgroupfs path ("/docker/ID") loses its leading '/'; a systemd path
 * "slice:prefix:name" becomes the slice expanded (systemd's nesting of
 * "a-b.slice" in "a.slice") and the scope "prefix-name.scope", as systemd
 * lays out cgroups: "system.slice:docker:ID" -> "system.slice/docker-ID.scope".
 * An empty slice is system.slice; a name ending in ".slice" is a slice of
 * its own, not a scope.  No ".." components.  0 or -EINVAL with err.
 */
int cgroup_path_resolve(const char *cgroups_path, char *out, size_t size, struct verr *err);
/* systemd's slice nesting: "a-b-c.slice" -> "a.slice/a-b.slice/a-b-c.slice",
 * "-.slice" (the root slice) -> "".  0 or -EINVAL. */
int cgroup_expand_slice(const char *slice, char *out, size_t size);

/* Make the cgroup at rel (every v1 hierarchy mounted under the root, or the
 * v2 directory with the controllers enabled down to it) and write r into
 * it.  A limit that cannot be written fails it: -errno with err naming the
 * file.  r may be NULL (no limits). */
int cgroup_create(const struct cgroup_fs *fs, const char *rel, const struct oci_resources *r,
		  struct verr *err);
/* Write r into the existing cgroup at rel (`update`); 0 in a field means
 * "unchanged", as in runc. */
int cgroup_apply(const struct cgroup_fs *fs, const char *rel, const struct oci_resources *r,
		 struct verr *err);
/* Move process pid (0: the caller) into the cgroup at rel. */
int cgroup_enter(const struct cgroup_fs *fs, const char *rel, pid_t pid, struct verr *err);
/* Freeze or thaw it (v1 freezer.state, waiting for FROZEN; v2 cgroup.freeze). */
int cgroup_freeze(const struct cgroup_fs *fs, const char *rel, bool freeze);
/* Remove it: waits for its processes to go (they die after the Sentry),
 * kills what stays, and removes the directories. */
void cgroup_remove(const struct cgroup_fs *fs, const char *rel);

#endif
