/*
 * jpath.c — the JSON parsers' path stack and error (jpath.h).
 */
#include "runtime/jpath.h"
#include "lib/verr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

size_t jpath_push(struct jpath *c, const char *fmt, ...)
{
	size_t mark = c->plen;
	size_t room = sizeof(c->path) - c->plen;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->path + c->plen, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen += (size_t)n < room ? (size_t)n : room - 1;
	return mark;
}

size_t jpath_push_key(struct jpath *c, const char *key)
{
	return jpath_push(c, "%s%s", c->plen ? "." : "", key);
}

size_t jpath_push_index(struct jpath *c, size_t i) { return jpath_push(c, "[%zu]", i); }

void jpath_pop(struct jpath *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = 0;
}

int jpath_err(struct jpath *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->plen)
		return verr_set(c->err, EINVAL, "%s: %s: %s", c->file, c->path, msg);
	return verr_set(c->err, EINVAL, "%s: %s", c->file, msg);
}

int jpath_enomem(struct jpath *c) { return verr_set(c->err, ENOMEM, "%s: out of memory", c->file); }
