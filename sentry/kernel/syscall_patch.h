/*
 * syscall_patch.h — the Sentry's side of syscall patching (platforms that
 * offer it: platform_ops.as_patch_syscall, systrap).
 */
#ifndef VISOR_SENTRY_KERNEL_SYSCALL_PATCH_H
#define VISOR_SENTRY_KERNEL_SYSCALL_PATCH_H

#include <stdbool.h>
#include <stdint.h>

struct task;

/* t trapped on a syscall (t->regs as the platform reported it, before the
 * syscall is served): patch its site if it is one that can be. */
void syscall_patch_maybe(struct task *t);

/* Is nr one whose sites may be patched? */
bool syscall_patch_nr_ok(uint32_t nr);

#endif
