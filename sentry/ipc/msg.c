/*
 * msg.c — System V message queues: msgget, msgsnd, msgrcv, msgctl.
 *
 * A queue is a FIFO list of messages bounded by msg_qbytes (bytes, and as
 * many messages as bytes, as Linux's msg_fits).  msgrcv picks by msgtyp as
 * Linux: 0 the first, > 0 the first of that type (MSG_EXCEPT: of another
 * type), < 0 the first of the lowest type <= |msgtyp|; MSG_COPY (Debian's
 * kernels have CONFIG_CHECKPOINT_RESTORE) copies the msgtyp-th message
 * without removing it.  Senders and receivers that must wait sleep on the
 * queue's wait queue; every change wakes them all to try again; a signal
 * ends the wait with -ERESTARTNOHAND (EINTR with a handler), IPC_RMID with
 * EIDRM.  Everything is under ns->lock; sleepers hold a reference on the
 * queue.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/ipc/ipc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"

#define K_MSG_NOERROR 010000
#define K_MSG_EXCEPT 020000
#define K_MSG_COPY 040000
#define K_MSG_STAT 11
#define K_MSG_INFO 12
#define K_MSG_STAT_ANY 13
#define CAP_SYS_RESOURCE_NR 24

struct k_msqid64_ds {
	struct k_ipc64_perm perm;
	int64_t stime, rtime, ctime;
	uint64_t cbytes, qnum, qbytes;
	int32_t lspid, lrpid;
	uint64_t unused4, unused5;
};
static_assert(sizeof(struct k_msqid64_ds) == 120, "msqid64_ds");

struct k_msginfo {
	int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
	uint16_t msgseg;
};

struct kmsg {
	struct kmsg *next;
	int64_t type;
	size_t size;
	char text[];
};

struct msg_queue {
	struct ipc_obj perm; /* first */
	int refs;	     /* the table's and each sleeper's */
	int64_t stime, rtime;
	int lspid, lrpid;
	uint64_t cbytes, qnum, qbytes;
	struct kmsg *head, **tail;
	struct waitq wq;
};

static void msq_put(struct msg_queue *q)
{
	if (--q->refs)
		return;
	while (q->head) {
		struct kmsg *m = q->head;
		q->head = m->next;
		free(m);
	}
	waitq_destroy(&q->wq);
	free(q);
}

static void freeque(struct ipc_ns *ns, struct msg_queue *q)
{
	ipc_remove(ns, IPC_MSG_IDS, &q->perm);
	ns->msg_bytes -= q->cbytes;
	ns->msg_hdrs -= q->qnum;
	waitq_notify(&q->wq, ~0u);
	msq_put(q);
}

void ipc_msg_free_all(struct ipc_ns *ns)
{
	struct ipc_ids *ids = &ns->ids[IPC_MSG_IDS];
	for (int i = 0; i < ids->cap; i++)
		if (ids->entries[i])
			freeque(ns, (struct msg_queue *)ids->entries[i]);
}

int64_t ipc_msgget(struct task *t, int32_t key, int flags)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	int64_t r;
	vmutex_lock(&ns->lock);
	struct ipc_obj *o = key == 0 ? NULL : ipc_find_key(ns, IPC_MSG_IDS, key);
	if (!o) {
		if (key != 0 && !(flags & K_IPC_CREAT)) {
			r = -ENOENT;
		} else {
			struct msg_queue *q = calloc(1, sizeof(*q));
			if (!q) {
				r = -ENOMEM;
			} else if ((r = ipc_add(ns, IPC_MSG_IDS, &q->perm, ns->msg_ctlmni, key,
						flags, t->creds))) {
				free(q);
			} else {
				q->refs = 1;
				q->qbytes = (uint64_t)ns->msg_ctlmnb;
				q->tail = &q->head;
				waitq_init(&q->wq);
				r = ipc_obj_id(&q->perm);
			}
		}
	} else if ((flags & K_IPC_CREAT) && (flags & K_IPC_EXCL)) {
		r = -EEXIST;
	} else if (!ipc_perm_ok(o, t->creds, flags)) {
		r = -EACCES;
	} else {
		r = ipc_obj_id(o);
	}
	vmutex_unlock(&ns->lock);
	return r;
}

