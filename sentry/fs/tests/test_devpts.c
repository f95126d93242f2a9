/* Unit tests for sentry/fs/devpts.c: /dev/ptmx and /dev/pts/N driven through
 * the file ops — locking, the line discipline (canonical editing, echo,
 * ONLCR, ISIG, VMIN/VTIME), the session ioctls, hangups, blocking and poll.
 * The kernel side (process groups, signals) is a recording stand-in. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/tty.h"
#include "sentry/tests/harness.h"

/* ---- the kernel stand-in: signals recorded, groups 12 and 13 in session 10,
 * group 20 in session 30 ---- */

static struct kernel fake_k;
#define FAKE_K (&fake_k)
static int sent_sig[16], sent_pgrp[16], nsent;
/* The terminal the fake kernel's session 10 has (TIOCSCTTY), or NULL. */
static struct tty_session *fake_ctty;

static void fake_signal_pgrp(struct kernel *k, int pgid, int sig)
{
	if (k == FAKE_K && nsent < 16) {
		sent_pgrp[nsent] = pgid;
		sent_sig[nsent++] = sig;
	}
}

static int fake_pgrp_session(struct kernel *k, int pgid)
{
	if (pgid == 12 || pgid == 13 || pgid == 10)
		return 10;
	if (pgid == 20)
		return 30;
	return -ESRCH;
}

/* A background access: record it as the signal to t's group, stop it. */
static int fake_background(struct task *t, int sig)
{
	fake_signal_pgrp(t->k, t->tg->pgid, sig);
	return -ERESTARTSYS;
}

/* TIOCSCTTY: the fake kernel lets its session leader take the terminal,
 * as the kernel's rules do for a session without one. */
static int fake_set_ctty(struct task *t, struct tty_session *s, int steal)
{
	vmutex_lock(s->lock);
	int r = s->hungup ? -EIO : 0;
	if (r == 0) {
		s->k = t->k;
		s->sid = t->tg->sid;
		s->pgrp = t->tg->pgid;
	}
	vmutex_unlock(s->lock);
	if (r == 0)
		fake_ctty = s;
	return r;
}

static void fake_detach(struct tty_session *s)
{
	if (fake_ctty == s)
		fake_ctty = NULL;
}

static const struct tty_kernel_ops fake_ops = {
	.signal_pgrp = fake_signal_pgrp,
	.pgrp_session = fake_pgrp_session,
	.background = fake_background,
	.set_ctty = fake_set_ctty,
	.detach = fake_detach,
};

/* /dev/tty as the kernel opens it: pin the terminal, open, unpin. */
static struct file *fake_open_ctty(void)
{
	struct tty_session *s = fake_ctty;
	if (!s)
		return NULL;
	s->ops->get(s);
	struct file *f = s->ops->open(s);
	s->ops->put(s);
	return f;
}

static bool was_sent(int pgrp, int sig)
{
	for (int i = 0; i < nsent; i++)
		if (sent_pgrp[i] == pgrp && sent_sig[i] == sig)
			return true;
	return false;
}

/* ---- the kernel's termios as the ioctls carry it ---- */

struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};

struct tfx {
	struct fx fx;
	struct thread_group tg; /* the test task's process: pid 10, session leader */
	struct file *m, *s;
	unsigned int n;
};

static int setup(void **state)
{
	if (fx_setup_sized(state, sizeof(struct tfx)) < 0)
		return -1;
	struct tfx *x = *state;
	if (fx_mount_dev(&x->fx) < 0)
		return -1;
	x->tg.tgid = x->tg.sid = x->tg.pgid = 10;
	x->fx.t->tg = &x->tg;
	fake_k.tty_kops = &fake_ops;
	x->fx.t->k = FAKE_K;
	fake_ctty = NULL;
	nsent = 0;
	/* open ptmx -> TIOCGPTN -> unlock -> open the slave, as glibc's openpty. */
	if (vfs_open(x->fx.t, AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY, 0, &x->m) < 0)
		return -1;
	if (file_ioctl(x->fx.t, x->m, TIOCGPTN, (uint64_t)(uintptr_t)&x->n) < 0)
		return -1;
	int unlock = 0;
	if (file_ioctl(x->fx.t, x->m, TIOCSPTLCK, (uint64_t)(uintptr_t)&unlock) < 0)
		return -1;
	char path[32];
	snprintf(path, sizeof(path), "/dev/pts/%u", x->n);
	if (vfs_open(x->fx.t, AT_FDCWD, path, O_RDWR | O_NOCTTY, 0, &x->s) < 0)
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct tfx *x = *state;
	if (x->s)
		file_put(x->s);
	if (x->m)
		file_put(x->m);
	x->fx.t->tg = NULL;
	return fx_teardown(state);
}

