/*
 * sandbox.c — spawning a container's Gofer and Sentry (see sandbox.h), the
 * console pty, cgroup placement, and the client side of the control socket.
 *
 * Start-up handshake with the Sentry (`visor boot --spec-fd --gofer-fd
 * --control-fd --ready-fd --wait-start`):
 *   - config.json goes over a memfd (--spec-fd): the Sentry builds its
 *     process, root and mounts from the same text create validated;
 *   - the control socket is bound and listening before the Sentry exists,
 *     so `visor start` can connect the moment create returns;
 *   - the Sentry writes "ok PID" (init exec'd and held) or "error MSG" on
 *     the ready pipe; EOF without either means it died, and its exit status
 *     says how.
 * Both children are plain children of this process: `create` exits and
 * they are re-parented to the shim (a child subreaper), which reaps the
 * Sentry and reports its exit status as the container's.
 */
#include "runtime/sandbox.h"
#include "runtime/boot_config.h"
#include "runtime/cgroup.h"
#include "runtime/oci.h"
#include "runtime/runtime.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/log.h"
#include "lib/verr.h"
#include "sentry/control.h"

#include <errno.h>
#include <linux/filter.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define SANDBOX_READY_TIMEOUT_MS 60000
#define SANDBOX_MAX_ARGS 512
#define CONTROL_REPLY_MAX (64 * 1024)

static int self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static void fd_keep(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl >= 0)
		fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
}

/* In a child: every fd from 3 up closes at exec, except keep[]. */
static void child_fds(const int *keep, int nkeep)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (int i = 0; i < nkeep; i++)
		if (keep[i] >= 0)
			fd_keep(keep[i]);
}

/* Point fds 0..2 at /dev/null (daemons must not hold the container's pipes). */
static void child_null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* The global options a child visor needs to log where we log. */
static int push_global_args(char **args, int n, struct global_opts *g, char *bufs, size_t bufsz)
{
	if (g->log_path) {
		snprintf(bufs, bufsz, "--log=%s", g->log_path);
		args[n++] = bufs;
		if (g->log_json)
			args[n++] = "--log-format=json";
	}
	if (g->debug)
		args[n++] = "--debug";
	return n;
}

/* The file a --debug-log=PATTERN names for one container's SUFFIX
 * ("sentry" or "gofer"): %ID% becomes the container id (as runsc's), so one
 * runtimeArgs entry serves every container, and a result ending in '/' is a
 * directory (runsc's form), made if missing, holding ID.SUFFIX.log.  Only
 * the Sentry logs to a plain file.  -1 if there is none or it does not fit. */
static int debug_log_path(char *out, size_t size, const char *pattern, const char *id,
			  const char *suffix)
{
	if (!pattern || !pattern[0])
		return -1;
	if (!id || !id[0])
		id = "do";
	size_t n = 0;
	for (const char *p = pattern; *p; p++) {
		const char *piece = p;
		size_t len = 1;
		if (!strncmp(p, "%ID%", 4)) {
			piece = id;
			len = strlen(id);
			p += 3;
		}
		if (n + len + 1 > size)
			return -1;
		memcpy(out + n, piece, len);
		n += len;
	}
	out[n] = 0;
	if (out[n - 1] != '/')
		return strcmp(suffix, "sentry") ? -1 : 0;
	int r = mkdir_p(out, 0755);
	if (r < 0) {
		log_warn("--debug-log: cannot make %s: %s", out, strerror(-r));
		return -1;
	}
	if ((size_t)snprintf(out + n, size - n, "%s.%s.log", id, suffix) >= size - n)
		return -1;
	return 0;
}

