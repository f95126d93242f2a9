/* Conformance: execve of set-user-ID and set-group-ID files (argv[1]: a
 * host directory; under visor a gofer-backed root, which is not nosuid).
 * The program copies itself there, gives the copies set-id bits and owners
 * as root, then execs them as another user and prints what the new image
 * sees: real/effective/saved ids, AT_SECURE, the capability sets and the
 * dumpable flag.  As Linux: set-user-ID makes the file's owner the
 * effective and saved uid; set-group-ID counts only with group execute;
 * no_new_privs leaves the ids alone; a root caller exec'ing a file owned by
 * another user keeps its permitted set but loses the effective one. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* procfd: /proc, opened before the ids changed (the sandbox's root
 * directory may be closed to other users). */
static void report(const char *tag, int procfd)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	printf("%s: uid %u/%u/%u gid %u/%u/%u secure %lu dumpable %d\n", tag, r, e, s, rg, eg, sg,
	       getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE));
	/* The capability sets themselves depend on the host's bounding set:
	 * only whether they are empty, and equal, is compared. */
	int sfd = openat(procfd, "self/status", O_RDONLY);
	FILE *f = sfd < 0 ? NULL : fdopen(sfd, "r");
	if (!f)
		printf("%s: /proc/self/status: %s\n", tag, strerror(errno));
	char line[256];
	unsigned long long prm = 0, eff = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4))
			printf("%s:   %s", tag, line);
		sscanf(line, "CapPrm: %llx", &prm);
		sscanf(line, "CapEff: %llx", &eff);
	}
	if (f)
		fclose(f);
	printf("%s:   permitted %s, effective %s\n", tag, prm ? "full" : "empty",
	       eff == prm ? "= permitted" : eff ? "partial" : "empty");
	fflush(stdout);
}

static int copy(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return close(out);
}

/* Run PATH as uid/gid (a fork; nnp: with no_new_privs) and wait.  The
 * file is opened first and executed by its fd, so the new user needs no
 * search permission on the directories above it. */
static void run_as(const char *path, const char *tag, uid_t uid, gid_t gid, int nnp)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: open: %s\n", tag, strerror(errno));
		return;
	}
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		char procfd[16];
		snprintf(procfd, sizeof(procfd), "%d", open("/proc", O_PATH | O_DIRECTORY));
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
			_exit(90);
		if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(91);
		char *args[] = {(char *)path, "--report", (char *)tag, procfd, NULL};
		syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
		printf("%s: exec: %s\n", tag, strerror(errno));
		fflush(stdout);
		_exit(92);
	}
	close(fd);
	int st;
	waitpid(p, &st, 0);
	printf("%s: exit %d\n", tag, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 3 && !strcmp(argv[1], "--report")) {
		report(argv[2], atoi(argv[3]));
		return 0;
	}
	if (argc < 2)
		return 2;
	char su[4096], sg[4096], sgnox[4096], to1000[4096];
	if (chmod(argv[1], 0755) < 0)
		printf("chmod dir: %s\n", strerror(errno));
	snprintf(su, sizeof(su), "%s/suid", argv[1]);
	snprintf(sg, sizeof(sg), "%s/sgid", argv[1]);
	snprintf(sgnox, sizeof(sgnox), "%s/sgid-nox", argv[1]);
	snprintf(to1000, sizeof(to1000), "%s/suid-1000", argv[1]);
	if (copy("/proc/self/exe", su) < 0 || copy("/proc/self/exe", sg) < 0 ||
	    copy("/proc/self/exe", sgnox) < 0 || copy("/proc/self/exe", to1000) < 0) {
		printf("copy: %s\n", strerror(errno));
		return 1;
	}
	/* chown clears the set-id bits, so the mode comes after it. */
	if (chown(su, 0, 0) < 0 || chmod(su, 04755) < 0 || chown(sg, 0, 42) < 0 ||
	    chmod(sg, 02755) < 0 || chown(sgnox, 0, 42) < 0 || chmod(sgnox, 02745) < 0 ||
	    chown(to1000, 1000, 1000) < 0 || chmod(to1000, 06755) < 0) {
		printf("chown/chmod: %s\n", strerror(errno));
		return 1;
	}
	struct stat st;
	stat(su, &st);
	printf("suid mode %o\n", st.st_mode & 07777);
	stat(sg, &st);
	printf("sgid mode %o gid %u\n", st.st_mode & 07777, st.st_gid);

	run_as(su, "setuid-root as 1000", 1000, 1000, 0);
	run_as(sg, "setgid-42 as 1000", 1000, 1000, 0);
	run_as(sgnox, "setgid without g+x as 1000", 1000, 1000, 0);
	run_as(su, "setuid-root as 1000 with no_new_privs", 1000, 1000, 1);
	run_as(su, "setuid-root as root", 0, 0, 0);
	run_as(to1000, "setuid-1000 as root", 0, 0, 0);
	run_as("/proc/self/exe", "plain file as 1000", 1000, 1000, 0);
	return 0;
}
