/*
 * xattr.c — the Gofer's extended attribute calls on the host: the user.*
 * name space of a regular file or directory, through an fd server.c opened.
 * Replies follow gofer/protocol.h (a le32 length, then the bytes unless the
 * request's size was 0).  Host names outside user.* are never listed: the
 * host's trusted.* and security.* are not the sandbox's.
 */
#include "gofer/xattr.h"
#include "lib/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Reply le32 len and, when size is not 0, the len bytes of buf. */
static void put_sized(struct gofer_cursor *rep, const void *buf, size_t len, uint32_t size)
{
	gofer_put_u32(rep, (uint32_t)len);
	uint8_t *p = size ? gofer_cursor_take(rep, len) : NULL;
	if (p && len)
		memcpy(p, buf, len);
}

int gofer_xattr_get(int fd, const char *name, uint32_t size, struct gofer_cursor *rep)
{
	_cleanup_free_ uint8_t *buf = size ? malloc(size) : NULL;
	if (size && !buf) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t n = fgetxattr(fd, name, buf, size);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	if ((size_t)n > GOFER_XATTR_SIZE_MAX || (size && (size_t)n > size))
		return -ERANGE;
	put_sized(rep, buf, (size_t)n, size);
	return 0;
}

int gofer_xattr_set(int fd, const char *name, const uint8_t *value, uint32_t len, uint32_t flags)
{
	/* An empty value stays an attribute (Linux's __vfs_setxattr). */
	int r = fsetxattr(fd, name, len ? (const void *)value : "", len, (int)flags) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int gofer_xattr_list(int fd, uint32_t size, struct gofer_cursor *rep)
{
	_cleanup_free_ char *names = malloc(GOFER_XATTR_SIZE_MAX);
	ssize_t n = 0;
	if (fd >= 0) {
		n = names ? flistxattr(fd, names, GOFER_XATTR_SIZE_MAX) : -1;
		int e = names ? errno : ENOMEM;
		close(fd);
		if (n < 0)
			return e == ERANGE ? -E2BIG : -e;
	} else if (!names) {
		return -ENOMEM;
	}
	size_t out = 0;
	for (size_t i = 0; i < (size_t)n;) {
		size_t len = strnlen(names + i, (size_t)n - i);
		if (i + len < (size_t)n && strncmp(names + i, "user.", 5) == 0) {
			memmove(names + out, names + i, len + 1);
			out += len + 1;
		}
		i += len + 1;
	}
	if (size && out > size)
		return -ERANGE;
	put_sized(rep, names, out, size);
	return 0;
}

int gofer_xattr_remove(int fd, const char *name)
{
	int r = fremovexattr(fd, name) < 0 ? -errno : 0;
	close(fd);
	return r;
}
