/*
 * cmd_spec.c — `visor spec` (write a default config.json, as `runc spec`)
 * and `visor features` (print the OCI runtime features JSON).
 *
 * Owns: the default bundle configuration and the features document.  Both
 * are generated with yajl_gen, never pasted as text, so they are valid JSON
 * by construction; the name lists in `features` come from oci.c's tables so
 * they cannot drift from what the parser accepts.
 * Never: overwrites an existing config.json.
 */
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "runtime/oci.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* ---- tiny yajl_gen helpers (errors are collected, checked once) -------- */

struct sgen {
	yajl_gen g;
	bool bad;
};

static void s_chk(struct sgen *s, yajl_gen_status st)
{
	if (st != yajl_gen_status_ok)
		s->bad = true;
}

static void s_str(struct sgen *s, const char *v)
{
	s_chk(s, yajl_gen_string(s->g, (const unsigned char *)v, strlen(v)));
}

static void s_open(struct sgen *s, const char *key)
{
	if (key)
		s_str(s, key);
	s_chk(s, yajl_gen_map_open(s->g));
}

static void s_close(struct sgen *s) { s_chk(s, yajl_gen_map_close(s->g)); }

static void s_aopen(struct sgen *s, const char *key)
{
	if (key)
		s_str(s, key);
	s_chk(s, yajl_gen_array_open(s->g));
}

static void s_aclose(struct sgen *s) { s_chk(s, yajl_gen_array_close(s->g)); }

static void s_kstr(struct sgen *s, const char *k, const char *v)
{
	s_str(s, k);
	s_str(s, v);
}

static void s_kint(struct sgen *s, const char *k, long long v)
{
	s_str(s, k);
	s_chk(s, yajl_gen_integer(s->g, v));
}

static void s_kbool(struct sgen *s, const char *k, bool v)
{
	s_str(s, k);
	s_chk(s, yajl_gen_bool(s->g, v));
}

/* key: [strings...] from a NULL-terminated list */
static void s_kstrv(struct sgen *s, const char *k, const char *const *v)
{
	s_aopen(s, k);
	for (; *v; v++)
		s_str(s, *v);
	s_aclose(s);
}

static int s_begin(struct sgen *s)
{
	s->bad = false;
	s->g = yajl_gen_alloc(NULL);
	if (!s->g)
		return -ENOMEM;
	yajl_gen_config(s->g, yajl_gen_beautify, 1);
	yajl_gen_config(s->g, yajl_gen_indent_string, "\t");
	return 0;
}

/* Finish: write the document to fd.  0 or -errno. */
static int s_finish(struct sgen *s, int fd)
{
	const unsigned char *buf;
	size_t len;
	int r = 0;
	if (s->bad || yajl_gen_get_buf(s->g, &buf, &len) != yajl_gen_status_ok)
		r = -EINVAL;
	else if (write_all(fd, buf, len) < 0)
		r = -errno;
	yajl_gen_free(s->g);
	return r;
}

/* ---- visor spec --------------------------------------------------------- */

static void spec_mount(struct sgen *s, const char *dst, const char *type, const char *src,
		       const char *const *opts)
{
	s_open(s, NULL);
	s_kstr(s, "destination", dst);
	s_kstr(s, "type", type);
	s_kstr(s, "source", src);
	if (opts)
		s_kstrv(s, "options", opts);
	s_close(s);
}

static void spec_id_mapping(struct sgen *s, const char *key, unsigned host)
{
	s_aopen(s, key);
	s_open(s, NULL);
	s_kint(s, "containerID", 0);
	s_kint(s, "hostID", host);
	s_kint(s, "size", 1);
	s_close(s);
	s_aclose(s);
}

/* The default configuration, as runc's: "sh" on a terminal in ./rootfs
 * (read-only), the standard mounts, masked and read-only /proc paths.  The
 * rootless variant (as `runc spec --rootless`) adds a user namespace mapping
 * the caller's uid/gid to 0, drops the network namespace (an unprivileged
 * user cannot set up its interfaces), bind-mounts the host's /sys instead of
 * a new sysfs, drops devpts' gid=5 (no such group mapped) and has no
 * resources section (no cgroup to write to). */
