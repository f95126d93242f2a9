/*
 * devpts.c — pseudo-terminals inside the Sentry: /dev/ptmx (5,2) and
 * /dev/pts/N (136,N).
 *
 * Each open of /dev/ptmx makes a pair: the opened file is the master, the
 * slave appears as /dev/pts/N (N from 1 up: 0 is the container's console,
 * a host pty, see devfs.c) in the pts directory of the newest devfs, and
 * the node goes away when the master is closed.  Everything lives here: no
 * host pty is involved, so the app's line discipline is the Sentry's.
 *
 * The line discipline reproduces what programs rely on from Linux's n_tty:
 *   input (master writes): ISTRIP, IXON (^S/^Q), ISIG (VINTR/VQUIT/VSUSP
 *   signal the foreground process group, flushing input unless NOFLSH), IGNCR,
 *   ICRNL, INLCR; canonical mode with VERASE/VWERASE/VKILL/VEOF/VEOL/VEOL2
 *   VLNEXT, and ECHO/ECHOE/ECHOK/ECHOKE/ECHONL/ECHOCTL; non-canonical reads with
 *   VMIN/VTIME.
 *   output (slave writes, echoes): OPOST with ONLCR and OCRNL.
 * Termios, window size and foreground group are the slave's; ioctls on the
 * master act on them too, as Linux's tty_pair_get_tty.
 *
 * Hangups as Linux: closing the master hangs the slave up (reads give 0,
 * writes and ioctls EIO, poll POLLHUP; SIGHUP and SIGCONT go to the
 * foreground group and the session leader) and later opens give EIO;
 * closing every slave makes master reads fail with EIO once drained.
 *
 * Packet mode (TIOCPKT) as Linux's: each master read starts with a status
 * byte, TIOCPKT_DATA before data, or alone the events since the last read:
 * the slave flushed its input (FLUSHREAD) or output (FLUSHWRITE), its
 * output was stopped or started (STOP, START), or its termios turned
 * ^S/^Q flow control on or off (DOSTOP, NOSTOP); poll gives POLLPRI then.
 * screen(1) and other terminal multiplexers need it.
 *
 * Job control as Linux: a background group of the terminal's session gets
 * SIGTTIN when it reads, SIGTTOU when it changes the terminal (or writes
 * under TOSTOP).
 *
 * Sessions and process groups are the kernel's: each pty embeds the
 * kernel's struct tty_session (sentry/kernel/tty.h), whose ops decide
 * TIOCSCTTY and job control, signal process groups and find sessions; the
 * kernel opens /dev/tty through the pty's tty_ops.  This file never calls
 * into the kernel by name.
 *
 * Locks: ptys_lock (the table and the current pts directory) is taken
 * after the kernel's tasks_lock and before pty->lock; pty->lock protects
 * everything in the pty and is never held across a wait, a signal send
 * (the kernel's tty ops take tasks_lock) or a namespace change (vfs_tree_lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "lib/lockdep.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/tty.h"
#include "sentry/vfs/vfs.h"
#include "sentry/fs/tmpfs.h"

#define PTY_MAX 4096     /* as Linux's default /proc/sys/kernel/pty/max */
#define PTY_IN_SIZE 4096 /* N_TTY_BUF_SIZE: the slave's input buffer */
#define PTY_OUT_SIZE 16384 /* what the slave may write before the master reads */

/* The termios2 ioctls (asm-generic/ioctls.h) spelled out: their macros need
 * the kernel's struct termios2, which clashes with glibc's <termios.h>. */
#define PTY_TCGETS2 0x802C542AU
#define PTY_TCSETS2 0x402C542BU
#define PTY_TCSETSW2 0x402C542CU
#define PTY_TCSETSF2 0x402C542DU
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* The kernel's struct termios (asm/termbits.h), not glibc's. */
#define PTY_NCCS 19
struct pty_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[PTY_NCCS];
};
_Static_assert(sizeof(struct pty_termios) == 36, "the kernel's struct termios is 36 bytes");

/* in_flags: what a byte of the input buffer is. */
#define IN_DELIM 1 /* ends a canonical line */
#define IN_EOF 2   /* the VEOF character: ends a line and is never read */

struct pty {
	_Atomic int refs; /* the master file and each slave file */
	unsigned int index;
	struct vmutex lock; /* protects everything below */
	struct waitq mwq;     /* the master's waiters (output to read, room for input) */
	struct waitq swq;     /* the slave's waiters */
	struct pty_termios tio;
	struct winsize ws;
	bool locked;        /* TIOCSPTLCK: slave opens give EIO */
	bool stopped;       /* output stopped (VSTOP with IXON, TCOOFF) */
	bool lnext;         /* VLNEXT seen: the next input byte is taken literally */
	bool packet;        /* TIOCPKT: the master reads in packet mode */
	uint8_t pktstatus;  /* TIOCPKT_* events the master has not read yet */
	int slaves;         /* open slave files */
	bool slave_opened;  /* a slave was ever opened (master EIO only after) */
	/* Input (master -> slave): bytes [0, in_len), complete lines [0, canon_end). */
	unsigned char in[PTY_IN_SIZE];
	uint8_t in_flags[PTY_IN_SIZE];
	size_t in_len, canon_end;
	/* Output (slave -> master), already through OPOST. */
	unsigned char out[PTY_OUT_SIZE];
	size_t out_len;
	/* The session this pty controls (the kernel decides), its foreground
	 * group, and hungup: the master is closed. */
	struct tty_session session;
	struct inode *dir, *node; /* the /dev/pts/N node and its directory (or NULL) */
};


/* The table of live ptys (index -> pty) and where new slave nodes go. */
static struct vmutex ptys_lock = VMUTEX_INITIALIZER(LOCK_CLASS(PTYS));
static struct pty *ptys[PTY_MAX];
static struct inode *pts_dir;

static const struct file_ops ptm_fops, pts_fops;
static const struct tty_ops pty_tty_ops;