#define IOCTL(x, f, cmd, p) file_ioctl((x)->fx.t, (f), (cmd), (uint64_t)(uintptr_t)(p))

/* The slave becomes session 10's terminal (TIOCSCTTY; we lead session 10)
 * with foreground group pgrp. */
static void take_ctty(struct tfx *x, int pgrp)
{
	assert_int_equal(IOCTL(x, x->s, TIOCSCTTY, 0), 0);
	if (pgrp != x->tg.pgid)
		assert_int_equal(IOCTL(x, x->s, TIOCSPGRP, &pgrp), 0);
}

static void set_nonblock(struct file *f)
{
	assert_int_equal(file_set_flags(f, file_get_flags(f) | O_NONBLOCK), 0);
}

/* Read what the master has (nonblocking) into buf, NUL-terminated. */
static ssize_t master_drain(struct tfx *x, char *buf, size_t len)
{
	set_nonblock(x->m);
	ssize_t n = file_read(x->fx.t, x->m, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* The names in an open directory, each followed by a space. */
struct names_ctx {
	struct dir_ctx ctx;
	char buf[256];
};

static int names_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino,
		      unsigned int type, uint64_t next)
{
	struct names_ctx *n = (struct names_ctx *)c;
	if (name[0] != '.' && strlen(n->buf) + len + 2 < sizeof(n->buf)) {
		strncat(n->buf, name, len);
		strcat(n->buf, " ");
	}
	return 0;
}

static const char *list_dir(struct tfx *x, struct file *d)
{
	static struct names_ctx n;
	memset(&n, 0, sizeof(n));
	n.ctx.emit = names_emit;
	assert_int_equal(d->ops->readdir(x->fx.t, d, &n.ctx), 0);
	return n.buf;
}

static void test_ptmx_makes_a_locked_slave_node_that_goes_with_the_master(void **state)
{
	struct tfx *x = *state;
	assert_int_equal(x->n, 1); /* 0 is the console's */
	struct stat st;
	assert_int_equal(vfs_statat(x->fx.t, AT_FDCWD, "/dev/pts/1", 0, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 136);
	assert_int_equal(minor(st.st_rdev), 1);
	assert_int_equal(st.st_mode & 0777, 0620);
	assert_int_equal(vfs_statat(x->fx.t, AT_FDCWD, "/dev/ptmx", 0, &st), 0);
	assert_int_equal(major(st.st_rdev), 5);
	assert_int_equal(minor(st.st_rdev), 2);

	/* A second pair: index 2, locked until unlockpt. */
	struct file *m2, *s2;
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, "/dev/ptmx", O_RDWR, 0, &m2), 0);
	unsigned int n2 = 0;
	int lk = 0;
	assert_int_equal(IOCTL(x, m2, TIOCGPTN, &n2), 0);
	assert_int_equal(n2, 2);
	assert_int_equal(IOCTL(x, m2, TIOCGPTLCK, &lk), 0);
	assert_int_equal(lk, 1);
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, "/dev/pts/2", O_RDWR, 0, &s2), -EIO);
	lk = 0;
	assert_int_equal(IOCTL(x, m2, TIOCSPTLCK, &lk), 0);
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, "/dev/pts/2", O_RDWR, 0, &s2), 0);
	/* Master-only ioctls on a slave are not a pty-mux's. */
	assert_int_equal(IOCTL(x, s2, TIOCGPTN, &n2), -ENOTTY);
	file_put(s2);

	/* The directory lists the live slaves. */
	struct file *d;
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, "/dev/pts", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	assert_string_equal(list_dir(x, d), "1 2 ");
	file_put(d);

	/* Closing the master takes /dev/pts/2 away; the index is reused. */
	file_put(m2);
	assert_int_equal(vfs_statat(x->fx.t, AT_FDCWD, "/dev/pts/2", 0, &st), -ENOENT);
	assert_int_equal(vfs_statat(x->fx.t, AT_FDCWD, "/dev/pts/1", 0, &st), 0);
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, "/dev/ptmx", O_RDWR, 0, &m2), 0);
	assert_int_equal(IOCTL(x, m2, TIOCGPTN, &n2), 0);
	assert_int_equal(n2, 2);
	file_put(m2);
}

