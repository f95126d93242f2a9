/*
 * verr.h — the error a runtime-level operation explains to its user.
 *
 * Library functions return a negative errno; those that must say *why* in words
 * (config parsing, daemon.json edits, spawning) also fill a struct verr passed
 * as their last argument.  Never print-and-exit deep in a library.
 */
#ifndef VISOR_LIB_VERR_H
#define VISOR_LIB_VERR_H

struct verr {
	int code;       /* positive errno, 0 when unset */
	char msg[1024]; /* one line, no trailing newline */
};

/* Set err (if non-NULL) and return -code, so callers can `return verr_set(...)`. */
int verr_set(struct verr *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As verr_set, appending ": strerror(code)". */
int verr_errno(struct verr *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
