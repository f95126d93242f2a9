/*
 * systrap_notif.c — notification mode's host mechanics (systrap.c's model):
 * each stub thread's seccomp listener, taken into the Sentry, and the waits
 * and replies on it.
 *
 * A new app thread installs the app filter with a listener of its own
 * (stub.S) and writes the listener's number into its slot; the stub's
 * leader, asked by the Sentry, sends it on the stub's socket and closes its
 * own copy (the stub runs as another user: no pidfd_getfd), and the Sentry
 * asks for sync wake-ups on it, so that a notification and its reply each
 * switch to the waiting side on the same CPU instead of waking it on
 * another.  A listener serves exactly one thread: at most one notification
 * is outstanding on it, and what the Sentry holds of it (taken or not, and
 * its id) is kept per slot in as->thr, so that it moves with the stub (the
 * pool, execve's reuse) and a spare's parked hand-off is found by the next
 * context.
 *
 * Nothing the stub says is trusted: the number in the slot is the app's to
 * write (a wrong one sends a listener of another thread of the same
 * address space, which that app could drive anyway, or an fd that is no
 * listener, which fails the flags ioctl: the stub is killed), and anything
 * on the socket but the one message asked for is a broken protocol.
 */
#include "platform/systrap/systrap_internal.h"

#include "lib/log.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

#define ST_NOTIF_WAIT_MS 50
#define ST_NOTIF_TRIES 20 /* x ST_NOTIF_WAIT_MS without the hand-off asked for */

/* The per-slot records, made once for every slot (untouched pages cost
 * nothing): they never move, so that each context reads its own without
 * the address space's lock. */
static int st_thr_alloc(struct addr_space *as)
{
	if (as->thr)
		return 0;
	void *m = mmap(NULL, ST_MAX_THREADS * sizeof(struct st_thr), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	as->thr = m;
	return 0;
}

void st_thr_close_all(struct addr_space *as)
{
	if (as->thr) {
		for (unsigned i = 0; i < ST_MAX_THREADS; i++)
			if (as->thr[i].lfd1)
				close(as->thr[i].lfd1 - 1);
		munmap(as->thr, ST_MAX_THREADS * sizeof(struct st_thr));
		as->thr = NULL;
	}
	if (as->nsock >= 0)
		close(as->nsock);
	as->nsock = -1;
}

/* Our listener of the thread whose number the leader sent: one message of
 * one byte and exactly one fd, or -EPROTO. */
static int st_thr_recv_fd(struct addr_space *as)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	ssize_t n = recvmsg(as->nsock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN ? -EPROTO : -errno;
	int fd = -1, nfd = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int x;
				memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(x));
				if (nfd++ == 0)
					fd = x;
				else
					close(x);
			}
	if (nfd == 1 && n == 1 && !(msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
		return fd;
	if (fd >= 0)
		close(fd);
	return -EPROTO;
}

int st_thr_attach(struct addr_space *as, int slot)
{
	int err = st_thr_alloc(as);
	if (err)
		return err;
	if (as->nsock < 0)
		return -EPROTO;
	struct st_thr *th = &as->thr[slot];
	if (th->lfd1) {
		close(th->lfd1 - 1);
		th->lfd1 = 0;
	}
	th->wait = ST_W_NONE;
	/* The number, from the app's memory: not one of the stub's own. */
	const struct st_platform *sp = as->sp;
	uint32_t n = atomic_load((_Atomic uint32_t *)&st_slot(as, slot)->lfd);
	int num = (int)n - 1;
	if (n == 0 || n > 0x10000 || num == sp->memfd || num == sp->event_fd_no ||
	    num == sp->notif_fd_no)
		return -EPROTO;
	struct st_lfd_msg *m = &st_ro(as)->msg;
	uint64_t base = ST_CTL_BASE + RO_MSG;
	memset(m, 0, sizeof(*m));
	m->msghdr[2] = base + offsetof(struct st_lfd_msg, iov);	 /* msg_iov */
	m->msghdr[3] = 1;					 /* msg_iovlen */
	m->msghdr[4] = base + offsetof(struct st_lfd_msg, cmsg); /* msg_control */
	m->msghdr[5] = CMSG_SPACE(sizeof(int));			 /* msg_controllen */
	m->iov[0] = base + offsetof(struct st_lfd_msg, byte);
	m->iov[1] = 1;
	struct cmsghdr c = {
	    .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS};
	memcpy(m->cmsg, &c, sizeof(c));
	memcpy((char *)m->cmsg + sizeof(c), &num, sizeof(num));
	const struct st_op ops[2] = {
	    {.nr = SYS_sendmsg, .a = {(uint64_t)sp->notif_fd_no, base, MSG_DONTWAIT}},
	    {.nr = SYS_close, .a = {(uint64_t)num}},
	};
	int64_t res[2];
	int v = st_leader_call(as, ops, 2, res);
	if (v < 0)
		return v;
	if (v != 1)
		return -EPROTO; /* no such fd in the stub */
	int fd = st_thr_recv_fd(as);
	if (fd < 0)
		return fd;
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0) < 0) {
		int e = errno;
		close(fd);
		if (e == ENOTTY)
			return -EPROTO; /* not a listener */
		log_error(
		    "systrap: no sync wake-up on a seccomp listener (%s): Linux 6.6 or later, "
		    "or VISOR_SYSTRAP_NOTIF=0",
		    strerror(e));
		return -e;
	}
	th->lfd1 = fd + 1;
	return 0;
}

