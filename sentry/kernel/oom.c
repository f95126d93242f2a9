/*
 * oom.c — the Sentry's OOM killer (see oom.h).
 *
 * Why: the app's memory lives in the Sentry's memory file, so on the host
 * it is the Sentry's.  Left to the host, reaching the container's memory
 * limit kills the Sentry, and with it every process of the container.  The
 * memory file enforces the limit itself, less a share for the sandbox's own
 * memory (memfile_set_limit, memfile_app_limit), so the Sentry acts before
 * the host cgroup, as the memory cgroup would: the largest process is killed with
 * SIGKILL and its parent sees 137.
 *
 * Locking: oom_kill walks the thread groups under k->tasks_lock
 * (kernel_for_each_tg), measuring each with mm_usage (mm->lock, below it)
 * and killing under tg->siglock (below it).  Never called with a lock held.
 */
#include "sentry/kernel/oom.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/signal.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "lib/log.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000
#define CAP_SYS_RESOURCE_BIT 24

/* The pid killed last: no second victim while it is still dying. */
static atomic_int oom_last_victim;

struct oom_pick {
	struct thread_group *best;
	int best_pid;
	uint64_t best_rss;
	int64_t best_points;
	uint64_t total_pages; /* the limit, in pages: what oom_score_adj is a share of */
	int dying; /* the last victim, still there */
};

static int oom_consider(struct thread_group *tg, void *arg)
{
	struct oom_pick *p = arg;
	if (tg->zombie)
		return 0;
	if (tg->tgid == atomic_load(&oom_last_victim)) {
		p->dying = tg->tgid;
		return 0;
	}
	struct mm *mm = NULL;
	for (struct task *t = tg->threads; t && !mm; t = t->tg_next)
		mm = t->mm;
	if (!mm)
		return 0;
	int adj = __atomic_load_n(&tg->oom_score_adj, __ATOMIC_RELAXED);
	if (adj <= OOM_SCORE_ADJ_MIN)
		return 0; /* as Linux: never this one */
	uint64_t vsize = 0, rss = 0;
	mm_usage(mm, &vsize, &rss);
	/* Linux's badness: resident pages, plus oom_score_adj thousandths of
	 * the memory there is (here: the container's limit). */
	int64_t points = (int64_t)(rss / 4096) + (int64_t)adj * (int64_t)(p->total_pages / 1000);
	if (points < 1)
		points = 1;
	/* Ties go to the newer process (the walk is newest first). */
	if (!p->best || points > p->best_points) {
		p->best = tg;
		p->best_pid = tg->tgid;
		p->best_rss = rss;
		p->best_points = points;
	}
	return 0;
}

static int oom_kill_locked_walk(struct thread_group *tg, void *arg)
{
	struct oom_pick *p = arg;
	if (tg == p->best && tg->tgid == p->best_pid && !tg->zombie) {
		signal_group_exit(tg, SIGKILL);
		return 1;
	}
	return 0;
}

int oom_kill(struct kernel *k)
{
	struct oom_pick p = {0};
	p.total_pages = limits_mem_total(UINT64_MAX) / 4096;
	kernel_for_each_tg(k, oom_consider, &p);
	if (p.dying)
		return 0;
	if (!p.best)
		return -ESRCH;
	/* Kill it by a second walk: the group may only be touched under the
	 * task-set lock, and it may have gone in between. */
	int pid = p.best_pid;
	if (!kernel_for_each_tg(k, oom_kill_locked_walk, &p))
		return 0;
	atomic_store(&oom_last_victim, pid);
	log_warn("oom: memory limit reached: killed process %d (rss %llu kB)", pid,
		 (unsigned long long)(p.best_rss >> 10));
	return pid;
}

bool oom_fault_retry(struct task *t)
{
	struct memfile *mf = t->k->mf;
	if (!memfile_take_oom(mf) && !memfile_at_limit(mf))
		return false;
	oom_kill(t->k);
	/* Give the victim a moment to free its memory, then fault again (a
	 * SIGKILL for t itself is taken before it runs again). */
	struct timespec ts = {0, 2 * 1000 * 1000};
	nanosleep(&ts, NULL);
	return true;
}

