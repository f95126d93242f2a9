/*
 * creds.c — credentials: allocation, reference counting and the capability
 * and group checks declared in task.h.
 *
 * Credentials are immutable once published: a change makes a private copy
 * with creds_dup(), edits it, and swaps the task's pointer (task_commit_creds),
 * so a reader holding a reference never sees a half-made change.  The swap is
 * made under the task's tg->siglock so that another thread can take a
 * reference to a task's creds under that lock (task_creds).
 */
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

/* CAP_CHECKPOINT_RESTORE (40) is the last capability of Linux 6.1. */
#define CREDS_CAP_LAST 40
#define CREDS_CAP_ALL ((1ULL << (CREDS_CAP_LAST + 1)) - 1)

struct creds *creds_new_root(void)
{
	struct creds *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	atomic_init(&c->refs, 1);
	/* All ids 0; root holds every capability except in the inheritable set,
	 * as the init process of a new Linux system. */
	c->cap_effective = c->cap_permitted = c->cap_bounding = CREDS_CAP_ALL;
	c->cap_inheritable = 0;
	return c;
}

struct creds *creds_dup(const struct creds *old)
{
	struct creds *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = *old;
	atomic_init(&c->refs, 1);
	c->groups = NULL;
	if (old->ngroups > 0) {
		c->groups = malloc((size_t)old->ngroups * sizeof(uint32_t));
		if (!c->groups) {
			free(c);
			return NULL;
		}
		memcpy(c->groups, old->groups, (size_t)old->ngroups * sizeof(uint32_t));
	}
	return c;
}

void creds_get(struct creds *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void creds_put(struct creds *c)
{
	if (!c)
		return;
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	free(c->groups);
	free(c);
}

struct creds *task_creds(struct task *t)
{
	struct thread_group *tg = t->tg;
	if (tg)
		vmutex_lock(&tg->siglock);
	struct creds *c = t->creds;
	if (c)
		creds_get(c);
	if (tg)
		vmutex_unlock(&tg->siglock);
	return c;
}

void task_commit_creds(struct task *t, struct creds *new)
{
	struct thread_group *tg = t->tg;
	if (tg)
		vmutex_lock(&tg->siglock);
	struct creds *old = t->creds;
	t->creds = new;
	if (tg)
		vmutex_unlock(&tg->siglock);
	creds_put(old);
}

bool creds_capable(const struct creds *c, int cap)
{
	if (cap < 0 || cap > CREDS_CAP_LAST)
		return false;
	return (c->cap_effective >> cap) & 1;
}

/* As Linux in_group_p: the filesystem gid or a supplementary group.  The
 * groups are kept sorted by setgroups, but a list made elsewhere may not be,
 * so search linearly (lists are short; NGROUPS_MAX bounds them). */
bool creds_in_group(const struct creds *c, uint32_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

bool creds_ids_match(const struct creds *c, const struct creds *tc)
{
	return c->ruid == tc->euid && c->ruid == tc->suid && c->ruid == tc->ruid &&
	       c->rgid == tc->egid && c->rgid == tc->sgid && c->rgid == tc->rgid;
}

uint32_t creds_securebits(const struct creds *c)
{
	return c->securebits;
}

void creds_set_securebits(struct creds *c, uint32_t bits)
{
	c->securebits = bits;
}

/*
 * The credentials after execve, as Linux's bprm_fill_uid and
 * cap_bprm_creds_from_file for a file without file capabilities.
 *
 * ids (NULL: a plain file) gives the file's set-user-ID and set-group-ID
 * bits and owner: the effective uid becomes the file's owner, the effective
 * gid its group (set-group-ID only with group execute, as Linux: without it
 * the bit means mandatory locking).  A root process (real or effective uid
 * 0 after that) gets permitted = bounding | inheritable, and effective =
 * permitted when its euid is 0; any other process loses permitted and
 * effective (there is no ambient set here).  When the exec is unsafe (no_new_privs, or
 * traced by a tracer that lacked CAP_SYS_PTRACE) and it would change the ids
 * or grow the permitted set, it is downgraded: the ids stay the real ones
 * (unless the caller may setuid and no_new_privs is off) and permitted keeps
 * only what it had.  The saved and filesystem ids follow the effective ones
 * and keep-caps is cleared.  Returns new credentials or NULL (no memory).
 */
struct creds *creds_for_exec_file(const struct creds *old, const struct exec_file_ids *ids)
{
	struct creds *c = creds_dup(old);
	if (!c)
		return NULL;
	if (ids && ids->setuid)
		c->euid = ids->uid;
	if (ids && ids->setgid)
		c->egid = ids->gid;
	if (c->euid == 0 || c->ruid == 0)
		c->cap_permitted = (old->cap_bounding | old->cap_inheritable) & CREDS_CAP_ALL;
	else
		c->cap_permitted = 0;
	bool is_setid = c->euid != old->ruid || c->egid != old->rgid;
	bool cap_gained = (c->cap_permitted & ~old->cap_permitted) != 0;
	bool unsafe = old->no_new_privs || (ids && ids->traced && !ids->tracer_capable);
	if ((is_setid || cap_gained) && unsafe) {
		if (!creds_capable(old, 7 /* CAP_SETUID */) || old->no_new_privs) {
			c->euid = c->ruid;
			c->egid = c->rgid;
		}
		c->cap_permitted &= old->cap_permitted;
	}
	c->cap_effective = c->euid == 0 ? c->cap_permitted : 0;
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
	creds_set_securebits(c, creds_securebits(c) & ~(1u << 4) /* SECURE_KEEP_CAPS */);
	return c;
}

struct creds *creds_for_exec(const struct creds *old)
{
	return creds_for_exec_file(old, NULL);
}

/* As Linux's cap_bprm_creds_from_file: an exec that leaves the effective
 * ids other than the old real ones is "secure" (AT_SECURE, no core dumps). */
bool creds_exec_is_secure(const struct creds *old, const struct creds *new)
{
	return new->euid != old->ruid || new->egid != old->rgid;
}