static void test_default_termios_is_linux_cooked_mode(void **state)
{
	struct tfx *x = *state;
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), 0);
	assert_int_equal(tio.c_iflag, ICRNL | IXON);
	assert_int_equal(tio.c_oflag, OPOST | ONLCR);
	assert_int_equal(tio.c_cflag & CBAUD, B38400);
	assert_true(tio.c_lflag & ICANON);
	assert_true(tio.c_lflag & ECHO);
	assert_true(tio.c_lflag & ISIG);
	assert_int_equal(tio.c_cc[VINTR], 3);
	assert_int_equal(tio.c_cc[VERASE], 0177);
	assert_int_equal(tio.c_cc[VKILL], 025);
	assert_int_equal(tio.c_cc[VEOF], 4);
	assert_int_equal(tio.c_cc[VMIN], 1);
	/* The master reports the slave's termios (Linux's tty_pair_get_tty). */
	struct ktermios mt;
	assert_int_equal(IOCTL(x, x->m, TCGETS, &mt), 0);
	assert_memory_equal(&mt, &tio, sizeof(tio));
	/* Not a seekable file. */
	assert_int_equal(file_lseek(x->s, 0, SEEK_SET), -ESPIPE);
}

static void test_canonical_input_is_edited_echoed_and_given_by_line(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[64];
	set_nonblock(x->s);
	/* An incomplete line is not readable yet. */
	assert_int_equal(file_write(t, x->m, "ab\x7f", 3), 3);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), -EAGAIN);
	int n = -1;
	assert_int_equal(IOCTL(x, x->s, FIONREAD, &n), 0);
	assert_int_equal(n, 0);
	/* CR becomes NL (ICRNL) and ends the line. */
	assert_int_equal(file_write(t, x->m, "c\r", 2), 2);
	assert_int_equal(IOCTL(x, x->s, FIONREAD, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "ac\n", 3);
	/* The echo: the erase as backspace-space-backspace (ECHOE), NL as CRNL. */
	assert_int_equal(master_drain(x, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "ab\b \bc\r\n");

	/* VKILL drops the line; one line per read; a short read leaves the rest. */
	assert_int_equal(file_write(t, x->m, "xyz\x15q\nr\n", 8), 8);
	assert_int_equal(file_read(t, x->s, buf, 1), 1);
	assert_int_equal(buf[0], 'q');
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], '\n');
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "r\n", 2);

	/* VLNEXT (^V) takes the next byte literally, even VERASE. */
	master_drain(x, buf, sizeof(buf));
	assert_int_equal(file_write(t, x->m, "\x16\x7f\n", 3), 3);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "\x7f\n", 2);
	assert_int_equal(master_drain(x, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "^\b^?\r\n");

	/* VEOF ends a line without being read; alone it reads as end of file;
	 * FIONREAD does not count it. */
	assert_int_equal(file_write(t, x->m, "ab\x04\x04", 4), 4);
	assert_int_equal(IOCTL(x, x->s, FIONREAD, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 0);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), -EAGAIN);

	/* Without ECHO nothing comes back; ECHONL still echoes newlines. */
	master_drain(x, buf, sizeof(buf));
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), 0);
	tio.c_lflag &= ~ECHO;
	tio.c_lflag |= ECHONL;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	assert_int_equal(file_write(t, x->m, "secret\n", 7), 7);
	assert_int_equal(master_drain(x, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "\r\n");
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 7);
}

