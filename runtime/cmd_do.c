/*
 * cmd_do.c — `visor do` (run a command in a fresh sandbox, no OCI bundle) and
 * `visor boot` (the Sentry process, started by the runtime).
 *
 *   visor do [--root-dir=DIR] [--rw] [--cwd=DIR] [--env=K=V]... [--uid=N]
 *            [--gid=N] [--hostname=H] [--no-jail] CMD [ARG...]
 *
 * `do` starts a Gofer over DIR (default: the host's /, read-only) and a Sentry
 * in new pid, mount, ipc, uts and network namespaces, passes its own stdio
 * through, waits, and exits with the app's status.  Both children are
 * re-executions of this binary.
 */
#include "runtime/cli.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "lib/log.h"
#include "lib/verr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


static const char *default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
};

static int self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static pid_t spawn(char *const args[], int keep_fd, unsigned long nsflags)
{
	/* A raw clone: new namespaces for the child, fork semantics. */
	pid_t pid = (pid_t)syscall(SYS_clone, nsflags | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (keep_fd >= 0) {
			int fl = fcntl(keep_fd, F_GETFD);
			fcntl(keep_fd, F_SETFD, fl & ~FD_CLOEXEC);
		}
		execv(args[0], args);
		fprintf(stderr, "visor: exec %s: %s\n", args[0], strerror(errno));
		_exit(125);
	}
	return pid;
}

/* do's options: its own, and those it passes on to `visor boot` as they
 * are (appended to the boot command line in the order given). */
struct do_opts {
	const char *root_dir;
	bool rw, no_dev, have_env;
	char **pass;
	int npass;
};

static int do_pass_on(void *opts, const char *word, const char *value, struct verr *err)
{
	struct do_opts *o = opts;
	if (o->npass >= 2000)
		return verr_set(err, E2BIG, "too many options");
	o->pass[o->npass++] = (char *)word;
	if (!strncmp(word, "--env=", 6))
		o->have_env = true;
	return 0;
}

#define DO_PASS_ON(lng) {CLI_CALL(lng, 0, true, do_pass_on), .flags = CLI_INLINE}

static const struct cli_opt do_options[] = {
	{CLI_VALUE("--root-dir", 0, struct do_opts, root_dir), .flags = CLI_INLINE},
	{CLI_FLAG("--rw", 0, struct do_opts, rw)},
	{CLI_FLAG("--no-dev", 0, struct do_opts, no_dev)},
	{CLI_CALL("--no-jail", 0, false, do_pass_on)},
	DO_PASS_ON("--env"),
	DO_PASS_ON("--cwd"),
	DO_PASS_ON("--uid"),
	DO_PASS_ON("--gid"),
	DO_PASS_ON("--hostname"),
	DO_PASS_ON("--tmpfs"),
	{0},
};

/* do [OPTIONS] [--] CMD [ARG...]: the options end at the command */
static const struct cli_command do_command = {
	"do", do_options, CLI_GLOBALS | CLI_DASHDASH | CLI_STOP_AT_ARG, 0};

static void forward_signal(int sig)
{
	(void)sig; /* the Sentry is in our process group's terminal; see below */
}

