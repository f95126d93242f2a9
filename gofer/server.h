/*
 * server.h — the Gofer's file server loop (gofer/server.c) and its jail
 * (gofer/jail.c).
 *
 * The Gofer is the only visor process that touches the container's files.  It
 * serves them to the Sentry over one SOCK_SEQPACKET socket (gofer/protocol.h),
 * confined beneath the mount roots it is handed as open fds.
 */
#ifndef VISOR_GOFER_SERVER_H
#define VISOR_GOFER_SERVER_H

#include <stdbool.h>

/* One mount point the Gofer serves. */
struct gofer_mount {
	const char *name; /* "/" for the container root, or a bind mount's destination */
	int fd;           /* O_PATH fd of the mount's root: a directory or a regular file */
	/* A file bind mount (fd not a directory) is re-opened through its host
	 * parent directory: parent_fd (O_PATH) and leaf (its name there).  For a
	 * directory mount parent_fd is -1 and leaf NULL. */
	int parent_fd;
	const char *leaf;
	bool readonly;
};

#define GOFER_DEFAULT_MAX_FIDS 65536u

/* Serve requests on sock until the peer closes it (returns 0) or the socket
 * fails (returns -errno).  The mount fds are borrowed (the caller closes
 * them); every fd the server opens is closed before it returns.  The mount
 * named "/" is read-only when readonly_root or its own readonly is set.
 * max_fids bounds the fid table (0: GOFER_DEFAULT_MAX_FIDS).  Sets the
 * process umask to 0: modes in requests are final (the Sentry applies the
 * application's umask). */
int gofer_serve(int sock, const struct gofer_mount *mounts, int nmounts, bool readonly_root,
		unsigned int max_fids);

/* ---- jail (gofer/jail.c) ---- */

/* New mount namespace, make every mount private, bind `root` onto itself
 * (non-recursively: mounts below it stay out of reach), pivot_root into it
 * and detach the old root.  Fds opened before stay valid.  If readonly, the
 * new root mount is remounted read-only as a second line of defence.
 * Returns 0 or -errno (message in *what). */
int gofer_jail_pivot(const char *root, bool readonly, const char **what);

/* Before gofer_jail_pivot (the clones must be made in the host's mount
 * namespace): replace the fds of every bind mount (mounts[1..n)) by fds on a
 * detached, private, recursive clone of its source's mount tree
 * (open_tree(OPEN_TREE_CLONE|AT_RECURSIVE)), read-only when the mount is.  A
 * detached mount is its own parent, so ".." from its root stays there: no fd
 * the Gofer keeps names a host mount, and a memory bug in the server cannot
 * walk up to the host's /.  A file mount's parent directory is cloned and the
 * file re-opened through the clone (the same inode, else -ESTALE).
 * Returns 0 or -errno (message in *what). */
int gofer_jail_detach_mounts(struct gofer_mount *mounts, int n, const char **what);

/* Keep only the capabilities the server needs (CHOWN, DAC_OVERRIDE,
 * DAC_READ_SEARCH, FOWNER, FSETID) in every set, clear the bounding and
 * ambient sets, and set no_new_privs.  Returns 0 or -errno. */
int gofer_jail_drop_caps(void);

/* Install the seccomp filter: the file syscalls the server uses, recvmsg/
 * sendmsg on existing sockets, memory management and exit; everything else
 * kills the process (SCMP_ACT_KILL_PROCESS).  Returns 0 or -errno. */
int gofer_jail_seccomp(void);

#endif
