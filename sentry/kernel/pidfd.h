/*
 * pidfd.h — pidfds (pidfd_open, clone(CLONE_PIDFD)): a file that names one
 * process, readable in poll once it has exited.
 */
#ifndef VISOR_SENTRY_KERNEL_PIDFD_H
#define VISOR_SENTRY_KERNEL_PIDFD_H

#include <signal.h>
#include <stdbool.h>

struct file;
struct kernel;
struct task;
struct thread_group;

/* A pidfd for process pid: -ESRCH when no process (or thread) has that
 * pid, -ENOENT when pid is a thread but not a process (as Linux since 6.9;
 * before, EINVAL).  flags:
 * O_NONBLOCK (PIDFD_NONBLOCK) or 0. */
int pidfd_open_pid(struct kernel *k, int pid, int flags, struct file **out);
/* The process a pidfd names (borrowed: valid while f is), or NULL for
 * another file. */
struct thread_group *pidfd_tg(struct file *f);
/* pidfd_send_signal's send: -ESRCH once the process was reaped, else
 * task_kill's result for its pid. */
int pidfd_kill(struct task *sender, struct thread_group *tg, const siginfo_t *info);
/* Tell a process's pidfds that it exited (zombie) or was reaped: called by
 * exit.c under k->tasks_lock. */
void pidfd_notify_exit(struct thread_group *tg);

#endif
