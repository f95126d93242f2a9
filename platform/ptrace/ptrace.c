/*
 * ptrace.c — the ptrace platform: address spaces are stub processes, app
 * threads are stub threads run under PTRACE_SYSEMU by their Sentry thread.
 *
 * Owns: struct addr_space, struct context, the per-Sentry-thread records of
 * which stub thread the thread traces in which address space, and
 * ptrace_platform_ops.  Host mechanics (stub page, seccomp, fork, injection)
 * are in ptrace_stub.c.
 *
 * Model (gVisor's ptrace platform; DESIGN.md §5, §10):
 *  - ptrace requests for a tracee must come from its tracer *thread*, so each
 *    Sentry thread traces its own stub thread in every address space it runs
 *    in.  That record lives in thread-local storage (struct pt_rec); the
 *    context only remembers where it ran last (for FP state).
 *  - A stub process is created lazily by the first thread that switches into
 *    the address space.  Its leader is never an app thread: the creator
 *    injects a clone for itself and detaches the leader into the stub's wait
 *    loop.  So the leader is always a plain (untraced) child of the Sentry,
 *    and a stub thread's death is always reported at once to its tracer
 *    (a traced group leader would stay an unreapable zombie while other
 *    threads live).
 *  - More app threads: as_prepare_thread injects clone(CLONE_THREAD) into the
 *    caller's stub thread; the new thread waits in the stub's pause loop
 *    (a "spare") until some Sentry thread PTRACE_SEIZEs and interrupts it.
 *  - A Sentry thread that stops running app code (context_release, or its
 *    exit via a TLS destructor) detaches its stub threads back into the wait
 *    loop as spares.  Were it to exit still tracing them, PTRACE_O_EXITKILL
 *    would SIGKILL the whole stub.
 *  - as_release SIGKILLs the stub and reaps every thread: wait(2) considers
 *    the children and tracees of all threads in the caller's thread group, so
 *    any Sentry thread can reap stub threads traced by any other.
 *
 * Requirements on the rest of the Sentry (all from wait(2) semantics): never
 * wait for "any child" (waitpid(-1) or P_ALL) without __WNOTHREAD — it would
 * steal ptrace stops of stub threads; leave SIGCHLD at its default action or
 * blocked (every ptrace stop sends one to the Sentry).  Stubs are forked from
 * the Sentry, so they inherit any seccomp filter the Sentry installed: what
 * they and this platform's Sentry threads call is listed in ptrace_jail.c,
 * which the Sentry's jail adds to its own rules.
 */
#include "lib/lockdep.h"
#include "platform/platform.h"
#include "platform/plat_util.h"
#include "platform/ptrace/ptrace_internal.h"

#include "lib/log.h"

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

struct pt_tids {
	pid_t *v;
	size_t n, cap;
};

struct addr_space {
	struct pt_platform *pp;
	atomic_int refs;       /* the Sentry's (until as_release), plus one per pt_rec/context */
	atomic_bool released;  /* as_release ran: nothing may use it */
	struct vmutex lock;  /* protects everything below; never held across an app run */
	pid_t pid;	       /* the stub process (its tgid); 0 until first entered */
	bool stub_dead;	       /* the stub died on its own (seccomp, OOM, kill from outside) */
	int death_status;      /* wait status of the first stub thread seen dead */
	plat_regs_t init_regs; /* a valid register set: segment selectors come from here */
	struct pt_tids spares; /* untraced stub threads in the wait loop */
	struct pt_tids traced; /* stub threads some Sentry thread traces */
	char name[PT_NAME_LEN]; /* the host name (comm) for the stub; "" = keep the Sentry's */
};

/* One per (Sentry thread, addr_space it has entered); in that thread's TLS. */
struct pt_rec {
	struct pt_rec *next;
	struct addr_space *as; /* holds a reference */
	pid_t tid;	       /* the stub thread this Sentry thread traces in as */
	int cpu;	       /* the CPU tid is bound to, -1 if none */
	bool kregs_valid;      /* kregs is what the kernel holds for tid */
	plat_regs_t kregs;
};

struct context {
	struct pt_platform *pp;
	pid_t owner; /* host tid of the owning Sentry thread */
	struct plat_run run; /* may app code run, a pending interrupt (plat_util.h) */
	struct addr_space *cur_as; /* where the app thread last ran (reference held) */
	pid_t cur_tid;
	bool fp_dirty; /* fp must be written to the stub thread before running */
	uint32_t fp_size; /* the platform's xstate_size */
	bool fp_xsave;    /* fp is an XSAVE area (NT_X86_XSTATE), not FXSAVE only */
	plat_fpregs_t fp;
};