void devpts_set_dir(struct inode *dir)
{
	if (dir)
		inode_get(dir);
	vmutex_lock(&ptys_lock);
	struct inode *old = pts_dir;
	pts_dir = dir;
	vmutex_unlock(&ptys_lock);
	if (old)
		inode_put(old);
}

/* ---- lifetime ---- */

/* As Linux's tty_std_termios with the pty slave's c_cflag: cooked, echoing,
 * 38400 baud, ^C ^\ ^? ^U ^D ^Q ^S ^Z ^R ^O ^W ^V. */
static void pty_default_termios(struct pty_termios *tio)
{
	static const uint8_t cc[PTY_NCCS] = {
		[VINTR] = 003,  [VQUIT] = 034,    [VERASE] = 0177,   [VKILL] = 025,
		[VEOF] = 004,   [VTIME] = 0,      [VMIN] = 1,        [VSTART] = 021,
		[VSTOP] = 023,  [VSUSP] = 032,    [VREPRINT] = 022,  [VDISCARD] = 017,
		[VWERASE] = 027, [VLNEXT] = 026,
	};
	memset(tio, 0, sizeof(*tio));
	tio->c_iflag = ICRNL | IXON;
	tio->c_oflag = OPOST | ONLCR;
	tio->c_cflag = B38400 | CS8 | CREAD;
	tio->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(tio->c_cc, cc, sizeof(cc));
}

static void pty_put(struct pty *p)
{
	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	waitq_destroy(&p->mwq);
	waitq_destroy(&p->swq);
	vmutex_destroy(&p->lock);
	if (p->node)
		inode_put(p->node);
	if (p->dir)
		inode_put(p->dir);
	free(p);
}

/* Wake both sides: waits are level-triggered, each re-checks its condition. */
static void pty_wake(struct pty *p)
{
	waitq_notify(&p->mwq, ~0u);
	waitq_notify(&p->swq, ~0u);
}

/* Wait on wq with p->lock held (returns with it held): 0 when woken,
 * -ERESTARTSYS on a signal, -ETIMEDOUT past deadline. */
