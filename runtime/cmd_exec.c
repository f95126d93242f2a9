/*
 * cmd_exec.c — processes inside a running container: exec (a new process
 * in the sandbox, through the Sentry's control socket) and ps (its
 * processes, as the host sees their stub processes).
 *
 * `exec --pid-file` gets the host pid of a visor process that lives exactly
 * as long as the exec'd process and exits with its status: the sandboxed
 * pid means nothing on the host.
 */
#include "runtime/cmd_common.h"
#include "runtime/sandbox.h"
#include "runtime/state.h"
#include "lib/cleanup.h"
#include "lib/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <yajl/yajl_tree.h>

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
