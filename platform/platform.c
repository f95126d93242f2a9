/* platform.c — choosing a platform by name; see platform.h. */
#include "platform/platform.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The XSAVE area an app thread has on this CPU: CPUID leaf 0xD's size for
 * the features XCR0 enables (what Linux's NT_X86_XSTATE regset and signal
 * frames hold), or the FXSAVE area alone without OSXSAVE. */
static void probe_xstate(struct platform *p)
{
	unsigned int a, b, c, d;
	struct user_fpregs_struct fx __attribute__((aligned(16))) = {0};
	__asm__ volatile("fxsave64 %0" : "=m"(fx));
	p->mxcsr_mask = fx.mxcr_mask ? fx.mxcr_mask : 0xffbf; /* 0: the default mask */
	p->xstate_size = sizeof(struct user_fpregs_struct);
	p->xstate_features = 0;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || __get_cpuid_max(0, NULL) < 0xd)
		return;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	__cpuid_count(0xd, 0, a, b, c, d);
	/* The area and the signal frame's MAGIC2 after it fit a plat_fpregs_t. */
	if (b < 512 + 64 || b > PLAT_XSTATE_MAX - 4)
		return;
	p->xstate_size = b;
	p->xstate_features = ((uint64_t)hi << 32) | lo;
}

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
		probe_xstate(p);
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
