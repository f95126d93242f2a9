/*
 * mounts.c — the container's mount list at boot: each entry becomes a mount
 * of a file system the VFS has registered, in the config's order, with the
 * OCI rules for masked paths and optional mounts.
 */
#include "sentry/sentry.h"
#include "sentry/vfs/vfs.h"
#include "lib/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

/* Does the list mount something on DIR/shm (DIR: a /dev mount's target)? */
static bool list_mounts_shm(const struct sentry_mount *mounts, int n, const char *dir)
{
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	for (int i = 0; i < n; i++) {
		const char *t = mounts[i].target;
		if (!strncmp(t, dir, dl) && !strncmp(t + dl, "/shm", 4) &&
		    (t[dl + 4] == 0 || !strcmp(t + dl + 4, "/")))
			return true;
	}
	return false;
}

/* One mount of the boot list; own_shm: /dev brings its own /dev/shm. */
static int boot_mount(const struct vfs_path *root, const struct sentry_mount *m, bool own_shm)
{
	if (!strcmp(m->fstype, "masked")) {
		/* OCI maskedPaths: an empty read-only directory over a directory,
		 * an empty file over anything else; a path that does not exist
		 * has nothing to hide. */
		int r = vfs_mount(root, m->target, "tmpfs", m->source, m->flags, "size=4k,mode=0555");
		if (r == -ENOTDIR)
			r = vfs_mount(root, m->target, "maskfile", m->source, m->flags, NULL);
		return r;
	}
	if (!strcmp(m->fstype, "bind-dev")) /* the sandbox's own device node */
		return vfs_bind(root, m->source, m->target, m->flags);
	int r = vfs_mount(root, m->target, m->fstype, m->source, m->flags, m->data);
	if (r == 0 && own_shm && (!strcmp(m->fstype, "dev") || !strcmp(m->fstype, "devtmpfs"))) {
		/* /dev brings its /dev/shm, a tmpfs of Docker's default
		 * --shm-size (64 MiB), as Docker sets it up under runc, unless
		 * the config mounts its own there (then only that one is
		 * listed, as under runc). */
		char shm[VFS_PATH_MAX];
		snprintf(shm, sizeof(shm), "%s/shm", m->target);
		int s = vfs_mount(root, shm, "tmpfs", "shm", MS_NOSUID | MS_NODEV,
				  "size=64m,mode=1777");
		if (s < 0)
			log_warn("mount tmpfs on %s: %s", shm, strerror(-s));
	}
	return r;
}

int sentry_mount_all(const struct vfs_path *root, const struct sentry_mount *mounts, int n)
{
	for (int i = 0; i < n; i++) {
		const struct sentry_mount *m = &mounts[i];
		int r = boot_mount(root, m, !list_mounts_shm(mounts + i + 1, n - i - 1, m->target));
		if ((r == -ENODEV || r == -ENOENT) && m->optional) { /* OCI: mqueue, cgroup... */
			log_warn("mount %s on %s: %s, skipped", m->fstype, m->target, strerror(-r));
			continue;
		}
		if (r < 0) {
			log_error("mount %s on %s: %s", m->fstype, m->target, strerror(-r));
			fprintf(stderr, "visor: mount %s on %s: %s\n", m->fstype, m->target,
				strerror(-r));
			return r;
		}
	}
	return 0;
}

