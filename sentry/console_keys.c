/*
 * console_keys.c — the keys typed at the console (^C, ^\, ^Z) and its
 * window resizes, as guest signals.
 *
 * The console is a host pty slave (docker run -t).  Its line discipline,
 * run by the host with the guest's own termios (TCSETS passes through, so
 * an app that turns ISIG off gets the bytes), sends SIGINT, SIGQUIT and
 * SIGTSTP to the pty's foreground process group, and TIOCSWINSZ on the
 * master sends SIGWINCH there.  The host kernel only has a foreground group
 * to signal if the pty is some session's controlling terminal; it is not
 * the Sentry's (the Sentry's process group also holds the platform's stubs,
 * which must not see those signals, and a foreground Sentry would be
 * subject to SIGTTIN/SIGTTOU for its own reads and termios changes).  So a
 * small helper process, forked before the jail, makes itself a session
 * leader, takes the pty as its controlling terminal (its group is then the
 * foreground one), and passes each signal it gets as one byte down a pipe.
 * A Sentry thread turns each byte into the signal to the guest console's
 * foreground process group (kernel_console_signal), as Linux's n_tty isig
 * and tty_do_resize do.  The helper exits when the Sentry closes the pipe's
 * other end (the Sentry exits).
 */
#include "sentry/console_keys.h"
#include "sentry/kernel/tty.h"
#include "lib/log.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <stdlib.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const int console_sigs[] = {SIGINT, SIGQUIT, SIGTSTP, SIGWINCH};

/* Keep fd a, b and c (distinct) only: close every other. */
static void close_all_but(int a, int b, int c)
{
	int keep[3] = {a, b, c};
	for (int i = 0; i < 3; i++) /* sort the three */
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int x = keep[i];
				keep[i] = keep[j];
				keep[j] = x;
			}
	int lo = 0;
	for (int i = 0; i < 3; i++) {
		if (keep[i] > lo)
			syscall(SYS_close_range, lo, keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

/*
 * The helper keeps nothing of the Sentry it was forked from that it does
 * not use: only the terminal, the pipe and its signalfd stay open, no
 * capability, and a seccomp filter that lets through only its loop's
 * calls (poll, read, write, exit).  It reads nothing the guest sends.
 */
static int helper_confine(int tty, int wfd, int sfd)
{
	close_all_but(tty, wfd, sfd);
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	for (long c = 0; c <= 63; c++)
		prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	if (syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_poll, 6, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 5, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 4, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 3, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_restart_syscall, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* The helper: only async-signal-safe calls after the fork. */
static _Noreturn void helper_main(int tty, int wfd)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(console_sigs) / sizeof(console_sigs[0]); i++)
		sigaddset(&set, console_sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (setsid() < 0 || (ioctl(tty, TIOCSCTTY, 0) < 0))
		_exit(1);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0 || helper_confine(tty, wfd, sfd) < 0)
		_exit(1);
	for (;;) {
		/* POLLERR on the write end: the Sentry is gone. */
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = wfd, .events = 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (p[1].revents & (POLLERR | POLLHUP))
			_exit(0);
		struct signalfd_siginfo si;
		if (p[0].revents & POLLIN && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			unsigned char b = (unsigned char)si.ssi_signo;
			if (write(wfd, &b, 1) < 0 && errno == EPIPE)
				_exit(0);
		}
	}
}

struct keys_thread {
	struct kernel *k;
	int rfd;
};

static void *keys_main(void *arg)
{
	struct keys_thread kt = *(struct keys_thread *)arg;
	free(arg);
	unsigned char b;
	for (;;) {
		ssize_t n = read(kt.rfd, &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		kernel_console_signal(kt.k, b);
	}
	close(kt.rfd);
	return NULL;
}

int console_keys_start(struct kernel *k, int tty)
{
	/* A terminal that already controls a session (visor do on the
	 * user's terminal) stays that session's: no helper. */
	pid_t owner;
	if (ioctl(tty, TIOCGSID, &owner) == 0)
		return -EBUSY;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		helper_main(tty, p[1]);
	}
	close(p[1]);
	struct keys_thread *kt = malloc(sizeof(*kt));
	pthread_attr_t at;
	pthread_t th;
	int r = kt ? 0 : ENOMEM;
	if (kt) {
		kt->k = k;
		kt->rfd = p[0];
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		r = pthread_create(&th, &at, keys_main, kt);
		pthread_attr_destroy(&at);
	}
	if (r != 0) {
		free(kt);
		close(p[0]); /* the helper sees POLLERR and exits */
		return -r;
	}
	return pid;
}
