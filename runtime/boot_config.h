/*
 * boot_config.h — turning a bundle's config.json into what the Sentry boots
 * with (runtime/cmd_boot.c).  Exposed for the unit tests.
 */
#ifndef VISOR_RUNTIME_BOOT_CONFIG_H
#define VISOR_RUNTIME_BOOT_CONFIG_H

#include <stdbool.h>

struct oci_config;
struct oci_mount;
struct sentry_config;
struct sentry_mount;
struct verr;

/* A bind mount ("type": "bind", or a bind/rbind option): served by the Gofer. */
bool boot_mount_is_bind(const struct oci_mount *m);
/* The Sentry's own device node ("/dev/null"...) a bind mount of a host
 * character device stands for (docker run -v /dev/null:/x), or NULL: the
 * memory devices and /dev/tty, which the Sentry's devfs has; the host's
 * node is never opened. */
const char *boot_mount_dev_node(const struct oci_mount *m);
/* One OCI mount as a Sentry mount: 1 filled *out, 0 skipped (devpts on
 * /dev/pts: the devfs has it), -EINVAL for a relative destination or a
 * missing type.  Strings point into m. */
int boot_mount_from_oci(const struct oci_mount *m, struct sentry_mount *out);
/* Fill cfg's process, root and mount fields from oc (pointers into oc). */
int boot_config_from_oci(const struct oci_config *oc, struct sentry_config *cfg,
			 struct sentry_mount *mounts, int max_mounts, struct verr *err);
/* linux.seccomp, if any, as cfg's seccomp program (malloc'ed, checked as
 * seccomp(2) checks it; it lives as long as the Sentry).  0 or -errno. */
int boot_seccomp_from_oci(const struct oci_config *oc, struct sentry_config *cfg,
			  struct verr *err);

#endif