static int pty_wait(struct task *t, struct pty *p, struct waitq *wq, const struct timespec *deadline)
{
	if (!t)
		return -EAGAIN; /* no task to sleep (kernel-internal use) */
	struct waiter w;
	task_waiter_init(&w, t, ~0u);
	waitq_add(wq, &w);
	vmutex_unlock(&p->lock);
	int r = task_block(t, deadline);
	waitq_remove(wq, &w);
	vmutex_lock(&p->lock);
	if (r == -EINTR)
		return -ERESTARTSYS;
	return r == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

/* Signal a process group of the kernel k this pty's session was in (read
 * under p->lock by the caller, which no longer holds it). */
static void pty_signal(struct pty *p, struct kernel *k, int pgrp, int sig)
{
	if (k && pgrp > 0 && p->session.kops)
		p->session.kops->signal_pgrp(k, pgrp, sig);
}

/* A packet-mode event for the master (under p->lock); as Linux, STOP and
 * START cancel each other, and so do DOSTOP and NOSTOP. */
static void pkt_event(struct pty *p, uint8_t ev)
{
	if (!p->packet)
		return;
	if (ev & (TIOCPKT_STOP | TIOCPKT_START))
		p->pktstatus &= ~(TIOCPKT_STOP | TIOCPKT_START);
	if (ev & (TIOCPKT_DOSTOP | TIOCPKT_NOSTOP))
		p->pktstatus &= ~(TIOCPKT_DOSTOP | TIOCPKT_NOSTOP);
	p->pktstatus |= ev;
}

/* ^S/^Q flow control as n_tty_set_termios judges it for packet mode. */
static bool pkt_flow(const struct pty_termios *tio)
{
	return (tio->c_iflag & IXON) && tio->c_cc[VSTOP] == 023 && tio->c_cc[VSTART] == 021;
}

/* ---- output processing ---- */

static bool out_put(struct pty *p, const void *s, size_t n)
{
	if (PTY_OUT_SIZE - p->out_len < n)
		return false;
	memcpy(p->out + p->out_len, s, n);
	p->out_len += n;
	return true;
}

/* One byte through OPOST; false when there is no room for it. */
static bool out_char(struct pty *p, unsigned char c)
{
	uint32_t o = p->tio.c_oflag;
	if (o & OPOST) {
		if (c == '\n' && (o & ONLCR))
			return out_put(p, "\r\n", 2);
		if (c == '\r' && (o & OCRNL))
			c = '\n';
	}
	return out_put(p, &c, 1);
}

/* Echoed as ^X under ECHOCTL (as n_tty: every control char but TAB). */
static bool echo_as_ctl(const struct pty *p, unsigned char c)
{
	return (p->tio.c_lflag & ECHOCTL) && (c < 32 || c == 0177) && c != '\t';
}

/* Echoes are dropped when the master does not read (as Linux loses them). */
static void echo_char(struct pty *p, unsigned char c)
{
	if (echo_as_ctl(p, c)) {
		unsigned char s[2] = {'^', c ^ 0100};
		out_put(p, s, 2);
		return;
	}
	out_char(p, c);
}

/* ---- input processing (the line discipline) ---- */

static bool is_cc(const struct pty *p, int idx, unsigned char c)
{
	/* _POSIX_VDISABLE is 0: a zero control character matches nothing. */
	return p->tio.c_cc[idx] != 0 && p->tio.c_cc[idx] == c;
}

static void in_put(struct pty *p, unsigned char c, uint8_t flags)
{
	if (p->in_len >= PTY_IN_SIZE)
		return;
	p->in[p->in_len] = c;
	p->in_flags[p->in_len] = flags;
	p->in_len++;
	if (flags & IN_DELIM)
		p->canon_end = p->in_len;
}

/* Remove the last character of the line being edited, echoing the erase. */
static void erase_last(struct pty *p, bool visual)
{
	size_t i = p->in_len - 1;
	/* IUTF8: a multibyte character goes whole. */
	if (p->tio.c_iflag & IUTF8)
		while (i > p->canon_end && (p->in[i] & 0xc0) == 0x80)
			i--;
	unsigned char c = p->in[i];
	p->in_len = i;
	if (!(p->tio.c_lflag & ECHO))
		return;
	if (visual) {
		int cols = echo_as_ctl(p, c) ? 2 : 1;
		for (int n = 0; n < cols; n++)
			out_put(p, "\b \b", 3);
	} else {
		echo_char(p, p->tio.c_cc[VERASE]);
	}
}

/* VERASE, VWERASE, VKILL in canonical mode (as n_tty's eraser). */
static void erase_input(struct pty *p, unsigned char c)
{
	uint32_t l = p->tio.c_lflag;
	if (p->in_len == p->canon_end)
		return; /* nothing on the current line */
	if (is_cc(p, VKILL, c)) {
		if (!(l & ECHO)) {
			p->in_len = p->canon_end;
			return;
		}
		if (!(l & ECHOK) || !(l & ECHOKE) || !(l & ECHOE)) {
			p->in_len = p->canon_end;
			echo_char(p, c);
			if (l & ECHOK)
				out_char(p, '\n');
			return;
		}
		while (p->in_len > p->canon_end)
			erase_last(p, true);
		return;
	}
	if (is_cc(p, VERASE, c)) {
		erase_last(p, (l & ECHOE) != 0);
		return;
	}
	/* VWERASE: trailing blanks, then the word before them. */
	while (p->in_len > p->canon_end &&
	       (p->in[p->in_len - 1] == ' ' || p->in[p->in_len - 1] == '\t'))
		erase_last(p, (l & ECHOE) != 0);
	while (p->in_len > p->canon_end && p->in[p->in_len - 1] != ' ' &&
	       p->in[p->in_len - 1] != '\t')
		erase_last(p, (l & ECHOE) != 0);
}

/* Can the input take another byte?  A canonical line that filled the
 * buffer still takes (and drops) bytes so a writer never blocks on a line
 * no reader can complete; its delimiter has the last slot. */
static bool in_room(const struct pty *p)
{
	if (p->tio.c_lflag & ICANON)
		return p->in_len < PTY_IN_SIZE - 1 || (p->canon_end == 0 && p->in_len < PTY_IN_SIZE);
	return p->in_len < PTY_IN_SIZE;
}

/* One byte written to the master, under p->lock.  Returns the signal it
 * raises for the foreground group (0 none). */
static int input_char(struct pty *p, unsigned char c)
{
	uint32_t i = p->tio.c_iflag, l = p->tio.c_lflag;
	if (i & ISTRIP)
		c &= 0x7f;
	if (p->lnext) {
		/* After VLNEXT (^V): no special meaning, as n_tty's "literal". */
		p->lnext = false;
		if ((l & ICANON) && p->in_len >= PTY_IN_SIZE - 1)
			return 0;
		if (l & ECHO)
			echo_char(p, c);
		in_put(p, c, 0);
		return 0;
	}
	if (i & IXON) {
		if (is_cc(p, VSTOP, c)) {
			if (!p->stopped)
				pkt_event(p, TIOCPKT_STOP);
			p->stopped = true;
			return 0;
		}
		if (is_cc(p, VSTART, c)) {
			if (p->stopped)
				pkt_event(p, TIOCPKT_START);
			p->stopped = false;
			return 0;
		}
		if ((i & IXANY) && p->stopped) {
			pkt_event(p, TIOCPKT_START);
			p->stopped = false;
		}
	}
	if (l & ISIG) {
		int sig = is_cc(p, VINTR, c) ? SIGINT
			  : is_cc(p, VQUIT, c) ? SIGQUIT
			  : is_cc(p, VSUSP, c) ? SIGTSTP
					       : 0;
		if (sig) {
			/* The input is flushed unless NOFLSH.  Linux also flushes
			 * the pty's output in flight, but what already reached the
			 * master's read buffer stays, and here that is all of it. */
			if (!(l & NOFLSH)) {
				p->in_len = p->canon_end = 0;
				pkt_event(p, TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE);
			}
			if (l & ECHO)
				echo_char(p, c);
			return sig;
		}
	}
	if (c == '\r') {
		if (i & IGNCR)
			return 0;
		if (i & ICRNL)
			c = '\n';
	} else if (c == '\n' && (i & INLCR)) {
		c = '\r';
	}
	if ((l & ICANON) && (l & IEXTEN) && is_cc(p, VLNEXT, c)) {
		p->lnext = true;
		if ((l & ECHO) && (l & ECHOCTL))
			out_put(p, "^\b", 2); /* what comes next is echoed over it */
		return 0;
	}
	if (l & ICANON) {
		if (is_cc(p, VERASE, c) || is_cc(p, VKILL, c) ||
		    ((l & IEXTEN) && is_cc(p, VWERASE, c))) {
			erase_input(p, c);
			return 0;
		}
		if (c == '\n') {
			if (l & (ECHO | ECHONL))
				out_char(p, '\n');
			in_put(p, c, IN_DELIM);
			return 0;
		}
		if (is_cc(p, VEOF, c)) {
			in_put(p, c, IN_DELIM | IN_EOF);
			return 0;
		}
		if (is_cc(p, VEOL, c) || ((l & IEXTEN) && is_cc(p, VEOL2, c))) {
			if (l & ECHO)
				echo_char(p, c);
			in_put(p, c, IN_DELIM);
			return 0;
		}
		if (p->in_len >= PTY_IN_SIZE - 1)
			return 0; /* the line is full: dropped, as Linux (which beeps) */
	}
	if (l & ECHO)
		echo_char(p, c);
	in_put(p, c, 0);
	return 0;
}

/* Bytes a read may take now: complete lines in canonical mode. */
static size_t in_readable(const struct pty *p)
{
	return (p->tio.c_lflag & ICANON) ? p->canon_end : p->in_len;
}

/* FIONREAD: the readable bytes, VEOF marks not counted (as inq_canon). */
static size_t in_count(const struct pty *p)
{
	size_t n = in_readable(p), c = n;
	for (size_t i = 0; i < n; i++)
		if (p->in_flags[i] & IN_EOF)
			c--;
	return c;
}

/* Drop n bytes from the head of the input. */
static void in_consume(struct pty *p, size_t n)
{
	memmove(p->in, p->in + n, p->in_len - n);
	memmove(p->in_flags, p->in_flags + n, p->in_len - n);
	p->in_len -= n;
	p->canon_end = p->canon_end > n ? p->canon_end - n : 0;
}

/* Entering canonical mode: the bytes after the last delimiter become the
 * line being edited (as n_tty_set_termios). */
static void in_recanon(struct pty *p)
{
	size_t end = p->in_len;
	while (end > 0 && !(p->in_flags[end - 1] & IN_DELIM))
		end--;
	p->canon_end = end;
}

/* ---- the slave ---- */

static struct pty *PTY(struct file *f)
{
	return f->priv;
}

/* Is this pty t's controlling terminal (same session)?  Under p->lock. */
static bool is_ctty_of(struct pty *p, struct task *t)
{
	return t && t->tg && p->session.sid > 0 && t->tg->sid == p->session.sid && p->session.k == t->k;
}

/* Job control, as Linux's tty_check_change: a process of a background
 * group of the terminal's session that reads it (SIGTTIN) or changes it
 * (SIGTTOU) is stopped by the kernel's policy (the session's kernel ops). */
static int pty_job_control(struct task *t, struct pty *p, int sig)
{
	vmutex_lock(&p->lock);
	bool bg = is_ctty_of(p, t) && p->session.pgrp > 0 && t->tg->pgid != p->session.pgrp;
	vmutex_unlock(&p->lock);
	if (!bg || !p->session.kops)
		return 0;
	return p->session.kops->background(t, sig);
}

/* A canonical read: at most one line; VEOF's byte is never returned (a
 * line of just VEOF reads as 0, end of file). */
static size_t read_canon(struct pty *p, unsigned char *buf, size_t len)
{
	size_t d = 0;
	while (d < p->canon_end && !(p->in_flags[d] & IN_DELIM))
		d++;
	size_t line = d + 1; /* including the delimiter */
	size_t data = (p->in_flags[d] & IN_EOF) ? d : line;
	size_t n = data < len ? data : len;
	memcpy(buf, p->in, n);
	in_consume(p, n == data ? line : n);
	return n;
}

/* A non-canonical read of what is there (VEOF marks left from canonical
 * mode are skipped, as n_tty's __DISABLED_CHAR). */
static size_t read_raw(struct pty *p, unsigned char *buf, size_t len)
{
	size_t n = 0, used = 0;
	while (used < p->in_len && n < len) {
		if (!(p->in_flags[used] & IN_EOF))
			buf[n++] = p->in[used];
		used++;
	}
	in_consume(p, used);
	return n;
}

static struct timespec deadline_after_ds(unsigned int ds)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ds * 100000000ULL + (uint64_t)ts.tv_nsec;
	ts.tv_sec += ns / 1000000000ULL;
	ts.tv_nsec = ns % 1000000000ULL;
	return ts;
}

