/*
 * sys_futex.c — futex(2), set_robust_list(2), get_robust_list(2).
 *
 * Argument checking and timeout conversion only; the futex table is in
 * sentry/kernel/futex.c.  Timeouts: FUTEX_WAIT takes a relative time (measured
 * on CLOCK_MONOTONIC), FUTEX_WAIT_BITSET an absolute one on the sandbox's
 * CLOCK_MONOTONIC (host monotonic minus k->boot_mono, see sys_time.c) or, with
 * FUTEX_CLOCK_REALTIME, on CLOCK_REALTIME.  Both become an absolute host
 * CLOCK_MONOTONIC deadline; a realtime deadline is converted once, when the
 * call starts, so a later change of the host's wall clock does not move it.
 *
 * Interrupted waits restart as Linux: without a timeout -ERESTARTSYS, with
 * one -ERESTART_RESTARTBLOCK and a restart block holding the absolute deadline.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

#define NSEC_PER_SEC 1000000000LL

/* struct robust_list_head: next, futex_offset, list_op_pending. */
#define ROBUST_LIST_HEAD_SIZE 24

static int64_t ts_ns_sat(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / NSEC_PER_SEC)
		return INT64_MAX;
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

static int64_t host_now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts_ns_sat(&ts);
}

static struct timespec ns_ts(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};
	return ts;
}

static int64_t futex_wait_restart(struct task *t);

/* Wait with an absolute host-monotonic deadline in ns (-1: none) and turn an
 * interruption into the restart code Linux's futex_wait returns. */
static int64_t futex_do_wait(struct task *t, uint64_t addr, bool priv, uint32_t val,
			     uint32_t bitset, int64_t deadline_ns)
{
	struct timespec dl, *dlp = NULL;
	if (deadline_ns >= 0) {
		dl = ns_ts(deadline_ns);
		dlp = &dl;
	}
	int r = futex_wait(t, addr, priv, val, bitset, dlp);
	if (r != -EINTR)
		return r;
	if (!dlp)
		return -ERESTARTSYS;
	t->restart_arg[0] = addr;
	t->restart_arg[1] = (uint64_t)val | ((uint64_t)priv << 32);
	t->restart_arg[2] = (uint64_t)deadline_ns;
	t->restart_arg[3] = bitset;
	t->restart_fn = futex_wait_restart;
	return -ERESTART_RESTARTBLOCK;
}

static int64_t futex_wait_restart(struct task *t)
{
	t->restart_fn = NULL; /* as Linux: do_no_restart_syscall unless set again */
	return futex_do_wait(t, t->restart_arg[0], (t->restart_arg[1] >> 32) & 1,
			     (uint32_t)t->restart_arg[1], (uint32_t)t->restart_arg[3],
			     (int64_t)t->restart_arg[2]);
}

static int64_t sys_futex(struct task *t, const uint64_t a[6])
{
	uint64_t uaddr = a[0];
	int op = (int)a[1];
	uint32_t val = (uint32_t)a[2];
	uint64_t utime = a[3];
	uint64_t uaddr2 = a[4];
	uint32_t val3 = (uint32_t)a[5];
	int cmd = op & FUTEX_CMD_MASK;
	bool priv = op & FUTEX_PRIVATE_FLAG;
	bool clockrt = op & FUTEX_CLOCK_REALTIME;

	int64_t deadline = -1;
	if (utime && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)) {
		struct timespec ts;
		if (task_copy_in(t, &ts, utime, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC_PER_SEC)
			return -EINVAL;
		int64_t v = ts_ns_sat(&ts);
		int64_t mono = host_now_ns(CLOCK_MONOTONIC);
		if (cmd == FUTEX_WAIT) {
			deadline = add_sat(mono, v);
		} else if (clockrt) {
			deadline = add_sat(mono, v - host_now_ns(CLOCK_REALTIME));
		} else {
			deadline = add_sat(v, ts_ns_sat(&t->k->boot_mono));
		}
		if (deadline < 0)
			deadline = 0; /* already past */
	}
	/* As Linux 5.11+: FUTEX_CLOCK_REALTIME only with the absolute waits. */
	if (clockrt && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;

	switch (cmd) {
	case FUTEX_WAIT:
		return futex_do_wait(t, uaddr, priv, val, FUTEX_BITSET_ANY, deadline);
	case FUTEX_WAIT_BITSET:
		return futex_do_wait(t, uaddr, priv, val, val3, deadline);
	case FUTEX_WAKE:
		return futex_wake(t, uaddr, priv, (int)val, FUTEX_BITSET_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(t, uaddr, priv, (int)val, val3);
	case FUTEX_REQUEUE:
		/* val2 (the requeue count) travels in the timeout argument. */
		return futex_requeue(t, uaddr, uaddr2, priv, (int)val, (int)(uint32_t)utime, false,
				     0);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(t, uaddr, uaddr2, priv, (int)val, (int)(uint32_t)utime, true,
				     val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(t, uaddr, uaddr2, priv, (int)val, (int)(uint32_t)utime, val3);
	}
	/* PI futexes, FUTEX_WAIT_REQUEUE_PI, the removed FUTEX_FD, unknown ops. */
	return -ENOSYS;
}

static int64_t sys_set_robust_list(struct task *t, const uint64_t a[6])
{
	if (a[1] != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	t->robust_list = a[0];
	t->robust_len = a[1];
	return 0;
}

/* As ptrace_may_access(PTRACE_MODE_READ_REALCREDS) without LSMs: the same
 * process, matching real/effective/saved ids, or CAP_SYS_PTRACE. */
static bool may_read_task(const struct creds *c, const struct creds *tc)
{
	return creds_ids_match(c, tc) || creds_capable(c, 19 /* CAP_SYS_PTRACE */);
}

static int64_t sys_get_robust_list(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	uint64_t head;
	if (pid == 0 || pid == t->tid) {
		head = t->robust_list;
	} else {
		struct task *p = kernel_get_task(t->k, pid);
		if (!p)
			return -ESRCH;
		bool ok = p->tg == t->tg;
		if (!ok) {
			struct creds *pc = task_creds(p);
			ok = pc && may_read_task(t->creds, pc);
			creds_put(pc);
		}
		head = p->robust_list;
		task_put(p);
		if (!ok)
			return -EPERM;
	}
	uint64_t len = ROBUST_LIST_HEAD_SIZE;
	if (task_copy_out(t, a[2], &len, sizeof(len)))
		return -EFAULT;
	if (task_copy_out(t, a[1], &head, sizeof(head)))
		return -EFAULT;
	return 0;
}

const struct syscall_def sys_futex_defs[] = {
	{SYS_futex, "futex", sys_futex},
	{SYS_set_robust_list, "set_robust_list", sys_set_robust_list},
	{SYS_get_robust_list, "get_robust_list", sys_get_robust_list},
	{0},
};
