/*
 * sys_ipc.c — System V IPC syscalls: shmget, shmat, shmdt, shmctl, semget,
 * semop, semtimedop, semctl, msgget, msgsnd, msgrcv, msgctl, and the POSIX
 * message queues' mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
 * mq_notify, mq_getsetattr.  Argument
 * shapes only; the work is in sentry/ipc/.
 */
#include <sys/syscall.h>

#include "sentry/ipc/ipc.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

static int64_t sys_shmget(struct task *t, const uint64_t a[6])
{
	return ipc_shmget(t, (int32_t)a[0], a[1], (int)a[2]);
}

static int64_t sys_shmat(struct task *t, const uint64_t a[6])
{
	return ipc_shmat(t, (int)a[0], a[1], (int)a[2]);
}

static int64_t sys_shmdt(struct task *t, const uint64_t a[6]) { return ipc_shmdt(t, a[0]); }

static int64_t sys_shmctl(struct task *t, const uint64_t a[6])
{
	return ipc_shmctl(t, (int)a[0], (int)a[1], a[2]);
}

static int64_t sys_semget(struct task *t, const uint64_t a[6])
{
	return ipc_semget(t, (int32_t)a[0], (int)a[1], (int)a[2]);
}

static int64_t sys_semop(struct task *t, const uint64_t a[6])
{
	return ipc_semtimedop(t, (int)a[0], a[1], a[2], 0);
}

static int64_t sys_semtimedop(struct task *t, const uint64_t a[6])
{
	return ipc_semtimedop(t, (int)a[0], a[1], a[2], a[3]);
}

static int64_t sys_semctl(struct task *t, const uint64_t a[6])
{
	return ipc_semctl(t, (int)a[0], (int)a[1], (int)a[2], a[3]);
}

static int64_t sys_msgget(struct task *t, const uint64_t a[6])
{
	return ipc_msgget(t, (int32_t)a[0], (int)a[1]);
}

static int64_t sys_msgsnd(struct task *t, const uint64_t a[6])
{
	return ipc_msgsnd(t, (int)a[0], a[1], a[2], (int)a[3]);
}

static int64_t sys_msgrcv(struct task *t, const uint64_t a[6])
{
	return ipc_msgrcv(t, (int)a[0], a[1], a[2], (int64_t)a[3], (int)a[4]);
}

static int64_t sys_msgctl(struct task *t, const uint64_t a[6])
{
	return ipc_msgctl(t, (int)a[0], (int)a[1], a[2]);
}

static int64_t sys_mq_open(struct task *t, const uint64_t a[6])
{
	return ipc_mq_open(t, a[0], (int)a[1], (uint32_t)a[2], a[3]);
}

static int64_t sys_mq_unlink(struct task *t, const uint64_t a[6]) { return ipc_mq_unlink(t, a[0]); }

static int64_t sys_mq_timedsend(struct task *t, const uint64_t a[6])
{
	return ipc_mq_timedsend(t, (int)a[0], a[1], a[2], (uint32_t)a[3], a[4]);
}

static int64_t sys_mq_timedreceive(struct task *t, const uint64_t a[6])
{
	return ipc_mq_timedreceive(t, (int)a[0], a[1], a[2], a[3], a[4]);
}

static int64_t sys_mq_notify(struct task *t, const uint64_t a[6])
{
	return ipc_mq_notify(t, (int)a[0], a[1]);
}

static int64_t sys_mq_getsetattr(struct task *t, const uint64_t a[6])
{
	return ipc_mq_getsetattr(t, (int)a[0], a[1], a[2]);
}

const struct syscall_def sys_ipc_defs[] = {
    {SYS_shmget, "shmget", sys_shmget},
    {SYS_shmat, "shmat", sys_shmat},
    {SYS_shmdt, "shmdt", sys_shmdt},
    {SYS_shmctl, "shmctl", sys_shmctl},
    {SYS_semget, "semget", sys_semget},
    {SYS_semop, "semop", sys_semop},
    {SYS_semtimedop, "semtimedop", sys_semtimedop},
    {SYS_semctl, "semctl", sys_semctl},
    {SYS_msgget, "msgget", sys_msgget},
    {SYS_msgsnd, "msgsnd", sys_msgsnd},
    {SYS_msgrcv, "msgrcv", sys_msgrcv},
    {SYS_msgctl, "msgctl", sys_msgctl},
    {SYS_mq_open, "mq_open", sys_mq_open},
    {SYS_mq_unlink, "mq_unlink", sys_mq_unlink},
    {SYS_mq_timedsend, "mq_timedsend", sys_mq_timedsend},
    {SYS_mq_timedreceive, "mq_timedreceive", sys_mq_timedreceive},
    {SYS_mq_notify, "mq_notify", sys_mq_notify},
    {SYS_mq_getsetattr, "mq_getsetattr", sys_mq_getsetattr},
    {0},
};
