/*
 * ipc.c — the IPC namespace: its id tables (Linux's id allocation), the
 * permission rules shared by shm, sem and msg (ipcperms, the owner test of
 * IPC_SET and IPC_RMID), and the limits of /proc/sys/kernel.
 *
 * Never passes anything to the host: every object lives in the Sentry.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentry/ipc/ipc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

#define CAP_IPC_OWNER_NR 15
#define CAP_SYS_ADMIN_NR 21

int64_t ipc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

struct ipc_ns *ipc_ns_new(struct memfile *mf)
{
	struct ipc_ns *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	vmutex_init(&ns->lock, LOCK_CLASS(IPC_IDS));
	ns->refs = 1;
	ns->mf = mf;
	ns->mq = ipc_mq_ns_new();
	if (!ns->mq) {
		vmutex_destroy(&ns->lock);
		free(ns);
		return NULL;
	}
	for (int i = 0; i < IPC_NR_IDS; i++)
		ns->ids[i].last_idx = -1;
	/* Linux's defaults (include/uapi/linux/shm.h, sem.h, msg.h, since 3.19). */
	ns->shm_ctlmax = ULONG_MAX - (1UL << 24);
	ns->shm_ctlall = ULONG_MAX - (1UL << 24);
	ns->shm_ctlmni = 4096;
	ns->sem_ctls[0] = 32000;
	ns->sem_ctls[1] = 32000 * 32000;
	ns->sem_ctls[2] = 500;
	ns->sem_ctls[3] = 32000;
	ns->msg_ctlmax = 8192;
	ns->msg_ctlmnb = 16384;
	ns->msg_ctlmni = 32000;
	return ns;
}

void ipc_ns_get(struct ipc_ns *ns) { __atomic_add_fetch(&ns->refs, 1, __ATOMIC_RELAXED); }

