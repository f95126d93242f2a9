/*
 * goferfs.h — the file system the Gofer serves: the container's root and
 * its bind mounts.
 */
#ifndef VISOR_SENTRY_FS_GOFERFS_H
#define VISOR_SENTRY_FS_GOFERFS_H

#include <stdbool.h>

struct gofer_client;

/* Register "bind-gofer" with the VFS, over Gofer client c: a file system
 * only the Sentry's boot mounts make (never mount(2)).  Its mount source is
 * the Gofer's attach name ("/" the container's root, a bind mount's
 * destination for the others).  Its cache policy is the default set by
 * goferfs_set_default_shared (false: --file-access=exclusive, the cache is
 * the truth; true: shared, every walk revalidates names and attributes with
 * the Gofer); the mount data "file-access=shared" or "file-access=exclusive"
 * overrides it per mount. */
int goferfs_register(struct gofer_client *c);
void goferfs_set_default_shared(bool shared);
/* The memory file the page caches of mapped files live in (boot sets it,
 * as tmpfs_set_memfile); without one, goferfs files cannot be mapped. */
struct memfile;
void goferfs_set_memfile(struct memfile *mf);

#endif
