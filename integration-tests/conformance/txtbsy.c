/* Conformance: ETXTBSY on the scratch directory (argv[1]; under visor the
 * sandbox's tmpfs).  See txtbsy_common.h. */
#include "txtbsy_common.h"

int main(int argc, char **argv)
{
	return txtbsy_main(argc, argv);
}
