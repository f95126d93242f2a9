/*
 * systrap_reuse.c — stubs that do not cost a fork from the template on a
 * task's path: the pool of stubs ready for a fork's new address space (one
 * made ahead, and those of released address spaces, which the pool thread
 * empties before a fork takes them) and execve's hand-over of the replaced
 * address space's stub, emptied, to the new one (as_recycle).  See
 * systrap.c's model.
 */
#include "lib/lockdep.h"
#include "platform/systrap/systrap_internal.h"

#include "lib/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

/* ---- the pool of ready stubs --------------------------------------------------- */

/* Drop a that no one else knows of (the pool's): its stub killed and
 * reaped in the background.  Takes no lock: the caller may hold another
 * address space's. */
static void st_as_discard(struct addr_space *a)
{
	if (a->pid) {
		kill(a->pid, SIGKILL);
		st_reap_later(a->sp, a->pid);
	}
	if (a->efd >= 0)
		close(a->efd);
	if (a->ctl)
		munmap(a->ctl, ST_CTL_MEMFD_SIZE);
	st_thr_close_all(a);
	st_as_put(a);
}

/* Is the pooled a still to be emptied (its last program's memory, which
 * st_pool_recycle queued the unmap of)?  Under pool_lock: nobody else
 * knows a. */
static bool st_pool_dirty(const struct addr_space *a)
{
	return __atomic_load_n(&a->nqueued, __ATOMIC_SEQ_CST) != 0;
}

/* Take a stub that is still to be emptied out of the pool, for the pool
 * thread to empty (sp->emptying), or NULL.  Under pool_lock. */
static struct addr_space *st_pool_take_dirty(struct st_platform *sp)
{
	for (unsigned i = 0; i < sp->npool; i++) {
		struct addr_space *a = sp->pool[i];
		if (!st_pool_dirty(a))
			continue;
		sp->pool[i] = sp->pool[--sp->npool];
		sp->emptying = true;
		return a;
	}
	return NULL;
}

/*
 * Empty the pooled stub a on the pool thread: its queued unmap of the last
 * program's memory goes to its leader now, untied from the CPU it last ran
 * on (the exited child's: most often the one its parent runs on), so that
 * the host tears that memory down beside the parent's next fork instead of
 * in its child's first request (a fork's child waited 85-140 us for it
 * here).  0, or -errno: the stub is of no use.
 */
static int st_pool_empty(struct addr_space *a)
{
	struct st_platform *sp = a->sp;
	vmutex_lock(&a->lock);
	if (sp->colocate)
		(void)st_cpu_pin(sp, a->pid, -1);
	a->leader_cpu = -1;
	int err = st_as_flush(a, NULL, NULL);
	vmutex_unlock(&a->lock);
	return err;
}

/*
 * The pool thread: keeps one stub ready (sp->pool) while sp->pool_want, so
 * that the fork that takes it does not wait for the template (~2.6 ms
 * here); it makes the next one after that fork's request was served, on
 * another CPU when there is one.  And it empties the stubs released into
 * the pool (st_pool_empty).  Started by the second stub asked for
 * (st_pool_note), in a thread of the jailed Sentry: it makes the same host
 * calls st_as_spawn_stub and context switches make in task threads, so the
 * jail is as before.
 */
static void *st_pool_main(void *arg)
{
	struct st_platform *sp = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	vmutex_lock(&sp->pool_lock);
	for (;;) {
		struct addr_space *dirty = NULL;
		while (!sp->pool_stop && !(dirty = st_pool_take_dirty(sp)) &&
		       (sp->npool || !sp->pool_want))
			vmutex_cond_wait(&sp->pool_cond, &sp->pool_lock);
		if (dirty) {
			vmutex_unlock(&sp->pool_lock);
			int err = st_pool_empty(dirty);
			vmutex_lock(&sp->pool_lock);
			sp->emptying = false;
			if (!err && !sp->pool_stop && sp->npool < ST_POOL_MAX) {
				sp->pool[sp->npool++] = dirty;
				dirty = NULL;
			}
			/* Takers wait for it (st_pool_take). */
			pthread_cond_broadcast(&sp->pool_cond);
			if (dirty) {
				vmutex_unlock(&sp->pool_lock);
				st_as_discard(dirty);
				vmutex_lock(&sp->pool_lock);
			}
			continue;
		}
		if (sp->pool_stop)
			break;
		vmutex_unlock(&sp->pool_lock);
		struct addr_space *a = st_as_alloc(sp);
		int err = a ? 0 : -ENOMEM;
		if (a) {
			vmutex_lock(&a->lock);
			err = st_as_spawn_stub(a);
			vmutex_unlock(&a->lock);
		}
		vmutex_lock(&sp->pool_lock);
		if (err)
			sp->pool_want = false; /* the next stub asked for tries again */
		if (!err && !sp->pool_stop && sp->npool < ST_POOL_MAX) {
			sp->pool[sp->npool++] = a;
			a = NULL;
		}
		if (a) {
			vmutex_unlock(&sp->pool_lock);
			st_as_discard(a);
			vmutex_lock(&sp->pool_lock);
		}
	}
	vmutex_unlock(&sp->pool_lock);
	return NULL;
}

