/* Conformance: openat2.c's checks in a host directory (argv[1]; under visor
 * the gofer-backed root, whose names the Gofer looks up). */
#include "openat2.c"
