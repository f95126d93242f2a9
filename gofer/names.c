/*
 * names.c — the names by which the Gofer re-opens the non-directories it
 * serves: a gofer_node per host inode with the (directory fd, name) pairs
 * it was reached by (see "Opening a fid for I/O" in gofer/server.c), and
 * two hash tables: nodes by (dev, ino), names by (directory, name).
 *
 * The names table makes a rename cost what the names it moves cost: it
 * used to look at every name of every node the Gofer held, so each rename
 * cost O(files served) (dpkg and apt rename every file they install).
 * The names in one directory share one fd of it (a third table): a file
 * served costs the Gofer its fid's fd, not also one per name, and a
 * create, link or rename into a directory already held makes no fd.
 * Must never: follow a symlink (names are checked with fstatat
 * AT_SYMLINK_NOFOLLOW), or leak an fd.
 */
#include "gofer/names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* At most this many names per node: a file linked under many names keeps the
 * ones it was reached by last (stale ones go first). */
#define GOFER_NODE_NAMES_MAX 8
#define GOFER_NODE_BUCKETS 4096
#define GOFER_NAME_BUCKETS 4096
#define GOFER_DIR_BUCKETS 1024

int gofer_names_init(struct gofer_names *t)
{
	t->nodes = calloc(GOFER_NODE_BUCKETS, sizeof(*t->nodes));
	t->names = calloc(GOFER_NAME_BUCKETS, sizeof(*t->names));
	t->dirs = calloc(GOFER_DIR_BUCKETS, sizeof(*t->dirs));
	if (t->nodes && t->names && t->dirs)
		return 0;
	gofer_names_destroy(t);
	return -ENOMEM;
}

void gofer_names_destroy(struct gofer_names *t)
{
	free(t->nodes);
	free(t->names);
	free(t->dirs);
	t->nodes = NULL;
	t->names = NULL;
	t->dirs = NULL;
}

static size_t node_bucket(dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)ino * 0xff51afd7ed558ccdULL);
	return (size_t)(h >> 40) % GOFER_NODE_BUCKETS;
}

static size_t name_bucket(dev_t pdev, ino_t pino, const char *name)
{
	uint64_t h = ((uint64_t)pdev * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)pino * 0xff51afd7ed558ccdULL);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (size_t)(h >> 40) % GOFER_NAME_BUCKETS;
}

/* The shared fd of directory fd (inode dev:ino), with a new reference:
 * the table's, or a duplicate of fd made now.  NULL (errno set) when out
 * of fds or memory. */
static struct gofer_dir *dir_get(struct gofer_names *t, int fd, dev_t dev, ino_t ino)
{
	struct gofer_dir **head = &t->dirs[node_bucket(dev, ino) % GOFER_DIR_BUCKETS];
	for (struct gofer_dir *d = *head; d; d = d->hnext) {
		if (d->dev == dev && d->ino == ino) {
			d->refs++;
			return d;
		}
	}
	struct gofer_dir *d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d->fd < 0) {
		int e = errno;
		free(d);
		errno = e;
		return NULL;
	}
	d->dev = dev;
	d->ino = ino;
	d->refs = 1;
	d->hnext = *head;
	*head = d;
	return d;
}

static void dir_put(struct gofer_names *t, struct gofer_dir *d)
{
	if (--d->refs)
		return;
	struct gofer_dir **pp = &t->dirs[node_bucket(d->dev, d->ino) % GOFER_DIR_BUCKETS];
	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	close(d->fd);
	free(d);
}

static void name_hash(struct gofer_names *t, struct gofer_name *nm)
{
	struct gofer_name **head = &t->names[name_bucket(nm->dir->dev, nm->dir->ino, nm->name)];
	nm->hnext = *head;
	if (nm->hnext)
		nm->hnext->hpprev = &nm->hnext;
	nm->hpprev = head;
	*head = nm;
}

static void name_unhash(struct gofer_name *nm)
{
	*nm->hpprev = nm->hnext;
	if (nm->hnext)
		nm->hnext->hpprev = nm->hpprev;
	nm->hnext = NULL;
	nm->hpprev = NULL;
}

static void name_free(struct gofer_names *t, struct gofer_name *nm)
{
	if (nm->hpprev)
		name_unhash(nm);
	dir_put(t, nm->dir);
	free(nm->name);
	free(nm);
}

struct gofer_node *gofer_node_get(struct gofer_names *t, const struct stat *st)
{
	struct gofer_node **head = &t->nodes[node_bucket(st->st_dev, st->st_ino)];
	for (struct gofer_node *n = *head; n; n = n->hnext) {
		if (n->dev == st->st_dev && n->ino == st->st_ino) {
			n->refs++;
			return n;
		}
	}
	struct gofer_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->refs = 1;
	n->hnext = *head;
	*head = n;
	return n;
}