static void spec_generate(struct sgen *s, bool rootless)
{
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const dev_opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
					       NULL};
	static const char *const pts_opts[] = {
	    "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL};
	static const char *const pts_opts_rootless[] = {"nosuid",	 "noexec",    "newinstance",
							"ptmxmode=0666", "mode=0620", NULL};
	static const char *const shm_opts[] = {"nosuid",    "noexec",	   "nodev",
					       "mode=1777", "size=65536k", NULL};
	static const char *const mq_opts[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys_opts[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const sys_opts_rootless[] = {"rbind", "nosuid", "noexec",
							"nodev", "ro",	   NULL};
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     NULL};
	static const char *const readonly[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

	s_open(s, NULL);
	s_kstr(s, "ociVersion", "1.1.0");

	s_open(s, "process");
	s_kbool(s, "terminal", true);
	s_open(s, "user");
	s_kint(s, "uid", 0);
	s_kint(s, "gid", 0);
	s_close(s);
	static const char *const args[] = {"sh", NULL};
	s_kstrv(s, "args", args);
	s_kstrv(s, "env", env);
	s_kstr(s, "cwd", "/");
	s_open(s, "capabilities");
	s_kstrv(s, "bounding", caps);
	s_kstrv(s, "effective", caps);
	s_kstrv(s, "permitted", caps);
	s_close(s);
	s_aopen(s, "rlimits");
	s_open(s, NULL);
	s_kstr(s, "type", "RLIMIT_NOFILE");
	s_kint(s, "hard", 1024);
	s_kint(s, "soft", 1024);
	s_close(s);
	s_aclose(s);
	s_kbool(s, "noNewPrivileges", true);
	s_close(s);

	s_open(s, "root");
	s_kstr(s, "path", "rootfs");
	s_kbool(s, "readonly", true);
	s_close(s);
	s_kstr(s, "hostname", "visor");

	s_aopen(s, "mounts");
	spec_mount(s, "/proc", "proc", "proc", NULL);
	spec_mount(s, "/dev", "tmpfs", "tmpfs", dev_opts);
	spec_mount(s, "/dev/pts", "devpts", "devpts", rootless ? pts_opts_rootless : pts_opts);
	spec_mount(s, "/dev/shm", "tmpfs", "shm", shm_opts);
	spec_mount(s, "/dev/mqueue", "mqueue", "mqueue", mq_opts);
	if (rootless)
		spec_mount(s, "/sys", "none", "/sys", sys_opts_rootless);
	else
		spec_mount(s, "/sys", "sysfs", "sysfs", sys_opts);
	s_aclose(s);

	s_open(s, "linux");
	if (rootless) {
		spec_id_mapping(s, "uidMappings", (unsigned)geteuid());
		spec_id_mapping(s, "gidMappings", (unsigned)getegid());
	} else {
		s_open(s, "resources");
		s_aopen(s, "devices");
		s_open(s, NULL);
		s_kbool(s, "allow", false);
		s_kstr(s, "access", "rwm");
		s_close(s);
		s_aclose(s);
		s_close(s);
	}
	s_aopen(s, "namespaces");
	static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount"};
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		if (rootless && !strcmp(ns[i], "network"))
			continue;
		s_open(s, NULL);
		s_kstr(s, "type", ns[i]);
		s_close(s);
	}
	if (rootless) {
		s_open(s, NULL);
		s_kstr(s, "type", "user");
		s_close(s);
	}
	s_aclose(s);
	s_kstrv(s, "maskedPaths", masked);
	s_kstrv(s, "readonlyPaths", readonly);
	s_close(s);

	s_close(s);
}

static void spec_usage(FILE *f)
{
	fprintf(f, "usage: visor spec [--bundle DIR] [--rootless]\n"
		   "  write a default config.json into DIR (default: the current directory)\n");
}

int cmd_spec(struct global_opts *g, int argc, char **argv)
{
	const char *bundle = ".";
	bool rootless = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--rootless")) {
			rootless = true;
		} else if (!strcmp(a, "--bundle") || !strcmp(a, "-b")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "visor spec: %s needs a directory\n", a);
				return 1;
			}
			bundle = argv[++i];
		} else if (!strncmp(a, "--bundle=", 9)) {
			bundle = a + 9;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			spec_usage(stdout);
			return 0;
		} else {
			/* Global options belong before the command (main.c takes
			 * them there); spec has no use for sandbox flags. */
			fprintf(stderr, "visor spec: unknown argument %s\n", a);
			spec_usage(stderr);
			return 1;
		}
	}
	char path[PATH_MAX];
	if (!*bundle ||
	    snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path)) {
		fprintf(stderr, "visor spec: bad bundle directory \"%s\"\n", bundle);
		return 1;
	}
	struct stat sb;
	if (stat(bundle, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "visor spec: bundle %s is not a directory\n", bundle);
		return 1;
	}
	/* O_EXCL: refuse to overwrite, without a check-then-write race.  Mode
	 * 0666 less the umask, as runc. */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			fprintf(stderr, "visor spec: %s already exists; remove it first\n", path);
		else
			fprintf(stderr, "visor spec: cannot create %s: %s\n", path,
				strerror(errno));
		return 1;
	}
	struct sgen s;
	int r = s_begin(&s);
	if (r == 0) {
		spec_generate(&s, rootless);
		r = s_finish(&s, fd);
	}
	if (r < 0) {
		fprintf(stderr, "visor spec: cannot write %s: %s\n", path, strerror(-r));
		unlink(path); /* leave no half-written config behind */
		return 1;
	}
	return 0;
}

