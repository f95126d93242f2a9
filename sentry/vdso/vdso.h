/*
 * vdso.h — the Sentry's vDSO: the embedded image (image/vdso.c) and its
 * parameter page, kept in the memory file and mapped into every new
 * process image by the loader ("[vvar]" then "[vdso]", AT_SYSINFO_EHDR).
 *
 * One per sandbox (kernel), alive as long as the Sentry.  The image's pages
 * are shared by every process (mapped private: a debugger's write copies
 * the page); the parameter page is mapped shared and read-only, and can
 * never be made writable (mprotect: EACCES).
 */
#ifndef VISOR_SENTRY_VDSO_VDSO_H
#define VISOR_SENTRY_VDSO_VDSO_H

#include <stdbool.h>
#include <stdint.h>

#include "sentry/mm/mm.h"

struct vdso;

/* The vDSO of a sandbox whose CLOCK_MONOTONIC starts at host boot_ns; its
 * clock refresher starts when the TSC is usable.  NULL on -ENOMEM. */
struct vdso *vdso_new(struct memfile *mf, int64_t boot_ns);
/* Map [vvar] and [vdso] into mm (a fresh process image), where mmap puts
 * them: returns the image's address (AT_SYSINFO_EHDR) or -errno.  arg is
 * the struct vdso (the loader's callback). */
int64_t vdso_map(struct mm *mm, void *arg);
/* The sandbox's clock clk now as the vDSO reads it: false when the vDSO
 * does not serve clk (then the caller reads the host's). */
bool vdso_clock_now(const struct vdso *vd, int clk, int64_t *ns);

#endif
