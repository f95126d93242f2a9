/*
 * systrap_stub.c — the host mechanics of the systrap platform: the stub blob,
 * the seccomp filters of stub threads, and the template process that forks
 * new stubs.
 *
 * The template is forked from the Sentry when the platform starts, which is
 * before the Sentry jails itself: stubs must not inherit the jail's filter
 * (it kills on every syscall it does not list, and app syscalls must trap
 * instead), so they are forked from the template, never from the Sentry.
 * The template drops every capability, every fd but the memory file and its
 * socket, every mapping but the blob, and installs the base filter, which
 * every stub inherits from it.  It then forks a stub per request, with
 * CLONE_PARENT: every stub is a child of the Sentry, which reaps it.
 *
 * Two filters (what each allows is in st_base_allowed/st_app_allowed below):
 *   - base, on every stub thread: from the blob's code, the few syscalls the
 *     template, a new stub's set-up, the leader and the handler need, with
 *     their arguments pinned where the kernel would otherwise do more than
 *     the stub means (mmap only MAP_SHARED|MAP_FIXED of the memory file or
 *     of the control region, clone only a stub thread or a new stub, write
 *     only to the leader's eventfd or the template's socket...).  Anything
 *     else, from anywhere, and any other architecture: SECCOMP_RET_TRAP.
 *   - app, added by every app thread before it runs app code: only what the
 *     handler needs (futex on thread areas, the restorer's rt_sigreturn,
 *     arch_prctl of the fs/gs base, and the one rt_sigprocmask of a thread's
 *     start).  In notification mode (systrap.c) a syscall from app code is
 *     a user notification to the thread's listener but for those that need
 *     the registers, and so is the handler's hand-off; the base filter
 *     answers app code with a notification too (the app filter's, later,
 *     wins; on the leader, which has no listener, it fails with ENOSYS).  The app can jump into the blob and run its syscall
 *     instructions with registers of its choosing: under both filters that
 *     reaches nothing it could not do to its own thread anyway.  No map,
 *     unmap, clone or write: those are the leader's, a thread that never
 *     runs app code.
 * Every app syscall thus traps (SIGSYS) into the handler on its own thread,
 * which hands it to the Sentry.
 *
 * This file must never leave anything of the Sentry reachable from a stub:
 * no mapping, no fd, no capability, no register contents.
 */
#include "platform/systrap/systrap_internal.h"
#include "platform/plat_util.h"

#include "lib/log.h"
#include "lib/page.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

_Static_assert(ST_CTL_BASE == PLAT_APP_TOP, "the control region starts at PLAT_APP_TOP");

/* stub.S */
extern const char systrap_stub_start[], systrap_stub_template[], systrap_stub_handler[],
    systrap_stub_restorer[], systrap_stub_thread_trap[], systrap_stub_handoff_ret[],
    systrap_stub_end[], systrap_patch_entry[];

static uint64_t st_blob_addr_of(const struct st_platform *sp, const char *sym)
{
	return sp->blob + (uint64_t)(sym - systrap_stub_start);
}

uint64_t st_handler_addr(const struct st_platform *sp)
{
	return st_blob_addr_of(sp, systrap_stub_handler);
}

uint64_t st_restorer_addr(const struct st_platform *sp)
{
	return st_blob_addr_of(sp, systrap_stub_restorer);
}

/* mov $15,%eax (5 bytes); syscall (2 bytes) */
uint64_t st_restorer_ret_addr(const struct st_platform *sp) { return st_restorer_addr(sp) + 7; }

uint64_t st_code_end(const struct st_platform *sp)
{
	return st_blob_addr_of(sp, systrap_stub_end);
}

uint64_t st_patch_entry_addr(const struct st_platform *sp)
{
	return st_blob_addr_of(sp, systrap_patch_entry);
}

uint64_t st_thread_trap_addr(const struct st_platform *sp)
{
	return st_blob_addr_of(sp, systrap_stub_thread_trap);
}

uint64_t st_handoff_ret_addr(const struct st_platform *sp)
{
	return st_blob_addr_of(sp, systrap_stub_handoff_ret);
}

/* ---- the filters --------------------------------------------------------- */

/*
 * What the filters let through, from the blob's code only.  The tests run the
 * filters on every syscall number and check them against these tables.
 */
