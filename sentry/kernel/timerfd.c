/*
 * timerfd.c — timerfd(2) files.
 *
 * The state (under tf->lock): armed, the next expiration as a host
 * CLOCK_MONOTONIC deadline, the interval, and the expirations not yet read
 * (ticks).  Expirations are counted lazily: every access first brings the
 * count up to now (tf_update), so read, poll and gettime are exact even
 * before the timer service has run; the service's ktimer only wakes the
 * readers and pollers at the deadline.  An absolute CLOCK_REALTIME or
 * BOOTTIME time is converted to the host monotonic deadline when set (the
 * sandbox cannot set its clocks, so it never moves; TFD_TIMER_CANCEL_ON_SET
 * is accepted and never cancels).
 *
 * As Linux (fs/timerfd.c): read needs 8 bytes (EINVAL), returns the count
 * and zeroes it, waits while it is 0 (EAGAIN with O_NONBLOCK, -ERESTARTSYS
 * on a signal); settime zeroes the count; a periodic timer counts every
 * missed period.  Lock: tf->lock, then ktimer_lock (arming) or the file's
 * flags; the wait queue is notified after tf->lock is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "lib/lockdep.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktimer.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timerfd.h"
#include "sentry/vfs/vfs.h"

#define NSEC_PER_SEC 1000000000LL

struct timerfd {
	struct vmutex lock;
	struct waitq wq;
	struct ktimer kt;
	struct kernel *k;
	int clockid;
	int app_clockid;  /* as created (an _ALARM clock shows as itself) */
	int settime_flags;
	bool armed;
	int64_t next;     /* host CLOCK_MONOTONIC ns of the next expiration */
	int64_t interval; /* ns; 0: one-shot */
	uint64_t ticks;   /* expirations not read yet */
};

static const struct file_ops timerfd_fops;

bool file_is_timerfd(struct file *f)
{
	return f->ops == &timerfd_fops;
}

static int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / NSEC_PER_SEC - 1)
		return INT64_MAX / 2; /* far enough: never reached, never overflows */
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};
}

static int64_t host_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts_ns(&ts);
}

/* Under tf->lock: count the expirations up to now. */
static void tf_update(struct timerfd *tf, int64_t now)
{
	if (!tf->armed || now < tf->next)
		return;
	if (tf->interval) {
		uint64_t n = (uint64_t)((now - tf->next) / tf->interval) + 1;
		tf->ticks += n;
		tf->next += (int64_t)n * tf->interval;
	} else {
		tf->ticks++;
		tf->armed = false;
	}
}

static void tf_fire(struct ktimer *kt)
{
	struct timerfd *tf = kt->arg;
	vmutex_lock(&tf->lock);
	tf_update(tf, ktimer_now());
	bool ready = tf->ticks > 0;
	if (tf->armed)
		ktimer_arm(&tf->kt, tf->next);
	vmutex_unlock(&tf->lock);
	if (ready)
		waitq_notify(&tf->wq, POLLIN | POLLRDNORM);
}

static ssize_t tf_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct timerfd *tf = f->priv;
	if (len < 8)
		return -EINVAL;
	vmutex_lock(&tf->lock);
	for (;;) {
		tf_update(tf, ktimer_now());
		if (tf->ticks)
			break;
		if ((file_get_flags(f) & O_NONBLOCK) || !t) {
			vmutex_unlock(&tf->lock);
			return -EAGAIN;
		}
		struct waiter w;
		task_waiter_init(&w, t, POLLIN);
		waitq_add(&tf->wq, &w);
		vmutex_unlock(&tf->lock);
		int r = task_block(t, NULL);
		waitq_remove(&tf->wq, &w);
		if (r == -EINTR)
			return -ERESTARTSYS;
		vmutex_lock(&tf->lock);
	}
	uint64_t v = tf->ticks;
	tf->ticks = 0;
	vmutex_unlock(&tf->lock);
	memcpy(buf, &v, 8);
	return 8;
}

static uint32_t tf_poll(struct file *f, struct poll_entry *pe)
{
	struct timerfd *tf = f->priv;
	poll_wait(pe, &tf->wq);
	vmutex_lock(&tf->lock);
	tf_update(tf, ktimer_now());
	uint32_t m = tf->ticks ? POLLIN | POLLRDNORM : 0;
	vmutex_unlock(&tf->lock);
	return m;
}

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

/* As Linux (for checkpoint/restore): TFD_IOC_SET_TICKS sets the count. */
static int64_t tf_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct timerfd *tf = f->priv;
	if (cmd != TFD_IOC_SET_TICKS)
		return -ENOTTY;
	uint64_t ticks;
	if (task_copy_in(t, &ticks, arg, sizeof(ticks)))
		return -EFAULT;
	if (!ticks)
		return -EINVAL;
	vmutex_lock(&tf->lock);
	tf->ticks = ticks;
	vmutex_unlock(&tf->lock);
	waitq_notify(&tf->wq, POLLIN | POLLRDNORM);
	return 0;
}

