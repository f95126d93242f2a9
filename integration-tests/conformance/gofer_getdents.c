/* Conformance: getdents64 on a big host directory (argv[1]; under visor
 * the gofer-backed root, read through the Gofer in batches). */
#include "getdents_common.h"

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	getdents_tests();
	return 0;
}
