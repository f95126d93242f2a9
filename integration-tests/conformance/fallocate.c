/* Conformance: fallocate(2) on tmpfs (a directory made under /dev/shm,
 * natively and in the sandbox): as Linux's tmpfs, modes 0, KEEP_SIZE and
 * PUNCH_HOLE; the others EOPNOTSUPP; the VFS's errors. */
#include "fallocate_common.h"

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/dev/shm/falloc.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 2;
	fallocate_tests();
	if (chdir("/") < 0 || rmdir(dir) < 0)
		printf("cleanup: %s\n", strerrorname_np(errno));
	return 0;
}
