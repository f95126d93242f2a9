/*
 * harness.h — the one test harness of the Sentry's unit tests.  A test file
 * includes this header (and nothing of cmocka's: the header brings it) and
 * gets:
 *
 *  1. kernel stand-ins: the few functions of task.c, signal.c and kernel.c
 *     that the code under test calls, so that a test links without the
 *     whole task machinery;
 *  2. a fake platform that keeps a host-side view of each address space and
 *     logs every map/unmap/protect (the mm tests read that log through
 *     sentry/mm/tests/mm_test_util.h);
 *  3. the VFS fixture (struct fx): a tmpfs root mount and a root task with
 *     no mm, whose app "addresses" are plain Sentry pointers;
 *  4. the kernel fixture (struct kfx): a kernel, one thread group and an mm
 *     over the fake platform with FX_MEM bytes of app memory, and tasks of
 *     that group;
 *
 * each fixture with ready-made cmocka setup/teardown functions.  A test with
 * special needs keeps a small setup of its own that calls the shared one.
 *
 * The header defines functions and data with external linkage: include it
 * once per test binary, i.e. from the test's one .c file.
 */
#ifndef VISOR_SENTRY_TESTS_HARNESS_H
#define VISOR_SENTRY_TESTS_HARNESS_H

/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "sentry/fs/devfs.h"
#include "sentry/fs/devpts.h"
#include "sentry/fs/hostfd.h"
#include "sentry/fs/pipe.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tests/kernel_fakes.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/epoll.h"
#include "sentry/vfs/eventfd.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* Harness data a given test may not touch: no unused-variable warning. */
#define HARNESS_DATA static __attribute__((unused))

/* ==== 1. kernel stand-ins: sentry/kernel/tests/kernel_fakes.h ==== */

/* ==== 2. the fake platform ====
 *
 * Every operation succeeds.  Each address space keeps a host-side view
 * (page -> memory-file offset and prot, as the host's page tables would) and
 * a log of the calls, so a test can check what the mm asked the platform to
 * do.  The mm calls these under its lock. */

enum fake_op { OP_MAP = 1, OP_UNMAP, OP_PROTECT };
struct fake_call {
	enum fake_op op;
	uint64_t addr, len, off;
	int prot;
};

#define FAKE_MAX_CALLS 4096
struct addr_space {
	struct pagetable host; /* page -> offset | prot << 3 | 1 */
	struct fake_call calls[FAKE_MAX_CALLS];
	int ncalls;
	int bad_protects; /* as_protect over a page not mapped (host: ENOMEM) */
};

/* Address spaces released so far. */
HARNESS_DATA int fake_releases;

static inline struct addr_space *fake_new_as(struct platform *p)
{
	return calloc(1, sizeof(struct addr_space));
}

static inline void fake_log(struct addr_space *as, enum fake_op op, uint64_t addr, uint64_t len,
			    int prot, uint64_t off)
{
	if (as->ncalls < FAKE_MAX_CALLS)
		as->calls[as->ncalls] = (struct fake_call){op, addr, len, off, prot};
	as->ncalls++;
}

static inline int fake_map(struct addr_space *as, uint64_t addr, uint64_t len, int prot,
			   uint64_t off)
{
	assert_true((addr | len | off) % PAGE_SIZE == 0);
	assert_true(len > 0);
	fake_log(as, OP_MAP, addr, len, prot, off);
	for (uint64_t i = 0; i < len; i += PAGE_SIZE)
		assert_int_equal(pt_set(&as->host, addr + i, (off + i) | ((uint64_t)prot << 3) | 1),
				 0);
	return 0;
}

static inline int fake_unmap(struct addr_space *as, uint64_t addr, uint64_t len)
{
	assert_true((addr | len) % PAGE_SIZE == 0);
	fake_log(as, OP_UNMAP, addr, len, 0, 0);
	uint64_t a = addr, e;
	while (pt_next(&as->host, &a, addr + len, &e)) {
		pt_set(&as->host, a, 0);
		a += PAGE_SIZE;
	}
	return 0;
}

