/* sem.c — System V sem (to come). */
#include "sentry/ipc/ipc_internal.h"

void ipc_sem_free_all(struct ipc_ns *ns) {}