/* ---- visor features ----------------------------------------------------- */

int cmd_features(struct global_opts *g, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: visor features\n  print the OCI runtime features JSON\n");
			return 0;
		}
		fprintf(stderr, "visor features: unknown argument %s\n", argv[i]);
		return 1;
	}
	struct sgen s;
	if (s_begin(&s) < 0)
		return 1;
	s_open(&s, NULL);
	s_kstr(&s, "ociVersionMin", "1.0.0");
	s_kstr(&s, "ociVersionMax", "1.1.0");
	/* No hooks are run (an empty list, not null: null would mean "unknown"). */
	s_aopen(&s, "hooks");
	s_aclose(&s);
	s_aopen(&s, "mountOptions");
	for (size_t i = 0; oci_mount_option_name(i); i++)
		s_str(&s, oci_mount_option_name(i));
	s_aclose(&s);

	s_open(&s, "linux");
	s_aopen(&s, "namespaces");
	for (int t = 0; t < OCI_NS_COUNT; t++)
		s_str(&s, oci_ns_name((enum oci_ns_type)t));
	s_aclose(&s);
	s_aopen(&s, "capabilities");
	for (int c = 0; oci_cap_name(c); c++)
		s_str(&s, oci_cap_name(c));
	s_aclose(&s);
	s_open(&s, "cgroup");
	s_kbool(&s, "v1", true);
	s_kbool(&s, "v2", true);
	s_kbool(&s, "systemd", false);
	s_kbool(&s, "systemdUser", false);
	s_close(&s);
	/* The bundle's seccomp profile is not applied: the application never
	 * reaches the host kernel, the Sentry serves every system call. */
	s_open(&s, "seccomp");
	s_kbool(&s, "enabled", false);
	s_close(&s);
	s_open(&s, "apparmor");
	s_kbool(&s, "enabled", false);
	s_close(&s);
	s_open(&s, "selinux");
	s_kbool(&s, "enabled", false);
	s_close(&s);
	s_open(&s, "intelRdt");
	s_kbool(&s, "enabled", false);
	s_close(&s);
	s_open(&s, "mountExtensions");
	s_open(&s, "idmap");
	s_kbool(&s, "enabled", false);
	s_close(&s);
	s_close(&s);
	s_close(&s);

	s_open(&s, "annotations");
	s_kstr(&s, "io.github.visor.platforms", "ptrace");
	s_kstr(&s, "io.github.visor.version", VISOR_VERSION);
	s_close(&s);
	s_close(&s);
	fflush(stdout);
	if (s_finish(&s, STDOUT_FILENO) < 0) {
		fprintf(stderr, "visor features: cannot write the features JSON\n");
		return 1;
	}
	return 0;
}