static void tf_release(struct file *f)
{
	struct timerfd *tf = f->priv;
	ktimer_destroy(&tf->kt);
	waitq_destroy(&tf->wq);
	vmutex_destroy(&tf->lock);
	free(tf);
}

static int tf_stat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600; /* an anonymous inode, as Linux */
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops timerfd_fops = {
	.read = tf_read,
	.poll = tf_poll,
	.ioctl = tf_ioctl,
	.release = tf_release,
	.stat = tf_stat,
};

int timerfd_new(struct kernel *k, int clockid, int flags, struct file **out)
{
	int app_clockid = clockid;
	switch (clockid) {
	case CLOCK_REALTIME_ALARM:
		clockid = CLOCK_REALTIME;
		break;
	case CLOCK_BOOTTIME_ALARM:
		clockid = CLOCK_BOOTTIME;
		break;
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
		break;
	default:
		return -EINVAL;
	}
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	struct timerfd *tf = calloc(1, sizeof(*tf));
	if (!tf)
		return -ENOMEM;
	vmutex_init(&tf->lock, LOCK_CLASS(TIMERFD));
	waitq_init(&tf->wq);
	ktimer_init(&tf->kt, tf_fire, tf);
	tf->k = k;
	tf->clockid = clockid;
	tf->app_clockid = app_clockid;
	struct file *f = file_new_anon(&timerfd_fops, NULL, O_RDWR | (flags & TFD_NONBLOCK), tf);
	if (!f) {
		tf_release(&(struct file){.priv = tf});
		return -ENOMEM;
	}
	f->anon_name = strdup("anon_inode:[timerfd]");
	*out = f;
	return 0;
}

/* The sandbox's value of tf's clock now, and the host monotonic now. */
static int64_t tf_clock_now(struct timerfd *tf, int64_t mono)
{
	int64_t boot = ts_ns(&tf->k->boot_mono);
	switch (tf->clockid) {
	case CLOCK_REALTIME:
		return host_ns(CLOCK_REALTIME);
	case CLOCK_BOOTTIME:
		return host_ns(CLOCK_BOOTTIME) - boot;
	default:
		return mono - boot;
	}
}

/* Under tf->lock. */
static void tf_get_locked(struct timerfd *tf, int64_t now, struct itimerspec *cur)
{
	tf_update(tf, now);
	cur->it_value = ns_ts(tf->armed ? tf->next - now : 0);
	cur->it_interval = ns_ts(tf->interval);
}

int timerfd_file_settime(struct file *f, int flags, const struct itimerspec *nv,
		    struct itimerspec *ov)
{
	struct timerfd *tf = f->priv;
	int64_t value = ts_ns(&nv->it_value), interval = ts_ns(&nv->it_interval);
	vmutex_lock(&tf->lock);
	int64_t now = ktimer_now();
	tf_get_locked(tf, now, ov);
	tf->ticks = 0;
	tf->settime_flags = flags & (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET);
	tf->armed = value != 0;
	tf->interval = tf->armed ? interval : 0;
	int r = 0;
	if (tf->armed) {
		if (flags & TFD_TIMER_ABSTIME)
			tf->next = now + (value - tf_clock_now(tf, now));
		else
			tf->next = now + value;
		r = ktimer_arm(&tf->kt, tf->next);
	} else {
		tf->interval = 0;
		ktimer_disarm(&tf->kt);
	}
	vmutex_unlock(&tf->lock);
	return r;
}

int timerfd_fdinfo(struct file *f, char *buf, size_t len)
{
	struct timerfd *tf = f->priv;
	struct itimerspec cur;
	vmutex_lock(&tf->lock);
	tf_get_locked(tf, ktimer_now(), &cur);
	int n = snprintf(buf, len,
			 "clockid: %d\nticks: %llu\nsettime flags: 0%o\n"
			 "it_value: (%llu, %llu)\nit_interval: (%llu, %llu)\n",
			 tf->app_clockid, (unsigned long long)tf->ticks, (unsigned)tf->settime_flags,
			 (unsigned long long)cur.it_value.tv_sec,
			 (unsigned long long)cur.it_value.tv_nsec,
			 (unsigned long long)cur.it_interval.tv_sec,
			 (unsigned long long)cur.it_interval.tv_nsec);
	vmutex_unlock(&tf->lock);
	return n;
}

void timerfd_file_gettime(struct file *f, struct itimerspec *cur)
{
	struct timerfd *tf = f->priv;
	vmutex_lock(&tf->lock);
	tf_get_locked(tf, ktimer_now(), cur);
	vmutex_unlock(&tf->lock);
}
