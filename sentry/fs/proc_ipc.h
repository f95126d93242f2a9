/* proc_ipc.h — /proc/sysvipc and the IPC limits of /proc/sys/kernel; see proc_ipc.c. */
#ifndef VISOR_SENTRY_PROC_IPC_H
#define VISOR_SENTRY_PROC_IPC_H

/* Register the files with procfs (at boot, before proc is mounted). */
int proc_ipc_register(void);

#endif
