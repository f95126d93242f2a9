/*
 * systrap_internal.h — what the files of the systrap platform share.
 *
 * systrap_stub.c owns the host mechanics: the stub blob (stub.S) and its
 * parameter page, the two seccomp filters of stub threads, and the template
 * process that forks new stubs.  systrap.c owns the platform objects
 * (addr_space, context): the requests to a stub's leader, the trap hand-off
 * through thread slots, and the platform_ops table; systrap_reuse.c the
 * stubs made ahead (the pool) and handed on at execve (as_recycle).  systrap_jail.c lists
 * what the Sentry's jail must allow.  Nothing here is for the Sentry; tests
 * use the accessors at the end.
 */
#ifndef VISOR_PLATFORM_SYSTRAP_INTERNAL_H
#define VISOR_PLATFORM_SYSTRAP_INTERNAL_H

#include "lib/lockdep.h"
#include "platform/platform.h"
#include "platform/systrap/systrap_layout.h"

#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ucontext.h>

/* Stubs the pool holds at most (systrap_reuse.c). */
#define ST_POOL_MAX 2

/* Platform-wide state (platform->priv). */
struct st_platform {
	int memfd;
	uint64_t blob;	/* the stub blob: same address in the Sentry and every stub */
	/* The longest spin, in pause iterations, of the Sentry waiting for a
	 * trap (about 20 us); a stub thread waiting for the Sentry spins at
	 * most half that, the leader a tenth.  0: never spin (one CPU, where
	 * spinning only delays the thread waited for).  Each context adapts
	 * its own spins below these (systrap.c). */
	uint32_t spin;
	uint64_t tsc_per_kpause; /* TSC ticks per 1024 pause instructions */
	uint64_t tsc_per_us;
	/* Hand-offs on one CPU instead of spinning (systrap_cpu.c); cpus: the
	 * CPUs the Sentry may use, what an untied thread gets back. */
	bool colocate;
	/* A Sentry thread keeps its tie while it sleeps in the Sentry (unless
	 * no task woke it last), and a task woken by another follows its
	 * waker's CPU (systrap_cpu.c); VISOR_SYSTRAP_PARK=0: every sleeper
	 * lets go of its CPU instead. */
	bool park;
	cpu_set_t cpus;
	int cpu_end; /* past the highest CPU in cpus */
	_Atomic int tied[CPU_SETSIZE]; /* Sentry threads tied to each CPU */
	/* CPUs of cpus a tie to which failed with EINVAL: the cgroup's cpuset
	 * has lost them since (docker update --cpuset-cpus, a kubelet shrinking
	 * its shared pool); nobody is tied to them again. */
	_Atomic bool cpu_gone[CPU_SETSIZE];
	/* What the contexts' spins adapted to last: where new contexts start
	 * (a fork-heavy workload has many short-lived ones). */
	_Atomic uint32_t spin_now, stub_spin_now;
	int tmpl_fd_no;	 /* the template's end of its socket, in the template */
	int ctl_fd_no;	 /* where a new stub finds its control memfd */
	int event_fd_no; /* ... and its eventfd */
	int notif_fd_no; /* ... and the socket its leader sends listeners on */
	/* The template: forks new stubs on request. */
	struct vmutex tmpl_lock; /* one request and its reply at a time; nothing under it */
	int tmpl_sock;		 /* the Sentry's end of the template's socket */
	pid_t tmpl_pid;
	/* Stubs killed and not reaped yet: the reaper thread (started by the
	 * first st_reap_later) waits for each. */
	struct vmutex reap_lock; /* the list and the flags below; nothing under it */
	pthread_cond_t reap_cond;
	pid_t *reap;
	size_t nreap, reap_cap;
	bool reaper_running, reaper_stop;
	pthread_t reaper;
	/* The pool (systrap_reuse.c): stubs ready for a fork's new address
	 * space, so that it does not wait for the template: one made ahead
	 * by the pool thread, and the stubs of address spaces released while
	 * the pool has room (a child's exit), emptied as execve empties one,
	 * by the pool thread (taken out of pool[] meanwhile: `emptying`).
	 * Kept only once a second stub was asked for (the first is the
	 * sandbox's init; exec reuses its stub): a sandbox that never forks
	 * has none, and its idle memory no extra process. */
	struct vmutex pool_lock; /* the fields below; nothing under it */
	pthread_cond_t pool_cond;
	struct addr_space *pool[ST_POOL_MAX]; /* ready stubs, not given out yet */
	unsigned npool;
	unsigned stubs_made;	 /* stubs given to address spaces */
	bool pool_on;		 /* VISOR_SYSTRAP_POOL is not 0 */
	bool recycle;		 /* ... nor VISOR_SYSTRAP_RECYCLE: released stubs go there */
	bool pool_want, pool_running, pool_stop;
	bool emptying; /* the pool thread empties a stub it took out of pool[] */
	pthread_t pool_thread;
	/* The filters, as written into the blob's parameter page. */
	struct sock_filter base[P_FILTER_MAX];
	unsigned short base_len;
	struct sock_filter app[P_FILTER_MAX];
	unsigned short app_len;
	/* Notification mode (systrap.c's model; st_notif_init) and the flags
	 * of the app filter's seccomp() then. */
	bool notif;
	uint32_t seccomp_flags;
	/* Syscall patching (patch.c): on, the low table too, and the entry
	 * table copied into every stub's control memfd at ST_PATCH_OFF. */
	bool patch, patch_lo;
	uint8_t patch_table[ST_PATCH_SIZE];
	/* Requests sent to the leaders of all stubs, and the ops they carried
	 * (platform_ops.stats). */
	_Atomic uint64_t requests, ops;
};

