/*
 * cmd_oci.c — the runc-compatible container commands that
 * containerd-shim-runc-v2 drives: create, start, state, kill, delete, exec,
 * ps, list, run, pause/resume (cgroup freezer), events --stats, and an
 * honest refusal for update.
 *
 * Each command is a thin shell: options as runc spells them, then
 * runtime/state.c (the state dir, under a per-container lock),
 * runtime/sandbox.c (processes) and the Sentry's control socket
 * (sentry/control.h) do the work.  Errors print "visor: MESSAGE" on stderr,
 * go to --log, and exit 1 (runc's convention, which the shim relies on).
 *
 * Pids: the pid `create` writes is the Sentry's host pid (the shim waits on
 * it; it exits with init's status).  `exec --pid-file` gets the host pid of
 * a visor process that lives exactly as long as the exec'd process and
 * exits with its status: the sandboxed pid means nothing on the host.
 */
#include "runtime/cli.h"
#include "runtime/hooks.h"
#include "runtime/oci.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "runtime/state.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/verr.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

/* ---- helpers -------------------------------------------------------------- */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "visor: %s\n", msg);
	log_error("%s", msg);
	return 1;
}

/* Say a command-line error as runc does: "visor: create: unknown option
 * --x", "visor: option --bundle needs a value".  Returns -1. */
static int say_parse_error(const struct cli_command *c, int r, const struct verr *err)
{
	if (r == -ENOENT || r == -E2BIG)
		fail("%s: %s", c->name, err->msg);
	else
		fail("%s", err->msg);
	return -1;
}

/* Parse a container command's line with its table; the global options are
 * accepted anywhere on it, as runc's.  0, or -1 (said why). */
static int parse_line(const struct cli_command *c, void *opts, struct global_opts *g, int argc,
		      char **argv, struct cli_result *res)
{
	struct verr err = {0};
	int r = cli_parse(c, opts, g, argc, argv, res, &err);
	return r < 0 ? say_parse_error(c, r, &err) : 0;
}

/* parse_line, then the container id (the first argument); NULL, said why,
 * when either fails. */
static const char *parse_id(const struct cli_command *c, void *opts, struct global_opts *g,
			    int argc, char **argv, struct cli_result *res)
{
	if (parse_line(c, opts, g, argc, argv, res) < 0)
		return NULL;
	if (res->nargs == 0) {
		fail("%s: need a container id", c->name);
		return NULL;
	}
	return res->args[0];
}

