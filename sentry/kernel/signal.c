/*
 * signal.c — signal generation, delivery and x86_64 signal frames.
 *
 * Generation (task_signal_send_info, tg_signal_send) queues a signal on a
 * thread or on its thread group and pokes a thread that can take it
 * (context_interrupt if it runs app code, task_wake if it sleeps).  Delivery
 * (task_deliver_signals) runs on the task's own thread before each return to
 * app code: it finishes syscall restarts, applies default actions, and builds
 * the rt_sigframe the app's handler runs on, exactly as Linux lays it out so
 * that glibc's and musl's sigreturn trampolines work unchanged.
 *
 * A standard signal is pending at most once (the first siginfo is kept); a
 * real-time signal (32 and up) queues every instance in order: the first in
 * sigpending.info, the rest on sigpending.rt_head.  Queued signals count
 * against the receiving process's RLIMIT_SIGPENDING (Linux counts per user):
 * past it a real-time signal from sigqueue/tgkill (si_code < 0) fails with
 * EAGAIN, and any other signal is still sent.
 */
#include "sentry/kernel/signal.h"
#include "sentry/kernel/sigframe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ptimer.h"
#include "sentry/mm/mm.h"
#include "lib/log.h"

#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#define SIGBIT(s) (1ULL << ((s)-1))
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

enum sig_default { SIGDFL_TERM, SIGDFL_CORE, SIGDFL_IGN, SIGDFL_STOP };

static enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGABRT: case SIGFPE: case SIGSEGV: case SIGBUS:
	case SIGSYS: case SIGTRAP: case SIGXCPU: case SIGXFSZ:
		return SIGDFL_CORE;
	case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
		return SIGDFL_IGN;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SIGDFL_STOP;
	default:
		return SIGDFL_TERM;
	}
}

static bool sig_ignored_locked(struct thread_group *tg, int sig)
{
	const struct k_sigaction *a = &tg->actions[sig - 1];
	if (a->handler == (uint64_t)(uintptr_t)SIG_IGN)
		return true;
	return a->handler == (uint64_t)(uintptr_t)SIG_DFL && sig_default_action(sig) == SIGDFL_IGN;
}

static void kick(struct task *t)
{
	atomic_store(&t->interrupted, 1);
	if (t->ctx)
		t->k->plat->ops->context_interrupt(t->ctx);
	task_wake(t);
}

void task_kick(struct task *t)
{
	kick(t);
}

#define SIGRTMIN_KERNEL 32

struct rt_queued {
	struct rt_queued *next;
	siginfo_t info;
};

/* Under siglock: queue info on p (a pending set of tg). */
static int pending_add(struct thread_group *tg, struct sigpending *p, const siginfo_t *info)
{
	int sig = info->si_signo;
	bool rt = sig >= SIGRTMIN_KERNEL;
	if ((p->set & SIGBIT(sig)) && !rt)
		return 0;
	if ((uint64_t)tg->nqueued >= (uint64_t)tg->rlimits[RLIMIT_SIGPENDING].rlim_cur && rt &&
	    info->si_code < 0 && info->si_code != SI_TIMER)
		return -EAGAIN;
	if (!(p->set & SIGBIT(sig))) {
		p->set |= SIGBIT(sig);
		p->info[sig - 1] = *info;
		tg->nqueued++;
		return 0;
	}
	struct rt_queued *q = malloc(sizeof(*q));
	if (!q)
		return -EAGAIN;
	q->next = NULL;
	q->info = *info;
	struct rt_queued **pp = &p->rt_head;
	while (*pp)
		pp = &(*pp)->next;
	*pp = q;
	tg->nqueued++;
	return 0;
}

/* Under siglock: take sig's first instance off p into *info (sig pending). */
static void pending_take(struct thread_group *tg, struct sigpending *p, int sig, siginfo_t *info)
{
	*info = p->info[sig - 1];
	tg->nqueued--;
	for (struct rt_queued **pp = &p->rt_head; *pp; pp = &(*pp)->next) {
		struct rt_queued *q = *pp;
		if (q->info.si_signo == sig) {
			p->info[sig - 1] = q->info;
			*pp = q->next;
			free(q);
			return; /* another instance stays pending */
		}
	}
	p->set &= ~SIGBIT(sig);
}