/* Addresses in the blob (the same in the Sentry and in every stub). */
uint64_t st_handler_addr(const struct st_platform *sp);
uint64_t st_restorer_addr(const struct st_platform *sp);
uint64_t st_restorer_ret_addr(const struct st_platform *sp); /* after its syscall */
uint64_t st_code_end(const struct st_platform *sp);	     /* end of the code */
uint64_t st_thread_trap_addr(const struct st_platform *sp);  /* a syscall instruction */
uint64_t st_handoff_ret_addr(const struct st_platform *sp);  /* after the hand-off syscall */

/* Syscall patching (patch.c).  st_patch_init decides whether to patch
 * (only with VISOR_SYSCALL_PATCH=1 in the environment, for now) and builds the
 * entry table; the blob must be mapped.  st_patch_call: the 5 bytes that
 * replace `mov $nr,%eax` at site (a call of entry nr of a table in reach),
 * or -ENOENT (patching off, nr too big) or -ERANGE (no table in reach). */
uint64_t st_patch_entry_addr(const struct st_platform *sp);
void st_patch_init(struct st_platform *sp);
int st_patch_call(const struct st_platform *sp, uint64_t site, uint32_t nr, uint8_t call[5]);

/* Co-location (systrap_cpu.c).  st_cpu_init decides (sets colocate and
 * cpus).  st_cpu_pin ties host thread tid (0: the caller) to cpu, or
 * unties it (cpu -1); 0 or -errno (EINVAL for a tie: cpu is gone).  st_cpu_tie ties the calling
 * thread, the owner of a context whose tie *self_cpu records (-1: none), to a CPU: the one it runs
 * on, or one with fewer tied threads; now and then it moves a tied thread to such a CPU.  Returns
 * the CPU, or -1 when it cannot. st_cpu_self: the calling thread's CPU, -1 if untied. st_cpu_untie:
 * the tie ends (self: the calling thread is its owner and may run anywhere again; false: the thread
 * is gone). */
void st_cpu_init(struct st_platform *sp);
int st_cpu_pin(struct st_platform *sp, pid_t tid, int cpu);
int st_cpu_tie(struct st_platform *sp, int *self_cpu);
int st_cpu_self(void);
void st_cpu_untie(struct st_platform *sp, int *self_cpu, bool self);
/* Parking (sp->park): a tied thread about to sleep in the Sentry keeps its
 * tie but stops counting on its CPU (st_cpu_park, no syscall); it counts
 * again at its next resume (st_cpu_unpark).  st_cpu_follow moves a thread
 * woken by a task tied to cpu there (a parked or untied one is counted at
 * its resume). */
void st_cpu_park(struct st_platform *sp, int self_cpu, bool *parked);
void st_cpu_unpark(struct st_platform *sp, int self_cpu, bool *parked);
void st_cpu_follow(struct st_platform *sp, int *self_cpu, bool *parked, int cpu);

/* A platform for memory file memfd: map the blob, build the filters, fork
 * the template.  0 and *out, or -errno (-EBADF: no memory file). */
int st_platform_new(int memfd, struct st_platform **out);
void st_platform_free(struct st_platform *sp);

/*
 * Ask the template for a new stub process holding ctl_fd (its control
 * region), efd (its leader's completion eventfd) and nsock (the socket its
 * leader sends listeners on).  On success *pid is the
 * stub, a child of the Sentry; it signals efd once when it is ready.
 */
int st_template_fork(struct st_platform *sp, int ctl_fd, int efd, int nsock, pid_t *pid);