/* What the Sentry now holds of the thread: the notification taken, and
 * whether it is the handler's hand-off (1) or an app syscall (0). */
static int st_notif_took(struct addr_space *as, struct st_thr *th, const struct seccomp_notif *req)
{
	bool handoff = req->data.instruction_pointer == st_handoff_ret_addr(as->sp);
	th->nid = req->id;
	th->wait = handoff ? ST_W_HANDOFF : ST_W_SYSCALL;
	return handoff;
}

/* A poll of a thread's listener found it ready with no notification
 * (POLLHUP: no thread uses the filter any more; POLLERR): the stub is
 * killed, and true. */
static bool st_listener_hung(struct addr_space *as, short revents)
{
	if (revents & POLLIN)
		return false;
	st_as_kill(as, "a thread is gone");
	return true;
}

/*
 * RECV found no notification (ENOENT): one withdrawn (its thread took a
 * signal before we took it: it makes the call again), or, since Linux 6.6,
 * no thread uses the filter any more (the stub died or was killed: RECV
 * wakes then, and the listener polls POLLHUP).  0 to wait again, or -ESRCH.
 */
static int st_notif_gone(struct addr_space *as, struct st_thr *th)
{
	if (atomic_load(&as->dead) || st_as_check_dead(as))
		return -ESRCH;
	struct pollfd pf = {.fd = th->lfd1 - 1, .events = POLLIN};
	return poll(&pf, 1, 0) > 0 && st_listener_hung(as, pf.revents) ? -ESRCH : 0;
}

/*
 * The blocking RECV that an interrupt cuts short.  st_recv_cp(fd, req,
 * interrupt) is ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) unless *interrupt
 * is set when it would enter the kernel: then -EINTR.  The interrupter sets
 * the flag, then takes the waiting thread's tid from ctx->recv_tid and
 * sends it ST_SIG_WAKE, whose handler moves a thread caught between the
 * check and the system call (or in it: SA_RESTART rewinds it onto the
 * syscall instruction) to the -EINTR exit, so that no wake-up is lost
 * (musl's cancellation points do the same).  A RECV that took a
 * notification has returned past the window and keeps it.  Task threads
 * block every other host signal (task.c), so the signal never meets the
 * Sentry elsewhere: only a thread whose tid was taken gets it, and that
 * thread waits for its handler before it goes on.
 */
