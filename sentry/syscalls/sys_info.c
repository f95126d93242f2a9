/*
 * sys_info.c — system information and per-process limits: uname,
 * sethostname, setdomainname, sysinfo, getrandom, getrlimit, setrlimit,
 * prlimit64, getrusage, the sched_* queries, getcpu, getpriority,
 * setpriority, personality.
 *
 * What comes from the host, and why:
 *   - sysinfo: RAM and swap figures from the host's sysinfo(2) at call time
 *     (the jailed Sentry cannot read /proc/meminfo); uptime and the process
 *     count are the sandbox's; load averages are not computed: 0.
 *   - getrandom: the host's getrandom(2).
 *   - CPU affinity: the CPUs the Sentry itself may run on (its host affinity,
 *     which honours a cpuset given to the container).  A task's own mask
 *     (sched_setaffinity: taskset, numactl) is recorded and reported, and
 *     inherited, as the other scheduling attributes (sched.c), not applied
 *     to the host threads: the task runs on any of the sandbox's CPUs.
 *   - getcpu: the CPU of the Sentry thread serving the task (the vDSO's:
 *     the CPU the app's thread runs on), which the task's mask does not
 *     bound.
 * Limits and nice values are the kernel's (sentry/kernel/resource.c and
 * sched.c); the other sched_* calls are in sys_sched.c.
 *
 * The UTS names are those of the task's UTS namespace (sentry/kernel/ns.c,
 * which keeps them under uts_lock).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "lib/lockdep.h"
#include "sentry/kernel/hostcpu.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/ns.h"
#include "sentry/kernel/resource.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memfile.h"
#include "sentry/syscalls/syscalls.h"

#define UTS_LEN 64 /* __NEW_UTS_LEN */
#define CAP_SYS_ADMIN_NR 21
#define NSEC_PER_SEC 1000000000LL
#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif


/* ---- uname and host/domain names ---- */

struct new_utsname {
	char sysname[UTS_LEN + 1];
	char nodename[UTS_LEN + 1];
	char release[UTS_LEN + 1];
	char version[UTS_LEN + 1];
	char machine[UTS_LEN + 1];
	char domainname[UTS_LEN + 1];
};

static int64_t sys_uname(struct task *t, const uint64_t a[6])
{
	struct new_utsname u;
	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	strcpy(u.release, "6.1.0-visor");
	strcpy(u.version, "#1 SMP visor");
	strcpy(u.machine, "x86_64");
	uts_get(t, u.nodename, u.domainname); /* t's UTS namespace (ns.c) */
	return task_copy_out(t, a[0], &u, sizeof(u)) ? -EFAULT : 0;
}

/* sethostname/setdomainname: as Linux, EPERM before EINVAL before EFAULT. */
static int64_t set_uts_name(struct task *t, void (*set)(struct task *, const char *),
			    uint64_t addr, int64_t len)
{
	if (!creds_capable(t->creds, CAP_SYS_ADMIN_NR))
		return -EPERM;
	if (len < 0 || len > UTS_LEN)
		return -EINVAL;
	char buf[UTS_LEN + 1] = {0};
	if (len && task_copy_in(t, buf, addr, (size_t)len))
		return -EFAULT;
	set(t, buf);
	return 0;
}

static int64_t sys_sethostname(struct task *t, const uint64_t a[6])
{
	return set_uts_name(t, uts_set_hostname, a[0], (int)a[1]);
}

static int64_t sys_setdomainname(struct task *t, const uint64_t a[6])
{
	return set_uts_name(t, uts_set_domainname, a[0], (int)a[1]);
}

/* ---- sysinfo ---- */

