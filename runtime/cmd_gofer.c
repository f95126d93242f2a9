/*
 * cmd_gofer.c — `visor gofer`: the Gofer process of one container.
 *
 *   visor gofer --sock-fd=N --root=DIR [--root-readonly]
 *               [--mount=DEST:HOSTDIR[:ro]]... [--no-jail]
 *
 * Privilege separation, in order (OpenBSD privsep style, said here near main):
 *   1. open every directory it will serve (the root and each bind mount's
 *      host source) while host paths still resolve;
 *   2. close every other inherited fd (an fd to the host would defeat the jail);
 *   3. jail (gofer/jail.c): each bind mount's fds move to a detached clone
 *      of its source's mount tree (no fd names a host mount: ".." from one
 *      stays at its root); private mount namespace + pivot_root into the
 *      root, then re-open "/" as the root mount (now nodev,nosuid[,ro]); drop
 *      all capabilities but the file-owner ones; seccomp allow-list with
 *      KILL_PROCESS as the default action;
 *   4. serve (gofer/server.c) until the Sentry closes the socket.
 * --no-jail skips step 3 (unit tests as non-root).  Exit status: 0 when the
 * Sentry hung up, 1 on a set-up or socket error.
 */
#include "gofer/server.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/memtrim.h"
#include "lib/verr.h"
#include "runtime/cli.h"
#include "runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define GOFER_CLI_MAX_MOUNTS 256

static void gofer_usage(void)
{
	fprintf(stderr, "usage: visor gofer --sock-fd=N --root=DIR [--root-readonly]\n"
			"                   [--mount=DEST:HOSTDIR[:ro]]... [--no-jail]\n");
}

/* Open a mount's host source: a directory, or a regular file through its
 * parent directory (see struct gofer_mount).  As a Linux bind mount, a
 * source that is a symlink is followed (Docker's --init binds
 * /usr/bin/docker-init, a symlink to tini): the file served is its
 * target, reached through the target's own directory. */
