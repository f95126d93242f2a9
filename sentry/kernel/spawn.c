/*
 * spawn.c — processes started from outside the sandbox's tree (init, exec);
 * see spawn.h.
 */
#include "lib/lockdep.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/spawn.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/vfs/vfs.h"
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A spawn not yet waited for: its pid and, while held, its exec record. */
struct spawn_rec {
	struct spawn_rec *next;
	int pid;
	struct thread_group *tg;
	struct initial_exec *ie;
};

static void free_strv(char **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **dup_strv(char **v, int n)
{
	char **d = calloc((size_t)n + 1, sizeof(char *));
	if (!d)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (!(d[i] = strdup(v[i]))) {
			free_strv(d, i);
			return NULL;
		}
	}
	return d;
}

static void ie_free(struct initial_exec *ie)
{
	free_strv(ie->argv, ie->argc);
	free_strv(ie->envp, ie->envc);
	free(ie->path_owned);
	vmutex_destroy(&ie->lock);
	pthread_cond_destroy(&ie->cond);
	free(ie);
}

static struct creds *spawn_creds(const struct spawn_args *a)
{
	struct creds *root = creds_new_root();
	if (!root)
		return NULL;
	struct creds *c = creds_dup(root);
	creds_put(root);
	if (!c)
		return NULL;
	c->ruid = c->euid = c->suid = c->fsuid = a->uid;
	c->rgid = c->egid = c->sgid = c->fsgid = a->gid;
	c->cap_effective = a->cap_effective;
	c->cap_permitted = a->cap_permitted;
	c->cap_bounding = a->cap_bounding;
	c->cap_inheritable = a->cap_inheritable;
	c->no_new_privs = a->no_new_privs;
	free(c->groups);
	c->groups = NULL;
	c->ngroups = 0;
	if (a->ngroups > 0) {
		c->groups = calloc((size_t)a->ngroups, sizeof(uint32_t));
		if (!c->groups) {
			creds_put(c);
			return NULL;
		}
		memcpy(c->groups, a->groups, (size_t)a->ngroups * sizeof(uint32_t));
		c->ngroups = a->ngroups;
	}
	return c;
}

