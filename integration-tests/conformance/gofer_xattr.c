/* Conformance: extended attributes on a host directory (argv[1]; under
 * visor the gofer-backed root, where the Gofer sets the host's user.*):
 * set/get/list/remove and their l and f forms, XATTR_CREATE/REPLACE, size
 * probing, ERANGE, the host file system's own limits (ext4: a value must fit
 * a block), symlinks, and trusted.* / security.* refused without
 * CAP_SYS_ADMIN as in a container. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* The names, sorted (the host file system's order is its own). */
static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *what, const char *path)
{
	char buf[1024];
	long r = listxattr(path, buf, sizeof(buf));
	if (r < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	char *names[64];
	int n = 0;
	for (long i = 0; i < r && n < 64; i += (long)strlen(buf + i) + 1)
		names[n++] = buf + i;
	qsort(names, n, sizeof(names[0]), cmp);
	printf("%s: %ld [", what, r);
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
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

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	umask(022);
	int fd = open("f", O_CREAT | O_RDWR, 0644);
	if (fd < 0 || write(fd, "data", 4) != 4)
		return 3;
	mkdir("d", 0755);
	symlink("f", "lnk");
	static char big[65537];
	memset(big, 'v', sizeof(big));

	res("set user.a", setxattr("f", "user.a", "one", 3, 0));
	get("get user.a", "f", "user.a");
	res("probe size 0", getxattr("f", "user.a", NULL, 0));
	res("short buffer", getxattr("f", "user.a", big, 2));
	res("create existing", setxattr("f", "user.a", "x", 1, XATTR_CREATE));
	res("replace missing", setxattr("f", "user.nope", "x", 1, XATTR_REPLACE));
	res("replace existing", setxattr("f", "user.a", "two", 3, XATTR_REPLACE));
	get("get replaced", "f", "user.a");
	res("create new", setxattr("f", "user.b", "bee", 3, XATTR_CREATE));
	res("empty value", setxattr("f", "user.empty", "", 0, 0));
	res("get empty value", getxattr("f", "user.empty", big, 10));
	res("missing", getxattr("f", "user.missing", big, 10));
	res("2000-byte value", setxattr("f", "user.mid", big, 2000, 0));
	res("get 2000-byte value", getxattr("f", "user.mid", big, sizeof(big)));
	res("64 KiB value", setxattr("f", "user.big", big, 65536, 0));
	res("64 KiB + 1 value", setxattr("f", "user.big", big, 65537, 0));
	res("remove mid", removexattr("f", "user.mid"));
	res("remove again", removexattr("f", "user.mid"));
	res("long name", setxattr("f", "user.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "x", 1, 0));
	res("name with a slash", setxattr("f", "user.a/b", "s", 1, 0));
	get("get name with a slash", "f", "user.a/b");
	res("bare prefix", setxattr("f", "user.", "x", 1, 0));
	res("unknown namespace", setxattr("f", "foo.bar", "x", 1, 0));
	list("list", "f");
	res("list size 0", listxattr("f", NULL, 0));
	res("list short", listxattr("f", big, 5));

	res("fset", fsetxattr(fd, "user.fd", "fd", 2, 0));
	res("fget", fgetxattr(fd, "user.fd", big, 10));
	res("fremove", fremovexattr(fd, "user.fd"));
	get("get via symlink", "lnk", "user.a");
	res("lset user on symlink", lsetxattr("lnk", "user.x", "x", 1, 0));
	res("lget user on symlink", lgetxattr("lnk", "user.x", big, 10));
	res("set on dir", setxattr("d", "user.dir", "d", 1, 0));
	list("list dir", "d");
	res("remove on dir", removexattr("d", "user.dir"));
	list("list dir after", "d");

	/* A name that outlives the first: the attributes are the inode's. */
	res("link", link("f", "f2"));
	res("unlink first name", unlink("f"));
	get("get via second name", "f2", "user.a");
	res("set via second name", setxattr("f2", "user.c", "sea", 3, 0));
	list("list second name", "f2");

	/* As in a container: root without CAP_SYS_ADMIN. */
	res("drop CAP_SYS_ADMIN", drop_cap(CAP_SYS_ADMIN));
	res("no admin: set trusted", setxattr("f2", "trusted.u", "x", 1, 0));
	res("no admin: get trusted", getxattr("f2", "trusted.u", big, 10));
	res("no admin: set security", setxattr("f2", "security.u", "x", 1, 0));
	res("no admin: remove security", removexattr("f2", "security.u"));
	res("no admin: set user", setxattr("f2", "user.u", "x", 1, 0));
	list("no admin: list", "f2");
	return 0;
}
