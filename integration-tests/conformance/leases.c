/* Conformance: file leases (F_SETLEASE / F_GETLEASE) on tmpfs (a directory
 * made under /dev/shm, natively and in the sandbox): who may take which
 * lease while the file is open elsewhere (EAGAIN), and an O_NONBLOCK open
 * that breaks one (EWOULDBLOCK, SIGIO to the holder, F_GETLEASE showing
 * what the lease goes to), from the holder's process and from another. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t sigio;

static void on_sigio(int sig)
{
	sigio++;
}

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static const char *lease_name(long l)
{
	return l == F_RDLCK ? "F_RDLCK" : l == F_WRLCK ? "F_WRLCK" : l == F_UNLCK ? "F_UNLCK" : "?";
}

static void get(const char *what, int fd)
{
	long l = fcntl(fd, F_GETLEASE);
	if (l < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %s\n", what, lease_name(l));
}

/* An open that fails: its errno (a successful one is closed). */
static void try_open(const char *what, const char *path, int flags)
{
	int fd = open(path, flags);
	res(what, fd < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGIO, on_sigio);
	/* tmpfs here; gofer_leases.c runs it in argv[1] (a gofer-backed one). */
#ifdef SCRATCH_IN_ARGV
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/lease.XXXXXX", argc > 1 ? argv[1] : ".");
#else
	char dir[] = "/dev/shm/lease.XXXXXX";
#endif
	if (!mkdtemp(dir) || chdir(dir) < 0 || chmod(dir, 0755) < 0)
		return 2;
	close(open("f", O_CREAT | O_RDWR, 0644));

	int r = open("f", O_RDONLY);
	get("no lease", r);
	res("unlock without a lease", fcntl(r, F_SETLEASE, F_UNLCK));
	res("bad type", fcntl(r, F_SETLEASE, 7));
	res("read lease", fcntl(r, F_SETLEASE, F_RDLCK));
	get("after read lease", r);
	res("upgrade to write lease", fcntl(r, F_SETLEASE, F_WRLCK));
	get("after upgrade", r);
	int dup_fd = dup(r);
	get("through a dup", dup_fd);
	close(dup_fd);

	/* Opens that break the write lease: a read downgrades, a write unlocks. */
	try_open("read open, nonblocking", "f", O_RDONLY | O_NONBLOCK);
	printf("sigio %d\n", (int)sigio);
	get("lease breaking to", r);
	try_open("read open again", "f", O_RDONLY | O_NONBLOCK);
	printf("sigio %d\n", (int)sigio);
	res("holder gives it up", fcntl(r, F_SETLEASE, F_UNLCK));
	get("after giving up", r);
	try_open("read open now", "f", O_RDONLY | O_NONBLOCK);

	res("write lease again", fcntl(r, F_SETLEASE, F_WRLCK));
	try_open("write open, nonblocking", "f", O_WRONLY | O_NONBLOCK);
	get("lease breaking to", r);
	res("holder downgrades", fcntl(r, F_SETLEASE, F_RDLCK));
	get("after downgrade", r);
	try_open("write open against a read lease", "f", O_WRONLY | O_NONBLOCK);
	try_open("truncating open", "f", O_RDONLY | O_TRUNC | O_NONBLOCK);
	try_open("read open against a read lease", "f", O_RDONLY | O_NONBLOCK);
	try_open("O_PATH open", "f", O_PATH);
	printf("sigio %d\n", (int)sigio);
	res("unlock", fcntl(r, F_SETLEASE, F_UNLCK));

	/* Who may take a lease, with other opens around. */
	int r2 = open("f", O_RDONLY);
	res("read lease, another reader", fcntl(r, F_SETLEASE, F_RDLCK));
	res("second read lease", fcntl(r2, F_SETLEASE, F_RDLCK));
	get("second's", r2);
	res("write lease with another reader", fcntl(r, F_SETLEASE, F_WRLCK));
	res("unlock first", fcntl(r, F_SETLEASE, F_UNLCK));
	res("unlock second", fcntl(r2, F_SETLEASE, F_UNLCK));
	close(r2);
	int w = open("f", O_WRONLY);
	res("read lease while open for writing", fcntl(r, F_SETLEASE, F_RDLCK));
	res("read lease on the writer", fcntl(w, F_SETLEASE, F_RDLCK));
	close(w);
	int rw = open("f", O_RDWR);
	close(r);
	res("write lease on the only (O_RDWR) open", fcntl(rw, F_SETLEASE, F_WRLCK));
	close(rw);
	r = open("f", O_RDONLY);
	get("a closed description's lease is gone", r);

	/* Another process breaks the lease; the holder's process is told. */
	res("write lease", fcntl(r, F_SETLEASE, F_WRLCK));
	int before = sigio;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("f", O_RDONLY | O_NONBLOCK);
		_exit(fd < 0 ? (errno == EWOULDBLOCK ? 11 : 1) : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child open: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	printf("holder signalled: %d\n", sigio > before);
	get("lease breaking to", r);
	res("unlock", fcntl(r, F_SETLEASE, F_UNLCK));

	/* A blocking open waits for the holder, who is told and downgrades. */
	res("write lease", fcntl(r, F_SETLEASE, F_WRLCK));
	before = sigio;
	pid = fork();
	if (pid == 0) {
		int fd = open("f", O_RDONLY);
		_exit(fd < 0 ? 1 : 0);
	}
	for (int i = 0; i < 10000 && sigio == before; i++)
		usleep(1000);
	printf("holder signalled: %d\n", sigio > before);
	int alive = waitpid(pid, &st, WNOHANG) == 0;
	printf("opener still waiting: %d\n", alive);
	get("lease breaking to", r);
	res("holder downgrades", fcntl(r, F_SETLEASE, F_RDLCK));
	waitpid(pid, &st, 0);
	printf("blocked open: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	get("lease now", r);
	res("unlock", fcntl(r, F_SETLEASE, F_UNLCK));

	/* Other files and other owners. */
	int d = open(".", O_RDONLY | O_DIRECTORY);
	res("lease on a directory", fcntl(d, F_SETLEASE, F_RDLCK));
	get("directory's", d);
	int p[2];
	if (pipe(p) == 0)
		res("lease on a pipe", fcntl(p[0], F_SETLEASE, F_RDLCK));
	int op = open("f", O_PATH);
	res("lease on O_PATH", fcntl(op, F_SETLEASE, F_RDLCK));
	res("F_GETLEASE on O_PATH", fcntl(op, F_GETLEASE));
	pid = fork();
	if (pid == 0) {
		if (setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		int fd = open("f", O_RDONLY);
		res("another user's lease", fcntl(fd, F_SETLEASE, F_RDLCK));
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("another user's lease: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	unlink("f");
	if (chdir("/") < 0 || rmdir(dir) < 0)
		printf("cleanup: %s\n", strerrorname_np(errno));
	return 0;
}