static ssize_t pts_read(struct task *t, struct file *f, void *ubuf, size_t len, uint64_t *pos)
{
	struct pty *p = PTY(f);
	unsigned char *buf = ubuf;
	if (len == 0)
		return 0;
	int jc = pty_job_control(t, p, SIGTTIN);
	if (jc < 0)
		return jc;
	bool nonblock = file_get_flags(f) & O_NONBLOCK;
	size_t got = 0;
	ssize_t r = 0;
	struct timespec dl;
	const struct timespec *deadline = NULL;
	vmutex_lock(&p->lock);
	for (;;) {
		if (p->session.hungup)
			break; /* a hung-up tty reads as end of file */
		bool canon = p->tio.c_lflag & ICANON;
		unsigned int vmin = p->tio.c_cc[VMIN], vtime = p->tio.c_cc[VTIME];
		if (canon) {
			if (p->canon_end > 0) {
				r = read_canon(p, buf, len);
				break;
			}
		} else {
			size_t n = read_raw(p, buf + got, len - got);
			got += n;
			size_t want = vmin ? (vmin < len ? vmin : len) : 1;
			if (got >= want || (vmin == 0 && vtime == 0))
				break;
			if (n > 0 && vtime) { /* VTIME is an inter-byte timer once data came */
				dl = deadline_after_ds(vtime);
				deadline = &dl;
			} else if (vmin == 0 && !deadline) { /* VTIME: overall timeout */
				dl = deadline_after_ds(vtime);
				deadline = &dl;
			}
		}
		if (nonblock) {
			r = -EAGAIN;
			break;
		}
		int w = pty_wait(t, p, &p->swq, deadline);
		if (w == -ETIMEDOUT)
			break;
		if (w < 0) {
			r = w;
			break;
		}
	}
	vmutex_unlock(&p->lock);
	pty_wake(p);
	if (got)
		return got;
	return r;
}

static ssize_t pts_write(struct task *t, struct file *f, const void *ubuf, size_t len,
			 uint64_t *pos)
{
	struct pty *p = PTY(f);
	const unsigned char *buf = ubuf;
	bool nonblock = file_get_flags(f) & O_NONBLOCK;
	size_t done = 0;
	ssize_t r = 0;
	vmutex_lock(&p->lock);
	bool tostop = p->tio.c_lflag & TOSTOP;
	vmutex_unlock(&p->lock);
	if (tostop) {
		int jc = pty_job_control(t, p, SIGTTOU);
		if (jc < 0)
			return jc;
	}
	vmutex_lock(&p->lock);
	while (done < len) {
		if (p->session.hungup) {
			r = -EIO;
			break;
		}
		if (p->stopped || PTY_OUT_SIZE - p->out_len < 2) {
			if (nonblock) {
				r = -EAGAIN;
				break;
			}
			vmutex_unlock(&p->lock);
			pty_wake(p); /* let the master drain what is there */
			vmutex_lock(&p->lock);
			int w = pty_wait(t, p, &p->swq, NULL);
			if (w < 0) {
				r = w;
				break;
			}
			continue;
		}
		out_char(p, buf[done++]);
	}
	vmutex_unlock(&p->lock);
	pty_wake(p);
	return done ? (ssize_t)done : r;
}