/* Reap stub pid (killed, perhaps not dead yet) in the background. */
void st_reap_later(struct st_platform *sp, pid_t pid);

/* The filters' allow-lists, as a table the tests check the filters against
 * (systrap_stub.c documents each entry). */
struct st_allowed {
	int nr;
	const char *when; /* the conditions, in words; "" for none */
};
extern const struct st_allowed st_base_allowed[];
extern const size_t st_base_allowed_n;
extern const struct st_allowed st_app_allowed[];
extern const size_t st_app_allowed_n;

/* platform_ops.jail_rules (systrap_jail.c). */
const struct jail_rules *systrap_jail_rules(const struct platform *p);

/* ---- systrap.c's objects, shared with systrap_reuse.c ----------------------- */

enum st_use {
	SLOT_FREE = 0, /* no thread yet */
	SLOT_SPARE,    /* a parked thread, no context */
	SLOT_OWNED,    /* a context's thread */
	SLOT_BROKEN,   /* a thread that left the protocol: never used again */
};

/* What a stub thread waits in, in notification mode (systrap_notif.c). */
enum st_wait {
	ST_W_NONE = 0, /* nothing the Sentry took: it runs, or a notification is not taken yet */
	ST_W_HANDOFF,  /* the handler's hand-off, taken: the frame is posted */
	ST_W_SYSCALL,  /* an app syscall's notification, taken */
};

struct st_thr {
	int lfd1;      /* the Sentry's copy of the thread's listener + 1; 0: none */
	uint8_t wait;  /* enum st_wait */
	uint64_t nid;  /* the notification taken (ST_W_HANDOFF, ST_W_SYSCALL) */
};

struct addr_space {
	struct st_platform *sp;
	atomic_int refs;      /* the Sentry's (until as_release), plus one per bound context */
	atomic_bool released; /* as_release ran */
	atomic_bool dead;     /* the stub died, or was killed for breaking the protocol */
	atomic_int running;   /* contexts of this address space running app code */
	/* Protects everything below; held across requests to the leader (our
	 * own helper), never across an app run. */
	struct vmutex lock;
	pid_t pid;	       /* the stub; 0 until first entered */
	int efd;	       /* the leader's eventfd (our copy) */
	int leader_cpu;	       /* the CPU the leader is tied to (systrap_cpu.c), or -1 */
	uint8_t *ctl;	       /* our mapping of the control region */
	uint32_t seq;	       /* the last request sent to the leader */
	atomic_int death_status; /* wait status, once seen dead */
	unsigned nslots;       /* slots [0, nslots) have or had a thread */
	char name[16];	       /* the host name (comm) of the stub; "" = the Sentry's */
	/* Maps and protects not sent to the leader yet (see st_as_queue). */
	struct st_op queue[ST_MAX_OPS];
	unsigned nqueued; /* written under lock; read without it by context_switch */
	uint8_t use[ST_MAX_THREADS];
	pid_t tid[ST_MAX_THREADS]; /* the slot's host thread (as the leader said: a hint) */
	/* Notification mode: per slot (ST_MAX_THREADS of them, NULL until
	 * the first listener is taken), and our end of the socket the leader
	 * sends listeners on (or -1). */
	struct st_thr *thr;
	int nsock;
};

/* The kernel's x86-64 ucontext (glibc's ucontext_t is longer). */
struct st_kucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, ss_pad;
	uint64_t ss_size;
	uint64_t gregs[NGREG];
	uint64_t fpregs;
	uint64_t reserved[8];
	uint64_t uc_sigmask;
};
_Static_assert(offsetof(struct st_kucontext, gregs) == offsetof(ucontext_t, uc_mcontext.gregs),
	       "gregs");
_Static_assert(offsetof(struct st_kucontext, fpregs) == offsetof(ucontext_t, uc_mcontext.fpregs),
	       "fpregs");
_Static_assert(offsetof(struct st_kucontext, uc_sigmask) == offsetof(ucontext_t, uc_sigmask),
	       "uc_sigmask");

#define ST_FPX_MAGIC1 0x46505853U /* FP_XSTATE_MAGIC1 */
#define ST_FPX_SW 464		  /* the software-reserved bytes of the legacy area */
#define ST_FPX_SIZE 512 /* the legacy FXSAVE area */

/* The Sentry's pointer to address a of the stub's control region. */
static inline void *st_ptr(const struct addr_space *as, uint64_t a) { return as->ctl + (a - ST_CTL_BASE); }

static inline uint64_t st_area(int slot) { return ST_TH_BASE + (uint64_t)slot * ST_TH_SIZE; }

static inline struct st_slot *st_slot(const struct addr_space *as, int slot)
{
	return st_ptr(as, st_area(slot));
}

