/* Conformance: st_blocks of a sparse file on a host directory (argv[1];
 * under visor the gofer-backed root). */
#include "sparse_common.h"

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	sparse_tests();
	return 0;
}
