/* Conformance: O_DIRECT on a host directory (argv[1]; under visor the
 * gofer-backed root): accepted at open, with the host file system's
 * alignment of offsets and lengths. */
#include "odirect_common.h"

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	odirect_tests();
	return 0;
}
