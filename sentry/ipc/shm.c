/*
 * shm.c — System V shared memory: shmget, shmat, shmdt, shmctl.
 *
 * A segment's pages are a shmem object of the memory file (mm_shmem_new),
 * so they are shared by every attachment, across fork, like MAP_SHARED
 * anonymous memory.  What the mm maps is the segment's own mm_file, whose
 * get/put are the attachments coming and going (Linux's shm_open and
 * shm_close on the VMA): they keep shm_nattch, shm_atime/dtime and lpid, and
 * the last detach of a segment marked by IPC_RMID (SHM_DEST) destroys it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/ipc/ipc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/resource.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#define K_SHM_RDONLY 010000
#define K_SHM_RND 020000
#define K_SHM_REMAP 040000
#define K_SHM_EXEC 0100000
#define K_SHM_DEST 01000
#define K_SHM_LOCKED 02000
#define K_SHM_LOCK 11
#define K_SHM_UNLOCK 12
#define K_SHM_STAT 13
#define K_SHM_INFO 14
#define K_SHM_STAT_ANY 15
#define SHMMIN 1
#define CAP_IPC_LOCK_NR 14

struct k_shmid64_ds {
	struct k_ipc64_perm perm;
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int32_t cpid, lpid;
	uint64_t nattch, unused4, unused5;
};
static_assert(sizeof(struct k_shmid64_ds) == 112, "shmid64_ds");

struct k_shminfo64 {
	uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};

struct k_shm_info {
	int32_t used_ids;
	uint32_t pad;
	uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

struct shm_seg {
	struct ipc_obj perm; /* first: the table holds &perm */
	struct mm_file file; /* what attachments map */
	struct ipc_ns *ns;
	struct mm_file *mem; /* the pages */
	uint64_t size;
	uint64_t nattch; /* VMAs holding file, under ns->lock */
	int cpid, lpid;
	int64_t atime, dtime;
	uint32_t lock_uid; /* charged for SHM_LOCK */
	char name[32];
};

static struct shm_seg *seg_of_file(struct mm_file *f)
{
	return (struct shm_seg *)((char *)f - offsetof(struct shm_seg, file));
}

static uint64_t seg_pages(const struct shm_seg *s) { return PAGE_ROUND_UP(s->size) >> PAGE_SHIFT; }

static int current_tgid(void) { return current && current->tg ? current->tg->tgid : 0; }

static void seg_free(struct shm_seg *s)
{
	s->mem->ops->put(s->mem);
	free(s);
}

static void seg_unlock(struct ipc_ns *ns, struct shm_seg *s);

/* Under ns->lock: out of the table; freed now when nothing is attached,
 * else at the last detach. */
static void seg_destroy(struct ipc_ns *ns, struct shm_seg *s)
{
	ipc_remove(ns, IPC_SHM_IDS, &s->perm);
	ns->shm_tot -= seg_pages(s);
	seg_unlock(ns, s);
	if (s->nattch == 0)
		seg_free(s);
}

/* Under ns->lock: one more attachment. */
static void seg_attach_locked(struct shm_seg *s)
{
	/* An attached segment keeps its namespace. */
	if (s->nattch++ == 0)
		ipc_ns_get(s->ns);
	s->atime = ipc_now();
	s->lpid = current_tgid();
}

/* Under ns->lock: the locked pages charged to uid (Linux's per-user
 * RLIMIT_MEMLOCK ucount of user_shm_lock), made if absent. */
static uint64_t *locked_of(struct ipc_ns *ns, uint32_t uid)
{
	for (int i = 0; i < ns->nshm_locked; i++)
		if (ns->shm_locked[i].uid == uid)
			return &ns->shm_locked[i].pages;
	struct ipc_locked *l = realloc(ns->shm_locked, (size_t)(ns->nshm_locked + 1) * sizeof(*l));
	if (!l)
		return NULL;
	ns->shm_locked = l;
	l[ns->nshm_locked] = (struct ipc_locked){uid, 0};
	return &l[ns->nshm_locked++].pages;
}

/* SHM_LOCK, as Linux's shmem_lock/user_shm_lock: the segment's pages are
 * charged to the caller's real uid; past RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK, ENOMEM.  Locking twice charges once. */
