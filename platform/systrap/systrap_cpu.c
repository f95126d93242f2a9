/*
 * systrap_cpu.c — where the host runs the two halves of a hand-off.
 *
 * A trap is a ping-pong: the stub thread posts, the Sentry thread serving its
 * context serves and resumes it, and exactly one of the two runs at a time
 * (the leader and the Sentry thread asking it likewise).  When the two sit on
 * different CPUs, each sleep ends with a cross-CPU wake-up; on a PVM guest
 * (these machines) that is an IPI through the hypervisor and an idle vCPU
 * woken from HLT, ~14 us, against ~2 us to switch threads on one CPU.
 * Spinning hides it only while a second CPU is free, and a loaded machine has
 * none: fork+exit+wait took 1.0-1.2 ms spinning across CPUs and 0.6-0.7 ms
 * with the whole sandbox on one CPU.
 *
 * So, by default with two CPUs or more (not with VISOR_SYSTRAP_SPIN, which
 * asks for spinning, nor VISOR_SYSTRAP_COLOCATE=0), the platform ties each
 * Sentry thread, at its context's resume, to the CPU it runs on, and the
 * context's stub thread (and the leader, at a request) to the same CPU:
 * every hand-off is then a switch on one CPU, and nobody spins.
 *
 * Tasks hand off to each other too (a futex, a pipe, a child's exit): a
 * Sentry thread about to sleep in the Sentry keeps its tie but stops
 * counting on its CPU (parks, no syscall), and a task woken by another
 * follows its waker's CPU (the waker's cpu_hint reaches context_woken
 * through the task's wake-up): the pair then takes turns on one CPU.  A
 * futex ping-pong between two threads took 19-41 us a round trip so,
 * against 96-122 us when the sleeper let go of its CPU (same run, 2 busy
 * CPUs), where each wake-up crossed CPUs.  A thread whose last sleep no
 * task ended (the netstack, a timer, a host fd) lets go of its CPU at its
 * next sleep instead, and wakes wherever the host finds room: a receiver
 * that the netstack's service thread feeds must not wait for the CPU that
 * thread works on (iperf3 into the container lost a quarter of its rate
 * when it parked too).  VISOR_SYSTRAP_PARK=0: every sleeper lets go.  The host still balances the
 * work: every ST_REBALANCE_EVERY resumes a tied thread moves to a CPU with
 * clearly fewer running tied threads (parked ones do not count), and a stub
 * thread whose app code ran long between two traps (compute, not hand-offs)
 * runs untied until its next short run.
 */
#include "platform/systrap/systrap_internal.h"

#include "lib/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The CPU the calling (Sentry) thread is tied to, or -1: where the leader
 * should run for its requests. */
static __thread int st_self_cpu = -1;

/* Every ST_REBALANCE_EVERY resumes, a tied thread looks whether another
 * CPU has clearly fewer tied threads. */
#define ST_REBALANCE_EVERY 64
static __thread unsigned st_resumes;

void st_cpu_init(struct st_platform *sp)
{
	sp->colocate = false;
	if (sched_getaffinity(0, sizeof(sp->cpus), &sp->cpus) < 0 || CPU_COUNT(&sp->cpus) < 2)
		return;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &sp->cpus))
			sp->cpu_end = i + 1;
	const char *c = getenv("VISOR_SYSTRAP_COLOCATE");
	sp->colocate = !getenv("VISOR_SYSTRAP_SPIN") && !(c && strcmp(c, "0") == 0);
	c = getenv("VISOR_SYSTRAP_PARK");
	sp->park = sp->colocate && !(c && strcmp(c, "0") == 0);
}

int st_cpu_pin(struct st_platform *sp, pid_t tid, int cpu)
{
	cpu_set_t one;
	const cpu_set_t *set = &sp->cpus;
	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		set = &one;
	}
	if (sched_setaffinity(tid, sizeof(*set), set) == 0)
		return 0;
	int err = errno;
	/* A CPU outside the cgroup's cpuset now (the kernel has already
	 * moved every thread of the cpuset inside it): without this, every
	 * resume would try it again. */
	if (err == EINVAL && cpu >= 0 && cpu < CPU_SETSIZE &&
	    !atomic_exchange_explicit(&sp->cpu_gone[cpu], true, memory_order_relaxed))
		log_info("systrap: CPU %d is no longer ours (cpuset changed): no tie to it", cpu);
	return -err;
}