static void test_input_cr_nl_mapping_flags(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[16];
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), 0);
	tio.c_iflag = IGNCR;
	assert_int_equal(IOCTL(x, x->s, TCSETSF, &tio), 0);
	assert_int_equal(file_write(t, x->m, "a\r\n", 3), 3);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "a\n", 2);
	/* INLCR: NL becomes CR, which (no ICRNL) does not end a line. */
	tio.c_iflag = INLCR;
	tio.c_lflag &= ~ICANON;
	tio.c_cc[VMIN] = 1;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	assert_int_equal(file_write(t, x->m, "b\n", 2), 2);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "b\r", 2);
}

static void test_output_onlcr_and_raw(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[32];
	assert_int_equal(file_write(t, x->s, "a\nb", 3), 3);
	int n = -1;
	assert_int_equal(IOCTL(x, x->m, FIONREAD, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(master_drain(x, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "a\r\nb");
	/* cfmakeraw-like: no OPOST, bytes pass as they are. */
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->m, TCGETS, &tio), 0);
	tio.c_oflag &= ~OPOST;
	assert_int_equal(IOCTL(x, x->m, TCSETS, &tio), 0);
	assert_int_equal(file_write(t, x->s, "a\nb", 3), 3);
	assert_int_equal(master_drain(x, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "a\nb");
}

static void test_ctrl_c_signals_the_foreground_group_and_flushes(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[32];
	/* Session 10's terminal, foreground group 12 (ours, so reading it is
	 * no background access). */
	x->tg.pgid = 12;
	take_ctty(x, 12);
	assert_int_equal(file_write(t, x->m, "ab\x03", 3), 3);
	assert_int_equal(nsent, 1);
	assert_true(was_sent(12, SIGINT));
	set_nonblock(x->s);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), -EAGAIN); /* flushed */
	assert_int_equal(master_drain(x, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "ab^C"); /* ECHOCTL; output already there stays */
	assert_int_equal(file_write(t, x->m, "\x1c\x1a", 2), 2);
	assert_true(was_sent(12, SIGQUIT));
	assert_true(was_sent(12, SIGTSTP));
	/* Without ISIG ^C is data. */
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), 0);
	tio.c_lflag &= ~ISIG;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	nsent = 0;
	assert_int_equal(file_write(t, x->m, "\x03\n", 2), 2);
	assert_int_equal(nsent, 0);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 2);
	assert_int_equal(buf[0], 3);
	/* A new window size: SIGWINCH to the foreground group, once. */
	struct winsize ws = {.ws_row = 40, .ws_col = 100}, got;
	assert_int_equal(IOCTL(x, x->m, TIOCSWINSZ, &ws), 0);
	assert_int_equal(IOCTL(x, x->m, TIOCSWINSZ, &ws), 0);
	assert_int_equal(nsent, 1);
	assert_true(was_sent(12, SIGWINCH));
	assert_int_equal(IOCTL(x, x->s, TIOCGWINSZ, &got), 0);
	assert_int_equal(got.ws_row, 40);
	assert_int_equal(got.ws_col, 100);
}

static void test_no_signal_without_a_session(void **state)
{
	struct tfx *x = *state;
	assert_int_equal(file_write(x->fx.t, x->m, "\x03", 1), 1);
	assert_int_equal(nsent, 0);
}

