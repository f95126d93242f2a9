/*
 * register.c — hands every syscall family's table to the kernel's dispatch
 * array at boot.  The kernel knows the tables only through this call.
 */
#include "sentry/syscalls/syscalls.h"

#include <pthread.h>

static pthread_once_t register_once = PTHREAD_ONCE_INIT;

static void register_all(void)
{
	static const struct syscall_def *const families[] = {
		sys_rw_defs,	  sys_fd_defs,	   sys_stat_defs, sys_dir_defs,
		sys_poll_defs,	  sys_xattr_defs,  sys_mount_defs, sys_mm_defs,
		sys_process_defs, sys_signal_defs, sys_time_defs, sys_info_defs,
		sys_cred_defs,	  sys_futex_defs,
		sys_socket_defs,
		sys_ipc_defs,
		sys_events_defs,
		sys_seccomp_defs,
		sys_sched_defs,
		sys_memcalls_defs,
		sys_clone3_defs,
		sys_ns_defs,
		sys_process_vm_defs,
		sys_memfd_defs,
		sys_ptrace_defs,
		sys_pkey_defs,
		sys_aio_defs,
	};
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		syscall_table_register(families[i]);
}

void syscalls_register(void)
{
	pthread_once(&register_once, register_all);
}
