/*
 * fsnotify.c — the VFS's side of change notification (see fsnotify.h).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <sys/stat.h>

#include "lib/lockdep.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

static _Atomic(const struct fsnotify_hook *) the_hook;
static _Atomic int nmarks;
static _Atomic uint32_t next_cookie;

void fsnotify_set_hook(const struct fsnotify_hook *hook)
{
	const struct fsnotify_hook *none = NULL;
	atomic_compare_exchange_strong(&the_hook, &none, hook);
}

void fsnotify_marks_add(int delta)
{
	atomic_fetch_add(&nmarks, delta);
}

static const struct fsnotify_hook *active(void)
{
	if (atomic_load_explicit(&nmarks, memory_order_relaxed) <= 0)
		return NULL;
	return atomic_load(&the_hook);
}

uint32_t fsnotify_cookie(void)
{
	uint32_t c = atomic_fetch_add(&next_cookie, 1) + 1;
	return c ? c : atomic_fetch_add(&next_cookie, 1) + 1;
}

void fsnotify_inode(struct inode *ino, uint32_t mask)
{
	const struct fsnotify_hook *h = active();
	if (!h || !ino)
		return;
	if (S_ISDIR(ino->mode))
		mask |= FS_ISDIR;
	h->event(ino, mask, 0, NULL);
}

void fsnotify_child(struct inode *dir, const char *name, struct inode *child, uint32_t mask,
		    uint32_t cookie)
{
	const struct fsnotify_hook *h = active();
	if (!h || !dir)
		return;
	if (child && S_ISDIR(child->mode))
		mask |= FS_ISDIR;
	h->event(dir, mask, cookie, name);
}

void fsnotify_dentry(struct dentry *d, uint32_t mask)
{
	const struct fsnotify_hook *h = active();
	if (!h || !d)
		return;
	uint32_t m = mask | (S_ISDIR(d->inode->mode) ? FS_ISDIR : 0);
	/* As Linux: the parent's watchers hear first, then the inode's.  An
	 * unlinked child still tells its last directory, under its last name. */
	vmutex_lock(&vfs_tree_lock);
	if (d->parent)
		h->event(d->parent->inode, m | (d->dead ? FS_UNLINKED : 0), 0, d->name);
	vmutex_unlock(&vfs_tree_lock);
	h->event(d->inode, m, 0, NULL);
}

void fsnotify_file(struct file *f, uint32_t mask)
{
	if (!active() || !f->path.dentry)
		return;
	fsnotify_dentry(f->path.dentry, mask);
}
