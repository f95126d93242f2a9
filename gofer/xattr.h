/*
 * xattr.h — the host side of the Gofer's extended attribute operations
 * (gofer/xattr.c), for server.c, which has decoded and checked the request
 * and opened the fid's inode.
 */
#ifndef VISOR_GOFER_XATTR_H
#define VISOR_GOFER_XATTR_H

#include <stdint.h>

#include "gofer/protocol.h"

#define GOFER_XATTR_FLAGS 3 /* XATTR_CREATE | XATTR_REPLACE */

/* Each takes over fd (a readable fd of a regular file or directory) and
 * closes it; 0 (the reply body written to rep) or -errno. */
int gofer_xattr_get(int fd, const char *name, uint32_t size, struct gofer_cursor *rep);
int gofer_xattr_set(int fd, const char *name, const uint8_t *value, uint32_t len, uint32_t flags);
/* fd < 0: a file without user.* names (an empty list). */
int gofer_xattr_list(int fd, uint32_t size, struct gofer_cursor *rep);
int gofer_xattr_remove(int fd, const char *name);

#endif
