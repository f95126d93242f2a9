/* Conformance: inotify.c on a gofer-backed directory (argv[1]). */
#include "inotify.c"
