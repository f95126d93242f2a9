/*
 * sys_seccomp.c — seccomp(2) (and its prctl(PR_SET_SECCOMP) form): argument
 * checks in Linux's order, the program copied in from app memory, then the
 * kernel's seccomp.c installs it.
 *
 * Not offered: SECCOMP_FILTER_FLAG_NEW_LISTENER (user notification), so
 * SECCOMP_RET_USER_NOTIF is reported unavailable and such a filter's action
 * fails the syscall with ENOSYS, as Linux does without a listener.
 */
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/syscall.h>

/* The flags this kernel accepts for SECCOMP_SET_MODE_FILTER. */
#define FILTER_FLAGS_KNOWN                                                                  \
	(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW | \
	 SECCOMP_FILTER_FLAG_TSYNC_ESRCH)

/* The x86-64 layout of struct sock_fprog in app memory. */
struct app_fprog {
	uint16_t len;
	uint16_t pad[3];
	uint64_t filter;
};

static int64_t set_mode_filter(struct task *t, unsigned int flags, uint64_t uargs)
{
	if (flags & ~(unsigned int)FILTER_FLAGS_KNOWN)
		return -EINVAL; /* NEW_LISTENER and WAIT_KILLABLE_RECV among them */
	struct app_fprog fp;
	if (task_copy_in(t, &fp, uargs, sizeof(fp)))
		return -EFAULT;
	if (fp.len == 0 || fp.len > SECCOMP_MAX_PROG_INSNS)
		return -EINVAL;
	/* As Linux: without no_new_privs, only CAP_SYS_ADMIN may filter. */
	const struct creds *c = t->creds;
	if (!c->no_new_privs && !creds_capable(c, CAP_SYS_ADMIN))
		return -EACCES;
	struct sock_filter *prog = malloc(fp.len * sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	int64_t r;
	if (task_copy_in(t, prog, fp.filter, fp.len * sizeof(*prog)))
		r = -EFAULT;
	else if ((r = seccomp_check_prog(prog, fp.len)) == 0)
		r = seccomp_set_filter(t, flags, prog, fp.len);
	free(prog);
	return r;
}

static int64_t get_action_avail(struct task *t, unsigned int flags, uint64_t uargs)
{
	if (flags)
		return -EINVAL;
	uint32_t action;
	if (task_copy_in(t, &action, uargs, sizeof(action)))
		return -EFAULT;
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS:
	case SECCOMP_RET_KILL_THREAD:
	case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_ALLOW:
		return 0;
	}
	return -EOPNOTSUPP; /* USER_NOTIF too: no listener can be made here */
}

static int64_t get_notif_sizes(struct task *t, unsigned int flags, uint64_t uargs)
{
	if (flags)
		return -EINVAL;
	struct seccomp_notif_sizes sz = {
		.seccomp_notif = sizeof(struct seccomp_notif),
		.seccomp_notif_resp = sizeof(struct seccomp_notif_resp),
		.seccomp_data = sizeof(struct seccomp_data),
	};
	return task_copy_out(t, uargs, &sz, sizeof(sz)) ? -EFAULT : 0;
}

int64_t seccomp_do(struct task *t, unsigned int op, unsigned int flags, uint64_t uargs)
{
	switch (op) {
	case SECCOMP_SET_MODE_STRICT:
		if (flags || uargs)
			return -EINVAL;
		return seccomp_set_strict(t);
	case SECCOMP_SET_MODE_FILTER:
		return set_mode_filter(t, flags, uargs);
	case SECCOMP_GET_ACTION_AVAIL:
		return get_action_avail(t, flags, uargs);
	case SECCOMP_GET_NOTIF_SIZES:
		return get_notif_sizes(t, flags, uargs);
	}
	return -EINVAL;
}

static int64_t sys_seccomp(struct task *t, const uint64_t a[6])
{
	return seccomp_do(t, (unsigned int)a[0], (unsigned int)a[1], a[2]);
}

const struct syscall_def sys_seccomp_defs[] = {
	{SYS_seccomp, "seccomp", sys_seccomp},
	{0},
};