static int write_pid_file(const char *path, int pid, struct verr *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", pid);
	int r = write_file_atomic(path, buf, (size_t)n, 0644);
	if (r < 0)
		return verr_errno(err, -r, "writing pid file %s", path);
	return 0;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
	{"FPE", SIGFPE},   {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
	{"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
	{"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
	{"WINCH", SIGWINCH}, {"IO", SIGIO},       {"POLL", SIGPOLL},   {"PWR", SIGPWR},
	{"SYS", SIGSYS},
};

/* "KILL", "SIGKILL", "kill", "9" -> 9; -1 if unknown. */
static int parse_signal(const char *s)
{
	if (isdigit((unsigned char)s[0])) {
		char *end;
		long v = strtol(s, &end, 10);
		return (*end || v < 1 || v > 64) ? -1 : (int)v;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (!strcasecmp(s, signal_names[i].name))
			return signal_names[i].sig;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		int base = !strncasecmp(s, "RTMIN", 5) ? SIGRTMIN : SIGRTMAX;
		if (!s[5])
			return base;
		char *end;
		long off = strtol(s + 5, &end, 10);
		int v = base + (int)off;
		return (*end || v < SIGRTMIN || v > SIGRTMAX) ? -1 : v;
	}
	return -1;
}

/* The control requests that carry a signal, into buf (a signal number and
 * an op name always fit in 64 bytes): {"op":OP,"signal":SIG}, with
 * "all":ALL when all is 0 or 1. */
static void signal_request(char *buf, size_t size, const char *op, int sig, int all)
{
	struct json_writer w;
	json_writer_init_fixed(&w, buf, size, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "op", op);
	json_key_int(&w, "signal", sig);
	if (all >= 0)
		json_key_bool(&w, "all", all);
	json_object_end(&w);
}

/* Print a finished JSON document on stdout, ending the line; a document
 * that could not be made is an error. */
static int print_json(const struct json_writer *w, const char *cmd)
{
	size_t len;
	const char *text = json_writer_text(w, &len);
	if (!text)
		return fail("%s: cannot make the JSON: %s", cmd, strerror(-json_writer_error(w)));
	fputs(text, stdout);
	if (len == 0 || text[len - 1] != '\n')
		fputc('\n', stdout);
	return 0;
}

/* --format of ps and list */
static const char *const output_formats[] = {"json", "table", NULL};

/* Read the state of id into st; on failure print why. */
static int load_state(struct global_opts *g, const char *id, struct visor_state *st)
{
	struct verr err = {0};
	int r = state_read(g->root, id, st, &err);
	if (r == -ENOENT) {
		fail("container %s does not exist", id);
		return r;
	}
	if (r < 0) {
		fail("%s", err.msg);
		return r;
	}
	return 0;
}

static int state_dir_of(struct global_opts *g, const char *id, char *buf, size_t size)
{
	int r = state_dir_path(g->root, id, buf, size);
	if (r < 0)
		fail("bad container id %s", id);
	return r;
}

/* One request to a container's Sentry; reply freed by the caller. */
static int control_request(struct global_opts *g, const char *id, const char *req, char **reply,
			   struct verr *err)
{
	char dir[PATH_MAX];
	int r = state_dir_path(g->root, id, dir, sizeof(dir));
	if (r < 0)
		return verr_set(err, EINVAL, "bad container id %s", id);
	_cleanup_close_ int fd = control_connect(dir, err);
	if (fd < 0)
		return fd;
	return control_call(fd, req, NULL, 0, reply, err);
}

/* SIGKILL the Sentry of st (if it is still that process) and wait until it
 * is gone.  We are not its parent (the shim is), so poll /proc. */
static void kill_sentry(const struct visor_state *st)
{
	uint64_t t;
	if (st->sentry_pid <= 0 || state_proc_start_time(st->sentry_pid, &t) < 0 ||
	    t != st->sentry_start_time)
		return;
	kill(st->sentry_pid, SIGKILL);
	for (int i = 0; i < 1000; i++) {
		if (state_proc_start_time(st->sentry_pid, &t) < 0 || t != st->sentry_start_time)
			return;
		/* Our own child (run): reap it. */
		waitpid(st->sentry_pid, NULL, WNOHANG);
		usleep(10000);
	}
}

/* Run the hooks of kind from BUNDLE/config.json, for after-the-fact events
 * (poststart, poststop): a failure is logged, as the OCI spec asks. */
static void run_late_hooks(const struct visor_state *st, enum hook_kind kind, const char *status,
			   int pid)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/config.json", st->bundle);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_file(path, OCI_CONFIG_MAX, &text, &len) < 0 || hooks_count(text, len, kind) == 0)
		return;
	_cleanup_free_ char *sj = hooks_state_json(st->oci_version, st->id, status, pid, st->bundle);
	struct verr err = {0};
	if (sj && hooks_run(text, len, kind, sj, &err) < 0) {
		fprintf(stderr, "visor: warning: %s\n", err.msg);
		log_warn("%s", err.msg);
	}
}

/* ---- create / run ------------------------------------------------------- */

struct create_opts {
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	const char *preserve_fds;
	const char *id;
	bool ignored; /* --no-pivot ...: the Sentry has no host pivot or keyring to skip */
	bool detach;  /* run -d */
	bool keep;    /* run --keep */
};

/* create's options; run takes them too */
#define CREATE_OPTIONS                                                                             \
	{CLI_VALUE("--bundle", 'b', struct create_opts, bundle)},                                  \
	{CLI_VALUE("--pid-file", 0, struct create_opts, pid_file)},                                \
	{CLI_VALUE("--console-socket", 0, struct create_opts, console_socket)},                    \
	{CLI_VALUE("--preserve-fds", 0, struct create_opts, preserve_fds)},                        \
	{CLI_FLAG("--no-pivot", 0, struct create_opts, ignored)},                                  \
	{CLI_FLAG("--no-new-keyring", 0, struct create_opts, ignored)},                            \
	{CLI_FLAG("--no-subreaper", 0, struct create_opts, ignored)}

static const struct cli_opt create_options[] = {CREATE_OPTIONS, {0}};
static const struct cli_opt run_options[] = {
	CREATE_OPTIONS,
	{CLI_FLAG("--detach", 'd', struct create_opts, detach)},
	{CLI_FLAG("--keep", 0, struct create_opts, keep)},
	{0},
};
static const struct cli_command create_command = {"create", create_options, CLI_GLOBALS, 1};
static const struct cli_command run_command = {"run", run_options, CLI_GLOBALS, 1};

static int parse_create(const struct cli_command *c, struct global_opts *g, int argc, char **argv,
			struct create_opts *o)
{
	*o = (struct create_opts){.bundle = "."};
	struct cli_result res;
	o->id = parse_id(c, o, g, argc, argv, &res);
	return o->id ? 0 : -1;
}

struct create_record {
	struct global_opts *g;
	struct visor_state *st;
};

/* sandbox_opts.spawned: record the Sentry at once, status "creating". */
static void record_spawned(void *arg, pid_t sentry_pid, pid_t gofer_pid)
{
	struct create_record *cr = arg;
	cr->st->sentry_pid = sentry_pid;
	state_proc_start_time(sentry_pid, &cr->st->sentry_start_time);
	cr->st->gofer_pid = gofer_pid;
	snprintf(cr->st->status, sizeof(cr->st->status), "creating");
	struct verr err = {0};
	if (state_write(cr->g->root, cr->st, &err) < 0)
		log_warn("recording the sandbox: %s", err.msg);
}

/* create's work; with sb_out the caller (run) keeps the children. */
static int do_create(struct global_opts *g, const struct create_opts *o, struct sandbox *sb_out)
{
	struct verr err = {0};
	if (!state_id_valid(o->id))
		return fail("invalid container id %s", o->id);
	if (o->preserve_fds && atoi(o->preserve_fds) > 0)
		return fail("--preserve-fds is not supported by visor");
	char bundle[PATH_MAX];
	if (!realpath(o->bundle, bundle))
		return fail("bundle %s: %s", o->bundle, strerror(errno));
	char cfgpath[PATH_MAX + 16];
	snprintf(cfgpath, sizeof(cfgpath), "%s/config.json", bundle);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file(cfgpath, OCI_CONFIG_MAX, &text, &len);
	if (r < 0)
		return fail("cannot read %s: %s", cfgpath, strerror(-r));
	struct oci_config *cfg = NULL;
	if (oci_config_parse(text, len, &cfg, &err) < 0)
		return fail("%s", err.msg);
	int ret = 1;
	int lock = -1;
	bool dir_made = false;
	struct sandbox sb = {0};
	struct visor_state st;
	char rootfs[PATH_MAX], rootraw[PATH_MAX * 2 + 2];
	char dir[PATH_MAX];
	if (!cfg->process) {
		fail("config.json: process: required to run a container");
		goto out;
	}
	if (!cfg->root_path || !cfg->root_path[0]) {
		fail("config.json: root.path: required");
		goto out;
	}
	if (cfg->root_path[0] == '/')
		snprintf(rootraw, sizeof(rootraw), "%s", cfg->root_path);
	else
		snprintf(rootraw, sizeof(rootraw), "%s/%s", bundle, cfg->root_path);
	if (!realpath(rootraw, rootfs)) {
		fail("config.json: root.path: %s: %s", rootraw, strerror(errno));
		goto out;
	}
	if (o->console_socket && !cfg->process->terminal) {
		fail("--console-socket given but process.terminal is false");
		goto out;
	}
	if (cfg->process->terminal && !o->console_socket) {
		fail("process.terminal is true: --console-socket is required");
		goto out;
	}
	/* linux.sysctl (Docker always sends net.ipv4.* ones): the host kernel
	 * does not serve the app's sockets or /proc/sys, the Sentry does, so
	 * writing them into the host namespace would change nothing the app
	 * sees.  Not applied; said in the log rather than failing every
	 * Docker container. */
	for (size_t i = 0; i < cfg->linux_cfg.sysctl.n; i++)
		log_info("sysctl %s=%s not applied (the Sentry has its own kernel state)",
			 cfg->linux_cfg.sysctl.items[i].key, cfg->linux_cfg.sysctl.items[i].value);
	if (hooks_count(text, len, HOOK_CREATE_CONTAINER) || hooks_count(text, len, HOOK_START_CONTAINER)) {
		fail("config.json: hooks.createContainer/startContainer are not supported by visor "
		     "(there is no host process inside the sandbox to run them in)");
		goto out;
	}
	if (state_create_dir(g->root, o->id, &lock, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	dir_made = true;
	if (state_dir_path(g->root, o->id, dir, sizeof(dir)) < 0)
		goto out;

	/* The state, complete but for the pids, before anything starts. */
	memset(&st, 0, sizeof(st));
	snprintf(st.id, sizeof(st.id), "%s", o->id);
	snprintf(st.oci_version, sizeof(st.oci_version), "%s",
		 cfg->oci_version ? cfg->oci_version : "1.0.2");
	snprintf(st.bundle, sizeof(st.bundle), "%s", bundle);
	snprintf(st.rootfs, sizeof(st.rootfs), "%s", rootfs);
	state_time_now(st.created, sizeof(st.created));
	snprintf(st.platform, sizeof(st.platform), "%s", g->platform);
	snprintf(st.network, sizeof(st.network), "%s", g->network);
	snprintf(st.file_access, sizeof(st.file_access), "%s", g->file_access);
	st.strace = g->strace;
	st.overlay = g->overlay;
	st.debug = g->debug;
	if (g->debug_log)
		snprintf(st.debug_log, sizeof(st.debug_log), "%s", g->debug_log);
	if ((size_t)snprintf(st.control_socket, sizeof(st.control_socket), "%.*s/control.sock",
			     (int)(sizeof(st.control_socket) - 16), dir) >= sizeof(st.control_socket))
		st.control_socket[0] = 0;
	struct passwd *pw = getpwuid(getuid());
	snprintf(st.owner, sizeof(st.owner), "%s", pw ? pw->pw_name : "");
	st.annotations = cfg->annotations; /* borrowed for the writes */
	struct create_record cr = {.g = g, .st = &st};

	struct sandbox_opts so = {
		.spawned = record_spawned,
		.spawned_arg = &cr,
		.g = g,
		.id = o->id,
		.state_dir = dir,
		.bundle = bundle,
		.rootfs = rootfs,
		.cfg = cfg,
		.config_text = text,
		.config_len = len,
		.console_socket = o->console_socket,
	};
	if (sandbox_start(&so, &sb, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	/* prestart and createRuntime: the sandbox's namespaces exist now
	 * (Docker's network set-up is a prestart hook). */
	if (hooks_count(text, len, HOOK_PRESTART) || hooks_count(text, len, HOOK_CREATE_RUNTIME)) {
		_cleanup_free_ char *sj = hooks_state_json(
			cfg->oci_version ? cfg->oci_version : "1.0.2", o->id, "creating",
			sb.sentry_pid, bundle);
		if (!sj || hooks_run(text, len, HOOK_PRESTART, sj, &err) < 0 ||
		    hooks_run(text, len, HOOK_CREATE_RUNTIME, sj, &err) < 0) {
			fail("%s", sj ? err.msg : "out of memory");
			goto out;
		}
	}

	st.sentry_pid = sb.sentry_pid;
	state_proc_start_time(sb.sentry_pid, &st.sentry_start_time);
	st.gofer_pid = sb.gofer_pid;
	snprintf(st.status, sizeof(st.status), "created");
	r = state_write(g->root, &st, &err);
	if (r == 0 && o->pid_file)
		r = write_pid_file(o->pid_file, sb.sentry_pid, &err);
	if (r < 0) {
		fail("%s", err.msg);
		goto out;
	}
	sandbox_release_guard();
	if (sb_out) {
		*sb_out = sb;
	} else {
		/* Children now belong to whoever reaps orphans (the shim). */
		sb.sentry_pid = sb.gofer_pid = 0;
	}
	sb = (struct sandbox){0};
	ret = 0;
out:
	if (ret != 0) {
		sandbox_kill_children(&sb);
		if (cfg && cfg->linux_cfg.cgroups_path)
			sandbox_cgroup_remove(cfg->linux_cfg.cgroups_path);
		if (dir_made)
			state_delete(g->root, o->id, NULL);
		if (o->pid_file && dir_made)
			unlink(o->pid_file);
	}
	if (lock >= 0)
		state_unlock(lock);
	oci_config_free(cfg);
	return ret;
}

int cmd_create(struct global_opts *g, int argc, char **argv)
{
	struct create_opts o;
	if (parse_create(&create_command, g, argc, argv, &o) < 0)
		return 1;
	return do_create(g, &o, NULL);
}

static int do_start(struct global_opts *g, const char *id)
{
	struct verr err = {0};
	int lock = state_lock(g->root, id, &err);
	if (lock == -ENOENT)
		return fail("container %s does not exist", id);
	if (lock < 0)
		return fail("%s", err.msg);
	struct visor_state st;
	int ret = 1;
	if (load_state(g, id, &st) < 0) {
		state_unlock(lock);
		return 1;
	}
	const char *live = state_live_status(&st);
	if (strcmp(live, "created")) {
		fail("cannot start a container that is %s", live);
		goto out;
	}
	char *reply = NULL;
	if (control_request(g, id, "{\"op\":\"start\"}", &reply, &err) < 0) {
		fail("start %s: %s", id, err.msg);
		goto out;
	}
	free(reply);
	snprintf(st.status, sizeof(st.status), "running");
	if (state_write(g->root, &st, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	run_late_hooks(&st, HOOK_POSTSTART, "running", st.sentry_pid);
	ret = 0;
out:
	state_release(&st);
	state_unlock(lock);
	return ret;
}

static const struct cli_command start_command = {"start", NULL, CLI_GLOBALS, 1};

int cmd_start(struct global_opts *g, int argc, char **argv)
{
	struct cli_result res;
	const char *id = parse_id(&start_command, NULL, g, argc, argv, &res);
	return id ? do_start(g, id) : 1;
}

int cmd_run(struct global_opts *g, int argc, char **argv)
{
	struct create_opts o;
	if (parse_create(&run_command, g, argc, argv, &o) < 0)
		return 1;
	struct sandbox sb;
	int r = do_create(g, &o, o.detach ? NULL : &sb);
	if (r != 0)
		return r;
	r = do_start(g, o.id);
	if (o.detach) {
		if (r != 0) {
			struct visor_state st;
			if (state_read(g->root, o.id, &st, NULL) == 0) {
				kill_sentry(&st);
				state_release(&st);
			}
			state_delete(g->root, o.id, NULL);
		}
		return r;
	}
	int st = 0;
	if (r != 0) {
		sandbox_kill_children(&sb);
		state_delete(g->root, o.id, NULL);
		return r;
	}
	/* Ours to wait for: the Sentry exits with init's status. */
	signal(SIGINT, SIG_IGN);
	while (waitpid(sb.sentry_pid, &st, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 200 && waitpid(sb.gofer_pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(sb.gofer_pid, NULL, WNOHANG) == 0) {
		kill(sb.gofer_pid, SIGKILL);
		waitpid(sb.gofer_pid, NULL, 0);
	}
	if (!o.keep)
		state_delete(g->root, o.id, NULL);
	return status_code(st);
}

/* ---- state / list ----------------------------------------------------------- */

static const struct cli_command state_command = {"state", NULL,
						 CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};

int cmd_state(struct global_opts *g, int argc, char **argv)
{
	struct cli_result res;
	const char *id = parse_id(&state_command, NULL, g, argc, argv, &res);
	if (!id)
		return 1;
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	char *json = NULL;
	int r = state_to_oci_json(&st, state_live_status(&st), &json);
	state_release(&st);
	if (r < 0)
		return fail("state: %s", strerror(-r));
	fputs(json, stdout);
	free(json);
	return 0;
}

struct list_opts {
	const char *format;
	bool quiet;
};

static const struct cli_opt list_options[] = {
	{CLI_VALUE("--format", 'f', struct list_opts, format), .choices = output_formats},
	{CLI_FLAG("--quiet", 'q', struct list_opts, quiet)},
	{0},
};
static const struct cli_command list_command = {"list", list_options, CLI_GLOBALS, 0};

int cmd_list(struct global_opts *g, int argc, char **argv)
{
	struct list_opts o = {0};
	struct cli_result res;
	if (parse_line(&list_command, &o, g, argc, argv, &res) < 0)
		return 1;
	bool json = o.format && !strcmp(o.format, "json"), quiet = o.quiet;
	char **ids = NULL;
	size_t n = 0;
	struct verr err = {0};
	if (state_list(g->root, &ids, &n, &err) < 0)
		return fail("%s", err.msg);
	/* json: an array of what `visor state` prints, laid out the same way */
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, "  ", JSON_UTF8);
	json_array_begin(&w);
	if (!json && !quiet)
		printf("%-20s %-8s %-10s %-8s %-40s %-30s %s\n", "ID", "PID", "STATUS", "PLATFORM",
		       "BUNDLE", "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct visor_state st;
		if (state_read(g->root, ids[i], &st, NULL) < 0)
			continue;
		const char *live = state_live_status(&st);
		if (json)
			state_put_oci_json(&w, &st, live);
		else if (quiet)
			printf("%s\n", st.id);
		else
			printf("%-20s %-8d %-10s %-8s %-40s %-30s %s\n", st.id,
			       strcmp(live, "stopped") ? st.sentry_pid : 0, live, st.platform,
			       st.bundle, st.created, st.owner);
		state_release(&st);
	}
	state_list_free(ids, n);
	json_array_end(&w);
	return json ? print_json(&w, "list") : 0;
}

/* ---- kill / delete ------------------------------------------------------------ */

struct kill_opts {
	bool all;
};

static const struct cli_opt kill_options[] = {
	{CLI_FLAG("--all", 'a', struct kill_opts, all)},
	{0},
};
/* kill ID [SIGNAL]: a signal may be spelled -9 */
static const struct cli_command kill_command = {"kill", kill_options,
						CLI_GLOBALS | CLI_NUMBERS_ARE_ARGS, 2};

int cmd_kill(struct global_opts *g, int argc, char **argv)
{
	struct kill_opts o = {0};
	struct cli_result res;
	const char *id = parse_id(&kill_command, &o, g, argc, argv, &res);
	if (!id)
		return 1;
	bool all = o.all;
	const char *signame = res.nargs > 1 ? res.args[1] : "TERM";
	int sig = parse_signal(signame);
	if (sig < 0)
		return fail("kill: unknown signal %s", signame);
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	const char *live = state_live_status(&st);
	int ret = 0;
	if (!strcmp(live, "stopped")) {
		/* runc: signalling a stopped container is an error, except
		 * with --all (nothing left to signal is success); a KILL
		 * that finds it already dead has done its job too. */
		if (!all && sig != SIGKILL)
			ret = fail("container %s is not running", id);
		goto out;
	}
	if (sig == SIGKILL && !all && !strcmp(live, "created")) {
		/* init has not run a single instruction: killing the
		 * sandbox is killing init, and needs no cooperation. */
		kill_sentry(&st);
		goto out;
	}
	char req[128], *reply = NULL;
	struct verr err = {0};
	signal_request(req, sizeof(req), "kill", sig, all);
	if (control_request(g, id, req, &reply, &err) < 0) {
		if (sig == SIGKILL) {
			kill_sentry(&st);
		} else if (err.code == ESRCH || err.code == ECONNREFUSED || err.code == ENOENT) {
			if (!all)
				ret = fail("container %s is not running", id);
		} else {
			ret = fail("kill %s: %s", id, err.msg);
		}
		goto out;
	}
	free(reply);
out:
	state_release(&st);
	return ret;
}

struct delete_opts {
	bool force;
};

static const struct cli_opt delete_options[] = {
	{CLI_FLAG("--force", 'f', struct delete_opts, force)},
	{0},
};
static const struct cli_command delete_command = {"delete", delete_options, CLI_GLOBALS, 1};

int cmd_delete(struct global_opts *g, int argc, char **argv)
{
	struct delete_opts o = {0};
	struct cli_result res;
	const char *id = parse_id(&delete_command, &o, g, argc, argv, &res);
	if (!id)
		return 1;
	bool force = o.force;
	struct verr err = {0};
	int lock = state_lock(g->root, id, &err);
	if (lock == -ENOENT || lock == -EINVAL) {
		if (force)
			return 0;
		return fail("container %s does not exist", id);
	}
	if (lock < 0)
		return fail("%s", err.msg);
	struct visor_state st;
	int r = state_read(g->root, id, &st, &err);
	if (r < 0) {
		/* A directory without a readable state: a create that died
		 * half-way.  Nothing runs; remove it. */
		state_delete(g->root, id, NULL);
		state_unlock(lock);
		return 0;
	}
	const char *live = state_live_status(&st);
	/* runc: a created container is deleted by killing it; a running
	 * (or paused) one only with --force. */
	if (strcmp(live, "stopped") && strcmp(live, "created") && !force) {
		fail("cannot delete container %s that is not stopped: %s", id, live);
		state_release(&st);
		state_unlock(lock);
		return 1;
	}
	kill_sentry(&st);
	run_late_hooks(&st, HOOK_POSTSTOP, "stopped", 0);
	struct oci_config *cfg = NULL;
	if (oci_config_load(st.bundle, &cfg, NULL) == 0) {
		if (cfg->linux_cfg.cgroups_path)
			sandbox_cgroup_remove(cfg->linux_cfg.cgroups_path);
		oci_config_free(cfg);
	}
	r = state_delete(g->root, id, &err);
	state_release(&st);
	state_unlock(lock);
	if (r < 0)
		return fail("%s", err.msg);
	return 0;
}

/* ---- exec ------------------------------------------------------------------------- */

/* The exec request for p (protocol in sentry/control.h). */
static char *exec_request(const struct oci_process *p, char **extra_env, size_t n_extra)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "op", "exec");
	json_key_array_begin(&w, "args");
	for (size_t i = 0; i < p->n_args; i++)
		json_string(&w, p->args[i]);
	json_array_end(&w);
	json_key_array_begin(&w, "env");
	for (size_t i = 0; i < p->n_env; i++) {
		/* --env KEY=V replaces the template's KEY (getenv takes the first). */
		const char *eq = strchr(p->env[i], '=');
		size_t kl = eq ? (size_t)(eq - p->env[i]) + 1 : strlen(p->env[i]);
		bool overridden = false;
		for (size_t j = 0; j < n_extra && !overridden; j++)
			overridden = !strncmp(extra_env[j], p->env[i], kl);
		if (!overridden)
			json_string(&w, p->env[i]);
	}
	for (size_t i = 0; i < n_extra; i++)
		json_string(&w, extra_env[i]);
	json_array_end(&w);
	json_key_string(&w, "cwd", p->cwd ? p->cwd : "/");
	json_key_uint(&w, "uid", p->user.uid);
	json_key_uint(&w, "gid", p->user.gid);
	if (p->user.has_umask)
		json_key_uint(&w, "umask", p->user.umask & 0777);
	json_key_array_begin(&w, "groups");
	for (size_t i = 0; i < p->user.n_additional_gids; i++)
		json_uint(&w, p->user.additional_gids[i]);
	json_array_end(&w);
	json_key_bool(&w, "terminal", p->terminal);
	json_key_bool(&w, "no_new_privs", p->no_new_privileges);
	if (p->has_capabilities) {
		json_key_array_begin(&w, "caps");
		json_uint(&w, p->caps.effective.mask);
		json_uint(&w, p->caps.permitted.mask);
		json_uint(&w, p->caps.bounding.names ? p->caps.bounding.mask : ~0ULL);
		json_uint(&w, p->caps.inheritable.mask);
		json_array_end(&w);
	}
	json_key_array_begin(&w, "rlimits");
	for (size_t i = 0; i < p->n_rlimits; i++) {
		json_array_begin(&w);
		json_int(&w, p->rlimits[i].resource);
		json_uint(&w, p->rlimits[i].soft);
		json_uint(&w, p->rlimits[i].hard);
		json_array_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	char *out = NULL;
	return json_writer_take(&w, &out, NULL) == 0 ? out : NULL;
}

/* Signals a `visor exec` process forwards to the process it stands for
 * (the shim signals the pid in --pid-file, which is ours). */
static const int exec_forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				     SIGWINCH, SIGCONT, SIGALRM};

/* Wait on the control connection for exec's {"exit":S}, forwarding
 * signals meanwhile; the exit code. */
static int exec_wait(int fd)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(exec_forwarded); i++)
		sigaddset(&set, exec_forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	char *msg = NULL;
	long long st;
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 255;
		}
		if (sfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				char req[64];
				signal_request(req, sizeof(req), "signal", (int)si.ssi_signo, -1);
				struct iovec iov = {.iov_base = req, .iov_len = strlen(req)};
				struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
				ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
				(void)w;
			}
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		int r = control_recv(fd, &msg);
		if (r < 0)
			return 128 + SIGKILL; /* the sandbox went away under it */
		r = control_reply_int(msg, "exit", &st);
		free(msg);
		if (r == 0)
			return status_code((int)st);
	}
}

struct exec_opts {
	const char *process_file, *pid_file, *console_socket, *cwd, *user;
	const char *ignored_value;
	bool ignored, detach, tty, nnp;
	char *envs[256];
	size_t nenv;
};

/* --env KEY=V, as often as given */
static int exec_add_env(void *opts, const char *word, const char *value, struct verr *err)
{
	struct exec_opts *o = opts;
	if (o->nenv >= ARRAY_SIZE(o->envs))
		return verr_set(err, EINVAL, "exec: too many --env");
	o->envs[o->nenv++] = (char *)value;
	return 0;
}

static int exec_preserve_fds(void *opts, const char *word, const char *value, struct verr *err)
{
	if (atoi(value) > 0)
		return verr_set(err, EINVAL, "exec: --preserve-fds is not supported by visor");
	return 0;
}

static const struct cli_opt exec_options[] = {
	{CLI_VALUE("--process", 'p', struct exec_opts, process_file)},
	{CLI_VALUE("--pid-file", 0, struct exec_opts, pid_file)},
	{CLI_VALUE("--console-socket", 0, struct exec_opts, console_socket)},
	{CLI_VALUE("--cwd", 0, struct exec_opts, cwd)},
	{CLI_CALL("--env", 'e', true, exec_add_env)},
	{CLI_VALUE("--user", 'u', struct exec_opts, user)},
	{CLI_CALL("--preserve-fds", 0, true, exec_preserve_fds)},
	/* accepted: no LSM and no sub-cgroups inside the Sentry */
	{CLI_VALUE("--process-label", 0, struct exec_opts, ignored_value)},
	{CLI_VALUE("--apparmor", 0, struct exec_opts, ignored_value)},
	{CLI_VALUE("--cgroup", 0, struct exec_opts, ignored_value)},
	{CLI_FLAG("--detach", 'd', struct exec_opts, detach)},
	{CLI_FLAG("--tty", 't', struct exec_opts, tty)},
	{CLI_FLAG("--no-new-privs", 0, struct exec_opts, nnp)},
	{CLI_FLAG("--ignore-paused", 0, struct exec_opts, ignored)},
	{0},
};

/* exec [OPTIONS] ID [--] CMD...: the options end at the id */
static const struct cli_command exec_command = {"exec", exec_options,
						CLI_GLOBALS | CLI_DASHDASH | CLI_STOP_AT_ARG, 0};

int cmd_exec(struct global_opts *g, int argc, char **argv)
{
	struct exec_opts o = {0};
	struct cli_result res;
	if (parse_line(&exec_command, &o, g, argc, argv, &res) < 0)
		return 1;
	if (res.nrest == 0)
		return fail("exec: need a container id");
	const char *id = res.rest[0];
	char **cmdv = res.rest + 1;
	int cmdc = res.nrest - 1;
	if (cmdc > 0 && !strcmp(cmdv[0], "--")) {
		cmdv++;
		cmdc--;
	}
	struct verr err = {0};
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	const char *live = state_live_status(&st);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", st.bundle);
	bool running = !strcmp(live, "running") || !strcmp(live, "created");
	state_release(&st);
	if (!running)
		return fail("cannot exec in a %s container", live);

	struct oci_process *p = NULL;
	struct oci_config *cfg = NULL;
	/* The template's own args and cwd, put back before it is freed. */
	char **orig_args = NULL, *orig_cwd = NULL;
	size_t orig_n_args = 0;
	if (o.process_file) {
		if (oci_process_load(o.process_file, &p, &err) < 0)
			return fail("%s", err.msg);
	} else {
		if (cmdc <= 0)
			return fail("exec: need a command (or --process)");
		/* As runc: the bundle's process is the template. */
		if (oci_config_load(dir, &cfg, &err) < 0 || !cfg->process) {
			oci_config_free(cfg);
			return fail("exec: %s", err.msg[0] ? err.msg : "bundle has no process");
		}
		p = cfg->process;
		orig_args = p->args;
		orig_n_args = p->n_args;
		orig_cwd = p->cwd;
		p->args = cmdv; /* borrowed */
		p->n_args = (size_t)cmdc;
		if (o.cwd)
			p->cwd = (char *)o.cwd;
		p->terminal = o.tty;
		if (o.user) {
			char *end;
			unsigned long u = strtoul(o.user, &end, 10);
			if (end == o.user || (*end && *end != ':')) {
				p->args = orig_args;
				p->n_args = orig_n_args;
				p->cwd = orig_cwd;
				oci_config_free(cfg);
				return fail("exec: --user must be UID[:GID]");
			}
			p->user.uid = (uint32_t)u;
			if (*end == ':')
				p->user.gid = (uint32_t)strtoul(end + 1, NULL, 10);
		}
		if (o.nnp)
			p->no_new_privileges = true;
	}
	int ret = 1;
	_cleanup_close_ int fd = -1, slave = -1;
	char *req = exec_request(p, o.process_file ? NULL : o.envs, o.process_file ? 0 : o.nenv);
	int nfds = 3;
	int fds[3] = {0, 1, 2};
	if (!req) {
		fail("exec: out of memory");
		goto out;
	}
	if (p->terminal) {
		if (!o.console_socket) {
			fail("exec: a terminal needs --console-socket");
			goto out;
		}
		slave = sandbox_console(o.console_socket, p->has_console_size ? p->console_height : 0,
					p->has_console_size ? p->console_width : 0, &err);
		if (slave < 0) {
			fail("%s", err.msg);
			goto out;
		}
		fds[0] = slave;
		nfds = 1;
	}
	char sdir[PATH_MAX];
	if (state_dir_of(g, id, sdir, sizeof(sdir)) < 0)
		goto out;
	fd = control_connect(sdir, &err);
	char *reply = NULL;
	if (fd < 0 || control_call(fd, req, fds, nfds, &reply, &err) < 0) {
		fail("exec: %s", err.msg);
		goto out;
	}
	free(reply);
	if (slave >= 0)
		close(take_fd(slave));
	if (o.detach) {
		pid_t c = fork();
		if (c < 0) {
			fail("exec: fork: %s", strerror(errno));
			goto out;
		}
		if (c == 0) {
			/* The waiter: lives as long as the process, exits with
			 * its status, holds none of the caller's stdio. */
			setsid();
			int nul = open("/dev/null", O_RDWR);
			if (nul >= 0) {
				dup2(nul, 0);
				dup2(nul, 1);
				dup2(nul, 2);
				if (nul > 2)
					close(nul);
			}
			_exit(exec_wait(fd));
		}
		if (o.pid_file && write_pid_file(o.pid_file, c, &err) < 0) {
			kill(c, SIGKILL);
			fail("%s", err.msg);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (o.pid_file && write_pid_file(o.pid_file, getpid(), &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	ret = exec_wait(fd);
out:
	free(req);
	if (cfg) {
		cfg->process->args = orig_args;
		cfg->process->n_args = orig_n_args;
		cfg->process->cwd = orig_cwd;
		oci_config_free(cfg);
	} else {
		oci_process_free(p);
	}
	return ret;
}

/* ---- ps ------------------------------------------------------------------------ */

/* A child of the Sentry: its pid in our namespace and in the Sentry's. */
struct ps_child {
	int host, ns;
};

/*
 * The Sentry's children (its stub processes, on ptrace): /proc/N/status with
 * PPid == sentry; the last NSpid field is the pid the Sentry knows it by (it
 * runs in its own pid namespace), N the one host tools such as dockerd's ps
 * use.  Returns how many (0 when /proc says nothing).
 */
static int ps_sentry_children(int sentry, struct ps_child **out)
{
	*out = NULL;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char path[64], line[256];
		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
		FILE *f = fopen(path, "re");
		if (!f)
			continue; /* gone meanwhile */
		int ppid = -1, ns = 0;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "PPid:", 5)) {
				ppid = atoi(line + 5);
			} else if (!strncmp(line, "NSpid:", 6)) {
				for (char *q = line + 6; *q;) { /* the last field */
					long v = strtol(q, &end, 10);
					if (end == q)
						break;
					ns = (int)v;
					q = end;
				}
			}
		}
		fclose(f);
		if (ppid != sentry || ns <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct ps_child *v = realloc(*out, (size_t)cap * sizeof(**out));
			if (!v)
				break;
			*out = v;
		}
		(*out)[n++] = (struct ps_child){.host = (int)pid, .ns = ns};
	}
	closedir(d);
	return n;
}

static int ps_host_pid(const struct ps_child *c, int n, int ns)
{
	for (int i = 0; ns > 0 && i < n; i++)
		if (c[i].ns == ns)
			return c[i].host;
	return 0;
}

static long long ps_int(yajl_val obj, const char *key)
{
	const char *path[] = {key, NULL};
	yajl_val v = yajl_tree_get(obj, path, yajl_t_number);
	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

/*
 * --format json prints what containerd's shim wants for `docker top`: the
 * *host* pids of the container's processes (dockerd then shows those host
 * processes).  On ptrace every process's address space is a stub process,
 * a child of the Sentry named after the app's command, so: the Sentry
 * reports each process's stub pid in its own pid namespace, and we map that
 * to ours.  A process with no stub yet is left out; processes sharing one
 * (vfork) give one pid.  When the platform has no per-process host
 * processes, the sandbox pids are all there is (and `docker top` cannot be
 * right).  --format table shows both, with the command.
 */
struct ps_opts {
	const char *format;
};

static const struct cli_opt ps_options[] = {
	{CLI_VALUE("--format", 'f', struct ps_opts, format), .choices = output_formats},
	{0},
};
/* arguments after the id are ps(1) options, which visor ignores */
static const struct cli_command ps_command = {"ps", ps_options,
					      CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};

int cmd_ps(struct global_opts *g, int argc, char **argv)
{
	struct ps_opts o = {0};
	struct cli_result res;
	const char *id = parse_id(&ps_command, &o, g, argc, argv, &res);
	if (!id)
		return 1;
	bool json = o.format && !strcmp(o.format, "json");
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	const char *live = state_live_status(&st);
	bool stopped = !strcmp(live, "stopped");
	int sentry = st.sentry_pid;
	state_release(&st);
	char *reply = NULL;
	struct verr err = {0};
	if (!stopped && control_request(g, id, "{\"op\":\"ps\"}", &reply, &err) < 0)
		return fail("ps: %s", err.msg);
	/* reply: {"ok":true,"pids":[1,7],"stubs":true,
	 *         "procs":[{"pid":1,"sentry_ns_pid":12,"comm":"sh"},..]} */
	char ebuf[128];
	bool answered = reply != NULL;
	yajl_val root = answered ? yajl_tree_parse(reply, ebuf, sizeof(ebuf)) : NULL;
	free(reply);
	if (answered && !YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		return fail("ps: malformed reply from the sandbox");
	}
	const char *pids_path[] = {"pids", NULL}, *procs_path[] = {"procs", NULL},
		   *stubs_path[] = {"stubs", NULL};
	yajl_val pids = yajl_tree_get(root, pids_path, yajl_t_array);
	yajl_val procs = yajl_tree_get(root, procs_path, yajl_t_array);
	bool stubs = YAJL_IS_TRUE(yajl_tree_get(root, stubs_path, yajl_t_true));
	struct ps_child *kids = NULL;
	int nkids = stubs && sentry > 0 ? ps_sentry_children(sentry, &kids) : 0;

	int ret = 0;
	if (json) {
		_cleanup_json_writer_ struct json_writer w;
		json_writer_init(&w, NULL, 0);
		json_array_begin(&w);
		int printed = 0;
		if (stubs && procs) {
			int *seen = calloc(procs->u.array.len + 1, sizeof(int));
			for (size_t i = 0; seen && i < procs->u.array.len; i++) {
				int h = ps_host_pid(kids, nkids,
						    (int)ps_int(procs->u.array.values[i], "sentry_ns_pid"));
				bool dup = h <= 0;
				for (int j = 0; j < printed && !dup; j++)
					dup = seen[j] == h;
				if (dup)
					continue;
				json_int(&w, h);
				seen[printed++] = h;
			}
			free(seen);
		} else {
			for (size_t i = 0; pids && i < pids->u.array.len; i++) {
				yajl_val v = pids->u.array.values[i];
				if (YAJL_IS_INTEGER(v))
					json_int(&w, YAJL_GET_INTEGER(v));
			}
		}
		json_array_end(&w);
		ret = print_json(&w, "ps");
	} else {
		printf("%-8s %-9s %s\n", "PID", "HOST-PID", "CMD");
		for (size_t i = 0; procs && i < procs->u.array.len; i++) {
			yajl_val p = procs->u.array.values[i];
			const char *comm_path[] = {"comm", NULL};
			yajl_val c = yajl_tree_get(p, comm_path, yajl_t_string);
			int h = ps_host_pid(kids, nkids, (int)ps_int(p, "sentry_ns_pid"));
			char hs[16] = "-";
			if (h > 0)
				snprintf(hs, sizeof(hs), "%d", h);
			printf("%-8lld %-9s %s\n", ps_int(p, "pid"), hs,
			       YAJL_IS_STRING(c) ? YAJL_GET_STRING(c) : "?");
		}
		/* A Sentry without "procs" (older): its pids only. */
		for (size_t i = 0; !procs && pids && i < pids->u.array.len; i++)
			if (YAJL_IS_INTEGER(pids->u.array.values[i]))
				printf("%-8lld %-9s %s\n", YAJL_GET_INTEGER(pids->u.array.values[i]),
				       "-", "?");
	}
	free(kids);
	yajl_tree_free(root);
	return ret;
}

/* ---- refusals and minimal events -------------------------------------------------- */

/* pause/resume: the cgroup freezer over the sandbox's cgroup, as runc. */
static const struct cli_command pause_command = {"pause", NULL,
						 CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};
static const struct cli_command resume_command = {"resume", NULL,
						  CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};

static int pause_resume(struct global_opts *g, int argc, char **argv, bool pause)
{
	const char *cmd = pause ? "pause" : "resume";
	struct cli_result res;
	const char *id = parse_id(pause ? &pause_command : &resume_command, NULL, g, argc, argv,
				  &res);
	if (!id)
		return 1;
	struct verr err = {0};
	int lock = state_lock(g->root, id, &err);
	if (lock == -ENOENT)
		return fail("container %s does not exist", id);
	if (lock < 0)
		return fail("%s", err.msg);
	struct visor_state st;
	if (load_state(g, id, &st) < 0) {
		state_unlock(lock);
		return 1;
	}
	int ret = 1;
	const char *live = state_live_status(&st);
	struct oci_config *cfg = NULL;
	if (strcmp(live, pause ? "running" : "paused")) {
		fail("cannot %s a container that is %s", cmd, live);
		goto out;
	}
	if (oci_config_load(st.bundle, &cfg, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	int r = sandbox_cgroup_freeze(cfg->linux_cfg.cgroups_path, pause);
	if (r == -ENOENT && !cfg->linux_cfg.cgroups_path) {
		fail("%s needs linux.cgroupsPath in config.json (the freezer works on the "
		     "sandbox's cgroup)", cmd);
		goto out;
	}
	if (r < 0) {
		fail("%s: cgroup freezer: %s", cmd, strerror(-r));
		goto out;
	}
	snprintf(st.status, sizeof(st.status), "%s", pause ? "paused" : "running");
	if (state_write(g->root, &st, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	ret = 0;
out:
	oci_config_free(cfg);
	state_release(&st);
	state_unlock(lock);
	return ret;
}

int cmd_pause(struct global_opts *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, true);
}

int cmd_resume(struct global_opts *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, false);
}

/* update's limit flags, in the order of their pointers in cmd_update: where
 * each goes in linux.resources. */
static const struct {
	const char *object, *key;
} update_limits[] = {
	{"memory", "limit"}, {"pids", "limit"}, {"cpu", "quota"}, {"cpu", "period"}, {"cpu", "shares"},
};

/* The limits given (nums[k] non-NULL, value vals[k]) as the resources JSON
 * a -r file would hold: {"memory":{"limit":N},"cpu":{"quota":N,...}}. */
static char *update_limits_json(const char *const *nums, const long long *vals)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	const char *open = NULL;
	for (size_t k = 0; k < ARRAY_SIZE(update_limits); k++) {
		if (!nums[k])
			continue;
		if (!open || strcmp(open, update_limits[k].object)) {
			if (open)
				json_object_end(&w);
			open = update_limits[k].object;
			json_key_object_begin(&w, open);
		}
		json_key_int(&w, update_limits[k].key, vals[k]);
	}
	if (open)
		json_object_end(&w);
	json_object_end(&w);
	char *out = NULL;
	return json_writer_take(&w, &out, NULL) == 0 ? out : NULL;
}

/* A config.json whose linux.resources is the text res (checked by the
 * config parser that reads it, not here). */
static int update_config_json(const char *res, size_t len, char **out, size_t *outlen)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "ociVersion", "1.0.2");
	json_key_object_begin(&w, "root");
	json_key_string(&w, "path", "/");
	json_object_end(&w);
	json_key_object_begin(&w, "linux");
	json_key(&w, "resources");
	json_raw(&w, res, len);
	json_object_end(&w);
	json_object_end(&w);
	return json_writer_take(&w, out, outlen);
}

/* update: new linux.resources (runc's -r FILE|- JSON, or the common flags)
 * written to the sandbox's cgroup.  Applied: memory limit, pids limit, cpu
 * quota/period/shares; the other fields of the JSON are not (see oci.h). */
struct update_opts {
	const char *resources;
	const char *limits[ARRAY_SIZE(update_limits)];
};

/* The limit flags in the order of update_limits. */
static const struct cli_opt update_options[] = {
	{CLI_VALUE("--resources", 'r', struct update_opts, resources)},
	{CLI_VALUE("--memory", 'm', struct update_opts, limits[0])},
	{CLI_VALUE("--pids-limit", 0, struct update_opts, limits[1])},
	{CLI_VALUE("--cpu-quota", 0, struct update_opts, limits[2])},
	{CLI_VALUE("--cpu-period", 0, struct update_opts, limits[3])},
	{CLI_VALUE("--cpu-share", 0, struct update_opts, limits[4])},
	{0},
};

static const struct cli_command update_command = {"update", update_options, CLI_GLOBALS, 1};

int cmd_update(struct global_opts *g, int argc, char **argv)
{
	struct update_opts o = {0};
	struct cli_result cli;
	struct verr err = {0};
	int r = cli_parse(&update_command, &o, g, argc, argv, &cli, &err);
	if (r == -ENOENT)
		return fail("update: option %s is not supported by visor (it applies -r, --memory, "
			    "--pids-limit, --cpu-quota, --cpu-period, --cpu-share)",
			    cli.bad);
	if (r < 0)
		return say_parse_error(&update_command, r, &err), 1;
	if (cli.nargs == 0)
		return fail("update: need a container id");
	const char *id = cli.args[0], *resfile = o.resources;
	const char *const *nums = o.limits;
	/* Flags become the same JSON a resources file holds; numbers only. */
	long long vals[ARRAY_SIZE(update_limits)];
	bool any = false;
	for (size_t k = 0; k < ARRAY_SIZE(update_limits); k++) {
		if (!nums[k])
			continue;
		char *end;
		errno = 0;
		vals[k] = strtoll(nums[k], &end, 10);
		if (errno || *end || end == nums[k])
			return fail("update: %s is not a number (sizes in bytes)", nums[k]);
		any = true;
	}
	if (!resfile && !any)
		return fail("update: nothing to update (give -r FILE or a limit flag)");
	_cleanup_free_ char *res = NULL;
	size_t rlen = 0;
	if (resfile && !strcmp(resfile, "-")) {
		size_t cap = 0;
		FILE *f = open_memstream(&res, &cap);
		char buf[4096];
		size_t n;
		while (f && (n = fread(buf, 1, sizeof(buf), stdin)) > 0 && cap < OCI_CONFIG_MAX)
			fwrite(buf, 1, n, f);
		if (!f || fclose(f) != 0)
			return fail("update: reading the resources from stdin failed");
		rlen = strlen(res);
	} else if (resfile) {
		r = read_file(resfile, OCI_CONFIG_MAX, &res, &rlen);
		if (r < 0)
			return fail("update: cannot read %s: %s", resfile, strerror(-r));
	} else {
		res = update_limits_json(nums, vals);
		rlen = res ? strlen(res) : 0;
	}
	if (!res)
		return fail("update: out of memory");
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	const char *live = state_live_status(&st);
	struct oci_config *cur = NULL, *upd = NULL;
	int ret = 1;
	char *doc = NULL;
	if (!strcmp(live, "stopped")) {
		fail("cannot update a stopped container");
		goto out;
	}
	if (oci_config_load(st.bundle, &cur, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	/* The resources JSON parsed by the config parser, as config.json's
	 * linux.resources, so the checks are the same. */
	size_t doclen = 0;
	if (update_config_json(res, rlen, &doc, &doclen) < 0) {
		fail("update: out of memory");
		goto out;
	}
	if (oci_config_parse(doc, doclen, &upd, &err) < 0) {
		fail("update: %s", err.msg);
		goto out;
	}
	free(upd->linux_cfg.cgroups_path);
	upd->linux_cfg.cgroups_path = cur->linux_cfg.cgroups_path ? strdup(cur->linux_cfg.cgroups_path)
								  : NULL;
	if (sandbox_cgroup_update(upd, &err) < 0) {
		fail("update: %s", err.msg);
		goto out;
	}
	ret = 0;
out:
	free(doc);
	oci_config_free(cur);
	oci_config_free(upd);
	state_release(&st);
	return ret;
}

struct events_opts {
	bool stats;
	const char *interval; /* accepted: one figure, printed once */
};

static const struct cli_opt events_options[] = {
	{CLI_FLAG("--stats", 0, struct events_opts, stats)},
	{CLI_VALUE("--interval", 0, struct events_opts, interval)},
	{0},
};
static const struct cli_command events_command = {"events", events_options,
						  CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};

int cmd_events(struct global_opts *g, int argc, char **argv)
{
	struct events_opts o = {0};
	struct cli_result res;
	const char *id = parse_id(&events_command, &o, g, argc, argv, &res);
	if (!id)
		return 1;
	bool stats = o.stats;
	if (!stats)
		return fail("events: only --stats is supported by visor");
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	bool stopped = !strcmp(state_live_status(&st), "stopped");
	state_release(&st);
	long long npids = 0;
	char *reply = NULL;
	struct verr err = {0};
	if (!stopped && control_request(g, id, "{\"op\":\"ps\"}", &reply, &err) == 0) {
		const char *lst = strstr(reply, "\"pids\":[");
		for (const char *q = lst ? lst + 8 : NULL; q && *q && *q != ']'; q++)
			if (isdigit((unsigned char)*q) && (q[-1] == '[' || q[-1] == ','))
				npids++;
		free(reply);
	}
	/* runc's stats event, with the one figure the sandbox can give */
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "type", "stats");
	json_key_string(&w, "id", id);
	json_key_object_begin(&w, "data");
	json_key_object_begin(&w, "pids");
	json_key_int(&w, "current", npids);
	json_object_end(&w);
	json_object_end(&w);
	json_object_end(&w);
	return print_json(&w, "events");
}