static void test_pgrp_and_sid_ioctls_follow_the_session(void **state)
{
	struct tfx *x = *state;
	int v = 0;
	/* Not (yet) the caller's terminal. */
	assert_int_equal(IOCTL(x, x->s, TIOCGPGRP, &v), -ENOTTY);
	v = 12;
	assert_int_equal(IOCTL(x, x->s, TIOCSPGRP, &v), -ENOTTY);
	/* TIOCSCTTY goes to the kernel's rules with the pty's session link,
	 * which master and slave share. */
	take_ctty(x, 10);
	struct tty_session *ms = x->m->ops->tty(x->m);
	assert_ptr_equal(fake_ctty, ms);
	assert_ptr_equal(x->s->ops->tty(x->s), ms);
	assert_ptr_equal(ms->k, FAKE_K);
	assert_int_equal(ms->sid, 10);
	assert_int_equal(IOCTL(x, x->s, TIOCGPGRP, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(IOCTL(x, x->s, TIOCGSID, &v), 0);
	assert_int_equal(v, 10);
	v = 13;
	assert_int_equal(IOCTL(x, x->s, TIOCSPGRP, &v), 0);
	x->tg.pgid = 13; /* we follow into it (else SIGTTOU from here on) */
	v = 20; /* a group of another session */
	assert_int_equal(IOCTL(x, x->s, TIOCSPGRP, &v), -EPERM);
	v = 99;
	assert_int_equal(IOCTL(x, x->s, TIOCSPGRP, &v), -ESRCH);
	v = -1;
	assert_int_equal(IOCTL(x, x->s, TIOCSPGRP, &v), -EINVAL);
	assert_int_equal(IOCTL(x, x->m, TIOCGPGRP, &v), 0);
	assert_int_equal(v, 13);
	/* /dev/tty for session 10 is a new slave file of this pty. */
	struct file *tf = fake_open_ctty();
	assert_non_null(tf);
	assert_int_equal(file_write(x->fx.t, tf, "t", 1), 1);
	struct stat a, b;
	assert_int_equal(vfs_stat_file(tf, &a), 0);
	assert_int_equal(vfs_stat_file(x->s, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_rdev, b.st_rdev);
	file_put(tf);
	/* The leader gives it up: SIGHUP and SIGCONT to the foreground group. */
	assert_int_equal(IOCTL(x, x->s, TIOCNOTTY, 0), 0);
	assert_true(was_sent(13, SIGHUP));
	assert_true(was_sent(13, SIGCONT));
	assert_null(fake_ctty); /* the kernel was told: it left the session */
	assert_int_equal(IOCTL(x, x->s, TIOCNOTTY, 0), -ENOTTY);
	assert_int_equal(IOCTL(x, x->s, TIOCGSID, &v), -ENOTTY);
}

static void test_background_group_gets_sigttin_and_sigttou(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[8];
	/* Session 10's terminal with group 12 in the foreground; we are group 10. */
	take_ctty(x, 12);
	assert_int_equal(file_write(t, x->m, "q\n", 2), 2);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), -ERESTARTSYS);
	assert_true(was_sent(10, SIGTTIN));
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), 0); /* reading termios is allowed */
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), -ERESTARTSYS);
	assert_true(was_sent(10, SIGTTOU));
	/* Output is free unless TOSTOP. */
	assert_int_equal(file_write(t, x->s, "o", 1), 1);
	/* In the foreground all of it works. */
	x->tg.pgid = 12;
	tio.c_lflag |= TOSTOP;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 2);
	x->tg.pgid = 10;
	nsent = 0;
	assert_int_equal(file_write(t, x->s, "o", 1), -ERESTARTSYS);
	assert_true(was_sent(10, SIGTTOU));
	/* Someone outside the session is not subject to it. */
	x->tg.sid = 30;
	nsent = 0;
	assert_int_equal(file_write(t, x->s, "o", 1), 1);
	assert_int_equal(nsent, 0);
}

static void test_noncanonical_vmin_vtime(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[16];
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), 0);
	tio.c_lflag &= ~(ICANON | ECHO);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	/* MIN 0, TIME 0: a poll, 0 when empty (even blocking); poll says empty. */
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 0);
	assert_false(file_poll(x->s, NULL) & POLLIN);
	assert_int_equal(file_write(t, x->m, "xyz", 3), 3);
	assert_int_equal(file_read(t, x->s, buf, 2), 2);
	assert_memory_equal(buf, "xy", 2);
	/* MIN 2 (TIME 0): poll waits for two bytes, as n_tty. */
	tio.c_cc[VMIN] = 2;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	assert_false(file_poll(x->s, NULL) & POLLIN);
	/* MIN 1: what is there, at once. */
	tio.c_cc[VMIN] = 1;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'z');
	/* MIN 0, TIME 1: waits a tenth of a second, then 0. */
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 1;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 90);
	/* No echo in this mode. */
	assert_int_equal(master_drain(x, buf, sizeof(buf)), -EAGAIN);
	/* Canonical again: a half line typed in raw mode is the line being edited. */
	assert_int_equal(file_write(t, x->m, "ab", 2), 2);
	tio.c_lflag |= ICANON;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	set_nonblock(x->s);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(file_write(t, x->m, "\n", 1), 1);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 3);
}