static uint32_t pts_poll(struct file *f, struct poll_entry *pe)
{
	struct pty *p = PTY(f);
	poll_wait(pe, &p->swq);
	uint32_t m = 0;
	vmutex_lock(&p->lock);
	if (p->session.hungup) {
		m = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
	} else {
		/* As n_tty's input_available_p: a line, or VMIN bytes when
		 * VTIME is 0 (else one byte). */
		unsigned int vmin = p->tio.c_cc[VMIN];
		size_t amt = (p->tio.c_lflag & ICANON) || p->tio.c_cc[VTIME] || !vmin ? 1 : vmin;
		if (in_readable(p) >= amt)
			m |= POLLIN | POLLRDNORM;
		if (!p->stopped && PTY_OUT_SIZE - p->out_len >= 2)
			m |= POLLOUT | POLLWRNORM;
	}
	vmutex_unlock(&p->lock);
	return m;
}

static void pts_release(struct file *f)
{
	struct pty *p = PTY(f);
	if (!p)
		return;
	vmutex_lock(&p->lock);
	p->slaves--;
	vmutex_unlock(&p->lock);
	pty_wake(p); /* the master sees POLLHUP / EIO once the last one goes */
	pty_put(p);
}

/* ---- the master ---- */

static ssize_t ptm_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct pty *p = PTY(f);
	if (len == 0)
		return 0;
	bool nonblock = file_get_flags(f) & O_NONBLOCK;
	ssize_t r;
	vmutex_lock(&p->lock);
	for (;;) {
		if (p->packet && p->pktstatus) { /* the events alone, as n_tty_read */
			*(unsigned char *)buf = p->pktstatus;
			p->pktstatus = 0;
			r = 1;
			break;
		}
		if (p->out_len > 0) {
			size_t hdr = p->packet ? 1 : 0; /* TIOCPKT_DATA first */
			size_t room = len - hdr;
			size_t n = p->out_len < room ? p->out_len : room;
			if (hdr)
				*(unsigned char *)buf = TIOCPKT_DATA;
			memcpy((char *)buf + hdr, p->out, n);
			memmove(p->out, p->out + n, p->out_len - n);
			p->out_len -= n;
			r = n + hdr;
			break;
		}
		if (p->slave_opened && p->slaves == 0) {
			r = -EIO; /* as Linux: every slave closed (TTY_OTHER_CLOSED) */
			break;
		}
		if (nonblock) {
			r = -EAGAIN;
			break;
		}
		int w = pty_wait(t, p, &p->mwq, NULL);
		if (w < 0) {
			r = w;
			break;
		}
	}
	vmutex_unlock(&p->lock);
	pty_wake(p);
	return r;
}

static ssize_t ptm_write(struct task *t, struct file *f, const void *ubuf, size_t len,
			 uint64_t *pos)
{
	struct pty *p = PTY(f);
	const unsigned char *buf = ubuf;
	bool nonblock = file_get_flags(f) & O_NONBLOCK;
	size_t done = 0;
	ssize_t r = 0;
	vmutex_lock(&p->lock);
	while (done < len) {
		if (!in_room(p)) {
			if (nonblock) {
				r = -EAGAIN;
				break;
			}
			vmutex_unlock(&p->lock);
			pty_wake(p);
			vmutex_lock(&p->lock);
			int w = pty_wait(t, p, &p->mwq, NULL);
			if (w < 0) {
				r = w;
				break;
			}
			continue;
		}
		int sig = input_char(p, buf[done++]);
		if (sig) {
			struct kernel *k = p->session.k;
			int pgrp = p->session.pgrp;
			vmutex_unlock(&p->lock);
			pty_wake(p);
			pty_signal(p, k, pgrp, sig);
			vmutex_lock(&p->lock);
		}
	}
	vmutex_unlock(&p->lock);
	pty_wake(p);
	return done ? (ssize_t)done : r;
}

static uint32_t ptm_poll(struct file *f, struct poll_entry *pe)
{
	struct pty *p = PTY(f);
	poll_wait(pe, &p->mwq);
	uint32_t m = 0;
	vmutex_lock(&p->lock);
	if (p->out_len > 0)
		m |= POLLIN | POLLRDNORM;
	if (p->packet && p->pktstatus)
		m |= POLLPRI | POLLIN | POLLRDNORM;
	if (in_room(p))
		m |= POLLOUT | POLLWRNORM;
	if (p->slave_opened && p->slaves == 0)
		m |= POLLHUP;
	vmutex_unlock(&p->lock);
	return m;
}

/* Take the /dev/pts/N node away (if it is still ours under that name). */
static void pty_remove_node(struct pty *p)
{
	if (!p->dir || !p->node)
		return;
	char name[16];
	snprintf(name, sizeof(name), "%u", p->index);
	vmutex_lock(&vfs_tree_lock);
	struct inode *cur = NULL;
	if (p->dir->ops && p->dir->ops->lookup && p->dir->ops->unlink &&
	    p->dir->ops->lookup(NULL, p->dir, name, &cur) == 0) {
		if (cur == p->node)
			p->dir->ops->unlink(p->dir, name, cur);
		inode_put(cur);
	}
	vmutex_unlock(&vfs_tree_lock);
}

/* Closing the master hangs the slave up (as Linux's pty_close ->
 * tty_vhangup): the session loses its terminal, its foreground group and
 * leader get SIGHUP then SIGCONT, and /dev/pts/N goes away. */
