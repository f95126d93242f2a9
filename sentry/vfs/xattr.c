/*
 * xattr.c — extended attributes: the checks Linux makes before a file
 * system sees a *xattr call (fs/xattr.c's xattr_permission and the
 * capability hooks of security/commoncap.c, in their order), and a small
 * in-memory store for file systems that keep attributes themselves (tmpfs).
 * The syscalls (sys_xattr.c) copy names and values; file systems with their
 * own storage (goferfs: the host's user.*) fill the inode_ops.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

#define PREFIX_USER "user."
#define PREFIX_TRUSTED "trusted."
#define PREFIX_SECURITY "security."
#define PREFIX_SYSTEM "system."

static bool has_prefix(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

/* A name space Linux knows whose name stops at the prefix ("user."): EINVAL
 * (xattr_resolve_name), once the file system has xattrs at all. */
static bool bare_prefix(const char *name)
{
	return !strcmp(name, PREFIX_USER) || !strcmp(name, PREFIX_TRUSTED) ||
	       !strcmp(name, PREFIX_SECURITY) || !strcmp(name, PREFIX_SYSTEM);
}

/* Linux's xattr_permission: may t read (write) name on ino? */
static int xattr_permission(struct task *t, struct inode *ino, const char *name, bool write)
{
	const struct creds *c = vfs_task_creds(t);
	if (has_prefix(name, PREFIX_SECURITY) || has_prefix(name, PREFIX_SYSTEM))
		return 0; /* the capability hooks and the fs decide */
	if (has_prefix(name, PREFIX_TRUSTED)) {
		if (!vfs_capable(c, CAP_SYS_ADMIN))
			return write ? -EPERM : -ENODATA;
		return 0;
	}
	uint32_t mode;
	uint32_t uid;
	vmutex_lock(&ino->lock);
	mode = ino->mode;
	uid = ino->uid;
	vmutex_unlock(&ino->lock);
	if (has_prefix(name, PREFIX_USER)) {
		/* "User attributes are restricted to regular files and directories"
		 * (xattr(7)): others' user.* would bypass their owners' modes. */
		if (!S_ISREG(mode) && !S_ISDIR(mode))
			return write ? -EPERM : -ENODATA;
		if (S_ISDIR(mode) && (mode & S_ISVTX) && write && vfs_fsuid(c) != uid &&
		    !vfs_capable(c, CAP_FOWNER))
			return -EPERM;
	}
	return vfs_permission(c, ino, write ? VFS_MAY_WRITE : VFS_MAY_READ);
}

/* commoncap's cap_inode_setxattr / removexattr: security.* needs CAP_SYS_ADMIN
 * (security.capability: CAP_SETFCAP). */
static int xattr_security_check(struct task *t, const char *name)
{
	if (!has_prefix(name, PREFIX_SECURITY))
		return 0;
	int cap = !strcmp(name, "security.capability") ? CAP_SETFCAP : CAP_SYS_ADMIN;
	return vfs_capable(vfs_task_creds(t), cap) ? 0 : -EPERM;
}

static int xattr_writable(struct vfs_mount *mnt, struct inode *ino)
{
	if ((mnt && vfs_mnt_readonly(mnt)) || (ino->sb && ino->sb->readonly))
		return -EROFS;
	return 0;
}

ssize_t vfs_getxattr(struct task *t, struct inode *ino, const char *name, void *buf, size_t size)
{
	if (!ino)
		return -EOPNOTSUPP;
	int r = xattr_permission(t, ino, name, false);
	if (r < 0)
		return r;
	if (!ino->ops || !ino->ops->getxattr)
		return -EOPNOTSUPP;
	if (bare_prefix(name))
		return -EINVAL;
	return ino->ops->getxattr(ino, name, buf, size);
}

int vfs_setxattr(struct task *t, const struct vfs_path *p, struct inode *ino, const char *name,
		 const void *value, size_t size, int flags)
{
	if (!ino)
		return -EOPNOTSUPP;
	int r = xattr_writable(p->mnt, ino);
	if (r == 0)
		r = xattr_permission(t, ino, name, true);
	if (r == 0)
		r = xattr_security_check(t, name);
	if (r < 0)
		return r;
	if (!ino->ops || !ino->ops->setxattr)
		return -EOPNOTSUPP;
	if (bare_prefix(name))
		return -EINVAL;
	r = ino->ops->setxattr(ino, name, value, size, flags);
	if (r == 0) {
		inode_touch(ino, VFS_TOUCH_C);
		vfs_dnotify_parent(p, DN_ATTRIB); /* fsnotify_xattr */
	}
	return r;
}

int vfs_removexattr(struct task *t, const struct vfs_path *p, struct inode *ino,
		    const char *name)
{
	if (!ino)
		return -EOPNOTSUPP;
	int r = xattr_writable(p->mnt, ino);
	if (r == 0)
		r = xattr_permission(t, ino, name, true);
	if (r == 0)
		r = xattr_security_check(t, name);
	if (r < 0)
		return r;
	if (!ino->ops || !ino->ops->removexattr)
		return -EOPNOTSUPP;
	if (bare_prefix(name))
		return -EINVAL;
	r = ino->ops->removexattr(ino, name);
	if (r == 0) {
		inode_touch(ino, VFS_TOUCH_C);
		vfs_dnotify_parent(p, DN_ATTRIB);
	}
	return r;
}

