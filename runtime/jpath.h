/*
 * jpath.h — where a parser of untrusted JSON is, and its one error.
 *
 * config.json's parsers (oci.c, oci_seccomp.c) push a path component as
 * they descend ("mounts[3].options[0]", "linux.seccomp.syscalls[2]") and pop
 * it on the way back, so every error names the field it is about:
 * "config.json: process.user.uid: expected an unsigned integer".
 */
#ifndef VISOR_RUNTIME_JPATH_H
#define VISOR_RUNTIME_JPATH_H

#include <stddef.h>

struct verr;

struct jpath {
	struct verr *err;
	const char *file; /* "config.json" */
	char path[512];
	size_t plen;
};

/* Append a component (truncated when the path is full); returns the mark to
 * pop back to. */
size_t jpath_push(struct jpath *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "key" at the top, ".key" below it. */
size_t jpath_push_key(struct jpath *c, const char *key);
/* "[i]" */
size_t jpath_push_index(struct jpath *c, size_t i);
void jpath_pop(struct jpath *c, size_t mark);

/* EINVAL "FILE: PATH: message" (or "FILE: message" at the top) set in c->err;
 * returns -EINVAL. */
int jpath_err(struct jpath *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ENOMEM "FILE: out of memory"; returns -ENOMEM. */
int jpath_enomem(struct jpath *c);

#endif
