/*
 * sandbox.h — starting one container's sandbox (a Gofer and a Sentry) for
 * an OCI bundle, and talking to its Sentry's control server.
 *
 * Owns: the processes and host plumbing around a sandbox — the Gofer's
 * socket pair, the control socket (created, bound and listened on here,
 * because the jailed Sentry cannot bind paths), namespaces (new pid, mount,
 * ipc, uts; the network namespace named in the config or a new one), the
 * console pty, cgroup placement, and cleanup when any of it fails.
 * Never: parses config.json itself (runtime/oci.c does) or keeps state
 * (runtime/state.c does).
 */
#ifndef VISOR_RUNTIME_SANDBOX_H
#define VISOR_RUNTIME_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct global_opts;
struct oci_config;
struct verr;
struct sock_filter;

struct sandbox_opts {
	struct global_opts *g;
	const char *id;
	const char *state_dir;      /* <root>/<id>, already created */
	const char *bundle;         /* absolute */
	const char *rootfs;         /* absolute, exists */
	const struct oci_config *cfg;
	const char *config_text;    /* config.json as read: the Sentry parses it too */
	size_t config_len;
	const char *console_socket; /* with process.terminal: where the pty master goes */
	/* linux.seccomp as compiled by create (NULL: none): handed to the
	 * Sentry over a memfd (--seccomp-fd) so it is compiled once. */
	const struct sock_filter *seccomp_prog;
	unsigned int seccomp_len;
	/* Called as soon as the Sentry exists (before it reports ready), so
	 * the caller can record its pid: a create killed while waiting must
	 * not leave an unrecorded Sentry that `delete --force` cannot find. */
	void (*spawned)(void *arg, pid_t sentry_pid, pid_t gofer_pid);
	void *spawned_arg;
};

struct sandbox {
	pid_t sentry_pid;
	pid_t gofer_pid;
	int init_pid; /* inside the sandbox */
};

/* Start the Gofer and the Sentry; return once init is exec'd and held at
 * its first instruction (the Sentry serves <state_dir>/control.sock).  The
 * Sentry and the Gofer are our children.  On failure nothing started is
 * left running; err says why (exec errors of init included). */
int sandbox_start(const struct sandbox_opts *o, struct sandbox *sb, struct verr *err);

/* The sandbox flags of g as `visor boot`'s global options (--platform,
 * --strace, --file-access, --debug-log with %ID% as id), appended to args
 * at n; returns the new n.  b holds the strings. */
struct sandbox_flag_bufs {
	char platform[64];
	char debug_log[4096 + 16];
};
int sandbox_flag_args(const struct global_opts *g, const char *id, char **args, int n,
		      struct sandbox_flag_bufs *b);
/* The network mode is one the Sentry provides: "sandbox" (the default:
 * the netstack owns the namespace's links), "none" (the netstack's
 * loopback) and "host" (AF_INET/AF_INET6 sockets are host sockets the
 * Sentry opens in its namespace: the spec's, or the runtime's when the
 * spec names none, as Docker's --network=host).  0, or -errno with err. */
int sandbox_check_network(const struct global_opts *g, struct verr *err);

/* sandbox_start arms a SIGTERM/SIGINT/SIGHUP handler that kills the children
 * if we die before the container is recorded; call this once it is. */
void sandbox_release_guard(void);

/* Create each mount's destination inside rootfs when it is missing (as runc
 * does): directories, or an empty file for a file bind mount; resolved
 * with RESOLVE_IN_ROOT so image symlinks cannot redirect it.  Paths below
 * /dev are left to the Sentry's devfs. */
int sandbox_make_mountpoints(const char *rootfs, const struct oci_config *c, const char *bundle,
			     struct verr *err);

/* SIGKILL the Sentry and the Gofer (our children) and reap them. */
void sandbox_kill_children(struct sandbox *sb);

/* Create a pty; send the master over the unix socket at console_socket
 * (runc's protocol: one message, the fd in SCM_RIGHTS, its name as the
 * payload).  Returns the slave fd (O_CLOEXEC) or -errno. */
int sandbox_console(const char *console_socket, unsigned rows, unsigned cols, struct verr *err);

/* The sandbox's cgroup (runtime/cgroup.c): sandbox_start creates it at
 * linux.cgroupsPath (cgroupfs or systemd "slice:prefix:name"), with
 * linux.resources applied, and puts the Sentry (so every stub it forks) and
 * the Gofer in it; a limit that cannot be applied fails the start.
 * Freeze or thaw every process of the sandbox through the freezer (v1
 * freezer.state, v2 cgroup.freeze).  -ENOENT without a cgroup path. */
int sandbox_cgroup_freeze(const char *cgroups_path, bool freeze);
/* Apply cfg's resources (memory, pids, cpu quota/period/shares) to the
 * existing cgroup (`update`).  0 or -errno with err. */
int sandbox_cgroup_update(const struct oci_config *cfg, struct verr *err);
/* Remove the cgroup directories made for cfg (they must be empty). */
void sandbox_cgroup_remove(const char *cgroups_path);

/* ---- control client ---- */

/* Connect to <state_dir>/control.sock.  Returns the fd or -errno. */
int control_connect(const char *state_dir, struct verr *err);
/* Send one request (with fds in SCM_RIGHTS) and read one reply (malloc'ed,
 * NUL-terminated).  A reply with "ok":false becomes -errno + its message.
 * 0 or -errno. */
int control_call(int fd, const char *req, const int *fds, int nfds, char **reply,
		 struct verr *err);
/* Read one more message (exec's {"exit":S}).  0 or -errno (-ECONNRESET at EOF). */
int control_recv(int fd, char **reply);
/* The integer value of "key" in a flat JSON reply; -ENOENT when absent. */
int control_reply_int(const char *reply, const char *key, long long *out);

#endif