static void ptm_release(struct file *f)
{
	struct pty *p = PTY(f);
	if (!p)
		return;
	vmutex_lock(&ptys_lock);
	if (ptys[p->index] == p)
		ptys[p->index] = NULL;
	vmutex_unlock(&ptys_lock);
	vmutex_lock(&p->lock);
	p->session.hungup = true;
	struct kernel *k = p->session.k;
	int sid = p->session.sid, pgrp = p->session.pgrp;
	p->session.sid = p->session.pgrp = 0;
	vmutex_unlock(&p->lock);
	if (p->session.kops)
		p->session.kops->detach(&p->session);
	pty_wake(p);
	pty_signal(p, k, pgrp, SIGHUP);
	pty_signal(p, k, pgrp, SIGCONT);
	if (sid != pgrp) {
		pty_signal(p, k, sid, SIGHUP);
		pty_signal(p, k, sid, SIGCONT);
	}
	pty_remove_node(p);
	pty_put(p);
}

/* ---- opening ---- */

/* 5,2: /dev/ptmx makes a new pair and opens its master. */
static int ptmx_open(struct task *t, struct inode *ino, struct file *f)
{
	struct pty *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	vmutex_init(&p->lock, LOCK_CLASS(PTY));
	waitq_init(&p->mwq);
	waitq_init(&p->swq);
	pty_default_termios(&p->tio);
	/* A pty belongs to the sandbox of the task that made it. */
	tty_session_init(&p->session, &pty_tty_ops, t && t->k ? t->k->tty_kops : NULL, &p->lock);
	p->locked = true; /* as Linux: until unlockpt (TIOCSPTLCK 0) */
	vmutex_lock(&ptys_lock);
	unsigned int idx = 1; /* 0 is the container's console */
	while (idx < PTY_MAX && ptys[idx])
		idx++;
	if (idx == PTY_MAX) {
		vmutex_unlock(&ptys_lock);
		pty_put(p);
		return -ENOSPC; /* as Linux past /proc/sys/kernel/pty/max */
	}
	p->index = idx;
	ptys[idx] = p;
	if (pts_dir) {
		inode_get(pts_dir);
		p->dir = pts_dir;
	}
	vmutex_unlock(&ptys_lock);
	if (p->dir) {
		/* As devpts: the slave belongs to the opener, mode 0620. */
		const struct creds *c = vfs_task_creds(t);
		char name[16];
		snprintf(name, sizeof(name), "%u", idx);
		vmutex_lock(&vfs_tree_lock);
		int r = tmpfs_add_node(p->dir, name, S_IFCHR | 0620, makedev(136, idx), NULL,
				       &p->node);
		vmutex_unlock(&vfs_tree_lock);
		if (r < 0) {
			vmutex_lock(&ptys_lock);
			ptys[idx] = NULL;
			vmutex_unlock(&ptys_lock);
			p->node = NULL;
			pty_put(p);
			return r;
		}
		vmutex_lock(&p->node->lock);
		p->node->uid = vfs_fsuid(c);
		p->node->gid = vfs_fsgid(c);
		vmutex_unlock(&p->node->lock);
	}
	f->ops = &ptm_fops;
	f->priv = p;
	f->stream = true;
	return 0;
}

/* A new reference on the slave side of p, for an open: EIO when locked or
 * hung up (as Linux's pty_open). */
static int pty_slave_get(struct pty *p)
{
	int r = 0;
	vmutex_lock(&p->lock);
	if (p->locked || p->session.hungup) {
		r = -EIO;
	} else {
		p->slaves++;
		p->slave_opened = true;
		atomic_fetch_add(&p->refs, 1);
	}
	vmutex_unlock(&p->lock);
	return r;
}

/* 136,N (N >= 1): the slave of pty N. */
static int pts_open(struct task *t, struct inode *ino, struct file *f)
{
	unsigned int index = minor(ino->rdev);
	vmutex_lock(&ptys_lock);
	struct pty *p = index < PTY_MAX ? ptys[index] : NULL;
	int r = p ? pty_slave_get(p) : -ENXIO;
	vmutex_unlock(&ptys_lock);
	if (r < 0)
		return r;
	f->ops = &pts_fops;
	f->priv = p;
	f->stream = true;
	/* As Linux's tty_open_proc_set_tty: a session leader without a
	 * terminal that opens a slave for reading, without O_NOCTTY, takes it
	 * as its controlling terminal (when it cannot, the open still works). */
	if (t && t->tg && !(f->flags & O_NOCTTY) && f->readable && p->session.kops)
		p->session.kops->set_ctty(t, &p->session, 0);
	return 0;
}

/* A slave file with no path of its own (TIOCGPTPEER, /dev/tty): it stats
 * as the /dev/pts/N node and /proc/<pid>/fd shows that name, so ttyname(3)
 * finds it.  Takes a slave reference (pty_slave_get) itself. */
static struct file *pty_slave_file(struct pty *p, int flags, int *err)
{
	*err = pty_slave_get(p);
	if (*err < 0)
		return NULL;
	struct file *sf = file_new_anon(&pts_fops, p->node, flags, p);
	if (!sf) {
		*err = -ENOMEM;
		vmutex_lock(&p->lock);
		p->slaves--;
		vmutex_unlock(&p->lock);
		pty_put(p);
		return NULL;
	}
	sf->flags |= VFS_O_LARGEFILE;
	char name[32];
	snprintf(name, sizeof(name), "/dev/pts/%u", p->index);
	file_set_anon_name(sf, name);
	return sf;
}

/* ---- the terminal's side of its session link (sentry/kernel/tty.h) ---- */

static struct pty *session_pty(struct tty_session *s)
{
	return (struct pty *)((char *)s - offsetof(struct pty, session));
}

static void pty_tty_get(struct tty_session *s)
{
	atomic_fetch_add(&session_pty(s)->refs, 1);
}

static void pty_tty_put(struct tty_session *s)
{
	pty_put(session_pty(s));
}

