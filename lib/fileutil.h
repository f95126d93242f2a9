/*
 * fileutil.h — whole-file reads and crash-safe writes.
 */
#ifndef VISOR_LIB_FILEUTIL_H
#define VISOR_LIB_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Read a whole file (at most max bytes) into a NUL-terminated malloc'd buffer.
 * Returns 0 or -errno (-EFBIG when larger than max). */
int read_file(const char *path, size_t max, char **out, size_t *len);

/* Replace path atomically: write a temp file in the same directory, fsync it,
 * rename over path, fsync the directory.  Nothing is left behind on failure. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p with mode for each created component.  Returns 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);

/* write()/read() that loop over partial transfers and EINTR. */
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

#endif
