/* Conformance: copy_range.c's checks in a host directory (argv[1]; under visor
 * the gofer-backed root) instead of tmpfs. */
#define SCRATCH_IN_ARGV 1
#include "copy_range.c"