_Static_assert(SYS_ioctl == 16, "st_recv_cp's system call number");
_Static_assert(SECCOMP_IOCTL_NOTIF_RECV == 0xc0502100u, "st_recv_cp's request");
long st_recv_cp(int fd, struct seccomp_notif *req, atomic_int *interrupt);
extern const char st_recv_cp_begin[], st_recv_cp_end[], st_recv_cp_cancel[];
__asm__(".text\n"
	".globl st_recv_cp\n"
	".hidden st_recv_cp\n"
	".type st_recv_cp,@function\n"
	"st_recv_cp:\n"
	"	mov %rdx, %rcx\n"
	"	mov %rsi, %rdx\n"
	"	mov $0xc0502100, %esi\n"
	"	mov $16, %eax\n"
	".globl st_recv_cp_begin\n"
	".hidden st_recv_cp_begin\n"
	"st_recv_cp_begin:\n"
	"	cmpl $0, (%rcx)\n"
	"	jne st_recv_cp_cancel\n"
	"	syscall\n"
	".globl st_recv_cp_end\n"
	".hidden st_recv_cp_end\n"
	"st_recv_cp_end:\n"
	"	ret\n"
	".globl st_recv_cp_cancel\n"
	".hidden st_recv_cp_cancel\n"
	"st_recv_cp_cancel:\n"
	"	mov $-4, %rax\n"
	"	ret\n"
	".size st_recv_cp, .-st_recv_cp\n");

static __thread pid_t st_self_tid;		/* 0 until ST_SIG_WAKE is unblocked here */
static __thread volatile sig_atomic_t st_woken; /* ST_SIG_WAKE's handler runs */

static void st_wake_handler(int sig, siginfo_t *si, void *uc_)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = uc_;
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (rip >= (uintptr_t)st_recv_cp_begin && rip < (uintptr_t)st_recv_cp_end)
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)st_recv_cp_cancel;
	st_woken = st_woken + 1;
}

int st_notif_wake_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = st_wake_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(ST_SIG_WAKE, &sa, NULL) < 0)
		return -errno;
	return 0;
}

void st_notif_interrupted(struct context *ctx)
{
	pid_t t = atomic_exchange(&ctx->recv_tid, 0);
	if (t && syscall(SYS_tgkill, getpid(), t, ST_SIG_WAKE) < 0)
		log_warn("systrap: waking Sentry thread %d: %s", t, strerror(errno));
}

/* An interrupter took our tid: its signal comes.  Wait for its handler,
 * ST_WOKEN_WAIT_NS at most: should the signal never come (its tgkill
 * failed), the thread goes on, and a late signal finds no window to move. */
#define ST_WOKEN_WAIT_NS 1000000000LL
static void st_wait_woken(sig_atomic_t woken)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 1; st_woken == woken; i++) {
		sched_yield();
		if (i % 64)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000000000LL + (now.tv_nsec - t0.tv_nsec) >=
		    ST_WOKEN_WAIT_NS) {
			log_warn("systrap: no wake-up signal came in 1 s: going on");
			return;
		}
	}
}

/* One blocking RECV; with wake, one that ctx's interrupt cuts short
 * (-EINTR).  0 or -errno. */
static int st_notif_recv_block(int fd, struct seccomp_notif *req, atomic_int *interrupt,
			       _Atomic pid_t *wake)
{
	if (!interrupt || !wake)
		return ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) == 0 ? 0 : -errno;
	if (!st_self_tid) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, ST_SIG_WAKE);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		st_self_tid = (pid_t)syscall(SYS_gettid);
	}
	sig_atomic_t woken = st_woken;
	atomic_store(wake, st_self_tid);
	long r = st_recv_cp(fd, req, interrupt);
	if (atomic_exchange(wake, 0) == 0)
		st_wait_woken(woken);
	return (int)r;
}

/*
 * Without an interrupt to resend, the Sentry waits in RECV itself: one
 * system call per event, no poll before it.  An interrupt posted meanwhile
 * reaches the thread as a signal (plat_run_interrupt), whose hand-off ends
 * the wait; the stub's death ends it too (ENOENT).  With *interrupt set,
 * it polls every ST_NOTIF_WAIT_MS and sends the interrupt signal again, and
 * a thread silent for ST_NOTIF_TRIES of those is killed.
 */
