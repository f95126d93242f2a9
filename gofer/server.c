/*
 * server.c — the Gofer's request loop: decodes gofer/protocol.h messages,
 * performs them on the host file system beneath the mount roots, replies.
 *
 * Owns the fid table.  Must never: resolve a multi-component path, follow a
 * symlink, go through /proc (magic links), trust a length or string from the
 * wire, or crash/leak an fd on bad input.
 *
 * Confinement.  Every fid is an O_PATH fd.  A new fid comes only from a walk of
 * ONE validated component (no '/', not "." or "..") with
 *     openat2(dir, name, O_PATH|O_NOFOLLOW, RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
 *             RESOLVE_NO_MAGICLINKS)
 * so a symlink is returned as itself and never traversed, and ".." cannot be
 * expressed.  Everything else acts on a held fd: fstat, fstatfs,
 * fchownat/utimensat/fchmodat2/linkat/readlinkat(fd, "", AT_EMPTY_PATH), or on
 * (dir fd, validated name) with the *at() calls, none of which follows a
 * trailing symlink (mkdirat, mknodat, symlinkat, unlinkat, renameat2, and
 * fchownat/fstatat with AT_SYMLINK_NOFOLLOW).
 *
 * Opening a fid for I/O.  Linux cannot turn an O_PATH fd into a readable one
 * except through /proc/self/fd/N (a magic link: forbidden here) or
 * open_by_handle_at (a handle names any inode of the file system, outside the
 * mount root too: forbidden).  So:
 *   - a directory is re-opened as openat(fd, ".", O_RDONLY|O_DIRECTORY):
 *     "." of the directory itself, no symlink, no parent involved;
 *   - a non-directory is re-opened by one of its names, each a (directory fd,
 *     name) pair, with openat2(dir, name, flags|O_NOFOLLOW|O_NONBLOCK,
 *     RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS); the result
 *     must be the inode (dev, ino) of the fid, else that name no longer names
 *     it.  A file's identity is its inode, not the name it was first reached
 *     by: the names live in one gofer_node per host inode (gofer/names.c),
 *     shared by every fid of that inode, and every name the Gofer learns for
 *     it joins the set: a
 *     walk or create that reaches it, a link made to it, a rename that moves
 *     one.  So after link(a, b) and unlink(a), b still opens (git stores every
 *     object that way).  A name that fails (gone, or now another file) is
 *     dropped when a re-open tries it; when none is left the open is ESTALE.
 *     Each name is first checked with fstatat (same inode?) and opened
 *     O_NONBLOCK, so a name swapped for a FIFO or a device behind the Gofer's
 *     back is never opened (a FIFO would block the server).
 * Only regular files and directories are opened, and only regular files are
 * handed to the Sentry (OPEN of a directory is EISDIR: READDIR lists it, and a
 * directory fd in a compromised Sentry would be a start for "..").  Symlinks
 * get ELOOP, device
 * nodes EACCES (as a nodev mount), sockets ENXIO, fifos EOPNOTSUPP — the
 * Sentry implements those itself, and a gofer that opens a device node would
 * hand the sandbox a host device.
 */
#include "gofer/server.h"
#include "gofer/protocol.h"
#include "gofer/attr.h"
#include "gofer/names.h"
#include "gofer/transport.h"
#include "gofer/xattr.h"
#include "lib/cleanup.h"
#include "lib/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define GOFER_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

struct gofer_fid {
	int fd;                  /* O_PATH; -1 marks a free slot */
	struct gofer_node *node; /* non-directories: the inode's names, else NULL */
	int dir;        /* directories: an O_RDONLY fd kept for readdir, or -1 */
	uint32_t gen;   /* bumped when the slot is freed, so stale fids get EBADF */
	uint16_t mount; /* index into srv->mounts */
	mode_t type;    /* S_IFMT bits at walk time (a fid's inode never changes type) */
	dev_t dev;      /* the fid's inode, checked on re-open */
	ino_t ino;
};

struct gofer_server {
	int sock;
	const struct gofer_mount *mounts;
	int nmounts;
	bool *mount_ro;
	struct gofer_fid *fids;
	uint32_t nfids, cap, max;
	uint32_t free_hint; /* no free slot below this index */
	char *dents;        /* getdents64 buffer, GOFER_DENTS_BUF */
	struct gofer_names names; /* the nodes of non-directories and their names */
	int cpu;		  /* the CPU the last hint tied us to (or failed to), -1 */
};

#define GOFER_DENTS_BUF 32768

/* ---- fid table ---- */

static uint64_t fid_number(const struct gofer_server *s, uint32_t idx)
{
	return ((uint64_t)s->fids[idx].gen << 32) | idx;
}

static struct gofer_fid *fid_lookup(struct gofer_server *s, uint64_t fid)
{
	uint32_t idx = (uint32_t)fid, gen = (uint32_t)(fid >> 32);
	if (idx >= s->cap || s->fids[idx].fd < 0 || s->fids[idx].gen != gen)
		return NULL;
	return &s->fids[idx];
}

static void fid_release(struct gofer_server *s, struct gofer_fid *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->node)
		gofer_node_put(&s->names, f->node);
	if (f->dir >= 0)
		close(f->dir);
	f->fd = f->dir = -1;
	f->node = NULL;
	f->gen++;
	if (f->gen == 0)
		f->gen = 1; /* fid 0 (gen 0) is never valid */
}

/* Take ownership of fd (and the node reference of a non-directory) as a new
 * fid.  On failure everything passed is released. */
static int fid_new(struct gofer_server *s, int fd, struct gofer_node *node, uint16_t mount,
		   const struct stat *st, uint64_t *out)
{
	uint32_t idx = UINT32_MAX;
	for (uint32_t i = s->free_hint; i < s->cap; i++) {
		if (s->fids[i].fd < 0) {
			idx = i;
			break;
		}
	}
	int r;
	if (idx == UINT32_MAX) {
		if (s->cap >= s->max) {
			log_warn("gofer: fid table full (%u)", s->max);
			r = -EMFILE;
			goto fail;
		}
		uint32_t ncap = s->cap ? s->cap * 2 : 64;
		if (ncap > s->max)
			ncap = s->max;
		struct gofer_fid *n = realloc(s->fids, ncap * sizeof(*n));
		if (!n) {
			r = -ENOMEM;
			goto fail;
		}
		for (uint32_t i = s->cap; i < ncap; i++)
			n[i] = (struct gofer_fid){.fd = -1, .dir = -1, .gen = 1};
		idx = s->cap;
		s->fids = n;
		s->cap = ncap;
	}
	struct gofer_fid *f = &s->fids[idx];
	f->fd = fd;
	f->node = node;
	f->dir = -1;
	f->mount = mount;
	f->type = st->st_mode & S_IFMT;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	s->nfids++;
	s->free_hint = idx + 1;
	*out = fid_number(s, idx);
	return 0;
fail:
	close(fd);
	if (node)
		gofer_node_put(&s->names, node);
	return r;
}

