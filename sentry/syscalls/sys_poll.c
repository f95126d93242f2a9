/*
 * sys_poll.c — the file-family syscalls: readiness: poll, ppoll, select, pselect6, epoll and eventfd.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.
 *
 * A signal during poll/select restarts only when no handler runs: poll
 * through restart_syscall and a restart block holding its deadline
 * (-ERESTART_RESTARTBLOCK, as Linux's do_restart_poll), select and the
 * p-variants with -ERESTARTNOHAND after writing the time left back.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/epoll.h"
#include "sentry/vfs/eventfd.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- poll/select */

struct kpoll {
	int fd;
	short events, revents;
};

static void ts_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static struct timespec ts_add(struct timespec a, struct timespec b)
{
	a.tv_sec += b.tv_sec;
	a.tv_nsec += b.tv_nsec;
	if (a.tv_nsec >= 1000000000) {
		a.tv_sec++;
		a.tv_nsec -= 1000000000;
	}
	return a;
}

/* Remaining time until deadline (zero when passed). */
static struct timespec ts_left(const struct timespec *deadline)
{
	struct timespec now;
	ts_now(&now);
	struct timespec r = {deadline->tv_sec - now.tv_sec, deadline->tv_nsec - now.tv_nsec};
	if (r.tv_nsec < 0) {
		r.tv_sec--;
		r.tv_nsec += 1000000000;
	}
	if (r.tv_sec < 0)
		r = (struct timespec){0, 0};
	return r;
}

/*
 * Wait until one of ents is ready or the deadline (NULL: none; zero
 * deadline in the past: just check).  Returns the number of ready entries,
 * or -ERESTARTNOHAND when a signal came first.
 */
static int64_t vfs_poll_wait(struct task *t, struct kpoll *ents, int n, const struct timespec *deadline)
{
	struct file **files = calloc(n ? n : 1, sizeof(*files));
	struct poll_entry *pes = calloc(n ? n : 1, sizeof(*pes));
	int64_t result = 0;
	int epfd = -1;
	if (!files || !pes) {
		free(files);
		free(pes);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		if (ents[i].fd >= 0)
			files[i] = get_file(t, ents[i].fd);
		task_poll_entry_init(&pes[i], t, (uint32_t)(uint16_t)ents[i].events | POLLERR | POLLHUP);
	}
	for (bool first = true;; first = false) {
		int ready = 0;
		for (int i = 0; i < n; i++) {
			ents[i].revents = 0;
			if (ents[i].fd < 0)
				continue;
			if (!files[i]) {
				ents[i].revents = POLLNVAL;
				ready++;
				continue;
			}
			uint32_t m = file_poll(files[i], first ? &pes[i] : NULL);
			ents[i].revents = (short)(m & ((uint16_t)ents[i].events | POLLERR | POLLHUP |
						       POLLNVAL));
			if (ents[i].revents)
				ready++;
		}
		if (ready) {
			result = ready;
			break;
		}
		struct timespec now;
		ts_now(&now);
		if (deadline && (now.tv_sec > deadline->tv_sec ||
				 (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))) {
			result = 0;
			break;
		}
		/* Host fds (stdio) cannot be on a Sentry wait queue: sleep on them too. */
		int nhost = 0, hostfd = -1;
		short hostev = 0;
		for (int i = 0; i < n; i++) {
			if (pes[i].hostfd >= 0) {
				nhost++;
				hostfd = pes[i].hostfd;
				hostev = pes[i].hostevents;
			}
		}
		int r;
		if (nhost == 0) {
			r = task_block(t, deadline);
		} else if (nhost == 1) {
			r = task_block_fd(t, hostfd, hostev, deadline);
		} else {
			if (epfd < 0) {
				epfd = epoll_create1(EPOLL_CLOEXEC);
				for (int i = 0; epfd >= 0 && i < n; i++) {
					if (pes[i].hostfd < 0)
						continue;
					struct epoll_event ev = {.events = (uint32_t)pes[i].hostevents};
					ev.data.fd = pes[i].hostfd;
					/* The same host fd twice: EEXIST, harmless. */
					epoll_ctl(epfd, EPOLL_CTL_ADD, pes[i].hostfd, &ev);
				}
			}
			r = epfd >= 0 ? task_block_fd(t, epfd, POLLIN, deadline)
				      : task_block_fd(t, hostfd, hostev, deadline);
		}
		if (r == -EINTR) {
			result = -ERESTARTNOHAND;
			break;
		}
		if (r < 0 && r != -ETIMEDOUT) {
			result = r;
			break;
		}
		/* Woken, host fd ready, or timed out: check again (the timeout is
		 * noticed at the top so a last-moment event still counts). */
	}
	for (int i = 0; i < n; i++) {
		poll_entry_remove(&pes[i]);
		if (files[i])
			file_put(files[i]);
	}
	if (epfd >= 0)
		close(epfd);
	free(files);
	free(pes);
	return result;
}