/* A ready stub, if there is one and it is alive (a dead one is dropped):
 * an emptied one first; with none in the pool but one being emptied, that
 * one once it is (a leader request: far less than a stub from the
 * template).  NULL otherwise.  Any thread, any lock but pool_lock held. */
struct addr_space *st_pool_take(struct st_platform *sp)
{
	if (!sp->pool_on)
		return NULL;
	vmutex_lock(&sp->pool_lock);
	while (!sp->npool && sp->emptying)
		vmutex_cond_wait(&sp->pool_cond, &sp->pool_lock);
	struct addr_space *a = NULL;
	for (unsigned i = sp->npool; !a && i-- > 0;)
		if (!st_pool_dirty(sp->pool[i]) || i == 0) {
			a = sp->pool[i];
			sp->pool[i] = sp->pool[--sp->npool];
		}
	vmutex_unlock(&sp->pool_lock);
	if (a && st_as_check_dead(a)) {
		st_as_discard(a);
		a = NULL;
	}
	return a;
}

/* One more stub was given out: from the second on (a fork), keep one ready
 * (and start the pool thread to do so). */
void st_pool_note(struct st_platform *sp)
{
	if (!sp->pool_on)
		return;
	vmutex_lock(&sp->pool_lock);
	if (++sp->stubs_made >= 2 && !sp->pool_stop) {
		sp->pool_want = true;
		if (!sp->pool_running)
			sp->pool_running =
			    pthread_create(&sp->pool_thread, NULL, st_pool_main, sp) == 0;
		/* A wake-up only when it has a stub to make: none is left
		 * in the pool nor being emptied (a fork's child waited
		 * 10-18 us for wake-ups that found nothing to do). */
		if (!sp->npool && !sp->emptying)
			pthread_cond_broadcast(&sp->pool_cond);
	}
	vmutex_unlock(&sp->pool_lock);
}

/* At the platform's end: the pool thread stops, the ready stubs go. */
void st_pool_stop(struct st_platform *sp)
{
	vmutex_lock(&sp->pool_lock);
	sp->pool_stop = true;
	bool running = sp->pool_running;
	pthread_cond_broadcast(&sp->pool_cond);
	vmutex_unlock(&sp->pool_lock);
	if (running)
		pthread_join(sp->pool_thread, NULL);
	while (sp->npool)
		st_as_discard(sp->pool[--sp->npool]);
}

/*
 * as_release's reuse of a stub: when the pool has room (and is in use: the
 * sandbox forked), the stub of `as` goes there, emptied as execve's reuse
 * empties one (systrap_as_recycle), instead of being killed while the pool
 * thread forks another from the template (~2.6 ms here).  A child's exit
 * so readies the stub its parent's next fork takes.  true: as was released
 * so (the caller's reference is gone); false: release it as before.
 */
bool st_pool_recycle(struct addr_space *as)
{
	struct st_platform *sp = as->sp;
	if (!sp->recycle)
		return false;
	vmutex_lock(&sp->pool_lock);
	bool room = sp->stubs_made >= 2 && !sp->pool_stop && sp->npool + sp->emptying < ST_POOL_MAX;
	vmutex_unlock(&sp->pool_lock);
	if (!room)
		return false;
	struct addr_space *fresh = st_as_alloc(sp);
	if (!fresh)
		return false;
	if (systrap_as_recycle(as, fresh) != 0) {
		st_as_put(fresh);
		return false;
	}
	vmutex_lock(&sp->pool_lock);
	bool kept = !sp->pool_stop && sp->npool + sp->emptying < ST_POOL_MAX;
	if (kept) {
		sp->pool[sp->npool++] = fresh;
		/* The pool thread empties it (st_pool_main). */
		if (sp->pool_running)
			pthread_cond_broadcast(&sp->pool_cond);
	}
	vmutex_unlock(&sp->pool_lock);
	if (!kept)
		st_as_discard(fresh);
	return true;
}

/* ---- execve's reuse of a stub ------------------------------------------------ */