/* Sleep on q (its reference held by the caller); ns->lock is dropped and
 * taken again.  0, or -ERESTARTNOHAND for a signal. */
static int msq_sleep(struct ipc_ns *ns, struct msg_queue *q, struct task *t)
{
	struct waiter w;
	task_waiter_init(&w, t, ~0u);
	waitq_add(&q->wq, &w);
	vmutex_unlock(&ns->lock);
	int b = task_block(t, NULL);
	vmutex_lock(&ns->lock);
	waitq_remove(&q->wq, &w);
	return b == -EINTR ? -ERESTARTNOHAND : 0;
}

int64_t ipc_msgsnd(struct task *t, int id, uint64_t msgp, uint64_t msgsz, int flags)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	int64_t type;
	if (task_copy_in(t, &type, msgp, sizeof(type)))
		return -EFAULT;
	vmutex_lock(&ns->lock);
	int msgmax = ns->msg_ctlmax;
	vmutex_unlock(&ns->lock);
	if (msgsz > (uint64_t)msgmax || (int64_t)msgsz < 0 || id < 0)
		return -EINVAL;
	if (type < 1)
		return -EINVAL;
	struct kmsg *m = malloc(sizeof(*m) + msgsz);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->type = type;
	m->size = msgsz;
	if (task_copy_in(t, m->text, msgp + sizeof(int64_t), msgsz)) {
		free(m);
		return -EFAULT;
	}

	vmutex_lock(&ns->lock);
	struct msg_queue *q = (struct msg_queue *)ipc_find_id(ns, IPC_MSG_IDS, id);
	int64_t r = 0;
	if (!q) {
		vmutex_unlock(&ns->lock);
		free(m);
		return -EINVAL;
	}
	q->refs++;
	for (;;) {
		if (!ipc_perm_ok(&q->perm, t->creds, 0222)) {
			r = -EACCES;
			break;
		}
		if (q->perm.deleted) {
			r = -EIDRM;
			break;
		}
		/* As Linux's msg_fits: bytes, and one byte's worth per message. */
		if (msgsz + q->cbytes <= q->qbytes && 1 + q->qnum <= q->qbytes) {
			*q->tail = m;
			q->tail = &m->next;
			m = NULL;
			q->cbytes += msgsz;
			q->qnum++;
			ns->msg_bytes += msgsz;
			ns->msg_hdrs++;
			q->lspid = t->tg->tgid;
			q->stime = ipc_now();
			waitq_notify(&q->wq, ~0u);
			break;
		}
		if (flags & K_IPC_NOWAIT) {
			r = -EAGAIN;
			break;
		}
		r = msq_sleep(ns, q, t);
		if (q->perm.deleted) {
			r = -EIDRM;
			break;
		}
		if (r)
			break;
	}
	msq_put(q);
	vmutex_unlock(&ns->lock);
	free(m);
	return r;
}

enum { SEARCH_ANY, SEARCH_EQUAL, SEARCH_NOTEQUAL, SEARCH_LESSEQUAL, SEARCH_NUMBER };

/* Under ns->lock: the message msgrcv wants, and where its link is. */
static struct kmsg **find_msg(struct msg_queue *q, int64_t type, int mode)
{
	struct kmsg **found = NULL;
	int64_t n = 0;
	for (struct kmsg **pp = &q->head; *pp; pp = &(*pp)->next, n++) {
		struct kmsg *m = *pp;
		switch (mode) {
		case SEARCH_ANY:
			return pp;
		case SEARCH_EQUAL:
			if (m->type == type)
				return pp;
			break;
		case SEARCH_NOTEQUAL:
			if (m->type != type)
				return pp;
			break;
		case SEARCH_NUMBER:
			if (n == type)
				return pp;
			break;
		case SEARCH_LESSEQUAL:
			if (m->type <= type && (!found || m->type < (*found)->type))
				found = pp;
			if (found && (*found)->type == 1)
				return found;
			break;
		}
	}
	return found;
}

