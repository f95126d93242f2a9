/*
 * gofer_client.h — the Sentry's side of the Gofer protocol (gofer/protocol.h).
 *
 * A gofer_client wraps one SOCK_SEQPACKET connection to one Gofer.  Files on
 * the Gofer side are named by fids (64-bit handles the Gofer hands out); the
 * Sentry never opens a container path itself: gofer_open returns a host fd the
 * Gofer donated over SCM_RIGHTS, and reads/writes go straight to it.
 *
 * Every call returns 0 (or a count) on success and a negative errno from the
 * Gofer or -EIO when the reply is malformed (a hostile or broken Gofer never
 * crashes the Sentry).  Thread-safe: calls from several Sentry threads are
 * serialised on one connection.
 */
#ifndef VISOR_SENTRY_GOFER_CLIENT_H
#define VISOR_SENTRY_GOFER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gofer_client;

struct gofer_stat {
	uint64_t dev, ino, nlink, size, blocks;
	uint32_t mode, uid, gid, blksize;
	uint64_t rdev;
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
};

struct gofer_statfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen;
};

/* setattr: which fields to change (bits), as the Gofer applies them. */
#define GOFER_SETATTR_MODE 0x01
#define GOFER_SETATTR_UID 0x02
#define GOFER_SETATTR_GID 0x04
#define GOFER_SETATTR_SIZE 0x08
#define GOFER_SETATTR_ATIME 0x10 /* *_nsec == UTIME_NOW / UTIME_OMIT honoured */
#define GOFER_SETATTR_MTIME 0x20
struct gofer_setattr {
	uint32_t valid;
	uint32_t mode, uid, gid;
	uint64_t size;
	int64_t atime_sec, mtime_sec;
	uint32_t atime_nsec, mtime_nsec;
};

/* One directory entry, as gofer_readdir fills them. */
struct gofer_dirent {
	uint64_t ino;
	uint64_t next_offset; /* cookie to continue after this entry */
	uint8_t type;         /* DT_* */
	char name[256];
};

/* Takes ownership of sock (closed by gofer_client_free). */
struct gofer_client *gofer_client_new(int sock);
void gofer_client_free(struct gofer_client *c);
/* Has the Gofer hung up (its end of the socket closed: it died)?  Never
 * blocks, consumes nothing, takes no lock: any thread may ask. */
bool gofer_client_peer_gone(struct gofer_client *c);
/* While the sandbox is idle: drop the pages of the request and reply
 * buffers (they fault back, zeroed, on the next exchange).  Only when no
 * exchange is under way (a trylock of c's lock): false when one was. */
bool gofer_client_trim(struct gofer_client *c);
/* How many round trips to the Gofer were made on c so far (clunks sent
 * without waiting not counted). */
uint64_t gofer_client_requests(struct gofer_client *c);
/* "walk N, open N, ...": the requests made so far per type, for the debug
 * log's stats (types never sent left out); the line's length. */
size_t gofer_client_requests_line(struct gofer_client *c, char *buf, size_t size);

/* The root of mount point `name` ("/" for the container root, or a bind
 * mount's destination path as the runtime told the Gofer). */
int gofer_attach(struct gofer_client *c, const char *name, uint64_t *fid, struct gofer_stat *st);
/* One path component, never "." or ".." or containing '/'; symlinks are not
 * followed (the walk returns the link itself). */
int gofer_walk(struct gofer_client *c, uint64_t dir, const char *name, uint64_t *fid,
	       struct gofer_stat *st);
int gofer_getattr(struct gofer_client *c, uint64_t fid, struct gofer_stat *st);
int gofer_setattr(struct gofer_client *c, uint64_t fid, const struct gofer_setattr *sa);
/* The same without waiting, for a change that cannot fail on the host once
 * the Sentry has checked it (mode and times, where the Sentry's cache is
 * the truth): a failure is only logged. */
void gofer_setattr_async(struct gofer_client *c, uint64_t fid, const struct gofer_setattr *sa);
/* Open fid with O_RDONLY/O_WRONLY/O_RDWR (+O_TRUNC, O_APPEND is the Sentry's
 * business); *fd is a donated host fd (O_CLOEXEC). */
int gofer_open(struct gofer_client *c, uint64_t fid, int flags, int *fd);
/* Create and open a regular file: new fid, its stat, and a donated fd. */
int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, int flags, uint32_t mode,
		 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st, int *fd);
/* Make a directory: a new fid of it and its stat (one round trip). */
int gofer_mkdir_fid(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
		    uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st);
/* The same, the fid clunked (a second round trip). */
int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
		uint32_t uid, uint32_t gid, struct gofer_stat *st);
int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
		uint64_t rdev, uint32_t uid, uint32_t gid, struct gofer_stat *st);
int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
		  uint32_t uid, uint32_t gid, struct gofer_stat *st);