static inline struct st_ro *st_ro(const struct addr_space *as) { return st_ptr(as, ST_CTL_BASE + ST_RO_OFF); }

static inline struct st_rw *st_rw(const struct addr_space *as) { return st_ptr(as, ST_CTL_BASE + ST_RW_OFF); }

/* systrap.c: an address space's references, its stub's death, requests to
 * its leader (the caller holds as->lock), a new stub forked for it, a new
 * address space. */
void st_as_put(struct addr_space *as);
bool st_as_check_dead(struct addr_space *as);
void st_as_kill(struct addr_space *as, const char *why);
void st_as_move_stub(struct addr_space *to, struct addr_space *from);
int st_leader_call(struct addr_space *as, const struct st_op *ops, unsigned n, int64_t *results);
bool st_as_queue_first(struct addr_space *as, const struct st_op *ops, unsigned n);
int st_as_flush(struct addr_space *as, const struct st_op *op, int64_t *res);
int st_as_apply_name(struct addr_space *as);
int st_as_spawn_stub(struct addr_space *as);
struct addr_space *st_as_alloc(struct st_platform *sp);

/* systrap_reuse.c: the pool of ready stubs (take one, note that a stub
 * was given out, give it a released address space's stub, stop at the
 * platform's end) and execve's reuse of a stub (platform_ops.as_recycle). */
struct addr_space *st_pool_take(struct st_platform *sp);
void st_pool_note(struct st_platform *sp);
bool st_pool_recycle(struct addr_space *as);
void st_pool_stop(struct st_platform *sp);
int systrap_as_recycle(struct addr_space *old, struct addr_space *fresh);

/*
 * systrap_notif.c, notification mode.  st_thr_attach: take the listener slot's thread announced
 * (after its first trap), with sync wake-ups; -EPROTO if it is none.
 * st_thr_close_all: the listeners and the socket go (the stub is gone).
 * st_notif_recv: wait for and take the thread's next notification (in one
 * blocking RECV, which the stub's death ends; with *interrupt set, polling
 * every 50 ms to send the interrupt signal again, and after a second of
 * silence the stub is killed): 1 for the handler's hand-off, 0 for an app
 * syscall (as->thr[slot] records which, and its id), or -ESRCH.  st_notif_reply: the answer to the call taken
 * (val is its result).  st_notif_park: answer an app syscall taken so that
 * the thread hands off with its registers at once (the interrupt signal
 * first, then a 0: the Sentry takes that hand-off later).  The caller
 * holds as->lock or owns the slot.
 */
struct seccomp_notif;
/* st_notif_wake_init: ST_SIG_WAKE's handler, once per process, before the
 * jail.  st_notif_interrupted: context_interrupt's part in notification mode
 * (a Sentry thread in a blocking RECV for ctx is woken). */
#define ST_SIG_WAKE 62 /* SIGRTMAX - 2: no other use in the Sentry */
int st_notif_wake_init(void);
struct context;
void st_notif_interrupted(struct context *ctx);
int st_thr_attach(struct addr_space *as, int slot);
void st_thr_close_all(struct addr_space *as);
int st_notif_recv(struct addr_space *as, int slot, pid_t tid, atomic_int *interrupt,
		  _Atomic pid_t *wake, struct seccomp_notif *req);
int st_notif_reply(struct addr_space *as, int slot, int64_t val);
int st_notif_park(struct addr_space *as, int slot, pid_t tid);
/* The thread of a spare slot parked in the handler, its hand-off taken
 * (a park's is taken now): 0, -EBUSY (it waits in an app syscall),
 * -EPROTO or -ESRCH. */
int st_thr_settle(struct addr_space *as, int slot);

/* ---- contexts (systrap.c), shared with systrap_notif.c ------------------------ */

#include "platform/plat_util.h"

