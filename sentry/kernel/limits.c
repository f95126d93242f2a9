/*
 * limits.c — the container's resource limits in the Sentry (see limits.h).
 */
#include "sentry/kernel/limits.h"

#include <stdatomic.h>

static _Atomic int64_t lim_memory, lim_memory_swap, lim_pids, lim_cpu_quota, lim_cpu_period,
	lim_cpu_shares;

static void set_one(_Atomic int64_t *dst, int64_t v, bool update)
{
	if (update && v == 0)
		return;
	atomic_store(dst, v < 0 && dst != &lim_memory_swap ? 0 : v);
}

void limits_set(const struct sandbox_limits *l, bool update)
{
	set_one(&lim_memory, l->memory, update);
	set_one(&lim_memory_swap, l->memory_swap, update);
	set_one(&lim_pids, l->pids, update);
	set_one(&lim_cpu_quota, l->cpu_quota, update);
	set_one(&lim_cpu_period, l->cpu_period, update);
	set_one(&lim_cpu_shares, l->cpu_shares, update);
}

void limits_get(struct sandbox_limits *out)
{
	out->memory = atomic_load(&lim_memory);
	out->memory_swap = atomic_load(&lim_memory_swap);
	out->pids = atomic_load(&lim_pids);
	out->cpu_quota = atomic_load(&lim_cpu_quota);
	out->cpu_period = atomic_load(&lim_cpu_period);
	out->cpu_shares = atomic_load(&lim_cpu_shares);
}

uint64_t limits_mem_total(uint64_t host_total)
{
	int64_t m = atomic_load(&lim_memory);
	return m > 0 && (uint64_t)m < host_total ? (uint64_t)m : host_total;
}

bool limits_pids_allow(int64_t ntasks)
{
	int64_t p = atomic_load(&lim_pids);
	return p <= 0 || ntasks < p;
}
