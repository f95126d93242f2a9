/*
 * ipc_internal.h — shared by the files of sentry/ipc/ only: the namespace,
 * the id tables, the object header every segment, array and queue starts
 * with, and the Linux ABI structures they copy out.
 */
#ifndef VISOR_SENTRY_IPC_INTERNAL_H
#define VISOR_SENTRY_IPC_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/lockdep.h"
#include "sentry/ipc/ipc.h"

struct creds;
struct mq_ns;

#define IPCMNI 32768 /* ids are seq * IPCMNI + index */
#define IPC_SEQ_MAX (INT32_MAX / IPCMNI)

/* Linux's command and flag values (linux/ipc.h, linux/shm.h ...). */
#define K_IPC_CREAT 01000
#define K_IPC_EXCL 02000
#define K_IPC_NOWAIT 04000
#define K_IPC_RMID 0
#define K_IPC_SET 1
#define K_IPC_STAT 2
#define K_IPC_INFO 3

/* struct ipc64_perm, x86-64 (48 bytes). */
struct k_ipc64_perm {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode;
	uint16_t seq, pad2;
	uint64_t unused1, unused2;
};
static_assert(sizeof(struct k_ipc64_perm) == 48, "ipc64_perm");

/* The header of every IPC object; under ns->lock. */
struct ipc_obj {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode; /* S_IRWXUGO and the type's flags (SHM_DEST...) */
	int seq, idx;
	bool deleted; /* out of the table (IPC_RMID done) */
	int64_t ctime;
};

enum { IPC_SHM_IDS, IPC_SEM_IDS, IPC_MSG_IDS, IPC_NR_IDS };

struct ipc_ids {
	struct ipc_obj **entries; /* by index, NULL when free */
	int cap;
	int in_use;
	int seq, last_idx;
};

struct ipc_ns {
	struct vmutex lock; /* the tables and every object in them */
	int refs;	    /* atomic */
	struct memfile *mf;
	struct ipc_ids ids[IPC_NR_IDS];
	/* /proc/sys/kernel */
	uint64_t shm_ctlmax, shm_ctlall;
	int shm_ctlmni;
	int shm_rmid_forced;
	uint64_t shm_tot; /* pages of all segments */
	struct ipc_locked {
		uint32_t uid;
		uint64_t pages;
	} * shm_locked; /* SHM_LOCK'ed pages per user */
	int nshm_locked;
	int sem_ctls[4]; /* SEMMSL SEMMNS SEMOPM SEMMNI */
	int used_sems;
	int msg_ctlmax, msg_ctlmnb, msg_ctlmni;
	uint64_t msg_bytes, msg_hdrs;
	struct mq_ns *mq; /* POSIX message queues (mqueue.c), its own locks */
};

/* The object's id. */
static inline int ipc_obj_id(const struct ipc_obj *o) { return o->seq * IPCMNI + o->idx; }
int64_t ipc_now(void);

/* Under ns->lock.  The object with key in table i, or NULL. */
struct ipc_obj *ipc_find_key(struct ipc_ns *ns, int i, int32_t key);
/* The object with id (EINVAL: no such id; as Linux's ipc_obtain_object_check). */
struct ipc_obj *ipc_find_id(struct ipc_ns *ns, int i, int id);
/* The object at index idx (*_STAT), or NULL. */
struct ipc_obj *ipc_find_idx(struct ipc_ns *ns, int i, int idx);
/* Enter o in table i, limit objects at most: fills seq/idx, key, owners
 * and mode (flags & 0777) from the creds; -ENOSPC. */
int ipc_add(struct ipc_ns *ns, int i, struct ipc_obj *o, int limit, int32_t key, int flags,
	    const struct creds *c);
void ipc_remove(struct ipc_ns *ns, int i, struct ipc_obj *o);
/* The highest index in use, -1 when none (*_INFO's return). */
int ipc_max_idx(struct ipc_ns *ns, int i);

/* Linux's ipcperms: may c access o for flag's rwx bits (S_IRUGO,
 * S_IWUGO...)?  false: EACCES. */
bool ipc_perm_ok(const struct ipc_obj *o, const struct creds *c, int flag);
/* Under ns->lock: the object an IPC_STAT (by_id: id is an id) or a
 * *_STAT / *_STAT_ANY (id is an index) names in table i, into *out, with
 * the read permission checked unless any (*_STAT_ANY): 0, -EINVAL (none)
 * or -EACCES. */
int ipc_stat_find(struct ipc_ns *ns, int i, int id, bool by_id, bool any, const struct creds *c,
		  struct ipc_obj **out);
/* May c change or remove o (owner, creator or CAP_SYS_ADMIN)?  false: EPERM. */
bool ipc_owner_ok(const struct ipc_obj *o, const struct creds *c);
void ipc_fill_perm(const struct ipc_obj *o, struct k_ipc64_perm *p);
/* IPC_SET's change of owners and mode from p; the caller checked. */
void ipc_set_perm(struct ipc_obj *o, const struct k_ipc64_perm *p);

/* /proc/sysvipc rows, under ns->lock (ipc_proc_show). */
#include <stdio.h>
void ipc_shm_proc_rows(struct ipc_ns *ns, FILE *f);
void ipc_sem_proc_rows(struct ipc_ns *ns, FILE *f);
void ipc_msg_proc_rows(struct ipc_ns *ns, FILE *f);

/* The POSIX queues of a namespace (mqueue.c). */
struct mq_ns *ipc_mq_ns_new(void);
void ipc_mq_ns_free(struct mq_ns *m);

/* Each type's part of the namespace's last put: free what is left. */
void ipc_shm_free_all(struct ipc_ns *ns);
void ipc_sem_free_all(struct ipc_ns *ns);
void ipc_msg_free_all(struct ipc_ns *ns);

#endif
