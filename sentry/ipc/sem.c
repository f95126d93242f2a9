/*
 * sem.c — System V semaphores: semget, semop/semtimedop, semctl, and the
 * SEM_UNDO lists applied when their last task exits.
 *
 * An operation array is all or nothing (Linux's perform_atomic_semop): it is
 * tried on the array as it is; if an operation would block, nothing changes
 * and the task sleeps on the array's wait queue until the array changes, is
 * removed (EIDRM), a signal comes (EINTR, never restarted, as Linux) or the
 * timeout passes (EAGAIN).  Every change wakes every sleeper, which tries
 * again; GETNCNT/GETZCNT count the sleepers by the operation that blocked
 * them, as Linux since 4.6.
 *
 * Everything here is under ns->lock; a sleeper holds a reference on its
 * array so that IPC_RMID cannot free it under it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentry/ipc/ipc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"

#define SEMVMX 32767
#define SEMAEM SEMVMX
#define K_SEM_UNDO 0x1000
#define K_GETPID 11
#define K_GETVAL 12
#define K_GETALL 13
#define K_GETNCNT 14
#define K_GETZCNT 15
#define K_SETVAL 16
#define K_SETALL 17
#define K_SEM_STAT 18
#define K_SEM_INFO 19
#define K_SEM_STAT_ANY 20

struct k_sembuf {
	uint16_t sem_num;
	int16_t sem_op;
	int16_t sem_flg;
};

struct k_semid64_ds {
	struct k_ipc64_perm perm;
	int64_t otime;
	uint64_t unused1;
	int64_t ctime;
	uint64_t unused2;
	uint64_t nsems, unused3, unused4;
};
static_assert(sizeof(struct k_semid64_ds) == 104, "semid64_ds");

struct k_seminfo {
	int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};

struct ksem {
	int val;
	int pid;
};

struct sem_sleeper {
	struct sem_sleeper *next, *prev;
	int semnum, op; /* the operation that blocks it */
};

struct sem_undo;

struct sem_array {
	struct ipc_obj perm; /* first */
	int nsems;
	int refs; /* the table's and each sleeper's */
	int64_t otime;
	struct waitq wq;
	struct sem_sleeper sleepers; /* list head */
	struct sem_undo *undos;	     /* every undo entry for this array */
	struct ksem sems[];
};

/* One task's (or CLONE_SYSVSEM group's) adjustments for one array. */
struct sem_undo {
	struct sem_undo *ul_next;		/* in its list */
	struct sem_undo *sma_next, **sma_pprev; /* in the array's */
	struct sem_array *sma;			/* NULL once the array is gone */
	int semid;
	short adj[];
};

struct sem_undo_list {
	int refs; /* atomic */
	struct ipc_ns *ns;
	struct sem_undo *head; /* under ns->lock */
};

static void undo_unlink_sma(struct sem_undo *u)
{
	if (!u->sma)
		return;
	*u->sma_pprev = u->sma_next;
	if (u->sma_next)
		u->sma_next->sma_pprev = u->sma_pprev;
	u->sma = NULL;
}

static void sma_put(struct sem_array *sma)
{
	if (--sma->refs)
		return;
	waitq_destroy(&sma->wq);
	free(sma);
}

/* Under ns->lock: out of the table, sleepers woken to find it gone. */
static void freeary(struct ipc_ns *ns, struct sem_array *sma)
{
	ipc_remove(ns, IPC_SEM_IDS, &sma->perm);
	while (sma->undos)
		undo_unlink_sma(sma->undos);
	ns->used_sems -= sma->nsems;
	waitq_notify(&sma->wq, ~0u);
	sma_put(sma);
}

void ipc_sem_free_all(struct ipc_ns *ns)
{
	struct ipc_ids *ids = &ns->ids[IPC_SEM_IDS];
	for (int i = 0; i < ids->cap; i++)
		if (ids->entries[i])
			freeary(ns, (struct sem_array *)ids->entries[i]);
}

