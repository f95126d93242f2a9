/*
 * sys_cred.c — user and group ids, supplementary groups, capabilities and
 * prctl(2).
 *
 * The set*id rules are Linux's (kernel/sys.c) with its capability fix-ups
 * (security/commoncap.c cap_task_fix_setuid): leaving uid 0 for all of
 * real/effective/saved drops the permitted and effective sets unless
 * keep-caps is set; leaving euid 0 drops the effective set; gaining euid 0
 * copies permitted into effective; setfsuid moves the file-system
 * capabilities with fsuid.  User namespaces are flat here: every id except
 * (uid_t)-1 is valid, and "capable" means the capability is in the effective
 * set.  RLIMIT_NPROC is not checked on uid changes.
 *
 * Every change builds new credentials and swaps them in (creds_commit);
 * credentials are never edited in place.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* CAP_CHECKPOINT_RESTORE (40) is the last capability of Linux 6.1. */
#define CRED_CAP_LAST 40
#define CRED_CAP_ALL ((1ULL << (CRED_CAP_LAST + 1)) - 1)
/* Linux's CAP_FS_MASK: the capabilities that follow fsuid. */
#define CRED_CAP_FS_MASK                                                                           \
	((1ULL << CAP_CHOWN) | (1ULL << CAP_MKNOD) | (1ULL << CAP_DAC_OVERRIDE) |                 \
	 (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_FOWNER) | (1ULL << CAP_FSETID) |            \
	 (1ULL << CAP_MAC_OVERRIDE))
#define CRED_NGROUPS_MAX 65536
#define ID_NONE 0xffffffffu /* (uid_t)-1: "leave unchanged", never a valid id */

/* Implemented in sentry/kernel/creds.c; declared here until task.h has them
 * (or struct creds gains a securebits field). */


/* Publish new credentials for t and drop the old ones.  Under tg->siglock so
 * another thread can take a reference to t->creds under that lock. */
static void creds_commit(struct task *t, struct creds *new)
{
	struct creds *old;
	if (t->tg)
		pthread_mutex_lock(&t->tg->siglock);
	old = t->creds;
	t->creds = new;
	if (t->tg)
		pthread_mutex_unlock(&t->tg->siglock);
	creds_put(old);
}

/* As cap_emulate_setxuid (LSM_SETID_ID / _RE / _RES). */
static void fix_setuid_caps(struct creds *new, const struct creds *old)
{
	bool old_root = old->ruid == 0 || old->euid == 0 || old->suid == 0;
	bool new_root = new->ruid == 0 || new->euid == 0 || new->suid == 0;
	if (old_root && !new_root && !(creds_securebits(old) & SECBIT_KEEP_CAPS)) {
		new->cap_permitted = 0;
		new->cap_effective = 0;
	}
	if (old->euid == 0 && new->euid != 0)
		new->cap_effective = 0;
	if (old->euid != 0 && new->euid == 0)
		new->cap_effective = new->cap_permitted;
}

/* As cap_task_fix_setuid(LSM_SETID_FS). */
static void fix_setfsuid_caps(struct creds *new, const struct creds *old)
{
	if (old->fsuid == 0 && new->fsuid != 0)
		new->cap_effective &= ~CRED_CAP_FS_MASK;
	if (old->fsuid != 0 && new->fsuid == 0)
		new->cap_effective |= new->cap_permitted & CRED_CAP_FS_MASK;
}

static int put_u32(struct task *t, uint64_t addr, uint32_t v)
{
	return task_copy_out(t, addr, &v, sizeof(v)) ? -EFAULT : 0;
}

static int put_int(struct task *t, uint64_t addr, int v)
{
	return task_copy_out(t, addr, &v, sizeof(v)) ? -EFAULT : 0;
}

/* ---- getters ---- */

static int64_t sys_getuid(struct task *t, const uint64_t a[6])
{
	return t->creds->ruid;
}

static int64_t sys_geteuid(struct task *t, const uint64_t a[6])
{
	return t->creds->euid;
}

