/*
 * lock_order.h — the one lock order of visor, outermost first.
 *
 * Each entry is a lock class: X(ID, rank, "name").  A thread may take a
 * lock only while every lock it holds has a smaller rank (lib/lockdep.h
 * checks this in debug builds).  Ranks leave gaps of 10 so that a new lock
 * goes between its neighbours without renumbering.
 *
 * sentry/LOCKING.md explains every entry (where the lock lives, what it
 * protects, what is taken under it) and the rules; its table and this list
 * change together — lib/tests/test_lock_order.c fails when they differ.
 * Entries marked "planned" are placed before their code exists.
 *
 * This header is plain data: lib/, the Sentry, the platforms and the
 * netstack may all include it.
 */
#ifndef VISOR_LIB_LOCK_ORDER_H
#define VISOR_LIB_LOCK_ORDER_H

/* clang-format off */
#define LOCK_ORDER(X)                                                   \
	X(EXEC_WAITER,        10, "exec_waiter->lock")                  \
	X(FASYNC,             15, "fasync->lock")                       \
	X(FILE_POS,           20, "file->pos_lock")                     \
	X(VFS_TREE,           30, "vfs_tree_lock")                      \
	X(EPOLL,              40, "epoll_lock")                         \
	X(UNIX_TABLE,         45, "unix_table_lock")                    \
	X(NETLINK_TABLE,      47, "netlink_table_lock")                 \
	X(SOCKET,             50, "socket->lock")                       \
	X(FUTEX_BUCKET,       60, "futex_bucket->lock")                 \
	X(TASKS,              70, "k->tasks_lock")                      \
	X(SIGLOCK,            80, "tg->siglock")                        \
	X(PTYS,               90, "ptys_lock")                          \
	X(PTY,               100, "pty->lock")                          \
	X(HOSTFD,            110, "hostfd->lock")                       \
	X(INITIAL_EXEC,      120, "initial_exec->lock")                 \
	X(MM_LIST,           124, "mm_list_lock")                       \
	X(PAGECACHES,        126, "pagecaches_lock")                    \
	X(MM,                130, "mm->lock")                           \
	X(PAGECACHE,         135, "pagecache->lock")                    \
	X(IPC_IDS,           137, "ipc_ns->lock")                       \
	X(INODE,             140, "inode->lock")                        \
	X(FILE_LOCKS,        145, "file_locks_lock")                    \
	X(SHMEM,             150, "shmem->lock")                        \
	X(MEMFILE,           160, "memfile->lock")                      \
	X(PIPE,              170, "pipe->lock")                         \
	X(MQUEUE,            175, "mqueue->lock")                       \
	X(MQUEUE_NS,         177, "mq_ns->lock")                        \
	X(EVENTFD,           180, "eventfd->lock")                      \
	X(TIMERFD,           185, "timerfd->lock")                      \
	X(FILE_FLAGS,        190, "file->lock")                         \
	X(FD_TABLE,          200, "fd_table->lock")                     \
	X(FS_CONTEXT,        210, "fs_context->lock")                   \
	X(GOFER_INODES,      215, "gofer_sb->inodes_lock")              \
	X(GOFER_CLIENT,      220, "gofer_client->lock")                 \
	X(INOTIFY,           225, "inotify_lock")                       \
	X(AIO,               228, "aio->lock")                          \
	X(WAITQ,             230, "waitq->lock")                        \
	X(VFORK_DONE,        240, "vfork_done->lock")                   \
	X(KERNEL_DONE,       250, "k->done_lock")                       \
	X(REAL_TIMERS,       260, "rt_lock")                            \
	X(KTIMERS,           265, "ktimer_lock")                        \
	X(UTS,               270, "uts_lock")                           \
	X(FS_TYPES,          280, "fs_types_lock")                      \
	X(CHRDEVS,           285, "chrdev_lock")                        \
	X(CONTROL_SERVER,    290, "control_server->lock")               \
	X(INET_TIMER,        295, "inet_timer_lock")                    \
	X(NETSTACK_ENDPOINT, 300, "endpoint->lock")                     \
	X(NETSTACK_STACK,    310, "stack->lock")                        \
	X(NETSTACK_LINK,     320, "link->lock")                         \
	X(NETSTACK_POOL,     325, "ns_pool_lock")                       \
	X(PLATFORM_AS,       330, "addr_space->lock")                   \
	X(PLATFORM_STUB_POOL, 335, "st_platform->pool_lock")           \
	X(PLATFORM_STUB_TEMPLATE, 340, "st_platform->tmpl_lock")           \
	X(PLATFORM_STUB_REAP, 350, "st_platform->reap_lock")
/* clang-format on */

enum lock_rank {
#define LOCK_ORDER_RANK(id_, rank_, name_) LOCK_##id_ = rank_,
	LOCK_ORDER(LOCK_ORDER_RANK)
#undef LOCK_ORDER_RANK
};

#endif
