/* Conformance: fallocate(2) on a host directory (argv[1]; under visor the
 * gofer-backed root): every mode the host's file system has (ext4: zero,
 * collapse and insert ranges too), its alignment rules, and a shared mapping
 * of the file kept coherent across a punched hole. */
#include "fallocate_common.h"

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	fallocate_tests();
	return 0;
}
