/* Conformance: ETXTBSY on a host directory (argv[1]; under visor a
 * gofer-backed one).  See txtbsy_common.h. */
#include "txtbsy_common.h"

int main(int argc, char **argv)
{
	return txtbsy_main(argc, argv);
}
