/* scmp_probe: for each operation named on the command line, try it and print
 * "NAME: ok" or "NAME: ERRNO" (by name), so a container's seccomp profile
 * can be compared between runc and visor (test_docker_seccomp.sh). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static long op(const char *name)
{
	if (!strcmp(name, "unshare_user"))
		return unshare(CLONE_NEWUSER);
	if (!strcmp(name, "unshare_ns"))
		return unshare(CLONE_NEWNS);
	if (!strcmp(name, "add_key"))
		return syscall(SYS_add_key, "user", "visor-probe", "x", 1, -2 /* process keyring */);
	if (!strcmp(name, "keyctl"))
		return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2, 0);
	if (!strcmp(name, "mkdir"))
		return mkdir("/probe-dir", 0755);
	if (!strcmp(name, "chmod0777"))
		return syscall(SYS_chmod, "/", 0777);
	if (!strcmp(name, "getpid"))
		return getpid() > 0 ? 0 : -1;
	if (!strcmp(name, "clone3"))
		return syscall(SYS_clone3, NULL, 0);
	if (!strcmp(name, "personality_linux"))
		return personality(PER_LINUX) < 0 ? -1 : 0;
	if (!strcmp(name, "personality_bad"))
		return personality(0x1234) < 0 ? -1 : 0;
	if (!strcmp(name, "io_setup")) {
		unsigned long ctx = 0;
		return syscall(SYS_io_setup, 1, &ctx);
	}
	if (!strcmp(name, "io_pgetevents")) {
		char ev[32];
		return syscall(SYS_io_pgetevents, 1, 1, 1, ev, NULL, NULL);
	}
	if (!strcmp(name, "mount"))
		return syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, NULL);
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		errno = 0;
		long r = op(argv[i]);
		if (r < 0)
			printf("%s: %s\n", argv[i], strerrorname_np(errno) ? strerrorname_np(errno) : "?");
		else
			printf("%s: ok\n", argv[i]);
	}
	return 0;
}
