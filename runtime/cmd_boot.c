/*
 * cmd_boot.c — `visor boot`: the Sentry process.  The runtime (create, run,
 * do) starts it in the sandbox's namespaces with the Gofer socket and the
 * app's stdio; it boots the kernel (sentry/sentry.c) and exits with the
 * container init's status.
 *
 *   visor boot --gofer-fd=N [--root-readonly] [--cwd=DIR] [--env=K=V]...
 *              [--uid=N] [--gid=N] [--hostname=H] [--tmpfs=DIR]... [--dev]
 *              [--no-jail] -- CMD [ARG...]
 *   visor boot --gofer-fd=N --spec-fd=N [--control-fd=N] [--ready-fd=N]
 *              [--wait-start] [--no-jail]
 *
 * With --spec-fd the process, root and mounts come from the bundle's
 * config.json, read from that fd (create writes it to a memfd): see
 * boot_config_from_oci.  --control-fd is the listening control socket
 * (sentry/control.h), --ready-fd the pipe on which create learns whether
 * init's exec worked, --wait-start holds init at its first instruction
 * until `visor start`.
 *
 * maskedPaths are covered with empty read-only mounts; readonlyPaths are
 * accepted and not applied.  They exist to hide
 * or freeze host kernel interfaces (/proc/kcore, /proc/sys, /sys/firmware...)
 * that a runc container sees through the host's procfs and sysfs; the
 * Sentry's /proc and /sys are its own synthetic file systems that expose no
 * host kernel state, so there is nothing behind those paths to hide.
 * linux.seccomp is likewise not applied (see runtime/oci.h).
 */