int gofer_link(struct gofer_client *c, uint64_t target, uint64_t dir, const char *name);
/* flags: 0 or AT_REMOVEDIR. */
int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, int flags);
/* The same for a name that is not a directory, without waiting: for where
 * the Sentry's cache is the truth (it has found the name and checked the
 * caller's rights); a failure on the host is only logged.  -EIO when the
 * connection is gone, or a bad name's error. */
int gofer_unlink_async(struct gofer_client *c, uint64_t dir, const char *name);
int gofer_rename(struct gofer_client *c, uint64_t old_dir, const char *old_name,
		 uint64_t new_dir, const char *new_name, unsigned int flags);
/* Up to max entries starting at cookie offset (0 = start); returns the number
 * filled, 0 at the end. */
int gofer_readdir(struct gofer_client *c, uint64_t dir, uint64_t offset, struct gofer_dirent *ents,
		  int max);
/* The same, and *end says the directory ended with these entries (no need
 * to ask again for the empty batch after them). */
int gofer_readdir_end(struct gofer_client *c, uint64_t dir, uint64_t offset,
		      struct gofer_dirent *ents, int max, bool *end);
/* Returns the target's length (no NUL added beyond len). */
ssize_t gofer_readlink(struct gofer_client *c, uint64_t fid, char *buf, size_t len);
int gofer_statfs(struct gofer_client *c, uint64_t fid, struct gofer_statfs *st);
/* Forget a fid. */
int gofer_clunk(struct gofer_client *c, uint64_t fid);
/* The same without waiting: the Gofer's answer is read before the next
 * request's (a clunk that fails has nobody to tell), so dropping a node
 * costs one send instead of a round trip. */
void gofer_clunk_async(struct gofer_client *c, uint64_t fid);
/* At most this many requests sent without waiting are unanswered: their
 * replies (a header each) wait in the socket's receive buffer, far below
 * its size, so the Gofer never blocks sending one while the Sentry blocks
 * sending the next. */
#define GOFER_ASYNC_MAX 32u
/* The requests not waited for are kept in the Sentry (up to
 * GOFER_BATCH_SEND of them, GOFER_BATCH_BYTES framed; at most
 * GOFER_ASYNC_MAX unanswered) and sent together with
 * the next request that waits, in one sendmmsg, so that the Gofer wakes
 * once for all of them rather than once each (tar sets the times and the
 * mode of every file it makes, rm unlinks each); the order the Gofer sees
 * is the order they were made in.  They reach the host at the latest at
 * the next request that waits, gofer_client_flush (fsync, sync, the
 * Sentry's exit) or gofer_client_push (the watchdog's tick, 250 ms). */
#define GOFER_BATCH_BYTES 16384u
/* ...and sent, still not waited for, once this many are kept: the Gofer
 * applies them while the Sentry goes on (a long run of them, as rm -r's,
 * would otherwise all wait for the Gofer at the GOFER_ASYNC_MAX-th). */
#define GOFER_BATCH_SEND 8u
/* Send what is kept and wait until the Gofer has answered every request
 * sent without waiting. */
void gofer_client_flush(struct gofer_client *c);
/* Send what is kept, not waiting for the answers; never blocks, neither on
 * another thread's exchange (false then: nothing done) nor on a full socket
 * (what it does not take stays kept for the next send). */
bool gofer_client_push(struct gofer_client *c);
/* Before the Sentry writes to fid's file through a host fd: a change of
 * its times not yet applied by the Gofer is applied first (else the host
 * would stamp the write's time, then the older explicit one over it). */
void gofer_client_settle(struct gofer_client *c, uint64_t fid);

/* Extended attributes of the host file (the Gofer serves user.* of regular
 * files and directories only).  get/list: size 0 gives the length needed, a
 * shorter buffer -ERANGE; sizes and values at most GOFER_XATTR_SIZE_MAX. */
ssize_t gofer_getxattr(struct gofer_client *c, uint64_t fid, const char *name, void *buf,
		       size_t size);
int gofer_setxattr(struct gofer_client *c, uint64_t fid, const char *name, const void *value,
		   size_t size, int flags);
ssize_t gofer_listxattr(struct gofer_client *c, uint64_t fid, char *buf, size_t size);
int gofer_removexattr(struct gofer_client *c, uint64_t fid, const char *name);

/* What statx(2) of the host file adds to its stat, asked with mask. */
struct gofer_statx {
	uint32_t mask; /* the host's STATX_* result mask */
	uint64_t attributes, attributes_mask;
	int64_t btime_sec;
	uint32_t btime_nsec; /* < 1e9 */
	uint32_t dio_mem_align, dio_offset_align;
};
int gofer_statx(struct gofer_client *c, uint64_t fid, uint32_t mask, struct gofer_statx *out);
/* The host's fsync (fdatasync) of the fid's directory or regular file.
 * 0 or -errno. */
int gofer_fsync_fid(struct gofer_client *c, uint64_t fid, bool datasync);
/* The host's syncfs of the file system the fid's directory or regular
 * file is on.  0 or -errno. */
int gofer_syncfs_fid(struct gofer_client *c, uint64_t fid);

#endif