static int64_t sys_sysinfo(struct task *t, const uint64_t a[6])
{
	struct sysinfo host, si;
	memset(&si, 0, sizeof(si));
	if (sysinfo(&host) == 0) {
		si.totalram = host.totalram;
		si.freeram = host.freeram;
		si.sharedram = host.sharedram;
		si.bufferram = host.bufferram;
		si.totalswap = host.totalswap;
		si.freeswap = host.freeswap;
		si.totalhigh = host.totalhigh;
		si.freehigh = host.freehigh;
		si.mem_unit = host.mem_unit;
	} else {
		si.mem_unit = 1;
	}
	/* The container's memory limit is its machine's memory (limits.h);
	 * what its memory file holds is what it uses. */
	uint64_t unit = si.mem_unit ? si.mem_unit : 1;
	uint64_t total = limits_mem_total((uint64_t)si.totalram * unit);
	if (total < (uint64_t)si.totalram * unit) {
		uint64_t used = memfile_used(t->k->mf);
		si.totalram = total / unit;
		si.freeram = (total > used ? total - used : 0) / unit;
		/* As its /proc/meminfo: no buffers, no shared memory. */
		si.bufferram = 0;
		si.sharedram = 0;
	}
	/* As Linux: boot-time seconds, rounded up. */
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	int64_t up = (int64_t)now.tv_sec * NSEC_PER_SEC + now.tv_nsec -
		     ((int64_t)t->k->boot_mono.tv_sec * NSEC_PER_SEC + t->k->boot_mono.tv_nsec);
	if (up < 0)
		up = 0;
	si.uptime = up / NSEC_PER_SEC + (up % NSEC_PER_SEC ? 1 : 0);
	int n = kernel_nr_tasks(t->k);
	si.procs = (unsigned short)(n > USHRT_MAX ? USHRT_MAX : n);
	return task_copy_out(t, a[0], &si, sizeof(si)) ? -EFAULT : 0;
}

/* ---- getrandom ---- */

static int64_t sys_getrandom(struct task *t, const uint64_t a[6])
{
	uint64_t addr = a[0];
	size_t len = a[1];
	unsigned flags = (unsigned)a[2];
	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	/* Insecure and blocking-pool randomness at once makes no sense (Linux). */
	if ((flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM))
		return -EINVAL;
	if (len > INT_MAX)
		len = INT_MAX;
	/* The host's pool has been ready since its boot: GRND_RANDOM means the
	 * same pool since Linux 5.6, and GRND_INSECURE must never block. */
	unsigned host_flags = flags & (GRND_NONBLOCK | GRND_INSECURE) ? GRND_NONBLOCK : 0;
	unsigned char buf[4096];
	size_t done = 0;
	int64_t ret = 0;
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t got = getrandom(buf, n, host_flags);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (task_copy_out(t, addr + done, buf, (size_t)got)) {
			ret = -EFAULT;
			break;
		}
		done += (size_t)got;
		/* As Linux: a signal ends a long read with what was copied. */
		if (done < len && task_signal_pending(t))
			break;
	}
	explicit_bzero(buf, sizeof(buf));
	return done ? (int64_t)done : ret;
}

/* ---- finding another task ---- */

/* Does task pid exist?  0 or -ESRCH (pid 0 is the caller). */
static int task_exists(struct task *t, int pid)
{
	if (pid == 0 || pid == t->tid)
		return 0;
	return kernel_task_exists(t->k, pid) ? 0 : -ESRCH;
}

/* ---- rlimits ---- */

static int64_t sys_getrlimit(struct task *t, const uint64_t a[6])
{
	unsigned resource = (unsigned)a[0];
	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	struct rlimit rl;
	task_prlimit(t, 0, resource, NULL, &rl);
	return task_copy_out(t, a[1], &rl, sizeof(rl)) ? -EFAULT : 0;
}

static int64_t sys_setrlimit(struct task *t, const uint64_t a[6])
{
	struct rlimit rl;
	if (task_copy_in(t, &rl, a[1], sizeof(rl)))
		return -EFAULT;
	return task_prlimit(t, 0, (unsigned)a[0], &rl, NULL);
}