static bool st_cpu_usable(struct st_platform *sp, int cpu)
{
	return CPU_ISSET(cpu, &sp->cpus) &&
	       !atomic_load_explicit(&sp->cpu_gone[cpu], memory_order_relaxed);
}

/* The allowed CPU with the fewest tied threads (the lowest number on a tie),
 * and that count. */
static int st_cpu_least(struct st_platform *sp, int *count)
{
	int best = -1, n = 0;
	for (int c = 0; c < sp->cpu_end; c++) {
		if (!st_cpu_usable(sp, c))
			continue;
		int k = atomic_load_explicit(&sp->tied[c], memory_order_relaxed);
		if (best < 0 || k < n) {
			best = c;
			n = k;
		}
	}
	*count = n;
	return best;
}

static bool st_cpu_move_self(struct st_platform *sp, int *self_cpu, int cpu)
{
	if (st_cpu_pin(sp, 0, cpu) < 0)
		return false;
	if (*self_cpu >= 0)
		atomic_fetch_sub_explicit(&sp->tied[*self_cpu], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sp->tied[cpu], 1, memory_order_relaxed);
	*self_cpu = st_self_cpu = cpu;
	return true;
}

int st_cpu_tie(struct st_platform *sp, int *self_cpu)
{
	int least_n, least;
	if (*self_cpu >= 0) {
		if (++st_resumes % ST_REBALANCE_EVERY)
			return *self_cpu;
		least = st_cpu_least(sp, &least_n);
		int here_n = atomic_load_explicit(&sp->tied[*self_cpu], memory_order_relaxed);
		/* Counting ourselves here: moving helps when there are at
		 * least two fewer there.  Else the tie is made again: a
		 * change of the cgroup's cpuset has reset every thread's
		 * affinity, and may have taken this CPU away. */
		if (least >= 0 && least_n + 1 < here_n)
			st_cpu_move_self(sp, self_cpu, least);
		else if (st_cpu_pin(sp, 0, *self_cpu) < 0 &&
			 (least < 0 || !st_cpu_move_self(sp, self_cpu, least))) {
			st_cpu_untie(sp, self_cpu, true);
			return -1;
		}
		return *self_cpu;
	}
	int cpu = sched_getcpu();
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &sp->cpus))
		return -1;
	least = st_cpu_least(sp, &least_n);
	if (least >= 0 && (least_n < atomic_load_explicit(&sp->tied[cpu], memory_order_relaxed) ||
			   !st_cpu_usable(sp, cpu)))
		cpu = least;
	else if (!st_cpu_usable(sp, cpu))
		return -1;
	return st_cpu_move_self(sp, self_cpu, cpu) ? cpu : -1;
}

int st_cpu_self(void) { return st_self_cpu; }

void st_cpu_park(struct st_platform *sp, int self_cpu, bool *parked)
{
	if (self_cpu < 0 || *parked)
		return;
	atomic_fetch_sub_explicit(&sp->tied[self_cpu], 1, memory_order_relaxed);
	*parked = true;
}

void st_cpu_unpark(struct st_platform *sp, int self_cpu, bool *parked)
{
	if (!*parked)
		return;
	atomic_fetch_add_explicit(&sp->tied[self_cpu], 1, memory_order_relaxed);
	*parked = false;
}

void st_cpu_follow(struct st_platform *sp, int *self_cpu, bool *parked, int cpu)
{
	if (cpu == *self_cpu || cpu < 0 || cpu >= CPU_SETSIZE || !st_cpu_usable(sp, cpu) ||
	    st_cpu_pin(sp, 0, cpu) < 0)
		return;
	if (*self_cpu < 0)
		*parked = true; /* counted at the resume (st_cpu_unpark) */
	else if (!*parked) {
		atomic_fetch_sub_explicit(&sp->tied[*self_cpu], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&sp->tied[cpu], 1, memory_order_relaxed);
	}
	*self_cpu = st_self_cpu = cpu;
}

void st_cpu_untie(struct st_platform *sp, int *self_cpu, bool self)
{
	if (*self_cpu < 0)
		return;
	if (self) {
		int err = st_cpu_pin(sp, 0, -1);
		if (err) {
			log_debug("systrap: untying a Sentry thread from CPU %d: %s", *self_cpu,
				  strerror(-err));
			return;
		}
		st_self_cpu = -1;
	}
	atomic_fetch_sub_explicit(&sp->tied[*self_cpu], 1, memory_order_relaxed);
	*self_cpu = -1;
}
