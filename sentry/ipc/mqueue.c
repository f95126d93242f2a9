/*
 * mqueue.c — POSIX message queues: mq_open, mq_unlink, mq_timedsend,
 * mq_timedreceive, mq_notify, mq_getsetattr, and the queue files their
 * descriptors are.
 *
 * Each IPC namespace has a table of queues by name (struct mq_ns, its lock
 * MQUEUE_NS) and the limits of /proc/sys/fs/mqueue.  A queue (its lock
 * MQUEUE) keeps its messages by priority, highest first and FIFO within one
 * priority; it lives while it has a name or an open file.  Senders and
 * receivers that must wait sleep on its wait queue (every change wakes them
 * to try again): O_NONBLOCK gives EAGAIN, the absolute CLOCK_REALTIME
 * timeout ETIMEDOUT, a signal -ERESTARTSYS (Linux's wq_sleep).  A read of
 * the descriptor gives Linux's "QSIZE:... NOTIFY:... SIGNO:...
 * NOTIFY_PID:..." line; poll reports POLLIN when a message is there, POLLOUT
 * when there is room.  mq_notify's signal goes to the registered process
 * when a message arrives in an empty queue that nobody is receiving from.
 *
 * No lock here is held across a wait, a copy from or to app memory or a
 * signal send; the queue lock and the table lock are never nested.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/ipc/ipc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/resource.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/vfs/vfs.h"

#define MQ_PRIO_MAX 32768
#define HARD_MSGMAX 65536
#define HARD_MSGSIZEMAX (16 * 1024 * 1024)
#define MQ_NAME_MAX 255
#define CAP_DAC_OVERRIDE_NR 1
#define CAP_FOWNER_NR 3
#define CAP_SYS_RESOURCE_NR 24
#define K_SIGEV_SIGNAL 0
#define K_SIGEV_NONE 1
#define K_SIGEV_THREAD 2
#define K_SI_MESGQ (-3)

struct k_mq_attr {
	int64_t mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs;
	int64_t reserved[4];
};

struct k_sigevent_head {
	uint64_t value;
	int32_t signo;
	int32_t notify;
};

struct mq_msg {
	struct mq_msg *next;
	uint32_t prio;
	size_t len;
	char data[];
};

struct mqueue {
	struct vmutex lock; /* everything below but refs */
	int refs;	    /* atomic: the name and each open file */
	char name[MQ_NAME_MAX + 1];
	uint32_t mode, uid, gid;
	int64_t maxmsg, msgsize, curmsgs;
	uint64_t qsize;	     /* bytes of the messages, QSIZE */
	struct mq_msg *head; /* highest priority first */
	int receivers;	     /* tasks waiting to receive */
	struct waitq wq;
	/* mq_notify: the registered process (0: none) and what it asked. */
	int notify_pid;
	struct k_sigevent_head notify;
	struct kernel *k;
	struct mqueue *next; /* in the table, under mq_ns->lock */
	bool linked;
	uint32_t charged_uid; /* RLIMIT_MSGQUEUE: charge_bytes to this user */
	uint64_t charge_bytes;
};

/* The bytes of queues one user has (RLIMIT_MSGQUEUE). */
struct mq_user {
	uint32_t uid;
	uint64_t bytes;
};

struct mq_ns {
	struct vmutex lock; /* the table and the limits */
	struct mqueue *queues;
	int count;
	struct mq_user *users;
	int nusers;
	int queues_max, msg_max, msgsize_max, msg_default, msgsize_default;
};

/* ---- the namespace's part ---- */

struct mq_ns *ipc_mq_ns_new(void)
{
	struct mq_ns *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	vmutex_init(&m->lock, LOCK_CLASS(MQUEUE_NS));
	m->queues_max = 256;
	m->msg_max = 10;
	m->msgsize_max = 8192;
	m->msg_default = 10;
	m->msgsize_default = 8192;
	return m;
}

static void mq_get(struct mqueue *q) { __atomic_add_fetch(&q->refs, 1, __ATOMIC_RELAXED); }

