/*
 * cmd_spec.c — `visor spec` (write a default config.json, as `runc spec`)
 * and `visor features` (print the OCI runtime features JSON).
 *
 * Owns: the default bundle configuration and the features document.  Both
 * are generated with lib/json.h's writer, never pasted as text, so they are
 * valid JSON by construction; the name lists in `features` come from oci.c's
 * tables so they cannot drift from what the parser accepts.
 * Never: overwrites an existing config.json.
 */
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/verr.h"
#include "platform/platform.h"
#include "runtime/cli.h"
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

/* Both documents are pretty JSON with tab indents, as runc's. */
#define SPEC_JSON_INDENT "\t"

/* Write the finished document to fd.  0 or -errno. */
static int write_doc(const struct json_writer *w, int fd)
{
	size_t len;
	const char *text = json_writer_text(w, &len);
	if (!text)
		return json_writer_error(w);
	return write_all(fd, text, len) < 0 ? -errno : 0;
}

/* ---- visor spec --------------------------------------------------------- */

static void spec_mount(struct json_writer *w, const char *dst, const char *type, const char *src,
		       const char *const *opts)
{
	json_object_begin(w);
	json_key_string(w, "destination", dst);
	json_key_string(w, "type", type);
	json_key_string(w, "source", src);
	if (opts)
		json_key_strings(w, "options", opts);
	json_object_end(w);
}

static void spec_id_mapping(struct json_writer *w, const char *key, unsigned host)
{
	json_key_array_begin(w, key);
	json_object_begin(w);
	json_key_int(w, "containerID", 0);
	json_key_int(w, "hostID", host);
	json_key_int(w, "size", 1);
	json_object_end(w);
	json_array_end(w);
}

/* The default configuration, as runc's: "sh" on a terminal in ./rootfs
 * (read-only), the standard mounts, masked and read-only /proc paths.  The
 * rootless variant (as `runc spec --rootless`) adds a user namespace mapping
 * the caller's uid/gid to 0, drops the network namespace (an unprivileged
 * user cannot set up its interfaces), bind-mounts the host's /sys instead of
 * a new sysfs, drops devpts' gid=5 (no such group mapped) and has no
 * resources section (no cgroup to write to). */
static void spec_generate(struct json_writer *w, bool rootless)
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

	json_object_begin(w);
	json_key_string(w, "ociVersion", "1.1.0");

	json_key_object_begin(w, "process");
	json_key_bool(w, "terminal", true);
	json_key_object_begin(w, "user");
	json_key_int(w, "uid", 0);
	json_key_int(w, "gid", 0);
	json_object_end(w);
	static const char *const args[] = {"sh", NULL};
	json_key_strings(w, "args", args);
	json_key_strings(w, "env", env);
	json_key_string(w, "cwd", "/");
	json_key_object_begin(w, "capabilities");
	json_key_strings(w, "bounding", caps);
	json_key_strings(w, "effective", caps);
	json_key_strings(w, "permitted", caps);
	json_object_end(w);
	json_key_array_begin(w, "rlimits");
	json_object_begin(w);
	json_key_string(w, "type", "RLIMIT_NOFILE");
	json_key_int(w, "hard", 1024);
	json_key_int(w, "soft", 1024);
	json_object_end(w);
	json_array_end(w);
	json_key_bool(w, "noNewPrivileges", true);
	json_object_end(w);

	json_key_object_begin(w, "root");
	json_key_string(w, "path", "rootfs");
	json_key_bool(w, "readonly", true);
	json_object_end(w);
	json_key_string(w, "hostname", "visor");

	json_key_array_begin(w, "mounts");
	spec_mount(w, "/proc", "proc", "proc", NULL);
	spec_mount(w, "/dev", "tmpfs", "tmpfs", dev_opts);
	spec_mount(w, "/dev/pts", "devpts", "devpts", rootless ? pts_opts_rootless : pts_opts);
	spec_mount(w, "/dev/shm", "tmpfs", "shm", shm_opts);
	spec_mount(w, "/dev/mqueue", "mqueue", "mqueue", mq_opts);
	if (rootless)
		spec_mount(w, "/sys", "none", "/sys", sys_opts_rootless);
	else
		spec_mount(w, "/sys", "sysfs", "sysfs", sys_opts);
	json_array_end(w);

	json_key_object_begin(w, "linux");
	if (rootless) {
		spec_id_mapping(w, "uidMappings", (unsigned)geteuid());
		spec_id_mapping(w, "gidMappings", (unsigned)getegid());
	} else {
		json_key_object_begin(w, "resources");
		json_key_array_begin(w, "devices");
		json_object_begin(w);
		json_key_bool(w, "allow", false);
		json_key_string(w, "access", "rwm");
		json_object_end(w);
		json_array_end(w);
		json_object_end(w);
	}
	json_key_array_begin(w, "namespaces");
	static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount"};
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		if (rootless && !strcmp(ns[i], "network"))
			continue;
		json_object_begin(w);
		json_key_string(w, "type", ns[i]);
		json_object_end(w);
	}
	if (rootless) {
		json_object_begin(w);
		json_key_string(w, "type", "user");
		json_object_end(w);
	}
	json_array_end(w);
	json_key_strings(w, "maskedPaths", masked);
	json_key_strings(w, "readonlyPaths", readonly);
	json_object_end(w);

	json_object_end(w);
}

