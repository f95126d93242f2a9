/* Packet mode on a pty master (TIOCPKT), as screen(1) uses it: each master
 * read starts with TIOCPKT_DATA before data, or is one status byte alone
 * for what the slave did (flushes, ^S/^Q stop and start, flow control
 * turned on and off), which poll reports as POLLPRI; TIOCGPKT, TIOCSIG. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int m, s;

/* One master read, printed as its bytes in hex. */
static void rd(const char *what)
{
	unsigned char buf[64];
	struct pollfd p = {.fd = m, .events = POLLIN | POLLPRI};
	int pr = poll(&p, 1, 200);
	printf("%s: poll %d%s%s", what, pr, (p.revents & POLLIN) ? " IN" : "",
	       (p.revents & POLLPRI) ? " PRI" : "");
	ssize_t n = read(m, buf, sizeof(buf));
	if (n < 0) {
		printf(" read errno %d\n", errno);
		return;
	}
	printf(" read %zd:", n);
	for (ssize_t i = 0; i < n; i++)
		printf(" %02x", buf[i]);
	printf("\n");
}

static void set_pkt(int on)
{
	int r = ioctl(m, TIOCPKT, &on);
	int got = -1;
	int g = ioctl(m, TIOCGPKT, &got);
	printf("TIOCPKT %d -> %d, TIOCGPKT %d = %d\n", on, r, g, got);
}

static int sigs;
static void on_sig(int sig) { sigs++; }

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
		perror("posix_openpt");
		return 1;
	}
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0) {
		perror("open slave");
		return 1;
	}
	fcntl(m, F_SETFL, O_NONBLOCK);
	struct termios tio;
	tcgetattr(s, &tio);
	tio.c_oflag &= ~OPOST;
	tio.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &tio);
	rd("before packet mode");
	int pkt = 1, r;
	r = ioctl(s, TIOCPKT, &pkt);
	printf("TIOCPKT on the slave: %d errno %d\n", r, r < 0 ? errno : 0);
	set_pkt(1);
	write(s, "abc", 3);
	rd("data");
	tcflush(s, TCIFLUSH);
	rd("slave input flush");
	tcflush(s, TCOFLUSH);
	rd("slave output flush");
	tcflush(s, TCIOFLUSH);
	write(s, "x", 1);
	rd("flush both then data: status first");
	rd("then the data");
	tcflush(m, TCIOFLUSH);
	rd("master flush: no event");
	write(m, "\x13", 1); /* ^S with IXON: the slave's output stops */
	rd("stop");
	write(m, "\x13\x11", 2); /* again (no event), then ^Q */
	rd("start");
	tcflow(s, TCOOFF);
	rd("tcflow off on the slave");
	tcflow(s, TCOON);
	tio.c_iflag &= ~IXON;
	tcsetattr(s, TCSANOW, &tio);
	rd("start then IXON off: NOSTOP");
	tio.c_iflag |= IXON;
	tcsetattr(s, TCSANOW, &tio);
	rd("IXON on: DOSTOP");
	tcsetattr(s, TCSAFLUSH, &tio);
	rd("TCSAFLUSH");
	tcflush(s, TCIFLUSH);
	set_pkt(1);
	rd("packet mode set again keeps the event");
	tcflush(s, TCIFLUSH);
	set_pkt(0);
	set_pkt(1);
	rd("packet mode off and on drops it");
	write(s, "hello", 5);
	{
		unsigned char one;
		printf("1-byte read: %zd", read(m, &one, 1));
		printf(" %02x\n", one);
	}
	rd("the rest");
	set_pkt(0);
	write(s, "plain", 5);
	rd("packet mode off");
	/* TIOCSIG: the keyboard signals to the slave's foreground group. */
	signal(SIGINT, on_sig);
	signal(SIGTSTP, on_sig);
	r = ioctl(m, TIOCSIG, SIGUSR1);
	printf("TIOCSIG SIGUSR1: %d errno %d\n", r, r < 0 ? errno : 0);
	r = ioctl(s, TIOCSIG, SIGINT);
	printf("TIOCSIG on the slave: %d errno %d\n", r, r < 0 ? errno : 0);
	pid_t c = fork();
	if (c == 0) {
		setsid();
		int fd = open(ptsname(m), O_RDWR | O_NOCTTY);
		ioctl(fd, TIOCSCTTY, 0);
		signal(SIGINT, on_sig);
		printf("child: ctty %d\n", fd >= 0 && tcgetpgrp(fd) == getpid());
		write(fd, "r", 1);
		for (int i = 0; i < 100 && !sigs; i++)
			usleep(10000);
		printf("child: signals %d\n", sigs);
		_exit(0);
	}
	for (int i = 0; i < 100; i++) {
		char b[8];
		if (read(m, b, sizeof(b)) > 0)
			break;
		usleep(10000);
	}
	r = ioctl(m, TIOCSIG, SIGINT);
	int st;
	waitpid(c, &st, 0);
	printf("TIOCSIG SIGINT: %d\n", r);
	printf("child exit %d, parent signals %d\n", WEXITSTATUS(st), sigs);
	return 0;
}