int sandbox_flag_args(const struct global_opts *g, const char *id, char **args, int n,
		      struct sandbox_flag_bufs *b)
{
	snprintf(b->platform, sizeof(b->platform), "--platform=%s", g->platform);
	args[n++] = b->platform;
	if (g->strace)
		args[n++] = "--strace";
	if (g->file_access && !strcmp(g->file_access, "shared"))
		args[n++] = "--file-access=shared";
	if (g->network && !strcmp(g->network, "none"))
		args[n++] = "--network=none";
	if (g->network && !strcmp(g->network, "host"))
		args[n++] = "--network=host";
	char path[PATH_MAX];
	if (debug_log_path(path, sizeof(path), g->debug_log, id, "sentry") == 0 &&
	    (size_t)snprintf(b->debug_log, sizeof(b->debug_log), "--debug-log=%s", path) <
		    sizeof(b->debug_log)) {
		args[n++] = b->debug_log;
		/* The log's first line names the container, so a log found
		 * later says whose it is. */
		_cleanup_close_ int fd = id && *id ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
		if (fd >= 0)
			dprintf(fd, "visor: container %s\n", id);
	}
	return n;
}

int sandbox_check_network(const struct global_opts *g, struct verr *err)
{
	(void)g;
	(void)err;
	return 0; /* sandbox, none, host: every mode the CLI accepts */
}

static pid_t spawn_gofer(const struct sandbox_opts *o, const char *exe, int sock, int errfd,
			 struct verr *err)
{
	const struct oci_config *c = o->cfg;
	char **args = calloc(SANDBOX_MAX_ARGS + 16, sizeof(char *));
	char **owned = calloc(SANDBOX_MAX_ARGS + 16, sizeof(char *));
	int n = 0, no = 0;
	pid_t pid = -ENOMEM;
	char logbuf[PATH_MAX + 16], sockarg[32];
	if (!args || !owned)
		goto out;
	args[n++] = (char *)exe;
	n = push_global_args(args, n, o->g, logbuf, sizeof(logbuf));
	/* --debug-log=DIR/: the Gofer's own file beside the Sentry's (a later
	 * --log wins). */
	char glog[PATH_MAX + 16], gpath[PATH_MAX];
	if (debug_log_path(gpath, sizeof(gpath), o->g->debug_log, o->id, "gofer") == 0 &&
	    (size_t)snprintf(glog, sizeof(glog), "--log=%s", gpath) < sizeof(glog))
		args[n++] = glog;
	args[n++] = "gofer";
	snprintf(sockarg, sizeof(sockarg), "--sock-fd=%d", sock);
	args[n++] = sockarg;
	if (asprintf(&owned[no], "--root=%s", o->rootfs) < 0)
		goto out;
	args[n++] = owned[no++];
	if (c->root_readonly)
		args[n++] = "--root-readonly";
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct oci_mount *m = &c->mounts[i];
		bool bind = (m->type && !strcmp(m->type, "bind")) || (m->flags & MS_BIND);
		for (size_t j = 0; !bind && j < m->n_options; j++)
			bind = !strcmp(m->options[j], "bind") || !strcmp(m->options[j], "rbind");
		if (!bind || boot_mount_dev_node(m))
			continue; /* a device node: the Sentry's own (cmd_boot.c) */
		if (!m->source || !m->source[0]) {
			pid = verr_set(err, EINVAL, "config.json: mounts[%zu]: bind mount needs a source",
				       i);
			goto out;
		}
		if (n >= SANDBOX_MAX_ARGS) {
			pid = verr_set(err, E2BIG, "config.json: mounts: too many bind mounts");
			goto out;
		}
		/* The Gofer's --mount=DEST:SRC[:ro] syntax cannot carry ':'. */
		if (strchr(m->destination, ':') || strchr(m->source, ':')) {
			pid = verr_set(err, EINVAL,
				       "config.json: mounts[%zu]: paths with ':' are not supported", i);
			goto out;
		}
		char src[PATH_MAX];
		if (m->source[0] == '/')
			snprintf(src, sizeof(src), "%s", m->source);
		else
			snprintf(src, sizeof(src), "%s/%s", o->bundle, m->source);
		if (asprintf(&owned[no], "--mount=%s:%s%s", m->destination, src,
			     (m->flags & MS_RDONLY) ? ":ro" : "") < 0)
			goto out;
		args[n++] = owned[no++];
	}
	args[n] = NULL;

	/* Its own pid, network and IPC namespaces: a compromised Gofer sees no
	 * host process (nothing to signal or ptrace by pid), no network
	 * interface or abstract socket, no host SysV IPC.  It is pid 1 there:
	 * only SIGKILL and SIGSTOP reach it from the host without a handler,
	 * which is all the runtime sends it; the Sentry's watchdog sees its
	 * death as a hang-up on the socket, as before. */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | SIGCHLD, 0, 0,
			     0, 0);
	if (pid < 0) {
		pid = verr_errno(err, errno, "starting the gofer");
		goto out;
	}
	if (pid == 0) {
		setsid();
		child_null_stdio();
		if (errfd >= 0)
			dup2(errfd, 2);
		child_fds(&sock, 1);
		execv(exe, args);
		_exit(125);
	}
