/*
 * install.h — registering visor as a Docker runtime in daemon.json.
 *
 * `visor install` adds or updates runtimes.NAME in /etc/docker/daemon.json;
 * `visor uninstall` removes it.  The work is split in three so each part can
 * be tested alone:
 *   install_edit_json()   pure: daemon.json bytes + edit -> new bytes or a verr;
 *   install_edit_file()   the file I/O around it (lock, backup, atomic write);
 *   install_reload_docker() asks a running dockerd to re-read its config.
 * Every key and runtime other than runtimes.NAME is re-emitted exactly as it
 * was parsed (numbers keep their original spelling).
 */
#ifndef VISOR_RUNTIME_INSTALL_H
#define VISOR_RUNTIME_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/verr.h"

#define INSTALL_DEFAULT_CONFIG "/etc/docker/daemon.json"
#define INSTALL_DEFAULT_RUNTIME "visor"
/* daemon.json is a few hundred bytes; refuse anything absurd rather than
 * reading it all into memory. */
#define INSTALL_MAX_CONFIG_SIZE (16u << 20)
/* Deeper nesting is rejected before the tree is built: it keeps our
 * recursive emitter's stack bounded and stays under the JSON writer's own
 * limit (JSON_MAX_DEPTH, 128). */
#define INSTALL_MAX_DEPTH 100

enum install_op {
	INSTALL_OP_ADD,	   /* add or update runtimes.NAME */
	INSTALL_OP_REMOVE, /* delete runtimes.NAME (absent is fine) */
};

struct install_edit {
	enum install_op op;
	const char *runtime; /* NAME under "runtimes" */
	const char *path;    /* ADD: the binary dockerd runs */
	char *const *args;   /* ADD: runtimeArgs; nargs == 0 omits the key */
	size_t nargs;
};

struct install_outcome {
	/* The edit changes the file.  When false the input is already in the
	 * wanted state and callers must not rewrite it (idempotence: no new
	 * mtime, no new backup, formatting of a hand-written file kept). */
	bool changed;
	/* REMOVE left "default-runtime" naming the removed runtime: dockerd
	 * will refuse to start until the user changes it.  We do not touch
	 * that key ourselves (every other key is the user's). */
	bool default_runtime_dangling;
};

/*
 * Apply edit e to the daemon.json text in[0..in_len) (in may be NULL when
 * len is 0; empty or whitespace-only text counts as {}).  name is the file
 * name used in error messages.  On success returns 0, sets *out to a
 * malloc'd NUL-terminated buffer of *out_len bytes (pretty-printed JSON with
 * a final newline, or a copy of the input when !res->changed) and fills res.
 * On error returns -errno (EINVAL for malformed input) with err filled, and
 * *out untouched.
 */
int install_edit_json(const char *in, size_t in_len, const char *name, const struct install_edit *e,
		      char **out, size_t *out_len, struct install_outcome *res, struct verr *err);

/*
 * Apply edit e to the file at config: create it (and its directory, 0755)
 * for ADD when absent (mode 0644), keep the old file as config.bak when the
 * content changes, write atomically keeping the old mode and owner.  Runs
 * under an flock on the directory so concurrent visor installs serialize.
 * A malformed file is left untouched and nothing is created.  A symlinked
 * config is edited through the link (the target is replaced, the link kept).
 */
int install_edit_file(const char *config, const struct install_edit *e, struct install_outcome *res,
		      struct verr *err);

/* Where install_reload_docker looks; tests point these at temp files. */
struct install_reload_env {
	const char *systemd_dir; /* "/run/systemd/system": exists when systemd is PID 1 */
	const char *pid_file;	 /* "/var/run/docker.pid" */
	const char *unit;	 /* "docker" */
};

enum install_reload_how {
	INSTALL_RELOAD_NO_DOCKERD = 0, /* nothing to reload */
	INSTALL_RELOAD_SYSTEMD = 1,    /* `systemctl reload docker` succeeded */
	INSTALL_RELOAD_SIGHUP = 2,     /* SIGHUP sent to the dockerd in pid_file */
};

/*
 * Ask dockerd to reload daemon.json: via systemd when systemd runs docker,
 * else SIGHUP to the pid in env->pid_file if that process is a dockerd
 * (checked through /proc/PID/comm, so a stale pid file never signals an
 * unrelated process).  Returns an install_reload_how (>= 0), *pid set for
 * SIGHUP, or -errno with err filled when a reload was attempted and failed.
 */
int install_reload_docker(const struct install_reload_env *env, pid_t *pid, struct verr *err);

#endif