struct context {
	struct st_platform *sp;
	struct addr_space *as; /* where its thread is (reference held), or NULL */
	int slot;
	pid_t tid;
	struct plat_run run; /* may app code run, a pending interrupt (plat_util.h) */
	/* The frame of the thread's last trap, checked: where to write the
	 * registers to resume with. */
	uint64_t uc;   /* its ucontext, in the stub */
	uint64_t fpu;  /* its FPU state, in the stub; 0 if none */
	bool xsave;    /* fpu is XSAVE format (has a header to fix up) */
	bool fp_dirty; /* fp must be written into the frame before running */
	uint32_t fp_size; /* the platform's xstate_size: the bytes of fp in use */
	uint64_t fp_features; /* ... and the components XCR0 enables */
	plat_fpregs_t fp;
	/* The spins of the two sides of the hand-off, in pause iterations:
	 * halved when one ends asleep anyway, doubled when one catches the
	 * other (see st_spin_adapt). */
	uint32_t spin, stub_spin;
	/* The last resume had to wake the stub thread (it slept): our next
	 * wait does not spin, but for one in ST_PROBE_EVERY (see
	 * st_slot_wait). */
	bool woke_stub;
	/* Our last wait for a trap ended in the futex loop: the stub thread
	 * found us asleep, woke us and slept without spinning (stub.S), so its
	 * sleeping says nothing about its spin. */
	bool slept;
	uint32_t probe;
	/* TSC when we last saw its trap (our service time, at the resume),
	 * and when we last resumed it (its run, at the trap). */
	uint64_t seen_tsc, resume_tsc;
	/* Co-location (systrap_cpu.c): the CPU the stub thread is tied to
	 * (-1: none, or not known); its tid checked to be the stub's; its
	 * last run was long (compute: it runs untied). */
	int stub_cpu;
	int self_cpu; /* ... and the CPU its owner (a Sentry thread) is tied to */
	bool parked;  /* ... which asleep in the Sentry, does not count there */
	/* Its owner's last sleep was ended by no task (the netstack, a timer,
	 * a host fd, a timeout): its next sleep lets go of the CPU. */
	bool woken_by_other;
	bool tid_ok;
	bool long_run;
	/* Notification mode: the registers of the last event are partial
	 * (an app syscall's notification: rip, the number, the arguments;
	 * the fs/gs bases are ours), as snap holds them. */
	bool partial;
	plat_regs_t snap;
	/* Notification mode: the Sentry thread (our owner's host tid) while
	 * it waits in a blocking RECV that an interrupt may cut short, else
	 * 0; the interrupter that swaps it for 0 sends that thread ST_SIG_WAKE
	 * (systrap_notif.c). */
	_Atomic pid_t recv_tid;
};

/* App code that runs this long between two traps is computing, not handing
 * off: its stub thread runs untied from the next resume on. */
#define ST_LONG_RUN_US 2000

/* systrap.c's trap hand-off: find and check the frame ctx's thread posted
 * (0 or -EPROTO), its registers, the registers (and FPU state) to resume
 * with into it, the fs/gs bases it is to run with, and what a trap is
 * (ST_IGNORE: resume at once). */
enum st_verdict { ST_REPORT, ST_IGNORE };
int st_frame_locate(struct context *ctx, struct addr_space *as, int *sig, siginfo_t *si);
void st_frame_regs(struct context *ctx, struct addr_space *as, plat_regs_t *r);
void st_frame_write(struct context *ctx, struct addr_space *as, const plat_regs_t *r);
void st_slot_want_bases(const struct context *ctx, struct addr_space *as, struct st_slot *s,
			uint64_t fs, uint64_t gs);
enum st_verdict st_classify(struct context *ctx, int sig, const siginfo_t *si, plat_regs_t *r,
			    struct plat_event *ev);
/* After a wait that saw the thread's trap: st_ctx_seen (its run's end,
 * for co-location), st_trap_take (the trap as an event; systrap.c). */
void st_ctx_seen(struct context *ctx);
int st_trap_take(struct context *ctx, struct addr_space *as, const plat_regs_t *want,
		 plat_regs_t *regs, struct plat_event *ev);

/* systrap_notif.c: context_switch's resume and wait in notification mode
 * (want: the registers to resume with; regs: the event's), its thread put
 * into its hand-off (parked when in an app syscall), and
 * platform_ops.context_full_regs. */
int st_notif_run(struct context *ctx, struct addr_space *as, plat_regs_t *want, plat_regs_t *regs,
		 struct plat_event *ev);
int st_notif_to_handoff(struct context *ctx, struct addr_space *as);
int systrap_context_full_regs(struct context *ctx, plat_regs_t *regs);

/* For tests and debugging. */
pid_t systrap_as_stub_pid(struct addr_space *as); /* 0 if none (yet) */
int systrap_as_death_status(struct addr_space *as); /* 0 if alive or unknown */
/* The slot (thread area index) and host tid of ctx's stub thread, -1 if not bound. */
int systrap_ctx_slot(struct context *ctx);
pid_t systrap_ctx_tid(struct context *ctx);
/* How many requests the stub's leader was sent. */
unsigned systrap_as_requests(struct addr_space *as);
/* Run one request (one op: nr and its arguments) on the stub's leader, as
 * the Sentry's own operations do.  The op's result, or -errno. */
long systrap_as_leader_call(struct addr_space *as, long nr, const long args[6]);

#endif