#include "runtime/boot_config.h"
#include "runtime/oci.h"
#include "runtime/runtime.h"
#include "sentry/sentry.h"
#include "lib/log.h"
#include "lib/verr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define MAX_ENV 1024
#define MAX_MOUNTS 64

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_fd(const char *s, int *out)
{
	uint32_t v;
	if (parse_u32(s, &v) < 0 || v > 1u << 20)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static bool has_option(const struct oci_mount *m, const char *opt)
{
	for (size_t i = 0; i < m->n_options; i++)
		if (!strcmp(m->options[i], opt))
			return true;
	return false;
}

bool boot_mount_is_bind(const struct oci_mount *m)
{
	return (m->type && !strcmp(m->type, "bind")) || (m->flags & MS_BIND) ||
	       has_option(m, "bind") || has_option(m, "rbind");
}

int boot_mount_from_oci(const struct oci_mount *m, struct sentry_mount *out)
{
	memset(out, 0, sizeof(*out));
	if (!m->destination || m->destination[0] != '/')
		return -EINVAL;
	out->target = m->destination;
	/* Only the per-mount flags the Sentry's VFS knows survive. */
	out->flags = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	out->data = m->data && m->data[0] ? m->data : NULL;
	if (boot_mount_is_bind(m)) {
		/* The Gofer serves the host directory under the attach name
		 * that is the mount's destination (sandbox.c passes
		 * --mount=DEST:SOURCE to the Gofer). */
		out->fstype = "bind-gofer";
		out->source = m->destination;
		out->data = NULL;
		return 1;
	}
	const char *type = m->type ? m->type : "";
	if (!strcmp(type, "tmpfs")) {
		/* /dev is the Sentry's own devfs (null, zero, tty, pts, shm...),
		 * not an empty tmpfs that runc would then populate. */
		if (!strcmp(m->destination, "/dev")) {
			out->fstype = "dev";
			out->source = "dev";
			out->data = NULL;
		} else {
			out->fstype = "tmpfs";
			out->source = "tmpfs";
		}
		return 1;
	}
	if (!strcmp(type, "devpts") && !strcmp(m->destination, "/dev/pts")) {
		/* The Sentry's devfs already has /dev/pts with its ptys. */
		return 0;
	}
	if (!type[0])
		return -EINVAL;
	/* proc, sysfs, mqueue, cgroup...: the Sentry's own, when it has one;
	 * a type it lacks is skipped with a warning rather than failing the
	 * container, as Docker always asks for mqueue and cgroup. */
	out->fstype = type;
	out->source = m->source ? m->source : type;
	out->optional = true;
	return 1;
}

/* Read the whole of fd (config.json text) into a malloc'ed buffer. */
static int read_spec(int fd, char **out, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= OCI_CONFIG_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int boot_config_from_oci(const struct oci_config *oc, struct sentry_config *cfg,
			 struct sentry_mount *mounts, int max_mounts, struct verr *err)
{
	const struct oci_process *p = oc->process;
	if (!p)
		return verr_set(err, EINVAL, "config.json: process: required to run a container");
	cfg->argv = p->args;
	cfg->argc = (int)p->n_args;
	cfg->envp = p->env;
	cfg->envc = (int)p->n_env;
	cfg->cwd = p->cwd ? p->cwd : "/";
	cfg->uid = p->user.uid;
	cfg->gid = p->user.gid;
	cfg->groups = p->user.additional_gids;
	cfg->ngroups = (int)p->user.n_additional_gids;
	cfg->has_umask = p->user.has_umask;
	cfg->umask = p->user.umask;
	cfg->terminal = p->terminal;
	cfg->no_new_privs = p->no_new_privileges;
	if (p->has_capabilities) {
		cfg->has_caps = true;
		cfg->cap_effective = p->caps.effective.mask;
		cfg->cap_permitted = p->caps.permitted.mask;
		cfg->cap_bounding = p->caps.bounding.names ? p->caps.bounding.mask : ~0ULL;
		cfg->cap_inheritable = p->caps.inheritable.mask;
	}
	for (size_t i = 0; i < p->n_rlimits; i++) {
		int res = p->rlimits[i].resource;
		if (res < 0 || res >= RLIM_NLIMITS)
			continue;
		cfg->rlimits[res].rlim_cur = p->rlimits[i].soft;
		cfg->rlimits[res].rlim_max = p->rlimits[i].hard;
		cfg->rlimits_set[res] = true;
	}
	cfg->hostname = oc->hostname;
	cfg->root_readonly = oc->root_readonly;
	int n = 0;
	for (size_t i = 0; i < oc->n_mounts; i++) {
		if (n >= max_mounts)
			return verr_set(err, E2BIG, "config.json: mounts: more than %d", max_mounts);
		int r = boot_mount_from_oci(&oc->mounts[i], &mounts[n]);
		if (r < 0)
			return verr_set(err, EINVAL,
					"config.json: mounts[%zu]: need an absolute destination and a type",
					i);
		n += r;
	}
	/* maskedPaths: after the mounts, each one that exists is covered with
	 * an empty read-only directory or file (the Sentry picks by type). */
	for (size_t i = 0; i < oc->linux_cfg.n_masked_paths; i++) {
		const char *path = oc->linux_cfg.masked_paths[i];
		if (!path || path[0] != '/')
			return verr_set(err, EINVAL,
					"config.json: linux.maskedPaths[%zu]: need an absolute path", i);
		if (n >= max_mounts)
			return verr_set(err, E2BIG, "config.json: mounts and maskedPaths: more than %d",
					max_mounts);
		mounts[n++] = (struct sentry_mount){.target = path,
						    .fstype = "masked",
						    .source = "masked",
						    .flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
						    .optional = true};
	}
	cfg->mounts = mounts;
	cfg->nmounts = n;
	return 0;
}

int cmd_boot(struct global_opts *g, int argc, char **argv)
{
	struct sentry_config cfg = {
		.platform = g->platform,
		.gofer_fd = -1,
		.stdio = {0, 1, 2},
		.cwd = "/",
		.strace = g->strace,
		.jail = true,
		.control_fd = -1,
		.ready_fd = -1,
	};
	static char *envp[MAX_ENV + 1];
	static struct sentry_mount mounts[MAX_MOUNTS];
	int spec_fd = -1;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strncmp(a, "--gofer-fd=", 11)) {
			if (parse_fd(a + 11, &cfg.gofer_fd) < 0)
				goto bad;
		} else if (!strncmp(a, "--spec-fd=", 10)) {
			if (parse_fd(a + 10, &spec_fd) < 0)
				goto bad;
		} else if (!strncmp(a, "--control-fd=", 13)) {
			if (parse_fd(a + 13, &cfg.control_fd) < 0 || cfg.control_fd <= 2)
				goto bad;
		} else if (!strncmp(a, "--ready-fd=", 11)) {
			if (parse_fd(a + 11, &cfg.ready_fd) < 0 || cfg.ready_fd <= 2)
				goto bad;
		} else if (!strcmp(a, "--wait-start")) {
			cfg.wait_start = true;
		} else if (!strcmp(a, "--root-readonly")) {
			cfg.root_readonly = true;
		} else if (!strncmp(a, "--cwd=", 6)) {
			cfg.cwd = a + 6;
		} else if (!strncmp(a, "--env=", 6)) {
			if (cfg.envc >= MAX_ENV)
				goto bad;
			envp[cfg.envc++] = (char *)(a + 6);
		} else if (!strncmp(a, "--uid=", 6)) {
			if (parse_u32(a + 6, &cfg.uid) < 0)
				goto bad;
		} else if (!strncmp(a, "--gid=", 6)) {
			if (parse_u32(a + 6, &cfg.gid) < 0)
				goto bad;
		} else if (!strncmp(a, "--hostname=", 11)) {
			cfg.hostname = a + 11;
		} else if (!strncmp(a, "--tmpfs=", 8)) {
			if (cfg.nmounts >= MAX_MOUNTS)
				goto bad;
			mounts[cfg.nmounts++] = (struct sentry_mount){
				.target = a + 8, .fstype = "tmpfs", .source = "tmpfs",
				.flags = MS_NOSUID | MS_NODEV, .data = "mode=1777"};
		} else if (!strcmp(a, "--dev")) {
			if (cfg.nmounts >= MAX_MOUNTS)
				goto bad;
			mounts[cfg.nmounts++] = (struct sentry_mount){
				.target = "/dev", .fstype = "dev", .source = "dev",
				.flags = MS_NOSUID, .data = NULL};
		} else if (!strcmp(a, "--proc")) {
			if (cfg.nmounts >= MAX_MOUNTS)
				goto bad;
			mounts[cfg.nmounts++] = (struct sentry_mount){
				.target = "/proc", .fstype = "proc", .source = "proc",
				.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC, .data = NULL};
		} else if (!strcmp(a, "--no-jail")) {
			cfg.jail = false;
		} else {
			goto bad;
		}
		continue;
bad:
		fprintf(stderr, "visor boot: bad argument %s\n", a);
		return 125;
	}
	if (cfg.gofer_fd < 0) {
		fprintf(stderr, "visor boot: need --gofer-fd\n");
		return 125;
	}
	cfg.mounts = mounts;
	if (spec_fd >= 0) {
		char *text = NULL;
		size_t len = 0;
		int r = read_spec(spec_fd, &text, &len);
		close(spec_fd);
		if (r < 0) {
			fprintf(stderr, "visor boot: reading the spec: %s\n", strerror(-r));
			return 125;
		}
		/* The config lives as long as this process: sentry_run keeps
		 * pointers into it. */
		struct oci_config *oc = NULL;
		struct verr err = {0};
		r = oci_config_parse(text, len, &oc, &err);
		free(text);
		if (r == 0)
			r = boot_config_from_oci(oc, &cfg, mounts, MAX_MOUNTS, &err);
		if (r < 0) {
			log_error("%s", err.msg);
			fprintf(stderr, "visor boot: %s\n", err.msg);
			if (cfg.ready_fd > 2) {
				dprintf(cfg.ready_fd, "error %s\n", err.msg);
				close(cfg.ready_fd);
			}
			return 125;
		}
		if (oc->linux_cfg.n_readonly_paths)
			log_debug("readonlyPaths: not applied (the Sentry's /proc/sys and /sys are "
				  "read-only already)");
		return sentry_run(&cfg);
	}
	if (i >= argc) {
		fprintf(stderr, "visor boot: need a command (or --spec-fd)\n");
		return 125;
	}
	envp[cfg.envc] = NULL;
	cfg.envp = envp;
	cfg.argv = argv + i;
	cfg.argc = argc - i;
	return sentry_run(&cfg);
}