const struct st_allowed st_base_allowed[] = {
    /* the handler */
    {SYS_rt_sigreturn, "from the restorer only"},
    {SYS_futex, ""}, /* the leader's request word; the app filter narrows it */
    {SYS_arch_prctl, "ARCH_SET_FS or ARCH_SET_GS"},
    /* the leader: the Sentry's requests, and their completion */
    {SYS_mmap, "MAP_SHARED|MAP_FIXED of the memory file or the control region"},
    {SYS_munmap, ""},
    {SYS_mprotect, ""},
    {SYS_clone, "a stub thread's flags, or a new stub's (CLONE_PARENT)"},
    {SYS_prctl, "PR_SET_NAME; PR_SET_PDEATHSIG with SIGKILL"},
    {SYS_write, "to the leader's eventfd or the template's socket"},
    {SYS_sendmsg, "on the socket the leader sends a thread's listener on"},
    /* the template and a new stub's set-up */
    {SYS_recvmsg, "on the template's socket"},
    {SYS_dup3, ""},
    {SYS_close, ""},
    {SYS_getppid, ""},
    {SYS_exit_group, ""},
    /* a new thread's start */
    {SYS_sigaltstack, ""},
    {SYS_seccomp, "SECCOMP_SET_MODE_FILTER, no flags (a new listener in notification mode)"},
    {SYS_rt_sigprocmask, "SIG_SETMASK to the blob's empty mask, no old mask"},
};
const size_t st_base_allowed_n = sizeof(st_base_allowed) / sizeof(st_base_allowed[0]);

const struct st_allowed st_app_allowed[] = {
    {SYS_rt_sigreturn, "from the restorer only"},
    {SYS_futex, "FUTEX_WAIT or FUTEX_WAKE on a thread area"},
    {SYS_arch_prctl, "ARCH_SET_FS or ARCH_SET_GS"},
    {SYS_rt_sigprocmask, "SIG_SETMASK to the blob's empty mask, no old mask"},
    {SYS_sigaltstack, "a query: no new stack, an old one"},
};
const size_t st_app_allowed_n = sizeof(st_app_allowed) / sizeof(st_app_allowed[0]);

#define SD_NR offsetof(struct seccomp_data, nr)
#define SD_ARCH offsetof(struct seccomp_data, arch)
#define SD_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define SD_IP_HI (SD_IP_LO + 4)
#define SD_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define SD_ARG_HI(i) (SD_ARG_LO(i) + 4)
/* Jump targets patched at the end: the final RET ALLOW and RET TRAP, and
 * (notification mode) the rules for syscalls from app code. */
#define TO_APP 0xfd
#define TO_ALLOW 0xfe
#define TO_TRAP 0xff

struct bprog {
	struct sock_filter *f;
	unsigned n;
	bool full;
};

static void b_emit(struct bprog *p, struct sock_filter ins)
{
	if (p->n >= P_FILTER_MAX - 2) { /* room for the two final returns */
		p->full = true;
		return;
	}
	p->f[p->n++] = ins;
}

static void b_ld(struct bprog *p, uint32_t off)
{
	b_emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off));
}

/* if (A op k) fall through, else trap */
static void b_require(struct bprog *p, uint16_t op, uint32_t k)
{
	b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, TO_TRAP));
}

static void b_require64(struct bprog *p, unsigned arg, uint64_t v)
{
	b_ld(p, SD_ARG_HI(arg));
	b_require(p, BPF_JEQ, (uint32_t)(v >> 32));
	b_ld(p, SD_ARG_LO(arg));
	b_require(p, BPF_JEQ, (uint32_t)v);
}

/* The low word of an argument (an int: the kernel ignores the high word) is
 * one of vals[0..n). */
static void b_require_one_of(struct bprog *p, uint32_t off, const uint32_t *vals, unsigned n)
{
	b_ld(p, off);
	for (unsigned i = 0; i + 1 < n; i++)
		b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vals[i],
						       (uint8_t)(n - 1 - i), 0));
	b_require(p, BPF_JEQ, vals[n - 1]);
}

static void b_allow(struct bprog *p)
{
	b_emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/* A rule for nr: LD nr; if (nr != k) skip the block; the block ends in a
 * return or a jump to the traps.  b_rule_end patches the skip. */
static unsigned b_rule(struct bprog *p, int nr)
{
	b_ld(p, SD_NR);
	unsigned at = p->n;
	b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0));
	return at;
}

static void b_rule_end(struct bprog *p, unsigned at)
{
	if (!p->full)
		p->f[at].jf = (uint8_t)(p->n - at - 1);
}

/*
 * Every filter starts so: x86-64 syscalls from the blob's code only.  In
 * notification mode a syscall from elsewhere (app code) goes to the app
 * rules at the end (b_finish), and the app filter answers the handler's
 * hand-off syscall with a notification to the thread's listener.
 */
static void b_prologue(struct bprog *p, const struct st_platform *sp, bool app)
{
	uint64_t lo = sp->blob, hi = st_code_end(sp), h = st_handoff_ret_addr(sp);
	uint8_t out = sp->notif ? TO_APP : TO_TRAP;
	b_ld(p, SD_ARCH);
	b_require(p, BPF_JEQ, AUDIT_ARCH_X86_64);
	if (app && sp->notif) {
		b_ld(p, SD_IP_HI);
		b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						       (uint32_t)(h >> 32), 0, 3));
		b_ld(p, SD_IP_LO);
		b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)h, 0, 1));
		b_emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
	}
	b_ld(p, SD_IP_HI);
	b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(lo >> 32), 0,
					       out));
	b_ld(p, SD_IP_LO);
	b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0, out));
	b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)hi, out, 0));
}

