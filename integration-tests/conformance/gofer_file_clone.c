/* file_clone on a gofer-backed directory (the case of cp --reflink in a
 * container's root file system). */
#include "file_clone.c"