static void pending_del_tg(struct thread_group *tg, struct sigpending *p, sigset64_t mask)
{
	for (struct rt_queued **pp = &p->rt_head; *pp;) {
		struct rt_queued *q = *pp;
		if (mask & SIGBIT(q->info.si_signo)) {
			*pp = q->next;
			free(q);
			if (tg)
				tg->nqueued--;
		} else {
			pp = &q->next;
		}
	}
	if (tg)
		tg->nqueued -= __builtin_popcountll(p->set & mask);
	p->set &= ~mask;
}

#define pending_del(p, mask) pending_del_tg(tg, (p), (mask))

void sigpending_free(struct sigpending *p)
{
	pending_del_tg(NULL, p, ~0ULL);
}

void sigpending_flush_locked(struct thread_group *tg, struct sigpending *p)
{
	pending_del_tg(tg, p, ~0ULL);
}

/* Under siglock: start a group exit with wait status `status`. */
static void group_exit_locked(struct thread_group *tg, int status)
{
	if (tg->group_exiting)
		return;
	tg->group_exiting = true;
	tg->group_exit_status = status;
	tg->stopped = false;
	for (struct task *t = tg->threads; t; t = t->tg_next)
		kick(t);
}

/* Under siglock: which thread should take a group signal? */
static struct task *pick_thread_locked(struct thread_group *tg, int sig)
{
	for (struct task *t = tg->threads; t; t = t->tg_next)
		if (!t->exiting && !(t->sigmask & SIGBIT(sig)))
			return t;
	return NULL;
}

/* external: sent from outside the sandbox (the runtime's kill). */
static int send_locked(struct thread_group *tg, struct task *t, const siginfo_t *info, bool group,
		       bool external)
{
	int sig = info->si_signo;
	if (sig < 1 || sig > VISOR_NSIG)
		return -EINVAL;
	if (tg->zombie || tg->group_exiting)
		return 0;
	/* As Linux for a pid namespace's init (SIGNAL_UNKILLABLE): a signal
	 * it has no handler for is ignored, except SIGKILL and SIGSTOP sent
	 * from the parent namespace.  So `docker stop` of a program that does
	 * not handle SIGTERM waits for the timeout, then SIGKILLs, as runc. */
	/* As Linux's sig_ignored: a blocked signal is never ignored (it stays
	 * pending for sigtimedwait or a later unblock).  For a group signal
	 * the leader's mask decides; during sigtimedwait the mask saved for
	 * the wait is the real one (Linux's real_blocked). */
	struct task *bt = t ? t : (tg->leader ? tg->leader : tg->threads);
	bool blocked = bt && ((bt->sigmask | (bt->restore_sigmask ? bt->saved_sigmask : 0)) &
			      SIGBIT(sig));
	/* A traced init receives them all: its tracer decides (as Linux's
	 * sig_ignored); a fatal one is still discarded at delivery. */
	if (tg == tg->k->init && !blocked &&
	    tg->actions[sig - 1].handler == (uint64_t)(uintptr_t)SIG_DFL &&
	    !(external && (sig == SIGKILL || sig == SIGSTOP)) && !(bt && bt->pt.tracer))
		return 0;
	if (sig == SIGKILL) {
		group_exit_locked(tg, SIGKILL);
		return 0;
	}
	if (sig == SIGCONT) {
		sigset64_t stops = SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU);
		pending_del(&tg->shared_pending, stops);
		for (struct task *x = tg->threads; x; x = x->tg_next)
			pending_del(&x->pending, stops);
		ptrace_sigcont_locked(tg);
		for (struct task *x = tg->threads; x; x = x->tg_next)
			x->group_stop_pending = false;
		if (tg->stopped) {
			/* The parent hears of it from a woken thread, outside
			 * this lock (see task_deliver_signals). */
			tg->stopped = false;
			tg->stop_waitable = false;
			tg->cont_waitable = true;
			tg->cont_notify = true;
			for (struct task *x = tg->threads; x; x = x->tg_next)
				kick(x);
		}
	} else if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
		pending_del(&tg->shared_pending, SIGBIT(SIGCONT));
		for (struct task *x = tg->threads; x; x = x->tg_next)
			pending_del(&x->pending, SIGBIT(SIGCONT));
	}
	/* As Linux: an ignored signal is dropped at generation unless blocked
	 * or the thread is traced (its tracer sees it). */
	if (sig_ignored_locked(tg, sig) && !blocked && sig != SIGCONT && !(bt && bt->pt.tracer))
		return 0;
	if (sig == SIGCONT && sig_ignored_locked(tg, sig) && !(bt && bt->pt.tracer))
		return 0;
	/* As Linux's signalfd_notify: readers of a signalfd wake. */
	waitq_notify(&tg->signalfd_wq, POLLIN | POLLRDNORM);
	int r;
	if (group) {
		r = pending_add(tg, &tg->shared_pending, info);
		struct task *w = r ? NULL : pick_thread_locked(tg, sig);
		if (w)
			kick(w);
	} else {
		r = pending_add(tg, &t->pending, info);
		if (!r && !(t->sigmask & SIGBIT(sig)))
			kick(t);
	}
	return r;
}