int st_notif_recv(struct addr_space *as, int slot, pid_t tid, atomic_int *interrupt,
		  _Atomic pid_t *wake, struct seccomp_notif *req)
{
	struct st_thr *th = &as->thr[slot];
	int fd = th->lfd1 - 1;
	int tries = 0;
	for (;;) {
		if (atomic_load(&as->dead))
			return -ESRCH;
		bool polling = interrupt && atomic_load(interrupt);
		if (polling) {
			struct pollfd pf = {.fd = fd, .events = POLLIN};
			int r = poll(&pf, 1, ST_NOTIF_WAIT_MS);
			if (r < 0 && errno != EINTR)
				return -ESRCH;
			if (r == 0) {
				if (st_as_check_dead(as))
					return -ESRCH;
				if (++tries > ST_NOTIF_TRIES) {
					st_as_kill(as, "a thread does not answer interrupts");
					return -ESRCH;
				}
				if (syscall(SYS_tgkill, as->pid, tid, ST_SIG_INTERRUPT) < 0 &&
				    errno == ESRCH) {
					st_as_kill(as, "a thread is gone");
					return -ESRCH;
				}
			}
			if (r <= 0)
				continue;
			if (st_listener_hung(as, pf.revents))
				return -ESRCH;
		}
		memset(req, 0, sizeof(*req));
		/* After the poll a notification is there: the interrupt must
		 * not cut this RECV short. */
		int e = st_notif_recv_block(fd, req, interrupt, polling ? NULL : wake);
		if (e == 0)
			return st_notif_took(as, th, req);
		if (e == -EINTR)
			continue;
		if (e != -ENOENT) {
			st_as_kill(as, "a thread's listener fails");
			return -ESRCH;
		}
		int err = st_notif_gone(as, th);
		if (err)
			return err;
	}
}