static __thread struct pt_rec *pt_tls_recs;
static pthread_key_t pt_tls_key;
static pthread_once_t pt_tls_once = PTHREAD_ONCE_INIT;
static int pt_tls_key_err;

/* ---- small helpers ----------------------------------------------------- */

static int pt_tids_push(struct pt_tids *t, pid_t tid)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		pid_t *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = tid;
	return 0;
}

static void pt_tids_remove(struct pt_tids *t, pid_t tid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == tid) {
			t->v[i] = t->v[--t->n];
			return;
		}
}

static void pt_as_get(struct addr_space *as) { atomic_fetch_add(&as->refs, 1); }

static void pt_as_put(struct addr_space *as)
{
	if (atomic_fetch_sub(&as->refs, 1) != 1)
		return;
	vmutex_destroy(&as->lock);
	free(as->spares.v);
	free(as->traced.v);
	free(as);
}

static pid_t pt_gettid(void) { return (pid_t)syscall(SYS_gettid); }

/* Record that a stub thread was seen dead: the address space is unusable. */
static void pt_as_mark_dead(struct addr_space *as, pid_t tid, int status)
{
	vmutex_lock(&as->lock);
	if (!as->stub_dead) {
		as->stub_dead = true;
		as->death_status = status;
		if (status && WIFSIGNALED(status))
			log_warn("ptrace: stub %d thread %d killed by signal %d", as->pid, tid,
				 WTERMSIG(status));
	}
	vmutex_unlock(&as->lock);
}

static void pt_rec_free(struct pt_rec *r)
{
	pt_as_put(r->as);
	free(r);
}

/*
 * This thread's record for as, or NULL.  Records of released address spaces
 * are dropped on the way (their stub threads were reaped by as_release).
 */
static struct pt_rec *pt_rec_find(struct addr_space *as)
{
	struct pt_rec **pp = &pt_tls_recs;
	while (*pp) {
		struct pt_rec *r = *pp;
		if (r->as == as)
			return r;
		if (atomic_load(&r->as->released)) {
			*pp = r->next;
			pt_rec_free(r);
			continue;
		}
		pp = &r->next;
	}
	return NULL;
}

static void pt_rec_unlink(struct pt_rec *rec)
{
	for (struct pt_rec **pp = &pt_tls_recs; *pp; pp = &(*pp)->next)
		if (*pp == rec) {
			*pp = rec->next;
			return;
		}
}

/*
 * Give this thread's stub thread in rec->as back to the address space as a
 * spare: park it in the wait loop and detach.  The calling thread must be
 * its tracer and it must be stopped.
 */
static void pt_rec_detach(struct pt_rec *rec)
{
	struct addr_space *as = rec->as;
	if (!atomic_load(&as->released)) {
		plat_regs_t r = rec->kregs;
		bool ok = false;
		if (rec->kregs_valid || ptrace(PTRACE_GETREGS, rec->tid, NULL, &r) == 0) {
			/* Untraced from here: parked in the stub's wait loop, never
			 * at app code (ptrace_internal.h, the invariant). */
			r.rip = pt_stub_wait_addr(as->pp);
			r.orig_rax = (unsigned long long)-1;
			r.eflags &= ~0x100ULL;
			ok = pt_stub_runs_at(as->pp, r.rip) &&
			     ptrace(PTRACE_SETREGS, rec->tid, NULL, &r) == 0 &&
			     ptrace(PTRACE_DETACH, rec->tid, NULL, NULL) == 0;
		}
		int err = errno;
		vmutex_lock(&as->lock);
		if (ok) {
			pt_tids_remove(&as->traced, rec->tid);
			if (pt_tids_push(&as->spares, rec->tid) < 0)
				log_warn("ptrace: lost spare stub thread %d", rec->tid);
		} else if (err == ESRCH) {
			/* Not stopped any more: it is dying (the stub was
			 * killed).  We are its tracer, so collect it here. */
			pt_tids_remove(&as->traced, rec->tid);
		}
		/* Otherwise it stays listed as traced, and as_release reaps it. */
		vmutex_unlock(&as->lock);
		if (!ok && err == ESRCH)
			pt_reap(rec->tid);
		else if (!ok)
			log_warn("ptrace: cannot detach stub thread %d: %s", rec->tid,
				 strerror(err));
	}
	pt_rec_free(rec);
}

static void pt_detach_all(void)
{
	while (pt_tls_recs) {
		struct pt_rec *r = pt_tls_recs;
		pt_tls_recs = r->next;
		pt_rec_detach(r);
	}
}

/* A Sentry thread exiting while tracing would take its stubs down with it
 * (PTRACE_O_EXITKILL): detach first. */
static void pt_tls_destructor(void *unused) { pt_detach_all(); }