static int seg_lock(struct ipc_ns *ns, struct shm_seg *s, struct task *t, struct rlimit ml)
{
	if (s->perm.mode & K_SHM_LOCKED)
		return 0;
	uint64_t *locked = locked_of(ns, t->creds->ruid);
	if (!locked)
		return -ENOMEM;
	uint64_t pages = seg_pages(s);
	if (ml.rlim_cur != RLIM_INFINITY && *locked + pages > ml.rlim_cur >> PAGE_SHIFT &&
	    !creds_capable(t->creds, CAP_IPC_LOCK_NR))
		return -ENOMEM;
	*locked += pages;
	s->lock_uid = t->creds->ruid;
	s->perm.mode |= K_SHM_LOCKED;
	return 0;
}

static void seg_unlock(struct ipc_ns *ns, struct shm_seg *s)
{
	if (!(s->perm.mode & K_SHM_LOCKED))
		return;
	uint64_t *locked = locked_of(ns, s->lock_uid);
	if (locked)
		*locked -= seg_pages(s);
	s->perm.mode &= ~(uint32_t)K_SHM_LOCKED;
}

static void shm_file_get(struct mm_file *f)
{
	struct shm_seg *s = seg_of_file(f);
	vmutex_lock(&s->ns->lock);
	seg_attach_locked(s);
	vmutex_unlock(&s->ns->lock);
}

/* Under ns->lock: one attachment fewer; the last one of a segment marked
 * by IPC_RMID destroys it.  True when it was the last (the caller then puts
 * the namespace, after dropping its lock). */
static bool seg_detach_locked(struct shm_seg *s)
{
	bool last = --s->nattch == 0;
	if (last && s->perm.deleted)
		seg_free(s);
	else if (last && ((s->perm.mode & K_SHM_DEST) || s->ns->shm_rmid_forced))
		seg_destroy(s->ns, s); /* Linux's shm_may_destroy */
	return last;
}

/* A VMA goes (Linux's shm_close): the detach time and pid change. */
static void shm_file_put(struct mm_file *f)
{
	struct shm_seg *s = seg_of_file(f);
	struct ipc_ns *ns = s->ns;
	vmutex_lock(&ns->lock);
	s->dtime = ipc_now();
	s->lpid = current_tgid();
	bool last = seg_detach_locked(s);
	vmutex_unlock(&ns->lock);
	if (last)
		ipc_ns_put(ns);
}

static int64_t shm_file_shared_page(struct mm_file *f, uint64_t pgoff)
{
	struct shm_seg *s = seg_of_file(f);
	if (pgoff >= seg_pages(s))
		return -EINVAL;
	return s->mem->ops->shared_page(s->mem, pgoff);
}

static int64_t shm_file_size(struct mm_file *f) { return (int64_t)seg_of_file(f)->size; }

static const struct mm_file_ops shm_file_ops = {
    .get = shm_file_get,
    .put = shm_file_put,
    .shared_page = shm_file_shared_page,
    .size = shm_file_size,
};

void ipc_shm_free_all(struct ipc_ns *ns)
{
	struct ipc_ids *ids = &ns->ids[IPC_SHM_IDS];
	for (int i = 0; i < ids->cap; i++) {
		struct shm_seg *s = (struct shm_seg *)ids->entries[i];
		if (s)
			seg_destroy(ns, s);
	}
}

static int newseg(struct ipc_ns *ns, struct task *t, int32_t key, uint64_t size, int flags)
{
	if (size < SHMMIN || size > ns->shm_ctlmax)
		return -EINVAL;
	uint64_t pages = PAGE_ROUND_UP(size) >> PAGE_SHIFT;
	if (pages << PAGE_SHIFT < size)
		return -ENOSPC;
	if (ns->shm_tot + pages < ns->shm_tot || ns->shm_tot + pages > ns->shm_ctlall)
		return -ENOSPC;
	struct shm_seg *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mem = mm_shmem_new(ns->mf);
	if (!s->mem) {
		free(s);
		return -ENOMEM;
	}
	int err = ipc_add(ns, IPC_SHM_IDS, &s->perm, ns->shm_ctlmni, key, flags, t->creds);
	if (err) {
		seg_free(s);
		return err;
	}
	s->file.ops = &shm_file_ops;
	snprintf(s->name, sizeof(s->name), "/SYSV%08x (deleted)", (uint32_t)key);
	s->file.name = s->name;
	s->ns = ns;
	s->size = size;
	s->cpid = t->tg->tgid;
	ns->shm_tot += pages;
	return ipc_obj_id(&s->perm);
}

