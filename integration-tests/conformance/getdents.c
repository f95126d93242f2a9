/* Conformance: getdents64 on a big tmpfs directory (made under /dev/shm,
 * natively and in the sandbox). */
#include "getdents_common.h"

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/dev/shm/getdents.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 2;
	getdents_tests();
	if (chdir("/") < 0 || rmdir(dir) < 0)
		printf("cleanup: %s\n", strerrorname_np(errno));
	return 0;
}