static void test_master_close_hangs_the_slave_up(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[8];
	take_ctty(x, 12);
	file_put(x->m);
	x->m = NULL;
	assert_true(was_sent(12, SIGHUP));
	assert_true(was_sent(10, SIGHUP)); /* the session leader */
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 0);
	assert_int_equal(file_write(t, x->s, "x", 1), -EIO);
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), -EIO);
	assert_true(file_poll(x->s, NULL) & POLLHUP);
	assert_null(fake_ctty);
	assert_int_equal(IOCTL(x, x->s, TIOCSCTTY, 0), -EIO); /* no session takes it now */
	struct stat st;
	assert_int_equal(vfs_statat(t, AT_FDCWD, "/dev/pts/1", 0, &st), -ENOENT);
	/* A node made by hand for it finds no pty any more. */
	assert_int_equal(vfs_mknodat(t, AT_FDCWD, "/pty1", S_IFCHR | 0600, makedev(136, 1)), 0);
	struct file *f;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/pty1", O_RDWR, 0, &f), -ENXIO);
}

static void test_last_slave_close_gives_master_eio_after_the_data(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	char buf[8];
	assert_false(file_poll(x->m, NULL) & POLLIN);
	assert_true(file_poll(x->m, NULL) & POLLOUT);
	assert_int_equal(file_write(t, x->s, "x\n", 2), 2);
	assert_true(file_poll(x->m, NULL) & POLLIN);
	file_put(x->s);
	x->s = NULL;
	assert_true(file_poll(x->m, NULL) & POLLHUP);
	assert_int_equal(file_read(t, x->m, buf, sizeof(buf)), 3);
	assert_int_equal(file_read(t, x->m, buf, sizeof(buf)), -EIO);
	/* Reopening a slave clears it. */
	assert_int_equal(vfs_open(t, AT_FDCWD, "/dev/pts/1", O_RDWR, 0, &x->s), 0);
	assert_false(file_poll(x->m, NULL) & POLLHUP);
}

struct writer_arg {
	struct file *f;
	struct task *t;
	const char *data;
};

static void *delayed_writer(void *arg)
{
	struct writer_arg *a = arg;
	usleep(50000);
	file_write(a->t, a->f, a->data, strlen(a->data));
	return NULL;
}

static void test_blocking_reads_wake_and_are_interruptible(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	struct task *wt = fx_task(&x->fx.root, 0, 0);
	char buf[16];
	/* A slave read sleeps until a whole line arrives. */
	struct writer_arg a = {x->m, wt, "hi\n"};
	pthread_t th;
	pthread_create(&th, NULL, delayed_writer, &a);
	struct poll_entry pe;
	task_poll_entry_init(&pe, t, POLLIN);
	assert_false(file_poll(x->s, &pe) & POLLIN);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), 3);
	poll_entry_remove(&pe);
	pthread_join(th, NULL);
	/* A master read sleeps until the slave writes. */
	master_drain(x, buf, sizeof(buf)); /* the echo */
	assert_int_equal(file_set_flags(x->m, file_get_flags(x->m) & ~O_NONBLOCK), 0);
	struct writer_arg b = {x->s, wt, "yo"};
	pthread_create(&th, NULL, delayed_writer, &b);
	assert_int_equal(file_read(t, x->m, buf, sizeof(buf)), 2);
	pthread_join(th, NULL);
	/* A signal ends the sleep for a restart. */
	atomic_store(&t->interrupted, 1);
	assert_int_equal(file_read(t, x->s, buf, sizeof(buf)), -ERESTARTSYS);
	assert_int_equal(file_read(t, x->m, buf, sizeof(buf)), -ERESTARTSYS);
	atomic_store(&t->interrupted, 0);
	fx_task_free(wt);
}