static int64_t sys_prlimit64(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	unsigned resource = (unsigned)a[1];
	struct rlimit new_rl, old_rl;
	if (a[2] && task_copy_in(t, &new_rl, a[2], sizeof(new_rl)))
		return -EFAULT;
	int r = task_prlimit(t, pid, resource, a[2] ? &new_rl : NULL, a[3] ? &old_rl : NULL);
	if (r)
		return r;
	if (a[3] && task_copy_out(t, a[3], &old_rl, sizeof(old_rl)))
		return -EFAULT;
	return 0;
}

/* ---- getrusage ---- */

static struct timeval ns_tv(uint64_t ns)
{
	struct timeval tv = {.tv_sec = (time_t)(ns / NSEC_PER_SEC),
			     .tv_usec = (suseconds_t)(ns % NSEC_PER_SEC / 1000)};
	return tv;
}

static int64_t sys_getrusage(struct task *t, const uint64_t a[6])
{
	int who = (int)a[0];
	struct thread_group *tg = t->tg;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru)); /* page faults, context switches...: not counted */
	switch (who) {
	case RUSAGE_SELF:
		ru.ru_utime = ns_tv(__atomic_load_n(&tg->utime_ns, __ATOMIC_RELAXED));
		ru.ru_stime = ns_tv(__atomic_load_n(&tg->stime_ns, __ATOMIC_RELAXED));
		break;
	case RUSAGE_CHILDREN:
		ru.ru_utime = ns_tv(__atomic_load_n(&tg->cutime_ns, __ATOMIC_RELAXED));
		ru.ru_stime = ns_tv(__atomic_load_n(&tg->cstime_ns, __ATOMIC_RELAXED));
		break;
	case RUSAGE_THREAD: {
		/* No per-thread accounting yet: the host CPU time of the Sentry
		 * thread serving this task, reported as system time (the same
		 * approximation as CLOCK_THREAD_CPUTIME_ID, see sys_time.c). */
		struct timespec ts;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		ru.ru_stime.tv_sec = ts.tv_sec;
		ru.ru_stime.tv_usec = ts.tv_nsec / 1000;
		break;
	}
	default:
		return -EINVAL;
	}
	return task_copy_out(t, a[1], &ru, sizeof(ru)) ? -EFAULT : 0;
}

/* ---- CPU affinity and scheduling queries ---- */

static int64_t sys_sched_getaffinity(struct task *t, const uint64_t a[6])
{
	unsigned len = (unsigned)a[1], host_mask_size;
	const uint64_t *host_mask = hostcpu_mask(&host_mask_size);
	/* As Linux: the buffer must hold nr_cpu_ids bits in whole longs. */
	if (len < host_mask_size || (len & (sizeof(long) - 1)))
		return -EINVAL;
	uint64_t mask[HOSTCPU_MASK_BYTES / 8];
	memcpy(mask, host_mask, host_mask_size);
	if (host_mask_size <= SCHED_AFFINITY_WORDS * 8) {
		int r = sched_affinity_get(t, (int)a[0], host_mask, host_mask_size / 8, mask);
		if (r)
			return r;
	} else {
		int r = task_exists(t, (int)a[0]);
		if (r)
			return r;
	}
	if (task_copy_out(t, a[2], mask, host_mask_size))
		return -EFAULT;
	return host_mask_size;
}

static int64_t sys_sched_setaffinity(struct task *t, const uint64_t a[6])
{
	unsigned len = (unsigned)a[1], host_mask_size;
	const uint64_t *host_mask = hostcpu_mask(&host_mask_size);
	uint64_t want[HOSTCPU_MASK_BYTES / 8] = {0};
	/* As get_user_cpu_mask: a short mask is read as far as given. */
	size_t n = len < host_mask_size ? len : host_mask_size;
	if (task_copy_in(t, want, a[2], n))
		return -EFAULT;
	if (host_mask_size <= SCHED_AFFINITY_WORDS * 8)
		return sched_affinity_set(t, (int)a[0], host_mask, host_mask_size / 8, want);
	/* More CPUs than a task's mask holds: only the no-op is honest. */
	int r = task_exists(t, (int)a[0]);
	if (r)
		return r;
	bool any = false, all = true;
	for (unsigned i = 0; i < host_mask_size / 8; i++) {
		if (want[i] & host_mask[i])
			any = true;
		if ((want[i] & host_mask[i]) != host_mask[i])
			all = false;
	}
	if (!any)
		return -EINVAL; /* as Linux: no allowed CPU left */
	return all ? 0 : -EINVAL;
}

