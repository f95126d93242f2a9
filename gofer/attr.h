/*
 * attr.h — the host file's attributes as the Gofer's replies carry them
 * (gofer/attr.c), for server.c.
 */
#ifndef VISOR_GOFER_ATTR_H
#define VISOR_GOFER_ATTR_H

#include <stdint.h>
#include <sys/stat.h>

#include "gofer/protocol.h"

/* A stat, as gofer/protocol.h lays it out (GOFER_STAT_SIZE bytes). */
void gofer_put_stat(struct gofer_cursor *c, const struct stat *st);
/* STATX: statx(2) of fd itself (AT_EMPTY_PATH, no symlink followed) with
 * mask, its reply written to rep; 0 or -errno. */
int gofer_statx_reply(int fd, uint32_t mask, struct gofer_cursor *rep);

#endif