void signal_queue_locked(struct thread_group *tg, struct task *t, const siginfo_t *info)
{
	send_locked(tg, t, info, t == NULL, false);
}

int task_signal_send_info(struct task *t, const siginfo_t *info, bool group)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	int r = send_locked(tg, group ? NULL : t, info, group, false);
	vmutex_unlock(&tg->siglock);
	return r;
}

int tg_signal_send(struct thread_group *tg, const siginfo_t *info)
{
	vmutex_lock(&tg->siglock);
	int r = send_locked(tg, NULL, info, true, false);
	vmutex_unlock(&tg->siglock);
	return r;
}

int tg_signal_send_external(struct thread_group *tg, const siginfo_t *info)
{
	vmutex_lock(&tg->siglock);
	int r = send_locked(tg, NULL, info, true, true);
	vmutex_unlock(&tg->siglock);
	return r;
}

int task_signal_send(struct task *t, int sig)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_KERNEL;
	return task_signal_send_info(t, &info, false);
}

void task_force_signal(struct task *t, const siginfo_t *info)
{
	struct thread_group *tg = t->tg;
	int sig = info->si_signo;
	vmutex_lock(&tg->siglock);
	/* As Linux's force_sig_info: a blocked or ignored synchronous signal
	 * would loop forever, so it is unblocked and reset to the default. */
	if ((t->sigmask & SIGBIT(sig)) ||
	    tg->actions[sig - 1].handler == (uint64_t)(uintptr_t)SIG_IGN) {
		t->sigmask &= ~SIGBIT(sig);
		tg->actions[sig - 1].handler = (uint64_t)(uintptr_t)SIG_DFL;
	}
	/* As Linux's force_sig_info_to_task: a fault init cannot handle
	 * kills it even though init ignores other unhandled signals. */
	if (tg->actions[sig - 1].handler == (uint64_t)(uintptr_t)SIG_DFL)
		tg->fault_killable = true;
	pending_add(tg, &t->pending, info);
	vmutex_unlock(&tg->siglock);
}

bool task_signal_pending(struct task *t)
{
	if (atomic_load(&t->interrupted) == 2)
		return true; /* dying */
	struct thread_group *tg = t->tg;
	if (!tg)
		return false;
	vmutex_lock(&tg->siglock);
	bool r = tg->group_exiting || t->exiting || t->pt.trap_stop || t->group_stop_pending ||
		 ((t->pending.set | tg->shared_pending.set) & ~t->sigmask) != 0;
	vmutex_unlock(&tg->siglock);
	return r;
}

void task_set_sigmask_for_wait(struct task *t, sigset64_t mask)
{
	vmutex_lock(&t->tg->siglock);
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	vmutex_unlock(&t->tg->siglock);
}

void task_set_sigmask(struct task *t, sigset64_t mask)
{
	vmutex_lock(&t->tg->siglock);
	t->sigmask = mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	vmutex_unlock(&t->tg->siglock);
}

int task_sigaction(struct task *t, int sig, const struct k_sigaction *act,
		   struct k_sigaction *oact)
{
	if (sig < 1 || sig > VISOR_NSIG || (act && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	if (oact)
		*oact = tg->actions[sig - 1];
	if (act) {
		tg->actions[sig - 1] = *act;
		tg->actions[sig - 1].mask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
		if (sig_ignored_locked(tg, sig)) {
			pending_del(&tg->shared_pending, SIGBIT(sig));
			for (struct task *x = tg->threads; x; x = x->tg_next)
				pending_del(&x->pending, SIGBIT(sig));
		}
	}
	vmutex_unlock(&tg->siglock);
	return 0;
}

int task_sigprocmask(struct task *t, int how, const sigset64_t *set, sigset64_t *old)
{
	int r = 0;
	vmutex_lock(&t->tg->siglock);
	*old = t->sigmask;
	if (set) {
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= *set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~*set;
			break;
		case SIG_SETMASK:
			t->sigmask = *set;
			break;
		default:
			r = -EINVAL;
		}
		t->sigmask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	}
	vmutex_unlock(&t->tg->siglock);
	return r;
}

sigset64_t task_pending_any(struct task *t)
{
	vmutex_lock(&t->tg->siglock);
	sigset64_t p = t->pending.set | t->tg->shared_pending.set;
	vmutex_unlock(&t->tg->siglock);
	return p;
}

sigset64_t task_sigpending(struct task *t)
{
	vmutex_lock(&t->tg->siglock);
	sigset64_t p = (t->pending.set | t->tg->shared_pending.set) & t->sigmask;
	vmutex_unlock(&t->tg->siglock);
	return p;
}

/* ---- frames ---- */

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* The kernel's MINSIGSTKSZ for x86 (the uapi constant: glibc's MINSIGSTKSZ
 * under _GNU_SOURCE is sysconf(_SC_SIGSTKSZ), a different, larger number). */
