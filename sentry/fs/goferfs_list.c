/*
 * goferfs_list.c — a goferfs directory's listing held in the Sentry.
 *
 * On the container's root with file-access=exclusive every name is made,
 * removed and renamed through the Sentry, so a listing the Gofer gave stays
 * true until the Sentry itself changes the directory.  goferfs keeps the
 * newest listing of a directory (gofer_node.list) and drops it at every
 * create, mkdir, mknod, symlink, link, unlink, rmdir and rename in it; a
 * getdents reads the listing instead of asking the Gofer (git status, a
 * Python import's directory scans, tar, make: the same directories again
 * and again).
 *
 * Positions (as Linux's readdir promises, and no more): an open description
 * reads one listing from its first getdents past "." and ".." until it is
 * rewound (a position below 2: rewinddir, lseek 0), so a position it gave
 * (telldir, lseek SEEK_CUR) names the same entry whenever it comes back to
 * it (seekdir), and a name that neither came nor went while it read is
 * listed exactly once, whatever was created, unlinked or renamed meanwhile.
 * Whether a name made or removed after the listing was taken shows is
 * unspecified (POSIX readdir); here it does not show / still shows, until
 * the description is rewound.
 *
 * This file only builds and reads listings; it never caches anything and
 * takes no lock: goferfs_list's owner (goferfs.c) keeps the directory's one
 * under the inode lock.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/goferfs_list.h"

/* Entries per READDIR request: a round trip each. */
#define GOFER_LIST_BATCH 512

struct gofer_list_ent {
	uint64_t ino;
	uint32_t name; /* offset in names */
	uint8_t type;
};

struct gofer_list {
	_Atomic uint64_t refs;
	size_t n, cap;
	struct gofer_list_ent *ents;
	char *names;
	size_t names_len, names_cap;
};

static int list_add(struct gofer_list *l, const struct gofer_dirent *e)
{
	size_t len = strnlen(e->name, sizeof(e->name) - 1) + 1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct gofer_list_ent *v = realloc(l->ents, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->ents = v;
		l->cap = cap;
	}
	if (l->names_len + len > l->names_cap) {
		size_t cap = l->names_cap ? l->names_cap * 2 : 1024;
		while (cap < l->names_len + len)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -ENOMEM;
		char *v = realloc(l->names, cap);
		if (!v)
			return -ENOMEM;
		l->names = v;
		l->names_cap = cap;
	}
	memcpy(l->names + l->names_len, e->name, len - 1);
	l->names[l->names_len + len - 1] = 0;
	l->ents[l->n++] = (struct gofer_list_ent){
	    .ino = e->ino, .name = (uint32_t)l->names_len, .type = e->type};
	l->names_len += len;
	return 0;
}

int gofer_list_fetch(struct gofer_client *c, uint64_t fid, struct gofer_list **out)
{
	struct gofer_list *l = calloc(1, sizeof(*l));
	struct gofer_dirent *batch = malloc(GOFER_LIST_BATCH * sizeof(*batch));
	int r = l && batch ? 0 : -ENOMEM;
	uint64_t cookie = 0;
	while (r == 0) {
		bool end = false;
		int n = gofer_readdir_end(c, fid, cookie, batch, GOFER_LIST_BATCH, &end);
		if (n <= 0) {
			r = n;
			break;
		}
		for (int i = 0; i < n && r == 0; i++) {
			r = list_add(l, &batch[i]);
			cookie = batch[i].next_offset;
		}
		if (end)
			break;
	}
	free(batch);
	if (r < 0) {
		if (l) {
			free(l->ents);
			free(l->names);
			free(l);
		}
		return r;
	}
	atomic_init(&l->refs, 1);
	*out = l;
	return 0;
}

struct gofer_list *gofer_list_get(struct gofer_list *l)
{
	if (l)
		atomic_fetch_add(&l->refs, 1);
	return l;
}

void gofer_list_put(struct gofer_list *l)
{
	if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	free(l->ents);
	free(l->names);
	free(l);
}

size_t gofer_list_len(const struct gofer_list *l) { return l->n; }

int gofer_list_emit(const struct gofer_list *l, struct dir_ctx *ctx)
{
	for (uint64_t i = ctx->pos < 2 ? 0 : ctx->pos - 2; i < l->n; i++) {
		const struct gofer_list_ent *e = &l->ents[i];
		if (dir_emit(ctx, l->names + e->name, e->ino, e->type, i + 3))
			break;
	}
	return 0;
}