out:
	if (owned)
		for (int i = 0; i < no; i++)
			free(owned[i]);
	free(owned);
	free(args);
	if (pid == -ENOMEM)
		verr_set(err, ENOMEM, "out of memory");
	return pid;
}

/* Bind and listen on <state_dir>/control.sock.  Through /proc/self/fd/N of
 * the directory, because <root>/<64-hex-id>/control.sock overflows
 * sun_path's 108 bytes under Docker's state roots. */
static int control_listen(const char *state_dir, struct verr *err)
{
	_cleanup_close_ int dfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return verr_errno(err, errno, "open %s", state_dir);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return verr_errno(err, errno, "control socket");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/control.sock", dfd);
	/* Only root (the runtime) may talk to the Sentry. */
	mode_t old = umask(0077);
	int r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(s, 64) < 0) {
		int e = errno;
		close(s);
		return verr_errno(err, e, "control socket in %s", state_dir);
	}
	return s;
}

int control_connect(const char *state_dir, struct verr *err)
{
	_cleanup_close_ int dfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return verr_errno(err, errno, "open %s", state_dir);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return verr_errno(err, errno, "control socket");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/control.sock", dfd);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(s);
		return verr_errno(err, e, "cannot reach the sandbox's control socket");
	}
	return s;
}

int control_recv(int fd, char **reply)
{
	char *buf = malloc(CONTROL_REPLY_MAX + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t n;
	do
		n = recv(fd, buf, CONTROL_REPLY_MAX, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		int e = n < 0 ? errno : ECONNRESET;
		free(buf);
		return -e;
	}
	buf[n] = 0;
	*reply = buf;
	return 0;
}

int control_reply_int(const char *reply, const char *key, long long *out)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(reply, pat);
	if (!p)
		return -ENOENT;
	char *end;
	errno = 0;
	long long v = strtoll(p + strlen(pat), &end, 10);
	if (errno || end == p + strlen(pat))
		return -EINVAL;
	*out = v;
	return 0;
}

int control_call(int fd, const char *req, const int *fds, int nfds, char **reply,
		 struct verr *err)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * CONTROL_MAX_FDS)];
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = {.iov_base = (void *)req, .iov_len = strlen(req)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds > 0) {
		if (nfds > CONTROL_MAX_FDS)
			return verr_set(err, EINVAL, "too many fds");
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t w;
	do
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return verr_errno(err, errno, "sending to the sandbox");
	char *r = NULL;
	int e = control_recv(fd, &r);
	if (e < 0)
		return verr_errno(err, -e, "no answer from the sandbox");
	if (strstr(r, "\"ok\":false")) {
		long long code = EIO;
		control_reply_int(r, "errno", &code);
		const char *m = strstr(r, "\"error\":\"");
		char msg[512] = "request failed";
		if (m) {
			m += 9;
			size_t k = 0;
			while (*m && *m != '"' && k + 1 < sizeof(msg)) {
				if (*m == '\\' && m[1])
					m++;
				msg[k++] = *m++;
			}
			msg[k] = 0;
		}
		free(r);
		if (code <= 0 || code > 4095)
			code = EIO;
		return verr_set(err, (int)code, "%s", msg);
	}
	*reply = r;
	return 0;
}

