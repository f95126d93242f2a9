/*
 * sentry.h — starting a Sentry: what `visor boot` hands the kernel.
 */
#ifndef VISOR_SENTRY_H
#define VISOR_SENTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

struct sock_filter;

struct sentry_mount {
	const char *target;
	const char *fstype; /* "tmpfs", "bind-gofer", "dev", "proc" */
	const char *source;
	unsigned long flags;
	const char *data;
	bool optional;         /* OCI: -ENODEV (no such fs) or -ENOENT (no target) skips it */
};

struct sentry_config {
	const char *platform;
	int gofer_fd;          /* SOCK_SEQPACKET to the Gofer */
	bool root_readonly;
	int stdio[3];          /* host fds that become the app's 0, 1, 2 */
	char **argv;
	int argc;
	char **envp;
	int envc;
	const char *cwd;
	uint32_t uid, gid;
	uint32_t *groups;
	int ngroups;
	const char *hostname;
	bool strace;
	const char *container_id; /* for the log; NULL under `visor do` */
	bool file_access_shared; /* --file-access=shared: goferfs revalidates with the Gofer */
	bool network_none;     /* --network=none (else sandbox): both loopback only today */
	bool network_host;     /* --network=host: AF_INET/AF_INET6 are host sockets */
	bool jail;             /* pivot into an empty root, drop caps, seccomp */
	struct sentry_mount *mounts;
	int nmounts;
	/* ---- OCI create/start/exec (runtime/cmd_boot.c --spec-fd, sentry/control.c).
	 * The fds count only when > 2, so a zeroed config means "none". */
	int control_fd;        /* listening control socket (control.h) */
	int ready_fd;          /* create's pipe: control_report_ready */
	bool wait_start;       /* hold init at its first instruction until "start" */
	bool terminal;         /* stdio is the pty slave: init leads a new session */
	bool has_caps;         /* else root gets all capabilities, others none */
	uint64_t cap_effective, cap_permitted, cap_bounding, cap_inheritable;
	bool no_new_privs;
	bool has_umask;
	uint32_t umask;
	struct rlimit rlimits[RLIM_NLIMITS];
	bool rlimits_set[RLIM_NLIMITS];
	/* linux.seccomp as a checked classic-BPF program (runtime/oci_seccomp.h):
	 * every process of the container runs under it.  NULL: no profile. */
	const struct sock_filter *seccomp_prog;
	unsigned int seccomp_len;
	unsigned int seccomp_flags; /* SECCOMP_FILTER_FLAG_LOG */
	/* linux.resources as the app sees and meets them (kernel/limits.h):
	 * bytes, tasks and cpu microseconds; 0 = none. */
	int64_t mem_limit, memsw_limit, pids_limit, cpu_quota, cpu_period, cpu_shares;
	/* ---- end OCI */
};

/* Mount the config's mounts, in order, on the root (mounts.c): "masked"
 * covers a path with an empty read-only directory or file; "dev" brings its
 * /dev/shm (a 64 MiB tmpfs, Docker's default --shm-size); an optional
 * mount whose type or target is missing is skipped with a warning.  0, or
 * the first error (also reported on stderr). */
struct vfs_path;
int sentry_mount_all(const struct vfs_path *root, const struct sentry_mount *mounts, int n);

/* Boot the kernel, run the init process to completion, and return the exit
 * code this process should exit with (init's code, or 128+signal). */
int sentry_run(const struct sentry_config *cfg);

#endif
