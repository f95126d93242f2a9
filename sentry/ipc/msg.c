/* msg.c — System V msg (to come). */
#include "sentry/ipc/ipc_internal.h"

void ipc_msg_free_all(struct ipc_ns *ns) {}
