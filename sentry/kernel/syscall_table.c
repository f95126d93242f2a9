/*
 * syscall_table.c — the syscall dispatch array and the count of unsupported
 * calls.
 *
 * As Linux: a number with no handler returns -ENOSYS.  Each such number is
 * counted per sandbox and logged by name the first time it is seen, so that
 * `visor debug --unsupported` and the logs show what an app missed.
 *
 * Every dispatch is counted too, per number (one relaxed atomic add: far
 * below the cost of the trap that brought the call), for the Sentry's
 * summary at exit.
 *
 * Socket options the Sentry does not know are counted the same way, per
 * (level, option), in a small table of atomic slots.
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
static _Atomic uint64_t calls[SYSCALL_MAX];
static _Atomic uint64_t calls_out_of_range;

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
	atomic_fetch_add_explicit(nr >= 0 && nr < SYSCALL_MAX ? &calls[nr] : &calls_out_of_range, 1,
				  memory_order_relaxed);
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

int syscall_most_called(int *nrs, uint64_t *counts, int max, uint64_t *total)
{
	int n = 0;
	uint64_t sum = atomic_load_explicit(&calls_out_of_range, memory_order_relaxed);
	for (int i = 0; i < SYSCALL_MAX; i++) {
		uint64_t c = atomic_load_explicit(&calls[i], memory_order_relaxed);
		sum += c;
		if (!c || max <= 0 || (n == max && c <= counts[n - 1]))
			continue;
		/* Insert in descending order, dropping the last when full. */
		int k = n < max ? n++ : n - 1;
		for (; k > 0 && counts[k - 1] < c; k--) {
			nrs[k] = nrs[k - 1];
			counts[k] = counts[k - 1];
		}
		nrs[k] = i;
		counts[k] = c;
	}
	if (total)
		*total = sum;
	return n;
}

/* A slot's key is (level << 32 | optname) + 1, 0 when free; claimed with a
 * compare-and-swap, so counting takes no lock. */
#define SOCKOPT_SLOTS 64
static _Atomic uint64_t sockopt_keys[SOCKOPT_SLOTS];
static _Atomic uint64_t sockopt_counts[SOCKOPT_SLOTS];
static _Atomic uint64_t sockopt_overflow;

void syscall_count_unsupported_sockopt(int level, int optname)
{
	uint64_t key = (((uint64_t)(uint32_t)level << 32) | (uint32_t)optname) + 1;
	for (int i = 0; i < SOCKOPT_SLOTS; i++) {
		uint64_t cur = atomic_load(&sockopt_keys[i]);
		if (cur == 0) {
			uint64_t expected = 0;
			if (!atomic_compare_exchange_strong(&sockopt_keys[i], &expected, key) &&
			    expected != key)
				continue; /* another option took the slot */
			cur = key;
		}
		if (cur != key)
			continue;
		if (atomic_fetch_add(&sockopt_counts[i], 1) == 0)
			log_warn("unsupported socket option level %d option %d: returning ENOPROTOOPT",
				 level, optname);
		return;
	}
	atomic_fetch_add(&sockopt_overflow, 1);
}

int syscall_unsupported_sockopts(int *levels, int *optnames, uint64_t *counts, int max)
{
	int n = 0;
	for (int i = 0; i < SOCKOPT_SLOTS && n < max; i++) {
		uint64_t key = atomic_load(&sockopt_keys[i]);
		uint64_t c = atomic_load(&sockopt_counts[i]);
		if (!key || !c)
			continue;
		key--;
		levels[n] = (int)(uint32_t)(key >> 32);
		optnames[n] = (int)(uint32_t)key;
		counts[n] = c;
		n++;
	}
	return n;
}

uint64_t syscall_unsupported_sockopt_count(int level, int optname)
{
	int levels[SOCKOPT_SLOTS], names[SOCKOPT_SLOTS];
	uint64_t counts[SOCKOPT_SLOTS];
	int n = syscall_unsupported_sockopts(levels, names, counts, SOCKOPT_SLOTS);
	for (int i = 0; i < n; i++)
		if (levels[i] == level && names[i] == optname)
			return counts[i];
	return 0;
}
