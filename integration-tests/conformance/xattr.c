/* Conformance: extended attributes on tmpfs (a directory made under
 * /dev/shm, natively and in the sandbox), on procfs, pipes and devices:
 * the path, l* and f* calls, XATTR_CREATE/REPLACE, size probing, ERANGE,
 * E2BIG, the user.* / trusted.* / security.* rules for root, for root
 * without CAP_SYS_ADMIN and for another user. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void get(const char *what, const char *path, const char *name)
{
	char buf[64] = {0};
	long r = getxattr(path, name, buf, sizeof(buf) - 1);
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld \"%s\"\n", what, r, buf);
}

static void list(const char *what, const char *path, int nofollow)
{
	char buf[512];
	long r = nofollow ? llistxattr(path, buf, sizeof(buf)) : listxattr(path, buf, sizeof(buf));
	if (r < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: %ld [", what, r);
	for (long i = 0; i < r; i += (long)strlen(buf + i) + 1)
		printf(" %s", buf + i);
	printf(" ]\n");
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/dev/shm/xattr.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0 || chmod(dir, 0755) < 0)
		return 2;
	umask(022);
	int fd = open("f", O_CREAT | O_RDWR, 0644);
	mkdir("d", 0755);
	mkdir("sticky", 01777);
	symlink("f", "lnk");
	static char big[65537];
	memset(big, 'v', sizeof(big));

	/* Setting and getting, with the flags. */
	res("set user.a", setxattr("f", "user.a", "one", 3, 0));
	get("get user.a", "f", "user.a");
	res("probe size 0", getxattr("f", "user.a", NULL, 0));
	res("short buffer", getxattr("f", "user.a", big, 2));
	res("create existing", setxattr("f", "user.a", "x", 1, XATTR_CREATE));
	res("replace missing", setxattr("f", "user.nope", "x", 1, XATTR_REPLACE));
	res("replace existing", setxattr("f", "user.a", "two", 3, XATTR_REPLACE));
	get("get replaced", "f", "user.a");
	res("create|replace existing", setxattr("f", "user.a", "x", 1, XATTR_CREATE | XATTR_REPLACE));
	res("create|replace missing", setxattr("f", "user.q", "x", 1, XATTR_CREATE | XATTR_REPLACE));
	res("create new", setxattr("f", "user.b", "bee", 3, XATTR_CREATE));
	res("bad flags", setxattr("f", "user.c", "x", 1, 4));
	res("empty value", setxattr("f", "user.empty", "", 0, 0));
	res("get empty value", getxattr("f", "user.empty", big, 10));
	res("missing", getxattr("f", "user.missing", big, 10));
	res("64 KiB value", setxattr("f", "user.big", big, 65536, 0));
	res("get 64 KiB value", getxattr("f", "user.big", big, sizeof(big)));
	res("64 KiB + 1 value", setxattr("f", "user.big", big, 65537, 0));
	res("remove big", removexattr("f", "user.big"));
	res("remove again", removexattr("f", "user.big"));
	char name[300];
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = 0;
	res("name of 255", setxattr("f", name, "x", 1, 0));
	res("remove name of 255", removexattr("f", name));
	name[255] = 'n';
	name[256] = 0;
	res("name of 256", setxattr("f", name, "x", 1, 0));
	res("get name of 256", getxattr("f", name, big, 10));
	res("empty name", setxattr("f", "", "x", 1, 0));
	res("bare prefix", setxattr("f", "user.", "x", 1, 0));
	res("unknown namespace", setxattr("f", "foo.bar", "x", 1, 0));
	res("get unknown namespace", getxattr("f", "foo.bar", big, 10));
	res("system.*", setxattr("f", "system.foo", "x", 1, 0));
	res("bad name pointer", setxattr("f", (char *)8, "x", 1, 0));
	res("bad value pointer", syscall(SYS_setxattr, "f", "user.c", (char *)8, 1, 0));
	res("bad path", setxattr("nope", "user.c", "x", 1, 0));
	list("list", "f", 0);
	res("list size 0", listxattr("f", NULL, 0));
	res("list short", listxattr("f", big, 5));

	/* The f* and l* forms. */
	res("fset", fsetxattr(fd, "user.fd", "fd", 2, 0));
	res("fget", fgetxattr(fd, "user.fd", big, 10));
	res("flist", flistxattr(fd, big, sizeof(big)));
	res("fremove", fremovexattr(fd, "user.fd"));
	int opath = open("f", O_PATH);
	res("fget O_PATH", fgetxattr(opath, "user.a", big, 10));
	res("fset bad fd", fsetxattr(999, "user.a", "x", 1, 0));
	get("get via symlink", "lnk", "user.a");
	res("lset user on symlink", lsetxattr("lnk", "user.x", "x", 1, 0));
	res("lget user on symlink", lgetxattr("lnk", "user.x", big, 10));
	res("lset trusted on symlink", lsetxattr("lnk", "trusted.x", "x", 1, 0));
	list("llist symlink", "lnk", 1);
	res("set on dir", setxattr("d", "user.dir", "d", 1, 0));
	list("list dir", "d", 0);

	/* Other files: devices, pipes, procfs. */
	res("set user on /dev/null", setxattr("/dev/null", "user.x", "x", 1, 0));
	res("get user on /dev/null", getxattr("/dev/null", "user.x", big, 10));
	int p[2];
	if (pipe(p) == 0) {
		res("fset user on pipe", fsetxattr(p[0], "user.x", "x", 1, 0));
		res("fget user on pipe", fgetxattr(p[0], "user.x", big, 10));
		res("flist pipe", flistxattr(p[0], big, 10));
	}
	res("set on procfs", setxattr("/proc/self/status", "user.x", "x", 1, 0));
	res("get on procfs", getxattr("/proc/self/status", "user.x", big, 10));
	res("list procfs", listxattr("/proc/self/status", big, 10));

	/* trusted.* and security.* as root with every capability. */
	res("set trusted", setxattr("f", "trusted.t", "tt", 2, 0));
	get("get trusted", "f", "trusted.t");
	res("set security", setxattr("f", "security.s", "ss", 2, 0));
	get("get security", "f", "security.s");
	get("get security.selinux", "f", "security.selinux");
	list("list as root", "f", 0);

	/* Another user: permission bits, sticky directories, trusted.* hidden. */
	chmod("sticky", 01777);
	int cfd = open("sticky/mine", O_CREAT | O_RDWR, 0666);
	close(cfd);
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		res("nobody: set user on 0644 file", setxattr("f", "user.n", "x", 1, 0));
		get("nobody: get user", "f", "user.a");
		res("nobody: set user on sticky dir", setxattr("sticky", "user.n", "x", 1, 0));
		res("nobody: set user on 0666 file", setxattr("sticky/mine", "user.n", "x", 1, 0));
		res("nobody: set trusted", setxattr("f", "trusted.n", "x", 1, 0));
		res("nobody: get trusted", getxattr("f", "trusted.t", big, 10));
		res("nobody: set security", setxattr("f", "security.n", "x", 1, 0));
		get("nobody: get security", "f", "security.s");
		list("nobody: list", "f", 0);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	/* Root without CAP_SYS_ADMIN, as in a container. */
	res("drop CAP_SYS_ADMIN", drop_cap(CAP_SYS_ADMIN));
	res("no admin: set trusted", setxattr("f", "trusted.u", "x", 1, 0));
	res("no admin: get trusted", getxattr("f", "trusted.t", big, 10));
	res("no admin: remove trusted", removexattr("f", "trusted.t"));
	res("no admin: set security", setxattr("f", "security.u", "x", 1, 0));
	res("no admin: remove security", removexattr("f", "security.s"));
	get("no admin: get security", "f", "security.s");
	res("no admin: set user", setxattr("f", "user.u", "x", 1, 0));
	list("no admin: list", "f", 0);

	unlink("sticky/mine");
	rmdir("sticky");
	unlink("lnk");
	unlink("f");
	rmdir("d");
	if (chdir("/") < 0 || rmdir(dir) < 0)
		printf("cleanup: %s\n", strerrorname_np(errno));
	return 0;
}
