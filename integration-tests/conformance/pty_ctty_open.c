/* A session leader without a controlling terminal that opens a pty slave
 * without O_NOCTTY gets it as its controlling terminal (Linux's
 * tty_open_proc_set_tty); with O_NOCTTY, write-only, from a process that
 * leads no session, or when the session has one already, it does not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *slave;

/* In a new session (a leader unless nolead: then a child of the leader),
 * open the slave with flags and say whether /dev/tty then opens and whose
 * session the terminal is. */
static void try(const char *what, int flags, int nolead, int twice)
{
	pid_t c = fork();
	if (c == 0) {
		setsid();
		if (nolead && fork() != 0) {
			wait(NULL);
			_exit(0);
		}
		if (twice) {
			int m2 = posix_openpt(O_RDWR | O_NOCTTY);
			grantpt(m2);
			unlockpt(m2);
			open(ptsname(m2), O_RDWR); /* the session's terminal now */
		}
		int fd = open(slave, flags);
		if (fd < 0) {
			printf("%s: open errno %d\n", what, errno);
			_exit(0);
		}
		int rfd = open(slave, O_RDONLY | O_NOCTTY);
		pid_t sid = tcgetsid(rfd);
		int tty = open("/dev/tty", O_RDWR);
		printf("%s: tcgetsid %s, /dev/tty %s\n", what,
		       sid == getsid(0) ? "ours" : sid < 0 ? "none" : "other",
		       tty >= 0 ? "opens" : "ENXIO");
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
		perror("posix_openpt");
		return 1;
	}
	slave = strdup(ptsname(m));
	try("O_NOCTTY", O_RDWR | O_NOCTTY, 0, 0);
	try("write-only", O_WRONLY, 0, 0);
	try("not the leader", O_RDWR, 1, 0);
	try("session has a terminal", O_RDWR, 0, 1);
	try("leader, read-write", O_RDWR, 0, 0);
	try("again, its session gone", O_RDONLY, 0, 0);
	/* A master never becomes a controlling terminal. */
	pid_t c = fork();
	if (c == 0) {
		setsid();
		int m2 = open("/dev/ptmx", O_RDWR);
		printf("ptmx: /dev/tty %s\n", open("/dev/tty", O_RDWR) >= 0 ? "opens" : "ENXIO");
		close(m2);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return 0;
}
