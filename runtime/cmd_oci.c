/*
 * cmd_oci.c — the runc-compatible container lifecycle that
 * containerd-shim-runc-v2 drives: create, start, run, state, list, kill and
 * delete.  (exec and ps: cmd_exec.c; pause, resume, update and events:
 * cmd_resources.c; shared helpers: cmd_common.c.)
 *
 * Each command is a thin shell: options as runc spells them, then
 * runtime/state.c (the state dir, under a per-container lock),
 * runtime/sandbox.c (processes) and the Sentry's control socket
 * (sentry/control.h) do the work.  Errors print "visor: MESSAGE" on stderr,
 * go to --log, and exit 1 (runc's convention, which the shim relies on).
 *
 * Pids: the pid `create` writes is the Sentry's host pid (the shim waits on
 * it; it exits with init's status).
 */
#include "runtime/cmd_common.h"
#include "runtime/hooks.h"
#include "runtime/net.h"
#include "runtime/oci.h"
#include "runtime/oci_seccomp.h"
#include "runtime/sandbox.h"
#include "runtime/state.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/log.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/wait.h>

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

/*
 * The Gofer ends by itself when the Sentry's end closes its socket, unless
 * it cannot run (SIGSTOPped, wedged): delete makes sure, as it does for the
 * Sentry, so a wedged sandbox leaves no process even without a cgroup to
 * empty.  Only the process recorded at create (its start time tells a
 * reused pid apart; a state without one is left alone).
 */
static void kill_gofer(const struct visor_state *st)
{
	uint64_t t;
	if (st->gofer_pid <= 0 || !st->gofer_start_time ||
	    state_proc_start_time(st->gofer_pid, &t) < 0 || t != st->gofer_start_time)
		return;
	kill(st->gofer_pid, SIGKILL);
	for (int i = 0; i < 500; i++) {
		if (state_proc_start_time(st->gofer_pid, &t) < 0 || t != st->gofer_start_time)
			return;
		waitpid(st->gofer_pid, NULL, WNOHANG);
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
	state_proc_start_time(gofer_pid, &cr->st->gofer_start_time);
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
	if (g->overlay)
		return fail("--overlay is not implemented yet: remove it from runtimeArgs");
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
	struct sock_filter *seccomp_prog = NULL;
	unsigned int seccomp_len = 0;
	struct sandbox sb = {0};
	struct net_early early = {.netns = -1, .fd = -1};
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
	/* A user namespace (dockerd --userns-remap) would have container root
	 * create and chown files as an unprivileged host uid; the Gofer acts
	 * as host root, so ignoring the mappings would hand container root
	 * real root's files.  Refused until the Gofer applies them. */
	if (oci_config_namespace(cfg, OCI_NS_USER) || cfg->linux_cfg.n_uid_mappings ||
	    cfg->linux_cfg.n_gid_mappings) {
		fail("config.json: linux.namespaces: a user namespace (type \"user\", "
		     "uidMappings/gidMappings, as dockerd --userns-remap sets) is not supported "
		     "by visor");
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
	if (sandbox_check_network(g, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	if (cfg->linux_cfg.seccomp) {
		/* Compiled here, before anything exists, so a profile libseccomp
		 * cannot express fails create cleanly; the Sentry gets the
		 * program (compiling takes tens of milliseconds: once). */
		unsigned int skipped;
		if (oci_seccomp_bpf(cfg->linux_cfg.seccomp, &seccomp_prog, &seccomp_len, &skipped,
				    &err) < 0) {
			fail("%s", err.msg);
			goto out;
		}
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
		.seccomp_prog = seccomp_prog,
		.seccomp_len = seccomp_len,
	};
	if (sandbox_start(&so, &sb, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	bool sandbox_net = !g->network || !strcmp(g->network, "sandbox");
	/* The first link's socket and rings while the prestart hooks run
	 * (net.h): with none, there is nothing to overlap with. */
	if (sandbox_net && hooks_count(text, len, HOOK_PRESTART))
		net_early_start(&early, sb.sentry_pid);
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

	/* The container's interfaces, now that the hooks have wired them
	 * (runtime/net_attach.c): --network=sandbox only. */
	if (sandbox_net) {
		const char *resolv = NULL;
		for (size_t i = 0; i < cfg->n_mounts; i++)
			if (!strcmp(cfg->mounts[i].destination, "/etc/resolv.conf"))
				resolv = cfg->mounts[i].source;
		/* IPv6 on lo as runc would leave it after applying the spec's
		 * sysctls (Docker turns it off in the namespace; --sysctl
		 * net.ipv6.conf.all.disable_ipv6=0 turns it back on): lo's key
		 * after all's, as runc writes them in the spec's order and
		 * "all" reaches every device.  -1: as the namespace has it. */
		int lo_ipv6 = -1, all_ipv6 = -1;
		const char *v6[] = {"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.lo.disable_ipv6"};
		for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
			const char *v = oci_map_get(&cfg->linux_cfg.sysctl, v6[i]);
			if (v && (!strcmp(v, "0") || !strcmp(v, "1")))
				lo_ipv6 = !strcmp(v, "0");
			if (i == 0)
				all_ipv6 = lo_ipv6;
		}
		if (net_attach(sb.sentry_pid, dir, net_uses_docker_dns(resolv), lo_ipv6,
			       all_ipv6 == 1, &early, &err) < 0) {
			fail("%s", err.msg);
			goto out;
		}
	}

	st.sentry_pid = sb.sentry_pid;
	state_proc_start_time(sb.sentry_pid, &st.sentry_start_time);
	st.gofer_pid = sb.gofer_pid;
	state_proc_start_time(sb.gofer_pid, &st.gofer_start_time);
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
	net_early_discard(&early);
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
	free(seccomp_prog);
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
		printf("%-20s %-8s %-10s %-8s %-8s %-40s %-30s %s\n", "ID", "PID", "STATUS",
		       "PLATFORM", "NETWORK", "BUNDLE", "CREATED", "OWNER");
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
			printf("%-20s %-8d %-10s %-8s %-8s %-40s %-30s %s\n", st.id,
			       strcmp(live, "stopped") ? st.sentry_pid : 0, live, st.platform,
			       st.network[0] ? st.network : "sandbox", st.bundle, st.created,
			       st.owner);
		state_release(&st);
	}
	state_list_free(ids, n);
	json_array_end(&w);
	return json ? print_json(&w, "list") : 0;
}

/* ---- kill / delete ------------------------------------------------------------ */

#define KILL_REQUEST_TIMEOUT_MS 2000

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
	/* A SIGKILL needs no cooperation: a Sentry that does not take it
	 * within KILL_REQUEST_TIMEOUT_MS (stopped, wedged) is killed itself,
	 * which ends every process of the sandbox. */
	if (control_request_timed(g, id, req, &reply,
				  sig == SIGKILL ? KILL_REQUEST_TIMEOUT_MS : CONTROL_TIMEOUT_MS,
				  &err) < 0) {
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
	kill_gofer(&st);
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