#define K_MINSIGSTKSZ 2048
#define SS_FLAG_BITS SS_AUTODISARM

/* Linux with IA32_EMULATION sizes AT_MINSIGSTKSZ for its largest frame,
 * the ia32 sigframe, and 32-bit frames' fsave header. */
#define SIGFRAME_IA32_SIZE 732
#define FREGS_STATE_SIZE 112

static uint32_t fp_frame_size(const struct platform *plat) { return sigframe_fp_size(plat); }

uint64_t signal_minsigstksz(const struct platform *plat)
{
	/* As Linux's init_sigframe_size: the largest frame, the FPU state
	 * and alignment slack, rounded to 16. */
	uint64_t n = SIGFRAME_IA32_SIZE + 15 + fp_frame_size(plat) + FREGS_STATE_SIZE + 63;
	n = (n + 15) & ~15ULL;
	/* The host kernel's own answer for this CPU (the same XSAVE area),
	 * where it gives one: the sandbox reports what Linux reports here. */
	uint64_t host = getauxval(AT_MINSIGSTKSZ);
	return host > n ? host : n;
}

/* Linux's __on_sig_stack: sp within (ss_sp, ss_sp + ss_size]. */
static bool in_sig_stack(const struct task *t, uint64_t sp)
{
	uint64_t base = (uint64_t)(uintptr_t)t->altstack.ss_sp;
	return sp > base && sp - base <= t->altstack.ss_size;
}

/* Linux's on_sig_stack: with SS_AUTODISARM a thread is never "on" its
 * alternate stack (the stack was disarmed when the handler started). */
static bool on_sig_stack(const struct task *t, uint64_t sp)
{
	if (t->altstack.ss_flags & SS_AUTODISARM)
		return false;
	return in_sig_stack(t, sp);
}

static int sas_ss_flags(const struct task *t, uint64_t sp)
{
	if (!t->altstack.ss_size)
		return SS_DISABLE;
	return on_sig_stack(t, sp) ? SS_ONSTACK : 0;
}

int task_sigaltstack_flags(const struct task *t)
{
	return sas_ss_flags(t, t->regs.rsp);
}

static void sas_ss_reset(struct task *t)
{
	t->altstack.ss_sp = NULL;
	t->altstack.ss_size = 0;
	t->altstack.ss_flags = SS_DISABLE;
}

/* Linux's do_sigaltstack, for the stack pointer sp. */
static int do_sigaltstack(struct task *t, const stack_t *ss, stack_t *oss, uint64_t sp)
{
	if (oss) {
		memset(oss, 0, sizeof(*oss));
		oss->ss_sp = t->altstack.ss_sp;
		oss->ss_size = t->altstack.ss_size;
		oss->ss_flags = sas_ss_flags(t, sp) | (t->altstack.ss_flags & SS_FLAG_BITS);
	}
	if (!ss)
		return 0;
	if (on_sig_stack(t, sp))
		return -EPERM;
	int mode = ss->ss_flags & ~SS_FLAG_BITS;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (t->altstack.ss_sp == ss->ss_sp && t->altstack.ss_size == ss->ss_size &&
	    t->altstack.ss_flags == ss->ss_flags)
		return 0;
	void *ss_sp = ss->ss_sp;
	size_t ss_size = ss->ss_size;
	if (mode == SS_DISABLE) {
		ss_sp = NULL;
		ss_size = 0;
	} else if (ss_size < K_MINSIGSTKSZ) {
		/* No dynamic-feature (AMX) check: the sandbox grants none. */
		return -ENOMEM;
	}
	t->altstack.ss_sp = ss_sp;
	t->altstack.ss_size = ss_size;
	t->altstack.ss_flags = ss->ss_flags;
	return 0;
}