int64_t ipc_msgrcv(struct task *t, int id, uint64_t msgp, uint64_t bufsz, int64_t type, int flags)
{
	if (id < 0 || (int64_t)bufsz < 0)
		return -EINVAL;
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	int mode;
	if (flags & K_MSG_COPY) {
		if ((flags & K_MSG_EXCEPT) || !(flags & K_IPC_NOWAIT))
			return -EINVAL;
		mode = SEARCH_NUMBER;
		vmutex_lock(&ns->lock);
		if (bufsz > (uint64_t)ns->msg_ctlmax)
			bufsz = (uint64_t)ns->msg_ctlmax;
		vmutex_unlock(&ns->lock);
	} else if (type == 0) {
		mode = SEARCH_ANY;
	} else if (type < 0) {
		type = type == INT64_MIN ? INT64_MAX : -type;
		mode = SEARCH_LESSEQUAL;
	} else {
		mode = (flags & K_MSG_EXCEPT) ? SEARCH_NOTEQUAL : SEARCH_EQUAL;
	}

	vmutex_lock(&ns->lock);
	struct msg_queue *q = (struct msg_queue *)ipc_find_id(ns, IPC_MSG_IDS, id);
	if (!q) {
		vmutex_unlock(&ns->lock);
		return -EINVAL;
	}
	q->refs++;
	struct kmsg *m = NULL;
	int64_t r = 0;
	for (;;) {
		if (!ipc_perm_ok(&q->perm, t->creds, 0444)) {
			r = -EACCES;
			break;
		}
		if (q->perm.deleted) {
			r = -EIDRM;
			break;
		}
		struct kmsg **pp = find_msg(q, type, mode);
		if (pp) {
			struct kmsg *found = *pp;
			if (bufsz < found->size && !(flags & K_MSG_NOERROR)) {
				r = -E2BIG;
				break;
			}
			if (mode == SEARCH_NUMBER) {
				m = malloc(sizeof(*m) + found->size);
				if (!m) {
					r = -ENOMEM;
					break;
				}
				memcpy(m, found, sizeof(*m) + found->size);
				break;
			}
			m = found;
			*pp = m->next;
			if (q->tail == &m->next)
				q->tail = pp;
			q->cbytes -= m->size;
			q->qnum--;
			ns->msg_bytes -= m->size;
			ns->msg_hdrs--;
			q->lrpid = t->tg->tgid;
			q->rtime = ipc_now();
			waitq_notify(&q->wq, ~0u);
			break;
		}
		if (flags & K_IPC_NOWAIT) {
			r = -ENOMSG;
			break;
		}
		r = msq_sleep(ns, q, t);
		if (q->perm.deleted) {
			r = -EIDRM;
			break;
		}
		if (r)
			break;
	}
	msq_put(q);
	vmutex_unlock(&ns->lock);
	if (!m)
		return r;
	size_t n = m->size < bufsz ? m->size : bufsz;
	if (task_copy_out(t, msgp, &m->type, sizeof(m->type)) ||
	    task_copy_out(t, msgp + sizeof(int64_t), m->text, n))
		r = -EFAULT; /* as Linux: the message is gone all the same */
	else
		r = (int64_t)n;
	free(m);
	return r;
}