static void pt_tls_init(void)
{
	pt_tls_key_err = pthread_key_create(&pt_tls_key, pt_tls_destructor);
}

/*
 * Take stub thread tid (untraced, in the wait loop) as this thread's tracee:
 * seize, interrupt, wait for the stop.
 */
static int pt_seize(pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL,
		   (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) < 0 ||
	    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0)
		return -errno;
	int st, err = pt_wait(tid, &st);
	if (err)
		return err;
	if (!WIFSTOPPED(st))
		return -ESRCH;
	return 0;
}

/* Create the stub process of as; the caller holds as->lock.  On success one
 * spare thread exists for the caller to take, and the leader waits, detached. */
static int pt_as_create_stub(struct addr_space *as)
{
	struct pt_platform *pp = as->pp;
	pid_t pid;
	plat_regs_t regs;
	int err = pt_stub_create(pp, &pid, &regs);
	if (err)
		return err;
	/* Name the leader (the thread ps shows) before it clones: every stub
	 * thread then starts with the name too. */
	if (as->name[0]) {
		err = pt_stub_set_name(pp, pid, &regs, as->name);
		if (err)
			log_warn("ptrace: naming stub %d: %s", pid, strerror(-err));
		if (err != -ESRCH) /* only a dead stub is worth failing for */
			err = 0;
	}
	const long args[6] = {PT_THREAD_CLONE_FLAGS};
	long tid;
	if (!err)
		err = pt_inject(pp, pid, &regs, pt_stub_clone_addr(pp), SYS_clone, args, &tid, NULL);
	if (!err && tid < 0)
		err = (int)tid;
	if (!err) {
		/* The leader, untraced from here, waits in the stub's loop and
		 * never runs app code (ptrace_internal.h, the invariant). */
		plat_regs_t r = regs;
		r.rip = pt_stub_wait_addr(pp);
		r.orig_rax = (unsigned long long)-1;
		r.eflags &= ~0x100ULL;
		if (ptrace(PTRACE_SETREGS, pid, NULL, &r) < 0 ||
		    ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0)
			err = -errno;
	}
	if (!err)
		err = pt_tids_push(&as->spares, (pid_t)tid);
	if (err) {
		kill(pid, SIGKILL);
		pt_reap(pid);
		return err;
	}
	as->pid = pid;
	as->init_regs = regs;
	return 0;
}

/* The calling thread enters as for the first time: make its record. */
static int pt_rec_enter(struct addr_space *as, struct pt_rec **out)
{
	pthread_once(&pt_tls_once, pt_tls_init);
	if (pt_tls_key_err)
		return -pt_tls_key_err;
	struct pt_rec *rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;

	vmutex_lock(&as->lock);
	int err = 0;
	if (as->stub_dead)
		err = -ESRCH;
	else if (!as->pid)
		err = pt_as_create_stub(as);
	pid_t tid = 0;
	if (!err && as->spares.n == 0)
		err = -EAGAIN; /* the Sentry must call as_prepare_thread first */
	if (!err) {
		tid = as->spares.v[--as->spares.n];
		err = pt_tids_push(&as->traced, tid);
		if (err)
			as->spares.n++;
	}
	vmutex_unlock(&as->lock);
	if (err) {
		free(rec);
		return err;
	}

	err = pt_seize(tid);
	if (err) {
		vmutex_lock(&as->lock);
		pt_tids_remove(&as->traced, tid);
		vmutex_unlock(&as->lock);
		free(rec);
		return err == -ECHILD ? -ESRCH : err;
	}
	pt_as_get(as);
	rec->as = as;
	rec->tid = tid;
	rec->cpu = -1;
	rec->next = pt_tls_recs;
	pt_tls_recs = rec;
	pthread_setspecific(pt_tls_key, (void *)1);
	*out = rec;
	return 0;
}

/*
 * Keep the stub thread on the CPU its tracer runs on (gVisor does the same):
 * a trap is two wakeups (tracer -> tracee -> tracer), and a wakeup onto
 * another CPU is an IPI, which in a VM is an exit.  On our 2-vCPU machines
 * the gain measured small (about 3%, ~4.9 against ~5.1 us per trap) but
 * never negative.  sched_getcpu is a vDSO call; the affinity syscall runs
 * only when the Sentry thread has migrated.
 */
static void pt_rec_follow_cpu(struct pt_rec *rec)
{
	int cpu = sched_getcpu();
	if (cpu < 0 || cpu == rec->cpu || cpu >= CPU_SETSIZE)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(rec->tid, sizeof(set), &set) == 0)
		rec->cpu = cpu;
}