static int64_t sys_sched_yield(struct task *t, const uint64_t a[6])
{
	sched_yield();
	return 0;
}

static int64_t sys_getcpu(struct task *t, const uint64_t a[6])
{
	unsigned cpu = 0, node = 0;
	if (syscall(SYS_getcpu, &cpu, &node, NULL) != 0)
		cpu = node = 0;
	if (a[0] && task_copy_out(t, a[0], &cpu, sizeof(cpu)))
		return -EFAULT;
	if (a[1] && task_copy_out(t, a[1], &node, sizeof(node)))
		return -EFAULT;
	return 0;
}

static int64_t sys_sched_get_priority_max(struct task *t, const uint64_t a[6])
{
	switch ((int)a[0]) {
	case SCHED_FIFO:
	case SCHED_RR:
		return 99;
	case SCHED_OTHER:
	case SCHED_BATCH:
	case SCHED_IDLE:
	case 6: /* SCHED_DEADLINE */
		return 0;
	}
	return -EINVAL;
}

static int64_t sys_sched_get_priority_min(struct task *t, const uint64_t a[6])
{
	switch ((int)a[0]) {
	case SCHED_FIFO:
	case SCHED_RR:
		return 1;
	case SCHED_OTHER:
	case SCHED_BATCH:
	case SCHED_IDLE:
	case 6: /* SCHED_DEADLINE */
		return 0;
	}
	return -EINVAL;
}

/* ---- nice ---- */

static int64_t sys_getpriority(struct task *t, const uint64_t a[6])
{
	int which = (int)a[0], who = (int)a[1];
	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	return task_getpriority(t, which, who);
}

static int64_t sys_setpriority(struct task *t, const uint64_t a[6])
{
	int which = (int)a[0], who = (int)a[1], nice = (int)a[2];
	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	return task_setpriority(t, which, who, nice);
}

/* ---- personality ---- */

static int64_t sys_personality(struct task *t, const uint64_t a[6])
{
	uint32_t persona = (uint32_t)a[0];
	/* Only PER_LINUX exists here: a query, or setting it again, returns it. */
	if (persona == 0xffffffffu || persona == 0 /* PER_LINUX */)
		return 0;
	return -EINVAL;
}

const struct syscall_def sys_info_defs[] = {
	{SYS_uname, "uname", sys_uname},
	{SYS_sethostname, "sethostname", sys_sethostname},
	{SYS_setdomainname, "setdomainname", sys_setdomainname},
	{SYS_sysinfo, "sysinfo", sys_sysinfo},
	{SYS_getrandom, "getrandom", sys_getrandom},
	{SYS_getrlimit, "getrlimit", sys_getrlimit},
	{SYS_setrlimit, "setrlimit", sys_setrlimit},
	{SYS_prlimit64, "prlimit64", sys_prlimit64},
	{SYS_getrusage, "getrusage", sys_getrusage},
	{SYS_sched_getaffinity, "sched_getaffinity", sys_sched_getaffinity},
	{SYS_sched_setaffinity, "sched_setaffinity", sys_sched_setaffinity},
	{SYS_sched_yield, "sched_yield", sys_sched_yield},
	{SYS_getcpu, "getcpu", sys_getcpu},
	{SYS_sched_get_priority_max, "sched_get_priority_max", sys_sched_get_priority_max},
	{SYS_sched_get_priority_min, "sched_get_priority_min", sys_sched_get_priority_min},
	{SYS_getpriority, "getpriority", sys_getpriority},
	{SYS_setpriority, "setpriority", sys_setpriority},
	{SYS_personality, "personality", sys_personality},
	{0},
};