static void b_rule_sigreturn(struct bprog *p, const struct st_platform *sp)
{
	unsigned r = b_rule(p, SYS_rt_sigreturn);
	b_ld(p, SD_IP_LO); /* the high word was checked by the prologue */
	b_require(p, BPF_JEQ, (uint32_t)st_restorer_ret_addr(sp));
	b_allow(p);
	b_rule_end(p, r);
}

static void b_rule_arch_prctl(struct bprog *p)
{
	static const uint32_t codes[] = {0x1002 /* ARCH_SET_FS */, 0x1001 /* ARCH_SET_GS */};
	unsigned r = b_rule(p, SYS_arch_prctl);
	b_ld(p, SD_ARG_HI(0));
	b_require(p, BPF_JEQ, 0);
	b_require_one_of(p, SD_ARG_LO(0), codes, 2);
	b_allow(p);
	b_rule_end(p, r);
}

static void b_rule_sigprocmask(struct bprog *p, const struct st_platform *sp)
{
	unsigned r = b_rule(p, SYS_rt_sigprocmask);
	b_require64(p, 0, SIG_SETMASK);
	b_require64(p, 1, sp->blob + ST_PARAMS_OFF + P_ZERO);
	b_require64(p, 2, 0);
	b_allow(p);
	b_rule_end(p, r);
}

static void b_rule_plain(struct bprog *p, int nr)
{
	unsigned r = b_rule(p, nr);
	b_allow(p);
	b_rule_end(p, r);
}

/*
 * The syscalls of app code that trap in notification mode (SIGSYS, the
 * registers in the signal frame): those whose service reads or sets more
 * than the number, the arguments and the result (a new thread or program
 * starts from all the registers, a return from a handler loads them, the
 * alternate stack is judged by rsp, an fs or gs base is set by the handler
 * on its way back), and a thread's end (it leaves the thread parked in the
 * handler, a spare, with no park to ask for).  Every other app syscall is a user notification: its
 * number and arguments, answered with its result (systrap.c's model).
 */
static const int st_trapped_app_syscalls[] = {
    SYS_rt_sigreturn, SYS_clone,       SYS_fork,       SYS_vfork,   SYS_execve, SYS_execveat,
    SYS_clone3,	      SYS_sigaltstack, SYS_arch_prctl, SYS_exit,    SYS_exit_group,
};

/* A jump offset *j of instruction i that is a placeholder: the distance to
 * its target (*bad when out of reach). */
static void b_patch(unsigned i, uint8_t *j, unsigned app, unsigned allow, unsigned trap, bool *bad)
{
	if (*j != TO_APP && *j != TO_ALLOW && *j != TO_TRAP)
		return;
	unsigned to = *j == TO_APP ? app : *j == TO_ALLOW ? allow : trap;
	if (to <= i || to - i - 1 > 255)
		*bad = true;
	*j = (uint8_t)(to - i - 1);
}

/* The end of a filter: the default (trap), in notification mode the app
 * rules (the base filter's: a notification, which the app filter's rule of
 * the same syscall, later and so first, outranks or equals), the two
 * returns; then patch the placeholders.  0 or -E2BIG. */
