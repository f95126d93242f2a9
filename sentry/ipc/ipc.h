/*
 * ipc.h — System V IPC (shared memory, semaphores, message queues), served
 * entirely in the Sentry.
 *
 * An IPC namespace (struct ipc_ns) holds the three id tables and the limits
 * of /proc/sys/kernel (shmmax, shmall, shmmni, sem, msgmax, msgmnb, msgmni).
 * The kernel owns the sandbox's first one (k->ipc, made on first use);
 * ipc_task_unshare gives a task a fresh one for unshare(CLONE_NEWIPC) (clone
 * and clone(CLONE_NEWIPC) are for the namespace code to wire in).  Ids are Linux's: seq * IPCMNI +
 * index, the lowest free index, the sequence bumped when an index at or below the last one handed
 * out is reused.
 *
 * The entry points below are the syscalls' work: they take the calling task
 * and the app's raw arguments (pointers included) and return the result or
 * -errno, as Linux's ksys_shmget & co.
 *
 * Locks: POSIX queues have their own (MQUEUE, MQUEUE_NS: mqueue.c).
 * ns->lock (LOCK_IPC_IDS) protects the tables and every object in them.
 * It is taken under mm->lock (a VMA's attachment to a segment comes and goes
 * under it) and nothing but the shm object's and memory file's locks and wait
 * queues is taken under it; it is never held across a wait or an mm call.
 */
#ifndef VISOR_SENTRY_IPC_H
#define VISOR_SENTRY_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct task;
struct kernel;
struct memfile;
struct ipc_ns;

/* A new, empty namespace with Linux's default limits (one reference). */
struct ipc_ns *ipc_ns_new(struct memfile *mf);
void ipc_ns_get(struct ipc_ns *ns);
/* The last put removes every object left (segments still attached live on
 * until their last detach). */
void ipc_ns_put(struct ipc_ns *ns);
/* For unshare(CLONE_NEWIPC): *ns (a reference the caller holds) is put and
 * replaced by a new namespace; 0 or -ENOMEM. */
int ipc_ns_unshare(struct ipc_ns **ns, struct memfile *mf);
/* unshare(CLONE_NEWIPC) for t (its own thread): t's SEM_UNDO list is
 * applied and dropped, and t and the tasks it clones from then on work in a
 * new, empty namespace (t->ipc_ns).  0 or -ENOMEM.  Attached segments of
 * the old namespace stay attached. */
int ipc_task_unshare(struct task *t);
/* The namespace t's calls work in: t->ipc_ns once it unshared (clone
 * passes it on), else the kernel's (k->ipc, made on first use); without a
 * new reference; NULL when out of memory. */
struct ipc_ns *ipc_ns_of(struct task *t);

/* The limits of /proc/sys/kernel, by name ("shmmax", "shmall", "shmmni",
 * "sem", "msgmax", "msgmnb", "msgmni", "shm_rmid_forced"): the file's
 * text (with its newline) into buf, or a write of it (Linux's parsing:
 * -EINVAL for junk or a value out of range).  Return the length / 0 or
 * -errno; -ENOENT for an unknown name. */
int ipc_sysctl_read(struct ipc_ns *ns, const char *name, char *buf, size_t len);
int ipc_sysctl_write(struct ipc_ns *ns, const char *name, const char *buf, size_t len);

/* /proc/sysvipc/{shm,sem,msg}: the whole file as Linux prints it, in a
 * malloc'd buffer (*out, *outlen); 0 or -errno. */
int ipc_proc_show(struct ipc_ns *ns, const char *which, char **out, size_t *outlen);

/* Shared memory (shm.c). */
int64_t ipc_shmget(struct task *t, int32_t key, uint64_t size, int flags);
int64_t ipc_shmat(struct task *t, int id, uint64_t addr, int flags);
int64_t ipc_shmdt(struct task *t, uint64_t addr);
int64_t ipc_shmctl(struct task *t, int id, int cmd, uint64_t buf);

/* Semaphores (sem.c).  timeout: NULL or an app struct timespec (semtimedop). */
int64_t ipc_semget(struct task *t, int32_t key, int nsems, int flags);
int64_t ipc_semtimedop(struct task *t, int id, uint64_t sops, uint64_t nsops, uint64_t timeout);
int64_t ipc_semctl(struct task *t, int id, int semnum, int cmd, uint64_t arg);

/* Message queues (msg.c). */
int64_t ipc_msgget(struct task *t, int32_t key, int flags);
int64_t ipc_msgsnd(struct task *t, int id, uint64_t msgp, uint64_t msgsz, int flags);
int64_t ipc_msgrcv(struct task *t, int id, uint64_t msgp, uint64_t msgsz, int64_t msgtyp,
		   int flags);
int64_t ipc_msgctl(struct task *t, int id, int cmd, uint64_t buf);

/* POSIX message queues (mqueue.c): the syscalls' work, with the app's raw
 * arguments (a name without its leading '/', as glibc passes it). */
int64_t ipc_mq_open(struct task *t, uint64_t uname, int oflag, uint32_t mode, uint64_t uattr);
int64_t ipc_mq_unlink(struct task *t, uint64_t uname);
int64_t ipc_mq_timedsend(struct task *t, int fd, uint64_t uptr, uint64_t len, uint32_t prio,
			 uint64_t uts);
int64_t ipc_mq_timedreceive(struct task *t, int fd, uint64_t uptr, uint64_t len, uint64_t uprio,
			    uint64_t uts);
int64_t ipc_mq_notify(struct task *t, int fd, uint64_t usev);
int64_t ipc_mq_getsetattr(struct task *t, int fd, uint64_t unew, uint64_t uold);
/* For the mqueue file system: t's namespace's queue names (emit returns
 * nonzero to stop), and one queue's file line and owner (-ENOENT). */
int ipc_mq_list(struct task *t, int (*emit)(void *ctx, const char *name), void *ctx);
/* unlink(2) in the mqueue mount, whose permissions the VFS checked. */
int ipc_mq_remove_checked(struct task *t, const char *name);
int ipc_mq_describe(struct task *t, const char *name, char *buf, size_t len, uint32_t *mode,
		    uint32_t *uid, uint32_t *gid);
/* /proc/sys/fs/mqueue: queues_max, msg_max, msgsize_max, msg_default,
 * msgsize_default (as ipc_sysctl_read/write). */
int ipc_mq_sysctl_read(struct ipc_ns *ns, const char *name, char *buf, size_t len);
int ipc_mq_sysctl_write(struct ipc_ns *ns, const char *name, const char *buf, size_t len);

/* SEM_UNDO lists (sem.c), one per task or shared by CLONE_SYSVSEM tasks:
 * clone shares the parent's (made then if absent) with CLONE_SYSVSEM, else
 * the child starts with none; a task's exit puts its own, and the last put
 * applies the adjustments. */
struct sem_undo_list;
struct sem_undo_list *ipc_undo_share(struct task *parent);
void ipc_undo_put(struct sem_undo_list *ul);

#endif