static void fid_free(struct gofer_server *s, struct gofer_fid *f)
{
	uint32_t idx = (uint32_t)(f - s->fids);
	fid_release(s, f);
	s->nfids--;
	if (idx < s->free_hint)
		s->free_hint = idx;
}

static bool fid_readonly(const struct gofer_server *s, const struct gofer_fid *f)
{
	return s->mount_ro[f->mount];
}

/* ---- host helpers ---- */

static int sys_openat2(int dirfd, const char *name, uint64_t flags, uint64_t mode)
{
	struct open_how how = {.flags = flags, .mode = mode, .resolve = GOFER_RESOLVE};
	long r = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	return r < 0 ? -errno : (int)r;
}

static int fstat_neg(int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ? -errno : 0;
}

/* fstat a freshly obtained fd; on failure the fd is closed. */
static int fstat_or_close(int fd, struct stat *st)
{
	int r = fstat_neg(fd, st);
	if (r < 0)
		close(fd);
	return r;
}

/* Open node n's inode by its name nm with flags: the fd, -ESTALE when nm no
 * longer names that inode, or another -errno. */
static int name_open(const struct gofer_node *n, const struct gofer_name *nm, int flags)
{
	int r = gofer_name_check(n, nm);
	if (r < 0)
		return r;
	int fd = sys_openat2(nm->dir->fd, nm->name,
			     (uint64_t)(flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), 0);
	if (fd < 0)
		return fd == -ENOENT || fd == -ELOOP ? -ESTALE : fd;
	struct stat st;
	r = fstat_neg(fd, &st);
	if (r == 0 && (st.st_dev != n->dev || st.st_ino != n->ino))
		r = -ESTALE; /* swapped between the check and the open */
	if (r == 0 && fcntl(fd, F_SETFL, 0) < 0) /* O_NONBLOCK was for the open only */
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Open the inode of fid f for I/O (see the file comment). */
static int fid_reopen(struct gofer_names *names, struct gofer_fid *f, int flags)
{
	switch (f->type) {
	case S_IFDIR: {
		if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
			return -EISDIR;
		int fd = openat(f->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
		return fd < 0 ? -errno : fd;
	}
	case S_IFREG:
		break;
	case S_IFLNK:
		return -ELOOP;
	case S_IFCHR:
	case S_IFBLK:
		return -EACCES;
	case S_IFSOCK:
		return -ENXIO;
	default:
		return -EOPNOTSUPP;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	struct gofer_node *n = f->node;
	for (struct gofer_name **pp = &n->names; *pp;) {
		struct gofer_name *nm = *pp;
		int fd = name_open(n, nm, flags);
		if (fd >= 0) {
			/* The name that works goes first for the next open. */
			*pp = nm->next;
			nm->next = n->names;
			n->names = nm;
			return fd;
		}
		if (fd != -ESTALE)
			return fd;
		gofer_node_drop_name(names, pp);
	}
	return -ESTALE; /* no name of the inode is left that the Gofer knows */
}

/* chmod of fid f's inode, never following a symlink: fchmodat2(fd, "",
 * AT_EMPTY_PATH) (Linux 6.6+).  Older kernels: re-open a directory or regular
 * file and fchmod it; a symlink's mode cannot change on Linux anyway. */
static int fid_chmod(struct gofer_names *names, struct gofer_fid *f, mode_t mode)
{
	if (syscall(SYS_fchmodat2, f->fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	if (f->type != S_IFDIR && f->type != S_IFREG)
		return -EOPNOTSUPP;
	int fd = fid_reopen(names, f, O_RDONLY);
	if (fd < 0)
		return fd;
	int r = fchmod(fd, mode) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* ---- request decoding ----
 *
 * A request body is a fixed sequence of typed fields (gofer/protocol.h).  Each
 * operation declares its sequence in gofer_ops[] (after the operations), each
 * field naming the member of union gofer_request it is decoded into, and
 * request_decode() does all of it before the operation runs: an operation only
 * does the file-system work and builds the reply.  The checks come in a fixed
 * order, which decides the errno of a request wrong in more than one way (and
 * is what the Gofer always answered):
 *   1. the fields in wire order: one cut short, or a string running past the
 *      end, is EINVAL; a name must be one component (gofer_check_name: EINVAL
 *      or ENAMETOOLONG); other strings hold no NUL and at most GOFER_PATH_MAX
 *      bytes (EINVAL);
 *   2. no byte may follow the last field (EINVAL);
 *   3. the operation's own check of the decoded values (flags, modes), if any;
 *   4. the fids in wire order: unknown is EBADF; a directory field that names
 *      something else, ENOTDIR; a directory the request changes on a read-only
 *      mount, EROFS.
 */
enum field_kind {
	FIELD_END,
	FIELD_FID,    /* le64 fid of anything */
	FIELD_DIR,    /* le64 fid of a directory */
	FIELD_WDIR,   /* le64 fid of a directory on a writable mount */
	FIELD_U32,    /* le32 */
	FIELD_U64,    /* le64 */
	FIELD_NAME,   /* string: one path component */
	FIELD_PATH,   /* string: not empty (a mount name) */
	FIELD_TARGET, /* string: may be empty (a symlink target; the operation says ENOENT) */
	FIELD_XNAME,  /* string: an extended attribute's name (1..GOFER_XATTR_NAME_MAX, no NUL) */
	FIELD_BLOB,   /* le32 length + bytes (an xattr value, <= GOFER_XATTR_SIZE_MAX: E2BIG) */
};

struct field {
	uint8_t kind;    /* enum field_kind */
	uint16_t offset; /* of the decoded value in union gofer_request */
};

/* The decoded requests, one struct per body layout, members in wire order.  A
 * fid field holds its fid table entry, valid until the operation makes a new
 * fid (the table may move). */
struct fid_request {
	struct gofer_fid *f;
};

struct attach_request {
	char mount[GOFER_PATH_MAX + 1];
};

struct walk_request {
	struct gofer_fid *dir;
	char name[GOFER_NAME_MAX + 1];
};

struct setattr_request {
	struct gofer_fid *f;
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, mtime_sec; /* the times are signed */
	uint32_t atime_nsec, mtime_nsec;
};

struct open_request {
	struct gofer_fid *f;
	uint32_t flags;
};

struct create_request {
	struct gofer_fid *dir;
	uint32_t flags, mode, uid, gid;
	char name[GOFER_NAME_MAX + 1];
};

struct mknod_request { /* also mkdir's, which has no rdev */
	struct gofer_fid *dir;
	uint32_t mode, uid, gid;
	uint64_t rdev;
	char name[GOFER_NAME_MAX + 1];
};

struct symlink_request {
	struct gofer_fid *dir;
	uint32_t uid, gid;
	char name[GOFER_NAME_MAX + 1];
	char target[GOFER_PATH_MAX + 1];
};

struct link_request {
	struct gofer_fid *target, *dir;
	char name[GOFER_NAME_MAX + 1];
};

struct unlink_request {
	struct gofer_fid *dir;
	uint32_t flags;
	char name[GOFER_NAME_MAX + 1];
};

struct rename_request {
	struct gofer_fid *old_dir, *new_dir;
	uint32_t flags;
	char old_name[GOFER_NAME_MAX + 1], new_name[GOFER_NAME_MAX + 1];
};

struct readdir_request {
	struct gofer_fid *dir;
	uint64_t offset;
	uint32_t max;
};

/* Bytes in the request message (valid while the request is served). */
struct gofer_blob {
	const uint8_t *p;
	uint32_t len;
};

struct xattr_request { /* getxattr: f, name, size; listxattr: f, size; removexattr: f, name */
	struct gofer_fid *f;
	uint32_t flags; /* setxattr */
	char name[GOFER_XATTR_NAME_MAX + 1];
	uint32_t size;
	struct gofer_blob value; /* setxattr */
};

union gofer_request {
	struct fid_request fid; /* getattr, readlink, statfs, clunk */
	struct attach_request attach;
	struct walk_request walk;
	struct setattr_request setattr;
	struct open_request open;
	struct create_request create;
	struct mknod_request mknod;
	struct symlink_request symlink;
	struct link_request link;
	struct unlink_request unlink;
	struct rename_request rename;
	struct readdir_request readdir;
	struct xattr_request xattr;
};

_Static_assert(sizeof(union gofer_request) <= UINT16_MAX, "field offsets are 16-bit");

/* The offset of member m of union gofer_request, which must be of type t (else
 * a compile error, as the kernel's BUILD_BUG_ON_ZERO): a field's kind and the
 * member it fills cannot disagree. */
#define REQ_IS(m, t) __builtin_types_compatible_p(__typeof__(((union gofer_request *)0)->m), t)
#define REQ_OFFSET(m, t)                                                                           \
	(offsetof(union gofer_request, m) + 0 * sizeof(char[REQ_IS(m, t) ? 1 : -1]))
#define REQ_FID(m) {FIELD_FID, REQ_OFFSET(m, struct gofer_fid *)}
#define REQ_DIR(m) {FIELD_DIR, REQ_OFFSET(m, struct gofer_fid *)}
#define REQ_WDIR(m) {FIELD_WDIR, REQ_OFFSET(m, struct gofer_fid *)}
#define REQ_U32(m) {FIELD_U32, REQ_OFFSET(m, uint32_t)}
#define REQ_U64(m) {FIELD_U64, REQ_OFFSET(m, uint64_t)}
#define REQ_NAME(m) {FIELD_NAME, REQ_OFFSET(m, char[GOFER_NAME_MAX + 1])}
#define REQ_PATH(m) {FIELD_PATH, REQ_OFFSET(m, char[GOFER_PATH_MAX + 1])}
#define REQ_TARGET(m) {FIELD_TARGET, REQ_OFFSET(m, char[GOFER_PATH_MAX + 1])}
#define REQ_XNAME(m) {FIELD_XNAME, REQ_OFFSET(m, char[GOFER_XATTR_NAME_MAX + 1])}
#define REQ_BLOB(m) {FIELD_BLOB, REQ_OFFSET(m, struct gofer_blob)}
#define REQ_FIELDS(...) ((const struct field[]){__VA_ARGS__, {FIELD_END, 0}})

#define REQ_FIDS_MAX 2 /* fid fields in one request at the most (link, rename) */

/* A request being served: the server, the reply body to write, a donated fd
 * to send with the reply in *fd_out. */
struct gofer_req {
	struct gofer_server *s;
	struct gofer_cursor *rep;
	int *fd_out;
};

struct gofer_op {
	const char *name;
	int (*fn)(struct gofer_req *q, const union gofer_request *r);
	const struct field *fields; /* the request body, up to FIELD_END */
	/* The decoded values' own checks (step 3 above), or NULL. */
	int (*check)(const union gofer_request *r);
};

static bool field_is_fid(enum field_kind kind)
{
	return kind == FIELD_FID || kind == FIELD_DIR || kind == FIELD_WDIR;
}

/* Decode a component name into name (GOFER_NAME_MAX + 1 bytes). */
static int get_name(struct gofer_cursor *body, char *name)
{
	size_t n = gofer_get_u16(body);
	const uint8_t *p = gofer_cursor_take(body, n);
	if (!p)
		return -EINVAL;
	int r = gofer_check_name((const char *)p, n);
	if (r < 0)
		return r;
	memcpy(name, p, n);
	name[n] = 0;
	return 0;
}

/* Decode one field into value, or for a fid its number into *fid_number. */
static int field_decode(struct gofer_cursor *body, enum field_kind kind, void *value,
			uint64_t *fid_number)
{
	switch (kind) {
	case FIELD_FID:
	case FIELD_DIR:
	case FIELD_WDIR:
		*fid_number = gofer_get_u64(body);
		break;
	case FIELD_U32:
		*(uint32_t *)value = gofer_get_u32(body);
		break;
	case FIELD_U64:
		*(uint64_t *)value = gofer_get_u64(body);
		break;
	case FIELD_NAME:
		return get_name(body, value);
	case FIELD_PATH:
	case FIELD_TARGET:
		gofer_get_str(body, value, GOFER_PATH_MAX, kind == FIELD_TARGET);
		break;
	case FIELD_XNAME:
		gofer_get_str(body, value, GOFER_XATTR_NAME_MAX, false);
		break;
	case FIELD_BLOB: {
		struct gofer_blob *b = value;
		b->len = gofer_get_u32(body);
		if (!body->bad && b->len > GOFER_XATTR_SIZE_MAX)
			return -E2BIG;
		b->p = gofer_cursor_take(body, b->len);
		break;
	}
	case FIELD_END:
		break;
	}
	return body->bad ? -EINVAL : 0;
}

/* Look fid number n up for a field of kind: EBADF, ENOTDIR, then EROFS. */
static int field_resolve(struct gofer_server *s, enum field_kind kind, uint64_t n,
			 struct gofer_fid **out)
{
	struct gofer_fid *f = fid_lookup(s, n);
	if (!f)
		return -EBADF;
	if (kind != FIELD_FID && f->type != S_IFDIR)
		return -ENOTDIR;
	if (kind == FIELD_WDIR && fid_readonly(s, f))
		return -EROFS;
	*out = f;
	return 0;
}

/* Decode body, a request of op, into r (see the order of checks above).
 * Returns 0, or the errno the request is answered with. */
static int request_decode(struct gofer_server *s, const struct gofer_op *op,
			  struct gofer_cursor *body, union gofer_request *r)
{
	uint64_t fids[REQ_FIDS_MAX] = {0};
	size_t nfids = 0;
	for (const struct field *f = op->fields; f->kind != FIELD_END; f++) {
		uint64_t n = 0;
		int e = field_decode(body, f->kind, (uint8_t *)r + f->offset, &n);
		if (e < 0)
			return e;
		if (!field_is_fid(f->kind))
			continue;
		if (nfids == REQ_FIDS_MAX) {
			log_error("gofer: %s: more than %d fids declared", op->name, REQ_FIDS_MAX);
			return -EIO;
		}
		fids[nfids++] = n;
	}
	if (body->pos != body->len)
		return -EINVAL; /* bytes after the last field */
	int e = op->check ? op->check(r) : 0;
	nfids = 0;
	for (const struct field *f = op->fields; e == 0 && f->kind != FIELD_END; f++) {
		if (field_is_fid(f->kind))
			e = field_resolve(s, f->kind, fids[nfids++],
					  (struct gofer_fid **)((uint8_t *)r + f->offset));
	}
	return e;
}

/* ---- replies ---- */

/* Make fd (whose stat is st) a new fid of mount and describe it in the reply
 * (fid + stat).  A non-directory also learns its name (the directory dirfd,
 * whose inode is pdev:pino, and name) to be re-opened by.  fd is owned by this
 * call, also when it fails. */
static int reply_new_fid(struct gofer_req *q, int fd, const struct stat *st, int dirfd,
			 dev_t pdev, ino_t pino, const char *name, uint16_t mount,
			 uint64_t *fid_out)
{
	struct gofer_node *node = NULL;
	if (!S_ISDIR(st->st_mode)) {
		node = gofer_node_get(&q->s->names, st);
		int r = node ? gofer_node_add_name(&q->s->names, node, dirfd, pdev, pino, name)
			     : -ENOMEM;
		if (r < 0) {
			if (node)
				gofer_node_put(&q->s->names, node);
			close(fd);
			return r;
		}
	}
	uint64_t fid;
	int r = fid_new(q->s, fd, node, mount, st, &fid);
	if (r < 0)
		return r;
	gofer_put_u64(q->rep, fid);
	gofer_put_stat(q->rep, st);
	if (fid_out)
		*fid_out = fid;
	return 0;
}

/* Walk (dir, name) to a new fid and describe it in the reply (fid + stat). */
static int walk_to_fid(struct gofer_req *q, struct gofer_fid *dir, const char *name,
		       bool with_fid, uint64_t *fid_out)
{
	int fd = sys_openat2(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	struct stat st;
	int r = fstat_or_close(fd, &st);
	if (r < 0)
		return r;
	if (!with_fid) {
		close(fd);
		gofer_put_stat(q->rep, &st);
		return 0;
	}
	return reply_new_fid(q, fd, &st, dir->fd, dir->dev, dir->ino, name, dir->mount, fid_out);
}

/* ---- operations ---- */

static int op_attach(struct gofer_req *q, const union gofer_request *r)
{
	int m;
	for (m = 0; m < q->s->nmounts; m++)
		if (!strcmp(q->s->mounts[m].name, r->attach.mount))
			break;
	if (m == q->s->nmounts)
		return -ENOENT;
	const struct gofer_mount *mnt = &q->s->mounts[m];
	int fd = fcntl(mnt->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	int e = fstat_or_close(fd, &st);
	if (e < 0)
		return e;
	struct stat pst = {0};
	if (!S_ISDIR(st.st_mode) && (mnt->parent_fd < 0 || !mnt->leaf)) {
		close(fd);
		return -ENOTDIR;
	}
	if (!S_ISDIR(st.st_mode) && (e = fstat_neg(mnt->parent_fd, &pst)) < 0) {
		close(fd);
		return e;
	}
	return reply_new_fid(q, fd, &st, mnt->parent_fd, pst.st_dev, pst.st_ino, mnt->leaf,
			     (uint16_t)m, NULL);
}

static int op_walk(struct gofer_req *q, const union gofer_request *r)
{
	return walk_to_fid(q, r->walk.dir, r->walk.name, true, NULL);
}

static int op_getattr(struct gofer_req *q, const union gofer_request *r)
{
	struct stat st;
	int e = fstat_neg(r->fid.f->fd, &st);
	if (e < 0)
		return e;
	gofer_put_stat(q->rep, &st);
	return 0;
}

#define SETATTR_ALL                                                                                \
	(GOFER_SETATTR_MODE | GOFER_SETATTR_UID | GOFER_SETATTR_GID | GOFER_SETATTR_SIZE |         \
	 GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME)

static int setattr_check(const union gofer_request *r)
{
	return (r->setattr.valid & ~SETATTR_ALL) ? -EINVAL : 0;
}

static int op_setattr(struct gofer_req *q, const union gofer_request *r)
{
	const struct setattr_request *a = &r->setattr;
	struct gofer_fid *f = a->f;
	uint32_t valid = a->valid;
	if (valid && fid_readonly(q->s, f))
		return -EROFS;
	if ((valid & GOFER_SETATTR_SIZE) && a->size > INT64_MAX)
		return -EINVAL;
	/* Owner first: as Linux, a chown clears set-id bits, so a mode set in the
	 * same request must come after it.  Size before times, since truncating
	 * updates mtime. */
	if (valid & (GOFER_SETATTR_UID | GOFER_SETATTR_GID)) {
		uid_t u = (valid & GOFER_SETATTR_UID) ? a->uid : (uid_t)-1;
		gid_t g = (valid & GOFER_SETATTR_GID) ? a->gid : (gid_t)-1;
		if (fchownat(f->fd, "", u, g, AT_EMPTY_PATH) < 0)
			return -errno;
	}
	if (valid & GOFER_SETATTR_MODE) {
		int e = fid_chmod(&q->s->names, f, a->mode & 07777);
		if (e < 0)
			return e;
	}
	if (valid & GOFER_SETATTR_SIZE) {
		if (f->type == S_IFDIR)
			return -EISDIR;
		if (f->type != S_IFREG)
			return -EINVAL;
		int fd = fid_reopen(&q->s->names, f, O_WRONLY);
		if (fd < 0)
			return fd;
		int e = ftruncate(fd, (off_t)a->size) < 0 ? -errno : 0;
		close(fd);
		if (e < 0)
			return e;
	}
	if (valid & (GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME)) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
		if (valid & GOFER_SETATTR_ATIME)
			ts[0] = (struct timespec){.tv_sec = (int64_t)a->atime_sec,
						  .tv_nsec = a->atime_nsec};
		if (valid & GOFER_SETATTR_MTIME)
			ts[1] = (struct timespec){.tv_sec = (int64_t)a->mtime_sec,
						  .tv_nsec = a->mtime_nsec};
		if (utimensat(f->fd, "", ts, AT_EMPTY_PATH) < 0)
			return -errno;
	}
	return 0;
}

static int check_open_flags(uint32_t flags)
{
	if (flags & ~(uint32_t)GOFER_OPEN_FLAGS_ALLOWED)
		return -EINVAL;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	return 0;
}

static bool open_writes(uint32_t flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int open_check(const union gofer_request *r)
{
	return check_open_flags(r->open.flags);
}

static int op_open(struct gofer_req *q, const union gofer_request *r)
{
	struct gofer_fid *f = r->open.f;
	uint32_t flags = r->open.flags;
	/* Never a directory fd to the Sentry: openat(fd, "..") from one would
	 * walk the host tree as far as the mount allows, and the Sentry lists
	 * directories through READDIR anyway. */
	if (f->type == S_IFDIR)
		return -EISDIR;
	if (open_writes(flags) && fid_readonly(q->s, f) && f->type == S_IFREG)
		return -EROFS;
	int fd = fid_reopen(&q->s->names, f, (int)flags);
	if (fd < 0)
		return fd;
	*q->fd_out = fd;
	return 0;
}

/* After creating dir/name as root, give it to uid:gid.  A chown clears the
 * set-id bits of a non-directory, so restore the requested mode afterwards. */
static int chown_new(int dirfd, const char *name, uint32_t uid, uint32_t gid, uint32_t mode,
		     bool restore_mode)
{
	if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (restore_mode && (mode & 06000)) {
		if (syscall(SYS_fchmodat2, dirfd, name, mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	return 0;
}

static int create_check(const union gofer_request *r)
{
	uint32_t flags = r->create.flags;
	return (check_open_flags(flags) < 0 || (flags & O_DIRECTORY)) ? -EINVAL : 0;
}

static int op_create(struct gofer_req *q, const union gofer_request *r)
{
	const struct create_request *c = &r->create;
	int dirfd = c->dir->fd; /* c->dir dangles once the new fid is made */
	/* O_EXCL always: the ownership fix-up below must only ever touch a file
	 * this request created. */
	_cleanup_close_ int fd = sys_openat2(
		dirfd, c->name,
		(uint64_t)(c->flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY),
		c->mode & 07777);
	if (fd < 0)
		return fd;
	/* Through the new fd, not the name: nothing can swap the file between
	 * creating and chowning it.  A file already the caller's (root's, as
	 * tar's and git's files as root are) is not changed a second time. */
	struct stat st;
	int e = fstat_neg(fd, &st);
	if (e == 0 && (st.st_uid != c->uid || st.st_gid != c->gid)) {
		e = fchown(fd, c->uid, c->gid) < 0 ? -errno : 0;
		if (e == 0 && (c->mode & 06000) && fchmod(fd, c->mode & 07777) < 0)
			e = -errno;
	}
	uint64_t fid;
	if (e == 0) {
		size_t mark = q->rep->pos;
		e = walk_to_fid(q, c->dir, c->name, true, &fid);
		if (e == 0) {
			struct gofer_fid *nf = fid_lookup(q->s, fid);
			if (e == 0 && (st.st_dev != nf->dev || st.st_ino != nf->ino))
				e = -ESTALE;
			if (e < 0) {
				fid_free(q->s, nf);
				q->rep->pos = mark;
			}
		}
	}
	if (e < 0) {
		if (e != -ESTALE) /* ESTALE: the name is no longer our file */
			unlinkat(dirfd, c->name, 0);
		return e;
	}
	*q->fd_out = take_fd(fd);
	return 0;
}

/* After making dir/name: its owner, then its stat in the reply, preceded by
 * a new fid of it when with_fid (mkdir: the Sentry walks to every directory
 * it makes).  On failure the new name is removed again. */
static int finish_mknodlike(struct gofer_req *q, struct gofer_fid *dir, const char *name,
			    uint32_t uid, uint32_t gid, uint32_t mode, bool restore, int rmflags,
			    bool with_fid)
{
	int dirfd = dir->fd; /* dir dangles once a new fid is made */
	int r = chown_new(dirfd, name, uid, gid, mode, restore);
	if (r == 0)
		r = walk_to_fid(q, dir, name, with_fid, NULL);
	if (r < 0)
		unlinkat(dirfd, name, rmflags);
	return r;
}

static int op_mkdir(struct gofer_req *q, const union gofer_request *r)
{
	const struct mknod_request *m = &r->mknod;
	if (mkdirat(m->dir->fd, m->name, m->mode & 07777) < 0)
		return -errno;
	return finish_mknodlike(q, m->dir, m->name, m->uid, m->gid, m->mode, false, AT_REMOVEDIR,
				true);
}

static int mknod_check(const union gofer_request *r)
{
	/* Device nodes are never created on the host: the Sentry's devfs owns
	 * devices, and a host device node in the rootfs could be opened by any
	 * other process sharing it. */
	switch (r->mknod.mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		return -EPERM;
	default:
		return -EINVAL;
	}
	return 0;
}

static int op_mknod(struct gofer_req *q, const union gofer_request *r)
{
	const struct mknod_request *m = &r->mknod;
	if (mknodat(m->dir->fd, m->name, m->mode & (S_IFMT | 07777), (dev_t)m->rdev) < 0)
		return -errno;
	return finish_mknodlike(q, m->dir, m->name, m->uid, m->gid, m->mode, true, 0, false);
}

static int symlink_check(const union gofer_request *r)
{
	return r->symlink.target[0] ? 0 : -ENOENT; /* as Linux: symlink("", ...) */
}

static int op_symlink(struct gofer_req *q, const union gofer_request *r)
{
	const struct symlink_request *l = &r->symlink;
	if (symlinkat(l->target, l->dir->fd, l->name) < 0)
		return -errno;
	return finish_mknodlike(q, l->dir, l->name, l->uid, l->gid, 0, false, 0, false);
}

static int op_link(struct gofer_req *q, const union gofer_request *r)
{
	struct gofer_fid *t = r->link.target, *dir = r->link.dir;
	if (t->mount != dir->mount)
		return -EXDEV;
	if (fid_readonly(q->s, dir))
		return -EROFS;
	if (t->type == S_IFDIR)
		return -EPERM; /* as Linux: no hard links to directories */
	if (linkat(t->fd, "", dir->fd, r->link.name, AT_EMPTY_PATH) < 0)
		return -errno;
	/* The new name opens the file too, whatever becomes of the others.  Out
	 * of fds the link still stands; a walk to it learns the name later. */
	if (t->node)
		gofer_node_add_name(&q->s->names, t->node, dir->fd, dir->dev, dir->ino,
				    r->link.name);
	return 0;
}

static int unlink_check(const union gofer_request *r)
{
	return (r->unlink.flags & ~(uint32_t)AT_REMOVEDIR) ? -EINVAL : 0;
}

static int op_unlink(struct gofer_req *q, const union gofer_request *r)
{
	if (unlinkat(r->unlink.dir->fd, r->unlink.name, (int)r->unlink.flags) < 0)
		return -errno;
	return 0;
}

static int rename_check(const union gofer_request *r)
{
	return (r->rename.flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE)) ? -EINVAL : 0;
}

static int op_rename(struct gofer_req *q, const union gofer_request *r)
{
	struct gofer_fid *od = r->rename.old_dir, *nd = r->rename.new_dir;
	const char *oname = r->rename.old_name, *nname = r->rename.new_name;
	uint32_t flags = r->rename.flags;
	if (od->mount != nd->mount)
		return -EXDEV;
	if (fid_readonly(q->s, od))
		return -EROFS;
	if (syscall(SYS_renameat2, od->fd, oname, nd->fd, nname, flags) < 0)
		return -errno;
	gofer_names_renamed(&q->s->names, od->fd, od->dev, od->ino, oname, nd->fd, nd->dev, nd->ino,
			    nname, flags & RENAME_EXCHANGE);
	return 0;
}

static int readdir_check(const union gofer_request *r)
{
	return r->readdir.max == 0 ? -EINVAL : 0;
}

static int op_readdir(struct gofer_req *q, const union gofer_request *r)
{
	struct gofer_fid *dir = r->readdir.dir;
	uint64_t offset = r->readdir.offset;
	uint32_t max = r->readdir.max;
	if (dir->dir < 0) {
		dir->dir = fid_reopen(&q->s->names, dir, O_RDONLY);
		if (dir->dir < 0) {
			int e = dir->dir;
			dir->dir = -1;
			return e;
		}
	}
	if (offset > INT64_MAX || lseek(dir->dir, (off_t)offset, SEEK_SET) < 0)
		return offset > INT64_MAX ? -EINVAL : -errno;
	size_t count_pos = q->rep->pos;
	gofer_put_u32(q->rep, 0);
	uint32_t n = 0;
	/* Read until the reply is full, max entries are packed, or the end.  The
	 * directory is re-seeked on every request, so entries read but not sent
	 * are simply read again next time from the last sent entry's cookie. */
	while (n < max) {
		long got = syscall(SYS_getdents64, dir->dir, q->s->dents, GOFER_DENTS_BUF);
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		bool full = false;
		for (long off = 0; off < got && n < max;) {
			struct dirent64 *d = (struct dirent64 *)(q->s->dents + off);
			off += d->d_reclen;
			size_t nl = strlen(d->d_name);
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			if (nl > GOFER_NAME_MAX)
				continue;
			if (q->rep->len - q->rep->pos < GOFER_DIRENT_FIXED + nl) {
				full = true;
				break;
			}
			gofer_put_u64(q->rep, d->d_ino);
			gofer_put_u64(q->rep, (uint64_t)d->d_off);
			gofer_put_u8(q->rep, d->d_type);
			gofer_put_str(q->rep, d->d_name, nl);
			n++;
		}
		if (full)
			break;
	}
	struct gofer_cursor cnt;
	gofer_cursor_init(&cnt, q->rep->buf + count_pos, 4);
	gofer_put_u32(&cnt, n);
	return 0;
}

static int op_readlink(struct gofer_req *q, const union gofer_request *r)
{
	struct gofer_fid *f = r->fid.f;
	if (f->type != S_IFLNK)
		return -EINVAL; /* as Linux readlink on a non-symlink */
	char target[GOFER_PATH_MAX + 1];
	ssize_t n = readlinkat(f->fd, "", target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n > GOFER_PATH_MAX)
		return -ENAMETOOLONG;
	gofer_put_str(q->rep, target, (size_t)n);
	return 0;
}

static int op_statfs(struct gofer_req *q, const union gofer_request *r)
{
	struct statfs sf;
	if (fstatfs(r->fid.f->fd, &sf) < 0)
		return -errno;
	gofer_put_u64(q->rep, (uint64_t)sf.f_type);
	gofer_put_u64(q->rep, (uint64_t)sf.f_bsize);
	gofer_put_u64(q->rep, sf.f_blocks);
	gofer_put_u64(q->rep, sf.f_bfree);
	gofer_put_u64(q->rep, sf.f_bavail);
	gofer_put_u64(q->rep, sf.f_files);
	gofer_put_u64(q->rep, sf.f_ffree);
	gofer_put_u64(q->rep, (uint64_t)sf.f_namelen);
	return 0;
}

static int op_clunk(struct gofer_req *q, const union gofer_request *r)
{
	fid_free(q->s, r->fid.f);
	return 0;
}

/* ---- extended attributes: the host's user.* of regular files and directories ---- */

static int xattr_size_check(const union gofer_request *r)
{
	return r->xattr.size > GOFER_XATTR_SIZE_MAX ? -EINVAL : 0;
}

static int setxattr_check(const union gofer_request *r)
{
	return (r->xattr.flags & ~(uint32_t)GOFER_XATTR_FLAGS) ? -EINVAL : 0;
}

/* A readable fd of fid f's inode for the f*xattr calls, or -errno: only
 * user.* names, only regular files and directories (whose re-open never
 * blocks), nothing written on a read-only mount. */
static int xattr_fd(struct gofer_req *q, struct gofer_fid *f, const char *name, bool write)
{
	if (name && strncmp(name, "user.", 5) != 0)
		return -EOPNOTSUPP;
	if (f->type != S_IFREG && f->type != S_IFDIR)
		return -EOPNOTSUPP;
	if (write && fid_readonly(q->s, f))
		return -EROFS;
	return fid_reopen(&q->s->names, f, O_RDONLY);
}

static int op_getxattr(struct gofer_req *q, const union gofer_request *r)
{
	int fd = xattr_fd(q, r->xattr.f, r->xattr.name, false);
	return fd < 0 ? fd : gofer_xattr_get(fd, r->xattr.name, r->xattr.size, q->rep);
}

static int op_setxattr(struct gofer_req *q, const union gofer_request *r)
{
	const struct xattr_request *x = &r->xattr;
	int fd = xattr_fd(q, x->f, x->name, true);
	return fd < 0 ? fd : gofer_xattr_set(fd, x->name, x->value.p, x->value.len, x->flags);
}

static int op_listxattr(struct gofer_req *q, const union gofer_request *r)
{
	int fd = xattr_fd(q, r->xattr.f, NULL, false);
	if (fd < 0 && fd != -EOPNOTSUPP)
		return fd;
	return gofer_xattr_list(fd, r->xattr.size, q->rep); /* other types: no names */
}

/* fid, le32 mask: the layout of an open request. */
static int op_statx(struct gofer_req *q, const union gofer_request *r)
{
	return gofer_statx_reply(r->open.f->fd, r->open.flags, q->rep);
}

static int fsync_check(const union gofer_request *r)
{
	uint32_t f = r->open.flags;
	return f != 0 && f != GOFER_FSYNC_DATA && f != GOFER_FSYNC_FS ? -EINVAL : 0;
}

/* fid, le32 flags: the layout of an open request.  The fid's O_PATH fd
 * cannot be synced: a readable one of the same inode is. */
static int op_fsync(struct gofer_req *q, const union gofer_request *r)
{
	struct gofer_fid *f = r->open.f;
	if (f->type != S_IFDIR && f->type != S_IFREG)
		return -EINVAL; /* as fsync(2) of a fifo, a socket, a symlink */
	_cleanup_close_ int fd = fid_reopen(&q->s->names, f, O_RDONLY);
	if (fd < 0)
		return fd;
	uint32_t fl = r->open.flags;
	int e = fl == GOFER_FSYNC_FS ? syncfs(fd) : fl == GOFER_FSYNC_DATA ? fdatasync(fd) : fsync(fd);
	return e < 0 ? -errno : 0;
}

static int op_removexattr(struct gofer_req *q, const union gofer_request *r)
{
	int fd = xattr_fd(q, r->xattr.f, r->xattr.name, true);
	return fd < 0 ? fd : gofer_xattr_remove(fd, r->xattr.name);
}

/* Every operation: op_NAME serves it, after its request body (the fields, see
 * "request decoding") is decoded and `check` (or NULL) accepted the values. */
#define GOFER_OP(name, check, ...) {#name, op_##name, REQ_FIELDS(__VA_ARGS__), check}

static const struct gofer_op gofer_ops[GOFER_TMAX + 1] = {
	[GOFER_TATTACH] = GOFER_OP(attach, NULL, REQ_PATH(attach.mount)),
	[GOFER_TWALK] = GOFER_OP(walk, NULL, REQ_DIR(walk.dir), REQ_NAME(walk.name)),
	[GOFER_TGETATTR] = GOFER_OP(getattr, NULL, REQ_FID(fid.f)),
	[GOFER_TSETATTR] = GOFER_OP(setattr, setattr_check, REQ_FID(setattr.f),
				    REQ_U32(setattr.valid), REQ_U32(setattr.mode),
				    REQ_U32(setattr.uid), REQ_U32(setattr.gid),
				    REQ_U64(setattr.size), REQ_U64(setattr.atime_sec),
				    REQ_U64(setattr.mtime_sec), REQ_U32(setattr.atime_nsec),
				    REQ_U32(setattr.mtime_nsec)),
	[GOFER_TOPEN] = GOFER_OP(open, open_check, REQ_FID(open.f), REQ_U32(open.flags)),
	[GOFER_TCREATE] = GOFER_OP(create, create_check, REQ_WDIR(create.dir),
				   REQ_U32(create.flags), REQ_U32(create.mode),
				   REQ_U32(create.uid), REQ_U32(create.gid), REQ_NAME(create.name)),
	[GOFER_TMKDIR] = GOFER_OP(mkdir, NULL, REQ_WDIR(mknod.dir), REQ_U32(mknod.mode),
				  REQ_U32(mknod.uid), REQ_U32(mknod.gid), REQ_NAME(mknod.name)),
	[GOFER_TMKNOD] = GOFER_OP(mknod, mknod_check, REQ_WDIR(mknod.dir), REQ_U32(mknod.mode),
				  REQ_U32(mknod.uid), REQ_U32(mknod.gid), REQ_U64(mknod.rdev),
				  REQ_NAME(mknod.name)),
	[GOFER_TSYMLINK] = GOFER_OP(symlink, symlink_check, REQ_WDIR(symlink.dir),
				    REQ_U32(symlink.uid), REQ_U32(symlink.gid),
				    REQ_NAME(symlink.name), REQ_TARGET(symlink.target)),
	[GOFER_TLINK] = GOFER_OP(link, NULL, REQ_FID(link.target), REQ_DIR(link.dir),
				 REQ_NAME(link.name)),
	[GOFER_TUNLINK] = GOFER_OP(unlink, unlink_check, REQ_WDIR(unlink.dir),
				   REQ_U32(unlink.flags), REQ_NAME(unlink.name)),
	[GOFER_TRENAME] = GOFER_OP(rename, rename_check, REQ_DIR(rename.old_dir),
				   REQ_DIR(rename.new_dir), REQ_U32(rename.flags),
				   REQ_NAME(rename.old_name), REQ_NAME(rename.new_name)),
	[GOFER_TREADDIR] = GOFER_OP(readdir, readdir_check, REQ_DIR(readdir.dir),
				    REQ_U64(readdir.offset), REQ_U32(readdir.max)),
	[GOFER_TREADLINK] = GOFER_OP(readlink, NULL, REQ_FID(fid.f)),
	[GOFER_TSTATFS] = GOFER_OP(statfs, NULL, REQ_FID(fid.f)),
	[GOFER_TCLUNK] = GOFER_OP(clunk, NULL, REQ_FID(fid.f)),
	[GOFER_TGETXATTR] = GOFER_OP(getxattr, xattr_size_check, REQ_FID(xattr.f),
				     REQ_XNAME(xattr.name), REQ_U32(xattr.size)),
	[GOFER_TSETXATTR] = GOFER_OP(setxattr, setxattr_check, REQ_FID(xattr.f),
				     REQ_U32(xattr.flags), REQ_XNAME(xattr.name),
				     REQ_BLOB(xattr.value)),
	[GOFER_TLISTXATTR] = GOFER_OP(listxattr, xattr_size_check, REQ_FID(xattr.f),
				      REQ_U32(xattr.size)),
	[GOFER_TREMOVEXATTR] = GOFER_OP(removexattr, NULL, REQ_FID(xattr.f),
					REQ_XNAME(xattr.name)),
	[GOFER_TSTATX] = GOFER_OP(statx, NULL, REQ_FID(open.f), REQ_U32(open.flags)),
	[GOFER_TFSYNC] = GOFER_OP(fsync, fsync_check, REQ_FID(open.f), REQ_U32(open.flags)),
};

/* ---- transport ---- */

/* Follow the client's CPU hint (protocol.h): tie this thread to that CPU,
 * so that the client's next request wakes us where it runs and our reply
 * wakes it there, each a switch on one CPU rather than a wake-up of another
 * (which costs tens of microseconds on a paravirtualized guest).  A CPU we
 * may not use (cpuset) fails once and is not tried again until the hint
 * changes; the tie is only a hint, never an error. */
static void follow_cpu(struct gofer_server *s, unsigned int cpu)
{
	int want = cpu == GOFER_CPU_ANY || cpu >= CPU_SETSIZE ? -1 : (int)cpu;
	if (want == s->cpu)
		return;
	s->cpu = want;
	cpu_set_t set;
	CPU_ZERO(&set);
	if (want < 0) /* every CPU: the kernel keeps those the cpuset allows */
		memset(&set, 0xff, sizeof(set));
	else
		CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		log_debug("gofer: cannot move to CPU %d: %s", want, strerror(errno));
}

/* Handle one received message of n bytes (n may exceed GOFER_MSG_MAX when it
 * was truncated).  Returns the result of sending the reply. */
static int handle_message(struct gofer_server *s, uint8_t *in, size_t n, bool ctrunc,
			  uint8_t *out)
{
	uint32_t tag = 0;
	if (n < GOFER_HDR_SIZE) {
		log_warn("gofer: short message (%zu bytes)", n);
		return gofer_send_error(s->sock, out, 0, EINVAL);
	}
	struct gofer_cursor h;
	gofer_cursor_init(&h, in, GOFER_HDR_SIZE);
	uint32_t len = gofer_get_u32(&h);
	uint16_t type = gofer_get_u16(&h);
	uint16_t flags = gofer_get_u16(&h);
	tag = gofer_get_u32(&h);
	if (n > GOFER_MSG_MAX) {
		log_warn("gofer: oversized message (%zu bytes)", n);
		return gofer_send_error(s->sock, out, tag, EMSGSIZE);
	}
	bool hint = flags & GOFER_F_CPU;
	if (len != n || (flags & ~(GOFER_F_CPU | GOFER_CPU_MAX)) || (!hint && flags) || ctrunc) {
		log_warn("gofer: malformed header (len %u, received %zu, flags %#x%s)", len, n,
			 flags, ctrunc ? ", truncated ancillary data" : "");
		return gofer_send_error(s->sock, out, tag, EINVAL);
	}
	if (hint)
		follow_cpu(s, flags & GOFER_CPU_MAX);
	if (type == 0 || type > GOFER_TMAX || !gofer_ops[type].fn) {
		log_warn("gofer: unknown message type %u", type);
		return gofer_send_error(s->sock, out, tag, EOPNOTSUPP);
	}
	const struct gofer_op *op = &gofer_ops[type];
	struct gofer_cursor body, rep;
	gofer_cursor_init(&body, in + GOFER_HDR_SIZE, n - GOFER_HDR_SIZE);
	gofer_cursor_init(&rep, out + GOFER_HDR_SIZE, GOFER_MSG_MAX - GOFER_HDR_SIZE);
	int fd = -1;
	struct gofer_req q = {.s = s, .rep = &rep, .fd_out = &fd};
	union gofer_request request;
	int r = request_decode(s, op, &body, &request);
	if (r == 0)
		r = op->fn(&q, &request);
	if (r == 0 && rep.bad) {
		/* Only possible through a server bug: never send a half reply. */
		log_error("gofer: %s reply overflowed", op->name);
		r = -EIO;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (r < 0) {
		if (r == -EINVAL || r == -EBADF || r == -ENAMETOOLONG)
			log_info("gofer: %s: %s", op->name, strerror(-r));
		return gofer_send_error(s->sock, out, tag, -r);
	}
	int sr = gofer_send_reply(s->sock, out, GOFER_HDR_SIZE + rep.pos,
			    (uint16_t)(type | GOFER_REPLY), tag, fd);
	if (fd >= 0)
		close(fd); /* donated: the Sentry has its own copy now */
	return sr;
}

int gofer_serve(int sock, const struct gofer_mount *mounts, int nmounts, bool readonly_root,
		unsigned int max_fids)
{
	if (nmounts <= 0 || nmounts > UINT16_MAX)
		return -EINVAL;
	struct gofer_server s = {
		.sock = sock,
		.mounts = mounts,
		.nmounts = nmounts,
		.max = max_fids ? max_fids : GOFER_DEFAULT_MAX_FIDS,
		.cpu = -1,
	};
	if (s.max > UINT32_MAX / 2)
		s.max = UINT32_MAX / 2;
	s.mount_ro = calloc((size_t)nmounts, sizeof(bool));
	uint8_t *in = malloc(GOFER_MSG_MAX + 1);
	uint8_t *out = malloc(GOFER_MSG_MAX);
	s.dents = malloc(GOFER_DENTS_BUF);
	int ret = 0;
	if (!s.mount_ro || !in || !out || !s.dents || gofer_names_init(&s.names) < 0) {
		ret = -ENOMEM;
		goto done;
	}
	for (int i = 0; i < nmounts; i++)
		s.mount_ro[i] = mounts[i].readonly || (readonly_root && !strcmp(mounts[i].name, "/"));
	umask(0);

	for (;;) {
		union {
			struct cmsghdr hdr;
			char buf[CMSG_SPACE(16 * sizeof(int))];
		} cmsg;
		struct iovec iov = {.iov_base = in, .iov_len = GOFER_MSG_MAX + 1};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cmsg.buf,
				    .msg_controllen = sizeof(cmsg.buf)};
		ssize_t n = gofer_recv_request(sock, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = errno == ECONNRESET ? 0 : -errno;
			break;
		}
		if (n == 0 && !(mh.msg_flags & MSG_TRUNC))
			break; /* peer closed */
		if (gofer_close_passed_fds(&mh))
			log_warn("gofer: closed file descriptors the client sent");
		bool ctrunc = (mh.msg_flags & MSG_CTRUNC) != 0;
		int r = handle_message(&s, in, (size_t)n, ctrunc, out);
		if (r == -EPIPE || r == -ECONNRESET)
			break;
		if (r < 0) {
			log_error("gofer: sending a reply failed: %s", strerror(-r));
			ret = r;
			break;
		}
	}
done:
	for (uint32_t i = 0; i < s.cap; i++)
		if (s.fids[i].fd >= 0)
			fid_release(&s, &s.fids[i]);
	gofer_names_destroy(&s.names);
	free(s.fids);
	free(s.mount_ro);
	free(s.dents);
	free(in);
	free(out);
	return ret;
}
