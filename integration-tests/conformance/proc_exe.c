/* Conformance: /proc/PID/exe names the file execve loaded (symlinks in the
 * path resolved, a script's interpreter, " (deleted)" once unlinked), and
 * /proc/PID/comm the last component of the path given to execve.
 * argv[1]: a writable scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[4096], self[4096];

/* A path printed relative to the scratch dir and the binary's real path,
 * which differ between the native run and the sandbox. */
static const char *show(const char *p)
{
	size_t n = strlen(self);
	if (!strncmp(p, self, n))
		return p[n] ? p + n : "<self>";
	n = strlen(dir);
	if (!strncmp(p, dir, n))
		return p + n;
	return p;
}

static void report(const char *who)
{
	char exe[4096], comm[64] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = 0;
	int fd = open("/proc/self/comm", O_RDONLY);
	ssize_t c = read(fd, comm, sizeof(comm) - 1);
	comm[c < 0 ? 0 : c] = 0;
	comm[strcspn(comm, "\n")] = 0;
	close(fd);
	char magic[4] = "";
	fd = open("/proc/self/exe", O_RDONLY);
	if (read(fd, magic, 4) != 4)
		magic[0] = 0;
	close(fd);
	printf("%s: exe %s comm %s elf %d\n", who, show(exe), comm, !memcmp(magic, "\177ELF", 4));
}

static void run(char *const argv[], const char *path)
{
	pid_t p = fork();
	if (p == 0) {
		execv(path, argv);
		printf("execv %s: %s\n", show(path), strerror(errno));
		_exit(1);
	}
	int st;
	waitpid(p, &st, 0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 4 && !strcmp(argv[1], "script")) {
		/* argv: interpreter, its argument, the script, then ours. */
		snprintf(dir, sizeof(dir), "%s", argv[3]);
		snprintf(self, sizeof(self), "%s", argv[4]);
		report("script");
		return 0;
	}
	if (argc > 3 && !strcmp(argv[1], "child")) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		snprintf(self, sizeof(self), "%s", argv[3]);
		if (argc > 4 && !strcmp(argv[4], "unlink")) {
			char exe[4096];
			ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
			exe[n < 0 ? 0 : n] = 0;
			unlink(exe);
		}
		report(argc > 4 ? argv[4] : "child");
		return 0;
	}
	if (argc < 2)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n < 0 ? 0 : n] = 0;
	char *slash = strrchr(self, '/');
	char bindir[4096];
	snprintf(bindir, sizeof(bindir), "%.*s", (int)(slash - self), self);
	report("parent");

	char link[4200], dlink[4200], viadir[4300], script[4200], copy[4200];
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(dlink, sizeof(dlink), "%s/dirlink", dir);
	snprintf(viadir, sizeof(viadir), "%s/dirlink%s", dir, slash);
	snprintf(script, sizeof(script), "%s/s.sh", dir);
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	printf("symlink %d %d\n", symlink(self, link), symlink(bindir, dlink));

	/* Through a symlink to the file, and through a symlinked directory. */
	run((char *[]){"link", "child", dir, self, NULL}, link);
	run((char *[]){"x", "child", dir, self, NULL}, viadir);

	/* A script: exe is the interpreter, comm the script's name. */
	FILE *f = fopen(script, "w");
	fprintf(f, "#!%s script\n", link);
	fclose(f);
	chmod(script, 0755);
	run((char *[]){"s.sh", dir, self, NULL}, script);

	/* execveat(fd, "", AT_EMPTY_PATH): comm is the file's name (Linux 6.14+). */
	pid_t p = fork();
	if (p == 0) {
		int fd = open(self, O_RDONLY);
		dup2(fd, 7);
		char *av[] = {"fd", "child", dir, self, "execveat", NULL};
		syscall(SYS_execveat, 7, "", av, environ, AT_EMPTY_PATH);
		printf("execveat: %s\n", strerror(errno));
		_exit(1);
	}
	waitpid(p, NULL, 0);

	/* A copy, unlinked while it runs: " (deleted)". */
	int in = open(self, O_RDONLY), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return 3;
	close(in);
	close(out);
	run((char *[]){"copy", "child", dir, self, "unlink", NULL}, copy);
	printf("copy gone: %d\n", access(copy, F_OK) < 0 && errno == ENOENT);

	/* A zombie has no executable. */
	p = fork();
	if (p == 0)
		_exit(0);
	char path[64], exe[4096];
	siginfo_t si;
	waitid(P_PID, (id_t)p, &si, WEXITED | WNOWAIT);
	snprintf(path, sizeof(path), "/proc/%d/exe", p);
	n = readlink(path, exe, sizeof(exe));
	printf("zombie exe: %zd %s\n", n, n < 0 ? strerror(errno) : "");
	waitpid(p, NULL, 0);
	unlink(link);
	unlink(dlink);
	unlink(script);
	return 0;
}