static int b_finish(struct bprog *p, const struct st_platform *sp, bool app)
{
	b_emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	unsigned app_at = p->n;
	if (sp->notif) {
		if (app) {
			b_ld(p, SD_NR);
			for (size_t i = 0; i < sizeof(st_trapped_app_syscalls) / sizeof(int); i++)
				b_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								       (uint32_t)st_trapped_app_syscalls[i],
								       TO_TRAP, 0));
		}
		b_emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
	}
	if (p->full)
		return -E2BIG;
	unsigned allow = p->n, trap = p->n + 1;
	p->f[p->n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	p->f[p->n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	bool bad = false;
	for (unsigned i = 0; i < allow; i++) {
		struct sock_filter *f = &p->f[i];
		if (BPF_CLASS(f->code) != BPF_JMP)
			continue;
		b_patch(i, &f->jt, app_at, allow, trap, &bad);
		b_patch(i, &f->jf, app_at, allow, trap, &bad);
	}
	return bad ? -E2BIG : 0;
}

static int st_build_base_filter(struct st_platform *sp)
{
	struct bprog p = {.f = sp->base};
	b_prologue(&p, sp, false);
	b_rule_sigreturn(&p, sp);
	b_rule_plain(&p, SYS_futex);
	b_rule_arch_prctl(&p);
	/* mmap(addr, len, prot, MAP_SHARED|MAP_FIXED, memfd or control fd, off) */
	const uint32_t map_fds[] = {(uint32_t)sp->memfd, (uint32_t)sp->ctl_fd_no};
	unsigned r = b_rule(&p, SYS_mmap);
	b_require64(&p, 3, MAP_SHARED | MAP_FIXED);
	b_require_one_of(&p, SD_ARG_LO(4), map_fds, 2);
	b_allow(&p);
	b_rule_end(&p, r);
	b_rule_plain(&p, SYS_munmap);
	b_rule_plain(&p, SYS_mprotect);
	const uint32_t clones[] = {ST_THREAD_CLONE_FLAGS, ST_STUB_CLONE_FLAGS};
	r = b_rule(&p, SYS_clone);
	b_ld(&p, SD_ARG_HI(0));
	b_require(&p, BPF_JEQ, 0);
	b_require_one_of(&p, SD_ARG_LO(0), clones, 2);
	b_allow(&p);
	b_rule_end(&p, r);
	/* prctl(PR_SET_NAME, ...) or prctl(PR_SET_PDEATHSIG, SIGKILL) */
	r = b_rule(&p, SYS_prctl);
	b_ld(&p, SD_ARG_HI(0));
	b_require(&p, BPF_JEQ, 0);
	b_ld(&p, SD_ARG_LO(0));
	b_emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_NAME, TO_ALLOW, 0));
	b_require(&p, BPF_JEQ, PR_SET_PDEATHSIG);
	b_require64(&p, 1, SIGKILL);
	b_allow(&p);
	b_rule_end(&p, r);
	/* write(eventfd or template socket, ...) */
	const uint32_t write_fds[] = {(uint32_t)sp->event_fd_no, (uint32_t)sp->tmpl_fd_no};
	r = b_rule(&p, SYS_write);
	b_require_one_of(&p, SD_ARG_LO(0), write_fds, 2);
	b_allow(&p);
	b_rule_end(&p, r);
	/* sendmsg(the listener socket, ...): a leader's op (notification mode) */
	r = b_rule(&p, SYS_sendmsg);
	b_ld(&p, SD_ARG_LO(0));
	b_require(&p, BPF_JEQ, (uint32_t)sp->notif_fd_no);
	b_allow(&p);
	b_rule_end(&p, r);
	r = b_rule(&p, SYS_recvmsg);
	b_ld(&p, SD_ARG_LO(0));
	b_require(&p, BPF_JEQ, (uint32_t)sp->tmpl_fd_no);
	b_allow(&p);
	b_rule_end(&p, r);
	b_rule_plain(&p, SYS_dup3);
	b_rule_plain(&p, SYS_close);
	b_rule_plain(&p, SYS_getppid);
	b_rule_plain(&p, SYS_exit_group);
	b_rule_plain(&p, SYS_sigaltstack);
	r = b_rule(&p, SYS_seccomp);
	b_require64(&p, 0, SECCOMP_SET_MODE_FILTER);
	b_require64(&p, 1, sp->seccomp_flags);
	b_allow(&p);
	b_rule_end(&p, r);
	b_rule_sigprocmask(&p, sp);
	int err = b_finish(&p, sp, false);
	sp->base_len = (unsigned short)p.n;
	return err;
}

static int st_build_app_filter(struct st_platform *sp)
{
	struct bprog p = {.f = sp->app};
	b_prologue(&p, sp, true);
	b_rule_sigreturn(&p, sp);
	/* futex(uaddr in a thread area, FUTEX_WAIT or FUTEX_WAKE, ...): the
	 * slot hand-off, and nothing that could touch another futex word
	 * (the leader's request word is in the control region's first page) */
	static const uint32_t ops[] = {FUTEX_WAIT, FUTEX_WAKE};
	unsigned r = b_rule(&p, SYS_futex);
	b_ld(&p, SD_ARG_HI(1));
	b_require(&p, BPF_JEQ, 0);
	b_require_one_of(&p, SD_ARG_LO(1), ops, 2);
	_Static_assert((ST_TH_BASE >> 32) == ((ST_TH_END - 1) >> 32), "thread areas in one 4 GiB");
	b_ld(&p, SD_ARG_HI(0));
	b_require(&p, BPF_JEQ, (uint32_t)(ST_TH_BASE >> 32));
	b_ld(&p, SD_ARG_LO(0));
	b_require(&p, BPF_JGE, (uint32_t)ST_TH_BASE);
	b_emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)ST_TH_END,
						TO_TRAP, 0));
	b_allow(&p);
	b_rule_end(&p, r);
	b_rule_arch_prctl(&p);
	b_rule_sigprocmask(&p, sp);
	/* sigaltstack(NULL, ...): the syscall-patch trampoline finds its
	 * thread area so (stub_patch.inc); a query changes nothing */
	r = b_rule(&p, SYS_sigaltstack);
	b_require64(&p, 0, 0);
	b_ld(&p, SD_ARG_HI(1));
	b_emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, TO_ALLOW));
	b_ld(&p, SD_ARG_LO(1));
	b_emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, TO_TRAP, 0));
	b_allow(&p);
	b_rule_end(&p, r);
	int err = b_finish(&p, sp, true);
	sp->app_len = (unsigned short)p.n;
	return err;
}