int64_t ipc_msgctl(struct task *t, int id, int cmd, uint64_t buf)
{
	if (id < 0 || cmd < 0)
		return -EINVAL;
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	struct k_msqid64_ds ds;
	int64_t r = 0;
	switch (cmd) {
	case K_IPC_INFO:
	case K_MSG_INFO: {
		struct k_msginfo mi = {0};
		vmutex_lock(&ns->lock);
		mi.msgmni = ns->msg_ctlmni;
		mi.msgmax = ns->msg_ctlmax;
		mi.msgmnb = ns->msg_ctlmnb;
		mi.msgssz = 16;
		mi.msgseg = 0xffff;
		if (cmd == K_MSG_INFO) {
			mi.msgpool = ns->ids[IPC_MSG_IDS].in_use;
			mi.msgmap = ns->msg_hdrs > INT_MAX ? INT_MAX : (int32_t)ns->msg_hdrs;
			mi.msgtql = ns->msg_bytes > INT_MAX ? INT_MAX : (int32_t)ns->msg_bytes;
		} else {
			mi.msgmap = 16384;		   /* MSGMAP = MSGMNB */
			mi.msgpool = 32000 * 16384 / 1024; /* MSGPOOL */
			mi.msgtql = 16384;		   /* MSGTQL = MSGMNB */
		}
		int max = ipc_max_idx(ns, IPC_MSG_IDS);
		vmutex_unlock(&ns->lock);
		if (task_copy_out(t, buf, &mi, sizeof(mi)))
			return -EFAULT;
		return max < 0 ? 0 : max;
	}
	case K_IPC_STAT:
	case K_MSG_STAT:
	case K_MSG_STAT_ANY: {
		vmutex_lock(&ns->lock);
		struct ipc_obj *o = NULL;
		r = ipc_stat_find(ns, IPC_MSG_IDS, id, cmd == K_IPC_STAT, cmd == K_MSG_STAT_ANY,
				  t->creds, &o);
		struct msg_queue *q = (struct msg_queue *)o;
		if (r == 0) {
			memset(&ds, 0, sizeof(ds));
			ipc_fill_perm(&q->perm, &ds.perm);
			ds.stime = q->stime;
			ds.rtime = q->rtime;
			ds.ctime = q->perm.ctime;
			ds.cbytes = q->cbytes;
			ds.qnum = q->qnum;
			ds.qbytes = q->qbytes;
			ds.lspid = q->lspid;
			ds.lrpid = q->lrpid;
			r = cmd == K_IPC_STAT ? 0 : ipc_obj_id(&q->perm);
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
	case K_IPC_RMID: {
		bool resource = creds_capable(t->creds, CAP_SYS_RESOURCE_NR);
		vmutex_lock(&ns->lock);
		struct msg_queue *q = (struct msg_queue *)ipc_find_id(ns, IPC_MSG_IDS, id);
		if (!q) {
			r = -EINVAL;
		} else if (!ipc_owner_ok(&q->perm, t->creds)) {
			r = -EPERM;
		} else if (cmd == K_IPC_RMID) {
			freeque(ns, q);
		} else if (ds.qbytes > (uint64_t)ns->msg_ctlmnb && !resource) {
			r = -EPERM; /* as Linux: past msgmnb needs CAP_SYS_RESOURCE */
		} else {
			ipc_set_perm(&q->perm, &ds.perm);
			q->qbytes = ds.qbytes;
			q->perm.ctime = ipc_now();
			waitq_notify(&q->wq, ~0u); /* senders may fit now */
		}
		vmutex_unlock(&ns->lock);
		return r;
	}
	default:
		return -EINVAL;
	}
}

void ipc_msg_proc_rows(struct ipc_ns *ns, FILE *f)
{
	struct ipc_ids *ids = &ns->ids[IPC_MSG_IDS];
	for (int i = 0; i < ids->cap; i++) {
		struct msg_queue *q = (struct msg_queue *)ids->entries[i];
		if (!q)
			continue;
		fprintf(
		    f, "%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u %10llu %10llu %10llu\n",
		    q->perm.key, ipc_obj_id(&q->perm), q->perm.mode, (unsigned long)q->cbytes,
		    (unsigned long)q->qnum, (unsigned)q->lspid, (unsigned)q->lrpid, q->perm.uid,
		    q->perm.gid, q->perm.cuid, q->perm.cgid, (unsigned long long)q->stime,
		    (unsigned long long)q->rtime, (unsigned long long)q->perm.ctime);
	}
}
