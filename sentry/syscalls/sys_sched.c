/*
 * sys_sched.c — sched_setscheduler, sched_getscheduler, sched_setparam,
 * sched_getparam, sched_rr_get_interval, sched_setattr, sched_getattr,
 * ioprio_set, ioprio_get: argument checks and struct sched_attr's size
 * rules in Linux's order; the attributes and their permission rules are
 * the kernel's (sentry/kernel/sched.c).
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "lib/page.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

#define SCHED_RESET_ON_FORK_BIT 0x40000000

/* struct sched_attr, as of SCHED_ATTR_SIZE_VER1 (the uclamp fields). */
struct app_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};
#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_ATTR_SIZE_VER1 56
_Static_assert(sizeof(struct app_sched_attr) == SCHED_ATTR_SIZE_VER1, "sched_attr layout");

#define FLAG_RESET_ON_FORK 0x01
#define FLAG_RECLAIM 0x02
#define FLAG_DL_OVERRUN 0x04
#define FLAG_KEEP_POLICY 0x08
#define FLAG_KEEP_PARAMS 0x10
#define FLAG_UTIL_CLAMP 0x60
#define FLAG_ALL 0x7f
#define FLAG_SUGOV 0x10000000

static int64_t sys_sched_setscheduler(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0], policy = (int)a[1];
	if (policy < 0 || !a[2] || pid < 0)
		return -EINVAL;
	struct sched_param p;
	if (task_copy_in(t, &p, a[2], sizeof(p)))
		return -EFAULT;
	struct sched_attrs cur;
	int r = sched_get(t, pid, &cur);
	if (r)
		return r;
	struct sched_attrs w = {.policy = policy & ~SCHED_RESET_ON_FORK_BIT,
				.priority = p.sched_priority,
				.nice = cur.nice,
				.reset_on_fork = (policy & SCHED_RESET_ON_FORK_BIT) != 0};
	return sched_set(t, pid, &w);
}

static int64_t sys_sched_setparam(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	if (!a[1] || pid < 0)
		return -EINVAL;
	struct sched_param p;
	if (task_copy_in(t, &p, a[1], sizeof(p)))
		return -EFAULT;
	struct sched_attrs cur;
	int r = sched_get(t, pid, &cur);
	if (r)
		return r;
	struct sched_attrs w = {.policy = SCHED_KEEP_POLICY, .priority = p.sched_priority,
				.nice = cur.nice};
	return sched_set(t, pid, &w);
}

static int64_t sys_sched_getscheduler(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	if (pid < 0)
		return -EINVAL;
	struct sched_attrs cur;
	int r = sched_get(t, pid, &cur);
	if (r)
		return r;
	return cur.policy | (cur.reset_on_fork ? SCHED_RESET_ON_FORK_BIT : 0);
}

static int64_t sys_sched_getparam(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	if (!a[1] || pid < 0)
		return -EINVAL;
	struct sched_attrs cur;
	int r = sched_get(t, pid, &cur);
	if (r)
		return r;
	struct sched_param p = {.sched_priority = cur.priority};
	return task_copy_out(t, a[1], &p, sizeof(p)) ? -EFAULT : 0;
}