/*
 * Inject a syscall into the calling thread's stub thread in as.  Returns 1
 * when as has no stub yet (nothing mapped, nothing to do), 0 with *ret the
 * result, or -errno.
 */
static int pt_as_syscall(struct addr_space *as, uint64_t site, long nr, const long args[6],
			 long *ret)
{
	if (atomic_load(&as->released))
		return -ESRCH;
	if (!ptrace_as_stub_pid(as))
		return 1;
	struct pt_rec *rec = pt_rec_find(as);
	if (!rec) {
		log_error("ptrace: address space operation from a thread that never entered it");
		return -EINVAL;
	}
	const plat_regs_t *base = rec->kregs_valid ? &rec->kregs : &as->init_regs;
	pt_rec_follow_cpu(rec);
	int death = 0;
	int err = pt_inject(as->pp, rec->tid, base, site, nr, args, ret, &death);
	rec->kregs_valid = false;
	if (err)
		pt_as_mark_dead(as, rec->tid, death);
	return err;
}

static bool pt_range_ok(uint64_t addr, uint64_t len)
{
	return len && PAGE_ALIGNED(addr) && PAGE_ALIGNED(len) && addr < PLAT_APP_TOP &&
	       len <= PLAT_APP_TOP - addr;
}

/* ---- platform ---------------------------------------------------------- */

static int ptrace_init(struct platform *p)
{
	struct stat stb;
	if (p->memfd < 0 || fstat(p->memfd, &stb) < 0)
		return -EBADF;
	struct pt_platform *pp = calloc(1, sizeof(*pp));
	if (!pp)
		return -ENOMEM;
	pp->memfd = p->memfd;
	int err = pt_stub_page_init(pp);
	if (err) {
		free(pp);
		return err;
	}
	p->priv = pp;
	return 0;
}

static void ptrace_fini(struct platform *p)
{
	struct pt_platform *pp = p->priv;
	if (!pp)
		return;
	pt_stub_page_fini(pp);
	free(pp);
	p->priv = NULL;
}

/* ---- address spaces ---------------------------------------------------- */

static struct addr_space *ptrace_new_addr_space(struct platform *p)
{
	struct addr_space *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	as->pp = p->priv;
	atomic_init(&as->refs, 1);
	atomic_init(&as->released, false);
	vmutex_init(&as->lock, LOCK_CLASS(PLATFORM_AS));
	return as;
}

