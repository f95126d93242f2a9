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
 *              [--wait-start] [--seccomp-fd=N] [--container-id=ID] [--no-jail]
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
 * linux.seccomp is compiled to classic BPF by create and read from
 * --seccomp-fd (compiled here, before the jail, without one), and every
 * process the Sentry spawns runs under it (runtime/oci_seccomp.h).
 */
#include "runtime/boot_config.h"
#include "runtime/cli.h"
#include "runtime/oci.h"
#include "runtime/oci_seccomp.h"
#include "sentry/kernel/seccomp.h"
#include "runtime/runtime.h"
#include "sentry/sentry.h"
#include "lib/log.h"
#include "lib/verr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

const char *boot_mount_dev_node(const struct oci_mount *m)
{
	static const struct {
		unsigned int maj, min;
		const char *node;
	} devs[] = {
	    {1, 3, "/dev/null"},    {1, 5, "/dev/zero"}, {1, 7, "/dev/full"},
	    {1, 8, "/dev/random"}, {1, 9, "/dev/urandom"}, {5, 0, "/dev/tty"},
	};
	struct stat st;
	if (!boot_mount_is_bind(m) || !m->source || m->source[0] != '/' ||
	    stat(m->source, &st) < 0 || !S_ISCHR(st.st_mode))
		return NULL;
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (major(st.st_rdev) == devs[i].maj && minor(st.st_rdev) == devs[i].min)
			return devs[i].node;
	return NULL;
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
	const char *node = boot_mount_dev_node(m);
	if (node) {
		/* The sandbox's own node, bound as mount --bind would. */
		out->fstype = "bind-dev";
		out->source = node;
		out->data = NULL;
		return 1;
	}
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
			/* The source names it in /proc/mounts ("shm"), as runc's. */
			out->fstype = "tmpfs";
			out->source = m->source && m->source[0] ? m->source : "tmpfs";
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
	if (oc->linux_cfg.has_resources) {
		const struct oci_resources *r = &oc->linux_cfg.resources;
		cfg->mem_limit = r->has_memory_limit ? r->memory_limit : 0;
		cfg->memsw_limit = r->has_memory_swap ? r->memory_swap : 0;
		cfg->pids_limit = r->has_pids_limit ? r->pids_limit : 0;
		cfg->cpu_quota = r->has_cpu_quota ? r->cpu_quota : 0;
		cfg->cpu_period = r->has_cpu_period ? (int64_t)r->cpu_period : 0;
		cfg->cpu_shares = r->has_cpu_shares ? (int64_t)r->cpu_shares : 0;
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

int boot_seccomp_from_oci(const struct oci_config *oc, struct sentry_config *cfg,
			  struct verr *err)
{
	const struct oci_seccomp *s = oc->linux_cfg.seccomp;
	if (!s)
		return 0;
	struct sock_filter *prog = NULL;
	unsigned int len = 0, skipped = 0;
	int r = oci_seccomp_bpf(s, &prog, &len, &skipped, err);
	if (r < 0)
		return r;
	/* What libseccomp made must pass the checks seccomp(2) makes. */
	if (seccomp_check_prog(prog, len) < 0) {
		free(prog);
		return verr_set(err, EINVAL, "config.json: linux.seccomp: the BPF program made of "
					     "it is not one seccomp accepts");
	}
	log_info("seccomp profile: %u BPF instructions; %u syscall names unknown to libseccomp "
		 "skipped",
		 len, skipped);
	free((void *)cfg->seccomp_prog);
	cfg->seccomp_prog = prog;
	cfg->seccomp_len = len;
	cfg->seccomp_flags = (s->flags & OCI_SCMP_FLAG_LOG) ? SECCOMP_FILTER_FLAG_LOG : 0;
	return 0;
}

/* The program create compiled (--seccomp-fd): read whole, checked as
 * seccomp(2) checks it. */
static int boot_seccomp_from_fd(int fd, const struct oci_config *oc, struct sentry_config *cfg,
				struct verr *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_spec(fd, &buf, &len);
	if (r < 0)
		return verr_set(err, -r, "reading the seccomp program: %s", strerror(-r));
	struct sock_filter *prog = (struct sock_filter *)buf;
	size_t n = len / sizeof(*prog);
	if (!oc->linux_cfg.seccomp || len % sizeof(*prog) || n > SECCOMP_MAX_PROG_INSNS ||
	    seccomp_check_prog(prog, (unsigned int)n) < 0) {
		free(buf);
		return verr_set(err, EINVAL, "--seccomp-fd: not a seccomp program for this spec");
	}
	log_info("seccomp profile: %zu BPF instructions (compiled by create)", n);
	cfg->seccomp_prog = prog;
	cfg->seccomp_len = (unsigned int)n;
	cfg->seccomp_flags =
	    (oc->linux_cfg.seccomp->flags & OCI_SCMP_FLAG_LOG) ? SECCOMP_FILTER_FLAG_LOG : 0;
	return 0;
}

struct boot_opts {
	struct sentry_config cfg;
	int spec_fd;
	int seccomp_fd;
	bool no_jail;
	char **envp;		     /* MAX_ENV + 1 */
	struct sentry_mount *mounts; /* MAX_MOUNTS, cfg.nmounts used */
};

/* --gofer-fd=N and --spec-fd=N */
static int boot_fd(void *field, const char *word, const char *value, struct verr *err)
{
	return parse_fd(value, field) < 0 ? verr_set(err, EINVAL, "bad fd %s", value) : 0;
}

/* --control-fd=N and --ready-fd=N: never stdio (the app's) */
static int boot_fd_not_stdio(void *field, const char *word, const char *value, struct verr *err)
{
	int r = boot_fd(field, word, value, err);
	if (r == 0 && *(int *)field <= 2)
		return verr_set(err, EINVAL, "bad fd %s", value);
	return r;
}

/* --uid=N and --gid=N */
static int boot_id(void *field, const char *word, const char *value, struct verr *err)
{
	return parse_u32(value, field) < 0 ? verr_set(err, EINVAL, "bad id %s", value) : 0;
}

static int boot_env(void *opts, const char *word, const char *value, struct verr *err)
{
	struct boot_opts *o = opts;
	if (o->cfg.envc >= MAX_ENV)
		return verr_set(err, E2BIG, "too many --env");
	o->envp[o->cfg.envc++] = (char *)value;
	return 0;
}

/* A mount of the Sentry's own file system fstype (its source is the type). */
static int boot_mount(struct boot_opts *o, const char *target, const char *fstype,
		      unsigned long flags, const char *data, struct verr *err)
{
	if (o->cfg.nmounts >= MAX_MOUNTS)
		return verr_set(err, E2BIG, "too many mounts");
	o->mounts[o->cfg.nmounts++] = (struct sentry_mount){
		.target = target, .fstype = fstype, .source = fstype, .flags = flags, .data = data};
	return 0;
}

static int boot_tmpfs(void *opts, const char *word, const char *value, struct verr *err)
{
	return boot_mount(opts, value, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err);
}

static int boot_dev(void *opts, const char *word, const char *value, struct verr *err)
{
	return boot_mount(opts, "/dev", "dev", MS_NOSUID, NULL, err);
}

static int boot_proc(void *opts, const char *word, const char *value, struct verr *err)
{
	return boot_mount(opts, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
}

static int boot_sys(void *opts, const char *word, const char *value, struct verr *err)
{
	return boot_mount(opts, "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL,
			  err);
}

/* Every value is --name=VALUE: the runtime writes this command line. */
#define BOOT_PARSE(lng, field, ftype, fn)                                                          \
	{CLI_PARSE(lng, 0, struct boot_opts, field, ftype, fn), .flags = CLI_INLINE}
#define BOOT_CALL(lng, fn) {CLI_CALL(lng, 0, true, fn), .flags = CLI_INLINE}
#define BOOT_VALUE(lng, field) {CLI_VALUE(lng, 0, struct boot_opts, field), .flags = CLI_INLINE}

static const struct cli_opt boot_options[] = {
	BOOT_PARSE("--gofer-fd", cfg.gofer_fd, int, boot_fd),
	BOOT_PARSE("--spec-fd", spec_fd, int, boot_fd),
	BOOT_PARSE("--seccomp-fd", seccomp_fd, int, boot_fd_not_stdio),
	BOOT_PARSE("--control-fd", cfg.control_fd, int, boot_fd_not_stdio),
	BOOT_PARSE("--ready-fd", cfg.ready_fd, int, boot_fd_not_stdio),
	{CLI_FLAG("--wait-start", 0, struct boot_opts, cfg.wait_start)},
	{CLI_FLAG("--root-readonly", 0, struct boot_opts, cfg.root_readonly)},
	BOOT_VALUE("--cwd", cfg.cwd),
	BOOT_CALL("--env", boot_env),
	BOOT_PARSE("--uid", cfg.uid, uint32_t, boot_id),
	BOOT_PARSE("--gid", cfg.gid, uint32_t, boot_id),
	BOOT_VALUE("--hostname", cfg.hostname),
	BOOT_VALUE("--container-id", cfg.container_id),
	BOOT_CALL("--tmpfs", boot_tmpfs),
	{CLI_CALL("--dev", 0, false, boot_dev)},
	{CLI_CALL("--proc", 0, false, boot_proc)},
	{CLI_CALL("--sys", 0, false, boot_sys)},
	{CLI_FLAG("--no-jail", 0, struct boot_opts, no_jail)},
	{0},
};

int cmd_boot(struct global_opts *g, int argc, char **argv)
{
	static const struct cli_command boot_command = {"boot", boot_options, CLI_DASHDASH, 0};
	static char *envp[MAX_ENV + 1];
	static struct sentry_mount mounts[MAX_MOUNTS];
	struct boot_opts o = {
		.cfg = {
			.platform = g->platform,
			.gofer_fd = -1,
			.stdio = {0, 1, 2},
			.cwd = "/",
			.strace = g->strace,
			.file_access_shared = g->file_access && !strcmp(g->file_access, "shared"),
			.network_none = g->network && !strcmp(g->network, "none"),
			.network_host = g->network && !strcmp(g->network, "host"),
			.control_fd = -1,
			.ready_fd = -1,
		},
		.spec_fd = -1,
		.seccomp_fd = -1,
		.envp = envp,
		.mounts = mounts,
	};
	struct cli_result res;
	struct verr perr = {0};
	if (cli_parse(&boot_command, &o, g, argc, argv, &res, &perr) < 0) {
		fprintf(stderr, "visor boot: bad argument %s\n", res.bad);
		return 125;
	}
	struct sentry_config cfg = o.cfg;
	cfg.jail = !o.no_jail;
	if (cfg.container_id) {
		/* As sentry_run will: every line names the container. */
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "sentry %.12s", cfg.container_id);
		log_set_prefix(prefix);
	}
	int spec_fd = o.spec_fd;
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
		if (r == 0 && o.seccomp_fd >= 0)
			r = boot_seccomp_from_fd(o.seccomp_fd, oc, &cfg, &err);
		else if (r == 0)
			r = boot_seccomp_from_oci(oc, &cfg, &err);
		if (o.seccomp_fd >= 0)
			close(o.seccomp_fd);
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
	if (res.nrest == 0) {
		fprintf(stderr, "visor boot: need a command (or --spec-fd)\n");
		return 125;
	}
	envp[cfg.envc] = NULL;
	cfg.envp = envp;
	cfg.argv = res.rest;
	cfg.argc = res.nrest;
	return sentry_run(&cfg);
}