int task_sigaltstack(struct task *t, const stack_t *ss, stack_t *oss)
{
	return do_sigaltstack(t, ss, oss, t->regs.rsp);
}

/* t's FPU state as a signal frame holds it, in fp (fp_frame_size bytes):
 * as Linux's copy_fpstate_to_sigframe and save_xstate_epilog. */
static void fp_state_to_frame(struct task *t, plat_fpregs_t *fp)
{
	struct platform *plat = t->k->plat;
	memset(fp->bytes, 0, fp_frame_size(plat));
	plat->ops->context_get_fpregs(t->ctx, fp);
	if (!plat->xstate_features)
		return;
	struct fpx_sw_bytes sw = {
		.magic1 = FP_XSTATE_MAGIC1,
		.extended_size = fp_frame_size(plat),
		.xfeatures = plat->xstate_features,
		.xstate_size = plat->xstate_size,
	};
	memcpy(fp->bytes + FP_SW_BYTES_OFFSET, &sw, sizeof(sw));
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	memcpy(fp->bytes + plat->xstate_size, &magic2, 4);
	/* The header's reserved bytes are zero; x87 and SSE always marked
	 * present, so that a legacy handler's changes to them take effect. */
	memset(fp->bytes + PLAT_XSTATE_HEADER + 8, 0, 56);
	fp->bytes[PLAT_XSTATE_HEADER] |= XFEATURE_MASK_FPSSE;
}

/* Build the frame and point the registers at the handler, as Linux's
 * get_sigframe and x64_setup_rt_frame.  Returns 0, or -EFAULT when the frame
 * cannot be written (the caller forces SIGSEGV). */
static int setup_frame(struct task *t, int sig, const struct k_sigaction *act,
		       const siginfo_t *info, sigset64_t oldmask)
{
	struct platform *plat = t->k->plat;
	plat_regs_t *r = &t->regs;
	/* x86-64 frames need the app's restorer (glibc and musl give one). */
	if (!(act->flags & SA_RESTORER))
		return -EFAULT;
	bool nested = on_sig_stack(t, r->rsp), entering = false;
	uint64_t sp = r->rsp - 128; /* the red zone */
	if ((act->flags & SA_ONSTACK) && sas_ss_flags(t, sp) == 0) {
		sp = (uint64_t)(uintptr_t)t->altstack.ss_sp + t->altstack.ss_size;
		entering = true;
	}
	uint64_t fpaddr = (sp - fp_frame_size(plat)) & ~63ULL;
	sp = ((fpaddr - sizeof(struct k_rt_sigframe)) & ~15ULL) - 8;
	/* As Linux: a frame that would overflow the alternate stack is not
	 * written below it; the thread gets SIGSEGV instead. */
	if ((nested || entering) && !in_sig_stack(t, sp))
		return -EFAULT;

	plat_fpregs_t *fp = malloc(sizeof(*fp));
	if (!fp)
		return -EFAULT;
	fp_state_to_frame(t, fp);
	int e = mm_copy_out(t->mm, fpaddr, fp->bytes, fp_frame_size(plat));
	if (e < 0) {
		free(fp);
		return -EFAULT;
	}

	struct k_rt_sigframe f;
	memset(&f, 0, sizeof(f));
	f.pretcode = act->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS |
			(plat->xstate_features ? UC_FP_XSTATE : 0);
	f.uc.uc_stack.ss_sp = (uint64_t)(uintptr_t)t->altstack.ss_sp;
	f.uc.uc_stack.ss_size = t->altstack.ss_size;
	f.uc.uc_stack.ss_flags = t->altstack.ss_flags;
	struct k_sigcontext *sc = &f.uc.uc_mcontext;
	sc->r8 = r->r8; sc->r9 = r->r9; sc->r10 = r->r10; sc->r11 = r->r11;
	sc->r12 = r->r12; sc->r13 = r->r13; sc->r14 = r->r14; sc->r15 = r->r15;
	sc->rdi = r->rdi; sc->rsi = r->rsi; sc->rbp = r->rbp; sc->rbx = r->rbx;
	sc->rdx = r->rdx; sc->rax = r->rax; sc->rcx = r->rcx; sc->rsp = r->rsp;
	sc->rip = r->rip; sc->eflags = r->eflags;
	sc->cs = (uint16_t)r->cs; sc->ss = (uint16_t)r->ss;
	sc->oldmask = oldmask;
	sc->fpstate = fpaddr;
	if ((sig == SIGSEGV || sig == SIGBUS) && info->si_code > 0) {
		/* A page fault: trap 14, cr2 the address, and of the error
		 * code the user bit and, for a protection fault, the present
		 * bit (the platform does not tell reads from writes). */
		sc->trapno = 14;
		sc->err = 4 | (sig == SIGSEGV && info->si_code == SEGV_ACCERR);
		sc->cr2 = (uint64_t)(uintptr_t)info->si_addr;
	}
	f.uc.uc_sigmask = oldmask;
	if (act->flags & SA_SIGINFO)
		f.info = *info;
	if (mm_copy_out(t->mm, sp, &f, sizeof(f)) < 0) {
		free(fp);
		return -EFAULT;
	}

	r->rsp = sp;
	r->rip = act->handler;
	r->rdi = (uint64_t)sig;
	r->rsi = sp + offsetof(struct k_rt_sigframe, info);
	r->rdx = sp + offsetof(struct k_rt_sigframe, uc);
	r->rax = 0;
	r->eflags &= ~(0x100ULL | 0x400ULL | 0x10000ULL); /* TF, DF, RF, as Linux */
	/* As Linux's handle_signal: the handler starts with a clean FPU. */
	plat_fpregs_init(fp, plat->xstate_size);
	plat->ops->context_set_fpregs(t->ctx, fp);
	free(fp);
	/* As Linux's signal_delivered: an SS_AUTODISARM stack is disarmed
	 * while the handler runs (sigreturn re-arms it from uc_stack). */
	if (t->altstack.ss_flags & SS_AUTODISARM)
		sas_ss_reset(t);
	return 0;
}