static int ptrace_as_map(struct addr_space *as, uint64_t addr, uint64_t len, int prot,
			 uint64_t offset)
{
	if (!pt_range_ok(addr, len) || !PAGE_ALIGNED(offset) ||
	    (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	const long args[6] = {(long)addr,    (long)len,	  prot, MAP_SHARED | MAP_FIXED,
			      as->pp->memfd, (long)offset};
	long ret;
	int err = pt_as_syscall(as, pt_stub_inject_addr(as->pp), SYS_mmap, args, &ret);
	if (err)
		return err < 0 ? err : 0;
	if (ret < 0)
		return (int)ret;
	return (uint64_t)ret == addr ? 0 : -EIO;
}

static int ptrace_as_unmap(struct addr_space *as, uint64_t addr, uint64_t len)
{
	if (!pt_range_ok(addr, len))
		return -EINVAL;
	const long args[6] = {(long)addr, (long)len};
	long ret;
	int err = pt_as_syscall(as, pt_stub_inject_addr(as->pp), SYS_munmap, args, &ret);
	if (err)
		return err < 0 ? err : 0;
	return ret < 0 ? (int)ret : 0;
}

static int ptrace_as_protect(struct addr_space *as, uint64_t addr, uint64_t len, int prot)
{
	if (!pt_range_ok(addr, len) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	const long args[6] = {(long)addr, (long)len, prot};
	long ret;
	int err = pt_as_syscall(as, pt_stub_inject_addr(as->pp), SYS_mprotect, args, &ret);
	if (err)
		return err < 0 ? err : 0;
	if (ret == -ENOMEM) {
		/* The mappings are a cache, so a hole in the range is normal;
		 * but mprotect stops at the first hole and would leave later
		 * pages with their old (maybe wider) rights.  Dropping the
		 * whole range is always correct: the Sentry refaults it. */
		return ptrace_as_unmap(as, addr, len);
	}
	return ret < 0 ? (int)ret : 0;
}

/* Only a Sentry thread that traces a stub thread of as can inject into it
 * (an address space never entered has nothing mapped to change). */
static bool ptrace_as_can_change(struct addr_space *as)
{
	return atomic_load(&as->released) || !ptrace_as_stub_pid(as) || pt_rec_find(as) != NULL;
}

static int ptrace_as_prepare_thread(struct addr_space *as)
{
	if (atomic_load(&as->released))
		return -ESRCH;
	if (!ptrace_as_stub_pid(as))
		return 0; /* the first thread to enter creates the stub and its own thread */
	const long args[6] = {PT_THREAD_CLONE_FLAGS};
	long tid;
	int err = pt_as_syscall(as, pt_stub_clone_addr(as->pp), SYS_clone, args, &tid);
	if (err)
		return err < 0 ? err : 0;
	if (tid < 0)
		return (int)tid;
	vmutex_lock(&as->lock);
	err = pt_tids_push(&as->spares, (pid_t)tid);
	vmutex_unlock(&as->lock);
	/* On failure the thread just idles in the stub until as_release. */
	return err;
}

static int ptrace_as_host_pid(struct addr_space *as)
{
	vmutex_lock(&as->lock);
	pid_t pid = as->stub_dead || atomic_load(&as->released) ? 0 : as->pid;
	vmutex_unlock(&as->lock);
	return pid;
}

/* Has host thread tid (our child or a tracee of some Sentry thread) exited?
 * WNOWAIT: its reaper (the tracer, or as_release) still collects it. */
static bool pt_exited_nowait(pid_t tid, int *status)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r;
	while ((r = waitid(P_PID, (id_t)tid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL)) < 0 &&
	       errno == EINTR)
		;
	if (r < 0 || si.si_pid != tid)
		return false;
	if (si.si_code == CLD_EXITED)
		*status = (si.si_status & 0xff) << 8;
	else if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
		*status = si.si_status & 0x7f;
	else
		return false; /* a ptrace stop: alive */
	return true;
}

/*
 * A stub killed from outside: its traced threads become zombies that only
 * a wait shows (wait(2) looks at the tracees of every thread of the
 * Sentry), and the leader, untraced, once they are all gone.  Spares,
 * untraced non-leader threads, are never waitable; the leader stands for
 * them.
 */
static bool ptrace_as_dead(struct addr_space *as)
{
	if (atomic_load(&as->released))
		return false;
	vmutex_lock(&as->lock);
	bool dead = as->stub_dead, seen = false;
	pid_t tid = 0;
	int st = 0;
	if (!dead && as->pid) {
		for (size_t i = 0; !seen && i < as->traced.n; i++)
			if (pt_exited_nowait(as->traced.v[i], &st)) {
				seen = true;
				tid = as->traced.v[i];
			}
		if (!seen && pt_exited_nowait(as->pid, &st)) {
			seen = true;
			tid = as->pid;
		}
	}
	vmutex_unlock(&as->lock);
	if (seen)
		pt_as_mark_dead(as, tid, st);
	return dead || seen;
}

/*
 * Rename the stub's leader, untraced in the wait loop: seize it, name it,
 * park it back in the wait loop and detach.  The caller holds as->lock, so
 * no other rename (nor stub creation) runs meanwhile; nothing else ever
 * touches the leader.  Any Sentry thread may do this (it need not have
 * entered as): the leader is a child of the Sentry, and must not stay traced
 * when this thread exits (PTRACE_O_EXITKILL), hence the detach.
 */
static int pt_as_name_leader(struct addr_space *as)
{
	pid_t pid = as->pid;
	int err = pt_seize(pid);
	if (err)
		return err == -ECHILD ? -ESRCH : err;
	err = pt_stub_set_name(as->pp, pid, &as->init_regs, as->name);
	if (err == -ESRCH)
		return err; /* dead: as_release reaps it */
	/* Back to the stub's wait loop before the detach: untraced, the
	 * leader never runs app code (ptrace_internal.h, the invariant). */
	plat_regs_t r = as->init_regs;
	r.rip = pt_stub_wait_addr(as->pp);
	r.orig_rax = (unsigned long long)-1;
	r.eflags &= ~0x100ULL;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &r) < 0 ||
	    ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0) {
		/* Still traced by us when we exit, EXITKILL would take the
		 * stub down: better now, and visibly. */
		int e = errno;
		log_error("ptrace: cannot release stub %d after naming it: %s", pid, strerror(e));
		kill(pid, SIGKILL);
		return -e;
	}
	return err;
}

/*
 * Only the stub's leader is renamed: it is the thread ps, /proc/PID/comm and
 * `docker top` show for the process.  App threads run on other stub threads,
 * which keep the name they were cloned with (the one in force when the stub
 * was created).
 */
static int ptrace_as_set_name(struct addr_space *as, const char *name)
{
	if (atomic_load(&as->released))
		return -ESRCH;
	vmutex_lock(&as->lock);
	plat_name_set(as->name, name);
	int err = 0;
	if (as->stub_dead)
		err = -ESRCH;
	else if (as->pid)
		err = pt_as_name_leader(as);
	/* else: applied when the stub is created (pt_as_create_stub). */
	vmutex_unlock(&as->lock);
	if (err == -ESRCH)
		pt_as_mark_dead(as, as->pid, 0);
	return err;
}

