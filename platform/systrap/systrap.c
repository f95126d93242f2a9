/*
 * systrap.c — the systrap platform: address spaces are stub processes whose
 * seccomp filters trap every app syscall (SECCOMP_RET_TRAP); app threads are
 * stub threads whose signal handler hands each trap to the Sentry through
 * memory shared with it.  No ptrace anywhere.
 *
 * Owns: struct addr_space, struct context and systrap_platform_ops.  The
 * blob, the filters and the template that forks stubs are in
 * systrap_stub.c; the layout of the shared memory in systrap_layout.h.
 *
 * Model (DESIGN.md §5):
 *  - A stub is created by the first context that switches into its address
 *    space (maps before that record nothing: the Sentry maps from faults).
 *    It is forked by the template and is a child of the Sentry.  Its leader
 *    thread never runs app code: it runs the Sentry's requests (mmap, munmap
 *    and mprotect of the memory file; clone of a new app thread; its name),
 *    read from the control region's first page, which the stub maps
 *    read-only, and says "done" by writing the stub's eventfd, which no app
 *    thread can write (the app filter allows no write).  The Sentry waits
 *    for that, not for anything in writable memory, before it relies on an
 *    unmap or a protect; and the leader makes those hold or kills the stub.
 *  - Each context owns one stub thread (a slot: a thread area) in the
 *    address space it runs in.  A trap (syscall, fault, synchronous signal,
 *    the interrupt signal) enters the handler on the thread's signal stack;
 *    the handler posts the signal frame's address in the slot and waits.
 *    The Sentry reads the registers from the frame (through its own mapping
 *    of the control region), serves the trap, writes the registers and FPU
 *    state to resume with into the frame, and lets the thread go; the
 *    handler returns and rt_sigreturn loads the frame.  Waits on either side
 *    spin briefly (with two CPUs or more), then sleep on a futex; a side
 *    that had to wake the other does not spin (the woken thread needs a
 *    CPU, most often the waker's), but for the Sentry's occasional probe.
 *  - Everything in a thread area is writable by every app thread of the
 *    address space: the Sentry reads it once into its own memory, checks it
 *    (the frame within the area...), and uses it for nothing but the app's
 *    own registers.  A thread that breaks the protocol, or does not answer
 *    an interrupt for about a second, gets its stub killed (-ESRCH).
 *  - Notification mode (the default where the kernel has the listener's
 *    sync wake-up, Linux 6.6; VISOR_SYSTRAP_NOTIF=0 turns it off): every app
 *    thread's app filter comes with a seccomp listener of its own, which the
 *    Sentry holds (systrap_notif.c).  An app syscall that needs no more than
 *    its number and arguments is a user notification, not a signal: the
 *    Sentry takes it, reports a syscall event with partial registers (rip,
 *    number, arguments) and answers it with the result: no signal frame, no
 *    sigreturn, and each side switches to the other on the same CPU.  The
 *    syscalls that read or set more (clone, execve, rt_sigreturn,
 *    sigaltstack, arch_prctl, exit) trap as before, and so do faults and
 *    signals; the handler then hands off through its listener too (one
 *    syscall at a fixed address of the blob, which the app filter answers
 *    with a notification), so that the Sentry waits on one thing, in one
 *    blocking RECV that the thread's next event or its stub's death ends.  When the
 *    Sentry needs the registers of a partial event (a signal to deliver, a
 *    ptrace stop, a restart) it parks the thread: the interrupt signal, then
 *    the answer, so that the thread traps into the handler as the call
 *    returns (context_full_regs).
 *  - A released context's stub thread stays parked in the handler as a
 *    spare for the next context of that address space.  as_release
 *    SIGKILLs the stub; the reaper thread reaps it.
 *  - execve does not make a stub: as_recycle hands the replaced address
 *    space's stub to the new one, emptied by an unmap of the whole app
 *    range that goes first in the new program's first request (with its
 *    first maps), its parked threads kept as spares with their areas scrubbed
 *    (st_slot_scrub: nothing of the old program reaches the new one).  And
 *    once the sandbox forks, a pool thread keeps one stub ready, so that
 *    a fork's new address space does not wait for the template; a released
 *    address space's stub joins the pool, and the pool thread empties it
 *    there, off the next fork's path.
 *
 * Requirements on the rest of the Sentry: never wait for "any child"
 * without __WNOTHREAD in a way that could reap stubs (they are children of
 * the Sentry, with no exit signal: only __WALL waits see them).
 */
#include "lib/lockdep.h"
#include "platform/plat_util.h"
#include "platform/platform.h"
#include "platform/systrap/systrap_internal.h"

#include "lib/log.h"
#include "lib/page.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define ST_USER_CS 0x33
#define ST_USER_DS 0x2b
#define ST_XSAVE_HDR 512
#define ST_WAIT_NS (50 * 1000000L)
#define ST_INTERRUPT_TRIES 20 /* x ST_WAIT_NS without an answer: the thread is killed */
#define ST_START_TRIES 200    /* x ST_WAIT_NS for a new thread's first trap: the stub is killed */
/* After a resume that had to wake the stub thread, one wait in this many
 * spins anyway: the probe that finds out whether the two sides now run on
 * different CPUs (then both keep spinning). */
#define ST_PROBE_EVERY 16

/* ---- small helpers --------------------------------------------------------- */