static int64_t sys_getgid(struct task *t, const uint64_t a[6])
{
	return t->creds->rgid;
}

static int64_t sys_getegid(struct task *t, const uint64_t a[6])
{
	return t->creds->egid;
}

static int64_t sys_getresuid(struct task *t, const uint64_t a[6])
{
	const struct creds *c = t->creds;
	if (put_u32(t, a[0], c->ruid) || put_u32(t, a[1], c->euid) || put_u32(t, a[2], c->suid))
		return -EFAULT;
	return 0;
}

static int64_t sys_getresgid(struct task *t, const uint64_t a[6])
{
	const struct creds *c = t->creds;
	if (put_u32(t, a[0], c->rgid) || put_u32(t, a[1], c->egid) || put_u32(t, a[2], c->sgid))
		return -EFAULT;
	return 0;
}

/* ---- uids ---- */

static int64_t sys_setuid(struct task *t, const uint64_t a[6])
{
	uint32_t uid = (uint32_t)a[0];
	const struct creds *old = t->creds;
	if (uid == ID_NONE)
		return -EINVAL;
	bool cap = creds_capable(old, CAP_SETUID);
	if (!cap && uid != old->ruid && uid != old->suid)
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (cap)
		new->ruid = new->suid = uid;
	new->euid = new->fsuid = uid;
	fix_setuid_caps(new, old);
	creds_commit(t, new);
	return 0;
}

static int64_t sys_setreuid(struct task *t, const uint64_t a[6])
{
	uint32_t ruid = (uint32_t)a[0], euid = (uint32_t)a[1];
	const struct creds *old = t->creds;
	bool cap = creds_capable(old, CAP_SETUID);
	if (ruid != ID_NONE && ruid != old->ruid && ruid != old->euid && !cap)
		return -EPERM;
	if (euid != ID_NONE && euid != old->ruid && euid != old->euid && euid != old->suid &&
	    !cap)
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (ruid != ID_NONE)
		new->ruid = ruid;
	if (euid != ID_NONE)
		new->euid = euid;
	/* As Linux: the saved id follows the new euid when the real id is set
	 * or the euid is set to something other than the old real id. */
	if (ruid != ID_NONE || (euid != ID_NONE && euid != old->ruid))
		new->suid = new->euid;
	new->fsuid = new->euid;
	fix_setuid_caps(new, old);
	creds_commit(t, new);
	return 0;
}

static bool id_is_one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == a || id == b || id == c;
}

static int64_t sys_setresuid(struct task *t, const uint64_t a[6])
{
	uint32_t ruid = (uint32_t)a[0], euid = (uint32_t)a[1], suid = (uint32_t)a[2];
	const struct creds *old = t->creds;
	/* A no-op succeeds without any permission. */
	if ((ruid == ID_NONE || ruid == old->ruid) &&
	    (euid == ID_NONE || (euid == old->euid && euid == old->fsuid)) &&
	    (suid == ID_NONE || suid == old->suid))
		return 0;
	/* Unprivileged: each new id must be one of the current three. */
	bool r_new = ruid != ID_NONE && !id_is_one_of(ruid, old->ruid, old->euid, old->suid);
	bool e_new = euid != ID_NONE && !id_is_one_of(euid, old->ruid, old->euid, old->suid);
	bool s_new = suid != ID_NONE && !id_is_one_of(suid, old->ruid, old->euid, old->suid);
	if ((r_new || e_new || s_new) && !creds_capable(old, CAP_SETUID))
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (ruid != ID_NONE)
		new->ruid = ruid;
	if (euid != ID_NONE)
		new->euid = euid;
	if (suid != ID_NONE)
		new->suid = suid;
	new->fsuid = new->euid;
	fix_setuid_caps(new, old);
	creds_commit(t, new);
	return 0;
}