static void ptrace_as_release(struct addr_space *as)
{
	if (!as)
		return;
	atomic_store(&as->released, true);
	vmutex_lock(&as->lock);
	pid_t pid = as->pid;
	struct pt_tids traced = as->traced;
	as->traced = (struct pt_tids){0};
	vmutex_unlock(&as->lock);
	if (pid) {
		/* SIGKILL takes the whole thread group.  Traced threads stay
		 * zombies until waited for (by us: see the top comment); spare
		 * threads are reaped by the kernel; the leader, our child,
		 * becomes reapable once it is the last. */
		kill(pid, SIGKILL);
		for (size_t i = 0; i < traced.n; i++)
			if (traced.v[i] != pid)
				pt_reap(traced.v[i]);
		pt_reap(pid);
	}
	free(traced.v);
	struct pt_rec *rec = pt_rec_find(as);
	if (rec) {
		pt_rec_unlink(rec);
		pt_rec_free(rec);
	}
	pt_as_put(as);
}

/* ---- contexts ---------------------------------------------------------- */

static struct context *ptrace_new_context(struct platform *p)
{
	struct context *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->pp = p->priv;
	ctx->owner = pt_gettid();
	/* A fresh thread starts with the FPU's reset state (as after execve). */
	ctx->fp_size = p->xstate_size;
	ctx->fp_xsave = p->xstate_features != 0;
	plat_fpregs_init(&ctx->fp, ctx->fp_size);
	ctx->fp_dirty = true;
	return ctx;
}

/* The FPU state of stub thread tid into or from fp: the whole XSAVE area
 * (AVX and wider registers too) where the CPU has one. */
static int pt_fp_get(struct context *ctx, pid_t tid, plat_fpregs_t *fp)
{
	if (!ctx->fp_xsave)
		return ptrace(PTRACE_GETFPREGS, tid, NULL, &fp->fx) < 0 ? -errno : 0;
	struct iovec iov = {fp->bytes, ctx->fp_size};
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	if (iov.iov_len < ctx->fp_size)
		memset(fp->bytes + iov.iov_len, 0, ctx->fp_size - iov.iov_len);
	return 0;
}

static int pt_fp_set(struct context *ctx, pid_t tid, const plat_fpregs_t *fp)
{
	if (!ctx->fp_xsave)
		return ptrace(PTRACE_SETFPREGS, tid, NULL, &fp->fx) < 0 ? -errno : 0;
	struct iovec iov = {(void *)fp->bytes, ctx->fp_size};
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0 ? -errno : 0;
}

/* ctx moves to (as, rec->tid): carry its FP state over from where it ran. */
static void pt_ctx_move(struct context *ctx, struct addr_space *as, struct pt_rec *rec)
{
	if (!ctx->fp_dirty && ctx->cur_as && !atomic_load(&ctx->cur_as->released) &&
	    pt_fp_get(ctx, ctx->cur_tid, &ctx->fp) == 0)
		ctx->fp_dirty = true;
	if (ctx->cur_as != as) {
		pt_as_get(as);
		if (ctx->cur_as)
			pt_as_put(ctx->cur_as);
		ctx->cur_as = as;
	}
	ctx->cur_tid = rec->tid;
}

/* The app may not choose its segment selectors, nor an fs/gs base the kernel
 * would refuse (the Sentry's arch_prctl must have rejected those). */
static int pt_sanitize(const struct addr_space *as, plat_regs_t *r)
{
	r->cs = as->init_regs.cs;
	r->ss = as->init_regs.ss;
	r->ds = as->init_regs.ds;
	r->es = as->init_regs.es;
	r->fs = as->init_regs.fs;
	r->gs = as->init_regs.gs;
	r->orig_rax = (unsigned long long)-1; /* never restart a syscall on resume */
	if (r->fs_base >= PT_USER_TOP || r->gs_base >= PT_USER_TOP)
		return -EINVAL;
	return 0;
}

enum pt_stop { PT_STOP_REPORT, PT_STOP_IGNORE };

/* Classify a ptrace stop of the running app thread; fill ev when it is an
 * event for the Sentry. */
