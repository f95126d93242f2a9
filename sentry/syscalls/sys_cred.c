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
 * Every change builds new credentials and swaps them in (task_commit_creds);
 * credentials are never edited in place.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/tg_attrs.h"
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

/* The four ids of one kind in struct creds (uids or gids), the capability
 * that lifts the checks, and the capability fix-ups Linux applies when they
 * change (uids only).  One implementation of the set*id rules serves both. */
struct id_kind {
	size_t r, e, s, fs; /* offsets in struct creds */
	int cap;            /* CAP_SETUID or CAP_SETGID */
	void (*fix)(struct creds *new, const struct creds *old);    /* cap_emulate_setxuid */
	void (*fs_fix)(struct creds *new, const struct creds *old); /* LSM_SETID_FS */
};

static const struct id_kind uids = {
	offsetof(struct creds, ruid), offsetof(struct creds, euid), offsetof(struct creds, suid),
	offsetof(struct creds, fsuid), CAP_SETUID, fix_setuid_caps, fix_setfsuid_caps,
};

static const struct id_kind gids = {
	offsetof(struct creds, rgid), offsetof(struct creds, egid), offsetof(struct creds, sgid),
	offsetof(struct creds, fsgid), CAP_SETGID, NULL, NULL,
};

static uint32_t id_get(const struct creds *c, size_t off)
{
	return *(const uint32_t *)(const void *)((const char *)c + off);
}

static void id_set(struct creds *c, size_t off, uint32_t v)
{
	*(uint32_t *)(void *)((char *)c + off) = v;
}

static void ids_commit(struct task *t, struct creds *new, const struct creds *old,
		       const struct id_kind *k)
{
	if (k->fix)
		k->fix(new, old);
	task_commit_creds(t, new);
}

static int64_t do_getres(struct task *t, const uint64_t a[6], const struct id_kind *k)
{
	const struct creds *c = t->creds;
	if (put_u32(t, a[0], id_get(c, k->r)) || put_u32(t, a[1], id_get(c, k->e)) ||
	    put_u32(t, a[2], id_get(c, k->s)))
		return -EFAULT;
	return 0;
}

static int64_t sys_getresuid(struct task *t, const uint64_t a[6])
{
	return do_getres(t, a, &uids);
}

static int64_t sys_getresgid(struct task *t, const uint64_t a[6])
{
	return do_getres(t, a, &gids);
}

/* ---- setters ---- */

static int64_t do_setid(struct task *t, uint32_t id, const struct id_kind *k)
{
	const struct creds *old = t->creds;
	if (id == ID_NONE)
		return -EINVAL;
	bool cap = creds_capable(old, k->cap);
	if (!cap && id != id_get(old, k->r) && id != id_get(old, k->s))
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (cap) {
		id_set(new, k->r, id);
		id_set(new, k->s, id);
	}
	id_set(new, k->e, id);
	id_set(new, k->fs, id);
	ids_commit(t, new, old, k);
	return 0;
}

static int64_t do_setreid(struct task *t, uint32_t rid, uint32_t eid, const struct id_kind *k)
{
	const struct creds *old = t->creds;
	uint32_t or = id_get(old, k->r), oe = id_get(old, k->e), os = id_get(old, k->s);
	bool cap = creds_capable(old, k->cap);
	if (rid != ID_NONE && rid != or && rid != oe && !cap)
		return -EPERM;
	if (eid != ID_NONE && eid != or && eid != oe && eid != os && !cap)
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (rid != ID_NONE)
		id_set(new, k->r, rid);
	if (eid != ID_NONE)
		id_set(new, k->e, eid);
	/* As Linux: the saved id follows the new effective id when the real id
	 * is set or the effective id is set to something other than the old
	 * real id. */
	if (rid != ID_NONE || (eid != ID_NONE && eid != or))
		id_set(new, k->s, id_get(new, k->e));
	id_set(new, k->fs, id_get(new, k->e));
	ids_commit(t, new, old, k);
	return 0;
}

static bool id_is_one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == a || id == b || id == c;
}

static int64_t do_setresid(struct task *t, uint32_t rid, uint32_t eid, uint32_t sid,
			   const struct id_kind *k)
{
	const struct creds *old = t->creds;
	uint32_t or = id_get(old, k->r), oe = id_get(old, k->e), os = id_get(old, k->s);
	/* A no-op succeeds without any permission. */
	if ((rid == ID_NONE || rid == or) &&
	    (eid == ID_NONE || (eid == oe && eid == id_get(old, k->fs))) &&
	    (sid == ID_NONE || sid == os))
		return 0;
	/* Unprivileged: each new id must be one of the current three. */
	bool r_new = rid != ID_NONE && !id_is_one_of(rid, or, oe, os);
	bool e_new = eid != ID_NONE && !id_is_one_of(eid, or, oe, os);
	bool s_new = sid != ID_NONE && !id_is_one_of(sid, or, oe, os);
	if ((r_new || e_new || s_new) && !creds_capable(old, k->cap))
		return -EPERM;
	struct creds *new = creds_dup(old);
	if (!new)
		return -ENOMEM;
	if (rid != ID_NONE)
		id_set(new, k->r, rid);
	if (eid != ID_NONE)
		id_set(new, k->e, eid);
	if (sid != ID_NONE)
		id_set(new, k->s, sid);
	id_set(new, k->fs, id_get(new, k->e));
	ids_commit(t, new, old, k);
	return 0;
}