/* ---- the blob -------------------------------------------------------------- */

static bool st_cpu_has_xsave(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	return (c & (1u << 27)) != 0; /* OSXSAVE: XSAVE enabled by the kernel */
}

/*
 * Map the blob at the same address in the Sentry (so that a fork carries it
 * into the template) and above the control region and the template's
 * scratch (so that neither the app nor they overlap it).
 */
static int st_blob_map(struct st_platform *sp)
{
	size_t code_len = (size_t)(systrap_stub_end - systrap_stub_start);
	if (code_len > ST_PARAMS_OFF)
		return -E2BIG;
	void *m = plat_map_high(ST_CODE_MIN, ST_USER_TOP, ST_BLOB_SIZE);
	if (m == MAP_FAILED)
		return -errno;
	memcpy(m, systrap_stub_start, code_len);
	sp->blob = (uint64_t)(uintptr_t)m;
	return 0;
}

static void st_put32(struct st_platform *sp, unsigned off, uint32_t v)
{
	memcpy((char *)(uintptr_t)(sp->blob + ST_PARAMS_OFF + off), &v, sizeof(v));
}

static void st_put64(struct st_platform *sp, unsigned off, uint64_t v)
{
	memcpy((char *)(uintptr_t)(sp->blob + ST_PARAMS_OFF + off), &v, sizeof(v));
}

static void st_put_fprog(struct st_platform *sp, unsigned off, unsigned filter_off,
			 const struct sock_filter *f, unsigned short len)
{
	char *params = (char *)(uintptr_t)(sp->blob + ST_PARAMS_OFF);
	memcpy(params + filter_off, f, len * sizeof(*f));
	struct sock_fprog prog = {
	    .len = len,
	    .filter = (struct sock_filter *)(uintptr_t)(sp->blob + ST_PARAMS_OFF + filter_off),
	};
	memcpy(params + off, &prog, sizeof(prog));
}

/* Fill the parameter page and make the blob read-only (code executable). */
static int st_blob_seal(struct st_platform *sp)
{
	int err = st_build_base_filter(sp);
	if (!err)
		err = st_build_app_filter(sp);
	if (err) {
		log_error("systrap: stub filters do not fit: %s", strerror(-err));
		return err;
	}
	st_put32(sp, P_SENTRY_PID, (uint32_t)getpid());
	st_put32(sp, P_TMPL_FD, (uint32_t)sp->tmpl_fd_no);
	st_put32(sp, P_CTL_FD, (uint32_t)sp->ctl_fd_no);
	st_put32(sp, P_EVENT_FD, (uint32_t)sp->event_fd_no);
	st_put32(sp, P_NOTIF_FD, (uint32_t)sp->notif_fd_no);
	st_put32(sp, P_XSAVE, st_cpu_has_xsave());
	st_put32(sp, P_PATCH_LO, sp->patch_lo);
	st_put32(sp, P_NOTIF, sp->notif);
	st_put32(sp, P_SECCOMP_FLAGS, sp->seccomp_flags);
	st_put64(sp, P_ONE, 1);
	st_put64(sp, P_TWO, 2);
	st_put64(sp, P_ZERO, 0);
	st_put_fprog(sp, P_BASE_FPROG, P_BASE_FILTER, sp->base, sp->base_len);
	st_put_fprog(sp, P_APP_FPROG, P_APP_FILTER, sp->app, sp->app_len);
	void *code = (void *)(uintptr_t)sp->blob;
	if (mprotect(code, ST_PARAMS_OFF, PROT_READ | PROT_EXEC) < 0 ||
	    mprotect((char *)code + ST_PARAMS_OFF, ST_BLOB_SIZE - ST_PARAMS_OFF, PROT_READ) < 0)
		return -errno;
	return 0;
}

/* ---- the template ------------------------------------------------------------ */

#define ST_SA_RESTORER 0x04000000UL

struct st_tmpl_args {
	pid_t parent;
	int keep[2]; /* the memory file and the template's socket, lower first */
	uint64_t entry, handler, restorer;
	uint64_t rseq_ptr;
	uint32_t rseq_len[2]; /* the lengths to try: glibc's, and the kernel's minimum */
};

static bool st_handled_signal(long sig)
{
	return sig == SIGSYS || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGTRAP || sig == ST_SIG_INTERRUPT;
}

/*
 * The child side of the template's fork.  The Sentry may be multithreaded
 * (the unit tests are): only raw syscalls here, no libc, no sanitizer
 * runtime.  Ends by jumping into the blob, which unmaps all of this.
 */