static enum pt_stop pt_classify(struct context *ctx, pid_t tid, int st, struct plat_event *ev)
{
	int sig = WSTOPSIG(st);
	if (sig == (SIGTRAP | 0x80)) {
		ev->kind = PLAT_EV_SYSCALL;
		return PT_STOP_REPORT;
	}
	if (st >> 16) /* PTRACE_EVENT_STOP: group-stop, or a stale PTRACE_INTERRUPT */
		return PT_STOP_IGNORE;
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) < 0)
		return PT_STOP_IGNORE; /* a group-stop */
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
		if (si.si_code <= 0) /* sent by someone, not a fault */
			return PT_STOP_IGNORE;
		ev->kind = PLAT_EV_FAULT;
		ev->fault_addr = (uint64_t)(uintptr_t)si.si_addr;
		ev->fault_signo = sig;
		ev->fault_code = si.si_code;
		return PT_STOP_REPORT;
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		if (si.si_code <= 0)
			return PT_STOP_IGNORE;
		ev->kind = PLAT_EV_SIGNAL;
		ev->info = si;
		return PT_STOP_REPORT;
	case SIGSYS:
		/* A call into the vsyscall page, trapped by the stub's filter
		 * (pt_build_filter): the host kernel has already "returned" to
		 * the caller (rip popped from the stack) with the emulated
		 * syscall's number in si_syscall.  Reported as that syscall, so
		 * the Sentry serves gettimeofday/time/getcpu as Linux's
		 * vsyscall emulation does; no stub ever runs host code there. */
		if (si.si_code != 1 /* SYS_SECCOMP */ ||
		    ((uint64_t)(uintptr_t)si.si_call_addr & ~0xfffULL) != PT_VSYSCALL_PAGE)
			return PT_STOP_IGNORE;
		ev->kind = PLAT_EV_SYSCALL;
		ev->info = si;
		return PT_STOP_REPORT;
	case SIGCHLD:
		/* Ours (context_interrupt) if the flag is still up; else a
		 * leftover from an interrupt already reported. */
		if (!atomic_exchange(&ctx->run.interrupt, 0))
			return PT_STOP_IGNORE;
		ev->kind = PLAT_EV_INTERRUPT;
		return PT_STOP_REPORT;
	default:
		/* Asynchronous host signals sent to the stub from outside
		 * (SIGSTOP, SIGTERM...) are suppressed: the Sentry owns the
		 * app's signals. */
		return PT_STOP_IGNORE;
	}
}

/*
 * The `syscall` instruction leaves the return address in rcx, so a syscall
 * stop with rcx != rip came from int $0x80 or sysenter: a 32-bit syscall,
 * whose numbers mean other things.  The Sentry has no 32-bit ABI, so report
 * what Linux without IA32 emulation gives: SIGSEGV (#GP, SI_KERNEL) at the
 * 2-byte instruction, with rax holding the number again.  (An app can fake
 * rcx == rip before int $0x80; it then gets the 64-bit syscall it could
 * have made anyway.)
 */
static void pt_not_syscall_insn(plat_regs_t *regs, struct pt_rec *rec, struct plat_event *ev)
{
	regs->rip -= 2;
	regs->rax = regs->orig_rax;
	regs->orig_rax = (unsigned long long)-1;
	rec->kregs_valid = false;
	memset(ev, 0, sizeof(*ev));
	ev->kind = PLAT_EV_FAULT;
	ev->fault_addr = 0;
	ev->fault_signo = SIGSEGV;
	ev->fault_code = SI_KERNEL;
}

static int ptrace_context_switch(struct context *ctx, struct addr_space *as, plat_regs_t *regs,
				 struct plat_event *ev)
{
	if (atomic_load(&as->released))
		return -ESRCH;
	struct pt_rec *rec = pt_rec_find(as);
	if (!rec) {
		int err = pt_rec_enter(as, &rec);
		if (err)
			return err;
	}
	if (ctx->cur_as != as || ctx->cur_tid != rec->tid)
		pt_ctx_move(ctx, as, rec);

	plat_regs_t want = *regs;
	int err = pt_sanitize(as, &want);
	if (err)
		return err;
	memset(ev, 0, sizeof(*ev));
	pid_t tid = rec->tid;