int64_t signal_sigreturn(struct task *t)
{
	/* `ret` into the restorer popped pretcode: the frame starts 8 below. */
	uint64_t frame = t->regs.rsp - 8;
	siginfo_t segv = {.si_signo = SIGSEGV, .si_code = SI_KERNEL};
	t->in_syscall = false;
	/* As Linux's restore_sigcontext: a restart block pending from before
	 * the handler gives EINTR if restart_syscall is called now. */
	t->restart_fn = NULL;
	struct platform *plat = t->k->plat;
	plat_fpregs_t *fp = malloc(sizeof(*fp));
	uint64_t mask = 0;
	stack_t ss;
	int res = fp ? sigframe_restore(t->mm, plat, frame, &t->regs, fp, &mask, &ss)
		     : SIGFRAME_UNREADABLE;
	if (res == SIGFRAME_UNREADABLE) {
		free(fp);
		task_force_signal(t, &segv); /* as Linux's badframe */
		return (int64_t)t->regs.rax;
	}
	task_set_sigmask(t, mask);
	plat->ops->context_set_fpregs(t->ctx, fp);
	free(fp);
	if (res == SIGFRAME_BAD_FPSTATE) {
		task_force_signal(t, &segv);
		return (int64_t)t->regs.rax;
	}
	/* As Linux's restore_altstack: the saved settings come back, errors
	 * ignored: a bad size, or the frame (the stack pointer sigreturn was
	 * called with, as Linux 6 checks) on the current alternate stack. */
	do_sigaltstack(t, &ss, NULL, frame + 8);
	return (int64_t)t->regs.rax;
}

/* Apply Linux's restart rules to an interrupted syscall's result. */
static void syscall_restart(struct task *t, const struct k_sigaction *act)
{
	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	int64_t ret = (int64_t)t->regs.rax;
	bool restart = false;
	switch (-ret) {
	case ERESTARTNOHAND:
	case ERESTART_RESTARTBLOCK:
		restart = !act;
		break;
	case ERESTARTSYS:
		restart = !act || (act->flags & SA_RESTART);
		break;
	case ERESTARTNOINTR:
		restart = true;
		break;
	default:
		return;
	}
	if (!restart) {
		t->regs.rax = (uint64_t)-EINTR;
		return;
	}
	if (-ret == ERESTART_RESTARTBLOCK)
		t->regs.rax = 219; /* __NR_restart_syscall */
	else
		t->regs.rax = t->regs.orig_rax;
	t->regs.rip -= 2; /* back over the 2-byte `syscall` instruction */
}

