/*
 * main.c — entry point of the one visor binary.
 *
 * The same binary is the runtime CLI (create/start/...), the Sentry
 * (`visor boot`, started by the runtime) and the Gofer (`visor gofer`).
 * Global options may appear anywhere before "--"; the first non-option word
 * is the command.
 */
#include "runtime/runtime.h"
#include "lib/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct command commands[] = {
	{"version", cmd_version, "print the version"},
	{"install", cmd_install, "register visor as a Docker runtime in daemon.json"},
	{"uninstall", cmd_uninstall, "remove visor's runtime entry from daemon.json"},
	{"gofer", cmd_gofer, "serve a container's files to the Sentry (started by create)"},
	{"do", cmd_do, "run a command in a fresh sandbox: visor do [--root-dir=DIR] CMD [ARG...]"},
	{"boot", cmd_boot, "(internal) the Sentry process"},
	{"create", cmd_create, "create a container: create [--bundle DIR] [--pid-file F] [--console-socket S] ID"},
	{"start", cmd_start, "start a created container: start ID"},
	{"state", cmd_state, "print a container's OCI state: state ID"},
	{"kill", cmd_kill, "signal a container: kill [--all] ID [SIGNAL]"},
	{"delete", cmd_delete, "delete a container: delete [--force] ID"},
	{"exec", cmd_exec, "run a process in a container: exec [--process F | ID CMD...]"},
	{"ps", cmd_ps, "list a container's processes: ps [--format json|table] ID"},
	{"list", cmd_list, "list containers: list [--format json|table] [-q]"},
	{"run", cmd_run, "create, start and wait: run [--bundle DIR] [--detach] ID"},
	{"pause", cmd_pause, "freeze a container (cgroup freezer): pause ID"},
	{"resume", cmd_resume, "thaw a paused container: resume ID"},
	{"update", cmd_update, "change memory/pids/cpu limits: update [-r FILE|-] [--memory N] ID"},
	{"events", cmd_events, "container statistics: events --stats ID"},
	{"spec", cmd_spec, "write a default config.json: spec [--bundle DIR] [--rootless]"},
	{"features", cmd_features, "print the OCI runtime features JSON"},
	/* commands: keep this line last */
};

int cmd_version(struct global_opts *g, int argc, char **argv)
{
	printf("visor version %s\nspec: 1.1.0\nplatforms: ptrace\n", VISOR_VERSION);
	return 0;
}

static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == 0 && *i + 1 < argc) {
		(*i)++;
		return argv[*i];
	}
	return NULL;
}

int global_opt_parse(struct global_opts *g, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char *v;
	if (a[0] != '-' || a[1] != '-')
		return 0;
	/* runc's global flags also come with a single dash from some callers. */
	if (!strcmp(a, "--debug")) {
		g->debug = true;
		return 1;
	}
	if (!strcmp(a, "--systemd-cgroup")) {
		g->systemd_cgroup = true;
		return 1;
	}
	if (!strcmp(a, "--overlay")) {
		g->overlay = true;
		return 1;
	}
	if (!strcmp(a, "--strace")) {
		g->strace = true;
		return 1;
	}
	static const char *valued[] = {"--root",      "--log",     "--log-format", "--platform",
				       "--network",   "--debug-log", "--file-access"};
	for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
		size_t n = strlen(valued[k]);
		if (strncmp(a, valued[k], n) != 0 || (a[n] != 0 && a[n] != '='))
			continue;
		int save = *i;
		v = opt_value(argc, argv, i, valued[k]);
		if (!v) {
			fprintf(stderr, "visor: option %s needs a value\n", valued[k]);
			*i = save;
			return -1;
		}
		switch (k) {
		case 0: g->root = v; break;
		case 1: g->log_path = v; break;
		case 2:
			if (strcmp(v, "json") && strcmp(v, "text")) {
				fprintf(stderr, "visor: --log-format must be json or text, not %s\n", v);
				return -1;
			}
			g->log_json = !strcmp(v, "json");
			break;
		case 3:
			if (strcmp(v, "ptrace") && strcmp(v, "systrap") && strcmp(v, "kvm")) {
				fprintf(stderr, "visor: --platform must be ptrace, systrap or kvm, not %s\n", v);
				return -1;
			}
			g->platform = v;
			break;
		case 4:
			if (strcmp(v, "sandbox") && strcmp(v, "host") && strcmp(v, "none")) {
				fprintf(stderr, "visor: --network must be sandbox, host or none, not %s\n", v);
				return -1;
			}
			g->network = v;
			break;
		case 5: g->debug_log = v; break;
		case 6:
			if (strcmp(v, "exclusive") && strcmp(v, "shared")) {
				fprintf(stderr, "visor: --file-access must be exclusive or shared, not %s\n", v);
				return -1;
			}
			g->file_access = v;
			break;
		}
		return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: visor [global options] COMMAND [options] [args]\n\ncommands:\n");
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		fprintf(f, "  %-10s %s\n", commands[k].name, commands[k].help);
	fprintf(f, "\nglobal options: --root DIR --log FILE --log-format json|text --debug\n"
		   "  --systemd-cgroup --platform=ptrace|systrap|kvm --network=sandbox|host|none\n"
		   "  --overlay --strace --debug-log=PATH --file-access=exclusive|shared\n");
}

int main(int argc, char **argv)
{
	struct global_opts g = {
		.root = "/run/visor",
		.platform = "ptrace",
		.network = "sandbox",
		.file_access = "exclusive",
		.argv0 = argv[0],
	};
	/* Global options before the command; the command's own options are left
	 * for it, but sandbox flags after the command are accepted too. */
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v"))
			return cmd_version(&g, 0, NULL);
		int r = global_opt_parse(&g, argc, argv, &i);
		if (r < 0)
			return 1;
		if (r == 0)
			break;
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}

	const char *name = argv[i];
	/* The Sentry's stderr is the container's: it logs to --debug-log (or
	 * --log) and writes only errors to stderr when it has neither. */
	bool sentry = !strcmp(name, "boot");
	const char *path = sentry && g.debug_log ? g.debug_log : g.log_path;
	int logfd = -1;
	if (path) {
		logfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (logfd < 0)
			fprintf(stderr, "visor: cannot open log %s\n", path);
	}
	enum log_level level = g.debug ? LOG_DEBUG : g.strace ? LOG_INFO : LOG_WARN;
	if (sentry && logfd < 0 && !g.debug && !g.strace)
		level = LOG_ERROR;
	if (sentry && g.debug_log && level < LOG_INFO)
		level = LOG_INFO; /* a debug log is asked for: say what happens */
	log_init(logfd, g.log_json && !(sentry && g.debug_log), level);

	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (!strcmp(commands[k].name, name))
			return commands[k].fn(&g, argc - i, argv + i);
	}
	fprintf(stderr, "visor: unknown command %s\n", name);
	log_error("unknown command %s", name);
	usage(stderr);
	return 1;
}
