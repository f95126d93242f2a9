/*
 * control.h — the Sentry's control server: how `visor start/kill/ps/exec`
 * (short-lived runtime processes) talk to a running sandbox.
 *
 * Transport: the runtime creates, binds and listens on <root>/<id>/control.sock
 * (the jailed Sentry cannot bind paths) and hands the listening fd to
 * `visor boot --control-fd=N`.  Connections are SOCK_SEQPACKET: one datagram
 * is one request or one reply, a JSON object of at most CONTROL_MSG_MAX
 * bytes.  exec requests carry the process's stdio in SCM_RIGHTS.
 *
 * Requests and replies (every reply has "ok"; on failure "error" (text) and
 * "errno" (positive)):
 *   {"op":"start"}                       -> {"ok":true}   release the held init
 *   {"op":"kill","signal":N,"all":B}     -> {"ok":true}   signal init, or every process
 *   {"op":"ps"}                          -> {"ok":true,"pids":[1,7],"stubs":B,
 *        "procs":[{"pid":P,"sentry_ns_pid":N,"comm":"sh"},..]}  (pid: sandbox pid;
 *        sentry_ns_pid: the host process backing it, as the Sentry's pid
 *        namespace numbers it — visor ps maps it to a host pid; stubs false:
 *        the platform has no host process per address space)
 *   {"op":"wait"}                        -> {"ok":true,"status":S}  once init has exited
 *   {"op":"unsupported"}                 -> {"ok":true,"syscalls":[{"nr":N,"name":"io_setup",
 *        "count":C},..],"sockopts":[{"level":L,"optname":O,"count":C},..]}
 *   {"op":"exec","args":[..],"env":[..],"cwd":"/","uid":N,"gid":N,
 *    "groups":[..],"umask":N,"terminal":B,"no_new_privs":B,
 *    "caps":[eff,perm,bound,inh],"rlimits":[[res,soft,hard],..]}
 *        + SCM_RIGHTS: 3 fds (stdin, stdout, stderr) or, with terminal, 1 (the pty slave)
 *                                        -> {"ok":true,"pid":N}
 *                                        then, when it exits, {"exit":S} (S = wait status)
 *        The connection then belongs to that process: the client may send
 *        {"op":"signal","signal":N} (no reply) to signal it, and closing the
 *        connection before the exit kills it (SIGKILL).
 *   {"op":"net","links":[..],"routes":[..],"neighbours":[..]}
 *        + SCM_RIGHTS: one AF_PACKET socket per link (sentry/socket/packet_link.h)
 *                                        -> {"ok":true}  the links join the stack
 * Statuses are wait(2) status words.
 *
 * Threads (DESIGN.md §10): one accept thread, and one thread per connection
 * (so an exec or wait blocking on its process never stalls other clients).
 * No kernel lock is held across a blocking call: pids are collected in a
 * walk of the task set (kernel_for_each_tg), then signalled after it.
 *
 * Never: trusts a request — every field is type- and range-checked, a bad
 * request gets an error reply and the connection stays usable.
 */
#ifndef VISOR_SENTRY_CONTROL_H
#define VISOR_SENTRY_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct kernel;
struct spawn_args;
struct sentry_config;

#define CONTROL_MSG_MAX (64 * 1024)
/* The most fds one request carries (exec: 3; net: one per link). */
#define CONTROL_MAX_FDS 8
#define CONTROL_SOCKET_NAME "control.sock"

/* Start serving on listen_fd (a listening SOCK_SEQPACKET unix socket; owned
 * from now on).  init_pid is the container's init.  0 or -errno. */
int control_server_start(struct kernel *k, int listen_fd, int init_pid);

/* kernel_spawn, with runc's lookup of argv[0]: a name without '/' is searched
 * in the PATH of a->envp (default PATH when absent) inside the container. */
int control_spawn(struct kernel *k, struct spawn_args *a);

/* Tell the runtime waiting in `create` how the init exec went: "ok PID\n" or
 * "error MESSAGE\n" on fd, which is then closed.  fd < 0: nothing. */
void control_report_ready(int fd, int pid, const char *error);

/* Boot glue (sentry.c): copy the OCI process fields of cfg (capabilities,
 * rlimits, umask, no_new_privs, terminal session, wait_start) into a. */
void control_apply_config(struct spawn_args *a, const struct sentry_config *cfg);
/* After init's spawn returned pid (or -errno): report to cfg->ready_fd and,
 * on success, start the control server on cfg->control_fd.  Returns -errno
 * when the Sentry should exit now (the control server could not start);
 * spawn failures are left to the caller. */
int control_boot_done(struct kernel *k, const struct sentry_config *cfg, int pid);

/* Handle one request (text, len bytes) with fds; fills reply (NUL-terminated).
 * Returns the pid of an exec'd process the caller must wait for (>0), else 0.
 * Exposed for the unit tests. */
int control_handle(struct kernel *k, int init_pid, const char *req, size_t len, int *fds,
		   int nfds, char *reply, size_t reply_size);

#endif