void ipc_ns_put(struct ipc_ns *ns)
{
	if (!ns || __atomic_sub_fetch(&ns->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	ipc_shm_free_all(ns);
	ipc_sem_free_all(ns);
	ipc_msg_free_all(ns);
	ipc_mq_ns_free(ns->mq);
	free(ns->shm_locked);
	for (int i = 0; i < IPC_NR_IDS; i++)
		free(ns->ids[i].entries);
	vmutex_destroy(&ns->lock);
	free(ns);
}

int ipc_ns_unshare(struct ipc_ns **ns, struct memfile *mf)
{
	struct ipc_ns *n = ipc_ns_new(mf);
	if (!n)
		return -ENOMEM;
	ipc_ns_put(*ns);
	*ns = n;
	return 0;
}

int ipc_task_unshare(struct task *t)
{
	struct ipc_ns *n = ipc_ns_new(t->k->mf);
	if (!n)
		return -ENOMEM;
	/* As Linux's unshare(CLONE_NEWIPC): the SEM_UNDO list is applied
	 * first (exit_sem). */
	ipc_undo_put(t->sysvsem);
	t->sysvsem = NULL;
	ipc_ns_put(t->ipc_ns);
	t->ipc_ns = n;
	return 0;
}

struct ipc_ns *ipc_ns_of(struct task *t)
{
	if (t->ipc_ns)
		return t->ipc_ns;
	struct kernel *k = t->k;
	struct ipc_ns *ns = __atomic_load_n(&k->ipc, __ATOMIC_ACQUIRE);
	if (ns)
		return ns;
	struct ipc_ns *n = ipc_ns_new(k->mf);
	if (!n)
		return NULL;
	if (!__atomic_compare_exchange_n(&k->ipc, &ns, n, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		ipc_ns_put(n);
		return ns;
	}
	return n;
}

/* ---- id tables ---- */

struct ipc_obj *ipc_find_key(struct ipc_ns *ns, int i, int32_t key)
{
	struct ipc_ids *ids = &ns->ids[i];
	for (int j = 0; j < ids->cap; j++)
		if (ids->entries[j] && ids->entries[j]->key == key)
			return ids->entries[j];
	return NULL;
}

struct ipc_obj *ipc_find_idx(struct ipc_ns *ns, int i, int idx)
{
	struct ipc_ids *ids = &ns->ids[i];
	if (idx < 0 || idx >= ids->cap)
		return NULL;
	return ids->entries[idx];
}

struct ipc_obj *ipc_find_id(struct ipc_ns *ns, int i, int id)
{
	if (id < 0)
		return NULL;
	struct ipc_obj *o = ipc_find_idx(ns, i, id % IPCMNI);
	if (!o || o->seq != id / IPCMNI)
		return NULL;
	return o;
}

int ipc_stat_find(struct ipc_ns *ns, int i, int id, bool by_id, bool any, const struct creds *c,
		  struct ipc_obj **out)
{
	struct ipc_obj *o = by_id ? ipc_find_id(ns, i, id) : ipc_find_idx(ns, i, id);
	if (!o)
		return -EINVAL;
	if (!any && !ipc_perm_ok(o, c, 0444))
		return -EACCES;
	*out = o;
	return 0;
}

int ipc_add(struct ipc_ns *ns, int i, struct ipc_obj *o, int limit, int32_t key, int flags,
	    const struct creds *c)
{
	struct ipc_ids *ids = &ns->ids[i];
	if (limit > IPCMNI)
		limit = IPCMNI;
	if (ids->in_use >= limit)
		return -ENOSPC;
	int idx = 0;
	while (idx < ids->cap && ids->entries[idx])
		idx++;
	if (idx >= limit)
		return -ENOSPC;
	if (idx >= ids->cap) {
		int ncap = ids->cap ? ids->cap * 2 : 16;
		if (ncap > IPCMNI)
			ncap = IPCMNI;
		struct ipc_obj **e = realloc(ids->entries, (size_t)ncap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		memset(e + ids->cap, 0, (size_t)(ncap - ids->cap) * sizeof(*e));
		ids->entries = e;
		ids->cap = ncap;
	}
	/* As Linux's ipc_idr_alloc: the sequence moves on when an index at or
	 * below the last one is handed out again. */
	if (idx <= ids->last_idx) {
		ids->seq++;
		if (ids->seq >= IPC_SEQ_MAX)
			ids->seq = 0;
	}
	ids->last_idx = idx;
	o->seq = ids->seq;
	o->idx = idx;
	o->key = key;
	o->uid = o->cuid = c->euid;
	o->gid = o->cgid = c->egid;
	o->mode = (uint32_t)flags & 0777;
	o->deleted = false;
	o->ctime = ipc_now();
	ids->entries[idx] = o;
	ids->in_use++;
	return 0;
}

void ipc_remove(struct ipc_ns *ns, int i, struct ipc_obj *o)
{
	struct ipc_ids *ids = &ns->ids[i];
	if (o->deleted)
		return;
	ids->entries[o->idx] = NULL;
	ids->in_use--;
	o->deleted = true;
}

int ipc_max_idx(struct ipc_ns *ns, int i)
{
	struct ipc_ids *ids = &ns->ids[i];
	for (int j = ids->cap - 1; j >= 0; j--)
		if (ids->entries[j])
			return j;
	return -1;
}

/* ---- permissions ---- */

bool ipc_perm_ok(const struct ipc_obj *o, const struct creds *c, int flag)
{
	int requested = (flag >> 6) | (flag >> 3) | flag;
	int granted = (int)o->mode;
	if (c->euid == o->cuid || c->euid == o->uid)
		granted >>= 6;
	else if (creds_in_group(c, o->cgid) || creds_in_group(c, o->gid))
		granted >>= 3;
	/* As Linux: CAP_IPC_OWNER overrides the mode bits. */
	if ((requested & ~granted & 0007) && !creds_capable(c, CAP_IPC_OWNER_NR))
		return false;
	return true;
}

bool ipc_owner_ok(const struct ipc_obj *o, const struct creds *c)
{
	return c->euid == o->cuid || c->euid == o->uid || creds_capable(c, CAP_SYS_ADMIN_NR);
}

void ipc_fill_perm(const struct ipc_obj *o, struct k_ipc64_perm *p)
{
	memset(p, 0, sizeof(*p));
	p->key = o->key;
	p->uid = o->uid;
	p->gid = o->gid;
	p->cuid = o->cuid;
	p->cgid = o->cgid;
	p->mode = o->mode;
	p->seq = (uint16_t)o->seq;
}

void ipc_set_perm(struct ipc_obj *o, const struct k_ipc64_perm *p)
{
	o->uid = p->uid;
	o->gid = p->gid;
	o->mode = (o->mode & ~0777u) | (p->mode & 0777u);
}

/* ---- /proc/sys/kernel ---- */

/* Parse up to max integers separated by white space, as Linux's
 * __do_proc_dointvec and __do_proc_doulongvec_minmax: returns how many were
 * read before the end, the max-th value or junk (*junk then set: the write
 * fails with EINVAL, after the values before it were taken). */
static int parse_values(const char *buf, size_t len, bool is_unsigned, int64_t *v, uint64_t *uv,
			int max, bool *junk)
{
	char tmp[128];
	*junk = false;
	if (len >= sizeof(tmp)) {
		*junk = true;
		return 0;
	}
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	char *p = tmp;
	int n = 0;
	while (n < max) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		char *end;
		errno = 0;
		if (is_unsigned && *p == '-') {
			*junk = true;
			break;
		}
		if (is_unsigned)
			uv[n] = strtoull(p, &end, 10);
		else
			v[n] = strtoll(p, &end, 10);
		if (end == p || errno || (*end && *end != ' ' && *end != '\t' && *end != '\n')) {
			*junk = true;
			break;
		}
		p = end;
		n++;
	}
	if (!n)
		*junk = true;
	return n;
}

struct int_ctl {
	const char *name;
	size_t off;
	int min, max;
};

static const struct int_ctl int_ctls[] = {
    {"shmmni", offsetof(struct ipc_ns, shm_ctlmni), 0, IPCMNI},
    {"shm_rmid_forced", offsetof(struct ipc_ns, shm_rmid_forced), 0, 1},
    {"msgmax", offsetof(struct ipc_ns, msg_ctlmax), 0, INT32_MAX},
    {"msgmnb", offsetof(struct ipc_ns, msg_ctlmnb), 0, INT32_MAX},
    {"msgmni", offsetof(struct ipc_ns, msg_ctlmni), 0, IPCMNI},
};

int ipc_sysctl_read(struct ipc_ns *ns, const char *name, char *buf, size_t len)
{
	int n = -ENOENT;
	vmutex_lock(&ns->lock);
	if (!strcmp(name, "shmmax"))
		n = snprintf(buf, len, "%" PRIu64 "\n", ns->shm_ctlmax);
	else if (!strcmp(name, "shmall"))
		n = snprintf(buf, len, "%" PRIu64 "\n", ns->shm_ctlall);
	else if (!strcmp(name, "sem"))
		n = snprintf(buf, len, "%d\t%d\t%d\t%d\n", ns->sem_ctls[0], ns->sem_ctls[1],
			     ns->sem_ctls[2], ns->sem_ctls[3]);
	for (size_t i = 0; n == -ENOENT && i < sizeof(int_ctls) / sizeof(int_ctls[0]); i++)
		if (!strcmp(name, int_ctls[i].name))
			n = snprintf(buf, len, "%d\n", *(int *)((char *)ns + int_ctls[i].off));
	vmutex_unlock(&ns->lock);
	if (n >= 0 && (size_t)n >= len)
		n = (int)len - 1;
	return n;
}

int ipc_sysctl_write(struct ipc_ns *ns, const char *name, const char *buf, size_t len)
{
	int64_t v[4];
	uint64_t uv[4];
	int n;
	bool junk;
	if (!strcmp(name, "shmmax") || !strcmp(name, "shmall")) {
		n = parse_values(buf, len, true, v, uv, 1, &junk);
		if (junk)
			return -EINVAL;
		vmutex_lock(&ns->lock);
		*(name[3] == 'm' ? &ns->shm_ctlmax : &ns->shm_ctlall) = uv[0];
		vmutex_unlock(&ns->lock);
		return 0;
	}
	if (!strcmp(name, "sem")) {
		n = parse_values(buf, len, false, v, uv, 4, &junk);
		for (int i = 0; i < n; i++)
			if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
				n = i;
				junk = true;
			}
		/* As Linux's sem_check_semmni: SEMMNI at most IPCMNI, else it
		 * stays as it was. */
		if (n == 4 && (v[3] < 0 || v[3] > IPCMNI)) {
			n = 3;
			junk = true;
		}
		vmutex_lock(&ns->lock);
		for (int i = 0; i < n; i++)
			ns->sem_ctls[i] = (int)v[i];
		vmutex_unlock(&ns->lock);
		return junk ? -EINVAL : 0;
	}
	for (size_t i = 0; i < sizeof(int_ctls) / sizeof(int_ctls[0]); i++) {
		if (strcmp(name, int_ctls[i].name))
			continue;
		n = parse_values(buf, len, false, v, uv, 1, &junk);
		if (junk)
			return -EINVAL;
		if (v[0] < int_ctls[i].min || v[0] > int_ctls[i].max)
			return -EINVAL;
		vmutex_lock(&ns->lock);
		*(int *)((char *)ns + int_ctls[i].off) = (int)v[0];
		vmutex_unlock(&ns->lock);
		return 0;
	}
	return -ENOENT;
}

/* ---- /proc/sysvipc ---- */

int ipc_proc_show(struct ipc_ns *ns, const char *which, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	int r = 0;
	vmutex_lock(&ns->lock);
	/* Linux's headers (64-bit), then one row per object by index. */
	if (!strcmp(which, "shm")) {
		fputs(
		    "       key      shmid perms                  size  cpid  lpid nattch   uid   "
		    "gid"
		    "  cuid  cgid      atime      dtime      ctime                   rss          "
		    "        swap\n",
		    f);
		ipc_shm_proc_rows(ns, f);
	} else if (!strcmp(which, "sem")) {
		fputs("       key      semid perms      nsems   uid   gid  cuid  cgid      otime   "
		      "   "
		      "ctime\n",
		      f);
		ipc_sem_proc_rows(ns, f);
	} else if (!strcmp(which, "msg")) {
		fputs("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  "
		      "cuid"
		      "  cgid      stime      rtime      ctime\n",
		      f);
		ipc_msg_proc_rows(ns, f);
	} else {
		r = -ENOENT;
	}
	vmutex_unlock(&ns->lock);
	if (fclose(f) != 0 && !r)
		r = -ENOMEM;
	if (r) {
		free(buf);
		return r;
	}
	*out = buf;
	*outlen = len;
	return 0;
}