__attribute__((noreturn, noinline, no_sanitize("address", "undefined"))) static void
st_template_child(const struct st_tmpl_args *a)
{
	plat_raw6(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
	if (plat_raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) != a->parent)
		plat_raw6(SYS_exit_group, ST_EXIT_SETUP, 0, 0, 0, 0, 0);
	/* The forking thread's rseq area is about to be unmapped: once it is,
	 * the kernel would SIGSEGV us on the next preemption. */
	if (a->rseq_ptr && plat_raw6(SYS_rseq, (long)a->rseq_ptr, a->rseq_len[0], 1, 0x53053053, 0,
				   0) < 0 &&
	    plat_raw6(SYS_rseq, (long)a->rseq_ptr, a->rseq_len[1], 1, 0x53053053, 0, 0) < 0)
		plat_raw6(SYS_exit_group, ST_EXIT_SETUP, 0, 0, 0, 0, 0);
	/* Block everything: the template never takes a signal.  App threads
	 * unblock theirs once they run under the app filter. */
	unsigned long all = ~0UL;
	plat_raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8, 0, 0);
	/* The handler for the signals of app threads (inherited by every stub
	 * and its threads); every other signal is ignored, so that a signal
	 * sent from outside cannot kill a stub. */
	unsigned long mask = 0;
	for (long sig = 1; sig <= 64; sig++)
		if (st_handled_signal(sig))
			mask |= 1UL << (sig - 1);
	for (long sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		struct plat_ksigaction act;
		__builtin_memset(&act, 0, sizeof(act));
		if (st_handled_signal(sig)) {
			act.handler = a->handler;
			/* SA_RESTART: an app syscall whose notification
			 * the Sentry had not taken yet when the interrupt
			 * came is made again after the trap (systrap.c). */
			act.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | ST_SA_RESTORER;
			act.restorer = a->restorer;
			act.mask = mask;
		} else {
			act.handler = (unsigned long)SIG_IGN;
		}
		if (plat_raw6(SYS_rt_sigaction, sig, (long)&act, 0, 8, 0, 0) < 0)
			plat_raw6(SYS_exit_group, ST_EXIT_SETUP, 0, 0, 0, 0, 0);
	}
	/* Only the memory file and the socket stay open. */
	if (a->keep[0] > 0)
		plat_raw6(SYS_close_range, 0, a->keep[0] - 1, 0, 0, 0, 0);
	if (a->keep[1] > a->keep[0] + 1)
		plat_raw6(SYS_close_range, a->keep[0] + 1, a->keep[1] - 1, 0, 0, 0, 0);
	plat_raw6(SYS_close_range, a->keep[1] + 1, ~0U, 0, 0, 0, 0);
	/* No capability, ever (the Sentry still has its own at this point). */
	for (long c = 0; c <= 63; c++)
		plat_raw6(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0, 0);
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	__builtin_memset(d, 0, sizeof(d));
	if (plat_raw6(SYS_capset, (long)&h, (long)d, 0, 0, 0, 0) < 0 ||
	    plat_raw6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) < 0)
		plat_raw6(SYS_exit_group, ST_EXIT_SETUP, 0, 0, 0, 0, 0);
	__asm__ volatile("jmp *%0" ::"r"(a->entry) : "memory");
	__builtin_unreachable();
}

/* clone with flags 0: a fork that sends no SIGCHLD when it ends. */
__attribute__((noinline)) static long st_fork(const struct st_tmpl_args *a)
{
	long r = plat_raw6(SYS_clone, 0, 0, 0, 0, 0, 0);
	if (r == 0)
		st_template_child(a);
	return r;
}

/* Receive the template's 8-byte reply: 0 or -errno, a pid or -errno. */
static int st_template_reply(struct st_platform *sp, int64_t *out)
{
	for (;;) {
		ssize_t n = recv(sp->tmpl_sock, out, sizeof(*out), 0);
		if (n == (ssize_t)sizeof(*out))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EPIPE;
	}
}