/*
 * Wipe what the old program left in the thread area of slot i, whose thread
 * is parked in the handler (as_recycle; the caller holds as->lock and no
 * app code runs in as).  Every app thread of the new program can read every
 * area: the frames of the old program's last traps (its registers and
 * vector state), older frames below them, and the slot's fields must not
 * reach it.  And the old program could write all of it: what the parked
 * thread uses when it is resumed is set here to what the handler expects,
 * so that the new program's first resume of it goes where the Sentry says
 * (the return address of the frame, the restorer; the fs and gs bases the
 * thread is known to have, "unknown").  The fields of the hand-off the stub
 * thread itself watches (state, stub_wait) stay: it is asleep on them.
 * 0, or -EPROTO (not parked, or a frame not where the handler puts it).
 */
static int st_slot_scrub(struct addr_space *as, int i)
{
	struct st_slot *s = st_slot(as, i);
	if (atomic_load((_Atomic uint32_t *)&s->state) != ST_STATE_EVENT)
		return -EPROTO;
	uint64_t lo = st_area(i) + ST_TH_STACK_OFF, hi = st_area(i) + ST_TH_SIZE;
	uint64_t uc = s->uc, info = s->info;
	if (uc < lo + 8 || uc > hi - sizeof(struct st_kucontext) || uc % 8 || info < lo ||
	    info > hi - sizeof(siginfo_t) || info % 8)
		return -EPROTO;
	struct st_kucontext k;
	memcpy(&k, st_ptr(as, uc), sizeof(k));
	uint64_t fpu = k.fpregs;
	if (fpu && (fpu < lo || fpu > hi - ST_FPX_SIZE || fpu % 16))
		return -EPROTO;
	/* Kept: the kernel's software bytes of the FPU area and the magic word
	 * after the XSAVE area they announce (the frame's format, checked by
	 * the host's sigreturn: the state itself is the Sentry's at resume). */
	uint8_t swb[ST_FPX_SIZE - ST_FPX_SW];
	uint32_t magic1 = 0, xsize = 0, magic2 = 0;
	if (fpu) {
		memcpy(swb, st_ptr(as, fpu + ST_FPX_SW), sizeof(swb));
		memcpy(&magic1, swb, sizeof(magic1));
		memcpy(&xsize, swb + 16, sizeof(xsize)); /* _fpx_sw_bytes.xstate_size */
	}
	bool m2 = fpu && magic1 == ST_FPX_MAGIC1 && xsize >= ST_FPX_SIZE && xsize <= ST_TH_SIZE &&
		  fpu + xsize + sizeof(magic2) <= hi;
	if (m2)
		memcpy(&magic2, st_ptr(as, fpu + xsize), sizeof(magic2));
	memset(st_ptr(as, lo), 0, ST_TH_STACK_SIZE);
	uint64_t ret = st_restorer_addr(as->sp);
	memcpy(st_ptr(as, uc - 8), &ret, sizeof(ret)); /* the frame's pretcode */
	struct st_kucontext *nk = st_ptr(as, uc);
	memcpy(&nk->uc_flags, &k.uc_flags, sizeof(k.uc_flags));
	memcpy(&nk->fpregs, &fpu, sizeof(fpu));
	if (fpu) {
		char *f = st_ptr(as, fpu);
		uint16_t cwd = 0x37f;
		uint32_t mxcsr = 0x1f80;
		memcpy(f + offsetof(struct user_fpregs_struct, cwd), &cwd, sizeof(cwd));
		memcpy(f + offsetof(struct user_fpregs_struct, mxcsr), &mxcsr, sizeof(mxcsr));
		memcpy(f + ST_FPX_SW, swb, sizeof(swb));
	}
	if (m2)
		memcpy(st_ptr(as, fpu + xsize), &magic2, sizeof(magic2));
	s->fs_want = s->gs_want = 0;
	s->fs_cur = s->gs_cur = ~0ULL; /* unknown: set on the next resume */
	s->self = st_area(i);
	s->fast = 0;
	memset((char *)s + sizeof(*s), 0, ST_TH_STACK_OFF - sizeof(*s));
	return 0;
}

/*
 * execve's address space swap without a new stub: the stub of old goes to
 * fresh, emptied.  An unmap of the whole app range (below PLAT_APP_TOP,
 * but the low copy of the patch table, which is the stub's) goes ahead of
 * fresh's queued maps, in the request that sends them before the new
 * program's first instruction (no app code runs in the stub until then);
 * what stays above it is the stub's own (control region, patch table,
 * blob), which no app could change.  The parked threads carry over as
 * spares, their areas scrubbed (st_slot_scrub); the request and result pages,
 * which held the old program's addresses, are cleared.  A stub with a
 * thread that is not parked (broken, or a frame out of place) is not reused.
 * Every context of old has left context_switch (no task uses it), and the
 * leader is ours to ask: the calling thread's context was stopped in old.
 */
