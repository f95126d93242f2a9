/*
 * runtime.h — the visor command line: global options and the commands.
 *
 * main.c parses the global options (runc's, plus visor's sandbox flags, which
 * the container commands accept anywhere on their line: runtime/cli.h) and
 * dispatches to one cmd_* function per command.  Each cmd_* gets argv
 * starting at the command name, stripped of the global options before it,
 * parses the rest with its own option table (runtime/cli.h), and returns the
 * process exit status.
 */
#ifndef VISOR_RUNTIME_H
#define VISOR_RUNTIME_H

#include <stdbool.h>

struct global_opts {
	const char *root;       /* --root: state directory (default /run/visor) */
	const char *log_path;   /* --log */
	bool log_json;          /* --log-format=json */
	bool debug;             /* --debug */
	bool systemd_cgroup;    /* --systemd-cgroup (accepted) */
	/* sandbox flags, recorded in the state of sandboxes created with them */
	const char *platform;   /* --platform=ptrace|systrap|kvm */
	const char *network;    /* --network=sandbox|host|none */
	bool overlay;           /* --overlay */
	bool strace;            /* --strace */
	const char *debug_log;  /* --debug-log=PATH */
	const char *file_access; /* --file-access=exclusive|shared */
	const char *argv0;      /* how we were invoked (for re-exec of boot/gofer) */
};

typedef int (*cmd_fn)(struct global_opts *g, int argc, char **argv);

struct command {
	const char *name;
	cmd_fn fn;
	const char *help;
};

/* Commands (one file each under runtime/). */
int cmd_version(struct global_opts *g, int argc, char **argv);
int cmd_install(struct global_opts *g, int argc, char **argv);
int cmd_uninstall(struct global_opts *g, int argc, char **argv);
int cmd_spec(struct global_opts *g, int argc, char **argv);
int cmd_features(struct global_opts *g, int argc, char **argv);
int cmd_gofer(struct global_opts *g, int argc, char **argv);
int cmd_do(struct global_opts *g, int argc, char **argv);
int cmd_boot(struct global_opts *g, int argc, char **argv);
/* OCI container commands (cmd_oci.c) */
int cmd_create(struct global_opts *g, int argc, char **argv);
int cmd_start(struct global_opts *g, int argc, char **argv);
int cmd_state(struct global_opts *g, int argc, char **argv);
int cmd_kill(struct global_opts *g, int argc, char **argv);
int cmd_delete(struct global_opts *g, int argc, char **argv);
int cmd_exec(struct global_opts *g, int argc, char **argv);
int cmd_ps(struct global_opts *g, int argc, char **argv);
int cmd_debug(struct global_opts *g, int argc, char **argv);
int cmd_list(struct global_opts *g, int argc, char **argv);
int cmd_run(struct global_opts *g, int argc, char **argv);
int cmd_pause(struct global_opts *g, int argc, char **argv);
int cmd_resume(struct global_opts *g, int argc, char **argv);
int cmd_update(struct global_opts *g, int argc, char **argv);
int cmd_events(struct global_opts *g, int argc, char **argv);

#endif
