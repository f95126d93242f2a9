/*
 * spawn.h — starting processes from outside the sandbox's process tree: the
 * container's init at boot and `visor exec` processes (via the control
 * server).  A spawned process has no parent inside the sandbox (its ppid is
 * 0, as under runc/runsc exec); the spawner collects its exit status with
 * kernel_wait_spawned.
 */
#ifndef VISOR_SENTRY_SPAWN_H
#define VISOR_SENTRY_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

struct kernel;
struct file;

struct spawn_args {
	char **argv;
	/* The file to exec (resolved like execve, no PATH search); NULL: argv[0].
	 * A PATH search (control.c) sets it and leaves argv[0] as given, as
	 * runc's exec does. */
	const char *path;
	int argc;
	char **envp;
	int envc;
	const char *cwd;      /* absolute, in the container */
	uint32_t uid, gid;
	uint32_t *groups;
	int ngroups;
	uint64_t cap_effective, cap_permitted, cap_bounding, cap_inheritable;
	bool no_new_privs;
	uint32_t umask;       /* (uint32_t)-1: keep the default 022 */
	/* The app's fds 0, 1, 2 (references are taken; NULL leaves it closed). */
	struct file *stdio[3];
	bool new_session;     /* setsid: the exec'd process leads its own session */
	struct rlimit rlimits[RLIM_NLIMITS];
	bool rlimits_set[RLIM_NLIMITS];
	bool start_stopped;   /* do not run until kernel_release_spawned (create/start) */
};

/* Create the process (its task starts executing argv[0] on its own thread
 * unless start_stopped).  Returns its pid, or -errno (exec failures are
 * reported here, not as an exit status: -ENOENT, -EACCES, -ENOEXEC...). */
int kernel_spawn(struct kernel *k, const struct spawn_args *a);
/* For start_stopped spawns: let it run.  -ESRCH if no such stopped spawn. */
int kernel_release_spawned(struct kernel *k, int pid);
/* Block until the spawned process pid exits; returns its wait status, or
 * -ECHILD if pid is not a spawned process (or was already waited for). */
int kernel_wait_spawned(struct kernel *k, int pid);

#endif