static void mq_put(struct mqueue *q)
{
	if (__atomic_sub_fetch(&q->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	while (q->head) {
		struct mq_msg *m = q->head;
		q->head = m->next;
		free(m);
	}
	waitq_destroy(&q->wq);
	vmutex_destroy(&q->lock);
	free(q);
}

void ipc_mq_ns_free(struct mq_ns *m)
{
	if (!m)
		return;
	while (m->queues) {
		struct mqueue *q = m->queues;
		m->queues = q->next;
		q->linked = false;
		mq_put(q);
	}
	free(m->users);
	vmutex_destroy(&m->lock);
	free(m);
}

static struct mq_ns *mq_ns_of(struct task *t)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	return ns ? ns->mq : NULL;
}

/* Under m->lock. */
static struct mqueue *find_locked(struct mq_ns *m, const char *name)
{
	for (struct mqueue *q = m->queues; q; q = q->next)
		if (!strcmp(q->name, name))
			return q;
	return NULL;
}

/* ---- sysctls (/proc/sys/fs/mqueue) ---- */

struct mq_ctl {
	const char *name;
	size_t off;
	int min, max;
};

static const struct mq_ctl mq_ctls[] = {
    {"queues_max", offsetof(struct mq_ns, queues_max), 0, INT32_MAX},
    {"msg_max", offsetof(struct mq_ns, msg_max), 1, HARD_MSGMAX},
    {"msgsize_max", offsetof(struct mq_ns, msgsize_max), 128, HARD_MSGSIZEMAX},
    {"msg_default", offsetof(struct mq_ns, msg_default), 1, HARD_MSGMAX},
    {"msgsize_default", offsetof(struct mq_ns, msgsize_default), 128, HARD_MSGSIZEMAX},
};

int ipc_mq_sysctl_read(struct ipc_ns *ns, const char *name, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(mq_ctls) / sizeof(mq_ctls[0]); i++) {
		if (strcmp(name, mq_ctls[i].name))
			continue;
		vmutex_lock(&ns->mq->lock);
		int v = *(int *)((char *)ns->mq + mq_ctls[i].off);
		vmutex_unlock(&ns->mq->lock);
		int n = snprintf(buf, len, "%d\n", v);
		return n >= (int)len ? (int)len - 1 : n;
	}
	return -ENOENT;
}

int ipc_mq_sysctl_write(struct ipc_ns *ns, const char *name, const char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(mq_ctls) / sizeof(mq_ctls[0]); i++) {
		if (strcmp(name, mq_ctls[i].name))
			continue;
		char tmp[32];
		if (len >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, buf, len);
		tmp[len] = 0;
		char *end;
		errno = 0;
		long v = strtol(tmp, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\n')
			end++;
		if (end == tmp || *end || errno || v < mq_ctls[i].min || v > mq_ctls[i].max)
			return -EINVAL;
		vmutex_lock(&ns->mq->lock);
		*(int *)((char *)ns->mq + mq_ctls[i].off) = (int)v;
		vmutex_unlock(&ns->mq->lock);
		return 0;
	}
	return -ENOENT;
}

/* ---- the mqueue file system's view ---- */

int ipc_mq_list(struct task *t, int (*emit)(void *ctx, const char *name), void *ctx)
{
	struct mq_ns *m = mq_ns_of(t);
	if (!m)
		return -ENOMEM;
	/* Copy the names: emit may do anything. */
	vmutex_lock(&m->lock);
	int n = m->count;
	char(*names)[MQ_NAME_MAX + 1] = calloc((size_t)(n ? n : 1), sizeof(*names));
	int i = 0;
	for (struct mqueue *q = m->queues; q && names && i < n; q = q->next)
		memcpy(names[i++], q->name, sizeof(names[0]));
	vmutex_unlock(&m->lock);
	if (!names)
		return -ENOMEM;
	for (int j = 0; j < i; j++)
		if (emit(ctx, names[j]))
			break;
	free(names);
	return 0;
}

/* Linux's mqueue_read_file line. */
static int describe_locked(struct mqueue *q, char *buf, size_t len)
{
	return snprintf(buf, len, "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
			(unsigned long)q->qsize, q->notify_pid ? q->notify.notify : 0,
			q->notify_pid && q->notify.notify == K_SIGEV_SIGNAL ? q->notify.signo : 0,
			q->notify_pid);
}