/* /dev/tty of the session this pty controls: a new slave file. */
static struct file *pty_tty_open(struct tty_session *s)
{
	int err;
	return pty_slave_file(session_pty(s), O_RDWR, &err);
}

static const struct tty_ops pty_tty_ops = {
	.get = pty_tty_get,
	.put = pty_tty_put,
	.open = pty_tty_open,
};

static struct tty_session *pty_tty(struct file *f)
{
	return PTY(f) ? &PTY(f)->session : NULL;
}

/* ---- ioctls ---- */

static int set_termios(struct task *t, struct pty *p, unsigned int cmd, uint64_t arg, size_t size)
{
	struct pty_termios tio;
	if (task_copy_in(t, &tio, arg, sizeof(tio)) < 0)
		return -EFAULT;
	vmutex_lock(&p->lock);
	bool was_canon = p->tio.c_lflag & ICANON;
	bool flush = cmd == TCSETSF || cmd == PTY_TCSETSF2;
	if (flush) {
		p->in_len = p->canon_end = 0;
		pkt_event(p, TIOCPKT_FLUSHREAD);
	}
	if (pkt_flow(&p->tio) != pkt_flow(&tio))
		pkt_event(p, pkt_flow(&tio) ? TIOCPKT_DOSTOP : TIOCPKT_NOSTOP);
	/* Speeds other than the ones encoded in c_cflag are not kept: a pty
	 * has no line rate (Linux keeps them only to report them back). */
	p->tio = tio;
	if (!was_canon && (tio.c_lflag & ICANON))
		in_recanon(p);
	if (!(tio.c_iflag & IXON) && p->stopped) {
		p->stopped = false;
		pkt_event(p, TIOCPKT_START);
	}
	vmutex_unlock(&p->lock);
	pty_wake(p);
	return 0;
}