int sandbox_console(const char *console_socket, unsigned rows, unsigned cols, struct verr *err)
{
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return verr_errno(err, errno, "posix_openpt");
	if (grantpt(master) < 0 || unlockpt(master) < 0)
		return verr_errno(err, errno, "unlockpt");
	char name[128];
	if (ptsname_r(master, name, sizeof(name)) != 0)
		return verr_errno(err, errno, "ptsname");
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return verr_errno(err, errno, "open %s", name);
	if (rows && cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(console_socket) >= sizeof(sa.sun_path)) {
		close(slave);
		return verr_set(err, ENAMETOOLONG, "console socket path too long: %s", console_socket);
	}
	strcpy(sa.sun_path, console_socket);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(slave);
		return verr_errno(err, e, "connect to console socket %s", console_socket);
	}
	/* runc sends the master's name ("/dev/ptmx") as the payload. */
	static const char payload[] = "/dev/ptmx";
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = {.iov_base = (void *)payload, .iov_len = sizeof(payload) - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &master, sizeof(int));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0) {
		int e = errno;
		close(slave);
		return verr_errno(err, e, "sending the pty to %s", console_socket);
	}
	return slave;
}

/* ---- cgroups (runtime/cgroup.c does the work) ------------------------------------ */

/* The container's cgroup: the host's hierarchies and cgroupsPath resolved
 * in them.  0, -ENOENT without a cgroupsPath, -EINVAL with err. */
static int sandbox_cgroup_of(const char *cgroups_path, struct cgroup_fs *fs, char *rel,
			     size_t size, struct verr *err)
{
	if (!cgroups_path || !cgroups_path[0])
		return -ENOENT;
	cgroup_fs_host(fs);
	return cgroup_path_resolve(cgroups_path, rel, size, err);
}

/*
 * The limits the host cgroup gets.  All as given but pids: the host counts
 * host tasks, and each app task is a Sentry thread plus a stub thread (and
 * each process a stub leader), beside the Sentry's and Gofer's own
 * threads.  The app's limit is the Sentry's to enforce (fork and clone get
 * EAGAIN at it, kernel/limits.h); the host's is set above what that many
 * app tasks need, so the Sentry never finds itself unable to make a thread.
 */
#define SANDBOX_HOST_TASKS_PER_APP_TASK 3
#define SANDBOX_HOST_TASKS_OVERHEAD 64
/* Memory is written as runc writes it (so `docker stats` shows the user's
 * limit): the Sentry keeps the app's pages below it by a share for the
 * sandbox's own memory (sentry/mm/memfile.c, memfile_app_limit), so its OOM
 * killer acts before the host's, which would take the whole sandbox. */
static const struct oci_resources *host_resources(const struct oci_config *cfg,
						  struct oci_resources *buf)
{
	if (!cfg->linux_cfg.has_resources)
		return NULL;
	*buf = cfg->linux_cfg.resources;
	if (buf->has_pids_limit && buf->pids_limit > 0 &&
	    buf->pids_limit < (INT64_MAX - SANDBOX_HOST_TASKS_OVERHEAD) /
				      SANDBOX_HOST_TASKS_PER_APP_TASK)
		buf->pids_limit = buf->pids_limit * SANDBOX_HOST_TASKS_PER_APP_TASK +
				  SANDBOX_HOST_TASKS_OVERHEAD;
	return buf;
}

int sandbox_cgroup_update(const struct oci_config *cfg, struct verr *err)
{
	struct cgroup_fs fs;
	char rel[PATH_MAX];
	int r = sandbox_cgroup_of(cfg->linux_cfg.cgroups_path, &fs, rel, sizeof(rel), err);
	if (r == -ENOENT)
		return verr_set(err, ENOENT, "the container has no linux.cgroupsPath to update");
	if (r < 0)
		return r;
	struct oci_resources hr;
	return cgroup_apply(&fs, rel, host_resources(cfg, &hr), err);
}

