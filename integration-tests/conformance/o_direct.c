/* Conformance: O_DIRECT on tmpfs (a directory made under /dev/shm, natively
 * and in the sandbox), procfs and devices. */
#include "odirect_common.h"

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/dev/shm/odirect.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 2;
	odirect_tests();
	if (chdir("/") < 0 || rmdir(dir) < 0)
		printf("cleanup: %s\n", strerrorname_np(errno));
	return 0;
}