static int64_t pty_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct pty *p = PTY(f);
	bool master = f->ops == &ptm_fops;
	int v;
	vmutex_lock(&p->lock);
	bool hungup = p->session.hungup;
	vmutex_unlock(&p->lock);
	if (hungup && !master)
		return cmd == TIOCSPGRP ? -ENOTTY : -EIO; /* as hung_up_tty_ioctl */

	switch (cmd) {
	case TCGETS:
	case PTY_TCGETS2: {
		unsigned char buf[44] = {0};
		vmutex_lock(&p->lock);
		memcpy(buf, &p->tio, sizeof(p->tio));
		vmutex_unlock(&p->lock);
		if (cmd == PTY_TCGETS2) { /* c_ispeed, c_ospeed after the 36 bytes */
			uint32_t speed = 38400;
			memcpy(buf + 36, &speed, 4);
			memcpy(buf + 40, &speed, 4);
			return task_copy_out(t, arg, buf, 44);
		}
		return task_copy_out(t, arg, buf, sizeof(p->tio));
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case PTY_TCSETS2:
	case PTY_TCSETSW2:
	case PTY_TCSETSF2: {
		int jc = pty_job_control(t, p, SIGTTOU);
		if (jc < 0)
			return jc;
		return set_termios(t, p, cmd, arg, sizeof(struct pty_termios));
	}
	case TIOCGWINSZ: {
		struct winsize ws;
		vmutex_lock(&p->lock);
		ws = p->ws;
		vmutex_unlock(&p->lock);
		return task_copy_out(t, arg, &ws, sizeof(ws));
	}
	case TIOCSWINSZ: {
		struct winsize ws;
		if (task_copy_in(t, &ws, arg, sizeof(ws)) < 0)
			return -EFAULT;
		vmutex_lock(&p->lock);
		bool changed = memcmp(&ws, &p->ws, sizeof(ws)) != 0;
		p->ws = ws;
		struct kernel *k = p->session.k;
		int pgrp = p->session.pgrp;
		vmutex_unlock(&p->lock);
		if (changed) /* as Linux's tty_do_resize */
			pty_signal(p, k, pgrp, SIGWINCH);
		return 0;
	}
	case TIOCGPGRP:
	case TIOCGSID: {
		vmutex_lock(&p->lock);
		/* As tiocgpgrp/tiocgsid: the slave answers only its session. */
		bool ok = master || is_ctty_of(p, t);
		v = cmd == TIOCGPGRP ? p->session.pgrp : p->session.sid;
		vmutex_unlock(&p->lock);
		if (!ok || (cmd == TIOCGSID && v == 0))
			return -ENOTTY;
		return task_copy_out(t, arg, &v, sizeof(v));
	}
	case TIOCSPGRP: {
		if (task_copy_in(t, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		vmutex_lock(&p->lock);
		bool ok = is_ctty_of(p, t);
		int sid = p->session.sid;
		struct kernel *k = p->session.k;
		vmutex_unlock(&p->lock);
		if (!ok)
			return -ENOTTY;
		int jc = pty_job_control(t, p, SIGTTOU);
		if (jc < 0)
			return jc;
		if (v < 0)
			return -EINVAL;
		int s = p->session.kops ? p->session.kops->pgrp_session(k, v) : -ESRCH;
		if (s < 0)
			return -ESRCH;
		if (s != sid)
			return -EPERM;
		vmutex_lock(&p->lock);
		if (p->session.sid == sid)
			p->session.pgrp = v;
		vmutex_unlock(&p->lock);
		return 0;
	}
	case TIOCSCTTY:
		/* Sessions are the kernel's; on the master it means the slave. */
		return p->session.kops ? p->session.kops->set_ctty(t, &p->session, (int)arg) : -EPERM;
	case TIOCNOTTY: {
		if (master)
			return -ENOTTY;
		vmutex_lock(&p->lock);
		bool ok = is_ctty_of(p, t);
		bool leader = ok && t->tg->tgid == p->session.sid;
		struct kernel *k = p->session.k;
		int pgrp = p->session.pgrp;
		if (leader)
			p->session.sid = p->session.pgrp = 0;
		vmutex_unlock(&p->lock);
		if (!ok)
			return -ENOTTY;
		if (leader && p->session.kops)
			p->session.kops->detach(&p->session);
		/* As Linux's disassociate_ctty: the leader gives the terminal
		 * up and the foreground group gets SIGHUP and SIGCONT.  Another
		 * member cannot lose it alone here (the terminal belongs to the
		 * session), so that is a no-op. */
		if (leader) {
			pty_signal(p, k, pgrp, SIGHUP);
			pty_signal(p, k, pgrp, SIGCONT);
		}
		return 0;
	}
	case FIONREAD: /* == TIOCINQ */
		vmutex_lock(&p->lock);
		v = (int)(master ? p->out_len : in_count(p));
		vmutex_unlock(&p->lock);
		return task_copy_out(t, arg, &v, sizeof(v));
	case TIOCOUTQ:
		vmutex_lock(&p->lock);
		v = master ? 0 : (int)p->out_len;
		vmutex_unlock(&p->lock);
		return task_copy_out(t, arg, &v, sizeof(v));
	case TCFLSH: {
		if (arg > TCIOFLUSH)
			return -EINVAL;
		int jc = pty_job_control(t, p, SIGTTOU);
		if (jc < 0)
			return jc;
		/* The master's input queue is the slave's output and vice versa. */
		bool in = arg == TCIFLUSH || arg == TCIOFLUSH;
		bool out = arg == TCOFLUSH || arg == TCIOFLUSH;
		vmutex_lock(&p->lock);
		if (master ? out : in)
			p->in_len = p->canon_end = 0;
		if (master ? in : out)
			p->out_len = 0;
		/* Only the slave's flushes are packet events (its tty's pktstatus). */
		if (!master)
			pkt_event(p, (in ? TIOCPKT_FLUSHREAD : 0) | (out ? TIOCPKT_FLUSHWRITE : 0));
		vmutex_unlock(&p->lock);
		pty_wake(p);
		return 0;
	}
	case TCXONC: {
		if (arg > TCION)
			return -EINVAL;
		int jc = pty_job_control(t, p, SIGTTOU);
		if (jc < 0)
			return jc;
		vmutex_lock(&p->lock);
		/* The slave's stop_tty/start_tty are packet events. */
		if (arg == TCOOFF) {
			if (!master && !p->stopped)
				pkt_event(p, TIOCPKT_STOP);
			p->stopped = true;
		} else if (arg == TCOON) {
			if (!master && p->stopped)
				pkt_event(p, TIOCPKT_START);
			p->stopped = false;
		}
		/* TCIOFF/TCION send STOP/START to the other side: a pty has no
		 * flow control to talk to, so they change nothing (as Linux). */
		vmutex_unlock(&p->lock);
		pty_wake(p);
		return 0;
	}
	case TCSBRK:
	case TCSBRKP:
		/* tcdrain/tcsendbreak: pty output is never pending in a device,
		 * and a break means nothing on a pty. */
		return 0;
	case TIOCGETD:
		v = 0; /* N_TTY */
		return task_copy_out(t, arg, &v, sizeof(v));
	case TIOCSETD:
		if (task_copy_in(t, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		return v == 0 ? 0 : -EINVAL; /* only N_TTY exists here */
	}
	if (!master)
		return -ENOTTY;
	switch (cmd) {
	case TIOCGPTN: {
		unsigned int n = p->index;
		return task_copy_out(t, arg, &n, sizeof(n));
	}
	case TIOCSPTLCK:
		if (task_copy_in(t, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		vmutex_lock(&p->lock);
		p->locked = v != 0;
		vmutex_unlock(&p->lock);
		return 0;
	case TIOCGPTLCK:
		vmutex_lock(&p->lock);
		v = p->locked;
		vmutex_unlock(&p->lock);
		return task_copy_out(t, arg, &v, sizeof(v));
	case TIOCGPTPEER: {
		int flags = (int)arg;
		if (flags & ~(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC))
			return -EINVAL;
		if (!t || !t->fdt)
			return -EBADF;
		int err;
		struct file *sf = pty_slave_file(p, flags & (O_ACCMODE | O_NONBLOCK), &err);
		if (!sf)
			return err;
		int fd = fdt_install(t->fdt, sf, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0, 0);
		file_put(sf);
		return fd;
	}
	case TIOCPKT:
		if (task_copy_in(t, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		vmutex_lock(&p->lock);
		if (v && !p->packet)
			p->pktstatus = 0; /* as pty_set_pktmode: old events go */
		p->packet = v != 0;
		vmutex_unlock(&p->lock);
		return 0;
	case TIOCGPKT:
		vmutex_lock(&p->lock);
		v = p->packet;
		vmutex_unlock(&p->lock);
		return task_copy_out(t, arg, &v, sizeof(v));
	case TIOCSIG: {
		/* As Linux's pty_signal: only the keyboard signals, to the
		 * slave's foreground group. */
		int sig = (int)arg;
		if (sig != SIGINT && sig != SIGQUIT && sig != SIGTSTP)
			return -EINVAL;
		vmutex_lock(&p->lock);
		struct kernel *k = p->session.k;
		int pgrp = p->session.pgrp;
		vmutex_unlock(&p->lock);
		pty_signal(p, k, pgrp, sig);
		return 0;
	}
	}
	return -ENOTTY;
}

static const struct file_ops ptm_fops = {
	.read = ptm_read,
	.write = ptm_write,
	.ioctl = pty_ioctl,
	.poll = ptm_poll,
	.release = ptm_release,
	.tty = pty_tty,
};

static const struct file_ops pts_fops = {
	.read = pts_read,
	.write = pts_write,
	.ioctl = pty_ioctl,
	.poll = pts_poll,
	.release = pts_release,
	.tty = pty_tty,
};

int devpts_register(void)
{
	int r = vfs_register_chrdev(5, 2, 1, ptmx_open);
	if (r == 0)
		r = vfs_register_chrdev(136, 1, PTY_MAX - 1, pts_open);
	return r;
}
