/*
 * hostfd.c — files that wrap a host fd the Sentry inherited: the app's
 * stdin/stdout/stderr (a pipe, a regular file, or a pty slave).
 *
 * Reads and writes must never block the Sentry thread beyond the app's own
 * task: the host fd stays in whatever blocking mode it has (setting
 * O_NONBLOCK would leak into the shared terminal or pipe of the caller), so
 * before touching a pipe/tty/socket we poll it and, when it is not ready,
 * sleep in task_block_fd, which a signal interrupts.  After POLLIN a read
 * returns what is there; after POLLOUT a write of at most PIPE_BUF fits, so
 * writes are done in PIPE_BUF chunks.  Regular files never block.
 *
 * tty ioctls are passed to the host fd only when it is a tty (kernel struct
 * layouts copied as bytes); the foreground process group is recorded here
 * (the host's pgrp numbers mean nothing inside the sandbox).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "lib/lockdep.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/fs/devfs.h"
#include "sentry/vfs/vfs.h"

/* sentry/kernel provides it (kernel.h). */
int task_signal_send(struct task *t, int sig);

struct hostfd {
	int fd;
	bool regular;
	bool tty;
	struct vmutex lock; /* protects session's fields */
	/* A tty's link to the session it controls (the console's, set up by
	 * the kernel; other host ttys have none: no kernel ops). */
	struct tty_session session;
	struct file *file; /* the file this is the priv of (no reference) */
};

static struct hostfd *H(struct file *f)
{
	return f->priv;
}

/* The size of the kernel's struct termios (asm/termbits.h) on x86_64. */
#define KERNEL_TERMIOS_SIZE 36

/* Wait until the host fd is ready for events. 0, or -ERESTARTSYS on a signal. */
static int wait_ready(struct task *t, struct file *f, short events)
{
	struct hostfd *h = H(f);
	for (;;) {
		struct pollfd p = {.fd = h->fd, .events = events};
		int n = poll(&p, 1, 0);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (file_get_flags(f) & O_NONBLOCK)
			return -EAGAIN;
		if (!t) {
			/* Kernel-internal use without a task: block on the host. */
			poll(&p, 1, -1);
			return 0;
		}
		int r = task_block_fd(t, h->fd, events, NULL);
		if (r == -EINTR)
			return -ERESTARTSYS;
		if (r < 0 && r != -ETIMEDOUT)
			return r;
	}
}

static ssize_t hostfd_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct hostfd *h = H(f);
	if (h->regular) {
		/* read(2) goes through the host file's own offset, which the
		 * host fd shares with its dups (fd 1 and 2 as one file, a shell
		 * outside): pread(2) brings its own. */
		ssize_t n = pos == &f->pos ? read(h->fd, buf, len) : pread(h->fd, buf, len, *pos);
		if (n < 0)
			return -errno;
		*pos = pos == &f->pos ? (uint64_t)lseek(h->fd, 0, SEEK_CUR) : *pos + n;
		return n;
	}
	if (len == 0)
		return 0;
	for (;;) {
		int r = wait_ready(t, f, POLLIN);
		if (r < 0)
			return r;
		ssize_t n = read(h->fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		/* Someone else drained it between poll and read: wait again. */
		if (errno == EAGAIN)
			continue;
		return -errno;
	}
}

static ssize_t hostfd_write(struct task *t, struct file *f, const void *buf, size_t len,
			    uint64_t *pos)
{
	struct hostfd *h = H(f);
	if (h->regular) {
		/* As for read: write(2) uses (and moves) the shared host offset,
		 * so the app's stdout and stderr redirected to one file, or to a
		 * file a shell appends to, interleave as on Linux. */
		ssize_t n;
		if (pos == &f->pos || (file_get_flags(f) & O_APPEND)) {
			n = write(h->fd, buf, len);
			if (n >= 0)
				*pos = lseek(h->fd, 0, SEEK_CUR);
		} else {
			n = pwrite(h->fd, buf, len, *pos);
			if (n >= 0)
				*pos += n;
		}
		return n < 0 ? -errno : n;
	}
	size_t done = 0;
	while (done < len) {
		int r = wait_ready(t, f, POLLOUT);
		if (r < 0)
			return done ? (ssize_t)done : r;
		size_t chunk = len - done > PIPE_BUF ? PIPE_BUF : len - done;
		ssize_t n = write(h->fd, (const char *)buf + done, chunk);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			int e = errno;
			if (e == EPIPE && t)
				task_signal_send(t, SIGPIPE);
			return done ? (ssize_t)done : -e;
		}
		done += n;
	}
	return done;
}

static int64_t hostfd_llseek(struct file *f, int64_t off, int whence)
{
	struct hostfd *h = H(f);
	if (!h->regular)
		return -ESPIPE;
	/* The host offset is the file's offset (see hostfd_read). */
	off_t r = lseek(h->fd, off, whence);
	if (r < 0)
		return -errno;
	f->pos = (uint64_t)r;
	return r;
}