int st_notif_reply(struct addr_space *as, int slot, int64_t val)
{
	struct st_thr *th = &as->thr[slot];
	struct seccomp_notif_resp resp = {.id = th->nid, .val = val};
	th->wait = ST_W_NONE;
	if (ioctl(th->lfd1 - 1, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
		return 0;
	/* ENOENT: the thread is gone (killed) since we took its call. */
	if (!st_as_check_dead(as))
		st_as_kill(as, "a thread left the protocol");
	return -ESRCH;
}

int st_notif_park(struct addr_space *as, int slot, pid_t tid)
{
	if (syscall(SYS_tgkill, as->pid, tid, ST_SIG_INTERRUPT) < 0) {
		st_as_kill(as, "a thread is gone");
		return -ESRCH;
	}
	return st_notif_reply(as, slot, 0);
}

int st_thr_settle(struct addr_space *as, int slot)
{
	if (!as->thr || !as->thr[slot].lfd1)
		return -EPROTO;
	struct st_thr *th = &as->thr[slot];
	if (th->wait == ST_W_HANDOFF)
		return 0;
	if (th->wait == ST_W_SYSCALL)
		return -EBUSY;
	struct seccomp_notif req;
	int r = st_notif_recv(as, slot, as->tid[slot], NULL, NULL, &req);
	return r == 1 ? 0 : r < 0 ? r : -EPROTO;
}

/* ---- notification mode ------------------------------------------------------------ */

/* ctx's thread in its hand-off: parked first, and that hand-off taken,
 * when it waits in an app syscall. */
int st_notif_to_handoff(struct context *ctx, struct addr_space *as)
{
	if (as->thr[ctx->slot].wait != ST_W_SYSCALL)
		return 0;
	int err = st_notif_park(as, ctx->slot, ctx->tid);
	if (err)
		return err;
	atomic_int resend = 1;
	struct seccomp_notif req;
	int r = st_notif_recv(as, ctx->slot, ctx->tid, &resend, NULL, &req);
	if (r < 0)
		return r;
	int sig;
	siginfo_t si;
	if (r != 1 || st_frame_locate(ctx, as, &sig, &si) < 0 ||
	    atomic_load((_Atomic uint32_t *)&st_slot(as, ctx->slot)->state) != ST_STATE_EVENT) {
		st_as_kill(as, "a thread left the protocol");
		return -ESRCH;
	}
	return 0;
}

/*
 * The registers of ctx's thread in full: those of its hand-off (taken now
 * when it waits in an app syscall: parked, it traps as the call returns),
 * but for what the notification carried, which come from regs (what the
 * Sentry made of them: the result, a restart's rip).
 */
static int st_notif_full(struct context *ctx, struct addr_space *as, plat_regs_t *regs)
{
	int err = st_notif_to_handoff(ctx, as);
	if (err)
		return err;
	if (as->thr[ctx->slot].wait != ST_W_HANDOFF)
		return -EPROTO;
	plat_regs_t full;
	st_frame_regs(ctx, as, &full);
	full.rax = regs->rax;
	full.orig_rax = regs->orig_rax;
	full.rip = regs->rip;
	full.rdi = regs->rdi;
	full.rsi = regs->rsi;
	full.rdx = regs->rdx;
	full.r10 = regs->r10;
	full.r8 = regs->r8;
	full.r9 = regs->r9;
	full.fs_base = regs->fs_base;
	full.gs_base = regs->gs_base;
	*regs = full;
	ctx->partial = false;
	return 0;
}

/* A resume of an app syscall's notification that its answer can do: the
 * Sentry changed nothing but rax (not to a restart code, which the host
 * would act on), nor the vector state. */
static bool st_notif_rax_only(const struct context *ctx, const plat_regs_t *r)
{
	plat_regs_t a = *r;
	a.rax = ctx->snap.rax;
	int64_t v = (int64_t)r->rax;
	return !ctx->fp_dirty && !(v >= -516 && v <= -512) &&
	       memcmp(&a, &ctx->snap, sizeof(a)) == 0;
}

/*
 * context_switch in notification mode: resume the thread with *want (an app
 * syscall's answer when that is all that changed, else through its
 * hand-off's frame), then wait for its next event into *regs.  An app
 * syscall's is partial (ctx->partial): the other registers are want's.
 */
int st_notif_run(struct context *ctx, struct addr_space *as, plat_regs_t *want, plat_regs_t *regs,
		 struct plat_event *ev)
{
	struct st_thr *th = &as->thr[ctx->slot];
	struct st_slot *s = st_slot(as, ctx->slot);
	int err;
	if (ctx->partial && th->wait == ST_W_SYSCALL && st_notif_rax_only(ctx, want)) {
		err = st_notif_reply(as, ctx->slot, (int64_t)want->rax);
	} else {
		err = ctx->partial ? st_notif_full(ctx, as, want) : 0;
		if (!err && th->wait != ST_W_HANDOFF)
			err = -EPROTO;
		if (!err) {
			st_frame_write(ctx, as, want);
			atomic_store((_Atomic uint32_t *)&s->state, ST_STATE_RESUME);
			err = st_notif_reply(as, ctx->slot, 0);
		}
	}
	ctx->partial = false;
	ctx->resume_tsc = __builtin_ia32_rdtsc();
	while (!err) {
		struct seccomp_notif req;
		int r = st_notif_recv(as, ctx->slot, ctx->tid, &ctx->run.interrupt, &ctx->recv_tid,
				      &req);
		if (r < 0)
			return r;
		st_ctx_seen(ctx);
		if (r == 0) {
			*regs = *want;
			regs->rip = req.data.instruction_pointer;
			regs->orig_rax = regs->rax = (unsigned long long)(unsigned)req.data.nr;
			regs->rdi = req.data.args[0];
			regs->rsi = req.data.args[1];
			regs->rdx = req.data.args[2];
			regs->r10 = req.data.args[3];
			regs->r8 = req.data.args[4];
			regs->r9 = req.data.args[5];
			ctx->partial = true;
			ctx->snap = *regs;
			ev->kind = PLAT_EV_SYSCALL;
			ev->partial = true;
			return 0;
		}
		if (atomic_load((_Atomic uint32_t *)&s->state) != ST_STATE_EVENT) {
			st_as_kill(as, "a thread posted a bad frame");
			return -ESRCH;
		}
		r = st_trap_take(ctx, as, want, regs, ev);
		if (r != 0)
			return r < 0 ? r : 0;
		atomic_store((_Atomic uint32_t *)&s->state, ST_STATE_RESUME);
		err = st_notif_reply(as, ctx->slot, 0);
	}
	return err;
}

/* platform_ops.context_full_regs. */
int systrap_context_full_regs(struct context *ctx, plat_regs_t *regs)
{
	struct addr_space *as = ctx->as;
	if (!ctx->partial)
		return 0;
	if (!as || atomic_load(&as->dead) || atomic_load(&as->released))
		return -ESRCH;
	return st_notif_full(ctx, as, regs);
}