static int64_t sys_sched_rr_get_interval(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	if (pid < 0)
		return -EINVAL;
	struct sched_attrs cur;
	int r = sched_get(t, pid, &cur);
	if (r)
		return r;
	/* As Linux: SCHED_RR's time slice (sched_rr_timeslice_ms, 100 ms);
	 * 0 for FIFO, and here for the fair classes too (Linux's CFS answers
	 * with the slice it would give the task now, 0 on an idle queue). */
	struct timespec ts = {0, cur.policy == SCHED_RR ? 100 * 1000 * 1000 : 0};
	return task_copy_out(t, a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

static int64_t sys_sched_setattr(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	uint64_t uattr = a[1];
	if (!uattr || pid < 0 || (unsigned int)a[2])
		return -EINVAL;
	uint32_t size;
	if (task_copy_in(t, &size, uattr, sizeof(size)))
		return -EFAULT;
	if (!size)
		size = SCHED_ATTR_SIZE_VER0;
	struct app_sched_attr at;
	memset(&at, 0, sizeof(at));
	bool too_big = size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE;
	if (!too_big) {
		if (task_copy_in(t, &at, uattr, size < sizeof(at) ? size : sizeof(at)))
			return -EFAULT;
		/* As copy_struct_from_user: what this kernel does not know must
		 * be zero. */
		for (uint32_t off = sizeof(at); off < size && !too_big;) {
			uint8_t buf[256];
			uint32_t n = size - off < sizeof(buf) ? size - off : (uint32_t)sizeof(buf);
			if (task_copy_in(t, buf, uattr + off, n))
				return -EFAULT;
			for (uint32_t i = 0; i < n; i++)
				too_big |= buf[i] != 0;
			off += n;
		}
	}
	if (too_big) {
		/* As Linux: the size it knows goes back to the caller. */
		uint32_t known = sizeof(at);
		task_copy_out(t, uattr, &known, sizeof(known));
		return -E2BIG;
	}
	if ((at.sched_flags & FLAG_UTIL_CLAMP) && size < SCHED_ATTR_SIZE_VER1)
		return -EINVAL;
	if (at.sched_nice < -20)
		at.sched_nice = -20;
	if (at.sched_nice > 19)
		at.sched_nice = 19;
	if ((int32_t)at.sched_policy < 0)
		return -EINVAL;
	struct sched_attrs cur;
	int r = sched_get(t, pid, &cur);
	if (r)
		return r;
	struct sched_attrs w = {.policy = (int)at.sched_policy,
				.priority = at.sched_priority > 99 ? 100 : (int)at.sched_priority,
				.nice = at.sched_nice,
				.reset_on_fork = (at.sched_flags & FLAG_RESET_ON_FORK) != 0};
	if (at.sched_flags & FLAG_KEEP_POLICY)
		w.policy = SCHED_KEEP_POLICY;
	if (at.sched_flags & FLAG_KEEP_PARAMS) {
		w.priority = cur.priority;
		w.nice = cur.nice;
	}
	if (at.sched_flags & ~(uint64_t)(FLAG_ALL | FLAG_SUGOV))
		return -EINVAL;
	if (at.sched_flags & FLAG_SUGOV)
		return -EINVAL; /* as Linux: not for users */
	if (at.sched_flags & FLAG_UTIL_CLAMP)
		return -EOPNOTSUPP; /* as a Linux without CONFIG_UCLAMP_TASK */
	return sched_set(t, pid, &w);
}

static int64_t sys_sched_getattr(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	uint64_t uattr = a[1];
	uint32_t usize = (uint32_t)a[2];
	if (!uattr || pid < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE_VER0 ||
	    (unsigned int)a[3])
		return -EINVAL;
	struct sched_attrs cur;
	int r = sched_get(t, pid, &cur);
	if (r)
		return r;
	struct app_sched_attr at;
	memset(&at, 0, sizeof(at));
	at.sched_policy = (uint32_t)cur.policy;
	at.sched_flags = cur.reset_on_fork ? FLAG_RESET_ON_FORK : 0;
	if (cur.policy == SCHED_FIFO || cur.policy == SCHED_RR)
		at.sched_priority = (uint32_t)cur.priority;
	else
		at.sched_nice = cur.nice;
	uint32_t n = usize < sizeof(at) ? usize : (uint32_t)sizeof(at);
	at.size = n;
	if (task_copy_out(t, uattr, &at, n))
		return -EFAULT;
	/* As Linux: a larger buffer's tail is cleared. */
	static const uint8_t zero[256];
	for (uint32_t off = n; off < usize;) {
		uint32_t c = usize - off < sizeof(zero) ? usize - off : (uint32_t)sizeof(zero);
		if (task_copy_out(t, uattr + off, zero, c))
			return -EFAULT;
		off += c;
	}
	return 0;
}

static int64_t sys_ioprio_set(struct task *t, const uint64_t a[6])
{
	return task_ioprio_set(t, (int)a[0], (int)a[1], (int)a[2]);
}

static int64_t sys_ioprio_get(struct task *t, const uint64_t a[6])
{
	return task_ioprio_get(t, (int)a[0], (int)a[1]);
}

const struct syscall_def sys_sched_defs[] = {
	{SYS_sched_setscheduler, "sched_setscheduler", sys_sched_setscheduler},
	{SYS_sched_getscheduler, "sched_getscheduler", sys_sched_getscheduler},
	{SYS_sched_setparam, "sched_setparam", sys_sched_setparam},
	{SYS_sched_getparam, "sched_getparam", sys_sched_getparam},
	{SYS_sched_rr_get_interval, "sched_rr_get_interval", sys_sched_rr_get_interval},
	{SYS_sched_setattr, "sched_setattr", sys_sched_setattr},
	{SYS_sched_getattr, "sched_getattr", sys_sched_getattr},
	{SYS_ioprio_set, "ioprio_set", sys_ioprio_set},
	{SYS_ioprio_get, "ioprio_get", sys_ioprio_get},
	{0},
};