int cmd_do(struct global_opts *g, int argc, char **argv)
{
	static char *bargs[4096];
	char exe[PATH_MAX];
	if (self_exe(exe, sizeof(exe)) < 0) {
		fprintf(stderr, "visor do: cannot find my own binary\n");
		return 125;
	}
	static char *pass[2048];
	struct do_opts o = {.root_dir = "/", .pass = pass};
	struct cli_result res;
	struct verr err = {0};
	int r = cli_parse(&do_command, &o, g, argc, argv, &res, &err);
	if (r == -ENOENT) {
		fprintf(stderr, "visor do: unknown option %s\n", res.bad);
		return 125;
	}
	if (r < 0) {
		fprintf(stderr, "visor do: %s\n", err.msg);
		return 125;
	}
	if (res.nrest == 0) {
		fprintf(stderr, "usage: visor do [--root-dir=DIR] [--rw] [--cwd=DIR] [--env=K=V]... "
				"CMD [ARG...]\n");
		return 125;
	}
	if (g->overlay) {
		fprintf(stderr, "visor do: --overlay is not implemented yet\n");
		return 125;
	}
	if (sandbox_check_network(g, &err) < 0) {
		fprintf(stderr, "visor do: %s\n", err.msg);
		return 125;
	}
	const char *rootdir = o.root_dir;
	bool rw = o.rw;
	/* The boot command line, built once every option (global ones given
	 * after `do` too) is known. */
	int nb = 0;
	char fdarg[32];
	bargs[nb++] = exe;
	if (g->debug)
		bargs[nb++] = "--debug";
	struct sandbox_flag_bufs fb;
	nb = sandbox_flag_args(g, NULL, bargs, nb, &fb);
	bargs[nb++] = "boot";
	bargs[nb++] = fdarg;
	for (int i = 0; i < o.npass; i++)
		bargs[nb++] = o.pass[i];
	if (!o.have_env) {
		static char e0[128], e1[64];
		snprintf(e0, sizeof(e0), "--env=%s", default_env[0]);
		snprintf(e1, sizeof(e1), "--env=%s", default_env[1]);
		bargs[nb++] = e0;
		bargs[nb++] = e1;
	}
	if (!o.no_dev) {
		bargs[nb++] = "--dev";
		bargs[nb++] = "--proc";
		bargs[nb++] = "--sys"; /* as runc's default spec: a read-only sysfs */
	}
	if (!rw)
		bargs[nb++] = "--root-readonly";
	bargs[nb++] = "--";
	for (int i = 0; i < res.nrest && nb < 4094; i++)
		bargs[nb++] = res.rest[i];
	bargs[nb] = NULL;

	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		fprintf(stderr, "visor do: socketpair: %s\n", strerror(errno));
		return 125;
	}
	char gsock[32], groot[PATH_MAX + 16];
	snprintf(gsock, sizeof(gsock), "--sock-fd=%d", sp[1]);
	snprintf(groot, sizeof(groot), "--root=%s", rootdir);
	char *gargs[] = {exe, "gofer", gsock, groot, rw ? NULL : "--root-readonly", NULL};
	/* The Gofer in its own pid, network and IPC namespaces, as under
	 * create (runtime/sandbox.c). */
	pid_t gofer = spawn(gargs, sp[1], CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC);
	if (gofer < 0) {
		fprintf(stderr, "visor do: starting the gofer: %s\n", strerror(-gofer));
		return 125;
	}
	close(sp[1]);
	snprintf(fdarg, sizeof(fdarg), "--gofer-fd=%d", sp[0]);
	signal(SIGINT, forward_signal);
	/* --network=host: the Sentry's host sockets live in our namespace. */
	bool host_net = g->network && !strcmp(g->network, "host");
	pid_t sentry = spawn(bargs, sp[0], CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
						   CLONE_NEWUTS | (host_net ? 0 : CLONE_NEWNET));
	close(sp[0]);
	if (sentry < 0) {
		fprintf(stderr, "visor do: starting the sentry: %s\n", strerror(-sentry));
		kill(gofer, SIGKILL);
		waitpid(gofer, NULL, 0);
		return 125;
	}
	int st = 0;
	while (waitpid(sentry, &st, 0) < 0 && errno == EINTR)
		;
	/* The Sentry closed its end: the Gofer sees EOF and exits. */
	int gst;
	pid_t w;
	for (int tries = 0; tries < 100; tries++) {
		w = waitpid(gofer, &gst, WNOHANG);
		if (w != 0)
			break;
		usleep(10000);
	}
	if (w == 0) {
		kill(gofer, SIGKILL);
		waitpid(gofer, &gst, 0);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}