static int64_t sys_setfsuid(struct task *t, const uint64_t a[6])
{
	uint32_t uid = (uint32_t)a[0];
	const struct creds *old = t->creds;
	uint32_t old_fsuid = old->fsuid;
	/* As Linux: always returns the previous fsuid; failure is silent. */
	if (uid == ID_NONE || uid == old->fsuid)
		return old_fsuid;
	if (!id_is_one_of(uid, old->ruid, old->euid, old->suid) &&
	    !creds_capable(old, CAP_SETUID))
		return old_fsuid;
	struct creds *new = creds_dup(old);
	if (!new)
		return old_fsuid;
	new->fsuid = uid;
	fix_setfsuid_caps(new, old);
	creds_commit(t, new);
	return old_fsuid;
}

/* ---- gids (no capability fix-ups) ---- */

static int64_t sys_setgid(struct task *t, const uint64_t a[6])
{
	uint32_t gid = (uint32_t)a[0];
	const struct creds *old = t->creds;
	if (gid == ID_NONE)
		return -EINVAL;
	bool cap = creds_capable(old, CAP_SETGID);
	if (!cap && gid != old->rgid && gid != old->sgid)
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (cap)
		new->rgid = new->sgid = gid;
	new->egid = new->fsgid = gid;
	creds_commit(t, new);
	return 0;
}

static int64_t sys_setregid(struct task *t, const uint64_t a[6])
{
	uint32_t rgid = (uint32_t)a[0], egid = (uint32_t)a[1];
	const struct creds *old = t->creds;
	bool cap = creds_capable(old, CAP_SETGID);
	if (rgid != ID_NONE && rgid != old->rgid && rgid != old->egid && !cap)
		return -EPERM;
	if (egid != ID_NONE && egid != old->rgid && egid != old->egid && egid != old->sgid &&
	    !cap)
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (rgid != ID_NONE)
		new->rgid = rgid;
	if (egid != ID_NONE)
		new->egid = egid;
	if (rgid != ID_NONE || (egid != ID_NONE && egid != old->rgid))
		new->sgid = new->egid;
	new->fsgid = new->egid;
	creds_commit(t, new);
	return 0;
}

static int64_t sys_setresgid(struct task *t, const uint64_t a[6])
{
	uint32_t rgid = (uint32_t)a[0], egid = (uint32_t)a[1], sgid = (uint32_t)a[2];
	const struct creds *old = t->creds;
	if ((rgid == ID_NONE || rgid == old->rgid) &&
	    (egid == ID_NONE || (egid == old->egid && egid == old->fsgid)) &&
	    (sgid == ID_NONE || sgid == old->sgid))
		return 0;
	bool r_new = rgid != ID_NONE && !id_is_one_of(rgid, old->rgid, old->egid, old->sgid);
	bool e_new = egid != ID_NONE && !id_is_one_of(egid, old->rgid, old->egid, old->sgid);
	bool s_new = sgid != ID_NONE && !id_is_one_of(sgid, old->rgid, old->egid, old->sgid);
	if ((r_new || e_new || s_new) && !creds_capable(old, CAP_SETGID))
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (rgid != ID_NONE)
		new->rgid = rgid;
	if (egid != ID_NONE)
		new->egid = egid;
	if (sgid != ID_NONE)
		new->sgid = sgid;
	new->fsgid = new->egid;
	creds_commit(t, new);
	return 0;
}

static int64_t sys_setfsgid(struct task *t, const uint64_t a[6])
{
	uint32_t gid = (uint32_t)a[0];
	const struct creds *old = t->creds;
	uint32_t old_fsgid = old->fsgid;
	if (gid == ID_NONE || gid == old->fsgid)
		return old_fsgid;
	if (!id_is_one_of(gid, old->rgid, old->egid, old->sgid) &&
	    !creds_capable(old, CAP_SETGID))
		return old_fsgid;
	struct creds *new = creds_dup(old);
	if (!new)
		return old_fsgid;
	new->fsgid = gid;
	creds_commit(t, new);
	return old_fsgid;
}

/* ---- supplementary groups ---- */