/* Under siglock: dequeue the next deliverable signal into *info (0: none). */
static int dequeue_locked(struct task *t, siginfo_t *info)
{
	struct thread_group *tg = t->tg;
	sigset64_t mask = ~t->sigmask | SIGBIT(SIGKILL) | SIGBIT(SIGSTOP);
	/* Synchronous (thread) signals first, as Linux does. */
	struct sigpending *order[2] = {&t->pending, &tg->shared_pending};
again:
	for (int i = 0; i < 2; i++) {
		sigset64_t ready = order[i]->set & mask;
		if (!ready)
			continue;
		int sig = __builtin_ctzll(ready) + 1;
		/* Prefer the synchronous fault signals when several are pending. */
		static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS};
		for (size_t k = 0; k < sizeof(sync_sigs) / sizeof(sync_sigs[0]); k++)
			if (ready & SIGBIT(sync_sigs[k])) {
				sig = sync_sigs[k];
				break;
			}
		pending_take(tg, order[i], sig, info);
		if (info->si_code == SI_TIMER && !ptimer_dequeued_locked(tg, info))
			goto again; /* a deleted or re-armed timer's: dropped */
		return sig;
	}
	return 0;
}

int signal_dequeue_set(struct task *t, sigset64_t set, siginfo_t *info)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	int sig = 0;
	struct sigpending *order[2] = {&t->pending, &tg->shared_pending};
	for (int i = 0; i < 2 && !sig; i++) {
		sigset64_t ready = order[i]->set & set;
		if (ready) {
			sig = __builtin_ctzll(ready) + 1;
			pending_take(tg, order[i], sig, info);
			if (info->si_code == SI_TIMER && !ptimer_dequeued_locked(tg, info)) {
				sig = 0; /* a deleted or re-armed timer's: dropped */
				i = -1;
			}
		}
	}
	vmutex_unlock(&tg->siglock);
	return sig;
}

/* Notify the parent that the group stopped or continued. */
static void notify_parent_stop(struct thread_group *tg, int why, int sig);