static int64_t do_poll(struct task *t, uint64_t fdsaddr, uint64_t nfds,
		       const struct timespec *deadline)
{
	if (nfds > t->fdt->max_fds || nfds > (1u << 20))
		return -EINVAL;
	struct pollfd *pfd = malloc((nfds ? nfds : 1) * sizeof(*pfd));
	struct kpoll *kp = malloc((nfds ? nfds : 1) * sizeof(*kp));
	int64_t r;
	if (!pfd || !kp) {
		r = -ENOMEM;
		goto out;
	}
	if (nfds && task_copy_in(t, pfd, fdsaddr, nfds * sizeof(*pfd)) < 0) {
		r = -EFAULT;
		goto out;
	}
	for (uint64_t i = 0; i < nfds; i++)
		kp[i] = (struct kpoll){pfd[i].fd, pfd[i].events, 0};
	r = vfs_poll_wait(t, kp, (int)nfds, deadline);
	if (r >= 0) {
		for (uint64_t i = 0; i < nfds; i++)
			pfd[i].revents = kp[i].revents;
		if (nfds && task_copy_out(t, fdsaddr, pfd, nfds * sizeof(*pfd)) < 0)
			r = -EFAULT;
	}
out:
	free(pfd);
	free(kp);
	return r;
}

/* poll's restart block: fds, nfds, and the deadline (has_deadline, sec, nsec). */
static int64_t poll_restart(struct task *t);

static int64_t poll_until(struct task *t, uint64_t fds, uint64_t nfds, const struct timespec *dlp)
{
	int64_t r = do_poll(t, fds, nfds, dlp);
	if (r != -ERESTARTNOHAND)
		return r;
	t->restart_arg[0] = fds;
	t->restart_arg[1] = nfds;
	t->restart_arg[2] = dlp ? (uint64_t)dlp->tv_sec : UINT64_MAX;
	t->restart_arg[3] = dlp ? (uint64_t)dlp->tv_nsec : 0;
	t->restart_fn = poll_restart;
	return -ERESTART_RESTARTBLOCK;
}

static int64_t poll_restart(struct task *t)
{
	struct timespec dl = {(time_t)t->restart_arg[2], (long)t->restart_arg[3]};
	bool has = t->restart_arg[2] != UINT64_MAX;
	t->restart_fn = NULL;
	return poll_until(t, t->restart_arg[0], t->restart_arg[1], has ? &dl : NULL);
}

static int64_t sys_poll(struct task *t, const uint64_t a[6])
{
	int timeout = (int)a[2];
	struct timespec dl, *dlp = NULL;
	if (timeout >= 0) {
		ts_now(&dl);
		dl = ts_add(dl, (struct timespec){timeout / 1000, (timeout % 1000) * 1000000L});
		dlp = &dl;
	}
	return poll_until(t, a[0], a[1], dlp);
}

