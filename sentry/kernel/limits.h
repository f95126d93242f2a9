/*
 * limits.h — the container's resource limits (OCI linux.resources, Docker's
 * --memory, --pids-limit, --cpus...) as the Sentry enforces and shows them.
 *
 * The host cgroup bounds the sandbox as a whole (runtime/cgroup.c); these are
 * the limits the app sees and meets: /proc/meminfo and sysinfo(2) report the
 * memory limit as the machine's memory, fork and clone fail with EAGAIN at
 * the pids limit (Linux's pids controller), and the sandbox's /sys/fs/cgroup
 * shows them.  Set at boot from the spec and again by `visor update`
 * through the control server.
 *
 * Locking: none; every field is read and written atomically (a reader may
 * see an update half applied, as with cgroup files written one by one).
 */
#ifndef VISOR_SENTRY_KERNEL_LIMITS_H
#define VISOR_SENTRY_KERNEL_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

struct sandbox_limits {
	int64_t memory;      /* bytes; 0 = none */
	int64_t memory_swap; /* memory + swap, bytes; 0 = none, -1 = unlimited */
	int64_t pids;        /* tasks (threads count); 0 = none */
	int64_t cpu_quota;   /* us per period; 0 = none */
	int64_t cpu_period;  /* us; 0 = the default (100000) */
	int64_t cpu_shares;  /* 0 = the default (1024) */
};

/* Replace the limits with l's fields; with update, a 0 field leaves the
 * current value (as `docker update` sends its fields) and -1 lifts it. */
void limits_set(const struct sandbox_limits *l, bool update);
void limits_get(struct sandbox_limits *out);

/* The memory the sandbox may use: host_total, or the limit if lower. */
uint64_t limits_mem_total(uint64_t host_total);
/* May one more task be made when ntasks exist? */
bool limits_pids_allow(int64_t ntasks);

#endif
