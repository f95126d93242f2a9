/* ptrace.c — placeholder until the ptrace platform lands: init fails. */
#include "platform/platform.h"

#include <errno.h>

static int ptrace_init(struct platform *p)
{
	return -ENOSYS;
}

const struct platform_ops ptrace_platform_ops = {
	.name = "ptrace",
	.init = ptrace_init,
};
