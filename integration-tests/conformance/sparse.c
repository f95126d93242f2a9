/* Conformance: st_blocks of a sparse file in the sandbox's tmpfs (argv[1]). */
#include "sparse_common.h"

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	sparse_tests();
	return 0;
}
