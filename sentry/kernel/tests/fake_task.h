/*
 * fake_task.h — hand-built tasks for unit tests of futexes, credentials and
 * the syscall families that only need a task, its thread group, its kernel
 * and some app memory.
 *
 * A fixture holds one kernel (zeroed, with its locks and boot_mono), one
 * thread group and an mm made by mm_new over a fake platform whose ops all
 * succeed, with one anonymous read-write mapping (fx.base, FX_MEM bytes) for
 * app data.  Tasks are zeroed structs with their own wake eventfd.
 *
 * The lead's task.c / signal.c / kernel.c functions are defined here as weak
 * fakes so a test links without the whole task machinery; if the archive's
 * real ones get linked instead they win (same behaviour for copy in/out).
 * task_signal_pending is controlled by fake_signal_tid: a task whose tid
 * equals it has "a signal pending".
 *
 * Include once per test binary, after cmocka.h.
 */
#ifndef VISOR_TEST_FAKE_TASK_H
#define VISOR_TEST_FAKE_TASK_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define FX_MEM (64 * 1024)

static _Atomic int fake_signal_tid = -1;

__attribute__((weak)) bool task_signal_pending(struct task *t)
{
	return atomic_load(&fake_signal_tid) == t->tid;
}

__attribute__((weak)) int task_copy_in(struct task *t, void *dst, uint64_t src, size_t len)
{
	return mm_copy_in(t->mm, dst, src, len);
}

__attribute__((weak)) int task_copy_out(struct task *t, uint64_t dst, const void *src, size_t len)
{
	return mm_copy_out(t->mm, dst, src, len);
}

__attribute__((weak)) ssize_t task_copy_string_in(struct task *t, char *dst, uint64_t src,
						  size_t max)
{
	return mm_copy_string_in(t->mm, dst, src, max);
}

/* Is the fake task_signal_pending above the one linked?  If the archive's
 * real one won (signal.o pulled in by something else), tests that inject a
 * signal would wait forever: they skip() instead. */
static inline bool fake_signals_work(struct task *t)
{
	int saved = atomic_exchange(&fake_signal_tid, t->tid);
	bool ok = task_signal_pending(t);
	atomic_store(&fake_signal_tid, -1);
	ok = ok && !task_signal_pending(t);
	atomic_store(&fake_signal_tid, saved);
	return ok;
}

/* The fixture's tasks, for the fake task-set lookups below.  They fake every
 * lookup of kernel.c that the code under test calls, so that kernel.c (and
 * the task machinery behind it) is never linked into these tests: a real
 * lookup would search k->all_tasks, which the fixture leaves empty.  The
 * fakes take no references; the fixture owns its tasks and groups. */
#define FX_MAX_TASKS 8
static struct task *fx_tasks[FX_MAX_TASKS];

__attribute__((weak)) struct task *kernel_find_task_locked(struct kernel *k, int tid)
{
	for (int i = 0; i < FX_MAX_TASKS; i++)
		if (fx_tasks[i] && fx_tasks[i]->tid == tid && fx_tasks[i]->k == k)
			return fx_tasks[i];
	return NULL;
}

__attribute__((weak)) struct task *kernel_get_task(struct kernel *k, int tid)
{
	return kernel_find_task_locked(k, tid);
}

__attribute__((weak)) void task_put(struct task *t)
{
}

__attribute__((weak)) bool kernel_task_exists(struct kernel *k, int tid)
{
	return kernel_find_task_locked(k, tid) != NULL;
}

__attribute__((weak)) struct thread_group *kernel_get_tg(struct kernel *k, int pid)
{
	for (int i = 0; i < FX_MAX_TASKS; i++)
		if (fx_tasks[i] && fx_tasks[i]->k == k && fx_tasks[i]->tg &&
		    fx_tasks[i]->tg->tgid == pid)
			return fx_tasks[i]->tg;
	return NULL;
}

__attribute__((weak)) void tg_put(struct thread_group *tg)
{
}

/* Signals sent to thread groups (by timers): counted, the last one kept. */
static _Atomic int fake_tg_signals;
static _Atomic int fake_tg_last_signo;

__attribute__((weak)) int tg_signal_send(struct thread_group *tg, const siginfo_t *info)
{
	atomic_store(&fake_tg_last_signo, info->si_signo);
	atomic_fetch_add(&fake_tg_signals, 1);
	return 0;
}

/* ---- a platform whose operations all succeed ---- */