	if (!plat_run_start(&ctx->run, as->pid, tid)) {
		ev->kind = PLAT_EV_INTERRUPT;
		return 0;
	}
	if (ctx->fp_dirty) {
		int fe = pt_fp_set(ctx, tid, &ctx->fp);
		if (fe == -EINVAL) /* the Sentry checks what it sets: a bug */
			log_warn("ptrace: the stub thread refused an FPU state");
		else if (fe < 0)
			goto gone;
		ctx->fp_dirty = false;
	}
	if (!rec->kregs_valid || memcmp(&want, &rec->kregs, sizeof(want))) {
		if (ptrace(PTRACE_SETREGS, tid, NULL, &want) < 0)
			goto gone;
		rec->kregs = want;
		rec->kregs_valid = true;
	}
	pt_rec_follow_cpu(rec);
	for (;;) {
		/* The only resume that runs app code: every app syscall stops
		 * at entry, before the stub's filter (ptrace_internal.h). */
		if (ptrace(PTRACE_SYSEMU, tid, NULL, NULL) < 0)
			goto gone;
		int st;
		if (pt_wait(tid, &st) < 0)
			goto gone;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			pt_as_mark_dead(as, tid, st);
			err = -ESRCH;
			goto out;
		}
		if (pt_classify(ctx, tid, st, ev) == PT_STOP_REPORT)
			break;
	}
	plat_run_stop(&ctx->run);
	if (ptrace(PTRACE_GETREGS, tid, NULL, regs) < 0) {
		rec->kregs_valid = false;
		err = -ESRCH;
		goto out;
	}
	rec->kregs = *regs;
	rec->kregs_valid = true;
	if (ev->kind == PLAT_EV_SYSCALL && ev->info.si_signo == SIGSYS)
		regs->orig_rax = (unsigned long long)ev->info.si_syscall; /* a vsyscall */
	else if (ev->kind == PLAT_EV_SYSCALL && regs->rcx != regs->rip)
		pt_not_syscall_insn(regs, rec, ev);
	return 0;
gone:
	/* Our tracee stopped answering: it is dying. */
	pt_as_mark_dead(as, tid, 0);
	err = -ESRCH;
out:
	rec->kregs_valid = false;
	plat_run_stop(&ctx->run);
	return err;
}

static int ptrace_context_get_fpregs(struct context *ctx, plat_fpregs_t *fp)
{
	if (ctx->fp_dirty || !ctx->cur_as || atomic_load(&ctx->cur_as->released)) {
		memcpy(fp->bytes, ctx->fp.bytes, ctx->fp_size);
		return 0;
	}
	return pt_fp_get(ctx, ctx->cur_tid, fp);
}

static int ptrace_context_set_fpregs(struct context *ctx, const plat_fpregs_t *fp)
{
	memcpy(ctx->fp.bytes, fp->bytes, ctx->fp_size);
	ctx->fp_dirty = true; /* written by the next context_switch */
	return 0;
}

/* The SIGCHLD makes the running stub thread take a signal-delivery-stop,
 * which context_switch reports as PLAT_EV_INTERRUPT. */
static void ptrace_context_interrupt(struct context *ctx)
{
	plat_run_interrupt(&ctx->run, SIGCHLD);
}

static void ptrace_context_release(struct context *ctx)
{
	if (!ctx)
		return;
	/* Stub threads are traced per Sentry thread: only the owner can hand
	 * them back.  From another thread, the owner's exit does it. */
	if (pt_gettid() == ctx->owner)
		pt_detach_all();
	if (ctx->cur_as)
		pt_as_put(ctx->cur_as);
	free(ctx);
}

/* ---- test and debugging accessors -------------------------------------- */

pid_t ptrace_as_stub_pid(struct addr_space *as)
{
	vmutex_lock(&as->lock);
	pid_t pid = as->pid;
	vmutex_unlock(&as->lock);
	return pid;
}

int ptrace_as_death_status(struct addr_space *as)
{
	vmutex_lock(&as->lock);
	int st = as->death_status;
	vmutex_unlock(&as->lock);
	return st;
}

#ifdef VISOR_UNIT_TEST
long ptrace_as_inject_syscall(struct addr_space *as, long nr, const long args[6])
{
	long ret;
	int err = pt_as_syscall(as, pt_stub_inject_addr(as->pp), nr, args, &ret);
	if (err)
		return err < 0 ? err : -ENOENT;
	return ret;
}
#endif

const struct platform_ops ptrace_platform_ops = {
    .name = "ptrace",
    .init = ptrace_init,
    .fini = ptrace_fini,
    .jail_rules = ptrace_jail_rules,
    .new_addr_space = ptrace_new_addr_space,
    .as_map = ptrace_as_map,
    .as_unmap = ptrace_as_unmap,
    .as_protect = ptrace_as_protect,
    .as_can_change = ptrace_as_can_change,
    .as_prepare_thread = ptrace_as_prepare_thread,
    .as_release = ptrace_as_release,
    .as_host_pid = ptrace_as_host_pid,
    .as_dead = ptrace_as_dead,
    .as_set_name = ptrace_as_set_name,
    .new_context = ptrace_new_context,
    .context_switch = ptrace_context_switch,
    .context_get_fpregs = ptrace_context_get_fpregs,
    .context_set_fpregs = ptrace_context_set_fpregs,
    .context_interrupt = ptrace_context_interrupt,
    .context_release = ptrace_context_release,
};