static int open_mount_source(struct gofer_mount *m, const char *given, char **leaf_store,
			     struct verr *err)
{
	m->parent_fd = -1;
	m->leaf = NULL;
	_cleanup_free_ char *host = realpath(given, NULL);
	if (!host)
		return verr_errno(err, errno, "cannot open %s", given);
	m->fd = open(host, O_PATH | O_CLOEXEC);
	if (m->fd < 0)
		return verr_errno(err, errno, "cannot open %s", host);
	struct stat st;
	if (fstat(m->fd, &st) < 0)
		return verr_errno(err, errno, "%s", host);
	if (S_ISDIR(st.st_mode))
		return 0;
	if (!S_ISREG(st.st_mode))
		return verr_set(err, EINVAL, "%s: only directories and regular files can be served",
				host);
	_cleanup_free_ char *d = strdup(host);
	_cleanup_free_ char *b = strdup(host);
	if (!d || !b)
		return verr_set(err, ENOMEM, "out of memory");
	m->parent_fd = open(dirname(d), O_PATH | O_DIRECTORY | O_CLOEXEC);
	*leaf_store = strdup(basename(b));
	m->leaf = *leaf_store;
	struct stat lst;
	if (m->parent_fd < 0 || !m->leaf ||
	    fstatat(m->parent_fd, m->leaf, &lst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    lst.st_ino != st.st_ino || lst.st_dev != st.st_dev) {
		/* The path's last component is a symlink or moved: re-opening by
		 * name would not reach the same file. */
		return verr_set(err, EINVAL, "%s: file mount must not be a symlink", host);
	}
	return 0;
}

static bool fd_kept(int fd, const int *keep, int nkeep)
{
	for (int i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* Close every fd but 0-2 and those in keep (in batches, rescanning until a
 * scan finds nothing more to close). */
static void close_other_fds(const int *keep, int nkeep)
{
	for (;;) {
		DIR *d = opendir("/proc/self/fd");
		if (!d)
			return;
		int dfd = dirfd(d);
		int fds[1024], n = 0;
		struct dirent *e;
		while ((e = readdir(d)) && n < 1024) {
			int fd = atoi(e->d_name);
			if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd <= 2 || fd == dfd)
				continue;
			if (!fd_kept(fd, keep, nkeep))
				fds[n++] = fd;
		}
		closedir(d);
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (n == 0)
			return;
	}
}

struct gofer_opts {
	int sock;
	const char *root;
	bool root_ro, no_jail;
	int nmounts; /* mounts[0] is the root */
	struct gofer_mount mounts[GOFER_CLI_MAX_MOUNTS + 1];
	char *leaves[GOFER_CLI_MAX_MOUNTS + 1];
	char specs[GOFER_CLI_MAX_MOUNTS][4096];
};

static int gofer_sock_fd(void *field, const char *word, const char *value, struct verr *err)
{
	char *end;
	long v = strtol(value, &end, 10);
	if (!value[0] || *end || v < 0 || v > 1 << 20)
		return verr_set(err, EINVAL, "bad --sock-fd %s", value);
	*(int *)field = (int)v;
	return 0;
}

/* --mount=DEST:HOSTDIR[:ro]: the source is opened now, while host paths
 * still resolve. */
static int gofer_add_mount(void *opts, const char *word, const char *value, struct verr *err)
{
	struct gofer_opts *o = opts;
	if (o->nmounts > GOFER_CLI_MAX_MOUNTS)
		return verr_set(err, E2BIG, "too many --mount");
	char *spec = o->specs[o->nmounts - 1];
	if (snprintf(spec, sizeof(o->specs[0]), "%s", value) >= (int)sizeof(o->specs[0]))
		return verr_set(err, ENAMETOOLONG, "--mount too long");
	char *host = strchr(spec, ':');
	if (spec[0] != '/' || !host || host[1] != '/')
		return verr_set(err, EINVAL, "--mount wants /DEST:/HOSTDIR[:ro], not %s", value);
	*host++ = 0;
	bool ro = false;
	size_t hl = strlen(host);
	if (hl > 3 && !strcmp(host + hl - 3, ":ro")) {
		host[hl - 3] = 0;
		ro = true;
	}
	struct gofer_mount *m = &o->mounts[o->nmounts];
	*m = (struct gofer_mount){.name = spec, .readonly = ro};
	int r = open_mount_source(m, host, &o->leaves[o->nmounts], err);
	if (r < 0)
		return r;
	o->nmounts++;
	return 0;
}

static const struct cli_opt gofer_options[] = {
	{CLI_PARSE("--sock-fd", 0, struct gofer_opts, sock, int, gofer_sock_fd), .flags = CLI_INLINE},
	{CLI_VALUE("--root", 0, struct gofer_opts, root), .flags = CLI_INLINE | CLI_NONEMPTY},
	{CLI_FLAG("--root-readonly", 0, struct gofer_opts, root_ro)},
	{CLI_FLAG("--no-jail", 0, struct gofer_opts, no_jail)},
	{CLI_CALL("--mount", 0, true, gofer_add_mount), .flags = CLI_INLINE},
	{0},
};

int cmd_gofer(struct global_opts *g, int argc, char **argv)
{
	static const struct cli_command gofer_command = {"gofer", gofer_options, 0, 0};
	static struct gofer_opts o = {.sock = -1, .nmounts = 1};

	log_set_prefix("gofer");
	struct cli_result res;
	struct verr err = {0};
	int r = cli_parse(&gofer_command, &o, g, argc, argv, &res, &err);
	if (r == -ENOENT || r == -E2BIG) {
		fprintf(stderr, "visor gofer: unknown option %s\n", res.bad);
		gofer_usage();
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "visor gofer: %s\n", err.msg);
		return 1;
	}
	int sock = o.sock;
	const char *root = o.root;
	bool root_ro = o.root_ro, jail = !o.no_jail;
	struct gofer_mount *mounts = o.mounts;
	int nmounts = o.nmounts;
	if (sock < 0 || !root) {
		gofer_usage();
		return 1;
	}
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
		fprintf(stderr, "visor gofer: --sock-fd=%d is not a SOCK_SEQPACKET socket\n", sock);
		return 1;
	}
	mounts[0] = (struct gofer_mount){.name = "/", .parent_fd = -1, .readonly = root_ro};
	mounts[0].fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mounts[0].fd < 0) {
		fprintf(stderr, "visor gofer: cannot open root %s: %s\n", root, strerror(errno));
		return 1;
	}
	/* Up to two fds per fid (the fid and its parent) plus a readdir fd. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	int keep[2 * GOFER_CLI_MAX_MOUNTS + 4], nkeep = 0;
	keep[nkeep++] = sock;
	if (log_get_fd() > 2)
		keep[nkeep++] = log_get_fd();
	for (int i = 0; i < nmounts; i++) {
		keep[nkeep++] = mounts[i].fd;
		if (mounts[i].parent_fd >= 0)
			keep[nkeep++] = mounts[i].parent_fd;
	}
	close_other_fds(keep, nkeep);
	/* The server's receive waits at most an idle period, then trims and
	 * waits on (gofer_recv_request); set before the jail, which has no
	 * setsockopt. */
	struct timeval idle = {.tv_sec = MEMTRIM_IDLE_PERIOD_MS / 1000,
			       .tv_usec = MEMTRIM_IDLE_PERIOD_MS % 1000 * 1000};
	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) < 0)
		log_warn("gofer: no receive timeout, so no idle trim: %s", strerror(errno));

	if (jail) {
		const char *what = "";
		int r = gofer_jail_detach_mounts(mounts, nmounts, &what);
		if (r == 0)
			r = gofer_jail_pivot(root, root_ro, &what);
		if (r < 0) {
			fprintf(stderr, "visor gofer: jail: %s: %s\n", what, strerror(-r));
			return 1;
		}
		/* The root fd opened above names the host's mount; "/" now is the
		 * private nodev,nosuid(,ro) bind of it. */
		int nr = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (nr < 0) {
			fprintf(stderr, "visor gofer: jail: reopening /: %s\n", strerror(errno));
			return 1;
		}
		close(mounts[0].fd);
		mounts[0].fd = nr;
		r = gofer_jail_drop_caps();
		if (r < 0) {
			fprintf(stderr, "visor gofer: jail: dropping capabilities: %s\n", strerror(-r));
			return 1;
		}
		r = gofer_jail_seccomp();
		if (r < 0) {
			fprintf(stderr, "visor gofer: jail: seccomp: %s\n", strerror(-r));
			return 1;
		}
	}
	log_info("serving %s%s with %d bind mount(s)", root, root_ro ? " (read-only)" : "",
		 nmounts - 1);
	r = gofer_serve(sock, mounts, nmounts, root_ro, 0);
	if (r < 0)
		log_error("serve: %s", strerror(-r));
	/* Exit without tidying: the process ends here, and the libc teardown
	 * is not worth widening the seccomp filter for. */
	_exit(r < 0 ? 1 : 0);
}