static long st_futex(void *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static inline void st_relax(void) { __builtin_ia32_pause(); }

static void st_as_get(struct addr_space *as) { atomic_fetch_add(&as->refs, 1); }

void st_as_put(struct addr_space *as)
{
	if (atomic_fetch_sub(&as->refs, 1) != 1)
		return;
	st_thr_close_all(as);
	vmutex_destroy(&as->lock);
	free(as);
}

/*
 * Has the stub died?  With block, wait until it has (it was killed).  A
 * waitid that does not reap (WNOWAIT): the one reaper is as_release.
 * Records the wait status and marks as dead.
 */
static bool st_as_poll_death(struct addr_space *as, bool block)
{
	if (atomic_load(&as->dead) && !block)
		return true;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r;
	while ((r = waitid(P_PID, (id_t)as->pid, &si,
			   WEXITED | WNOWAIT | __WALL | (block ? 0 : WNOHANG))) < 0 &&
	       errno == EINTR)
		;
	if (r == 0 && si.si_pid != as->pid)
		return false;
	if (r == 0) {
		bool exited = si.si_code == CLD_EXITED;
		int st = exited ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f, none = 0;
		if (atomic_compare_exchange_strong(&as->death_status, &none, st) &&
		    (exited || !atomic_load(&as->dead)))
			log_warn("systrap: stub %d %s %d", as->pid,
				 exited ? "exited with status" : "killed by signal", si.si_status);
	}
	atomic_store(&as->dead, true);
	return true;
}

bool st_as_check_dead(struct addr_space *as) { return st_as_poll_death(as, false); }

/*
 * The stub broke the protocol (or stopped answering): it goes, and this
 * returns once it has (not reaped: as_release does that).  A thread that
 * broke the protocol may be running app code; no app code may run once the
 * Sentry has been told the address space is dead, since it then frees the
 * memory the stub had.
 */
void st_as_kill(struct addr_space *as, const char *why)
{
	if (!atomic_exchange(&as->dead, true))
		log_warn("systrap: killing stub %d: %s", as->pid, why);
	kill(as->pid, SIGKILL);
	st_as_poll_death(as, true);
}

static bool st_range_ok(uint64_t addr, uint64_t len)
{
	return len && PAGE_ALIGNED(addr) && PAGE_ALIGNED(len) && addr < PLAT_APP_TOP &&
	       len <= PLAT_APP_TOP - addr;
}

/* ---- the leader -------------------------------------------------------------- */

/*
 * Wait for the leader's next completion on the eventfd and return its value
 * (1: done; 2: done, an op failed), or -ESRCH when the stub died.  Spins on
 * the leader's progress hint first (with two CPUs): the hint may lie, the
 * eventfd cannot.
 */
static int st_leader_wait(struct addr_space *as, uint32_t seq)
{
	const volatile struct st_rw *rw = st_rw(as);
	for (uint32_t i = 0; i < as->sp->spin / 10 && rw->done_seq != seq; i++)
		st_relax();
	struct pollfd pfd = {.fd = as->efd, .events = POLLIN};
	for (int tries = 0;; tries++) {
		int r = poll(&pfd, 1, tries ? 50 : 20);
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0) {
			if (st_as_check_dead(as))
				return -ESRCH;
			/* Perhaps it slept through our wake (its "waiting" flag
			 * is in writable memory): wake it again. */
			st_futex(&st_ro(as)->req_seq, FUTEX_WAKE, 1, NULL);
		}
	}
	uint64_t v;
	if (read(as->efd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -EIO;
	return v == 1 || v == 2 ? (int)v : -EIO;
}

/*
 * Run n ops on the leader; the caller holds as->lock.  results[] (optional)
 * gets each op's result as the leader reported it (a hint).  Returns 1 when
 * all succeeded, 2 when one failed (the leader has then kept its promises:
 * a failed protect left the range unmapped), -errno when the stub is gone.
 */
int st_leader_call(struct addr_space *as, const struct st_op *ops, unsigned n, int64_t *results)
{
	if (atomic_load(&as->dead))
		return -ESRCH;
	struct st_ro *ro = st_ro(as);
	memcpy(ro->ops, ops, n * sizeof(*ops));
	ro->nops = n;
	if (as->sp->colocate) {
		/* The leader runs where we wait for it (systrap_cpu.c). */
		int cpu = st_cpu_self();
		if (cpu >= 0 && cpu != as->leader_cpu && st_cpu_pin(as->sp, as->pid, cpu) == 0)
			as->leader_cpu = cpu;
	}
	uint32_t seq = ++as->seq;
	atomic_fetch_add_explicit(&as->sp->requests, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&as->sp->ops, n, memory_order_relaxed);
	atomic_store((_Atomic uint32_t *)&ro->req_seq, seq);
	if (atomic_load((_Atomic uint32_t *)&st_rw(as)->leader_waiting))
		st_futex(&ro->req_seq, FUTEX_WAKE, 1, NULL);
	int v = st_leader_wait(as, seq);
	if (v < 0) {
		if (v != -ESRCH)
			st_as_kill(as, "the leader does not answer");
		return -ESRCH;
	}
	if (results) {
		const volatile struct st_rw *rw = st_rw(as);
		for (unsigned i = 0; i < n; i++)
			results[i] = rw->results[i];
	}
	return v;
}

static struct st_op st_op_of(long nr, const long args[6])
{
	struct st_op op = {.nr = (uint64_t)nr};
	for (int i = 0; i < 6; i++)
		op.a[i] = (uint64_t)args[i];
	return op;
}

static const char *st_op_name(uint64_t nr)
{
	return nr == SYS_mmap ? "map" : nr == SYS_mprotect ? "protect" : "op";
}

/*
 * Send the queued ops, then op when not NULL, in one request; the caller
 * holds as->lock.  A queued op that failed is logged (the page it did not
 * map faults again; a protect that failed left its range unmapped).  0 or
 * op's -errno (-ESRCH: the stub is gone); *res (optional) gets op's result.
 */
int st_as_flush(struct addr_space *as, const struct st_op *op, int64_t *res)
{
	unsigned n = as->nqueued;
	if (op)
		as->queue[n++] = *op;
	if (!n)
		return 0;
	int64_t r[ST_MAX_OPS];
	int v = st_leader_call(as, as->queue, n, r);
	/* Only now is the queue empty: a context that finds it empty runs
	 * app code at once (context_switch), so it must not see that while
	 * the leader is still on its way.  (Those who find it full wait for
	 * as->lock, which we hold.) */
	__atomic_store_n(&as->nqueued, 0, __ATOMIC_SEQ_CST);
	if (v < 0)
		return v;
	unsigned last = op ? n - 1 : n;
	for (unsigned i = 0; v == 2 && i < last; i++)
		if (r[i] < 0 && r[i] >= -4095)
			log_warn("systrap: stub %d: a queued %s failed: %s", as->pid,
				 st_op_name(as->queue[i].nr), strerror((int)-r[i]));
	if (!op)
		return 0;
	if (v == 2 && r[n - 1] < 0)
		return r[n - 1] >= -4095 ? (int)r[n - 1] : -EIO;
	if (res)
		*res = r[n - 1];
	return 0;
}

/*
 * Put n ops ahead of the queue of as, so that they go first in its next
 * request, which is sent before any app instruction of as runs
 * (context_switch): the emptying of a stub that runs no app code now (an
 * execve's, systrap_as_recycle; one released into the pool, taken by
 * st_as_create_stub) then shares the request of the new program's first
 * maps.  The caller holds as->lock.
 * false, and nothing queued, when they do not fit.
 */
bool st_as_queue_first(struct addr_space *as, const struct st_op *ops, unsigned n)
{
	if (n > ST_MAX_OPS - 1 - as->nqueued)
		return false;
	memmove(as->queue + n, as->queue, as->nqueued * sizeof(*ops));
	memcpy(as->queue, ops, n * sizeof(*ops));
	__atomic_store_n(&as->nqueued, as->nqueued + n, __ATOMIC_SEQ_CST);
	return true;
}

/* One op, after the queued ones; as st_as_flush. */
static int st_leader_op(struct addr_space *as, long nr, const long args[6], int64_t *res)
{
	struct st_op op = st_op_of(nr, args);
	return st_as_flush(as, &op, res);
}

int st_as_apply_name(struct addr_space *as)
{
	memcpy(st_ro(as)->name, as->name, sizeof(as->name));
	const long args[6] = {PR_SET_NAME, (long)(ST_CTL_BASE + ST_RO_OFF + RO_NAME)};
	return st_leader_op(as, SYS_prctl, args, NULL);
}

/* Fork a new stub for as and wait until it is ready; the caller holds
 * as->lock. */
int st_as_spawn_stub(struct addr_space *as)
{
	struct st_platform *sp = as->sp;
	int ctl_fd = memfd_create("visor-systrap", MFD_CLOEXEC);
	if (ctl_fd < 0)
		return -errno;
	int err = 0;
	if (ftruncate(ctl_fd, ST_CTL_MEMFD_SIZE) < 0)
		err = -errno;
	void *ctl = MAP_FAILED;
	if (!err) {
		ctl = mmap(NULL, ST_CTL_MEMFD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ctl_fd, 0);
		if (ctl == MAP_FAILED)
			err = -errno;
		else
			memcpy((char *)ctl + ST_PATCH_OFF, sp->patch_table, ST_PATCH_SIZE);
	}
	int efd = err ? -1 : eventfd(0, EFD_CLOEXEC);
	if (!err && efd < 0)
		err = -errno;
	/* The socket the leader sends listeners on (notification mode). */
	int sv[2] = {-1, -1};
	if (!err && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		err = -errno;
	pid_t pid = 0;
	if (!err) {
		((struct st_ro *)ctl)->spin = sp->spin / 10;
		((struct st_ro *)ctl)->gs_free = sp->patch;
		err = st_template_fork(sp, ctl_fd, efd, sv[1], &pid);
	}
	close(ctl_fd);
	if (sv[1] >= 0)
		close(sv[1]);
	if (sv[0] >= 0 && (err || !sp->notif)) {
		close(sv[0]);
		sv[0] = -1;
	}
	if (err) {
		if (efd >= 0)
			close(efd);
		if (ctl != MAP_FAILED)
			munmap(ctl, ST_CTL_MEMFD_SIZE);
		return err;
	}
	__atomic_store_n(&as->pid, pid, __ATOMIC_RELEASE);
	as->efd = efd;
	as->nsock = sv[0];
	as->ctl = ctl;
	/* Ready: the new stub signals once, before any request. */
	int v = st_leader_wait(as, 0);
	if (v != 1) {
		if (v != -ESRCH)
			st_as_kill(as, "no ready signal");
		atomic_store(&as->dead, true);
		return -ESRCH;
	}
	return 0;
}

/* The stub of from (its leader's eventfd and control region, its threads,
 * their listeners) goes to to, which has none: from keeps no trace of it
 * but its threads' tids.  The caller holds to's lock, or is from's owner. */
void st_as_move_stub(struct addr_space *to, struct addr_space *from)
{
	to->efd = from->efd;
	to->ctl = from->ctl;
	to->seq = from->seq;
	to->nslots = from->nslots;
	for (unsigned i = 0; i < from->nslots; i++) {
		to->use[i] = from->use[i];
		to->tid[i] = from->tid[i];
	}
	to->thr = from->thr;
	to->nsock = from->nsock;
	__atomic_store_n(&to->pid, from->pid, __ATOMIC_RELEASE);
	from->efd = -1;
	from->ctl = NULL;
	from->thr = NULL;
	from->nsock = -1;
	__atomic_store_n(&from->pid, 0, __ATOMIC_RELEASE);
}

/* Give as a stub: the pool's ready one, else a new one; then its name.
 * The caller holds as->lock. */
static int st_as_create_stub(struct addr_space *as)
{
	struct addr_space *a = st_pool_take(as->sp);
	int err = 0;
	if (a) {
		/* Never entered, never named: only its stub moves, with the
		 * parked threads of a recycled one (st_pool_recycle) as
		 * spares. */
		st_as_move_stub(as, a);
		/* A recycled stub still has its last program's memory:
		 * its emptying goes first, in as's first request if it
		 * fits there. */
		if (a->nqueued && !st_as_queue_first(as, a->queue, a->nqueued)) {
			int v = st_leader_call(as, a->queue, a->nqueued, NULL);
			err = v == 1 ? 0 : v < 0 ? v : -EIO;
		}
		st_as_put(a);
	} else {
		err = st_as_spawn_stub(as);
	}
	st_pool_note(as->sp);
	if (err)
		return err;
	pid_t pid = as->pid;
	if (as->name[0]) {
		err = st_as_apply_name(as);
		if (err)
			log_warn("systrap: naming stub %d: %s", pid, strerror(-err));
		if (err != -ESRCH)
			err = 0;
	}
	return err;
}

/* ---- the trap hand-off ------------------------------------------------------- */

/* A spin that caught the other side: spin longer; one that ended asleep
 * anyway: half as long (a loaded machine, or a slow Sentry call). */
static uint32_t st_spin_adapt(uint32_t cur, uint32_t max, bool caught)
{
	if (!max)
		return 0;
	uint32_t floor = max / 16;
	if (caught)
		return cur >= max / 2 ? max : cur * 2 + 1;
	return cur / 2 > floor ? cur / 2 : floor;
}

/* Pause instructions that would have spun since TSC reading t0. */
static uint64_t st_pauses_since(const struct st_platform *sp, uint64_t t0)
{
	uint64_t d = __builtin_ia32_rdtsc() - t0;
	return d >= UINT64_MAX / 1024 ? UINT64_MAX : d * 1024 / sp->tsc_per_kpause;
}

/*
 * The stub thread's next spin, from how its last wait went.  One that caught
 * our resume spins longer.  One that slept although we served it in less
 * than half its longest spin would have caught us with a spin of twice our
 * service time: it gets that at once.  Halving alone would never find it
 * again: a spin too short to catch even the quickest call never catches one,
 * and every call then costs two sleeps and two host wake-ups (43 us for a
 * getppid on a PVM guest whose wake-ups cost ~20 us, against 2.8 us when
 * it spins).  One that slept although it already spun that long was kept
 * off its CPU (a loaded machine), and one whose call took longer was not
 * worth spinning for: half as long.
 */
static uint32_t st_stub_spin_next(const struct context *ctx, bool asleep)
{
	uint32_t max = ctx->sp->spin / 2, cur = ctx->stub_spin;
	if (!asleep)
		return st_spin_adapt(cur, max, true);
	uint64_t need = 2 * st_pauses_since(ctx->sp, ctx->seen_tsc);
	if (need <= max && cur < need)
		return (uint32_t)need;
	return st_spin_adapt(cur, max, false);
}

/* Let the thread of slot go (the frame is written), with its next spin
 * (st_stub_spin_next).  One that found us asleep did not spin at all
 * (stub.S): its sleeping says nothing about its spin. */
static void st_slot_resume(struct context *ctx, struct st_slot *s)
{
	bool asleep = atomic_load((_Atomic uint32_t *)&s->stub_wait);
	if (ctx) {
		if (!(asleep && ctx->slept)) {
			ctx->stub_spin = st_stub_spin_next(ctx, asleep);
			atomic_store_explicit(&ctx->sp->stub_spin_now, ctx->stub_spin,
					      memory_order_relaxed);
		}
		s->spin = ctx->stub_spin;
		ctx->resume_tsc = __builtin_ia32_rdtsc();
	}
	atomic_store((_Atomic uint32_t *)&s->state, ST_STATE_RESUME);
	bool woke = atomic_load((_Atomic uint32_t *)&s->stub_wait);
	if (woke)
		st_futex(&s->state, FUTEX_WAKE, 1, NULL);
	if (ctx)
		ctx->woke_stub = woke;
}

/*
 * Wait until the thread of slot posts a trap.  With ctx, an interrupt that
 * gets no answer is signalled again every ST_WAIT_NS, and after
 * ST_INTERRUPT_TRIES the stub is killed.  Without (a new thread's first
 * trap), after ST_START_TRIES: -ETIMEDOUT, a clear error rather than a hang.
 * 0, or -ESRCH when the stub died.
 */
static int st_slot_wait(struct addr_space *as, struct st_slot *s, struct context *ctx)
{
	_Atomic uint32_t *state = (_Atomic uint32_t *)&s->state;
	_Atomic uint32_t *waiting = (_Atomic uint32_t *)&s->sentry_wait;
	uint32_t spin = ctx ? ctx->spin : 0;
	/* A stub thread we just woke must be scheduled before it runs the
	 * app, most often on our CPU (the wake-up's affinity), where our
	 * spinning only keeps it off: sleep at once, but now and then probe. */
	bool skip = ctx && ctx->woke_stub && ++ctx->probe % ST_PROBE_EVERY;
	if (ctx)
		ctx->slept = false;
	for (uint32_t i = 0; !skip && i < spin; i++) {
		if (atomic_load(state) == ST_STATE_EVENT) {
			ctx->spin = st_spin_adapt(spin, as->sp->spin, true);
			atomic_store_explicit(&as->sp->spin_now, ctx->spin, memory_order_relaxed);
			return 0;
		}
		st_relax();
	}
	if (ctx && !skip) {
		ctx->spin = st_spin_adapt(spin, as->sp->spin, false);
		atomic_store_explicit(&as->sp->spin_now, ctx->spin, memory_order_relaxed);
	}
	if (ctx)
		ctx->slept = true;
	int tries = 0;
	for (;;) {
		atomic_store(waiting, 1);
		uint32_t v = atomic_load(state);
		if (v == ST_STATE_EVENT) {
			atomic_store(waiting, 0);
			return 0;
		}
		const struct timespec ts = {0, ST_WAIT_NS};
		long r = st_futex(&s->state, FUTEX_WAIT, v, &ts);
		int e = r < 0 ? errno : 0;
		atomic_store(waiting, 0);
		if (atomic_load(state) == ST_STATE_EVENT)
			return 0;
		if (atomic_load(&as->dead))
			return -ESRCH;
		if (e != ETIMEDOUT)
			continue;
		if (st_as_check_dead(as))
			return -ESRCH;
		if (!ctx && ++tries > ST_START_TRIES)
			return -ETIMEDOUT;
		if (ctx && atomic_load(&ctx->run.interrupt)) {
			if (++tries > ST_INTERRUPT_TRIES) {
				st_as_kill(as, "a thread does not answer interrupts");
				return -ESRCH;
			}
			if (syscall(SYS_tgkill, as->pid, ctx->tid, ST_SIG_INTERRUPT) < 0 &&
			    errno == ESRCH) {
				st_as_kill(as, "a thread is gone");
				return -ESRCH;
			}
		}
	}
}

/*
 * Find and check the frame the thread of ctx's slot posted: the ucontext,
 * and its FPU state, within the thread's signal stack.  *sig and *si get the
 * signal (siginfo copied into our memory).  0, or -EPROTO.
 */
int st_frame_locate(struct context *ctx, struct addr_space *as, int *sig, siginfo_t *si)
{
	const volatile struct st_slot *s = st_slot(as, ctx->slot);
	uint64_t lo = st_area(ctx->slot) + ST_TH_STACK_OFF, hi = st_area(ctx->slot) + ST_TH_SIZE;
	uint64_t signo = s->sig, info = s->info, uc = s->uc;
	if (uc < lo || uc > hi - sizeof(struct st_kucontext) || uc % 8 || info < lo ||
	    info > hi - sizeof(siginfo_t) || info % 8 || signo > 64)
		return -EPROTO;
	memcpy(si, st_ptr(as, info), sizeof(*si));
	uint64_t fpu;
	memcpy(&fpu, (char *)st_ptr(as, uc) + offsetof(struct st_kucontext, fpregs), sizeof(fpu));
	if (fpu && (fpu < lo || fpu > hi - ST_FPX_SIZE || fpu % 16))
		return -EPROTO;
	uint32_t magic = 0;
	if (fpu)
		memcpy(&magic, (char *)st_ptr(as, fpu) + ST_FPX_SW, sizeof(magic));
	/* The kernel wrote the whole XSAVE area (its size is XCR0's, the
	 * platform's xstate_size) only when it says so in the software bytes. */
	bool xsave = magic == ST_FPX_MAGIC1 && fpu % 64 == 0 && ctx->fp_size > ST_XSAVE_HDR;
	if (xsave && fpu > hi - ctx->fp_size)
		return -EPROTO;
	ctx->uc = uc;
	ctx->fpu = fpu;
	ctx->xsave = xsave;
	*sig = (int)signo;
	return 0;
}

/* The trap's registers, from the (checked) frame.  fs/gs bases are the
 * Sentry's own: the frame has none, and the app can change them only
 * through the Sentry. */
void st_frame_regs(struct context *ctx, struct addr_space *as, plat_regs_t *r)
{
	struct st_kucontext uc;
	memcpy(&uc, st_ptr(as, ctx->uc), sizeof(uc));
	const uint64_t *g = uc.gregs;
	r->r8 = g[REG_R8];
	r->r9 = g[REG_R9];
	r->r10 = g[REG_R10];
	r->r11 = g[REG_R11];
	r->r12 = g[REG_R12];
	r->r13 = g[REG_R13];
	r->r14 = g[REG_R14];
	r->r15 = g[REG_R15];
	r->rdi = g[REG_RDI];
	r->rsi = g[REG_RSI];
	r->rbp = g[REG_RBP];
	r->rbx = g[REG_RBX];
	r->rdx = g[REG_RDX];
	r->rax = g[REG_RAX];
	r->rcx = g[REG_RCX];
	r->rsp = g[REG_RSP];
	r->rip = g[REG_RIP];
	r->eflags = g[REG_EFL];
	r->cs = ST_USER_CS;
	r->ss = ST_USER_DS;
	r->ds = r->es = r->fs = r->gs = 0;
	r->orig_rax = (unsigned long long)-1;
}

/* The FPU state of the frame of the last trap into *fp.  A frame without
 * XSAVE holds the FXSAVE area alone: the rest is in its init state. */
static void st_frame_read_fp(const struct context *ctx, struct addr_space *as, plat_fpregs_t *fp)
{
	uint32_t n = ctx->xsave ? ctx->fp_size : ST_FPX_SIZE;
	plat_fpregs_init(fp, ctx->fp_size);
	memcpy(fp->bytes, st_ptr(as, ctx->fpu), n);
}

/* ctx->fp into the frame's FPU area f, as the host's sigreturn will take
 * it: the MXCSR bits the CPU refuses cleared, the kernel's software bytes
 * kept, and, in an XSAVE frame, a header XRSTOR accepts (xstate_bv within
 * XCR0, the compacted-format and reserved bytes zero). */
static void st_frame_write_fp(struct context *ctx, char *f)
{
	const uint8_t *src = ctx->fp.bytes;
	uint32_t mask, mxcsr;
	memcpy(&mask, f + offsetof(struct user_fpregs_struct, mxcr_mask), sizeof(mask));
	memcpy(f, src, ST_FPX_SW); /* keep the kernel's software bytes */
	memcpy(&mxcsr, src + offsetof(struct user_fpregs_struct, mxcsr), sizeof(mxcsr));
	mxcsr &= mask ? mask : 0xffbf;
	memcpy(f + offsetof(struct user_fpregs_struct, mxcsr), &mxcsr, sizeof(mxcsr));
	memcpy(f + offsetof(struct user_fpregs_struct, mxcr_mask), &mask, sizeof(mask));
	if (!ctx->xsave)
		return;
	uint64_t bv;
	memcpy(&bv, src + ST_XSAVE_HDR, sizeof(bv));
	bv &= ctx->fp_features;
	memset(f + ST_XSAVE_HDR, 0, 64);
	memcpy(f + ST_XSAVE_HDR, &bv, sizeof(bv));
	memcpy(f + ST_XSAVE_HDR + 64, src + ST_XSAVE_HDR + 64, ctx->fp_size - ST_XSAVE_HDR - 64);
}

/* The fs and gs bases the thread of s is to run with.  With syscall
 * patching, a gs base of 0 (the app's usual) is the thread's own area, for
 * the trampoline (stub_patch.inc); an app gs base makes every thread of as
 * use the trampoline's slower way, from now on, before it runs. */
void st_slot_want_bases(const struct context *ctx, struct addr_space *as, struct st_slot *s,
			uint64_t fs, uint64_t gs)
{
	s->fs_want = fs;
	if (gs && as->sp->patch)
		atomic_store((_Atomic uint32_t *)&st_ro(as)->gs_free, 0);
	s->gs_want = gs || !as->sp->patch ? gs : st_area(ctx->slot);
}

/* A resume a patched syscall may do without rt_sigreturn
 * (stub_patch.inc): only rax differs from the trap's registers, rcx and r11
 * are what `syscall` leaves (rip, rflags), no single-step. */
static bool st_patch_fast(const uint64_t trapped[NGREG], const uint64_t g[NGREG])
{
	for (int i = 0; i < NGREG; i++)
		if (i != REG_RAX && i != REG_CSGSFS && i != REG_ERR && i != REG_TRAPNO &&
		    i != REG_OLDMASK && i != REG_CR2 && trapped[i] != g[i])
			return false;
	return g[REG_RCX] == g[REG_RIP] && g[REG_R11] == g[REG_EFL] && !(g[REG_EFL] & 0x100);
}

/* Write the registers (and FPU state when dirty) to resume with into the
 * frame of the last trap. */
void st_frame_write(struct context *ctx, struct addr_space *as, const plat_regs_t *r)
{
	struct st_kucontext *uc = st_ptr(as, ctx->uc);
	uint64_t g[NGREG];
	memcpy(g, uc->gregs, sizeof(g));
	uint64_t trapped[NGREG];
	memcpy(trapped, g, sizeof(trapped));
	g[REG_R8] = r->r8;
	g[REG_R9] = r->r9;
	g[REG_R10] = r->r10;
	g[REG_R11] = r->r11;
	g[REG_R12] = r->r12;
	g[REG_R13] = r->r13;
	g[REG_R14] = r->r14;
	g[REG_R15] = r->r15;
	g[REG_RDI] = r->rdi;
	g[REG_RSI] = r->rsi;
	g[REG_RBP] = r->rbp;
	g[REG_RBX] = r->rbx;
	g[REG_RDX] = r->rdx;
	g[REG_RAX] = r->rax;
	g[REG_RCX] = r->rcx;
	g[REG_RSP] = r->rsp;
	g[REG_RIP] = r->rip;
	g[REG_EFL] = r->eflags;
	/* cs, gs, fs, ss: 64-bit user code and stack segments, always. */
	g[REG_CSGSFS] = ST_USER_CS | (uint64_t)ST_USER_DS << 48;
	memcpy(uc->gregs, g, sizeof(g));
	/* The host mask and signal stack the thread gets back: nothing
	 * blocked, its own area, whatever a crafted frame said before. */
	uint64_t zero = 0;
	memcpy(&uc->uc_sigmask, &zero, sizeof(zero));
	uint64_t ss_sp = st_area(ctx->slot) + ST_TH_STACK_OFF, ss_size = ST_TH_STACK_SIZE;
	int32_t ss_flags = 0;
	memcpy(&uc->ss_sp, &ss_sp, sizeof(ss_sp));
	memcpy(&uc->ss_flags, &ss_flags, sizeof(ss_flags));
	memcpy(&uc->ss_size, &ss_size, sizeof(ss_size));
	bool fp_written = ctx->fp_dirty && ctx->fpu;
	if (fp_written) {
		st_frame_write_fp(ctx, st_ptr(as, ctx->fpu));
		ctx->fp_dirty = false;
	}
	struct st_slot *s = st_slot(as, ctx->slot);
	st_slot_want_bases(ctx, as, s, r->fs_base, r->gs_base);
	s->fast = !fp_written && st_patch_fast(trapped, g);
}

/* Turn the trap into an event; ST_IGNORE to resume the app at once. */
enum st_verdict st_classify(struct context *ctx, int sig, const siginfo_t *si, plat_regs_t *r,
			    struct plat_event *ev)
{
	switch (sig) {
	case SIGSYS:
		if (si->si_code != 1 /* SYS_SECCOMP */)
			return ST_IGNORE;
		if (si->si_arch != AUDIT_ARCH_X86_64) {
			/* int $0x80: the Sentry has no 32-bit ABI.  As Linux
			 * without IA32 emulation: SIGSEGV (#GP, SI_KERNEL) at
			 * the 2-byte instruction, rax holding the number. */
			r->rip -= 2;
			r->rax = (unsigned long long)(unsigned)si->si_syscall;
			ev->kind = PLAT_EV_FAULT;
			ev->fault_addr = 0;
			ev->fault_signo = SIGSEGV;
			ev->fault_code = SI_KERNEL;
			return ST_REPORT;
		}
		ev->kind = PLAT_EV_SYSCALL;
		r->orig_rax = (unsigned long long)(unsigned)si->si_syscall;
		return ST_REPORT;
	case SIGSEGV:
	case SIGBUS: {
		if (si->si_code <= 0)
			return ST_IGNORE;
		ev->kind = PLAT_EV_FAULT;
		ev->fault_addr = (uint64_t)(uintptr_t)si->si_addr;
		ev->fault_signo = sig;
		ev->fault_code = si->si_code;
		/* The x86 page-fault error code the kernel put in the frame:
		 * bit 1 is a write.  In app-writable memory: a hint only. */
		uint64_t err;
		memcpy(&err,
		       (char *)st_ptr(ctx->as, ctx->uc) + offsetof(struct st_kucontext, gregs) +
			   REG_ERR * sizeof(uint64_t),
		       sizeof(err));
		ev->fault_access = (err & 2) ? PROT_WRITE : 0;
		return ST_REPORT;
	}
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		if (si->si_code <= 0)
			return ST_IGNORE;
		ev->kind = PLAT_EV_SIGNAL;
		ev->info = *si;
		return ST_REPORT;
	case ST_SIG_INTERRUPT:
		/* Ours if the flag is still up; else a leftover of an
		 * interrupt already reported, or one from outside. */
		if (!atomic_exchange(&ctx->run.interrupt, 0))
			return ST_IGNORE;
		ev->kind = PLAT_EV_INTERRUPT;
		return ST_REPORT;
	default:
		return ST_IGNORE;
	}
}

/* The thread of ctx trapped (our wait saw it): its run is over. */
void st_ctx_seen(struct context *ctx)
{
	ctx->seen_tsc = __builtin_ia32_rdtsc();
	ctx->long_run = ctx->seen_tsc - ctx->resume_tsc > ST_LONG_RUN_US * ctx->sp->tsc_per_us;
}

/*
 * The trap the thread of ctx posted, into *regs (with want's fs and gs
 * bases: ours) and *ev.  1: an event for the Sentry.  0: not for it (the
 * frame holds what to resume with; the slot is set for that).  -ESRCH: a
 * bad frame (the stub is killed).
 */
int st_trap_take(struct context *ctx, struct addr_space *as, const plat_regs_t *want,
		 plat_regs_t *regs, struct plat_event *ev)
{
	int sig;
	siginfo_t si;
	if (st_frame_locate(ctx, as, &sig, &si) < 0) {
		st_as_kill(as, "a thread posted a bad frame");
		return -ESRCH;
	}
	st_frame_regs(ctx, as, regs);
	regs->fs_base = want->fs_base;
	regs->gs_base = want->gs_base;
	if (st_classify(ctx, sig, &si, regs, ev) == ST_REPORT)
		return 1;
	memset(ev, 0, sizeof(*ev));
	struct st_slot *s = st_slot(as, ctx->slot);
	st_slot_want_bases(ctx, as, s, want->fs_base, want->gs_base);
	s->fast = 0;
	return 0;
}

/* ---- binding a context to a thread ------------------------------------------ */

/* Give ctx's thread back to its address space as a spare. */
static void st_ctx_unbind(struct context *ctx)
{
	struct addr_space *as = ctx->as;
	if (!as)
		return;
	vmutex_lock(&as->lock);
	if (!atomic_load(&as->released) && !atomic_load(&as->dead)) {
		uint8_t wait = as->sp->notif && as->thr ? as->thr[ctx->slot].wait : ST_W_HANDOFF;
		const volatile struct st_slot *s = st_slot(as, ctx->slot);
		bool parked;
		if (wait == ST_W_SYSCALL) {
			/* In an app syscall (its exit): to the handler, whose
			 * hand-off the next context of the slot takes.  Its
			 * vector state, live in the thread, is not kept. */
			parked = st_notif_park(as, ctx->slot, ctx->tid) == 0;
		} else {
			if (!ctx->fp_dirty && ctx->fpu) {
				st_frame_read_fp(ctx, as, &ctx->fp);
				ctx->fp_dirty = true;
			}
			parked = s->state == ST_STATE_EVENT && wait == ST_W_HANDOFF;
		}
		as->use[ctx->slot] = parked ? SLOT_SPARE : SLOT_BROKEN;
	}
	vmutex_unlock(&as->lock);
	ctx->partial = false;
	ctx->as = NULL;
	ctx->slot = -1;
	ctx->uc = ctx->fpu = 0;
	st_as_put(as);
}

/* A new thread in slot i (the caller holds as->lock). */
static int st_thread_new(struct addr_space *as, int i)
{
	struct st_slot *s = st_slot(as, i);
	memset(s, 0, sizeof(*s));
	s->fs_cur = s->gs_cur = ~0ULL; /* unknown: set on the first resume */
	s->self = st_area(i);
	const long args[6] = {ST_THREAD_CLONE_FLAGS, (long)(st_area(i) + ST_TH_SIZE)};
	int64_t tid = 0;
	int err = st_leader_op(as, SYS_clone, args, &tid);
	if (err)
		return err;
	as->tid[i] = (pid_t)tid;
	return 0;
}

/* Bind ctx to a thread of as: a spare, or a new one (creating the stub
 * first if as has none). */
static int st_ctx_bind(struct context *ctx, struct addr_space *as)
{
	if (ctx->as)
		st_ctx_unbind(ctx);
	vmutex_lock(&as->lock);
	int err = 0;
	if (atomic_load(&as->dead) || atomic_load(&as->released))
		err = -ESRCH;
	else if (!as->pid)
		err = st_as_create_stub(as);
	int slot = -1;
	bool fresh = false;
	for (unsigned i = 0; !err && i < as->nslots; i++)
		if (as->use[i] == SLOT_SPARE) {
			slot = (int)i;
			break;
		}
	if (!err && slot < 0) {
		if (as->nslots == ST_MAX_THREADS) {
			err = -EAGAIN;
		} else {
			slot = (int)as->nslots;
			err = st_thread_new(as, slot);
			if (!err) {
				as->nslots++;
				fresh = true;
			}
		}
	}
	if (!err && (slot < 0 || slot >= ST_MAX_THREADS))
		err = -EAGAIN;
	if (!err)
		as->use[slot] = SLOT_OWNED;
	pid_t tid = slot >= 0 ? as->tid[slot] : 0;
	vmutex_unlock(&as->lock);
	if (err)
		return err;
	struct st_slot *s = st_slot(as, slot);
	if (fresh) {
		/* Its first trap (stub.S: the thread's start) parks it. */
		err = st_slot_wait(as, s, NULL);
		if (!err && as->sp->notif) {
			vmutex_lock(&as->lock);
			err = st_thr_attach(as, slot);
			vmutex_unlock(&as->lock);
		}
	}
	if (!err && as->sp->notif)
		err = st_thr_settle(as, slot); /* the hand-off of that trap, or a park's */
	if (!err && atomic_load((_Atomic uint32_t *)&s->state) != ST_STATE_EVENT)
		err = -EPROTO; /* a spare that is not parked */
	ctx->slot = slot;
	ctx->tid = tid;
	ctx->stub_cpu = -1;
	ctx->tid_ok = false;
	int sig;
	siginfo_t si;
	if (!err)
		err = st_frame_locate(ctx, as, &sig, &si);
	if (err) {
		vmutex_lock(&as->lock);
		as->use[slot] = SLOT_BROKEN;
		vmutex_unlock(&as->lock);
		ctx->slot = -1;
		if (err == -EPROTO || err == -ETIMEDOUT) {
			st_as_kill(as, err == -EPROTO ? "a new thread left the protocol"
						      : "a new thread never started");
			err = -ESRCH;
		}
		return err;
	}
	st_as_get(as);
	ctx->as = as;
	ctx->fp_dirty = true; /* the context's FPU state, not the thread's */
	return 0;
}

/* ---- platform ------------------------------------------------------------------ */

static int systrap_init(struct platform *p)
{
	struct st_platform *sp = NULL;
	int err = st_platform_new(p->memfd, &sp);
	p->priv = sp;
	return err;
}

static void systrap_fini(struct platform *p)
{
	if (p->priv)
		st_pool_stop(p->priv);
	st_platform_free(p->priv);
	p->priv = NULL;
}

/* ---- address spaces ---------------------------------------------------------- */

struct addr_space *st_as_alloc(struct st_platform *sp)
{
	struct addr_space *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	as->sp = sp;
	as->efd = -1;
	as->nsock = -1;
	as->leader_cpu = -1;
	atomic_init(&as->refs, 1);
	atomic_init(&as->released, false);
	atomic_init(&as->dead, false);
	vmutex_init(&as->lock, LOCK_CLASS(PLATFORM_AS));
	return as;
}

static struct addr_space *systrap_new_addr_space(struct platform *p)
{
	return st_as_alloc(p->priv);
}

/*
 * Before the first entry (no stub yet): op joins the queue, which the stub's
 * first request carries (st_as_create_stub, context_switch), before any app
 * instruction: a fork's child gets the maps of its parent's working set
 * there (platform_ops.map_before_entry).  0 when queued.  A full queue
 * takes no more maps (-ENOSPC: not mapped, the Sentry refaults it); an
 * unmap or a protect that does not fit empties it instead (1): with
 * nothing mapped at all, no stale or too permissive mapping can stay.
 */
static int st_as_queue_unentered(struct addr_space *as, long nr, const long args[6])
{
	if (as->nqueued < ST_MAX_OPS - 1) {
		as->queue[as->nqueued] = st_op_of(nr, args);
		__atomic_store_n(&as->nqueued, as->nqueued + 1, __ATOMIC_SEQ_CST);
		return 0;
	}
	if (nr == SYS_mmap)
		return -ENOSPC;
	__atomic_store_n(&as->nqueued, 0, __ATOMIC_SEQ_CST);
	return 1;
}

/*
 * A map or a protect: sent to the leader at once when some context of as
 * runs app code (it must see the change from now on), else queued until the
 * next request or the next time a context of as runs (context_switch sends
 * the queue first).  Either way it holds before any app code of as runs
 * again: one request for all the protects of a fork, for instance, instead
 * of one each.  0, 1 (not kept: nothing is mapped), or -errno.
 */
static int st_as_queue(struct addr_space *as, long nr, const long args[6])
{
	if (atomic_load(&as->released))
		return -ESRCH;
	vmutex_lock(&as->lock);
	int err = 1;
	if (!as->pid) {
		err = st_as_queue_unentered(as, nr, args);
	} else if (atomic_load(&as->dead)) {
		err = -ESRCH;
	} else {
		as->queue[as->nqueued] = st_op_of(nr, args);
		__atomic_store_n(&as->nqueued, as->nqueued + 1, __ATOMIC_SEQ_CST);
		err = 0;
		/* Pairs with context_switch: it counts itself running, then
		 * looks at the queue. */
		if (atomic_load(&as->running) || as->nqueued == ST_MAX_OPS - 1)
			err = st_as_flush(as, NULL, NULL);
	}
	vmutex_unlock(&as->lock);
	return err;
}

static int systrap_as_map(struct addr_space *as, uint64_t addr, uint64_t len, int prot,
			  uint64_t offset)
{
	if (!st_range_ok(addr, len) || !PAGE_ALIGNED(offset) ||
	    (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	const long args[6] = {(long)addr,	    (long)len, prot, MAP_SHARED | MAP_FIXED,
			      as->sp->memfd, (long)offset};
	int err = st_as_queue(as, SYS_mmap, args);
	return err == 1 ? 0 : err;
}

static int systrap_as_unmap(struct addr_space *as, uint64_t addr, uint64_t len)
{
	if (!st_range_ok(addr, len))
		return -EINVAL;
	const long args[6] = {(long)addr, (long)len};
	int err;
	if (atomic_load(&as->released))
		return -ESRCH;
	vmutex_lock(&as->lock);
	if (!as->pid) /* unmaps what the queue maps, or nothing */
		err = __atomic_load_n(&as->nqueued, __ATOMIC_SEQ_CST)
			  ? st_as_queue_unentered(as, SYS_munmap, args)
			  : 1;
	else
		err = st_leader_op(as, SYS_munmap, args, NULL);
	vmutex_unlock(&as->lock);
	return err == 1 ? 0 : err;
}

static int systrap_as_protect(struct addr_space *as, uint64_t addr, uint64_t len, int prot)
{
	if (!st_range_ok(addr, len) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	const long args[6] = {(long)addr, (long)len, prot};
	int err = st_as_queue(as, SYS_mprotect, args);
	/* A protect that failed (a hole: the mappings are a cache) left the
	 * range unmapped, which is always correct: the Sentry refaults it. */
	return err == 1 || (err < 0 && err != -ESRCH) ? 0 : err;
}

/* Threads are cloned by the leader when a context first enters; here only
 * whether one more can be: clone fails with EAGAIN, as at a thread limit,
 * rather than the new task dying at its first switch. */
static int systrap_as_prepare_thread(struct addr_space *as)
{
	if (atomic_load(&as->released))
		return -ESRCH;
	vmutex_lock(&as->lock);
	bool room = as->nslots < ST_MAX_THREADS;
	for (unsigned i = 0; !room && i < as->nslots; i++)
		room = as->use[i] == SLOT_SPARE;
	vmutex_unlock(&as->lock);
	return room ? 0 : -EAGAIN;
}

static int systrap_as_host_pid(struct addr_space *as)
{
	bool gone = atomic_load(&as->released) || atomic_load(&as->dead);
	return gone ? 0 : systrap_as_stub_pid(as);
}

static bool systrap_as_dead(struct addr_space *as)
{
	if (atomic_load(&as->released))
		return false;
	if (atomic_load(&as->dead))
		return true;
	return systrap_as_stub_pid(as) != 0 && st_as_check_dead(as);
}

/* The leader is the thread ps shows; app threads keep the name they were
 * cloned with (the one in force when they were created). */
static int systrap_as_set_name(struct addr_space *as, const char *name)
{
	if (atomic_load(&as->released))
		return -ESRCH;
	vmutex_lock(&as->lock);
	plat_name_set(as->name, name);
	int err = atomic_load(&as->dead) ? -ESRCH : as->pid ? st_as_apply_name(as) : 0;
	vmutex_unlock(&as->lock);
	return err;
}

/*
 * Every context of as has left context_switch by now (the Sentry releases an
 * address space when nothing uses it), so every stub thread is parked in the
 * handler or the leader, running no app code: the Sentry may reuse the
 * memory at once.  (A stub killed for breaking the protocol was waited for
 * by st_as_kill.)  Dying and reaping go on in the background.
 */
static void systrap_as_release(struct addr_space *as)
{
	if (!as)
		return;
	if (st_pool_recycle(as))
		return;
	atomic_store(&as->released, true);
	vmutex_lock(&as->lock);
	pid_t pid = as->pid;
	if (pid) {
		kill(pid, SIGKILL);
		atomic_store(&as->dead, true);
		close(as->efd);
		as->efd = -1;
		munmap(as->ctl, ST_CTL_MEMFD_SIZE);
		as->ctl = NULL;
		st_thr_close_all(as);
	}
	vmutex_unlock(&as->lock);
	if (pid)
		st_reap_later(as->sp, pid);
	st_as_put(as);
}

static int systrap_as_patch_syscall(struct addr_space *as, uint64_t site, uint32_t nr,
				    uint8_t call[5])
{
	return st_patch_call(as->sp, site, nr, call);
}

/* ---- contexts ------------------------------------------------------------------ */

static struct context *systrap_new_context(struct platform *p)
{
	struct context *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->sp = p->priv;
	ctx->slot = -1;
	ctx->stub_cpu = -1;
	ctx->self_cpu = -1;
	ctx->fp_size = p->xstate_size;
	ctx->fp_features = p->xstate_features;
	plat_fpregs_init(&ctx->fp, ctx->fp_size);
	ctx->fp_dirty = true;
	ctx->spin = atomic_load_explicit(&ctx->sp->spin_now, memory_order_relaxed);
	ctx->stub_spin = atomic_load_explicit(&ctx->sp->stub_spin_now, memory_order_relaxed);
	return ctx;
}

/* The signal makes the running stub thread trap into its handler, which
 * context_switch reports as PLAT_EV_INTERRUPT. */
static void systrap_context_interrupt(struct context *ctx)
{
	plat_run_interrupt(&ctx->run, ST_SIG_INTERRUPT);
	if (ctx->sp->notif)
		st_notif_interrupted(ctx);
}

/* Tie us and ctx's stub thread to one CPU (systrap_cpu.c), but for a stub
 * thread that computes: untie it. */
static void st_colocate(struct context *ctx, struct addr_space *as)
{
	struct st_platform *sp = ctx->sp;
	if (!sp->colocate)
		return;
	if (ctx->long_run) {
		if (ctx->stub_cpu >= 0 && st_cpu_pin(sp, ctx->tid, -1) == 0)
			ctx->stub_cpu = -1;
		return;
	}
	st_cpu_unpark(sp, ctx->self_cpu, &ctx->parked);
	int cpu = st_cpu_tie(sp, &ctx->self_cpu);
	if (cpu < 0 || cpu == ctx->stub_cpu)
		return;
	/* The tid came from the leader's answer, in memory the app can
	 * write: make sure it is a thread of the stub before tying it. */
	if (!ctx->tid_ok)
		ctx->tid_ok = syscall(SYS_tgkill, as->pid, ctx->tid, 0) == 0;
	if (ctx->tid_ok && st_cpu_pin(sp, ctx->tid, cpu) == 0)
		ctx->stub_cpu = cpu;
}

/* The Sentry thread owning ctx is about to sleep in the Sentry: it lets go
 * of its CPU (systrap_cpu.c). */
static void systrap_context_blocking(struct context *ctx)
{
	if (!ctx || !ctx->sp->colocate)
		return;
	/* Parked only while a task, not the netstack or a timer, woke it
	 * last: a receiver the netstack's service thread feeds must wake
	 * where the host finds room, or it waits for the CPU the service
	 * thread works on (iperf3 into the container lost a quarter). */
	if (ctx->sp->park && !ctx->woken_by_other) {
		st_cpu_park(ctx->sp, ctx->self_cpu, &ctx->parked);
		return;
	}
	/* Parked by a sleep before this one, with no resume between (a wait
	 * the Sentry retries): counted again, then untied. */
	st_cpu_unpark(ctx->sp, ctx->self_cpu, &ctx->parked);
	st_cpu_untie(ctx->sp, &ctx->self_cpu, true);
}

static int systrap_cpu_hint(struct platform *p)
{
	struct st_platform *sp = p->priv;
	return sp->park ? st_cpu_self() : -1;
}

/* Woken by a task whose hand-offs run on cpu: ours go there too, where the
 * two most often take turns (a futex, a pipe, a child's exit). */
static void systrap_context_woken(struct context *ctx, int cpu)
{
	if (!ctx || !ctx->sp->park)
		return;
	ctx->woken_by_other = cpu < 0;
	if (cpu >= 0)
		st_cpu_follow(ctx->sp, &ctx->self_cpu, &ctx->parked, cpu);
}

static int systrap_context_switch(struct context *ctx, struct addr_space *as, plat_regs_t *regs,
				  struct plat_event *ev)
{
	if (atomic_load(&as->released))
		return -ESRCH;
	if (ctx->as != as) {
		int err = st_ctx_bind(ctx, as);
		if (err)
			return err;
	}
	if (atomic_load(&as->dead))
		return -ESRCH;
	/* The app may not choose an fs/gs base the kernel would refuse (the
	 * Sentry's arch_prctl must have rejected those). */
	if (regs->fs_base >= ST_USER_TOP || regs->gs_base >= ST_USER_TOP)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	if (!plat_run_start(&ctx->run, as->pid, ctx->tid)) {
		ev->kind = PLAT_EV_INTERRUPT;
		ev->partial = ctx->partial;
		return 0;
	}
	struct st_slot *s = st_slot(as, ctx->slot);
	plat_regs_t want = *regs;
	if (!ctx->sp->notif)
		st_frame_write(ctx, as, &want);
	int err = 0;
	st_colocate(ctx, as);
	atomic_fetch_add(&as->running, 1);
	if (__atomic_load_n(&as->nqueued, __ATOMIC_SEQ_CST)) {
		vmutex_lock(&as->lock);
		err = st_as_flush(as, NULL, NULL);
		vmutex_unlock(&as->lock);
	}
	if (!err && ctx->sp->notif)
		err = st_notif_run(ctx, as, &want, regs, ev);
	for (; !err && !ctx->sp->notif;) {
		st_slot_resume(ctx, s);
		err = st_slot_wait(as, s, ctx);
		if (err)
			break;
		st_ctx_seen(ctx);
		int r = st_trap_take(ctx, as, &want, regs, ev);
		if (r != 0) {
			err = r < 0 ? r : 0;
			break;
		}
	}
	atomic_fetch_sub(&as->running, 1);
	plat_run_stop(&ctx->run);
	return err;
}

static int systrap_context_get_fpregs(struct context *ctx, plat_fpregs_t *fp)
{
	struct addr_space *as = ctx->as;
	if (ctx->fp_dirty || !as || !ctx->fpu || atomic_load(&as->dead) ||
	    atomic_load(&as->released)) {
		memcpy(fp->bytes, ctx->fp.bytes, ctx->fp_size);
		return 0;
	}
	/* In an app syscall: its vector state is live in the thread, whose
	 * hand-off has it (the registers stay partial until asked for). */
	if (ctx->partial) {
		int err = st_notif_to_handoff(ctx, as);
		if (err)
			return err;
	}
	st_frame_read_fp(ctx, as, fp);
	return 0;
}

static int systrap_context_set_fpregs(struct context *ctx, const plat_fpregs_t *fp)
{
	memcpy(ctx->fp.bytes, fp->bytes, ctx->fp_size);
	ctx->fp_dirty = true; /* written into the frame by the next switch */
	return 0;
}

static void systrap_context_release(struct context *ctx)
{
	if (!ctx)
		return;
	/* By its owner, at its task's exit (which may still sleep). */
	st_cpu_unpark(ctx->sp, ctx->self_cpu, &ctx->parked);
	st_cpu_untie(ctx->sp, &ctx->self_cpu, true);
	st_ctx_unbind(ctx);
	free(ctx);
}

/* ---- test and debugging accessors --------------------------------------------- */

pid_t systrap_as_stub_pid(struct addr_space *as) { return __atomic_load_n(&as->pid, __ATOMIC_ACQUIRE); }

int systrap_as_death_status(struct addr_space *as)
{
	vmutex_lock(&as->lock);
	/* Once marked dead (perhaps killed by us a moment ago), wait for it. */
	if (as->pid && !atomic_load(&as->released))
		st_as_poll_death(as, atomic_load(&as->dead));
	vmutex_unlock(&as->lock);
	return atomic_load(&as->death_status);
}

int systrap_ctx_slot(struct context *ctx) { return ctx->as ? ctx->slot : -1; }

pid_t systrap_ctx_tid(struct context *ctx) { return ctx->as ? ctx->tid : -1; }

unsigned systrap_as_requests(struct addr_space *as)
{
	vmutex_lock(&as->lock);
	unsigned n = as->seq;
	vmutex_unlock(&as->lock);
	return n;
}

long systrap_as_leader_call(struct addr_space *as, long nr, const long args[6])
{
	if (atomic_load(&as->released))
		return -ESRCH;
	vmutex_lock(&as->lock);
	int64_t res = 0;
	int err = as->pid ? st_leader_op(as, nr, args, &res) : -ENOENT;
	vmutex_unlock(&as->lock);
	return err ? err : (long)res;
}

static void systrap_stats(struct platform *p, struct plat_stats *st)
{
	struct st_platform *sp = p->priv;
	st->requests = atomic_load_explicit(&sp->requests, memory_order_relaxed);
	st->ops = atomic_load_explicit(&sp->ops, memory_order_relaxed);
}

const struct platform_ops systrap_platform_ops = {
    .name = "systrap",
    .init = systrap_init,
    .fini = systrap_fini,
    .jail_rules = systrap_jail_rules,
    .new_addr_space = systrap_new_addr_space,
    .map_before_entry = true,
    .as_map = systrap_as_map,
    .as_unmap = systrap_as_unmap,
    .as_protect = systrap_as_protect,
    .as_prepare_thread = systrap_as_prepare_thread,
    .as_release = systrap_as_release,
    .as_recycle = systrap_as_recycle,
    .as_host_pid = systrap_as_host_pid,
    .as_dead = systrap_as_dead,
    .as_set_name = systrap_as_set_name,
    .as_patch_syscall = systrap_as_patch_syscall,
    .stats = systrap_stats,
    .new_context = systrap_new_context,
    .context_switch = systrap_context_switch,
    .context_full_regs = systrap_context_full_regs,
    .context_get_fpregs = systrap_context_get_fpregs,
    .context_set_fpregs = systrap_context_set_fpregs,
    .context_interrupt = systrap_context_interrupt,
    .context_blocking = systrap_context_blocking,
    .cpu_hint = systrap_cpu_hint,
    .context_woken = systrap_context_woken,
    .context_release = systrap_context_release,
};
