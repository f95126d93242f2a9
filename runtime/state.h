/*
 * state.h — a container's state files under --root.
 *
 * Layout: <root>/<id>/state.json (this file's JSON, replaced atomically) and
 * <root>/<id>/lock (an empty file; flock'ed by whoever changes the state).
 * Other files of the container (control socket, logs) may live in the same
 * directory; state_delete removes them all.
 *
 * Locking: one lock per container, flock(LOCK_EX) on <root>/<id>/lock.
 * Per container rather than one root-level lock because Docker drives many
 * containers at once and a slow `create` of one must not stall `state` or
 * `kill` of another; and the lock's life is the container's: state_lock
 * re-checks after flock() that the lock file is still linked, so a waiter
 * that wakes up after a `delete` gets -ENOENT instead of a lock on a ghost.
 * state_create_dir makes the directory appear already locked (built under a
 * temporary name, then renamed into place), so nobody sees a half-made one.
 * Readers (`state`, `list`) need no lock: state.json is only ever replaced
 * whole by rename(2).
 */
#ifndef VISOR_RUNTIME_STATE_H
#define VISOR_RUNTIME_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/oci.h"

struct json_writer;
struct verr;

/* Longest container id.  The id is a directory name, so the file system's
 * NAME_MAX (255), not a larger number, is the real limit. */
#define STATE_ID_MAX 255

struct visor_state {
	char id[STATE_ID_MAX + 1];
	char oci_version[32];	    /* the bundle's ociVersion, reported by `state` */
	char bundle[PATH_MAX];	    /* absolute bundle directory */
	char rootfs[PATH_MAX];	    /* absolute root file system path */
	int sentry_pid;		    /* 0 before the Sentry exists */
	uint64_t sentry_start_time; /* /proc/PID/stat field 22: tells pid reuse apart */
	int gofer_pid;
	uint64_t gofer_start_time; /* as sentry_start_time; 0 in states written before it */
	char status[16];      /* creating|created|running|stopped|paused */
	char created[64];     /* RFC 3339, UTC */
	char platform[16];    /* ptrace|systrap|kvm */
	char network[16];     /* sandbox|host|none */
	char file_access[16]; /* exclusive|shared */
	bool strace, overlay, debug;
	char debug_log[PATH_MAX];
	char control_socket[PATH_MAX];
	char owner[64]; /* user name (or "") of the creator, as runc's "owner" */
	struct oci_map annotations;
};

/* [A-Za-z0-9][A-Za-z0-9_.+-]*, at most STATE_ID_MAX bytes (so no '/', no "..",
 * no leading '.': ids can never name anything outside root, nor the
 * temporary directories state_create_dir uses). */
bool state_id_valid(const char *id);

/* <root>/<id> into buf.  0, -EINVAL (bad id) or -ENAMETOOLONG. */
int state_dir_path(const char *root, const char *id, char *buf, size_t size);

/* Create <root> (mode 0711, with parents) if needed and the container
 * directory with its lock file.  -EEXIST (message "container ID already
 * exists") if the id is taken: of two racing creators exactly one wins.
 * With lock_fd non-NULL the directory is returned locked (*lock_fd, release
 * with state_unlock); with NULL it is left unlocked. */
int state_create_dir(const char *root, const char *id, int *lock_fd, struct verr *err);

/* Take the container's lock (blocking).  Returns the lock fd, or -ENOENT when
 * the container does not exist (or was deleted while we waited), -EINVAL for
 * a malformed id.  The fd is O_CLOEXEC; a forked child that does not exec
 * shares the lock until it closes its copy. */
int state_lock(const char *root, const char *id, struct verr *err);
void state_unlock(int lock_fd);

/* Write st to <root>/<st->id>/state.json atomically (mode 0600).  The caller
 * holds the lock.  -ENOENT if the container directory is gone. */
int state_write(const char *root, const struct visor_state *st, struct verr *err);

/* Read the state.  -ENOENT if the container or its state.json does not
 * exist (a directory without state.json is a container still "creating"),
 * -EINVAL with a message naming the field if state.json is malformed.
 * On success st must later be released with state_release. */
int state_read(const char *root, const char *id, struct visor_state *st, struct verr *err);
/* Free what a visor_state owns (annotations); st stays reusable. */
void state_release(struct visor_state *st);

/* Remove the container directory and everything in it.  Idempotent: 0 when
 * it does not exist.  The caller normally holds the lock; waiters on it get
 * -ENOENT from state_lock. */
int state_delete(const char *root, const char *id, struct verr *err);

/* The ids of all containers under root, sorted; an absent root is an empty
 * list.  Free with state_list_free. */
int state_list(const char *root, char ***ids, size_t *n, struct verr *err);
void state_list_free(char **ids, size_t n);

/* Start time (clock ticks since boot, /proc/PID/stat field 22) of a live
 * process.  -ESRCH when there is no such process or it is a zombie. */
int state_proc_start_time(int pid, uint64_t *start_time);

/* The status to report now: the stored one, unless the Sentry is gone (no
 * such pid, a zombie, or a different process reusing the pid, told apart by
 * start time), in which case "stopped".  Returns a static string or
 * st->status. */
const char *state_live_status(const struct visor_state *st);

/* The current time in RFC 3339 with nanoseconds, UTC ("2026-11-24T06:07:51.123456789Z"). */
void state_time_now(char *buf, size_t size);

/* The OCI state JSON `visor state` prints (as runc: ociVersion, id, pid,
 * status, bundle, rootfs, created, owner, annotations; plus visor's
 * "platform").  status NULL means st->status; pid is 0 when stopped.
 * *out is malloc'ed, NUL-terminated, ends with a newline.  0, -ENOMEM, or
 * -EILSEQ when a string is not UTF-8. */
int state_to_oci_json(const struct visor_state *st, const char *status, char **out);
/* The same object written into w (for `visor list --format json`). */
void state_put_oci_json(struct json_writer *w, const struct visor_state *st, const char *status);

#endif