void task_deliver_signals(struct task *t)
{
	struct thread_group *tg = t->tg;
	for (;;) {
		vmutex_lock(&tg->siglock);
		if (t->exiting && !tg->group_exiting) {
			/* Killed by another thread's execve (de_thread). */
			vmutex_unlock(&tg->siglock);
			task_exit(t, 0);
		}
		atomic_store(&t->interrupted, 0);
		if (tg->group_exiting) {
			int st = tg->group_exit_status;
			vmutex_unlock(&tg->siglock);
			task_exit(t, st);
		}
		if (tg->stop_notify || tg->cont_notify) {
			int why = tg->stop_notify ? CLD_STOPPED : CLD_CONTINUED;
			int ssig = tg->stop_sig;
			tg->stop_notify = tg->cont_notify = false;
			vmutex_unlock(&tg->siglock);
			notify_parent_stop(tg, why, ssig);
			continue;
		}
		if (t->pt.tracer && (t->pt.trap_stop || (tg->stopped && t->group_stop_pending))) {
			/* A traced thread reports the group stop (or the trap
			 * its tracer asked for) and runs on when resumed. */
			bool gs = tg->stopped;
			int ssig = tg->stop_sig;
			t->pt.trap_stop = false;
			t->group_stop_pending = false;
			vmutex_unlock(&tg->siglock);
			task_regs_full(t);
			ptrace_trap(t, gs, ssig);
			continue;
		}
		if (tg->stopped && !t->pt.tracer) {
			/* A group stop: every thread sleeps here until SIGCONT
			 * or SIGKILL (both kick it). */
			t->group_stop_pending = false;
			vmutex_unlock(&tg->siglock);
			task_sleep(t, NULL);
			continue;
		}
		siginfo_t info;
		int sig = dequeue_locked(t, &info);
		if (sig && t->pt.tracer) {
			/* The signal-delivery-stop: the tracer may change or
			 * cancel the signal. */
			vmutex_unlock(&tg->siglock);
			task_regs_full(t);
			sig = ptrace_signal_stop(t, sig, &info);
			vmutex_lock(&tg->siglock);
			if (!sig) {
				vmutex_unlock(&tg->siglock);
				continue;
			}
			if (tg->group_exiting || (t->sigmask & SIGBIT(sig))) {
				/* As Linux: a substituted signal that is blocked
				 * waits in the queue. */
				pending_add(tg, &t->pending, &info);
				vmutex_unlock(&tg->siglock);
				continue;
			}
		}
		if (!sig) {
			if (t->restore_sigmask) {
				t->sigmask = t->saved_sigmask;
				t->restore_sigmask = false;
			}
			vmutex_unlock(&tg->siglock);
			syscall_restart(t, NULL);
			return;
		}
		struct k_sigaction act = tg->actions[sig - 1];
		if (act.handler == (uint64_t)(uintptr_t)SIG_IGN) {
			vmutex_unlock(&tg->siglock);
			continue;
		}
		if (act.handler == (uint64_t)(uintptr_t)SIG_DFL) {
			enum sig_default d = sig_default_action(sig);
			if (d == SIGDFL_IGN) {
				vmutex_unlock(&tg->siglock);
				continue;
			}
			if (d == SIGDFL_STOP) {
				/* As Linux: SIGTSTP/TTIN/TTOU in an orphaned process
				 * group are discarded (nobody could continue it). */
				if (sig != SIGSTOP) {
					int pgid = tg->pgid, sid = tg->sid;
					vmutex_unlock(&tg->siglock);
					vmutex_lock(&tg->k->tasks_lock);
					bool orphaned = kernel_pgrp_orphaned_locked(tg->k, pgid, sid);
					vmutex_unlock(&tg->k->tasks_lock);
					if (orphaned)
						continue;
					vmutex_lock(&tg->siglock);
					if (tg->group_exiting) {
						vmutex_unlock(&tg->siglock);
						continue;
					}
				}
				tg->stopped = true;
				tg->stop_sig = sig;
				tg->stop_waitable = true;
				tg->cont_waitable = false;
				tg->stop_notify = true;
				for (struct task *x = tg->threads; x; x = x->tg_next) {
					x->group_stop_pending = true;
					if (x != t)
						kick(x);
				}
				vmutex_unlock(&tg->siglock);
				continue;
			}
			/* As Linux for a namespace's init: a fatal default
			 * action is discarded (it was blocked when sent),
			 * unless it is SIGKILL or a fault it cannot handle. */
			if (tg == tg->k->init && sig != SIGKILL && !tg->fault_killable) {
				vmutex_unlock(&tg->siglock);
				continue;
			}
			/* Terminate the whole group; "core" signals set no
			 * core-dump bit since nothing is dumped. */
			group_exit_locked(tg, sig);
			vmutex_unlock(&tg->siglock);
			continue;
		}
		sigset64_t oldmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
		t->restore_sigmask = false;
		t->sigmask = oldmask | act.mask;
		if (!(act.flags & SA_NODEFER))
			t->sigmask |= SIGBIT(sig);
		t->sigmask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
		if (act.flags & SA_RESETHAND) {
			tg->actions[sig - 1].handler = (uint64_t)(uintptr_t)SIG_DFL;
			tg->actions[sig - 1].flags &= ~(uint64_t)SA_SIGINFO;
		}
		vmutex_unlock(&tg->siglock);

		task_regs_full(t);
		syscall_restart(t, &act);
		if (t->k->strace)
			log_info("[%d] signal %d -> handler %#lx", t->tid, sig,
				 (unsigned long)act.handler);
		if (setup_frame(t, sig, &act, &info, oldmask) < 0) {
			/* As Linux's force_sigsegv: a frame that cannot be
			 * written costs SIGSEGV, fatal when it was SIGSEGV's. */
			if (sig == SIGSEGV) {
				vmutex_lock(&tg->siglock);
				group_exit_locked(tg, SIGSEGV);
				vmutex_unlock(&tg->siglock);
			} else {
				siginfo_t segv = {.si_signo = SIGSEGV, .si_code = SI_KERNEL};
				task_force_signal(t, &segv);
			}
			continue;
		}
		return;
	}
}

static void notify_parent_stop(struct thread_group *tg, int why, int sig)
{
	struct kernel *k = tg->k;
	vmutex_lock(&k->tasks_lock);
	struct thread_group *parent = tg->parent;
	if (parent) {
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGCHLD;
		info.si_code = why;
		info.si_pid = tg->tgid;
		info.si_status = why == CLD_STOPPED ? sig : SIGCONT;
		vmutex_lock(&parent->siglock);
		/* SA_NOCLDSTOP: no SIGCHLD for stops and continues. */
		bool nocldstop = parent->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP;
		if (!nocldstop)
			send_locked(parent, NULL, &info, true, false);
		vmutex_unlock(&parent->siglock);
		waitq_notify(&parent->child_wq, ~0u);
	}
	vmutex_unlock(&k->tasks_lock);
}

void signal_group_exit(struct thread_group *tg, int status)
{
	vmutex_lock(&tg->siglock);
	group_exit_locked(tg, status);
	vmutex_unlock(&tg->siglock);
}