bool oom_was_victim(int pid)
{
	return pid > 0 && atomic_load(&oom_last_victim) == pid;
}

void oom_report_to_host(uint64_t bound)
{
	size_t len = (size_t)bound;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (p == MAP_FAILED)
		return;
	log_warn("oom: init was killed at the memory limit: ending through the host's OOM killer "
		 "so that Docker sees it");
	long pg = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < len; off += (size_t)(pg > 0 ? pg : 4096))
		p[off] = 1;
	munmap(p, len);
}

int oom_score_adj_get(struct kernel *k, int pid, int *out)
{
	struct thread_group *tg = kernel_get_tg(k, pid);
	if (!tg)
		return -ESRCH;
	*out = __atomic_load_n(&tg->oom_score_adj, __ATOMIC_RELAXED);
	tg_put(tg);
	return 0;
}

int oom_score_adj_set(struct task *t, int pid, int val, bool legacy)
{
	if (val < OOM_SCORE_ADJ_MIN || val > OOM_SCORE_ADJ_MAX)
		return -EINVAL;
	struct thread_group *tg = kernel_get_tg(t->k, pid);
	if (!tg)
		return -ESRCH;
	/* As Linux's __set_oom_adj: below the floor only with
	 * CAP_SYS_RESOURCE, and a privileged write sets the floor; through
	 * the legacy oom_adj, any lowering needs the capability and the floor
	 * stays. */
	int r = 0;
	struct creds *c = task_creds(t);
	bool cap = c && creds_capable(c, CAP_SYS_RESOURCE_BIT);
	if (c)
		creds_put(c);
	int below = legacy ? __atomic_load_n(&tg->oom_score_adj, __ATOMIC_RELAXED)
			   : __atomic_load_n(&tg->oom_score_adj_min, __ATOMIC_RELAXED);
	if (val < below && !cap)
		r = -EACCES;
	if (r == 0) {
		__atomic_store_n(&tg->oom_score_adj, val, __ATOMIC_RELAXED);
		if (cap && !legacy)
			__atomic_store_n(&tg->oom_score_adj_min, val, __ATOMIC_RELAXED);
	}
	tg_put(tg);
	return r;
}

struct oom_score_arg {
	int pid;
	uint64_t total_pages;
	bool found, unkillable;
	int64_t badness;
};

static int oom_score_one(struct thread_group *tg, void *arg)
{
	struct oom_score_arg *a = arg;
	if (tg->tgid != a->pid)
		return 0;
	a->found = true;
	struct mm *mm = NULL;
	for (struct task *t = tg->threads; t && !mm; t = t->tg_next)
		mm = t->mm;
	int adj = __atomic_load_n(&tg->oom_score_adj, __ATOMIC_RELAXED);
	if (!mm || tg->zombie || adj <= OOM_SCORE_ADJ_MIN) {
		a->unkillable = true; /* oom_badness's LONG_MIN */
		return 1;
	}
	uint64_t vsize = 0, rss = 0;
	mm_usage(mm, &vsize, &rss);
	a->badness = (int64_t)(rss / 4096) + (int64_t)adj * (int64_t)(a->total_pages / 1000);
	return 1;
}

int oom_score_get(struct kernel *k, int pid, uint64_t total_pages, long *out)
{
	struct oom_score_arg a = {.pid = pid, .total_pages = total_pages ? total_pages : 1};
	kernel_for_each_tg(k, oom_score_one, &a);
	if (!a.found)
		return -ESRCH;
	/* As proc_oom_score: 0 for the unkillable, else the badness as a
	 * share of memory moved to [0, 2000], times 2/3. */
	*out = a.unkillable ? 0
			    : (1000 + (long)(a.badness * 1000 / (int64_t)a.total_pages)) * 2 / 3;
	if (*out < 0)
		*out = 0;
	return 0;
}