void gofer_node_put(struct gofer_names *t, struct gofer_node *n)
{
	if (--n->refs)
		return;
	struct gofer_node **pp = &t->nodes[node_bucket(n->dev, n->ino)];
	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	while (n->names) {
		struct gofer_name *nm = n->names;
		n->names = nm->next;
		name_free(t, nm);
	}
	free(n);
}

static bool name_is(const struct gofer_name *nm, dev_t pdev, ino_t pino, const char *name)
{
	return nm->dir->dev == pdev && nm->dir->ino == pino && !strcmp(nm->name, name);
}

int gofer_name_check(const struct gofer_node *n, const struct gofer_name *nm)
{
	struct stat st;
	if (fstatat(nm->dir->fd, nm->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ESTALE : -errno;
	return st.st_dev == n->dev && st.st_ino == n->ino ? 0 : -ESTALE;
}

void gofer_node_drop_name(struct gofer_names *t, struct gofer_name **pp)
{
	struct gofer_name *nm = *pp;
	*pp = nm->next;
	nm->node->nnames--;
	name_free(t, nm);
}

/* Drop the names of n that no longer name its inode. */
static void node_drop_stale_names(struct gofer_names *t, struct gofer_node *n)
{
	for (struct gofer_name **pp = &n->names; *pp;) {
		if (gofer_name_check(n, *pp) != -ESTALE)
			pp = &(*pp)->next;
		else
			gofer_node_drop_name(t, pp);
	}
}

int gofer_node_add_name(struct gofer_names *t, struct gofer_node *n, int dirfd, dev_t pdev,
			ino_t pino, const char *name)
{
	for (struct gofer_name *nm = n->names; nm; nm = nm->next)
		if (name_is(nm, pdev, pino, name))
			return 0;
	if (n->nnames >= GOFER_NODE_NAMES_MAX)
		node_drop_stale_names(t, n);
	if (n->nnames >= GOFER_NODE_NAMES_MAX) {
		struct gofer_name **pp = &n->names;
		while ((*pp)->next)
			pp = &(*pp)->next;
		gofer_node_drop_name(t, pp);
	}
	struct gofer_name *nm = calloc(1, sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	nm->dir = dir_get(t, dirfd, pdev, pino);
	int r = nm->dir ? 0 : -errno;
	nm->name = r ? NULL : strdup(name);
	if (!nm->name) {
		if (nm->dir)
			dir_put(t, nm->dir);
		free(nm);
		return r ? r : -ENOMEM;
	}
	nm->node = n;
	nm->next = n->names;
	n->names = nm;
	n->nnames++;
	name_hash(t, nm);
	return 0;
}

/* Take every name (pdev, pino, name) out of the names table onto *list
 * (through hnext). */
static void take_names(struct gofer_names *t, dev_t pdev, ino_t pino, const char *name,
		       struct gofer_name **list)
{
	struct gofer_name *nm = t->names[name_bucket(pdev, pino, name)];
	while (nm) {
		struct gofer_name *next = nm->hnext;
		if (name_is(nm, pdev, pino, name)) {
			name_unhash(nm);
			nm->hnext = *list;
			*list = nm;
		}
		nm = next;
	}
}

/* nm, out of the table, now names its inode as to_name in the directory
 * to (its fd, its inode); or, when to < 0, names nothing any more. */
static void name_move(struct gofer_names *t, struct gofer_name *nm, int to, dev_t dev, ino_t ino,
		      const char *to_name)
{
	struct gofer_dir *d = to >= 0 ? dir_get(t, to, dev, ino) : NULL;
	char *copy = d ? strdup(to_name) : NULL;
	if (copy) {
		dir_put(t, nm->dir);
		free(nm->name);
		nm->dir = d;
		nm->name = copy;
		name_hash(t, nm);
		return;
	}
	if (d)
		dir_put(t, d);
	struct gofer_name **pp = &nm->node->names;
	while (*pp != nm)
		pp = &(*pp)->next;
	gofer_node_drop_name(t, pp);
}

void gofer_names_renamed(struct gofer_names *t, int od, dev_t odev, ino_t oino,
			 const char *oname, int nd, dev_t ndev, ino_t nino, const char *nname,
			 bool exchange)
{
	struct gofer_name *moved = NULL, *lost = NULL;
	take_names(t, odev, oino, oname, &moved);
	if (odev != ndev || oino != nino || strcmp(oname, nname))
		take_names(t, ndev, nino, nname, &lost);
	while (moved) {
		struct gofer_name *nm = moved;
		moved = nm->hnext;
		name_move(t, nm, nd, ndev, nino, nname);
	}
	while (lost) {
		struct gofer_name *nm = lost;
		lost = nm->hnext;
		name_move(t, nm, exchange ? od : -1, odev, oino, oname);
	}
}