static int fake_as_dummy;
static struct addr_space *fake_new_as(struct platform *p)
{
	return (struct addr_space *)&fake_as_dummy;
}
static int fake_as_map(struct addr_space *as, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
	return 0;
}
static int fake_as_unmap(struct addr_space *as, uint64_t addr, uint64_t len)
{
	return 0;
}
static int fake_as_protect(struct addr_space *as, uint64_t addr, uint64_t len, int prot)
{
	return 0;
}
static int fake_as_prepare(struct addr_space *as)
{
	return 0;
}
static void fake_as_release(struct addr_space *as)
{
}
static const struct platform_ops fake_platform_ops = {
	.name = "fake",
	.new_addr_space = fake_new_as,
	.as_map = fake_as_map,
	.as_unmap = fake_as_unmap,
	.as_protect = fake_as_protect,
	.as_prepare_thread = fake_as_prepare,
	.as_release = fake_as_release,
};

struct fixture {
	struct kernel k;
	struct thread_group tg;
	struct platform plat;
	struct memfile *mf;
	struct mm *mm;
	uint64_t base; /* FX_MEM bytes of app memory, read-write */
};

static inline struct fixture *fx_new(void)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return NULL;
	vmutex_init(&fx->k.tasks_lock, LOCK_CLASS(TASKS));
	clock_gettime(CLOCK_MONOTONIC, &fx->k.boot_mono);
	strcpy(fx->k.hostname, "visor-test");
	strcpy(fx->k.domainname, "(none)");
	vmutex_init(&fx->tg.siglock, LOCK_CLASS(SIGLOCK));
	fx->tg.k = &fx->k;
	fx->tg.tgid = 100;
	fx->tg.pgid = fx->tg.sid = 100;
	for (int i = 0; i < RLIM_NLIMITS; i++)
		fx->tg.rlimits[i].rlim_cur = fx->tg.rlimits[i].rlim_max = RLIM_INFINITY;
	fx->tg.rlimits[RLIMIT_NOFILE].rlim_cur = 1024;
	fx->tg.rlimits[RLIMIT_NOFILE].rlim_max = 4096;
	fx->tg.rlimits[RLIMIT_NICE].rlim_cur = fx->tg.rlimits[RLIMIT_NICE].rlim_max = 0;
	fx->plat.ops = &fake_platform_ops;
	if (memfile_new(64ULL << 20, &fx->mf))
		goto fail;
	fx->plat.memfd = memfile_fd(fx->mf);
	fx->mm = mm_new(fx->mf, &fx->plat);
	if (!fx->mm)
		goto fail;
	int64_t base = mm_mmap(fx->mm, 0, FX_MEM, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (base < 0)
		goto fail;
	fx->base = (uint64_t)base;
	return fx;
fail:
	if (fx->mm)
		mm_put(fx->mm);
	if (fx->mf)
		memfile_free(fx->mf);
	free(fx);
	return NULL;
}

static inline void fx_free(struct fixture *fx)
{
	memset(fx_tasks, 0, sizeof(fx_tasks));
	mm_put(fx->mm);
	memfile_free(fx->mf);
	vmutex_destroy(&fx->tg.siglock);
	vmutex_destroy(&fx->k.tasks_lock);
	free(fx);
}

/* A task of the fixture's group with tid, running as root unless creds
 * are replaced by the test. */
static inline void fx_task_init(struct fixture *fx, struct task *t, int tid)
{
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->k = &fx->k;
	t->tg = &fx->tg;
	t->mm = fx->mm;
	t->creds = creds_new_root();
	t->wake_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	strcpy(t->comm, "test");
	for (int i = 0; i < FX_MAX_TASKS; i++) {
		if (!fx_tasks[i]) {
			fx_tasks[i] = t;
			break;
		}
	}
}

static inline void fx_task_fini(struct task *t)
{
	for (int i = 0; i < FX_MAX_TASKS; i++)
		if (fx_tasks[i] == t)
			fx_tasks[i] = NULL;
	close(t->wake_efd);
	creds_put(t->creds);
	t->creds = NULL;
}

/* Find a handler by syscall number in a family table. */
static inline syscall_fn fx_handler(const struct syscall_def *defs, int nr)
{
	for (const struct syscall_def *d = defs; d->name; d++)
		if (d->nr == nr)
			return d->fn;
	return NULL;
}

static inline int64_t fx_call(const struct syscall_def *defs, struct task *t, int nr, uint64_t a0,
		       uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	syscall_fn fn = fx_handler(defs, nr);
	if (!fn)
		return -ENOSYS;
	const uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
	return fn(t, a);
}

static inline int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void put32(struct fixture *fx, uint64_t addr, uint32_t v)
{
	assert_int_equal(mm_copy_out(fx->mm, addr, &v, sizeof(v)), 0);
}

static inline uint32_t get32(struct fixture *fx, uint64_t addr)
{
	uint32_t v = 0;
	assert_int_equal(mm_copy_in(fx->mm, &v, addr, sizeof(v)), 0);
	return v;
}

#endif
