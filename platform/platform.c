/* platform.c — choosing a platform by name; see platform.h. */
#include "platform/platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct platform_ops *const platforms[] = {
	&ptrace_platform_ops,
	&systrap_platform_ops,
};

const char *platform_names(void) { return "ptrace,systrap"; }

struct platform *platform_new(const char *name, int memfd)
{
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		if (strcmp(platforms[i]->name, name))
			continue;
		struct platform *p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->ops = platforms[i];
		p->memfd = memfd;
		int r = p->ops->init(p);
		if (r < 0) {
			free(p);
			errno = -r;
			return NULL;
		}
		return p;
	}
	errno = ENOENT;
	return NULL;
}

void platform_free(struct platform *p)
{
	if (!p)
		return;
	if (p->ops->fini)
		p->ops->fini(p);
	free(p);
}