static inline int fake_protect(struct addr_space *as, uint64_t addr, uint64_t len, int prot)
{
	assert_true((addr | len) % PAGE_SIZE == 0);
	fake_log(as, OP_PROTECT, addr, len, prot, 0);
	for (uint64_t a = addr; a < addr + len; a += PAGE_SIZE) {
		uint64_t e = pt_get(&as->host, a);
		if (!e) {
			as->bad_protects++;
			continue;
		}
		pt_set(&as->host, a, PTE_OFFSET(e) | ((uint64_t)prot << 3) | 1);
	}
	return 0;
}

static inline int fake_prepare_thread(struct addr_space *as) { return 0; }

static inline void fake_release(struct addr_space *as)
{
	pt_destroy(&as->host);
	free(as);
	fake_releases++;
}

HARNESS_DATA const struct platform_ops fake_platform_ops = {
    .name = "fake",
    .new_addr_space = fake_new_as,
    .as_map = fake_map,
    .as_unmap = fake_unmap,
    .as_protect = fake_protect,
    .as_prepare_thread = fake_prepare_thread,
    .as_release = fake_release,
};

/* A platform with no memory file of its own, for an mm over any memfile. */
HARNESS_DATA struct platform fake_plat = {.ops = &fake_platform_ops, .memfd = -1};

/* ==== 3. the VFS fixture: a tmpfs root and a root task ==== */

struct fx {
	struct vfs_mount *mnt;
	struct vfs_path root;
	struct task *t;
};

/* A task with the given root, uid and gid (all capabilities when 0, none
 * otherwise), its own fd table and wake eventfd, and no mm. */
static inline struct task *fx_task(const struct vfs_path *root, uint32_t uid, uint32_t gid)
{
	struct task *t = calloc(1, sizeof(*t));
	t->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct creds *c = creds_new_root();
	if (uid || gid) {
		struct creds *u = creds_dup(c);
		creds_put(c);
		c = u;
		c->ruid = c->euid = c->suid = c->fsuid = uid;
		c->rgid = c->egid = c->sgid = c->fsgid = gid;
		c->cap_effective = c->cap_permitted = 0;
	}
	t->creds = c;
	t->fs = fs_context_new(*root);
	t->fdt = fdt_new();
	return t;
}

static inline void fx_task_free(struct task *t)
{
	fdt_put(t->fdt);
	fs_context_put(t->fs);
	creds_put(t->creds);
	close(t->wake_efd);
	free(t);
}

/* The file systems and devices the tests use register as at boot. */
static inline void fx_register(void)
{
	if (tmpfs_register() < 0 || pipe_register() < 0 || devfs_register() < 0 ||
	    devpts_register() < 0)
		abort();
}

/* Mount fstype as the root and give fx a root task in it.  Aborts on
 * failure: no test can run without its root. */
static inline void fx_init_root(struct fx *fx, const char *fstype, const char *source,
				const char *data)
{
	fx_register();
	if (vfs_mount_root(fstype, source, 0, data, &fx->mnt) < 0)
		abort();
	fx->root = (struct vfs_path){fx->mnt, fx->mnt->root};
	path_get(&fx->root);
	fx->t = fx_task(&fx->root, 0, 0);
}

static inline void fx_init(struct fx *fx) { fx_init_root(fx, "tmpfs", "tmpfs", "mode=0755"); }

/* Drop the task, then every mount (the test's own ones too), so that every
 * file system is gone before the next test. */
static inline void fx_fini(struct fx *fx)
{
	fx_task_free(fx->t);
	path_put(&fx->root);
	vfs_umount_all();
	mount_put(fx->mnt);
}

/* cmocka setup: *state = a calloc'ed block of size bytes that starts with an
 * initialised struct fx (a test's own state embeds struct fx first). */
static inline int fx_setup_sized(void **state, size_t size)
{
	struct fx *fx = calloc(1, size);
	if (!fx)
		return -1;
	fx_init(fx);
	*state = fx;
	return 0;
}

static inline int fx_setup(void **state) { return fx_setup_sized(state, sizeof(struct fx)); }