static int64_t do_setfsid(struct task *t, uint32_t id, const struct id_kind *k)
{
	const struct creds *old = t->creds;
	uint32_t old_fs = id_get(old, k->fs);
	/* As Linux: always returns the previous fs id; failure is silent. */
	if (id == ID_NONE || id == old_fs)
		return old_fs;
	if (!id_is_one_of(id, id_get(old, k->r), id_get(old, k->e), id_get(old, k->s)) &&
	    !creds_capable(old, k->cap))
		return old_fs;
	struct creds *new = creds_dup(old);
	if (!new)
		return old_fs;
	id_set(new, k->fs, id);
	if (k->fs_fix)
		k->fs_fix(new, old);
	task_commit_creds(t, new);
	return old_fs;
}

static int64_t sys_setuid(struct task *t, const uint64_t a[6])
{
	return do_setid(t, (uint32_t)a[0], &uids);
}

static int64_t sys_setgid(struct task *t, const uint64_t a[6])
{
	return do_setid(t, (uint32_t)a[0], &gids);
}

static int64_t sys_setreuid(struct task *t, const uint64_t a[6])
{
	return do_setreid(t, (uint32_t)a[0], (uint32_t)a[1], &uids);
}

static int64_t sys_setregid(struct task *t, const uint64_t a[6])
{
	return do_setreid(t, (uint32_t)a[0], (uint32_t)a[1], &gids);
}

static int64_t sys_setresuid(struct task *t, const uint64_t a[6])
{
	return do_setresid(t, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], &uids);
}

static int64_t sys_setresgid(struct task *t, const uint64_t a[6])
{
	return do_setresid(t, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], &gids);
}

static int64_t sys_setfsuid(struct task *t, const uint64_t a[6])
{
	return do_setfsid(t, (uint32_t)a[0], &uids);
}

static int64_t sys_setfsgid(struct task *t, const uint64_t a[6])
{
	return do_setfsid(t, (uint32_t)a[0], &gids);
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
	task_commit_creds(t, new);
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
		struct task *p = kernel_get_task(t->k, pid);
		struct creds *pc = p ? task_creds(p) : NULL;
		if (p)
			task_put(p);
		if (!pc)
			return -ESRCH;
		eff = pc->cap_effective;
		perm = pc->cap_permitted;
		inh = pc->cap_inheritable;
		creds_put(pc);
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
	task_commit_creds(t, new);
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
	case PR_SET_PTRACER:
		return ptrace_set_ptracer(t, arg2);
	case PR_SET_PDEATHSIG:
		/* Sent when the parent process exits (kernel/exit.c), not
		 * inherited by fork. */
		if (arg2 > VISOR_NSIG)
			return -EINVAL;
		__atomic_store_n(&t->pdeathsig, (int)arg2, __ATOMIC_RELAXED);
		return 0;
	case PR_GET_PDEATHSIG:
		return put_int(t, arg2, t->pdeathsig);
	case PR_GET_DUMPABLE:
		return tg_get_dumpable(t);
	case PR_SET_DUMPABLE:
		/* As Linux: 0 or 1 (SUID_DUMP_USER); 2 only comes from the
		 * suid_dumpable sysctl. */
		if (arg2 != 0 && arg2 != 1)
			return -EINVAL;
		tg_set_dumpable(t, (int)arg2);
		return 0;
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || a[2] || a[3] || a[4])
			return -EINVAL;
		if (c->no_new_privs)
			return 0;
		new = creds_dup(c);
		if (!new)
			return -ENOMEM;
		new->no_new_privs = true;
		task_commit_creds(t, new);
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
		task_commit_creds(t, new);
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
		task_commit_creds(t, new);
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
		return seccomp_mode(t);
	case PR_SET_SECCOMP:
		/* As Linux's prctl_set_seccomp: strict ignores the third
		 * argument; filter passes it as seccomp(2)'s. */
		if (arg2 == SECCOMP_MODE_STRICT)
			return seccomp_do(t, SECCOMP_SET_MODE_STRICT, 0, 0);
		if (arg2 == SECCOMP_MODE_FILTER)
			return seccomp_do(t, SECCOMP_SET_MODE_FILTER, 0, a[2]);
		return -EINVAL;
	case PR_GET_TID_ADDRESS:
		return task_copy_out(t, arg2, &t->clear_child_tid, sizeof(uint64_t)) ? -EFAULT : 0;
	case PR_SET_CHILD_SUBREAPER:
		tg_set_child_subreaper(t, arg2 != 0);
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		return put_int(t, arg2, tg_get_child_subreaper(t));
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