static void test_full_output_blocks_writer_and_nonblock_is_eagain(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	static char big[20000];
	memset(big, 'a', sizeof(big));
	set_nonblock(x->s);
	ssize_t n = file_write(t, x->s, big, sizeof(big));
	assert_true(n > 0 && n < (ssize_t)sizeof(big));
	assert_int_equal(file_write(t, x->s, big, 1), -EAGAIN);
	assert_false(file_poll(x->s, NULL) & POLLOUT);
	char buf[512];
	assert_int_equal(file_read(t, x->m, buf, sizeof(buf)), sizeof(buf));
	assert_true(file_poll(x->s, NULL) & POLLOUT);
	/* TCFLSH on the master's input queue empties the slave's output. */
	assert_int_equal(IOCTL(x, x->m, TCFLSH, TCIFLUSH), 0);
	int q = -1;
	assert_int_equal(IOCTL(x, x->m, FIONREAD, &q), 0);
	assert_int_equal(q, 0);
	assert_int_equal(IOCTL(x, x->m, TCFLSH, 7), -EINVAL);
	/* ^S stops the slave's output (IXON), ^Q starts it again. */
	assert_int_equal(file_write(t, x->m, "\x13", 1), 1);
	assert_int_equal(file_write(t, x->s, "z", 1), -EAGAIN);
	assert_int_equal(file_write(t, x->m, "\x11", 1), 1);
	assert_int_equal(file_write(t, x->s, "z", 1), 1);
}

static void test_tiocgptpeer_opens_the_slave(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	int fd = (int)file_ioctl(t, x->m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	assert_true(fd >= 0);
	struct file *p = fdt_get_file(t->fdt, fd);
	assert_non_null(p);
	struct stat a, b;
	assert_int_equal(vfs_stat_file(p, &a), 0);
	assert_int_equal(vfs_statat(t, AT_FDCWD, "/dev/pts/1", 0, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_dev, b.st_dev);
	char *name = file_describe(p, &x->fx.root);
	assert_string_equal(name, "/dev/pts/1");
	free(name);
	assert_int_equal(file_write(t, p, "q", 1), 1);
	file_put(p);
	assert_int_equal(fdt_close(t->fdt, fd), 0);
	assert_int_equal(file_ioctl(t, x->m, TIOCGPTPEER, 0x40000000), -EINVAL);
}

/* Read the master once (nonblocking) into buf; its length. */
static ssize_t master_read(struct tfx *x, unsigned char *buf, size_t len)
{
	set_nonblock(x->m);
	return file_read(x->fx.t, x->m, buf, len);
}

static void test_packet_mode_prefixes_data_and_reports_slave_events(void **state)
{
	struct tfx *x = *state;
	struct task *t = x->fx.t;
	unsigned char buf[16];
	int on = 1, got = -1;
	assert_int_equal(IOCTL(x, x->s, TIOCPKT, &on), -ENOTTY); /* the master's */
	assert_int_equal(IOCTL(x, x->m, TIOCPKT, &on), 0);
	assert_int_equal(IOCTL(x, x->m, TIOCGPKT, &got), 0);
	assert_int_equal(got, 1);
	/* Data comes after TIOCPKT_DATA (ONLCR still applies). */
	assert_int_equal(file_write(t, x->s, "a\n", 2), 2);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "\0a\r\n", 4);
	/* The slave's flushes: one status byte, read before any data; poll
	 * says POLLPRI. */
	assert_int_equal(IOCTL(x, x->s, TCFLSH, (void *)TCIFLUSH), 0);
	assert_int_equal(IOCTL(x, x->s, TCFLSH, (void *)TCOFLUSH), 0);
	assert_int_equal(file_write(t, x->s, "b", 1), 1);
	assert_true(file_poll(x->m, NULL) & POLLPRI);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE);
	assert_false(file_poll(x->m, NULL) & POLLPRI);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "\0b", 2);
	/* The master's own flush is no event. */
	assert_int_equal(IOCTL(x, x->m, TCFLSH, (void *)TCIOFLUSH), 0);
	assert_int_equal(master_read(x, buf, sizeof(buf)), -EAGAIN);
	/* ^S then ^Q: STOP, then START replaces it. */
	assert_int_equal(file_write(t, x->m, "\x13", 1), 1);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], TIOCPKT_STOP);
	assert_int_equal(file_write(t, x->m, "\x13\x11", 2), 2);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], TIOCPKT_START);
	/* IXON off: NOSTOP; on again: DOSTOP. */
	struct ktermios tio;
	assert_int_equal(IOCTL(x, x->s, TCGETS, &tio), 0);
	tio.c_iflag &= ~IXON;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], TIOCPKT_NOSTOP);
	tio.c_iflag |= IXON;
	assert_int_equal(IOCTL(x, x->s, TCSETS, &tio), 0);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], TIOCPKT_DOSTOP);
	/* A one-byte read gets TIOCPKT_DATA alone; the data stays. */
	assert_int_equal(file_write(t, x->s, "c", 1), 1);
	assert_int_equal(master_read(x, buf, 1), 1);
	assert_int_equal(buf[0], TIOCPKT_DATA);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 2);
	/* Turned off and on again: pending events are dropped. */
	assert_int_equal(IOCTL(x, x->s, TCFLSH, (void *)TCIFLUSH), 0);
	on = 0;
	assert_int_equal(IOCTL(x, x->m, TIOCPKT, &on), 0);
	on = 1;
	assert_int_equal(IOCTL(x, x->m, TIOCPKT, &on), 0);
	assert_int_equal(master_read(x, buf, sizeof(buf)), -EAGAIN);
	on = 0;
	assert_int_equal(IOCTL(x, x->m, TIOCPKT, &on), 0);
	assert_int_equal(file_write(t, x->s, "d", 1), 1);
	assert_int_equal(master_read(x, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'd');
}

