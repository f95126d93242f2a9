/*
 * protocol.h — the Gofer wire protocol, shared by the Gofer (gofer/server.c)
 * and the Sentry's client (sentry/fs/gofer_client.c).  The only header the
 * two sides share; it defines the layout of every message once.
 *
 * Transport: one SOCK_SEQPACKET socket pair.  Each datagram is exactly one
 * message; the client sends one request and waits for its one reply (no
 * pipelining).  Host fds travel only from the Gofer to the Sentry, as one
 * SCM_RIGHTS fd attached to an OPEN or CREATE reply (fds sent to the Gofer are
 * closed unread).  A zero-length datagram cannot be told from end-of-file on
 * SOCK_SEQPACKET: the Gofer takes it as a hang-up.
 *
 * Fids are opaque le64 handles chosen by the Gofer (never 0); a clunked fid's
 * number is not handed out again (until its 32-bit generation wraps).
 * Unknown fids get EBADF.
 *
 * Encoding: every integer is little-endian with the size given below; there
 * is no padding and no struct is ever copied raw onto the wire (use the
 * gofer_put_* / gofer_get_* helpers below).  A string is
 *     le16 length, then `length` bytes, no NUL terminator.
 * A decoder must reject strings containing a NUL byte, empty names, names
 * longer than GOFER_NAME_MAX, and symlink targets longer than GOFER_PATH_MAX.
 *
 * Message = header + per-operation body:
 *     le32 len     total message length in bytes, header included
 *     le16 type    GOFER_T* (request), type | GOFER_REPLY (reply) or GOFER_RERROR
 *     le16 flags   0, or (requests only) GOFER_F_CPU | cpu: the client waits
 *                  for this reply on that CPU (0..GOFER_CPU_MAX), so the
 *                  Gofer moves there and request and reply each switch on
 *                  one CPU (a hint: a CPU the Gofer may not use is ignored);
 *                  GOFER_F_CPU | GOFER_CPU_ANY: nobody waits, run anywhere
 *     le32 tag     chosen by the client, echoed by the reply
 * GOFER_HDR_SIZE = 12.  len must equal the datagram's size and be at most
 * GOFER_MSG_MAX; a body must be consumed exactly (trailing bytes are an error).
 * Any other flags (a reserved bit, flags on a reply) are an error.
 *
 * Error reply (GOFER_RERROR): le32 errno, a positive Linux errno (1..4095).
 *
 * stat (GOFER_STAT_SIZE = 100 bytes):
 *     le64 dev, ino, nlink, size, blocks, rdev
 *     le32 mode, uid, gid, blksize
 *     le64 atime_sec, mtime_sec, ctime_sec  (signed)
 *     le32 atime_nsec, mtime_nsec, ctime_nsec
 *
 * Bodies (request -> reply), fids are le64:
 *   ATTACH   str mount_name                          -> fid, stat
 *   WALK     fid dir, str name                       -> fid, stat
 *   GETATTR  fid                                     -> stat
 *   SETATTR  fid, le32 valid, le32 mode, le32 uid, le32 gid, le64 size,
 *            le64 atime_sec, le64 mtime_sec, le32 atime_nsec, le32 mtime_nsec -> (empty)
 *   OPEN     fid, le32 flags                         -> (empty) + 1 fd
 *   CREATE   fid dir, le32 flags, le32 mode, le32 uid, le32 gid, str name
 *                                                    -> fid, stat + 1 fd
 *   MKDIR    fid dir, le32 mode, le32 uid, le32 gid, str name         -> fid, stat
 *   MKNOD    fid dir, le32 mode, le32 uid, le32 gid, le64 rdev, str name -> stat
 *   SYMLINK  fid dir, le32 uid, le32 gid, str name, str target        -> stat
 *   LINK     fid target, fid dir, str name           -> (empty)
 *   UNLINK   fid dir, le32 flags (0 | AT_REMOVEDIR), str name -> (empty)
 *   RENAME   fid old_dir, fid new_dir, le32 flags, str old_name, str new_name -> (empty)
 *   READDIR  fid dir, le64 offset, le32 max_entries  -> le32 n, then n entries of
 *            { le64 ino, le64 next_offset, u8 type, str name }
 *            ("." and ".." are never returned; n == 0 means end of directory.  The
 *            Gofer packs entries until max, a full reply or the end: so n < max
 *            in a body of at most GOFER_READDIR_END_BODY bytes, where one more
 *            entry of any name would have fit, also ends the directory)
 *   READLINK fid                                     -> str target
 *   STATFS   fid                                     -> le64 type, bsize, blocks, bfree,
 *                                                       bavail, files, ffree, namelen
 *   CLUNK    fid                                     -> (empty)
 *   GETXATTR fid, str name, le32 size               -> le32 len, then len bytes of value
 *            (size 0: the value's length, no bytes; a longer value: ERANGE)
 *   SETXATTR fid, le32 flags, str name, blob value  -> (empty)
 *   LISTXATTR fid, le32 size                        -> le32 len, then len bytes of names, each
 *            NUL-terminated (size 0: the length only; a longer list: ERANGE)
 *   REMOVEXATTR fid, str name                       -> (empty)
 *   FSYNC    fid, le32 flags (0 | GOFER_FSYNC_DATA | GOFER_FSYNC_FS) -> (empty)
 *            (the host's fsync, fdatasync with GOFER_FSYNC_DATA, or syncfs with
 *            GOFER_FSYNC_FS (the whole host file system the fid is on: the
 *            container's sync(2) and syncfs(2)), of a directory or a regular
 *            file; other types EINVAL, as both flags at once.  A directory's
 *            fsync is how its entries, the Gofer's creates, links, renames and
 *            unlinks in it, become durable: the Sentry never holds a
 *            directory's host fd)
 *   STATX    fid, le32 mask (STATX_*)               -> le32 result mask, le64 attributes,
 *            le64 attributes_mask, le64 btime_sec (signed), le32 btime_nsec,
 *            le32 dio_mem_align, le32 dio_offset_align
 *            (what statx(2) of the host file adds to a stat; the host's answer to
 *            the mask, never following a symlink)
 *   A blob is le32 length, then `length` bytes (at most GOFER_XATTR_SIZE_MAX,
 *   else E2BIG).  Extended attribute names are 1..GOFER_XATTR_NAME_MAX bytes
 *   without NUL (else EINVAL); sizes are at most GOFER_XATTR_SIZE_MAX
 *   (EINVAL); SETXATTR flags only XATTR_CREATE | XATTR_REPLACE (EINVAL).
 *   The Gofer serves only the user.* name space (others: EOPNOTSUPP), only on
 *   regular files and directories (others: EOPNOTSUPP): trusted.* and
 *   security.* of the host are never the sandbox's.
 *
 * Flag and mode values (open flags, S_IF* mode bits, AT_REMOVEDIR, RENAME_*,
 * DT_*, UTIME_NOW/OMIT, errno) are the Linux x86_64 values.
 */