/* Read a timespec timeout (NULL addr: none) into an absolute deadline. */
static int64_t timeout_in(struct task *t, uint64_t addr, struct timespec *dl, bool *has)
{
	*has = false;
	if (!addr)
		return 0;
	struct timespec ts;
	if (task_copy_in(t, &ts, addr, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	ts_now(dl);
	*dl = ts_add(*dl, ts);
	*has = true;
	return 0;
}

/* ppoll/pselect6: install the temporary mask; on return without a signal to
 * deliver, put the old one back (with a signal, delivery restores it after
 * building the handler frame, as Linux's restore_saved_sigmask_unless). */
static int64_t sigmask_in(struct task *t, uint64_t addr, uint64_t size, bool *set)
{
	*set = false;
	if (!addr)
		return 0;
	if (size != sizeof(sigset64_t))
		return -EINVAL;
	sigset64_t m;
	if (task_copy_in(t, &m, addr, sizeof(m)) < 0)
		return -EFAULT;
	task_set_sigmask_for_wait(t, m);
	*set = true;
	return 0;
}

static void sigmask_done(struct task *t, bool set, int64_t r)
{
	if (!set || r == -ERESTARTNOHAND || r == -EINTR)
		return;
	t->restore_sigmask = false;
	task_set_sigmask(t, t->saved_sigmask);
}

/* The end of ppoll/pselect6: restore the signal mask, then write the time
 * left back to the timespec at addr (as Linux: a failure here is ignored). */
static void timed_wait_done(struct task *t, bool set, int64_t r, bool has,
			    const struct timespec *dl, uint64_t addr)
{
	sigmask_done(t, set, r);
	if (has && r != -EFAULT) {
		struct timespec left = ts_left(dl);
		task_copy_out(t, addr, &left, sizeof(left));
	}
}

static int64_t sys_ppoll(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool has;
	int64_t r = timeout_in(t, a[2], &dl, &has);
	if (r < 0)
		return r;
	bool set;
	r = sigmask_in(t, a[3], a[4], &set);
	if (r < 0)
		return r;
	r = do_poll(t, a[0], a[1], has ? &dl : NULL);
	timed_wait_done(t, set, r, has, &dl, a[2]);
	return r;
}

#define SELECT_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SELECT_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SELECT_EX (POLLPRI)

static int64_t do_select(struct task *t, int nfds, uint64_t inp, uint64_t outp, uint64_t exp,
			 const struct timespec *deadline)
{
	if (nfds < 0 || (unsigned int)nfds > t->fdt->max_fds)
		return -EINVAL;
	size_t words = ((size_t)nfds + 63) / 64;
	size_t bytes = words * 8;
	uint64_t *sets[3] = {0};
	uint64_t addrs[3] = {inp, outp, exp};
	struct kpoll *kp = NULL;
	int64_t r = 0;
	for (int s = 0; s < 3; s++) {
		sets[s] = calloc(words ? words : 1, 8);
		if (!sets[s]) {
			r = -ENOMEM;
			goto out;
		}
		if (addrs[s] && bytes && task_copy_in(t, sets[s], addrs[s], bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	}
	kp = malloc((nfds ? nfds : 1) * sizeof(*kp));
	if (!kp) {
		r = -ENOMEM;
		goto out;
	}
	int n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		short ev = 0;
		if (sets[0][fd / 64] & bit)
			ev |= SELECT_IN;
		if (sets[1][fd / 64] & bit)
			ev |= SELECT_OUT;
		if (sets[2][fd / 64] & bit)
			ev |= SELECT_EX;
		if (!ev)
			continue;
		struct file *f = get_file(t, fd);
		if (!f) {
			r = -EBADF;
			goto out;
		}
		file_put(f);
		kp[n++] = (struct kpoll){fd, ev, 0};
	}
	r = vfs_poll_wait(t, kp, n, deadline);
	if (r < 0)
		goto out;
	for (int s = 0; s < 3; s++)
		memset(sets[s], 0, words * 8);
	int count = 0;
	for (int i = 0; i < n; i++) {
		int fd = kp[i].fd;
		uint64_t bit = 1ULL << (fd % 64);
		short re = kp[i].revents, ev = kp[i].events;
		if ((ev & SELECT_IN) && (re & SELECT_IN)) {
			sets[0][fd / 64] |= bit;
			count++;
		}
		if ((ev & SELECT_OUT) && (re & SELECT_OUT)) {
			sets[1][fd / 64] |= bit;
			count++;
		}
		if ((ev & SELECT_EX) && (re & SELECT_EX)) {
			sets[2][fd / 64] |= bit;
			count++;
		}
	}
	for (int s = 0; s < 3; s++) {
		if (addrs[s] && bytes && task_copy_out(t, addrs[s], sets[s], bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	}
	r = count;
out:
	for (int s = 0; s < 3; s++)
		free(sets[s]);
	free(kp);
	return r;
}

static int64_t sys_select(struct task *t, const uint64_t a[6])
{
	struct timespec dl, *dlp = NULL;
	if (a[4]) {
		struct timeval tv;
		if (task_copy_in(t, &tv, a[4], sizeof(tv)) < 0)
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Linux normalises usec >= 1e6 instead of failing. */
		struct timespec ts = {tv.tv_sec + tv.tv_usec / 1000000, (tv.tv_usec % 1000000) * 1000};
		ts_now(&dl);
		dl = ts_add(dl, ts);
		dlp = &dl;
	}
	int64_t r = do_select(t, (int)a[0], a[1], a[2], a[3], dlp);
	if (dlp && r != -EFAULT) {
		struct timespec left = ts_left(&dl);
		struct timeval tv = {left.tv_sec, left.tv_nsec / 1000};
		task_copy_out(t, a[4], &tv, sizeof(tv));
	}
	return r;
}

static int64_t sys_pselect6(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool has;
	int64_t r = timeout_in(t, a[4], &dl, &has);
	if (r < 0)
		return r;
	/* a[5] points at {const sigset_t *ss; size_t ss_len;}. */
	bool set = false;
	if (a[5]) {
		uint64_t sm[2];
		if (task_copy_in(t, sm, a[5], sizeof(sm)) < 0)
			return -EFAULT;
		r = sigmask_in(t, sm[0], sm[1], &set);
		if (r < 0)
			return r;
	}
	r = do_select(t, (int)a[0], a[1], a[2], a[3], has ? &dl : NULL);
	timed_wait_done(t, set, r, has, &dl, a[4]);
	return r;
}

/* ---------------------------------------------------------------- eventfd, epoll */

static int64_t sys_eventfd2(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[1];
	struct file *f;
	int r = eventfd_new((unsigned int)a[0], flags, &f);
	return r < 0 ? r : install(t, f, flags & EFD_CLOEXEC);
}

static int64_t sys_eventfd(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {a[0], 0};
	return sys_eventfd2(t, b);
}

static int64_t sys_epoll_create1(struct task *t, const uint64_t a[6])
{
	struct file *f;
	int r = epoll_new((int)a[0], &f);
	return r < 0 ? r : install(t, f, (int)a[0] & EPOLL_CLOEXEC);
}

static int64_t sys_epoll_create(struct task *t, const uint64_t a[6])
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	uint64_t b[6] = {0};
	return sys_epoll_create1(t, b);
}

static int64_t sys_epoll_ctl(struct task *t, const uint64_t a[6])
{
	int op = (int)a[1], fd = (int)a[2];
	struct epoll_event ev;
	if (op != EPOLL_CTL_DEL && task_copy_in(t, &ev, a[3], sizeof(ev)) < 0)
		return -EFAULT;
	struct file *ep = get_file(t, (int)a[0]);
	struct file *target = get_file(t, fd);
	int64_t r;
	if (!ep || !target)
		r = -EBADF;
	else
		r = epoll_ctl_file(ep, op, fd, target, op == EPOLL_CTL_DEL ? NULL : &ev);
	put_files(ep, target);
	return r;
}

static int64_t do_epoll_wait(struct task *t, int epfd, uint64_t events, int maxevents,
			     const struct timespec *deadline)
{
	if (maxevents <= 0 || (size_t)maxevents > INT32_MAX / sizeof(struct epoll_event))
		return -EINVAL;
	struct file *ep = get_file(t, epfd);
	if (!ep)
		return -EBADF;
	int64_t r;
	int cap = maxevents < 1024 ? maxevents : 1024;
	struct epoll_event *out = malloc(cap * sizeof(*out));
	if (!out)
		r = -ENOMEM;
	else if (!file_is_epoll(ep))
		r = -EINVAL;
	else
		r = epoll_wait_file(t, ep, out, cap, deadline);
	if (r > 0 && task_copy_out(t, events, out, r * sizeof(*out)) < 0)
		r = -EFAULT;
	free(out);
	file_put(ep);
	return r;
}

static struct timespec *ms_deadline(int ms, struct timespec *dl)
{
	if (ms < 0)
		return NULL;
	ts_now(dl);
	*dl = ts_add(*dl, (struct timespec){ms / 1000, (ms % 1000) * 1000000L});
	return dl;
}

static int64_t sys_epoll_wait(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	return do_epoll_wait(t, (int)a[0], a[1], (int)a[2], ms_deadline((int)a[3], &dl));
}

static int64_t sys_epoll_pwait(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool set;
	int64_t r = sigmask_in(t, a[4], a[5], &set);
	if (r < 0)
		return r;
	r = do_epoll_wait(t, (int)a[0], a[1], (int)a[2], ms_deadline((int)a[3], &dl));
	sigmask_done(t, set, r);
	return r;
}

static int64_t sys_epoll_pwait2(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool has, set;
	int64_t r = timeout_in(t, a[3], &dl, &has);
	if (r < 0)
		return r;
	r = sigmask_in(t, a[4], a[5], &set);
	if (r < 0)
		return r;
	r = do_epoll_wait(t, (int)a[0], a[1], (int)a[2], has ? &dl : NULL);
	sigmask_done(t, set, r);
	return r;
}

const struct syscall_def sys_poll_defs[] = {
	{SYS_poll, "poll", sys_poll},
	{SYS_ppoll, "ppoll", sys_ppoll},
	{SYS_select, "select", sys_select},
	{SYS_pselect6, "pselect6", sys_pselect6},
	{SYS_eventfd, "eventfd", sys_eventfd},
	{SYS_eventfd2, "eventfd2", sys_eventfd2},
	{SYS_epoll_create, "epoll_create", sys_epoll_create},
	{SYS_epoll_create1, "epoll_create1", sys_epoll_create1},
	{SYS_epoll_ctl, "epoll_ctl", sys_epoll_ctl},
	{SYS_epoll_wait, "epoll_wait", sys_epoll_wait},
	{SYS_epoll_pwait, "epoll_pwait", sys_epoll_pwait},
	{SYS_epoll_pwait2, "epoll_pwait2", sys_epoll_pwait2},
	{0},
};