static void st_template_reap(struct st_platform *sp)
{
	siginfo_t si;
	while (waitid(P_PID, (id_t)sp->tmpl_pid, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	if (si.si_code != CLD_EXITED || si.si_status != 0)
		log_warn("systrap: the stub template ended with %s %d",
			 si.si_code == CLD_EXITED ? "status" : "signal", si.si_status);
	sp->tmpl_pid = 0;
}

static void st_rseq_config(struct st_tmpl_args *a)
{
	extern const ptrdiff_t __rseq_offset __attribute__((weak));
	extern const unsigned int __rseq_size __attribute__((weak));
	if (&__rseq_size == NULL || &__rseq_offset == NULL || __rseq_size == 0)
		return;
	uintptr_t tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	a->rseq_ptr = (uint64_t)(tp + (uintptr_t)__rseq_offset);
	a->rseq_len[0] = __rseq_size;
	a->rseq_len[1] = 32; /* what glibc 2.35..2.39 register, whatever __rseq_size says */
}

static int st_template_start(struct st_platform *sp)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	sp->tmpl_sock = sv[0];
	sp->tmpl_fd_no = sv[1];
	/* Received fds take the lowest free numbers: with only the memory file
	 * and the socket open in the template, the three of a request stay
	 * below max + 4, so these are never taken by a received one. */
	int top = sp->memfd > sv[1] ? sp->memfd : sv[1];
	sp->ctl_fd_no = top + 4;
	sp->event_fd_no = top + 5;
	sp->notif_fd_no = top + 6;
	int err = st_blob_seal(sp);
	if (err) {
		close(sv[0]);
		close(sv[1]);
		sp->tmpl_sock = -1;
		return err;
	}
	struct st_tmpl_args a = {
	    .parent = getpid(),
	    .keep = {sp->memfd < sv[1] ? sp->memfd : sv[1], top},
	    .entry = st_blob_addr_of(sp, systrap_stub_template),
	    .handler = st_handler_addr(sp),
	    .restorer = st_restorer_addr(sp),
	};
	st_rseq_config(&a);
	long r = st_fork(&a);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		sp->tmpl_sock = -1;
		return (int)r;
	}
	sp->tmpl_pid = (pid_t)r;
	int64_t ready = -1;
	err = st_template_reply(sp, &ready);
	if (!err && ready != 0)
		err = -EIO;
	if (err) {
		log_error("systrap: the stub template did not start");
		close(sp->tmpl_sock);
		sp->tmpl_sock = -1;
		kill(sp->tmpl_pid, SIGKILL);
		st_template_reap(sp);
		return -EIO;
	}
	return 0;
}

int st_template_fork(struct st_platform *sp, int ctl_fd, int efd, int nsock, pid_t *pid)
{
	char byte = 'n';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(3 * sizeof(int));
	int fds[3] = {ctl_fd, efd, nsock};
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	vmutex_lock(&sp->tmpl_lock);
	int err = 0;
	int64_t r = 0;
	if (sendmsg(sp->tmpl_sock, &msg, MSG_NOSIGNAL) < 0)
		err = -errno;
	else
		err = st_template_reply(sp, &r);
	vmutex_unlock(&sp->tmpl_lock);
	if (err) {
		log_error("systrap: the stub template does not answer: %s", strerror(-err));
		return -EAGAIN;
	}
	if (r <= 0)
		return r < 0 ? (int)r : -EIO;
	*pid = (pid_t)r;
	return 0;
}

/* ---- the reaper ------------------------------------------------------------ */

/* Wait for each stub in the list to die, and reap it: a waitid per stub
 * (P_PID: never a child that is not a stub). */
static void *st_reaper(void *arg)
{
	struct st_platform *sp = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	vmutex_lock(&sp->reap_lock);
	for (;;) {
		while (!sp->nreap && !sp->reaper_stop)
			vmutex_cond_wait(&sp->reap_cond, &sp->reap_lock);
		if (!sp->nreap)
			break;
		pid_t pid = sp->reap[--sp->nreap];
		vmutex_unlock(&sp->reap_lock);
		siginfo_t si;
		while (waitid(P_PID, (id_t)pid, &si, WEXITED | __WALL) < 0 && errno == EINTR)
			;
		vmutex_lock(&sp->reap_lock);
	}
	vmutex_unlock(&sp->reap_lock);
	return NULL;
}

void st_reap_later(struct st_platform *sp, pid_t pid)
{
	vmutex_lock(&sp->reap_lock);
	bool queued = false;
	if (sp->nreap == sp->reap_cap) {
		size_t cap = sp->reap_cap ? sp->reap_cap * 2 : 16;
		pid_t *v = realloc(sp->reap, cap * sizeof(*v));
		if (v) {
			sp->reap = v;
			sp->reap_cap = cap;
		}
	}
	if (sp->nreap < sp->reap_cap) {
		sp->reap[sp->nreap++] = pid;
		queued = true;
	}
	/* Started by the first release, in a thread of the (jailed) Sentry:
	 * it inherits the jail. */
	if (queued && !sp->reaper_running)
		sp->reaper_running = pthread_create(&sp->reaper, NULL, st_reaper, sp) == 0;
	bool inline_reap = !queued || !sp->reaper_running;
	if (queued && inline_reap)
		sp->nreap--;
	pthread_cond_signal(&sp->reap_cond);
	vmutex_unlock(&sp->reap_lock);
	if (inline_reap) { /* out of memory or threads: reap it here */
		siginfo_t si;
		while (waitid(P_PID, (id_t)pid, &si, WEXITED | __WALL) < 0 && errno == EINTR)
			;
	}
}

/* Time 2000 pause instructions: sets sp->tsc_per_kpause (TSC ticks per 1024
 * pauses, for st_pauses_since) and returns their nanoseconds. */