int64_t ipc_shmget(struct task *t, int32_t key, uint64_t size, int flags)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	int64_t r;
	vmutex_lock(&ns->lock);
	struct ipc_obj *o = key == 0 ? NULL : ipc_find_key(ns, IPC_SHM_IDS, key);
	if (!o) {
		if (key != 0 && !(flags & K_IPC_CREAT))
			r = -ENOENT;
		else
			r = newseg(ns, t, key, size, flags);
	} else if ((flags & K_IPC_CREAT) && (flags & K_IPC_EXCL)) {
		r = -EEXIST;
	} else if (((struct shm_seg *)o)->size < size) {
		r = -EINVAL;
	} else if (!ipc_perm_ok(o, t->creds, flags)) {
		r = -EACCES;
	} else {
		r = ipc_obj_id(o);
	}
	vmutex_unlock(&ns->lock);
	return r;
}

int64_t ipc_shmat(struct task *t, int id, uint64_t addr, int flags)
{
	int mflags = MAP_SHARED;
	if (id < 0)
		return -EINVAL;
	/* As Linux's do_shmat (SHMLBA is the page size on x86-64). */
	if (addr) {
		if (addr & (PAGE_SIZE - 1)) {
			if (!(flags & K_SHM_RND))
				return -EINVAL;
			addr &= ~(uint64_t)(PAGE_SIZE - 1);
			if (!addr && (flags & K_SHM_REMAP))
				return -EINVAL;
		}
		mflags |= (flags & K_SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	} else if (flags & K_SHM_REMAP) {
		return -EINVAL;
	}
	int prot = PROT_READ, acc = 0444;
	if (flags & K_SHM_RDONLY)
		mflags |= MM_MAP_NOMAYWRITE;
	else
		prot |= PROT_WRITE, acc |= 0222;
	if (flags & K_SHM_EXEC)
		prot |= PROT_EXEC, acc |= 0111;

	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	vmutex_lock(&ns->lock);
	struct shm_seg *s = (struct shm_seg *)ipc_find_id(ns, IPC_SHM_IDS, id);
	int64_t r = 0;
	if (!s)
		r = -EINVAL;
	else if (!ipc_perm_ok(&s->perm, t->creds, acc))
		r = -EACCES;
	else
		/* Hold an attachment over the mmap (ns->lock comes after
		 * mm->lock), so that an IPC_RMID meanwhile cannot free it. */
		seg_attach_locked(s);
	vmutex_unlock(&ns->lock);
	if (r)
		return r;
	r = mm_mmap(t->mm, addr, s->size, prot, mflags, &s->file, 0);
	vmutex_lock(&ns->lock);
	bool last = seg_detach_locked(s);
	vmutex_unlock(&ns->lock);
	if (last)
		ipc_ns_put(ns);
	if (r == -EEXIST)
		r = -EINVAL; /* as Linux: an attachment over a mapping without SHM_REMAP */
	return r;
}

int64_t ipc_shmdt(struct task *t, uint64_t addr)
{
	return mm_shm_detach(t->mm, addr, &shm_file_ops);
}

static void fill_stat(struct shm_seg *s, struct k_shmid64_ds *d)
{
	memset(d, 0, sizeof(*d));
	ipc_fill_perm(&s->perm, &d->perm);
	d->segsz = s->size;
	d->atime = s->atime;
	d->dtime = s->dtime;
	d->ctime = s->perm.ctime;
	d->cpid = s->cpid;
	d->lpid = s->lpid;
	d->nattch = s->nattch;
}

int64_t ipc_shmctl(struct task *t, int id, int cmd, uint64_t buf)
{
	if (cmd < 0 || id < 0)
		return -EINVAL;
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	struct k_shmid64_ds ds;
	int64_t r = 0;
	switch (cmd) {
	case K_IPC_INFO: {
		struct k_shminfo64 info = {0};
		vmutex_lock(&ns->lock);
		info.shmmax = ns->shm_ctlmax;
		info.shmmin = SHMMIN;
		info.shmmni = info.shmseg = (uint64_t)ns->shm_ctlmni;
		info.shmall = ns->shm_ctlall;
		r = ipc_max_idx(ns, IPC_SHM_IDS);
		vmutex_unlock(&ns->lock);
		if (task_copy_out(t, buf, &info, sizeof(info)))
			return -EFAULT;
		return r < 0 ? 0 : r;
	}
	case K_SHM_INFO: {
		struct k_shm_info info = {0};
		vmutex_lock(&ns->lock);
		struct ipc_ids *ids = &ns->ids[IPC_SHM_IDS];
		info.used_ids = ids->in_use;
		for (int i = 0; i < ids->cap; i++) {
			struct shm_seg *s = (struct shm_seg *)ids->entries[i];
			if (s)
				info.shm_rss += mm_shmem_pages(s->mem);
		}
		info.shm_tot = ns->shm_tot;
		r = ipc_max_idx(ns, IPC_SHM_IDS);
		vmutex_unlock(&ns->lock);
		if (task_copy_out(t, buf, &info, sizeof(info)))
			return -EFAULT;
		return r < 0 ? 0 : r;
	}
	case K_SHM_STAT:
	case K_SHM_STAT_ANY:
	case K_IPC_STAT: {
		vmutex_lock(&ns->lock);
		struct ipc_obj *o = NULL;
		r = ipc_stat_find(ns, IPC_SHM_IDS, id, cmd == K_IPC_STAT, cmd == K_SHM_STAT_ANY,
				  t->creds, &o);
		if (r == 0) {
			struct shm_seg *s = (struct shm_seg *)o;
			fill_stat(s, &ds);
			r = cmd == K_IPC_STAT ? 0 : ipc_obj_id(&s->perm);
		}
		vmutex_unlock(&ns->lock);
		if (r >= 0 && task_copy_out(t, buf, &ds, sizeof(ds)))
			return -EFAULT;
		return r;
	}
	case K_IPC_SET:
		if (task_copy_in(t, &ds, buf, sizeof(ds)))
			return -EFAULT;
		/* fall through */
	case K_IPC_RMID:
	case K_SHM_LOCK:
	case K_SHM_UNLOCK: {
		/* Read before ns->lock: the rlimits are under the siglock. */
		struct rlimit ml = tg_get_rlimit(t->tg, RLIMIT_MEMLOCK);
		bool memlock = ml.rlim_cur != 0;
		vmutex_lock(&ns->lock);
		struct shm_seg *s = (struct shm_seg *)ipc_find_id(ns, IPC_SHM_IDS, id);
		if (!s) {
			r = -EINVAL;
		} else if (cmd == K_SHM_LOCK || cmd == K_SHM_UNLOCK) {
			/* As Linux: without CAP_IPC_LOCK, only the owner or creator,
			 * and SHM_LOCK only with a RLIMIT_MEMLOCK. */
			if (!creds_capable(t->creds, CAP_IPC_LOCK_NR) &&
			    ((t->creds->euid != s->perm.uid && t->creds->euid != s->perm.cuid) ||
			     (cmd == K_SHM_LOCK && !memlock)))
				r = -EPERM;
			else if (cmd == K_SHM_LOCK)
				r = seg_lock(ns, s, t, ml);
			else
				seg_unlock(ns, s);
		} else if (!ipc_owner_ok(&s->perm, t->creds)) {
			r = -EPERM;
		} else if (cmd == K_IPC_SET) {
			ipc_set_perm(&s->perm, &ds.perm);
			s->perm.ctime = ipc_now();
		} else if (s->nattch) {
			/* As Linux's do_shm_rmid: the key goes private at once, the
			 * segment at the last detach. */
			s->perm.mode |= K_SHM_DEST;
			s->perm.key = 0;
		} else {
			seg_destroy(ns, s);
		}
		vmutex_unlock(&ns->lock);
		return r;
	}
	default:
		return -EINVAL;
	}
}

void ipc_shm_proc_rows(struct ipc_ns *ns, FILE *f)
{
	struct ipc_ids *ids = &ns->ids[IPC_SHM_IDS];
	for (int i = 0; i < ids->cap; i++) {
		struct shm_seg *s = (struct shm_seg *)ids->entries[i];
		if (!s)
			continue;
		fprintf(f,
			"%10d %10d  %4o %21lu %5u %5u  %5lu %5u %5u %5u %5u %10llu %10llu %10llu "
			"%21lu %21lu\n",
			s->perm.key, ipc_obj_id(&s->perm), s->perm.mode, (unsigned long)s->size,
			(unsigned)s->cpid, (unsigned)s->lpid, (unsigned long)s->nattch, s->perm.uid,
			s->perm.gid, s->perm.cuid, s->perm.cgid, (unsigned long long)s->atime,
			(unsigned long long)s->dtime, (unsigned long long)s->perm.ctime,
			(unsigned long)(mm_shmem_pages(s->mem) * PAGE_SIZE), 0ul);
	}
}