static int64_t hostfd_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct hostfd *h = H(f);
	unsigned char buf[64];
	int v;
	switch (cmd) {
	case FIONREAD: /* == TIOCINQ */
		if (h->regular)
			return -ENOTTY;
		if (ioctl(h->fd, FIONREAD, &v) < 0)
			return -errno;
		return task_copy_out(t, arg, &v, sizeof(v));
	}
	if (!h->tty)
		return -ENOTTY;
	switch (cmd) {
	case TCGETS:
		if (ioctl(h->fd, TCGETS, buf) < 0)
			return -errno;
		return task_copy_out(t, arg, buf, KERNEL_TERMIOS_SIZE);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		if (task_copy_in(t, buf, arg, KERNEL_TERMIOS_SIZE) < 0)
			return -EFAULT;
		return ioctl(h->fd, cmd, buf) < 0 ? -errno : 0;
	case TIOCGWINSZ: {
		struct winsize ws;
		if (ioctl(h->fd, TIOCGWINSZ, &ws) < 0)
			return -errno;
		return task_copy_out(t, arg, &ws, sizeof(ws));
	}
	case TIOCSWINSZ: {
		struct winsize ws;
		if (task_copy_in(t, &ws, arg, sizeof(ws)) < 0)
			return -EFAULT;
		return ioctl(h->fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
	}
	case TIOCOUTQ:
		if (ioctl(h->fd, TIOCOUTQ, &v) < 0)
			return -errno;
		return task_copy_out(t, arg, &v, sizeof(v));
	case TIOCGPGRP:
		vmutex_lock(&h->lock);
		v = h->session.pgrp;
		vmutex_unlock(&h->lock);
		if (v <= 0)
			return -ENOTTY; /* no foreground group recorded */
		return task_copy_out(t, arg, &v, sizeof(v));
	case TIOCSPGRP:
		if (task_copy_in(t, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		if (v < 0)
			return -EINVAL;
		vmutex_lock(&h->lock);
		h->session.pgrp = v;
		vmutex_unlock(&h->lock);
		return 0;
	case TIOCSCTTY:
		/* Sessions are the kernel's; a host tty it does not manage
		 * (not the console) cannot become a controlling terminal. */
		return h->session.kops ? h->session.kops->set_ctty(t, &h->session, (int)arg)
				       : -EPERM;
	}
	return -ENOTTY;
}

/* ---- the terminal's side of the console's session link ---- */

static struct hostfd *session_hostfd(struct tty_session *s)
{
	return (struct hostfd *)((char *)s - offsetof(struct hostfd, session));
}

static void hostfd_tty_get(struct tty_session *s)
{
	file_get(session_hostfd(s)->file);
}

static void hostfd_tty_put(struct tty_session *s)
{
	file_put(session_hostfd(s)->file);
}

/* /dev/tty of the console's session: the console's own description. */
static struct file *hostfd_tty_open(struct tty_session *s)
{
	struct file *f = session_hostfd(s)->file;
	file_get(f);
	return f;
}

static const struct tty_ops hostfd_tty_ops = {
	.get = hostfd_tty_get,
	.put = hostfd_tty_put,
	.open = hostfd_tty_open,
};

static struct tty_session *hostfd_tty(struct file *f)
{
	return H(f)->tty ? &H(f)->session : NULL;
}

static uint32_t hostfd_poll(struct file *f, struct poll_entry *pe)
{
	struct hostfd *h = H(f);
	if (h->regular)
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	struct pollfd p = {.fd = h->fd, .events = POLLIN | POLLOUT | POLLPRI};
	if (poll(&p, 1, 0) < 0)
		return POLLERR;
	short want = POLLIN | POLLOUT | POLLPRI;
	if (pe)
		poll_wait_host(pe, h->fd, (short)(pe->w.mask & want) ? (short)(pe->w.mask & want)
								     : want);
	uint32_t r = p.revents;
	if (r & POLLIN)
		r |= POLLRDNORM;
	if (r & POLLOUT)
		r |= POLLWRNORM;
	return r;
}

static int hostfd_fsync(struct file *f, bool datasync)
{
	struct hostfd *h = H(f);
	if (!h->regular)
		return -EINVAL;
	return (datasync ? fdatasync(h->fd) : fsync(h->fd)) < 0 ? -errno : 0;
}

static int hostfd_stat(struct file *f, struct stat *st)
{
	/* The terminal is the sandbox's /dev/pts/0: the same stat, so that
	 * ttyname(3) finds it (and the host's device numbers stay hidden). */
	struct inode *node = H(f)->tty ? devfs_console_node() : NULL;
	if (node) {
		inode_fill_stat(node, st);
		return 0;
	}
	return fstat(H(f)->fd, st) < 0 ? -errno : 0;
}

static void hostfd_release(struct file *f)
{
	struct hostfd *h = H(f);
	close(h->fd);
	vmutex_destroy(&h->lock);
	free(h);
}

static const struct file_ops hostfd_fops = {
	.read = hostfd_read,
	.write = hostfd_write,
	.llseek = hostfd_llseek,
	.ioctl = hostfd_ioctl,
	.poll = hostfd_poll,
	.fsync = hostfd_fsync,
	.stat = hostfd_stat,
	.release = hostfd_release,
	.tty = hostfd_tty,
};

static struct hostfd *hostfd_alloc(int fd)
{
	struct hostfd *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fd = fd;
	struct stat st;
	h->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	h->tty = isatty(fd);
	vmutex_init(&h->lock, LOCK_CLASS(HOSTFD));
	tty_session_init(&h->session, &hostfd_tty_ops, NULL, &h->lock);
	return h;
}

/* ---- the inode: what /proc/<pid>/fd/N of a host fd reopens ---- */

static struct superblock *hostfd_sb;
static pthread_once_t hostfd_once = PTHREAD_ONCE_INIT;

static void hostfd_sb_init(void)
{
	hostfd_sb = sb_new("hostfd", 0x6e6f6e65);
}

/* ino->priv: a host fd of the inode's own (a dup), closed at evict. */
static void hostfd_inode_evict(struct inode *ino)
{
	close((int)(intptr_t)ino->priv - 1);
}

/* A reopen through /proc/self/fd/N (e.g. "> /dev/stdout"): a new description
 * on a dup of the host fd, so offsets and flags are the new file's own. */
static int hostfd_inode_open(struct task *t, struct inode *ino, struct file *f)
{
	int fd = fcntl((int)(intptr_t)ino->priv - 1, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct hostfd *h = hostfd_alloc(fd);
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	f->priv = h;
	f->ops = &hostfd_fops;
	f->stream = !h->regular;
	return 0;
}

static const struct inode_ops hostfd_iops = {
	.open = hostfd_inode_open,
	.evict = hostfd_inode_evict,
};

static struct inode *hostfd_inode(int hostfd, const struct stat *st)
{
	pthread_once(&hostfd_once, hostfd_sb_init);
	if (!hostfd_sb)
		return NULL;
	int own = fcntl(hostfd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return NULL;
	struct inode *ino = inode_new(hostfd_sb, st->st_mode);
	if (!ino) {
		close(own);
		return NULL;
	}
	/* Ownership as on the host: Linux checks it on reopen, so a non-root
	 * app cannot reopen a root-owned pipe through /dev/stdout there either. */
	ino->uid = st->st_uid;
	ino->gid = st->st_gid;
	ino->ops = &hostfd_iops;
	/* A host pipe or tty reopens as itself, not as a Sentry FIFO or device. */
	ino->special_ops = NULL;
	ino->priv = (void *)(intptr_t)(own + 1);
	return ino;
}

/* The name under /dev of a host memory device (major 1, as Linux's
 * drivers/char/mem.c numbers them), or NULL. */
static const char *hostfd_mem_dev_name(const struct stat *st)
{
	if (!S_ISCHR(st->st_mode) || major(st->st_rdev) != 1)
		return NULL;
	switch (minor(st->st_rdev)) {
	case 3:
		return "null";
	case 5:
		return "zero";
	case 7:
		return "full";
	case 8:
		return "random";
	case 9:
		return "urandom";
	}
	return NULL;
}

struct file *hostfd_file_new(int hostfd, int flags)
{
	struct stat st;
	if (hostfd < 0 || fstat(hostfd, &st) < 0)
		return NULL;
	struct hostfd *h = hostfd_alloc(hostfd);
	if (!h)
		return NULL;
	struct inode *ino = hostfd_inode(hostfd, &st);
	struct file *f = file_new_anon(&hostfd_fops, ino, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK),
				       h);
	if (ino)
		inode_put(ino);
	if (!f) {
		vmutex_destroy(&h->lock);
		free(h);
		return NULL;
	}
	h->file = f;
	f->flags |= VFS_O_LARGEFILE;
	f->stream = !h->regular;
	if (h->regular) {
		off_t off = lseek(hostfd, 0, SEEK_CUR);
		f->pos = off > 0 ? (uint64_t)off : 0;
	}
	char name[64];
	if (h->tty)
		snprintf(name, sizeof(name), "/dev/pts/0");
	else if (hostfd_mem_dev_name(&st))
		/* As runc's container sees the /dev/null the shim gives for
		 * stdin without -i: its path, not an anonymous name. */
		snprintf(name, sizeof(name), "/dev/%s", hostfd_mem_dev_name(&st));
	else
		snprintf(name, sizeof(name), "%s:[%llu]",
			 S_ISFIFO(st.st_mode) ? "pipe" : S_ISSOCK(st.st_mode) ? "socket" : "host",
			 (unsigned long long)st.st_ino);
	file_set_anon_name(f, name);
	return f;
}

bool hostfd_is_tty(struct file *f)
{
	return f->ops == &hostfd_fops && H(f)->tty;
}
