/*
 * syscall_table.c — the syscall dispatch array and the count of unsupported
 * calls.
 *
 * As Linux: a number with no handler returns -ENOSYS.  Each such number is
 * counted per sandbox and logged by name the first time it is seen, so that
 * `visor debug --unsupported` and the logs show what an app missed.
 *
 * The handlers come from sentry/syscalls/ through syscall_table_register at
 * boot; nothing here names them.
 */
#include "sentry/kernel/syscall_table.h"
#include "lib/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

/* syscall_names.c */
extern const char *const syscall_names[];
extern const size_t syscall_names_count;

static const struct syscall_def *table[SYSCALL_MAX];
static _Atomic uint64_t unsupported[SYSCALL_MAX];
static _Atomic uint64_t unsupported_out_of_range;

void syscall_table_register(const struct syscall_def *defs)
{
	for (const struct syscall_def *d = defs; d->name; d++)
		if (d->nr >= 0 && d->nr < SYSCALL_MAX)
			table[d->nr] = d;
}

const char *syscall_name(int nr)
{
	static __thread char buf[24];
	if (nr >= 0 && (size_t)nr < syscall_names_count && syscall_names[nr])
		return syscall_names[nr];
	snprintf(buf, sizeof(buf), "syscall_%d", nr);
	return buf;
}

int64_t syscall_dispatch(struct task *t, int nr, const uint64_t a[6])
{
	if (nr >= 0 && nr < SYSCALL_MAX && table[nr])
		return table[nr]->fn(t, a);
	if (nr >= 0 && nr < SYSCALL_MAX) {
		if (atomic_fetch_add(&unsupported[nr], 1) == 0)
			log_warn("unsupported syscall %s (%d): returning ENOSYS", syscall_name(nr), nr);
	} else {
		atomic_fetch_add(&unsupported_out_of_range, 1);
	}
	return -ENOSYS;
}

int syscall_unsupported(int *nrs, uint64_t *counts, int max)
{
	int n = 0;
	for (int i = 0; i < SYSCALL_MAX && n < max; i++) {
		uint64_t c = atomic_load(&unsupported[i]);
		if (c) {
			nrs[n] = i;
			counts[n] = c;
			n++;
		}
	}
	return n;
}
