/*
 * sys_memcalls.c — mincore, membarrier, and the NUMA policy calls
 * (get_mempolicy, set_mempolicy, mbind) answered as a one-node Linux does.
 *
 * membarrier: every command is served by the host's MEMBARRIER_CMD_GLOBAL
 * (synchronize_rcu: every CPU passes through a state that orders its memory
 * accesses), which covers the app's threads wherever their stub threads
 * run; the registrations are kept per process with Linux's rules.  rseq is
 * not offered, so no rseq critical section exists and the RSEQ commands are
 * the same barrier.
 *
 * NUMA: node 0 is the only node.  set_mempolicy is recorded per task (what
 * get_mempolicy reports); mbind is checked as Linux checks it and changes
 * nothing (one node: no placement to change), so get_mempolicy with
 * MPOL_F_ADDR reports the default policy.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/page.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tg_attrs.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* ---- mincore ---- */

static int64_t sys_mincore(struct task *t, const uint64_t a[6])
{
	uint64_t start = a[0], len = a[1], vec = a[2];
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (start + len < start || start + len > 0x7ffffffff000ULL)
		return -ENOMEM;
	uint64_t pages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	uint8_t buf[4096];
	for (uint64_t done = 0; done < pages;) {
		uint64_t n = pages - done < sizeof(buf) ? pages - done : sizeof(buf);
		int r = mm_mincore(t->mm, start + done * PAGE_SIZE, n, buf);
		if (r)
			return r;
		if (task_copy_out(t, vec + done, buf, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

/* ---- membarrier ---- */

/* Linux's MEMBARRIER_STATE_* bits. */
enum {
	MB_PRIVATE_EXPEDITED_READY = 1 << 0,
	MB_PRIVATE_EXPEDITED = 1 << 1,
	MB_GLOBAL_EXPEDITED_READY = 1 << 2,
	MB_GLOBAL_EXPEDITED = 1 << 3,
	MB_SYNC_CORE_READY = 1 << 4,
	MB_SYNC_CORE = 1 << 5,
	MB_RSEQ_READY = 1 << 6,
	MB_RSEQ = 1 << 7,
};
#define CMD_GET_REGISTRATIONS 512
#define CMD_FLAG_CPU 1

static int host_barrier(void)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return 0;
	return -errno;
}

static unsigned mb_state(struct task *t, unsigned set)
{
	return tg_membarrier_state(t, set); /* per process, in the kernel */
}

static int64_t sys_membarrier(struct task *t, const uint64_t a[6])
{
	int cmd = (int)a[0];
	unsigned flags = (unsigned)a[1];
	if (cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) {
		if (flags && flags != CMD_FLAG_CPU)
			return -EINVAL;
	} else if (flags) {
		return -EINVAL;
	}
	unsigned st = mb_state(t, 0);
	switch (cmd) {
	case MEMBARRIER_CMD_QUERY:
		return MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |
		       MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
		       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
		       MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |
		       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE |
		       MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ |
		       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ | CMD_GET_REGISTRATIONS;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		return host_barrier();
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
		mb_state(t, MB_GLOBAL_EXPEDITED | MB_GLOBAL_EXPEDITED_READY);
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
		return (st & MB_PRIVATE_EXPEDITED_READY) ? host_barrier() : -EPERM;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
		return (st & MB_SYNC_CORE_READY) ? host_barrier() : -EPERM;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ:
		return (st & MB_RSEQ_READY) ? host_barrier() : -EPERM;
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
		mb_state(t, MB_PRIVATE_EXPEDITED | MB_PRIVATE_EXPEDITED_READY);
		return 0;
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		/* As Linux: the plain private state bit comes with it. */
		mb_state(t, MB_PRIVATE_EXPEDITED | MB_SYNC_CORE | MB_SYNC_CORE_READY);
		return 0;
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ:
		mb_state(t, MB_PRIVATE_EXPEDITED | MB_RSEQ | MB_RSEQ_READY);
		return 0;
	case CMD_GET_REGISTRATIONS: {
		int r = 0;
		if (st & (MB_GLOBAL_EXPEDITED | MB_GLOBAL_EXPEDITED_READY))
			r |= MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
		if (st & (MB_PRIVATE_EXPEDITED | MB_PRIVATE_EXPEDITED_READY))
			r |= MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
		if (st & (MB_SYNC_CORE | MB_SYNC_CORE_READY))
			r |= MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;
		if (st & (MB_RSEQ | MB_RSEQ_READY))
			r |= MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ;
		return r;
	}
	}
	return -EINVAL;
}

/* ---- NUMA policies ---- */

enum { MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL,
       MPOL_PREFERRED_MANY, MPOL_WEIGHTED_INTERLEAVE, MPOL_MAX };
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_MODE_FLAGS (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_VALID 0x7 /* STRICT, MOVE, MOVE_ALL */
#define MPOL_MF_MOVE_ALL 4
#define ONLINE_NODES 1ULL /* node 0 */

/* As Linux's get_nodes: the user's mask of maxnode - 1 bits.  Bits past
 * the one word this kernel knows must be zero. */
static int get_nodes(struct task *t, uint64_t umask, uint64_t maxnode, uint64_t *nodes)
{
	*nodes = 0;
	if (maxnode)
		maxnode--;
	if (maxnode == 0 || !umask)
		return 0;
	if (maxnode > PAGE_SIZE * 8)
		return -EINVAL;
	uint64_t words = (maxnode + 63) / 64;
	for (uint64_t i = 0; i < words; i++) {
		uint64_t w;
		if (task_copy_in(t, &w, umask + i * 8, 8))
			return -EFAULT;
		uint64_t bits = maxnode - i * 64;
		if (bits < 64)
			w &= (1ULL << bits) - 1;
		if (i == 0)
			*nodes = w;
		else if (w)
			return -EINVAL; /* a node past MAX_NUMNODES */
	}
	return 0;
}

/* As Linux's sanitize_mpol_flags and mpol_new: the mode (LOCAL for an
 * empty PREFERRED) or -EINVAL. */
static int check_policy(int mode, uint64_t nodes)
{
	int flags = mode & MPOL_MODE_FLAGS;
	mode &= ~MPOL_MODE_FLAGS;
	if (mode < 0 || mode >= MPOL_MAX)
		return -EINVAL;
	if ((flags & MPOL_F_STATIC_NODES) && (flags & MPOL_F_RELATIVE_NODES))
		return -EINVAL;
	if ((flags & MPOL_F_NUMA_BALANCING) && mode != MPOL_BIND && mode != MPOL_PREFERRED_MANY)
		return -EINVAL;
	if (mode == MPOL_DEFAULT)
		return nodes ? -EINVAL : mode;
	if (mode == MPOL_LOCAL)
		return (nodes || flags) ? -EINVAL : mode;
	if (!nodes) {
		if (mode == MPOL_PREFERRED && !(flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)))
			return MPOL_LOCAL;
		return -EINVAL;
	}
	if (!(flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)) && !(nodes & ONLINE_NODES))
		return -EINVAL; /* no allowed node left */
	return mode | flags;
}

static int put_nodes(struct task *t, uint64_t umask, uint64_t maxnode, uint64_t nodes)
{
	uint64_t copy = (maxnode - 1 + 63) / 64 * 8; /* ALIGN(maxnode - 1, 64) / 8 */
	if (copy > 8) {
		if (copy > PAGE_SIZE)
			return -EINVAL;
		static const uint8_t zero[PAGE_SIZE];
		if (task_copy_out(t, umask + 8, zero, copy - 8))
			return -EFAULT;
		copy = 8;
	}
	return copy && task_copy_out(t, umask, &nodes, copy) ? -EFAULT : 0;
}

static int64_t sys_get_mempolicy(struct task *t, const uint64_t a[6])
{
	uint64_t upolicy = a[0], umask = a[1], maxnode = a[2], addr = a[3], flags = a[4];
	if (umask && maxnode < 1)
		return -EINVAL; /* fewer bits than nr_node_ids */
	if (flags & ~(uint64_t)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
		return -EINVAL;
	int policy = 0;
	uint64_t nodes = 0;
	if (flags & MPOL_F_MEMS_ALLOWED) {
		if (flags & (MPOL_F_NODE | MPOL_F_ADDR))
			return -EINVAL;
		nodes = ONLINE_NODES;
	} else if (flags & MPOL_F_ADDR) {
		if (!mm_range_mapped(t->mm, addr & ~(PAGE_SIZE - 1), (addr & ~(PAGE_SIZE - 1)) + 1))
			return -EFAULT;
		/* mbind records nothing: the default policy; its page is on node 0. */
		policy = 0;
	} else {
		if (addr)
			return -EINVAL;
		if (flags & MPOL_F_NODE) {
			/* Only an interleave policy has a "next node". */
			if ((t->mempolicy_mode & ~MPOL_MODE_FLAGS) != MPOL_INTERLEAVE)
				return -EINVAL;
			policy = 0;
		} else {
			policy = t->mempolicy_mode;
			int mode = policy & ~MPOL_MODE_FLAGS;
			if (mode != MPOL_DEFAULT && mode != MPOL_LOCAL)
				nodes = t->mempolicy_nodes;
		}
	}
	if (upolicy && task_copy_out(t, upolicy, &policy, sizeof(policy)))
		return -EFAULT;
	if (umask)
		return put_nodes(t, umask, maxnode, nodes);
	return 0;
}

static int64_t sys_set_mempolicy(struct task *t, const uint64_t a[6])
{
	int mode = (int)a[0];
	uint64_t nodes;
	int r = get_nodes(t, a[1], a[2], &nodes);
	if (r)
		return r;
	r = check_policy(mode, nodes);
	if (r < 0)
		return r;
	t->mempolicy_mode = r;
	t->mempolicy_nodes = (r & ~MPOL_MODE_FLAGS) == MPOL_LOCAL ? 0 : nodes;
	return 0;
}

static int64_t sys_mbind(struct task *t, const uint64_t a[6])
{
	uint64_t start = a[0], len = a[1];
	int mode = (int)a[2];
	uint64_t flags = a[5];
	if (flags & ~(uint64_t)MPOL_MF_VALID)
		return -EINVAL;
	if ((flags & MPOL_MF_MOVE_ALL) && !creds_capable(t->creds, CAP_SYS_NICE))
		return -EPERM;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t end = start + len;
	if (end < start)
		return -EINVAL;
	uint64_t nodes;
	int r = get_nodes(t, a[3], a[4], &nodes);
	if (r)
		return r;
	r = check_policy(mode, nodes);
	if (r < 0)
		return r;
	if (end == start)
		return 0;
	return mm_range_mapped(t->mm, start, end) ? 0 : -EFAULT;
}

const struct syscall_def sys_memcalls_defs[] = {
	{SYS_mincore, "mincore", sys_mincore},
	{SYS_membarrier, "membarrier", sys_membarrier},
	{SYS_get_mempolicy, "get_mempolicy", sys_get_mempolicy},
	{SYS_set_mempolicy, "set_mempolicy", sys_set_mempolicy},
	{SYS_mbind, "mbind", sys_mbind},
	{0},
};