/* cmocka teardown for either setup. */
static inline int fx_teardown(void **state)
{
	struct fx *fx = *state;
	fx_fini(fx);
	free(fx);
	return 0;
}

/* devtmpfs on /dev, as the Sentry mounts it at boot. */
static inline int fx_mount_dev(struct fx *fx)
{
	if (vfs_mkdirat(fx->t, AT_FDCWD, "/dev", 0755) < 0 ||
	    vfs_mount(&fx->root, "/dev", "devtmpfs", "dev", MS_NOSUID, NULL) < 0)
		return -1;
	return 0;
}

/* Helpers that fail the test's expectations loudly rather than crash. */
static inline int fx_write_file(struct task *t, const char *path, const char *data, uint32_t mode)
{
	struct file *f;
	int r = vfs_open(t, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode, &f);
	if (r < 0)
		return r;
	ssize_t n = file_write(t, f, data, strlen(data));
	file_put(f);
	return n < 0 ? (int)n : 0;
}

static inline ssize_t fx_read_file(struct task *t, const char *path, char *buf, size_t len)
{
	struct file *f;
	int r = vfs_open(t, AT_FDCWD, path, O_RDONLY, 0, &f);
	if (r < 0)
		return r;
	ssize_t n = file_read(t, f, buf, len - 1);
	if (n >= 0)
		buf[n] = 0;
	file_put(f);
	return n;
}

/* ==== 4. the kernel fixture: a kernel, a thread group, an mm, tasks ====
 *
 * The kernel is zeroed but for its locks, boot_mono and names; the group
 * (tgid 100, its own process group and session) has every rlimit infinite
 * but RLIMIT_NOFILE (1024/4096) and RLIMIT_NICE (0); the mm, made by mm_new
 * over the fake platform, has one anonymous read-write mapping of FX_MEM
 * bytes at base for app data.  Tasks are zeroed structs with their own wake
 * eventfd, found by the fake lookups above. */

#define FX_MEM (64 * 1024)

struct kfx {
	struct kernel k;
	struct thread_group tg;
	struct platform plat;
	struct memfile *mf;
	struct mm *mm;
	uint64_t base; /* FX_MEM bytes of app memory, read-write */
};

static inline struct kfx *kfx_new(void)
{
	struct kfx *fx = calloc(1, sizeof(*fx));
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

static inline void kfx_free(struct kfx *fx)
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
static inline void kfx_task_init(struct kfx *fx, struct task *t, int tid)
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

static inline void kfx_task_fini(struct task *t)
{
	for (int i = 0; i < FX_MAX_TASKS; i++)
		if (fx_tasks[i] == t)
			fx_tasks[i] = NULL;
	close(t->wake_efd);
	creds_put(t->creds);
	t->creds = NULL;
}

/* What kfx_setup leaves in *state: the fixture and one task of its group. */
struct kfx_state {
	struct kfx *fx;
	struct task t;
};

/* cmocka setup: a fixture whose task has tid, and no signal pending. */
static inline int kfx_setup_tid(void **state, int tid)
{
	struct kfx_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->fx = kfx_new();
	if (!s->fx) {
		free(s);
		return -1;
	}
	kfx_task_init(s->fx, &s->t, tid);
	atomic_store(&fake_signal_tid, -1);
	*state = s;
	return 0;
}

static inline int kfx_setup(void **state) { return kfx_setup_tid(state, 1); }

static inline int kfx_teardown(void **state)
{
	struct kfx_state *s = *state;
	kfx_task_fini(&s->t);
	kfx_free(s->fx);
	free(s);
	atomic_store(&fake_signal_tid, -1);
	return 0;
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

/* A 32-bit word of the fixture's app memory. */
static inline void put32(struct kfx *fx, uint64_t addr, uint32_t v)
{
	assert_int_equal(mm_copy_out(fx->mm, addr, &v, sizeof(v)), 0);
}

static inline uint32_t get32(struct kfx *fx, uint64_t addr)
{
	uint32_t v = 0;
	assert_int_equal(mm_copy_in(fx->mm, &v, addr, sizeof(v)), 0);
	return v;
}

#endif
