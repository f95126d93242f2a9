/*
 * main.c — entry point of the one visor binary.
 *
 * The same binary is the runtime CLI (create/start/...), the Sentry
 * (`visor boot`, started by the runtime) and the Gofer (`visor gofer`).
 * Global options come first (runtime/cli.c parses them); the first word
 * that is not one is the command.
 */
#include "platform/platform.h"
#include "runtime/cli.h"
#include "runtime/runtime.h"
#include "lib/log.h"
#include "lib/verr.h"

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
	{"debug", cmd_debug, "a running sandbox's unsupported calls: debug --unsupported ID"},
	/* commands: keep this line last */
};

/* What main itself takes besides the global options. */
struct main_opts {
	bool help, version;
};

static const struct cli_opt main_options[] = {
	{CLI_FLAG("--help", 'h', struct main_opts, help), .flags = CLI_STOP},
	{CLI_FLAG("--version", 'v', struct main_opts, version), .flags = CLI_STOP},
	{0},
};

static const struct cli_command main_command = {
	"visor", main_options, CLI_GLOBALS | CLI_STOP_AT_ARG | CLI_STOP_AT_UNKNOWN, 0};

int cmd_version(struct global_opts *g, int argc, char **argv)
{
	printf("visor version %s\nspec: 1.1.0\nplatforms: %s\n", VISOR_VERSION, platform_names());
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: visor [global options] COMMAND [options] [args]\n\ncommands:\n");
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		fprintf(f, "  %-10s %s\n", commands[k].name, commands[k].help);
	fprintf(f, "\nglobal options: --root DIR --log FILE --log-format json|text --debug\n"
		   "  --systemd-cgroup --platform=systrap|ptrace|kvm (default systrap)\n"
		   "  --network=sandbox|host|none --strace --debug-log=PATH --file-access=exclusive|shared\n"
		   "  (--overlay is recognised but not implemented yet: create refuses it)\n");
}

int main(int argc, char **argv)
{
	struct global_opts g = {
		.root = "/run/visor",
		.platform = "systrap", /* the default platform (ptrace: --platform=ptrace) */
		.network = "sandbox",
		.file_access = "exclusive",
		.argv0 = argv[0],
	};
	/* Global options before the command word; the command's own options
	 * are left for it (the container commands take sandbox flags after
	 * the word too).  An unknown option is taken as the word, and is then
	 * an unknown command. */
	struct main_opts o = {0};
	struct cli_result res;
	struct verr err = {0};
	int r = cli_parse(&main_command, &o, &g, argc, argv, &res, &err);
	if (r < 0) {
		fprintf(stderr, "visor: %s\n", err.msg);
		return 1;
	}
	if (o.help) {
		usage(stdout);
		return 0;
	}
	if (o.version)
		return cmd_version(&g, 0, NULL);
	if (res.nrest == 0) {
		usage(stderr);
		return 1;
	}
	argc = res.nrest;
	argv = res.rest;
	const char *name = argv[0];
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
			return commands[k].fn(&g, argc, argv);
	}
	fprintf(stderr, "visor: unknown command %s\n", name);
	log_error("unknown command %s", name);
	usage(stderr);
	return 1;
}