static void test_tiocsig_sends_keyboard_signals_to_the_foreground_group(void **state)
{
	struct tfx *x = *state;
	x->tg.pgid = 12;
	take_ctty(x, 12);
	assert_int_equal(IOCTL(x, x->m, TIOCSIG, (void *)SIGUSR1), -EINVAL);
	assert_int_equal(IOCTL(x, x->s, TIOCSIG, (void *)SIGINT), -ENOTTY);
	assert_int_equal(IOCTL(x, x->m, TIOCSIG, (void *)SIGINT), 0);
	assert_int_equal(nsent, 1);
	assert_true(was_sent(12, SIGINT));
}

static void test_slave_open_without_noctty_makes_it_the_leaders_terminal(void **state)
{
	struct tfx *x = *state;
	char path[32];
	struct file *f;
	snprintf(path, sizeof(path), "/dev/pts/%u", x->n);
	/* The setup's own open had O_NOCTTY: no terminal yet; write-only
	 * opens do not take one either (tty_open_proc_set_tty's FMODE_READ). */
	assert_null(fake_ctty);
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, path, O_WRONLY, 0, &f), 0);
	assert_null(fake_ctty);
	assert_false(file_get_flags(f) & O_NOCTTY);
	file_put(f);
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, path, O_RDWR | O_NOCTTY, 0, &f), 0);
	assert_null(fake_ctty);
	assert_false(file_get_flags(f) & O_NOCTTY); /* gone after the open */
	file_put(f);
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, path, O_RDWR, 0, &f), 0);
	assert_non_null(fake_ctty);
	file_put(f);
	/* The master never becomes one. */
	fake_ctty = NULL;
	assert_int_equal(vfs_open(x->fx.t, AT_FDCWD, "/dev/ptmx", O_RDWR, 0, &f), 0);
	assert_null(fake_ctty);
	file_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ptmx_makes_a_locked_slave_node_that_goes_with_the_master),
		T(test_default_termios_is_linux_cooked_mode),
		T(test_canonical_input_is_edited_echoed_and_given_by_line),
		T(test_input_cr_nl_mapping_flags),
		T(test_output_onlcr_and_raw),
		T(test_ctrl_c_signals_the_foreground_group_and_flushes),
		T(test_no_signal_without_a_session),
		T(test_pgrp_and_sid_ioctls_follow_the_session),
		T(test_background_group_gets_sigttin_and_sigttou),
		T(test_noncanonical_vmin_vtime),
		T(test_master_close_hangs_the_slave_up),
		T(test_last_slave_close_gives_master_eio_after_the_data),
		T(test_blocking_reads_wake_and_are_interruptible),
		T(test_full_output_blocks_writer_and_nonblock_is_eagain),
		T(test_tiocgptpeer_opens_the_slave),
		T(test_packet_mode_prefixes_data_and_reports_slave_events),
		T(test_tiocsig_sends_keyboard_signals_to_the_foreground_group),
		T(test_slave_open_without_noctty_makes_it_the_leaders_terminal),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
