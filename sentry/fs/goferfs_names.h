/*
 * goferfs_names.h — the names made in a directory the Sentry made (see
 * goferfs_names.c): a goferfs directory answers a name it was never given
 * as absent without asking the Gofer.
 */
#ifndef VISOR_SENTRY_FS_GOFERFS_NAMES_H
#define VISOR_SENTRY_FS_GOFERFS_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/* Zeroed: empty.  A list of the names, then a filter of them (which may
 * take a name never added for one added, never the other way round). */
struct gofer_names {
	uint32_t n, cap;
	char **list;
	uint64_t *bloom;
};

/* Add name: false when the set is full (GOFER_NAMES_MAX names) or out of
 * memory; the set is then no longer to be trusted, only cleared. */
bool gofer_names_add(struct gofer_names *s, const char *name);
/* May name have been added?  (false: it certainly was not) */
bool gofer_names_may_hold(const struct gofer_names *s, const char *name);
/* Forget every name. */
void gofer_names_clear(struct gofer_names *s);

#endif