int systrap_as_recycle(struct addr_space *old, struct addr_space *fresh)
{
	if (atomic_load(&old->released) || atomic_load(&fresh->released) || old->sp != fresh->sp)
		return -EINVAL;
	vmutex_lock(&old->lock);
	int err = 0;
	if (!old->pid || atomic_load(&old->dead) || atomic_load(&old->running))
		err = -ESRCH;
	for (unsigned i = 0; !err && i < old->nslots; i++)
		if (old->use[i] != SLOT_SPARE && old->use[i] != SLOT_OWNED)
			err = -EBUSY;
	for (unsigned i = 0; !err && old->sp->notif && i < old->nslots; i++)
		err = st_thr_settle(old, (int)i);
	struct st_op un[2];
	unsigned n = 0;
	if (!err) {
		/* Queued maps and protects were for the old program. */
		__atomic_store_n(&old->nqueued, 0, __ATOMIC_SEQ_CST);
		struct st_ro *ro = st_ro(old);
		memset(ro->ops, 0, sizeof(ro->ops));
		if (old->sp->patch_lo) {
			un[n++] = (struct st_op){.nr = SYS_munmap, .a = {0, ST_PATCH_LO}};
			un[n++] = (struct st_op){
			    .nr = SYS_munmap,
			    .a = {ST_PATCH_LO + ST_PATCH_SIZE,
				  PLAT_APP_TOP - (ST_PATCH_LO + ST_PATCH_SIZE)}};
		} else {
			un[n++] = (struct st_op){.nr = SYS_munmap, .a = {0, PLAT_APP_TOP}};
		}
	}
	for (unsigned i = 0; !err && i < old->nslots; i++)
		err = st_slot_scrub(old, (int)i);
	if (err) {
		vmutex_unlock(&old->lock);
		return err;
	}
	struct st_rw *rw = st_rw(old);
	memset(rw->results, 0, sizeof(rw->results));
	atomic_store((_Atomic uint32_t *)&st_ro(old)->gs_free, old->sp->patch);
	/* old lets go of the stub (as_dead and as_host_pid of a released
	 * address space say nothing of it), then fresh takes it: one lock at a
	 * time.  fresh was never entered: only such readers wait for its lock. */
	pid_t pid = old->pid;
	char name[sizeof(old->name)];
	memcpy(name, old->name, sizeof(name));
	atomic_store(&old->released, true);
	int efd = old->efd, nsock = old->nsock;
	uint8_t *ctl = old->ctl;
	uint32_t seq = old->seq;
	unsigned nslots = old->nslots;
	struct st_thr *thr = old->thr;
	old->efd = old->nsock = -1;
	old->ctl = NULL;
	old->thr = NULL;
	__atomic_store_n(&old->pid, 0, __ATOMIC_RELEASE);
	vmutex_unlock(&old->lock);
	/* old->tid stays as it is: no context binds to a released one. */
	vmutex_lock(&fresh->lock);
	fresh->efd = efd;
	fresh->nsock = nsock;
	fresh->ctl = ctl;
	fresh->seq = seq;
	fresh->nslots = nslots;
	fresh->thr = thr;
	for (unsigned i = 0; i < nslots; i++) {
		fresh->use[i] = SLOT_SPARE;
		fresh->tid[i] = old->tid[i];
	}
	__atomic_store_n(&fresh->pid, pid, __ATOMIC_RELEASE);
	/* The emptying goes ahead of the maps fresh has queued, in the
	 * request its first switch (or its naming below) sends anyway; only
	 * when they do not fit is it a request of its own.  An unmap that
	 * fails ends the stub (stub.S): 2 never comes back for one, but a
	 * stub gone is -ESRCH, which fresh's first switch reports. */
	if (!st_as_queue_first(fresh, un, n) && st_leader_call(fresh, un, n, NULL) != 1)
		err = -ESRCH;
	/* A name given to fresh before (none, from execve: it names the stub
	 * after this) goes to the stub now; else the stub keeps its own. */
	if (!err && fresh->name[0] && strcmp(fresh->name, name)) {
		if (st_as_apply_name(fresh) == -ESRCH)
			err = -ESRCH; /* too late to go back: fresh's first switch says so */
	} else {
		memcpy(fresh->name, name, sizeof(name));
	}
	vmutex_unlock(&fresh->lock);
	st_as_put(old);
	if (err)
		log_warn("systrap: reusing stub %d: %s", pid, strerror(-err));
	return 0;
}