int ipc_mq_describe(struct task *t, const char *name, char *buf, size_t len, uint32_t *mode,
		    uint32_t *uid, uint32_t *gid)
{
	struct mq_ns *m = mq_ns_of(t);
	if (!m)
		return -ENOMEM;
	vmutex_lock(&m->lock);
	struct mqueue *q = find_locked(m, name);
	if (q)
		mq_get(q);
	vmutex_unlock(&m->lock);
	if (!q)
		return -ENOENT;
	vmutex_lock(&q->lock);
	int n = describe_locked(q, buf, len);
	*mode = q->mode;
	*uid = q->uid;
	*gid = q->gid;
	vmutex_unlock(&q->lock);
	mq_put(q);
	return n;
}

/* ---- queue files ---- */

static struct mqueue *Q(struct file *f) { return f->priv; }

static ssize_t mqf_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct mqueue *q = Q(f);
	char line[128];
	vmutex_lock(&q->lock);
	int n = describe_locked(q, line, sizeof(line));
	vmutex_unlock(&q->lock);
	if (*pos >= (uint64_t)n)
		return 0;
	size_t k = (size_t)n - *pos < len ? (size_t)n - *pos : len;
	memcpy(buf, line + *pos, k);
	*pos += k;
	return (ssize_t)k;
}

static uint32_t mqf_poll(struct file *f, struct poll_entry *pe)
{
	struct mqueue *q = Q(f);
	poll_wait(pe, &q->wq);
	vmutex_lock(&q->lock);
	uint32_t m = 0;
	if (q->curmsgs)
		m |= POLLIN | POLLRDNORM;
	if (q->curmsgs < q->maxmsg)
		m |= POLLOUT | POLLWRNORM;
	vmutex_unlock(&q->lock);
	return m;
}

static void mqf_release(struct file *f)
{
	struct mqueue *q = Q(f);
	/* As Linux's mqueue_flush_file: the registered process's close ends
	 * its registration. */
	int pid = current && current->tg ? current->tg->tgid : 0;
	vmutex_lock(&q->lock);
	if (q->notify_pid && q->notify_pid == pid)
		q->notify_pid = 0;
	vmutex_unlock(&q->lock);
	mq_put(q);
}