ssize_t vfs_listxattr(struct task *t, struct inode *ino, char *buf, size_t size)
{
	/* As Linux with no security module: a file system without attributes
	 * lists none. */
	if (!ino || !ino->ops || !ino->ops->listxattr)
		return 0;
	char *all = malloc(VFS_XATTR_LIST_MAX);
	if (!all)
		return -ENOMEM;
	ssize_t n = ino->ops->listxattr(ino, all, VFS_XATTR_LIST_MAX);
	if (n < 0) {
		free(all);
		return n == -ERANGE ? -E2BIG : n;
	}
	/* trusted.* names only for CAP_SYS_ADMIN (Linux's fs list handlers). */
	bool trusted = vfs_capable(vfs_task_creds(t), CAP_SYS_ADMIN);
	size_t out = 0;
	for (size_t i = 0; i < (size_t)n;) {
		size_t len = strnlen(all + i, (size_t)n - i);
		if (i + len >= (size_t)n)
			break; /* not NUL-terminated: the file system's bug, dropped */
		if (trusted || !has_prefix(all + i, PREFIX_TRUSTED)) {
			memmove(all + out, all + i, len + 1);
			out += len + 1;
		}
		i += len + 1;
	}
	ssize_t r = (ssize_t)out;
	if (size && out > size)
		r = -ERANGE;
	else if (size)
		memcpy(buf, all, out);
	free(all);
	return r;
}

/* ---------------------------------------------------------------- the simple store */

struct simple_xattr {
	struct simple_xattr *next; /* descending strcmp order of names */
	char *name;
	size_t size;
	char value[];
};

static bool simple_name_ok(const char *name)
{
	return has_prefix(name, PREFIX_USER) || has_prefix(name, PREFIX_TRUSTED) ||
	       has_prefix(name, PREFIX_SECURITY);
}

/* The link pointing at name's entry, or at the place it would go. */
static struct simple_xattr **simple_find(struct inode *ino, const char *name)
{
	struct simple_xattr **pp = &ino->xattrs;
	while (*pp && strcmp((*pp)->name, name) > 0)
		pp = &(*pp)->next;
	return pp;
}

ssize_t simple_xattr_get(struct inode *ino, const char *name, void *buf, size_t size)
{
	if (!simple_name_ok(name))
		return -EOPNOTSUPP;
	vmutex_lock(&ino->lock);
	struct simple_xattr *x = *simple_find(ino, name);
	ssize_t r;
	if (!x || strcmp(x->name, name)) {
		r = -ENODATA;
	} else if (size == 0) {
		r = (ssize_t)x->size;
	} else if (x->size > size) {
		r = -ERANGE;
	} else {
		memcpy(buf, x->value, x->size);
		r = (ssize_t)x->size;
	}
	vmutex_unlock(&ino->lock);
	return r;
}

int simple_xattr_set(struct inode *ino, const char *name, const void *value, size_t size,
		     int flags)
{
	if (!simple_name_ok(name))
		return -EOPNOTSUPP;
	struct simple_xattr *n = malloc(sizeof(*n) + size);
	char *nm = strdup(name);
	if (!n || !nm) {
		free(n);
		free(nm);
		return -ENOMEM;
	}
	n->name = nm;
	n->size = size;
	if (size)
		memcpy(n->value, value, size);
	vmutex_lock(&ino->lock);
	struct simple_xattr **pp = simple_find(ino, name);
	bool exists = *pp && !strcmp((*pp)->name, name);
	int r = 0;
	if (exists && (flags & XATTR_CREATE))
		r = -EEXIST;
	else if (!exists && (flags & XATTR_REPLACE))
		r = -ENODATA;
	struct simple_xattr *old = NULL;
	if (r == 0) {
		if (exists) {
			old = *pp;
			n->next = old->next;
		} else {
			n->next = *pp;
		}
		*pp = n;
		n = NULL;
	}
	vmutex_unlock(&ino->lock);
	if (n) {
		free(n->name);
		free(n);
	}
	if (old) {
		free(old->name);
		free(old);
	}
	return r;
}

int simple_xattr_remove(struct inode *ino, const char *name)
{
	if (!simple_name_ok(name))
		return -EOPNOTSUPP;
	vmutex_lock(&ino->lock);
	struct simple_xattr **pp = simple_find(ino, name);
	struct simple_xattr *x = *pp;
	if (x && !strcmp(x->name, name))
		*pp = x->next;
	else
		x = NULL;
	vmutex_unlock(&ino->lock);
	if (!x)
		return -ENODATA;
	free(x->name);
	free(x);
	return 0;
}

ssize_t simple_xattr_list(struct inode *ino, char *buf, size_t size)
{
	size_t need = 0;
	ssize_t r = 0;
	vmutex_lock(&ino->lock);
	for (struct simple_xattr *x = ino->xattrs; x; x = x->next) {
		size_t len = strlen(x->name) + 1;
		if (size && need + len > size) {
			r = -ERANGE;
			break;
		}
		if (size)
			memcpy(buf + need, x->name, len);
		need += len;
	}
	vmutex_unlock(&ino->lock);
	return r < 0 ? r : (ssize_t)need;
}

void simple_xattrs_free(struct inode *ino)
{
	struct simple_xattr *x = ino->xattrs;
	ino->xattrs = NULL;
	while (x) {
		struct simple_xattr *next = x->next;
		free(x->name);
		free(x);
		x = next;
	}
}