static int newary(struct ipc_ns *ns, struct task *t, int32_t key, int nsems, int flags)
{
	if (!nsems)
		return -EINVAL;
	if (ns->used_sems + nsems > ns->sem_ctls[1])
		return -ENOSPC;
	struct sem_array *sma = calloc(1, sizeof(*sma) + (size_t)nsems * sizeof(struct ksem));
	if (!sma)
		return -ENOMEM;
	int err = ipc_add(ns, IPC_SEM_IDS, &sma->perm, ns->sem_ctls[3], key, flags, t->creds);
	if (err) {
		free(sma);
		return err;
	}
	sma->nsems = nsems;
	sma->refs = 1;
	sma->sleepers.next = sma->sleepers.prev = &sma->sleepers;
	waitq_init(&sma->wq);
	ns->used_sems += nsems;
	return ipc_obj_id(&sma->perm);
}

int64_t ipc_semget(struct task *t, int32_t key, int nsems, int flags)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	int64_t r;
	vmutex_lock(&ns->lock);
	if (nsems < 0 || nsems > ns->sem_ctls[0]) {
		vmutex_unlock(&ns->lock);
		return -EINVAL;
	}
	struct ipc_obj *o = key == 0 ? NULL : ipc_find_key(ns, IPC_SEM_IDS, key);
	if (!o) {
		if (key != 0 && !(flags & K_IPC_CREAT))
			r = -ENOENT;
		else
			r = newary(ns, t, key, nsems, flags);
	} else if ((flags & K_IPC_CREAT) && (flags & K_IPC_EXCL)) {
		r = -EEXIST;
	} else if (nsems > ((struct sem_array *)o)->nsems) {
		r = -EINVAL;
	} else if (!ipc_perm_ok(o, t->creds, flags)) {
		r = -EACCES;
	} else {
		r = ipc_obj_id(o);
	}
	vmutex_unlock(&ns->lock);
	return r;
}

/* ---- undo lists ---- */

static struct sem_undo_list *undo_list_new(struct ipc_ns *ns)
{
	struct sem_undo_list *ul = calloc(1, sizeof(*ul));
	if (!ul)
		return NULL;
	ul->refs = 1;
	ul->ns = ns;
	ipc_ns_get(ns);
	return ul;
}

struct sem_undo_list *ipc_undo_share(struct task *parent)
{
	if (!parent->sysvsem) {
		struct ipc_ns *ns = ipc_ns_of(parent);
		if (!ns || !(parent->sysvsem = undo_list_new(ns)))
			return NULL;
	}
	__atomic_add_fetch(&parent->sysvsem->refs, 1, __ATOMIC_RELAXED);
	return parent->sysvsem;
}