static void spec_usage(FILE *f)
{
	fprintf(f, "usage: visor spec [--bundle DIR] [--rootless]\n"
		   "  write a default config.json into DIR (default: the current directory)\n");
}

/* spec's and features' lines: neither takes the global options (they
 * belong before the command, where main.c takes them) nor arguments.
 * Returns -1 to go on, else the exit status: help printed, or the error
 * said (an unknown argument followed by the usage when usage_on_error). */
static int parse_local(const struct cli_command *c, void *opts, int argc, char **argv,
		       void (*usage)(FILE *), bool usage_on_error)
{
	struct cli_result res;
	struct verr err = {0};
	int r = cli_parse(c, opts, NULL, argc, argv, &res, &err);
	if (r == 1) { /* --help */
		usage(stdout);
		return 0;
	}
	if (r == 0)
		return -1;
	if (r != -ENOENT && r != -E2BIG) {
		fprintf(stderr, "visor %s: %s\n", c->name, err.msg);
		return 1;
	}
	fprintf(stderr, "visor %s: unknown argument %s\n", c->name, res.bad);
	if (usage_on_error)
		usage(stderr);
	return 1;
}

struct spec_opts {
	const char *bundle;
	bool rootless, help;
};

int cmd_spec(struct global_opts *g, int argc, char **argv)
{
	static const struct cli_opt spec_options[] = {
		{CLI_FLAG("--rootless", 0, struct spec_opts, rootless)},
		{CLI_VALUE("--bundle", 'b', struct spec_opts, bundle)},
		{CLI_FLAG("--help", 'h', struct spec_opts, help), .flags = CLI_STOP},
		{0},
	};
	static const struct cli_command spec_command = {"spec", spec_options, 0, 0};
	struct spec_opts o = {.bundle = "."};
	int r = parse_local(&spec_command, &o, argc, argv, spec_usage, true);
	if (r >= 0)
		return r;
	const char *bundle = o.bundle;
	bool rootless = o.rootless;
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
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, SPEC_JSON_INDENT, 0);
	spec_generate(&w, rootless);
	r = write_doc(&w, fd);
	if (r < 0) {
		fprintf(stderr, "visor spec: cannot write %s: %s\n", path, strerror(-r));
		unlink(path); /* leave no half-written config behind */
		return 1;
	}
	return 0;
}

/* ---- visor features ----------------------------------------------------- */

/* "key": {"enabled": false} */
static void features_disabled(struct json_writer *w, const char *key)
{
	json_key_object_begin(w, key);
	json_key_bool(w, "enabled", false);
	json_object_end(w);
}

static void features_usage(FILE *f)
{
	fprintf(f, "usage: visor features\n  print the OCI runtime features JSON\n");
}

int cmd_features(struct global_opts *g, int argc, char **argv)
{
	static const struct cli_opt features_options[] = {
		{CLI_FLAG("--help", 'h', struct spec_opts, help), .flags = CLI_STOP},
		{0},
	};
	static const struct cli_command features_command = {"features", features_options, 0, 0};
	struct spec_opts o = {0};
	int r = parse_local(&features_command, &o, argc, argv, features_usage, false);
	if (r >= 0)
		return r;
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, SPEC_JSON_INDENT, 0);
	json_object_begin(&w);
	json_key_string(&w, "ociVersionMin", "1.0.0");
	json_key_string(&w, "ociVersionMax", "1.1.0");
	/* No hooks are run (an empty list, not null: null would mean "unknown"). */
	json_key_array_begin(&w, "hooks");
	json_array_end(&w);
	json_key_array_begin(&w, "mountOptions");
	for (size_t i = 0; oci_mount_option_name(i); i++)
		json_string(&w, oci_mount_option_name(i));
	json_array_end(&w);

	json_key_object_begin(&w, "linux");
	json_key_array_begin(&w, "namespaces");
	for (int t = 0; t < OCI_NS_COUNT; t++)
		json_string(&w, oci_ns_name((enum oci_ns_type)t));
	json_array_end(&w);
	json_key_array_begin(&w, "capabilities");
	for (int c = 0; oci_cap_name(c); c++)
		json_string(&w, oci_cap_name(c));
	json_array_end(&w);
	json_key_object_begin(&w, "cgroup");
	json_key_bool(&w, "v1", true);
	json_key_bool(&w, "v2", true);
	json_key_bool(&w, "systemd", false);
	json_key_bool(&w, "systemdUser", false);
	json_object_end(&w);
	/* The bundle's seccomp profile is not applied: the application never
	 * reaches the host kernel, the Sentry serves every system call. */
	features_disabled(&w, "seccomp");
	features_disabled(&w, "apparmor");
	features_disabled(&w, "selinux");
	features_disabled(&w, "intelRdt");
	json_key_object_begin(&w, "mountExtensions");
	features_disabled(&w, "idmap");
	json_object_end(&w);
	json_object_end(&w);

	json_key_object_begin(&w, "annotations");
	json_key_string(&w, "io.github.visor.platforms", platform_names());
	json_key_string(&w, "io.github.visor.version", VISOR_VERSION);
	json_object_end(&w);
	json_object_end(&w);
	fflush(stdout);
	if (write_doc(&w, STDOUT_FILENO) < 0) {
		fprintf(stderr, "visor features: cannot write the features JSON\n");
		return 1;
	}
	return 0;
}