int sandbox_cgroup_freeze(const char *path, bool freeze)
{
	struct cgroup_fs fs;
	char rel[PATH_MAX];
	int r = sandbox_cgroup_of(path, &fs, rel, sizeof(rel), NULL);
	if (r < 0)
		return r;
	return cgroup_freeze(&fs, rel, freeze);
}

void sandbox_cgroup_remove(const char *path)
{
	struct cgroup_fs fs;
	char rel[PATH_MAX];
	if (sandbox_cgroup_of(path, &fs, rel, sizeof(rel), NULL) == 0)
		cgroup_remove(&fs, rel);
}

/* ---- mount points ------------------------------------------------------------ */

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* Make DEST exist inside the root file system, as runc does before it
 * mounts: directories, and an empty file when the mount's source is a
 * file.  Every prefix of DEST is resolved from the root with
 * RESOLVE_IN_ROOT, so a symlink in the image (Debian's /var/run -> /run)
 * is followed as it would be inside the container and can never point the
 * mkdir outside the root. */
static int make_mountpoint(int rootfd, const char *dest, bool file)
{
	int r = open_in_root(rootfd, dest, O_PATH);
	if (r >= 0) {
		close(r);
		return 0;
	}
	if (r != -ENOENT)
		return r;
	char buf[PATH_MAX], prefix[PATH_MAX] = ".";
	if (snprintf(buf, sizeof(buf), "%s", dest) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	char *save = NULL;
	char *comp = strtok_r(buf, "/", &save);
	while (comp) {
		char *next = strtok_r(NULL, "/", &save);
		if (!strcmp(comp, ".") || !strcmp(comp, ".."))
			return -EINVAL;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", prefix, comp) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		bool dir = next || !file;
		int fd = open_in_root(rootfd, path, O_PATH | (dir ? O_DIRECTORY : 0));
		if (fd == -ENOENT) {
			/* Create it in its parent as resolved so far. */
			int pfd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
			if (pfd < 0)
				return pfd;
			if (dir) {
				fd = mkdirat(pfd, comp, 0755) < 0 && errno != EEXIST ? -errno : 0;
			} else {
				fd = openat(pfd, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
					    0644);
				fd = fd < 0 ? -errno : (close(fd), 0);
			}
			close(pfd);
			if (fd == 0)
				fd = open_in_root(rootfd, path, O_PATH | (dir ? O_DIRECTORY : 0));
		}
		if (fd < 0)
			return fd;
		close(fd);
		memcpy(prefix, path, sizeof(prefix));
		comp = next;
	}
	return 0;
}

int sandbox_make_mountpoints(const char *rootfs, const struct oci_config *c, const char *bundle,
			     struct verr *err)
{
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return verr_errno(err, errno, "open root %s", rootfs);
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct oci_mount *m = &c->mounts[i];
		bool bind = (m->type && !strcmp(m->type, "bind")) || (m->flags & MS_BIND);
		for (size_t j = 0; !bind && j < m->n_options; j++)
			bind = !strcmp(m->options[j], "bind") || !strcmp(m->options[j], "rbind");
		/* Below /dev the Sentry's devfs provides the nodes. */
		if (!m->destination || !strncmp(m->destination, "/dev/", 5) ||
		    !strcmp(m->destination, "/dev"))
			continue;
		bool file = false;
		if (bind && m->source) {
			char src[PATH_MAX];
			struct stat st;
			if (m->source[0] == '/')
				snprintf(src, sizeof(src), "%s", m->source);
			else
				snprintf(src, sizeof(src), "%s/%s", bundle, m->source);
			file = stat(src, &st) == 0 && !S_ISDIR(st.st_mode);
		}
		int r = make_mountpoint(rootfd, m->destination, file);
		if (r < 0 && r != -EROFS)
			return verr_errno(err, -r, "config.json: mounts[%zu]: creating mount point %s",
					  i, m->destination);
	}
	return 0;
}

/* ---- the sandbox ----------------------------------------------------------- */

/* While create runs, a SIGTERM/SIGINT/SIGHUP (a shim timing out, a ^C)
 * must not leave a Sentry behind: the handler kills the children and dies
 * of the same signal.  A later `delete --force` removes the directory. */
static volatile pid_t guard_pids[2];

static void guard_handler(int sig)
{
	for (int i = 0; i < 2; i++)
		if (guard_pids[i] > 0)
			kill(guard_pids[i], SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard_set(int i, pid_t pid)
{
	guard_pids[i] = pid;
	static bool installed;
	if (!installed) {
		installed = true;
		struct sigaction sa = {.sa_handler = guard_handler};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
}

void sandbox_release_guard(void)
{
	guard_pids[0] = guard_pids[1] = 0;
}

void sandbox_kill_children(struct sandbox *sb)
{
	sandbox_release_guard();
	if (sb->sentry_pid > 0) {
		kill(sb->sentry_pid, SIGKILL);
		waitpid(sb->sentry_pid, NULL, 0);
		sb->sentry_pid = 0;
	}
	if (sb->gofer_pid > 0) {
		kill(sb->gofer_pid, SIGKILL);
		waitpid(sb->gofer_pid, NULL, 0);
		sb->gofer_pid = 0;
	}
}

/* The Gofer's stderr: a memory file of GOFER_ERR_SIZE bytes that cannot
 * grow (a chatty Gofer cannot fill memory with it), where its start-up
 * errors land (a bind mount's source it cannot serve); -1 when none. */
#define GOFER_ERR_SIZE 4096
static int gofer_err_file(void)
{
	int fd = memfd_create("visor-gofer-stderr", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, GOFER_ERR_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The last line the Gofer wrote to gofer_err_file, or "". */
static void gofer_err_last(int fd, char *out, size_t size)
{
	char buf[GOFER_ERR_SIZE + 1];
	out[0] = 0;
	ssize_t n = fd >= 0 ? pread(fd, buf, GOFER_ERR_SIZE, 0) : -1;
	if (n <= 0)
		return;
	buf[n] = 0; /* the unwritten rest is NULs */
	size_t len = strlen(buf);
	while (len && buf[len - 1] == '\n')
		buf[--len] = 0;
	const char *line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	size_t n2 = strlen(line) < size - 1 ? strlen(line) : size - 1;
	memcpy(out, line, n2);
	out[n2] = 0;
}

/* Read the ready pipe until "ok PID\n", "error MSG\n" or EOF; on EOF, the
 * Gofer's last error (gofer_err) says why, when it has one. */
static int wait_ready(int fd, int gofer_err, struct sandbox *sb, struct verr *err)
{
	char buf[1100];
	size_t n = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 1000);
		if (r < 0 && errno != EINTR)
			return verr_errno(err, errno, "waiting for the sandbox");
		if (r > 0) {
			ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
			if (k < 0 && errno != EINTR)
				return verr_errno(err, errno, "waiting for the sandbox");
			if (k == 0 || n + (size_t)(k > 0 ? k : 0) >= sizeof(buf) - 1) {
				if (k > 0)
					n += (size_t)k;
				break;
			}
			if (k > 0)
				n += (size_t)k;
			if (memchr(buf, '\n', n))
				break;
		}
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 > SANDBOX_READY_TIMEOUT_MS)
			return verr_set(err, ETIMEDOUT, "the sandbox did not start within %d s",
					SANDBOX_READY_TIMEOUT_MS / 1000);
	}
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	if (!strncmp(buf, "ok ", 3)) {
		sb->init_pid = atoi(buf + 3);
		return 0;
	}
	if (!strncmp(buf, "error ", 6))
		return verr_set(err, EINVAL, "%s", buf + 6);
	/* EOF: the Sentry died before saying anything. */
	int st = 0;
	if (waitpid(sb->sentry_pid, &st, 0) == sb->sentry_pid) {
		sb->sentry_pid = 0;
		char why[512];
		gofer_err_last(gofer_err, why, sizeof(why));
		if (WIFSIGNALED(st))
			return verr_set(err, EIO, "the sandbox died with signal %d before the "
						  "container started (%s)", WTERMSIG(st),
					why[0] ? why : "see the log");
		return verr_set(err, EIO, "the sandbox exited with status %d before the "
					  "container started (%s)", WEXITSTATUS(st),
				why[0] ? why : "see the log");
	}
	return verr_set(err, EIO, "the sandbox failed to start");
}

int sandbox_start(const struct sandbox_opts *o, struct sandbox *sb, struct verr *err)
{
	const struct oci_config *c = o->cfg;
	memset(sb, 0, sizeof(*sb));
	int nr = sandbox_check_network(o->g, err);
	if (nr < 0)
		return nr;
	char exe[PATH_MAX];
	if (self_exe(exe, sizeof(exe)) < 0)
		return verr_errno(err, errno, "cannot find the visor binary");
	_cleanup_close_ int gofer_s0 = -1, gofer_s1 = -1, listen_fd = -1, spec_fd = -1;
	_cleanup_close_ int ready_r = -1, ready_w = -1, netns_fd = -1, tty = -1, scmp_fd = -1;
	int r;

	bool terminal = c->process && c->process->terminal;
	if (terminal) {
		if (!o->console_socket)
			return verr_set(err, EINVAL, "process.terminal is true but no --console-socket "
						     "was given");
		tty = sandbox_console(o->console_socket,
				      c->process->has_console_size ? c->process->console_height : 0,
				      c->process->has_console_size ? c->process->console_width : 0,
				      err);
		if (tty < 0)
			return tty;
	}
	const struct oci_namespace *netns = oci_config_namespace(c, OCI_NS_NETWORK);
	unsigned long nsflags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
	if (netns && netns->path) {
		netns_fd = open(netns->path, O_RDONLY | O_CLOEXEC);
		if (netns_fd < 0)
			return verr_errno(err, errno, "config.json: linux.namespaces: network path %s",
					  netns->path);
	} else if (!o->g->network || strcmp(o->g->network, "host")) {
		/* --network=host without a namespace in the spec (Docker's
		 * --network=host): the Sentry's host sockets live in the
		 * runtime's own namespace, the host's. */
		nsflags |= CLONE_NEWNET;
	}

	r = sandbox_make_mountpoints(o->rootfs, c, o->bundle, err);
	if (r < 0)
		return r;
	/* The cgroup, with its limits, before any process: the Gofer is
	 * moved in as soon as it exists, the Sentry moves itself in before
	 * it runs (so every stub it forks is born there).  A limit that
	 * cannot be applied fails create (the caller removes the cgroup). */
	struct cgroup_fs cgfs;
	char cgrel[PATH_MAX];
	r = sandbox_cgroup_of(c->linux_cfg.cgroups_path, &cgfs, cgrel, sizeof(cgrel), err);
	bool cg = r == 0;
	if (r < 0 && r != -ENOENT)
		return r;
	struct oci_resources hr;
	if (cg && cgroup_create(&cgfs, cgrel, host_resources(c, &hr), err) < 0)
		return -err->code;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return verr_errno(err, errno, "gofer socketpair");
	gofer_s0 = sp[0];
	gofer_s1 = sp[1];
	listen_fd = control_listen(o->state_dir, err);
	if (listen_fd < 0)
		return listen_fd;
	spec_fd = memfd_create("visor-spec", MFD_CLOEXEC);
	if (spec_fd < 0 || write_all(spec_fd, o->config_text, o->config_len) < 0 ||
	    lseek(spec_fd, 0, SEEK_SET) < 0)
		return verr_errno(err, errno, "passing the spec to the sandbox");
	if (o->seccomp_prog) {
		scmp_fd = memfd_create("visor-seccomp", MFD_CLOEXEC);
		if (scmp_fd < 0 ||
		    write_all(scmp_fd, o->seccomp_prog,
			      (size_t)o->seccomp_len * sizeof(struct sock_filter)) < 0 ||
		    lseek(scmp_fd, 0, SEEK_SET) < 0)
			return verr_errno(err, errno, "passing the seccomp profile to the sandbox");
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return verr_errno(err, errno, "pipe");
	ready_r = pp[0];
	ready_w = pp[1];

	_cleanup_close_ int gofer_err = gofer_err_file();
	r = spawn_gofer(o, exe, gofer_s1, gofer_err, err);
	if (r < 0)
		return r;
	sb->gofer_pid = r;
	guard_set(1, r);
	if (cg && cgroup_enter(&cgfs, cgrel, sb->gofer_pid, err) < 0) {
		r = -err->code;
		sandbox_kill_children(sb);
		return r;
	}
	close(take_fd(gofer_s1));

	char logbuf[PATH_MAX + 16], gfd[32], sfd[32], cfd[32], rfd[32], scfd[32];
	char *args[24];
	int n = 0;
	args[n++] = exe;
	n = push_global_args(args, n, o->g, logbuf, sizeof(logbuf));
	struct sandbox_flag_bufs fb;
	n = sandbox_flag_args(o->g, o->id, args, n, &fb);
	args[n++] = "boot";
	snprintf(gfd, sizeof(gfd), "--gofer-fd=%d", gofer_s0);
	snprintf(sfd, sizeof(sfd), "--spec-fd=%d", spec_fd);
	snprintf(cfd, sizeof(cfd), "--control-fd=%d", listen_fd);
	snprintf(rfd, sizeof(rfd), "--ready-fd=%d", ready_w);
	args[n++] = gfd;
	args[n++] = sfd;
	args[n++] = cfd;
	args[n++] = rfd;
	args[n++] = "--wait-start";
	if (scmp_fd >= 0) {
		snprintf(scfd, sizeof(scfd), "--seccomp-fd=%d", scmp_fd);
		args[n++] = scfd;
	}
	char idarg[300];
	if ((size_t)snprintf(idarg, sizeof(idarg), "--container-id=%s", o->id) < sizeof(idarg))
		args[n++] = idarg; /* the Sentry's log names the container */
	args[n] = NULL;

	pid_t pid = (pid_t)syscall(SYS_clone, nsflags | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		r = verr_errno(err, errno, "starting the sandbox (clone)");
		sandbox_kill_children(sb);
		return r;
	}
	if (pid == 0) {
		/* The child: its own session (no terminal signals from the
		 * caller's), the container's network namespace, stdio. */
		setsid();
		if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0) {
			dprintf(ready_w, "error joining network namespace %s: %s\n", netns->path,
				strerror(errno));
			_exit(125);
		}
		if (tty >= 0) {
			for (int i = 0; i < 3; i++)
				dup2(tty, i);
		}
		struct verr cgerr = {0};
		if (cg && cgroup_enter(&cgfs, cgrel, 0, &cgerr) < 0) {
			dprintf(ready_w, "error %s\n", cgerr.msg);
			_exit(125);
		}
		int keep[] = {gofer_s0, spec_fd, listen_fd, ready_w, scmp_fd};
		child_fds(keep, scmp_fd >= 0 ? 5 : 4);
		execv(exe, args);
		dprintf(ready_w, "error exec %s: %s\n", exe, strerror(errno));
		_exit(125);
	}
	sb->sentry_pid = pid;
	guard_set(0, pid);
	/* Only the Sentry holds these now: when it dies, the ready pipe sees
	 * EOF and pending control connections are refused. */
	close(take_fd(ready_w));
	close(take_fd(listen_fd));
	close(take_fd(gofer_s0));
	close(take_fd(spec_fd));
	if (scmp_fd >= 0)
		close(take_fd(scmp_fd));
	if (o->spawned)
		o->spawned(o->spawned_arg, pid, sb->gofer_pid);

	r = wait_ready(ready_r, gofer_err, sb, err);
	if (r < 0) {
		sandbox_kill_children(sb);
		return r;
	}
	return 0;
}