/* Linux's exit_sem: each adjustment is applied, clamped to [0, SEMVMX]. */
void ipc_undo_put(struct sem_undo_list *ul)
{
	if (!ul || __atomic_sub_fetch(&ul->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	struct ipc_ns *ns = ul->ns;
	int pid = current && current->tg ? current->tg->tgid : 0;
	vmutex_lock(&ns->lock);
	while (ul->head) {
		struct sem_undo *u = ul->head;
		ul->head = u->ul_next;
		struct sem_array *sma = u->sma;
		if (sma) {
			for (int i = 0; i < sma->nsems; i++) {
				if (!u->adj[i])
					continue;
				int v = sma->sems[i].val + u->adj[i];
				sma->sems[i].val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
				sma->sems[i].pid = pid;
			}
			undo_unlink_sma(u);
			waitq_notify(&sma->wq, ~0u);
		}
		free(u);
	}
	vmutex_unlock(&ns->lock);
	ipc_ns_put(ns);
	free(ul);
}

/* Under ns->lock: ul's entry for sma, made if absent; NULL when out of
 * memory. */
static struct sem_undo *find_alloc_undo(struct sem_undo_list *ul, struct sem_array *sma)
{
	for (struct sem_undo *u = ul->head; u; u = u->ul_next)
		if (u->sma == sma)
			return u;
	struct sem_undo *u = calloc(1, sizeof(*u) + (size_t)sma->nsems * sizeof(short));
	if (!u)
		return NULL;
	u->sma = sma;
	u->semid = ipc_obj_id(&sma->perm);
	u->ul_next = ul->head;
	ul->head = u;
	u->sma_next = sma->undos;
	if (sma->undos)
		sma->undos->sma_pprev = &u->sma_next;
	sma->undos = u;
	u->sma_pprev = &sma->undos;
	return u;
}

/* ---- semop ---- */

/* Try the operations on sma: 0 when done (values, pids, undo entries
 * updated), 1 when one would block (*blocking: its index; nothing
 * changed), or -EAGAIN (it has IPC_NOWAIT), -ERANGE. */
static int perform(struct sem_array *sma, const struct k_sembuf *sops, size_t nsops,
		   struct sem_undo *un, int pid, size_t *blocking)
{
	int vals[64], *v = vals;
	int *heap = NULL;
	if ((size_t)sma->nsems > sizeof(vals) / sizeof(vals[0])) {
		heap = malloc((size_t)sma->nsems * sizeof(int));
		if (!heap)
			return -ENOMEM;
		v = heap;
	}
	for (int i = 0; i < sma->nsems; i++)
		v[i] = sma->sems[i].val;
	int r = 0;
	for (size_t i = 0; i < nsops; i++) {
		const struct k_sembuf *s = &sops[i];
		int cur = v[s->sem_num];
		int res = cur + s->sem_op;
		if ((!s->sem_op && cur) || res < 0) {
			*blocking = i;
			r = (s->sem_flg & K_IPC_NOWAIT) ? -EAGAIN : 1;
			goto out;
		}
		if (res > SEMVMX) {
			r = -ERANGE;
			goto out;
		}
		if (s->sem_flg & K_SEM_UNDO) {
			int adj = un->adj[s->sem_num] - s->sem_op;
			/* Checked against what earlier ops of this call did too. */
			for (size_t j = 0; j < i; j++)
				if (sops[j].sem_num == s->sem_num && (sops[j].sem_flg & K_SEM_UNDO))
					adj -= sops[j].sem_op;
			if (adj < -SEMAEM - 1 || adj > SEMAEM) {
				r = -ERANGE;
				goto out;
			}
		}
		v[s->sem_num] = res;
	}
	for (size_t i = 0; i < nsops; i++) {
		const struct k_sembuf *s = &sops[i];
		if (s->sem_flg & K_SEM_UNDO)
			un->adj[s->sem_num] = (short)(un->adj[s->sem_num] - s->sem_op);
		sma->sems[s->sem_num].pid = pid;
	}
	for (int i = 0; i < sma->nsems; i++)
		sma->sems[i].val = v[i];
	sma->otime = ipc_now();
out:
	free(heap);
	return r;
}

static bool deadline_passed(const struct timespec *dl)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > dl->tv_sec || (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

#define SEMOP_FAST 32

int64_t ipc_semtimedop(struct task *t, int id, uint64_t usops, uint64_t nsops, uint64_t utimeout)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	/* As Linux: the timeout is copied first (ksys_semtimedop), checked
	 * after the operations are (do_semtimedop). */
	struct timespec ts;
	if (utimeout && task_copy_in(t, &ts, utimeout, sizeof(ts)))
		return -EFAULT;
	if (nsops < 1 || id < 0)
		return -EINVAL;
	vmutex_lock(&ns->lock);
	int semopm = ns->sem_ctls[2];
	vmutex_unlock(&ns->lock);
	if (nsops > (uint64_t)semopm)
		return -E2BIG;
	struct k_sembuf fast[SEMOP_FAST], *sops = fast;
	if (nsops > SEMOP_FAST) {
		sops = malloc(nsops * sizeof(*sops));
		if (!sops)
			return -ENOMEM;
	}
	int64_t r = 0;
	struct timespec dl, *deadline = NULL;
	if (task_copy_in(t, sops, usops, nsops * sizeof(*sops))) {
		r = -EFAULT;
		goto out_free;
	}
	if (utimeout) {
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L) {
			r = -EINVAL;
			goto out_free;
		}
		deadline_after(&dl, &ts);
		deadline = &dl;
	}
	int max = 0;
	bool undos = false, alter = false;
	for (uint64_t i = 0; i < nsops; i++) {
		if (sops[i].sem_num >= max)
			max = sops[i].sem_num;
		if (sops[i].sem_flg & K_SEM_UNDO)
			undos = true;
		if (sops[i].sem_op)
			alter = true;
	}
	if (undos && !t->sysvsem && !(t->sysvsem = undo_list_new(ns))) {
		r = -ENOMEM;
		goto out_free;
	}

	vmutex_lock(&ns->lock);
	struct sem_array *sma = (struct sem_array *)ipc_find_id(ns, IPC_SEM_IDS, id);
	if (!sma) {
		r = -EINVAL;
		goto out_unlock;
	}
	if (max >= sma->nsems) {
		r = -EFBIG;
		goto out_unlock;
	}
	if (!ipc_perm_ok(&sma->perm, t->creds, alter ? 0222 : 0444)) {
		r = -EACCES;
		goto out_unlock;
	}
	struct sem_undo *un = NULL;
	if (undos && !(un = find_alloc_undo(t->sysvsem, sma))) {
		r = -ENOMEM;
		goto out_unlock;
	}
	size_t blocking;
	r = perform(sma, sops, nsops, un, t->tg->tgid, &blocking);
	if (r == 0)
		waitq_notify(&sma->wq, ~0u);
	if (r != 1)
		goto out_unlock;

	/* Sleep until it can be done. */
	struct sem_sleeper sl = {.semnum = sops[blocking].sem_num, .op = sops[blocking].sem_op};
	sl.next = &sma->sleepers;
	sl.prev = sma->sleepers.prev;
	sl.prev->next = &sl;
	sma->sleepers.prev = &sl;
	sma->refs++;
	struct waiter w;
	task_waiter_init(&w, t, ~0u);
	waitq_add(&sma->wq, &w);
	for (;;) {
		vmutex_unlock(&ns->lock);
		int b = task_block(t, deadline);
		vmutex_lock(&ns->lock);
		if (sma->perm.deleted) {
			r = -EIDRM;
			break;
		}
		/* The array's undo entry may have gone with an exit meanwhile
		 * (another thread sharing the list): look it up again. */
		if (undos && !(un = find_alloc_undo(t->sysvsem, sma))) {
			r = -ENOMEM;
			break;
		}
		r = perform(sma, sops, nsops, un, t->tg->tgid, &blocking);
		if (r == 0)
			waitq_notify(&sma->wq, ~0u);
		if (r != 1)
			break;
		sl.semnum = sops[blocking].sem_num;
		sl.op = sops[blocking].sem_op;
		if (b == -EINTR) {
			r = -EINTR; /* as Linux: semop is never restarted */
			break;
		}
		if (b == -ETIMEDOUT && deadline && deadline_passed(deadline)) {
			r = -EAGAIN;
			break;
		}
	}
	waitq_remove(&sma->wq, &w);
	sl.prev->next = sl.next;
	sl.next->prev = sl.prev;
	sma_put(sma);
out_unlock:
	vmutex_unlock(&ns->lock);
out_free:
	if (sops != fast)
		free(sops);
	return r;
}

/* ---- semctl ---- */

static int count_sleepers(struct sem_array *sma, int semnum, bool zero)
{
	int n = 0;
	for (struct sem_sleeper *s = sma->sleepers.next; s != &sma->sleepers; s = s->next)
		if (s->semnum == semnum && (zero ? s->op == 0 : s->op < 0))
			n++;
	return n;
}

static int64_t sem_info(struct task *t, struct ipc_ns *ns, int cmd, uint64_t buf)
{
	struct k_seminfo si = {0};
	vmutex_lock(&ns->lock);
	si.semmni = ns->sem_ctls[3];
	si.semmns = ns->sem_ctls[1];
	si.semmsl = ns->sem_ctls[0];
	si.semopm = ns->sem_ctls[2];
	si.semvmx = SEMVMX;
	si.semmnu = si.semmap = 32000 * 32000; /* SEMMNS */
	si.semume = 500;		       /* SEMOPM */
	if (cmd == K_SEM_INFO) {
		si.semusz = ns->ids[IPC_SEM_IDS].in_use;
		si.semaem = ns->used_sems;
	} else {
		si.semusz = 20; /* SEMUSZ */
		si.semaem = SEMAEM;
	}
	int max = ipc_max_idx(ns, IPC_SEM_IDS);
	vmutex_unlock(&ns->lock);
	if (task_copy_out(t, buf, &si, sizeof(si)))
		return -EFAULT;
	return max < 0 ? 0 : max;
}

/* Under ns->lock: SETVAL and SETALL clear the undo adjustments of what
 * they set, as Linux. */
static void clear_adj(struct sem_array *sma, int semnum)
{
	for (struct sem_undo *u = sma->undos; u; u = u->sma_next) {
		if (semnum >= 0)
			u->adj[semnum] = 0;
		else
			memset(u->adj, 0, (size_t)sma->nsems * sizeof(short));
	}
}

int64_t ipc_semctl(struct task *t, int id, int semnum, int cmd, uint64_t arg)
{
	if (id < 0)
		return -EINVAL;
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	struct k_semid64_ds ds;
	int64_t r = 0;
	switch (cmd) {
	case K_IPC_INFO:
	case K_SEM_INFO:
		return sem_info(t, ns, cmd, arg);
	case K_IPC_STAT:
	case K_SEM_STAT:
	case K_SEM_STAT_ANY: {
		vmutex_lock(&ns->lock);
		struct ipc_obj *o = NULL;
		r = ipc_stat_find(ns, IPC_SEM_IDS, id, cmd == K_IPC_STAT, cmd == K_SEM_STAT_ANY,
				  t->creds, &o);
		struct sem_array *sma = (struct sem_array *)o;
		if (r == 0) {
			memset(&ds, 0, sizeof(ds));
			ipc_fill_perm(&sma->perm, &ds.perm);
			ds.otime = sma->otime;
			ds.ctime = sma->perm.ctime;
			ds.nsems = (uint64_t)sma->nsems;
			r = cmd == K_IPC_STAT ? 0 : ipc_obj_id(&sma->perm);
		}
		vmutex_unlock(&ns->lock);
		if (r >= 0 && task_copy_out(t, arg, &ds, sizeof(ds)))
			return -EFAULT;
		return r;
	}
	case K_IPC_SET:
		if (task_copy_in(t, &ds, arg, sizeof(ds)))
			return -EFAULT;
		/* fall through */
	case K_IPC_RMID: {
		vmutex_lock(&ns->lock);
		struct sem_array *sma = (struct sem_array *)ipc_find_id(ns, IPC_SEM_IDS, id);
		if (!sma) {
			r = -EINVAL;
		} else if (!ipc_owner_ok(&sma->perm, t->creds)) {
			r = -EPERM;
		} else if (cmd == K_IPC_SET) {
			ipc_set_perm(&sma->perm, &ds.perm);
			sma->perm.ctime = ipc_now();
		} else {
			freeary(ns, sma);
		}
		vmutex_unlock(&ns->lock);
		return r;
	}
	case K_SETVAL: {
		int val = (int)arg;
		if (val > SEMVMX || val < 0)
			return -ERANGE;
		vmutex_lock(&ns->lock);
		struct sem_array *sma = (struct sem_array *)ipc_find_id(ns, IPC_SEM_IDS, id);
		if (!sma) {
			r = -EINVAL;
		} else if (semnum < 0 || semnum >= sma->nsems) {
			r = -EINVAL;
		} else if (!ipc_perm_ok(&sma->perm, t->creds, 0222)) {
			r = -EACCES;
		} else {
			clear_adj(sma, semnum);
			sma->sems[semnum].val = val;
			sma->sems[semnum].pid = t->tg->tgid;
			sma->perm.ctime = ipc_now();
			waitq_notify(&sma->wq, ~0u);
		}
		vmutex_unlock(&ns->lock);
		return r;
	}
	case K_GETALL:
	case K_SETALL: {
		/* Size the buffer, then copy with no lock held. */
		vmutex_lock(&ns->lock);
		struct sem_array *sma = (struct sem_array *)ipc_find_id(ns, IPC_SEM_IDS, id);
		int nsems = sma ? sma->nsems : 0;
		if (!sma)
			r = -EINVAL;
		else if (!ipc_perm_ok(&sma->perm, t->creds, cmd == K_SETALL ? 0222 : 0444))
			r = -EACCES;
		unsigned short *vals = r ? NULL : calloc((size_t)nsems, sizeof(*vals));
		if (!r && !vals)
			r = -ENOMEM;
		if (!r && cmd == K_GETALL)
			for (int i = 0; i < nsems; i++)
				vals[i] = (unsigned short)sma->sems[i].val;
		vmutex_unlock(&ns->lock);
		if (r)
			return r;
		if (cmd == K_GETALL) {
			r = task_copy_out(t, arg, vals, (size_t)nsems * sizeof(*vals)) ? -EFAULT
										       : 0;
			free(vals);
			return r;
		}
		if (task_copy_in(t, vals, arg, (size_t)nsems * sizeof(*vals))) {
			free(vals);
			return -EFAULT;
		}
		for (int i = 0; i < nsems; i++)
			if (vals[i] > SEMVMX) {
				free(vals);
				return -ERANGE;
			}
		vmutex_lock(&ns->lock);
		/* As Linux: the array may have gone meanwhile. */
		sma = (struct sem_array *)ipc_find_id(ns, IPC_SEM_IDS, id);
		if (!sma || sma->nsems != nsems) {
			r = -EIDRM;
		} else {
			clear_adj(sma, -1);
			for (int i = 0; i < nsems; i++) {
				sma->sems[i].val = vals[i];
				sma->sems[i].pid = t->tg->tgid;
			}
			sma->perm.ctime = ipc_now();
			waitq_notify(&sma->wq, ~0u);
		}
		vmutex_unlock(&ns->lock);
		free(vals);
		return r;
	}
	case K_GETVAL:
	case K_GETPID:
	case K_GETNCNT:
	case K_GETZCNT: {
		vmutex_lock(&ns->lock);
		struct sem_array *sma = (struct sem_array *)ipc_find_id(ns, IPC_SEM_IDS, id);
		if (!sma)
			r = -EINVAL;
		else if (!ipc_perm_ok(&sma->perm, t->creds, 0444))
			r = -EACCES;
		else if (semnum < 0 || semnum >= sma->nsems)
			r = -EINVAL;
		else if (cmd == K_GETVAL)
			r = sma->sems[semnum].val;
		else if (cmd == K_GETPID)
			r = sma->sems[semnum].pid;
		else
			r = count_sleepers(sma, semnum, cmd == K_GETZCNT);
		vmutex_unlock(&ns->lock);
		return r;
	}
	default:
		return -EINVAL;
	}
}

void ipc_sem_proc_rows(struct ipc_ns *ns, FILE *f)
{
	struct ipc_ids *ids = &ns->ids[IPC_SEM_IDS];
	for (int i = 0; i < ids->cap; i++) {
		struct sem_array *sma = (struct sem_array *)ids->entries[i];
		if (!sma)
			continue;
		fprintf(f, "%10d %10d  %4o %10u %5u %5u %5u %5u %10llu %10llu\n", sma->perm.key,
			ipc_obj_id(&sma->perm), sma->perm.mode, (unsigned)sma->nsems, sma->perm.uid,
			sma->perm.gid, sma->perm.cuid, sma->perm.cgid,
			(unsigned long long)sma->otime, (unsigned long long)sma->perm.ctime);
	}
}