static long st_pause_calibrate(struct st_platform *sp)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t c0 = __builtin_ia32_rdtsc();
	for (int i = 0; i < 2000; i++)
		__builtin_ia32_pause();
	uint64_t c1 = __builtin_ia32_rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	uint64_t k = (c1 - c0) * 1024 / 2000;
	sp->tsc_per_kpause = k ? k : 1;
	long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	if (ns <= 0)
		ns = 1;
	uint64_t us = (c1 - c0) * 1000 / (uint64_t)ns;
	sp->tsc_per_us = us ? us : 1;
	return ns;
}

/* About 20 us of pause instructions, or 0 with one CPU or when hand-offs
 * stay on one CPU (st_cpu_init, first, reads both into sp). */
static uint32_t st_spin_for_cpus(struct st_platform *sp)
{
	long ns = st_pause_calibrate(sp);
	const char *e = getenv("VISOR_SYSTRAP_SPIN");
	if (e)
		return (uint32_t)atoi(e);
	if (sp->colocate || CPU_COUNT(&sp->cpus) < 2)
		return 0;
	long n = 2000L * 20000 / ns;
	return (uint32_t)(n < 64 ? 64 : n > 20000 ? 20000 : n);
}

/*
 * Notification mode (systrap.c's model) wants the listener's sync wake-up
 * (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6): without it each hand-off
 * wakes the other side on another CPU, slower than the futex hand-off.  Off
 * with syscall patching (its trampoline hands off on the futex), or with
 * VISOR_SYSTRAP_NOTIF=0; VISOR_SYSTRAP_NOTIF=1 forces it on.
 */
static void st_notif_init(struct st_platform *sp)
{
	const char *e = getenv("VISOR_SYSTRAP_NOTIF");
	bool on;
	if (e) {
		on = strcmp(e, "0") != 0;
	} else {
		struct utsname u;
		int major = 0, minor = 0;
		on = uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
		     (major > 6 || (major == 6 && minor >= 6));
	}
	sp->notif = on && !sp->patch;
	if (sp->notif && st_notif_wake_init() < 0) {
		log_warn("systrap: no handler for the wake-up signal: app syscalls by signal");
		sp->notif = false;
	}
	log_info("systrap: app syscalls by %s", sp->notif ? "seccomp notification" : "signal (SIGSYS)");
	sp->seccomp_flags =
	    sp->notif ? SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
}

int st_platform_new(int memfd, struct st_platform **out)
{
	struct stat stb;
	if (memfd < 0 || fstat(memfd, &stb) < 0)
		return -EBADF;
	struct st_platform *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->memfd = memfd;
	sp->tmpl_sock = -1;
	st_cpu_init(sp);
	sp->spin = st_spin_for_cpus(sp);
	atomic_init(&sp->spin_now, sp->spin);
	atomic_init(&sp->stub_spin_now, sp->spin / 2);
	vmutex_init(&sp->tmpl_lock, LOCK_CLASS(PLATFORM_STUB_TEMPLATE));
	vmutex_init(&sp->reap_lock, LOCK_CLASS(PLATFORM_STUB_REAP));
	pthread_cond_init(&sp->reap_cond, NULL);
	vmutex_init(&sp->pool_lock, LOCK_CLASS(PLATFORM_STUB_POOL));
	pthread_cond_init(&sp->pool_cond, NULL);
	const char *pool = getenv("VISOR_SYSTRAP_POOL");
	sp->pool_on = !pool || strcmp(pool, "0") != 0;
	const char *recycle = getenv("VISOR_SYSTRAP_RECYCLE");
	sp->recycle = sp->pool_on && (!recycle || strcmp(recycle, "0") != 0);
	int err = st_blob_map(sp);
	if (!err) {
		st_patch_init(sp);
		st_notif_init(sp);
		err = st_template_start(sp);
	}
	if (err) {
		st_platform_free(sp);
		return err;
	}
	*out = sp;
	return 0;
}

void st_platform_free(struct st_platform *sp)
{
	if (!sp)
		return;
	vmutex_lock(&sp->reap_lock);
	sp->reaper_stop = true;
	bool running = sp->reaper_running;
	pthread_cond_signal(&sp->reap_cond);
	vmutex_unlock(&sp->reap_lock);
	if (running)
		pthread_join(sp->reaper, NULL); /* after it reaped every stub left */
	free(sp->reap);
	vmutex_destroy(&sp->reap_lock);
	pthread_cond_destroy(&sp->reap_cond);
	vmutex_destroy(&sp->pool_lock);
	pthread_cond_destroy(&sp->pool_cond);
	if (sp->tmpl_sock >= 0)
		close(sp->tmpl_sock); /* the template's recvmsg returns 0: it exits */
	if (sp->tmpl_pid)
		st_template_reap(sp);
	if (sp->blob)
		munmap((void *)(uintptr_t)sp->blob, ST_BLOB_SIZE);
	vmutex_destroy(&sp->tmpl_lock);
	free(sp);
}