static int mqf_stat(struct file *f, struct stat *st)
{
	struct mqueue *q = Q(f);
	memset(st, 0, sizeof(*st));
	vmutex_lock(&q->lock);
	st->st_mode = S_IFREG | q->mode;
	st->st_uid = q->uid;
	st->st_gid = q->gid;
	vmutex_unlock(&q->lock);
	st->st_nlink = 1;
	st->st_size = 80; /* Linux's FILENT_SIZE */
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops mq_fops = {
    .read = mqf_read,
    .poll = mqf_poll,
    .release = mqf_release,
    .stat = mqf_stat,
};

/* The queue behind fd, with a reference (mq_put), or NULL (EBADF: not a
 * queue); *flags gets the file's status flags. */
static struct mqueue *mq_of_fd(struct task *t, int fd, int *flags)
{
	struct file *f = fdt_get_file(t->fdt, fd);
	if (!f)
		return NULL;
	struct mqueue *q = NULL;
	if (f->ops == &mq_fops) {
		q = Q(f);
		mq_get(q);
		*flags = file_get_flags(f);
	}
	file_put(f);
	return q;
}

/* ---- mq_open, mq_unlink ---- */

/* Under m->lock: the user's byte count, made if absent (NULL: no memory). */
static struct mq_user *user_of(struct mq_ns *m, uint32_t uid)
{
	for (int i = 0; i < m->nusers; i++)
		if (m->users[i].uid == uid)
			return &m->users[i];
	struct mq_user *u = realloc(m->users, (size_t)(m->nusers + 1) * sizeof(*u));
	if (!u)
		return NULL;
	m->users = u;
	u[m->nusers] = (struct mq_user){uid, 0};
	return &u[m->nusers++];
}

/* Under m->lock: a queue leaves the table; its charge goes.  (Linux
 * uncharges when the unlinked queue's last descriptor closes.) */
static void uncharge(struct mq_ns *m, struct mqueue *q)
{
	struct mq_user *u = user_of(m, q->charged_uid);
	if (u)
		u->bytes -= q->charge_bytes;
}

static int name_in(struct task *t, uint64_t uname, char *name)
{
	char buf[4096];
	ssize_t n = task_copy_string_in(t, buf, uname, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* As Linux's lookup_one_len: no '/', not empty, not "." or "..". */
	if (n == 0 || strchr(buf, '/') || !strcmp(buf, ".") || !strcmp(buf, ".."))
		return n == 0 ? -ENOENT : -EACCES;
	if (n > MQ_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, buf, (size_t)n + 1);
	return 0;
}

static bool mq_perm_ok(const struct mqueue *q, const struct creds *c, int want /* 4 r, 2 w */)
{
	uint32_t m = q->mode;
	if (c->fsuid == q->uid)
		m >>= 6;
	else if (creds_in_group(c, q->gid))
		m >>= 3;
	if ((want & ~m & 7) == 0)
		return true;
	return creds_capable(c, CAP_DAC_OVERRIDE_NR);
}

static uint32_t umask_of(struct task *t)
{
	if (!t->fs)
		return 022;
	vmutex_lock(&t->fs->lock);
	uint32_t u = t->fs->umask;
	vmutex_unlock(&t->fs->lock);
	return u;
}

int64_t ipc_mq_open(struct task *t, uint64_t uname, int oflag, uint32_t mode, uint64_t uattr)
{
	struct mq_ns *m = mq_ns_of(t);
	if (!m)
		return -ENOMEM;
	char name[MQ_NAME_MAX + 1];
	int r = name_in(t, uname, name);
	if (r)
		return r;
	struct k_mq_attr attr;
	bool have_attr = false;
	if ((oflag & O_CREAT) && uattr) {
		if (task_copy_in(t, &attr, uattr, sizeof(attr)))
			return -EFAULT;
		have_attr = true;
	}
	/* O_ACCMODE (3) is refused for an existing queue; a queue created so
	 * is opened for neither reading nor writing (Linux's prepare_open). */
	int acc = oflag & O_ACCMODE;
	int want = acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6;
	bool resource = creds_capable(t->creds, CAP_SYS_RESOURCE_NR);
	uint32_t umask = umask_of(t);
	/* Read before the lock: the rlimits are under the siglock. */
	struct rlimit rl = tg_get_rlimit(t->tg, RLIMIT_MSGQUEUE);

	vmutex_lock(&m->lock);
	struct mqueue *q = find_locked(m, name);
	if (q) {
		if ((oflag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
			r = -EEXIST;
		else if (acc == O_ACCMODE)
			r = -EINVAL;
		else if (!mq_perm_ok(q, t->creds, want))
			r = -EACCES;
		else
			mq_get(q);
	} else if (!(oflag & O_CREAT)) {
		r = -ENOENT;
	} else {
		int64_t maxmsg = m->msg_default < m->msg_max ? m->msg_default : m->msg_max;
		int64_t msgsize =
		    m->msgsize_default < m->msgsize_max ? m->msgsize_default : m->msgsize_max;
		/* As Linux's mq_attr_ok. */
		if (have_attr) {
			if (attr.mq_maxmsg <= 0 || attr.mq_msgsize <= 0)
				r = -EINVAL;
			else if (!resource &&
				 (attr.mq_maxmsg > m->msg_max || attr.mq_msgsize > m->msgsize_max))
				r = -EINVAL;
			else if (attr.mq_maxmsg > HARD_MSGMAX || attr.mq_msgsize > HARD_MSGSIZEMAX)
				r = -EINVAL;
			maxmsg = attr.mq_maxmsg;
			msgsize = attr.mq_msgsize;
		}
		/* As Linux's mqueue_get_inode: the queue's size, its message
		 * headers (struct msg_msg, 48 bytes) and priority-tree nodes (48)
		 * included, is charged to the creator's real uid against
		 * RLIMIT_MSGQUEUE (EMFILE); queues_max holds without
		 * CAP_SYS_RESOURCE (ENOSPC). */
		uint64_t bytes = 0;
		struct mq_user *u = NULL;
		if (!r) {
			int64_t tree =
			    maxmsg * 48 + (maxmsg < MQ_PRIO_MAX ? maxmsg : MQ_PRIO_MAX) * 48;
			bytes = (uint64_t)tree + (uint64_t)maxmsg * (uint64_t)msgsize;
			u = user_of(m, t->creds->ruid);
			if (!u)
				r = -ENOMEM;
			else if (u->bytes + bytes < u->bytes ||
				 (rl.rlim_cur != RLIM_INFINITY && u->bytes + bytes > rl.rlim_cur))
				r = -EMFILE;
		}
		if (!r && m->count >= m->queues_max && !resource)
			r = -ENOSPC;
		if (!r && !(q = calloc(1, sizeof(*q))))
			r = -ENOMEM;
		if (!r) {
			vmutex_init(&q->lock, LOCK_CLASS(MQUEUE));
			waitq_init(&q->wq);
			q->refs = 2; /* the name and the file */
			strcpy(q->name, name);
			q->mode = mode & ~umask & 0777;
			q->uid = t->creds->fsuid;
			q->gid = t->creds->fsgid;
			q->maxmsg = maxmsg;
			q->msgsize = msgsize;
			q->k = t->k;
			q->linked = true;
			q->charged_uid = t->creds->ruid;
			q->charge_bytes = bytes;
			u->bytes += bytes;
			q->next = m->queues;
			m->queues = q;
			m->count++;
		}
	}
	vmutex_unlock(&m->lock);
	if (r)
		return r;
	struct file *f = file_new_anon(&mq_fops, NULL, acc | (oflag & O_NONBLOCK), q);
	if (!f) {
		mq_put(q);
		return -ENOMEM;
	}
	f->anon_name = malloc(strlen(name) + 2);
	if (f->anon_name)
		sprintf(f->anon_name, "/%s", name);
	int fd = fdt_install(t->fdt, f, (oflag & O_CLOEXEC) ? FD_CLOEXEC : 0, 0);
	file_put(f);
	return fd;
}

/* Take name out of t's namespace; check: the mq_unlink permission rule. */
static int mq_remove(struct task *t, const char *name, bool check)
{
	struct mq_ns *m = mq_ns_of(t);
	if (!m)
		return -ENOMEM;
	int r = 0;
	vmutex_lock(&m->lock);
	struct mqueue **pp = &m->queues, *q = NULL;
	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	q = *pp;
	if (!q) {
		r = -ENOENT;
	} else if (check && t->creds->fsuid != q->uid && !creds_capable(t->creds, CAP_FOWNER_NR)) {
		r = -EPERM; /* the mqueue root is sticky (01777), as Linux's may_delete */
	} else {
		*pp = q->next;
		q->linked = false;
		m->count--;
		uncharge(m, q);
	}
	vmutex_unlock(&m->lock);
	if (!r)
		mq_put(q);
	return r;
}

int64_t ipc_mq_unlink(struct task *t, uint64_t uname)
{
	char name[MQ_NAME_MAX + 1];
	int r = name_in(t, uname, name);
	return r ? r : mq_remove(t, name, true);
}

int ipc_mq_remove_checked(struct task *t, const char *name)
{
	return t ? mq_remove(t, name, false) : -EPERM;
}

/* ---- send, receive ---- */

/* The CLOCK_MONOTONIC deadline of an absolute CLOCK_REALTIME timeout at
 * uts (0: none); 0, -EFAULT or -EINVAL. */
static int timeout_in(struct task *t, uint64_t uts, struct timespec *dl, bool *has)
{
	*has = false;
	if (!uts)
		return 0;
	struct timespec ts, now_r, now_m;
	if (task_copy_in(t, &ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &now_r);
	clock_gettime(CLOCK_MONOTONIC, &now_m);
	int64_t left = (ts.tv_sec - now_r.tv_sec) * 1000000000LL + (ts.tv_nsec - now_r.tv_nsec);
	if (left < 0)
		left = 0;
	int64_t at = now_m.tv_sec * 1000000000LL + now_m.tv_nsec + left;
	dl->tv_sec = at / 1000000000LL;
	dl->tv_nsec = at % 1000000000LL;
	*has = true;
	return 0;
}

static bool passed(const struct timespec *dl)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > dl->tv_sec || (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

/* Under q->lock: wait for a change.  0 to try again, or -ETIMEDOUT,
 * -ERESTARTSYS; the lock is dropped meanwhile. */
static int mq_wait(struct mqueue *q, struct task *t, const struct timespec *dl)
{
	if (dl && passed(dl))
		return -ETIMEDOUT;
	struct waiter w;
	task_waiter_init(&w, t, ~0u);
	waitq_add(&q->wq, &w);
	vmutex_unlock(&q->lock);
	int b = task_block(t, dl);
	vmutex_lock(&q->lock);
	waitq_remove(&q->wq, &w);
	if (b == -EINTR)
		return -ERESTARTSYS;
	return 0;
}

int64_t ipc_mq_timedsend(struct task *t, int fd, uint64_t uptr, uint64_t len, uint32_t prio,
			 uint64_t uts)
{
	struct timespec dl;
	bool has_dl;
	int r = timeout_in(t, uts, &dl, &has_dl);
	if (r)
		return r;
	if (prio >= MQ_PRIO_MAX)
		return -EINVAL;
	int flags;
	struct mqueue *q = mq_of_fd(t, fd, &flags);
	if (!q)
		return -EBADF;
	if ((flags & O_ACCMODE) != O_WRONLY && (flags & O_ACCMODE) != O_RDWR) {
		mq_put(q);
		return -EBADF;
	}
	vmutex_lock(&q->lock);
	int64_t msgsize = q->msgsize;
	vmutex_unlock(&q->lock);
	if (len > (uint64_t)msgsize) {
		mq_put(q);
		return -EMSGSIZE;
	}
	struct mq_msg *msg = malloc(sizeof(*msg) + len);
	if (!msg) {
		mq_put(q);
		return -ENOMEM;
	}
	msg->prio = prio;
	msg->len = len;
	if (task_copy_in(t, msg->data, uptr, len)) {
		free(msg);
		mq_put(q);
		return -EFAULT;
	}
	struct k_sigevent_head ev = {0};
	int notify_pid = 0;
	vmutex_lock(&q->lock);
	while (q->curmsgs >= q->maxmsg) {
		if (flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		r = mq_wait(q, t, has_dl ? &dl : NULL);
		if (r)
			break;
	}
	if (!r) {
		struct mq_msg **pp = &q->head;
		while (*pp && (*pp)->prio >= prio)
			pp = &(*pp)->next;
		msg->next = *pp;
		*pp = msg;
		msg = NULL;
		q->curmsgs++;
		q->qsize += len;
		/* As Linux's __do_notify: into an empty queue nobody waits on. */
		if (q->curmsgs == 1 && q->notify_pid && !q->receivers) {
			ev = q->notify;
			notify_pid = q->notify_pid;
			q->notify_pid = 0;
		}
		waitq_notify(&q->wq, POLLIN | POLLRDNORM);
	}
	vmutex_unlock(&q->lock);
	free(msg);
	if (notify_pid && ev.notify == K_SIGEV_SIGNAL && ev.signo) {
		struct thread_group *tg = kernel_get_tg(q->k, notify_pid);
		if (tg) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			si.si_signo = ev.signo;
			si.si_code = K_SI_MESGQ;
			si.si_pid = t->tg->tgid;
			si.si_uid = t->creds->ruid;
			si.si_value.sival_ptr = (void *)(uintptr_t)ev.value;
			tg_signal_send(tg, &si);
			tg_put(tg);
		}
	}
	mq_put(q);
	return r;
}

int64_t ipc_mq_timedreceive(struct task *t, int fd, uint64_t uptr, uint64_t len, uint64_t uprio,
			    uint64_t uts)
{
	struct timespec dl;
	bool has_dl;
	int r = timeout_in(t, uts, &dl, &has_dl);
	if (r)
		return r;
	int flags;
	struct mqueue *q = mq_of_fd(t, fd, &flags);
	if (!q)
		return -EBADF;
	if ((flags & O_ACCMODE) != O_RDONLY && (flags & O_ACCMODE) != O_RDWR) {
		mq_put(q);
		return -EBADF;
	}
	struct mq_msg *msg = NULL;
	vmutex_lock(&q->lock);
	if (len < (uint64_t)q->msgsize)
		r = -EMSGSIZE;
	while (!r && !q->curmsgs) {
		if (flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		q->receivers++;
		r = mq_wait(q, t, has_dl ? &dl : NULL);
		q->receivers--;
	}
	if (!r) {
		msg = q->head;
		q->head = msg->next;
		q->curmsgs--;
		q->qsize -= msg->len;
		waitq_notify(&q->wq, POLLOUT | POLLWRNORM);
	}
	vmutex_unlock(&q->lock);
	mq_put(q);
	if (!msg)
		return r;
	int64_t ret = (int64_t)msg->len;
	uint32_t prio = msg->prio;
	if (task_copy_out(t, uptr, msg->data, msg->len) ||
	    (uprio && task_copy_out(t, uprio, &prio, sizeof(prio))))
		ret = -EFAULT;
	free(msg);
	return ret;
}

/* ---- mq_notify, mq_getsetattr ---- */

int64_t ipc_mq_notify(struct task *t, int fd, uint64_t usev)
{
	struct k_sigevent_head ev;
	if (usev) {
		if (task_copy_in(t, &ev, usev, sizeof(ev)))
			return -EFAULT;
		if (ev.notify != K_SIGEV_SIGNAL && ev.notify != K_SIGEV_NONE &&
		    ev.notify != K_SIGEV_THREAD)
			return -EINVAL;
		if (ev.notify == K_SIGEV_SIGNAL && (ev.signo < 0 || ev.signo > VISOR_NSIG))
			return -EINVAL;
		if (ev.notify == K_SIGEV_THREAD) {
			/* glibc's SIGEV_THREAD passes a netlink socket in
			 * sigev_signo; the Sentry has no netlink sockets, so
			 * no descriptor can be one (Linux: EBADF for a bad fd,
			 * else ENOTSOCK / ECONNREFUSED for a non-netlink one). */
			struct file *nf = fdt_get_file(t->fdt, ev.signo);
			if (!nf)
				return -EBADF;
			file_put(nf);
			return -ECONNREFUSED;
		}
	}
	int flags;
	struct mqueue *q = mq_of_fd(t, fd, &flags);
	if (!q)
		return -EBADF;
	int pid = t->tg->tgid;
	int r = 0;
	vmutex_lock(&q->lock);
	if (!usev) {
		if (q->notify_pid == pid)
			q->notify_pid = 0;
	} else if (q->notify_pid) {
		r = -EBUSY;
	} else {
		q->notify = ev;
		q->notify_pid = pid;
	}
	vmutex_unlock(&q->lock);
	mq_put(q);
	return r;
}

int64_t ipc_mq_getsetattr(struct task *t, int fd, uint64_t unew, uint64_t uold)
{
	struct k_mq_attr nattr;
	if (unew) {
		if (task_copy_in(t, &nattr, unew, sizeof(nattr)))
			return -EFAULT;
		if (nattr.mq_flags & ~(int64_t)O_NONBLOCK)
			return -EINVAL;
	}
	struct file *f = fdt_get_file(t->fdt, fd);
	if (!f)
		return -EBADF;
	if (f->ops != &mq_fops) {
		file_put(f);
		return -EBADF;
	}
	struct mqueue *q = Q(f);
	struct k_mq_attr old = {0};
	int fl = file_get_flags(f);
	vmutex_lock(&q->lock);
	old.mq_flags = fl & O_NONBLOCK;
	old.mq_maxmsg = q->maxmsg;
	old.mq_msgsize = q->msgsize;
	old.mq_curmsgs = q->curmsgs;
	vmutex_unlock(&q->lock);
	if (unew)
		file_set_flags(f, (fl & ~O_NONBLOCK) | (int)(nattr.mq_flags & O_NONBLOCK));
	file_put(f);
	if (uold && task_copy_out(t, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
