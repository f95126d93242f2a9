/*
 * goferfs_list.h — a goferfs directory's listing held in the Sentry (see
 * goferfs_list.c): what getdents reads on the container's root with
 * file-access=exclusive, instead of a Gofer round trip per call.
 */
#ifndef VISOR_SENTRY_FS_GOFERFS_LIST_H
#define VISOR_SENTRY_FS_GOFERFS_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "sentry/fs/gofer_client.h"
#include "sentry/vfs/vfs.h"

/* A listing: every entry of a directory but "." and "..", as the Gofer gave
 * them, at one moment.  Never changes once made; reference counted (the
 * directory's cache holds one, each open description reading it one). */
struct gofer_list;

/* Read the whole listing of directory fid from the Gofer: 0 and *out (one
 * reference), or -errno. */
int gofer_list_fetch(struct gofer_client *c, uint64_t fid, struct gofer_list **out);
struct gofer_list *gofer_list_get(struct gofer_list *l);
void gofer_list_put(struct gofer_list *l);
size_t gofer_list_len(const struct gofer_list *l);

/* getdents from a listing: the entries from ctx->pos on (position 2 is the
 * first entry, as dir_emit_dots leaves it), each emitted with the next
 * position, until emit refuses one or the listing ends.  Returns 0. */
int gofer_list_emit(const struct gofer_list *l, struct dir_ctx *ctx);

#endif