#ifndef VISOR_GOFER_PROTOCOL_H
#define VISOR_GOFER_PROTOCOL_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Largest message in either direction: a 64 KiB extended attribute value and
 * its request's other fields fit. */
#define GOFER_MSG_MAX (65536u + 1024u)
#define GOFER_HDR_SIZE 12u
#define GOFER_HDR_FLAGS_OFF 6u /* where the flags are in the header */
#define GOFER_F_CPU 0x8000u  /* header flags: a CPU hint in the low bits */
#define GOFER_CPU_MAX 0x0fffu /* the hint's bits; 0x7000 are reserved */
#define GOFER_CPU_ANY GOFER_CPU_MAX /* the hint "nobody waits": any CPU */
#define GOFER_FSYNC_DATA 1u /* FSYNC flags: the data only (fdatasync) */
#define GOFER_FSYNC_FS 2u   /* ... the fid's whole file system (syncfs) */
#define GOFER_STAT_SIZE 100u
#define GOFER_NAME_MAX 255u  /* one path component, as NAME_MAX */
#define GOFER_PATH_MAX 4095u /* symlink target, PATH_MAX minus the NUL */
#define GOFER_ERRNO_MAX 4095u
#define GOFER_XATTR_NAME_MAX 255u   /* as Linux's XATTR_NAME_MAX */
#define GOFER_XATTR_SIZE_MAX 65536u /* as Linux's XATTR_SIZE_MAX (also a list's) */

enum gofer_type {
	GOFER_TATTACH = 1,
	GOFER_TWALK = 2,
	GOFER_TGETATTR = 3,
	GOFER_TSETATTR = 4,
	GOFER_TOPEN = 5,
	GOFER_TCREATE = 6,
	GOFER_TMKDIR = 7,
	GOFER_TMKNOD = 8,
	GOFER_TSYMLINK = 9,
	GOFER_TLINK = 10,
	GOFER_TUNLINK = 11,
	GOFER_TRENAME = 12,
	GOFER_TREADDIR = 13,
	GOFER_TREADLINK = 14,
	GOFER_TSTATFS = 15,
	GOFER_TCLUNK = 16,
	GOFER_TGETXATTR = 17,
	GOFER_TSETXATTR = 18,
	GOFER_TLISTXATTR = 19,
	GOFER_TREMOVEXATTR = 20,
	GOFER_TSTATX = 21,
	GOFER_TFSYNC = 22,
	GOFER_TMAX = 22,
};

#define GOFER_REPLY 0x8000u  /* reply type = request type | GOFER_REPLY */
#define GOFER_RERROR 0xffffu /* error reply, body: le32 errno */

/* SETATTR valid bits (the same values sentry/fs/gofer_client.h gives its
 * callers; identical macro redefinitions are allowed in C). */
#define GOFER_SETATTR_MODE 0x01
#define GOFER_SETATTR_UID 0x02
#define GOFER_SETATTR_GID 0x04
#define GOFER_SETATTR_SIZE 0x08
#define GOFER_SETATTR_ATIME 0x10
#define GOFER_SETATTR_MTIME 0x20