static int64_t sys_getgroups(struct task *t, const uint64_t a[6])
{
	int size = (int)a[0];
	const struct creds *c = t->creds;
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return c->ngroups;
	if (c->ngroups > size)
		return -EINVAL;
	if (c->ngroups &&
	    task_copy_out(t, a[1], c->groups, (size_t)c->ngroups * sizeof(uint32_t)))
		return -EFAULT;
	return c->ngroups;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static int64_t sys_setgroups(struct task *t, const uint64_t a[6])
{
	int size = (int)a[0];
	const struct creds *old = t->creds;
	if (!creds_capable(old, CAP_SETGID))
		return -EPERM;
	if ((unsigned)size > CRED_NGROUPS_MAX)
		return -EINVAL;
	uint32_t *groups = NULL;
	if (size > 0) {
		groups = malloc((size_t)size * sizeof(uint32_t));
		if (!groups)
			return -ENOMEM;
		if (task_copy_in(t, groups, a[1], (size_t)size * sizeof(uint32_t))) {
			free(groups);
			return -EFAULT;
		}
		for (int i = 0; i < size; i++) {
			if (groups[i] == ID_NONE) {
				free(groups);
				return -EINVAL;
			}
		}
		/* As Linux groups_sort: kept sorted for lookups. */
		qsort(groups, (size_t)size, sizeof(uint32_t), cmp_u32);
	}
	struct creds *new = creds_dup(old);
	if (!new) {
		free(groups);
		return -ENOMEM;
	}
	free(new->groups);
	new->groups = groups;
	new->ngroups = size;
	creds_commit(t, new);
	return 0;
}

/* ---- capabilities ---- */

/* Versions and their sizes (in 32-bit words), as cap_validate_magic. */
static int cap_validate_magic(struct task *t, uint64_t hdr, unsigned *words)
{
	uint32_t version;
	if (task_copy_in(t, &version, hdr, sizeof(version)))
		return -EFAULT;
	switch (version) {
	case _LINUX_CAPABILITY_VERSION_1:
		*words = 1;
		return 0;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		*words = 2;
		return 0;
	}
	/* Tell the caller which version we speak. */
	if (put_u32(t, hdr, _LINUX_CAPABILITY_VERSION_3))
		return -EFAULT;
	return -EINVAL;
}

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

static int64_t sys_capget(struct task *t, const uint64_t a[6])
{
	uint64_t hdr = a[0], data = a[1];
	unsigned words;
	int r = cap_validate_magic(t, hdr, &words);
	if (!data || r)
		return (!data && r == -EINVAL) ? 0 : r; /* a version probe */
	int pid;
	if (task_copy_in(t, &pid, hdr + 4, sizeof(pid)))
		return -EFAULT;
	if (pid < 0)
		return -EINVAL;
	uint64_t eff, perm, inh;
	if (pid == 0 || pid == t->tid) {
		eff = t->creds->cap_effective;
		perm = t->creds->cap_permitted;
		inh = t->creds->cap_inheritable;
	} else {
		struct kernel *k = t->k;
		pthread_mutex_lock(&k->tasks_lock);
		struct task *p = kernel_find_task(k, pid);
		if (!p || !p->creds) {
			pthread_mutex_unlock(&k->tasks_lock);
			return -ESRCH;
		}
		pthread_mutex_lock(&p->tg->siglock);
		eff = p->creds->cap_effective;
		perm = p->creds->cap_permitted;
		inh = p->creds->cap_inheritable;
		pthread_mutex_unlock(&p->tg->siglock);
		pthread_mutex_unlock(&k->tasks_lock);
	}
	struct cap_data d[2] = {
		{(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
	};
	if (task_copy_out(t, data, d, words * sizeof(d[0])))
		return -EFAULT;
	return 0;
}

static int64_t sys_capset(struct task *t, const uint64_t a[6])
{
	uint64_t hdr = a[0], data = a[1];
	unsigned words;
	int r = cap_validate_magic(t, hdr, &words);
	if (r)
		return r;
	int pid;
	if (task_copy_in(t, &pid, hdr + 4, sizeof(pid)))
		return -EFAULT;
	/* As Linux: only the caller's own capabilities can be set. */
	if (pid != 0 && pid != t->tid)
		return -EPERM;
	struct cap_data d[2] = {{0}};
	if (task_copy_in(t, d, data, words * sizeof(d[0])))
		return -EFAULT;
	uint64_t eff = ((uint64_t)d[1].effective << 32 | d[0].effective) & CRED_CAP_ALL;
	uint64_t perm = ((uint64_t)d[1].permitted << 32 | d[0].permitted) & CRED_CAP_ALL;
	uint64_t inh = ((uint64_t)d[1].inheritable << 32 | d[0].inheritable) & CRED_CAP_ALL;

	/* cap_capset's rules, in its order. */
	const struct creds *old = t->creds;
	if (!creds_capable(old, CAP_SETPCAP) &&
	    (inh & ~(old->cap_inheritable | old->cap_permitted)))
		return -EPERM; /* new inheritable bits need CAP_SETPCAP */
	if (inh & ~(old->cap_inheritable | old->cap_bounding))
		return -EPERM; /* nothing inheritable outside the bounding set */
	if (perm & ~old->cap_permitted)
		return -EPERM; /* permitted can only shrink */
	if (eff & ~perm)
		return -EPERM; /* effective within the new permitted */
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	new->cap_effective = eff;
	new->cap_permitted = perm;
	new->cap_inheritable = inh;
	creds_commit(t, new);
	return 0;
}

/* ---- prctl ---- */

static int prctl_set_name(struct task *t, uint64_t addr)
{
	char name[16] = {0};
	ssize_t n = task_copy_string_in(t, name, addr, sizeof(name));
	if (n == -ENAMETOOLONG) {
		/* As Linux: the first 15 bytes, silently truncated (the 16 we
		 * just probed are readable). */
		if (task_copy_in(t, name, addr, sizeof(name) - 1))
			return -EFAULT;
		name[sizeof(name) - 1] = 0;
	} else if (n < 0) {
		return -EFAULT;
	}
	memcpy(t->comm, name, sizeof(t->comm));
	/* The leader's name is the process's name on the host too (ps, `docker
	 * top` show the stub process's comm).  A failure there is the host's
	 * business: the app's own rename succeeded. */
	const struct platform *plat = t->k ? t->k->plat : NULL;
	struct addr_space *as = t->mm ? mm_addr_space(t->mm) : NULL;
	if (t->tg && t->tg->leader == t && plat && plat->ops->as_set_name && as)
		plat->ops->as_set_name(as, t->comm);
	return 0;
}

static int64_t sys_prctl(struct task *t, const uint64_t a[6])
{
	int option = (int)a[0];
	uint64_t arg2 = a[1];
	const struct creds *c = t->creds;
	struct creds *new;

	switch (option) {
	case PR_SET_NAME:
		return prctl_set_name(t, arg2);
	case PR_GET_NAME: {
		char name[16];
		memcpy(name, t->comm, sizeof(name));
		name[15] = 0;
		return task_copy_out(t, arg2, name, sizeof(name)) ? -EFAULT : 0;
	}
	case PR_SET_PDEATHSIG:
		if (arg2 > VISOR_NSIG)
			return -EINVAL;
		/* Not recorded yet (needs a task field): refuse rather than
		 * pretend the signal will come. */
		return -EINVAL;
	case PR_GET_PDEATHSIG:
		/* Never set (see above), so honestly 0. */
		return put_int(t, arg2, 0);
	case PR_GET_DUMPABLE:
		return 1; /* SUID_DUMP_USER: making a process undumpable is not recorded */
	case PR_SET_DUMPABLE:
		if (arg2 != 0 && arg2 != 1)
			return -EINVAL;
		/* Dumpable 1 is the state every process has; 0 cannot be
		 * recorded yet (needs a thread group / mm field). */
		return arg2 == 1 ? 0 : -EINVAL;
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || a[2] || a[3] || a[4])
			return -EINVAL;
		if (c->no_new_privs)
			return 0;
		new = creds_dup(c);
		if (!new)
			return -ENOMEM;
		new->no_new_privs = true;
		creds_commit(t, new);
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (arg2 || a[2] || a[3] || a[4])
			return -EINVAL;
		return c->no_new_privs;
	case PR_CAPBSET_READ:
		if (arg2 > CRED_CAP_LAST)
			return -EINVAL;
		return (c->cap_bounding >> arg2) & 1;
	case PR_CAPBSET_DROP:
		if (!creds_capable(c, CAP_SETPCAP))
			return -EPERM;
		if (arg2 > CRED_CAP_LAST)
			return -EINVAL;
		new = creds_dup(c);
		if (!new)
			return -ENOMEM;
		new->cap_bounding &= ~(1ULL << arg2);
		creds_commit(t, new);
		return 0;
	case PR_GET_KEEPCAPS:
		return !!(creds_securebits(c) & SECBIT_KEEP_CAPS);
	case PR_SET_KEEPCAPS:
		if (arg2 > 1)
			return -EINVAL;
		if (creds_securebits(c) & SECBIT_KEEP_CAPS_LOCKED)
			return -EPERM;
		new = creds_dup(c);
		if (!new)
			return -ENOMEM;
		if (arg2)
			creds_set_securebits(new, creds_securebits(c) | SECBIT_KEEP_CAPS);
		else
			creds_set_securebits(new, creds_securebits(c) & ~SECBIT_KEEP_CAPS);
		creds_commit(t, new);
		return 0;
	case PR_GET_SECUREBITS:
		return creds_securebits(c);
	case PR_CAP_AMBIENT:
		/* The ambient set is always empty here (it is not recorded):
		 * queries and removals are exact, raising is refused. */
		if (arg2 == PR_CAP_AMBIENT_CLEAR_ALL)
			return (a[2] | a[3] | a[4]) ? -EINVAL : 0;
		if (a[2] > CRED_CAP_LAST || a[3] || a[4])
			return -EINVAL;
		if (arg2 == PR_CAP_AMBIENT_IS_SET || arg2 == PR_CAP_AMBIENT_LOWER)
			return 0;
		if (arg2 != PR_CAP_AMBIENT_RAISE)
			return -EINVAL;
		if (!((c->cap_permitted >> a[2]) & 1) || !((c->cap_inheritable >> a[2]) & 1) ||
		    (creds_securebits(c) & SECBIT_NO_CAP_AMBIENT_RAISE))
			return -EPERM;
		return -EINVAL;
	case PR_GET_SECCOMP:
		return 0; /* no seccomp filter is ever installed for the app */
	case PR_GET_TID_ADDRESS:
		return task_copy_out(t, arg2, &t->clear_child_tid, sizeof(uint64_t)) ? -EFAULT : 0;
	case PR_SET_CHILD_SUBREAPER:
		/* Orphans are always reparented to init here; refuse honestly. */
		return -EINVAL;
	case PR_GET_CHILD_SUBREAPER:
		return put_int(t, arg2, 0);
	}
	return -EINVAL;
}

const struct syscall_def sys_cred_defs[] = {
	{SYS_getuid, "getuid", sys_getuid},
	{SYS_geteuid, "geteuid", sys_geteuid},
	{SYS_getgid, "getgid", sys_getgid},
	{SYS_getegid, "getegid", sys_getegid},
	{SYS_getresuid, "getresuid", sys_getresuid},
	{SYS_getresgid, "getresgid", sys_getresgid},
	{SYS_setuid, "setuid", sys_setuid},
	{SYS_setgid, "setgid", sys_setgid},
	{SYS_setreuid, "setreuid", sys_setreuid},
	{SYS_setregid, "setregid", sys_setregid},
	{SYS_setresuid, "setresuid", sys_setresuid},
	{SYS_setresgid, "setresgid", sys_setresgid},
	{SYS_setfsuid, "setfsuid", sys_setfsuid},
	{SYS_setfsgid, "setfsgid", sys_setfsgid},
	{SYS_getgroups, "getgroups", sys_getgroups},
	{SYS_setgroups, "setgroups", sys_setgroups},
	{SYS_capget, "capget", sys_capget},
	{SYS_capset, "capset", sys_capset},
	{SYS_prctl, "prctl", sys_prctl},
	{0},
};