int kernel_spawn(struct kernel *k, const struct spawn_args *a)
{
	if (a->argc < 1 || !a->argv[0])
		return -EINVAL;
	struct spawn_rec *rec = calloc(1, sizeof(*rec));
	struct initial_exec *ie = calloc(1, sizeof(*ie));
	struct fd_table *fdt = fdt_new();
	struct fs_context *fs = fs_context_copy(k->root_fs);
	struct creds *creds = spawn_creds(a);
	int r = -ENOMEM;
	if (ie) {
		vmutex_init(&ie->lock, LOCK_CLASS(INITIAL_EXEC));
		pthread_cond_init(&ie->cond, NULL);
	}
	if (!rec || !ie || !fdt || !fs || !creds)
		goto fail;
	ie->argv = dup_strv(a->argv, a->argc);
	ie->argc = a->argc;
	ie->envp = dup_strv(a->envp, a->envc);
	ie->envc = a->envc;
	ie->path_owned = a->path ? strdup(a->path) : NULL;
	if (!ie->argv || !ie->envp || (a->path && !ie->path_owned))
		goto fail;
	ie->path = a->path ? ie->path_owned : ie->argv[0];
	ie->hold = a->start_stopped;
	for (int i = 0; i < 3; i++) {
		if (!a->stdio[i])
			continue;
		r = fdt_install_at(fdt, i, a->stdio[i], 0);
		if (r < 0)
			goto fail;
	}
	if (a->umask != (uint32_t)-1)
		fs->umask = a->umask & 0777;

	struct task *t = task_alloc(k);
	struct thread_group *tg = tg_alloc(k);
	if (!t || !tg) {
		if (t)
			task_free(t);
		free(tg);
		r = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < RLIM_NLIMITS; i++)
		if (a->rlimits_set[i])
			tg->rlimits[i] = a->rlimits[i];
	if (tg->rlimits[RLIMIT_NOFILE].rlim_cur < (1U << 20))
		fdt->max_fds = (unsigned int)tg->rlimits[RLIMIT_NOFILE].rlim_cur;
	t->fdt = fdt;
	t->fs = fs;
	t->creds = creds;
	fdt = NULL;
	fs = NULL;
	creds = NULL;
	snprintf(t->comm, sizeof(t->comm), "%s", "spawn");
	if (a->cwd && strcmp(a->cwd, "/")) {
		r = vfs_chdir(t, a->cwd);
		if (r < 0) {
			fdt_put(t->fdt);
			fs_context_put(t->fs);
			creds_put(t->creds);
			task_free(t);
			tg_free(tg);
			goto fail;
		}
	}
	t->initial_exec = ie;
	if (k->oci_seccomp) {
		/* The container's profile, as runc loads it just before the
		 * exec: the program's first instruction already runs under it. */
		t->tg = tg;
		r = seccomp_set_filter(t, k->oci_seccomp_flags, k->oci_seccomp,
				       k->oci_seccomp_len);
		if (r < 0) {
			fdt_put(t->fdt);
			fs_context_put(t->fs);
			creds_put(t->creds);
			task_free(t);
			tg_free(tg);
			goto fail;
		}
	}

	vmutex_lock(&k->tasks_lock);
	int pid = kernel_alloc_pid_locked(k);
	if (pid < 0) {
		vmutex_unlock(&k->tasks_lock);
		fdt_put(t->fdt);
		fs_context_put(t->fs);
		creds_put(t->creds);
		task_free(t);
		tg_free(tg);
		r = pid;
		goto fail;
	}
	t->tid = tg->tgid = tg->pgid = tg->sid = pid;
	tg->leader = t;
	tg->threads = t;
	tg->nthreads = 1;
	t->tg = tg;
	t->next_all = k->all_tasks;
	k->all_tasks = t;
	k->ntasks++;
	if (!k->init)
		k->init = tg;
	rec->pid = pid;
	rec->tg = tg;
	rec->ie = ie;
	rec->next = k->spawns;
	k->spawns = rec;
	vmutex_unlock(&k->tasks_lock);

	r = task_start(t);
	if (r < 0) {
		log_error("spawn: no host thread: %s", strerror(-r));
		/* Linked but never run: undo as an immediate exit. */
		vmutex_lock(&k->tasks_lock);
		k->ntasks--;
		tg->nthreads = 0;
		tg->threads = NULL;
		tg->zombie = true;
		tg->exit_status = 127 << 8;
		vmutex_unlock(&k->tasks_lock);
		return r;
	}
	/* Wait for the exec's verdict. */
	vmutex_lock(&ie->lock);
	while (!ie->done)
		vmutex_cond_wait(&ie->cond, &ie->lock);
	int er = ie->result;
	vmutex_unlock(&ie->lock);
	if (er < 0) {
		/* The task exits by itself; collect it so nothing lingers. */
		kernel_wait_spawned(k, pid);
		return er;
	}
	return pid;
fail:
	if (fdt)
		fdt_put(fdt);
	if (fs)
		fs_context_put(fs);
	if (creds)
		creds_put(creds);
	if (ie)
		ie_free(ie);
	free(rec);
	return r;
}

int kernel_release_spawned(struct kernel *k, int pid)
{
	vmutex_lock(&k->tasks_lock);
	struct spawn_rec *rec = k->spawns;
	while (rec && rec->pid != pid)
		rec = rec->next;
	int r = -ESRCH;
	if (rec && rec->ie) {
		struct initial_exec *ie = rec->ie;
		vmutex_lock(&ie->lock);
		if (ie->hold && !ie->released) {
			ie->released = true;
			pthread_cond_broadcast(&ie->cond);
			r = 0;
		}
		vmutex_unlock(&ie->lock);
		if (r == 0 && rec->tg->leader)
			task_wake(rec->tg->leader);
	}
	vmutex_unlock(&k->tasks_lock);
	return r;
}

int kernel_wait_spawned(struct kernel *k, int pid)
{
	vmutex_lock(&k->tasks_lock);
	struct spawn_rec **pp = &k->spawns;
	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	if (!*pp) {
		vmutex_unlock(&k->tasks_lock);
		return -ECHILD;
	}
	struct spawn_rec *rec = *pp;
	while (!rec->tg->zombie)
		vmutex_cond_wait(&k->spawn_cond, &k->tasks_lock);
	int st = rec->tg->exit_status;
	/* Unlink (the list may have changed while we slept). */
	for (pp = &k->spawns; *pp; pp = &(*pp)->next) {
		if (*pp == rec) {
			*pp = rec->next;
			break;
		}
	}
	/* init's group stays: the kernel reads its status at the end. */
	if (rec->tg != k->init)
		reap_locked(k, rec->tg);
	vmutex_unlock(&k->tasks_lock);
	ie_free(rec->ie);
	free(rec);
	return st;
}