/* Open/create flags the Gofer accepts; anything else is EINVAL. */
#define GOFER_OPEN_FLAGS_ALLOWED (O_ACCMODE | O_TRUNC | O_DIRECTORY)

/* Size of one readdir entry on the wire, without the name bytes. */
#define GOFER_DIRENT_FIXED (8u + 8u + 1u + 2u)
/* A READDIR reply body this short with fewer entries than asked for ends the
 * directory: another entry of the longest name would have fit. */
#define GOFER_READDIR_END_BODY                                                                     \
	(GOFER_MSG_MAX - GOFER_HDR_SIZE - GOFER_DIRENT_FIXED - GOFER_NAME_MAX)

/* ---- encoding ---------------------------------------------------------------
 * A cursor over a message buffer.  Writers and readers set `bad` instead of
 * overrunning; check it once at the end. */
struct gofer_cursor {
	uint8_t *buf;
	size_t len; /* bytes valid (reader) or capacity (writer) */
	size_t pos;
	bool bad;
};

static inline void gofer_cursor_init(struct gofer_cursor *c, void *buf, size_t len)
{
	c->buf = (uint8_t *)buf;
	c->len = len;
	c->pos = 0;
	c->bad = false;
}

static inline uint8_t *gofer_cursor_take(struct gofer_cursor *c, size_t n)
{
	if (c->bad || n > c->len - c->pos) {
		c->bad = true;
		return NULL;
	}
	uint8_t *p = c->buf + c->pos;
	c->pos += n;
	return p;
}

static inline void gofer_put_u8(struct gofer_cursor *c, uint8_t v)
{
	uint8_t *p = gofer_cursor_take(c, 1);
	if (p)
		*p = v;
}

static inline void gofer_put_u16(struct gofer_cursor *c, uint16_t v)
{
	uint8_t *p = gofer_cursor_take(c, 2);
	if (p) {
		v = htole16(v);
		memcpy(p, &v, 2);
	}
}

static inline void gofer_put_u32(struct gofer_cursor *c, uint32_t v)
{
	uint8_t *p = gofer_cursor_take(c, 4);
	if (p) {
		v = htole32(v);
		memcpy(p, &v, 4);
	}
}

static inline void gofer_put_u64(struct gofer_cursor *c, uint64_t v)
{
	uint8_t *p = gofer_cursor_take(c, 8);
	if (p) {
		v = htole64(v);
		memcpy(p, &v, 8);
	}
}

/* A string of n bytes (n <= 65535, caller-checked against the limits). */
static inline void gofer_put_str(struct gofer_cursor *c, const char *s, size_t n)
{
	if (n > 0xffff) {
		c->bad = true;
		return;
	}
	gofer_put_u16(c, (uint16_t)n);
	uint8_t *p = gofer_cursor_take(c, n);
	if (p && n)
		memcpy(p, s, n);
}

static inline uint8_t gofer_get_u8(struct gofer_cursor *c)
{
	uint8_t *p = gofer_cursor_take(c, 1);
	return p ? *p : 0;
}

static inline uint16_t gofer_get_u16(struct gofer_cursor *c)
{
	uint16_t v = 0;
	uint8_t *p = gofer_cursor_take(c, 2);
	if (p)
		memcpy(&v, p, 2);
	return le16toh(v);
}

static inline uint32_t gofer_get_u32(struct gofer_cursor *c)
{
	uint32_t v = 0;
	uint8_t *p = gofer_cursor_take(c, 4);
	if (p)
		memcpy(&v, p, 4);
	return le32toh(v);
}

static inline uint64_t gofer_get_u64(struct gofer_cursor *c)
{
	uint64_t v = 0;
	uint8_t *p = gofer_cursor_take(c, 8);
	if (p)
		memcpy(&v, p, 8);
	return le64toh(v);
}

/* Read a string into out (NUL-terminated there).  Fails (bad) when longer
 * than max, empty while !allow_empty, or containing a NUL byte. */
static inline size_t gofer_get_str(struct gofer_cursor *c, char *out, size_t max,
				   bool allow_empty)
{
	size_t n = gofer_get_u16(c);
	const uint8_t *p = gofer_cursor_take(c, n);
	if (!p || n > max || (n == 0 && !allow_empty) || memchr(p, 0, n)) {
		c->bad = true;
		out[0] = 0;
		return 0;
	}
	memcpy(out, p, n);
	out[n] = 0;
	return n;
}

/* A valid path component: non-empty, <= GOFER_NAME_MAX, no '/', not "." or
 * "..".  Returns 0, -EINVAL or -ENAMETOOLONG (as Linux for an overlong name). */
static inline int gofer_check_name(const char *name, size_t n)
{
	if (n == 0 || memchr(name, '/', n) || memchr(name, 0, n))
		return -EINVAL;
	if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	if (n > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

#endif
