/*
 * strace.c — decoding app syscalls for the --strace log (see strace.h).
 *
 * One table says, per syscall number, what each argument is (one letter
 * each); the letters' decoders are below.  A syscall missing from the table
 * is printed with its six arguments in hex.
 */
#include "sentry/kernel/strace.h"
#include "sentry/kernel/syscall_table.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#define SOCK_NONBLOCK_FLAG 04000ull
#define SOCK_CLOEXEC_FLAG 02000000ull

/* Argument kinds:
 *  d int        l long        u unsigned long   x hex        p pointer (NULL or hex)
 *  f fd         F dirfd (AT_FDCWD)              s path string
 *  o open flags (then the mode when O_CREAT or O_TMPFILE)    m mode (octal)
 *  P mmap/mprotect prot        M mmap flags     C clone flags
 *  D socket domain             T socket type    c fcntl command (then its argument)
 *  g signal     a AT_* flags   w lseek whence */
static const char *const arg_kinds[SYSCALL_MAX] = {
    [SYS_read] = "fpu",
    [SYS_write] = "fpu",
    [SYS_open] = "so",
    [SYS_close] = "f",
    [SYS_stat] = "sp",
    [SYS_fstat] = "fp",
    [SYS_lstat] = "sp",
    [SYS_poll] = "pud",
    [SYS_lseek] = "flw",
    [SYS_mmap] = "puPMfx",
    [SYS_mprotect] = "puP",
    [SYS_munmap] = "pu",
    [SYS_brk] = "p",
    [SYS_rt_sigaction] = "gppu",
    [SYS_rt_sigprocmask] = "dppu",
    [SYS_ioctl] = "fxx",
    [SYS_pread64] = "fpul",
    [SYS_pwrite64] = "fpul",
    [SYS_readv] = "fpd",
    [SYS_writev] = "fpd",
    [SYS_access] = "sd",
    [SYS_pipe] = "p",
    [SYS_mremap] = "puuxp",
    [SYS_madvise] = "pud",
    [SYS_dup] = "f",
    [SYS_dup2] = "ff",
    [SYS_nanosleep] = "pp",
    [SYS_getpid] = "",
    [SYS_socket] = "DTd",
    [SYS_connect] = "fpd",
    [SYS_accept] = "fpp",
    [SYS_sendto] = "fpuxpd",
    [SYS_recvfrom] = "fpuxpp",
    [SYS_sendmsg] = "fpx",
    [SYS_recvmsg] = "fpx",
    [SYS_shutdown] = "fd",
    [SYS_bind] = "fpd",
    [SYS_listen] = "fd",
    [SYS_getsockname] = "fpp",
    [SYS_getpeername] = "fpp",
    [SYS_socketpair] = "DTdp",
    [SYS_setsockopt] = "fddpd",
    [SYS_getsockopt] = "fddpp",
    [SYS_clone] = "Cppp",
    [SYS_fork] = "",
    [SYS_vfork] = "",
    [SYS_execve] = "spp",
    [SYS_exit] = "d",
    [SYS_wait4] = "dpxp",
    [SYS_kill] = "dg",
    [SYS_uname] = "p",
    [SYS_fcntl] = "fc",
    [SYS_flock] = "fd",
    [SYS_fsync] = "f",
    [SYS_fdatasync] = "f",
    [SYS_truncate] = "sl",
    [SYS_ftruncate] = "fl",
    [SYS_getdents] = "fpu",
    [SYS_getcwd] = "pu",
    [SYS_chdir] = "s",
    [SYS_fchdir] = "f",
    [SYS_rename] = "ss",
    [SYS_mkdir] = "sm",
    [SYS_rmdir] = "s",
    [SYS_creat] = "sm",
    [SYS_link] = "ss",
    [SYS_unlink] = "s",
    [SYS_symlink] = "ss",
    [SYS_readlink] = "spu",
    [SYS_chmod] = "sm",
    [SYS_fchmod] = "fm",
    [SYS_chown] = "sdd",
    [SYS_fchown] = "fdd",
    [SYS_lchown] = "sdd",
    [SYS_umask] = "m",
    [SYS_getuid] = "",
    [SYS_getgid] = "",
    [SYS_geteuid] = "",
    [SYS_getegid] = "",
    [SYS_getppid] = "",
    [SYS_setuid] = "d",
    [SYS_setgid] = "d",
    [SYS_setsid] = "",
    [SYS_setpgid] = "dd",
    [SYS_getpgrp] = "",
    [SYS_mknod] = "smx",
    [SYS_statfs] = "sp",
    [SYS_fstatfs] = "fp",
    [SYS_prctl] = "dxxxx",
    [SYS_arch_prctl] = "xp",
    [SYS_chroot] = "s",
    [SYS_mount] = "sssxp",
    [SYS_umount2] = "sx",
    [SYS_sethostname] = "pu",
    [SYS_gettid] = "",
    [SYS_tkill] = "dg",
    [SYS_tgkill] = "ddg",
    [SYS_futex] = "pdxppx",
    [SYS_getdents64] = "fpu",
    [SYS_set_tid_address] = "p",
    [SYS_exit_group] = "d",
    [SYS_epoll_wait] = "fpdd",
    [SYS_epoll_ctl] = "fdfp",
    [SYS_openat] = "Fso",
    [SYS_mkdirat] = "Fsm",
    [SYS_mknodat] = "Fsmx",
    [SYS_fchownat] = "Fsdda",
    [SYS_newfstatat] = "Fspa",
    [SYS_unlinkat] = "Fsa",
    [SYS_renameat] = "FsFs",
    [SYS_linkat] = "FsFsa",
    [SYS_symlinkat] = "sFs",
    [SYS_readlinkat] = "Fspu",
    [SYS_fchmodat] = "Fsm",
    [SYS_faccessat] = "Fsd",
    [SYS_faccessat2] = "Fsda",
    [SYS_pselect6] = "dpppp",
    [SYS_ppoll] = "pupp",
    [SYS_set_robust_list] = "pu",
    [SYS_utimensat] = "Fspa",
    [SYS_epoll_pwait] = "fpddp",
    [SYS_eventfd2] = "ux",
    [SYS_epoll_create1] = "x",
    [SYS_dup3] = "ffo",
    [SYS_pipe2] = "po",
    [SYS_accept4] = "fppx",
    [SYS_prlimit64] = "ddpp",
    [SYS_renameat2] = "FsFsx",
    [SYS_getrandom] = "pux",
    [SYS_memfd_create] = "sx",
    [SYS_execveat] = "Fsppa",
    [SYS_statx] = "Fsaxp",
    [SYS_rseq] = "pudx",
    [SYS_clone3] = "pu",
    [SYS_openat2] = "Fspu",
    [SYS_close_range] = "ffx",
};

/* ---- names ---- */

struct flag_name {
	uint64_t bit;
	const char *name;
};

#define E(x) [x] = #x
static const char *const errno_names[] = {
    E(EPERM),	 E(ENOENT),	  E(ESRCH),	      E(EINTR),		 E(EIO),
    E(ENXIO),	 E(E2BIG),	  E(ENOEXEC),	      E(EBADF),		 E(ECHILD),
    E(EAGAIN),	 E(ENOMEM),	  E(EACCES),	      E(EFAULT),	 E(ENOTBLK),
    E(EBUSY),	 E(EEXIST),	  E(EXDEV),	      E(ENODEV),	 E(ENOTDIR),
    E(EISDIR),	 E(EINVAL),	  E(ENFILE),	      E(EMFILE),	 E(ENOTTY),
    E(ETXTBSY),	 E(EFBIG),	  E(ENOSPC),	      E(ESPIPE),	 E(EROFS),
    E(EMLINK),	 E(EPIPE),	  E(EDOM),	      E(ERANGE),	 E(EDEADLK),
    E(ENAMETOOLONG), E(ENOLCK),	  E(ENOSYS),	      E(ENOTEMPTY),	 E(ELOOP),
    E(ENOMSG),	 E(EIDRM),	  E(ECHRNG),	      E(EL2NSYNC),	 E(EL3HLT),
    E(EL3RST),	 E(ELNRNG),	  E(EUNATCH),	      E(ENOCSI),	 E(EL2HLT),
    E(EBADE),	 E(EBADR),	  E(EXFULL),	      E(ENOANO),	 E(EBADRQC),
    E(EBADSLT),	 E(EBFONT),	  E(ENOSTR),	      E(ENODATA),	 E(ETIME),
    E(ENOSR),	 E(ENONET),	  E(ENOPKG),	      E(EREMOTE),	 E(ENOLINK),
    E(EADV),	 E(ESRMNT),	  E(ECOMM),	      E(EPROTO),	 E(EMULTIHOP),
    E(EDOTDOT),	 E(EBADMSG),	  E(EOVERFLOW),	      E(ENOTUNIQ),	 E(EBADFD),
    E(EREMCHG),	 E(ELIBACC),	  E(ELIBBAD),	      E(ELIBSCN),	 E(ELIBMAX),
    E(ELIBEXEC), E(EILSEQ),	  E(ERESTART),	      E(ESTRPIPE),	 E(EUSERS),
    E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE),	      E(EPROTOTYPE),	 E(ENOPROTOOPT),
    E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT),
    E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN),     E(ENETUNREACH),	 E(ENETRESET),
    E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS),	      E(EISCONN),	 E(ENOTCONN),
    E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT),      E(ECONNREFUSED),	 E(EHOSTDOWN),
    E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS),     E(ESTALE),	 E(EUCLEAN),
    E(ENOTNAM),	 E(ENAVAIL),	  E(EISNAM),	      E(EREMOTEIO),	 E(EDQUOT),
    E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED),	      E(ENOKEY),	 E(EKEYEXPIRED),
    E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD),   E(ENOTRECOVERABLE), E(ERFKILL),
    E(EHWPOISON),
};
#undef E

const char *strace_errno_name(int err)
{
	/* The kernel's restart codes, which an interrupted call returns
	 * before the signal is handled. */
	switch (err) {
	case 512:
		return "ERESTARTSYS";
	case 513:
		return "ERESTARTNOINTR";
	case 514:
		return "ERESTARTNOHAND";
	case 516:
		return "ERESTART_RESTARTBLOCK";
	}
	if (err <= 0 || (size_t)err >= sizeof(errno_names) / sizeof(errno_names[0]))
		return NULL;
	return errno_names[err];
}

static const char *const signal_names[] = {
    NULL,      "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
    "SIGBUS",  "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
    "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",
    "SIGTTIN", "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS",
};

static const struct flag_name open_flags[] = {
    {O_CREAT, "O_CREAT"},	  {O_EXCL, "O_EXCL"},		{O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},	  {O_APPEND, "O_APPEND"},	{O_NONBLOCK, "O_NONBLOCK"},
    {O_SYNC, "O_SYNC"},		  {O_DSYNC, "O_DSYNC"},		{O_ASYNC, "O_ASYNC"},
    {O_DIRECT, "O_DIRECT"},	  {0100000, "O_LARGEFILE"},	{O_TMPFILE, "O_TMPFILE"},
    {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"},	{O_NOATIME, "O_NOATIME"},
    {O_CLOEXEC, "O_CLOEXEC"},	  {O_PATH, "O_PATH"},		{0, NULL},
};

static const struct flag_name prot_flags[] = {
    {0x1, "PROT_READ"},		{0x2, "PROT_WRITE"},	  {0x4, "PROT_EXEC"},
    {0x8, "PROT_SEM"},		{0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"},
    {0, NULL},
};

static const struct flag_name mmap_flags[] = {
    {0x10, "MAP_FIXED"},	    {0x20, "MAP_ANONYMOUS"},	{0x40, "MAP_32BIT"},
    {0x100, "MAP_GROWSDOWN"},	    {0x800, "MAP_DENYWRITE"},	{0x1000, "MAP_EXECUTABLE"},
    {0x2000, "MAP_LOCKED"},	    {0x4000, "MAP_NORESERVE"},	{0x8000, "MAP_POPULATE"},
    {0x10000, "MAP_NONBLOCK"},	    {0x20000, "MAP_STACK"},	{0x40000, "MAP_HUGETLB"},
    {0x80000, "MAP_SYNC"},	    {0x100000, "MAP_FIXED_NOREPLACE"}, {0, NULL},
};

static const struct flag_name clone_flags[] = {
    {0x100, "CLONE_VM"},		{0x200, "CLONE_FS"},	       {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},		{0x1000, "CLONE_PIDFD"},       {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},		{0x8000, "CLONE_PARENT"},      {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},		{0x40000, "CLONE_SYSVSEM"},    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x400000, "CLONE_DETACHED"},	{0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"}, {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},	{0x8000000, "CLONE_NEWIPC"},  {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},	{0x40000000, "CLONE_NEWNET"}, {0x80000000, "CLONE_IO"},
    {0, NULL},
};

static const struct flag_name at_flags[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},	{0x400, "AT_SYMLINK_FOLLOW"},
    {0x800, "AT_NO_AUTOMOUNT"},	    {0x1000, "AT_EMPTY_PATH"},	{0x2000, "AT_STATX_FORCE_SYNC"},
    {0x4000, "AT_STATX_DONT_SYNC"}, {0x8000, "AT_RECURSIVE"},	{0, NULL},
};

static const char *const domain_names[] = {
    [0] = "AF_UNSPEC", [1] = "AF_UNIX",	    [2] = "AF_INET",	[10] = "AF_INET6",
    [16] = "AF_NETLINK", [17] = "AF_PACKET",
};

static const char *const socktype_names[] = {
    [1] = "SOCK_STREAM", [2] = "SOCK_DGRAM",	  [3] = "SOCK_RAW",
    [4] = "SOCK_RDM",	 [5] = "SOCK_SEQPACKET", [10] = "SOCK_PACKET",
};

static const char *const fcntl_names[] = {
    [F_DUPFD] = "F_DUPFD",	   [F_GETFD] = "F_GETFD",	[F_SETFD] = "F_SETFD",
    [F_GETFL] = "F_GETFL",	   [F_SETFL] = "F_SETFL",	[F_GETLK] = "F_GETLK",
    [F_SETLK] = "F_SETLK",	   [F_SETLKW] = "F_SETLKW",	[F_SETOWN] = "F_SETOWN",
    [F_GETOWN] = "F_GETOWN",	   [F_SETSIG] = "F_SETSIG",	[F_GETSIG] = "F_GETSIG",
    [F_SETOWN_EX] = "F_SETOWN_EX", [F_GETOWN_EX] = "F_GETOWN_EX", [36] = "F_OFD_GETLK",
    [37] = "F_OFD_SETLK",	   [38] = "F_OFD_SETLKW",
};

static const char *const fcntl_high_names[] = {
    [0] = "F_SETLEASE",	   [1] = "F_GETLEASE",	[2] = "F_NOTIFY",    [6] = "F_DUPFD_CLOEXEC",
    [7] = "F_SETPIPE_SZ", [8] = "F_GETPIPE_SZ", [9] = "F_ADD_SEALS", [10] = "F_GET_SEALS",
};

/* ---- the line ---- */

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->len + 1 >= o->size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->size ? o->len + (size_t)n : o->size - 1;
}

/* Named bits of v joined with '|', the rest in hex; "0" when nothing. */
static void put_flags(struct out *o, uint64_t v, const struct flag_name *names, bool any)
{
	for (const struct flag_name *f = names; f->name; f++) {
		if (f->bit && (v & f->bit) == f->bit) {
			put(o, "%s%s", any ? "|" : "", f->name);
			any = true;
			v &= ~f->bit;
		}
	}
	if (v || !any)
		put(o, any ? "|%#llx" : "%#llx", (unsigned long long)v);
}

static void put_name(struct out *o, uint64_t v, const char *const *names, size_t n)
{
	if (v < n && names[v])
		put(o, "%s", names[v]);
	else
		put(o, "%lld", (long long)v);
}

static void put_signal(struct out *o, uint64_t v)
{
	int sig = (int)v;
	if (sig > 0 && sig < (int)(sizeof(signal_names) / sizeof(signal_names[0])))
		put(o, "%s", signal_names[sig]);
	else if (sig >= 32 && sig <= 64)
		put(o, "SIGRT_%d", sig - 32);
	else
		put(o, "%d", sig);
}

static void put_open_flags(struct out *o, uint64_t v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
	put(o, "%s", acc[v & O_ACCMODE]);
	v &= ~(uint64_t)O_ACCMODE;
	/* O_SYNC contains O_DSYNC and O_TMPFILE O_DIRECTORY: the table lists
	 * the wider one first. */
	if (v)
		put_flags(o, v, open_flags, true);
}

static void put_string(struct out *o, uint64_t addr, strace_read_str read_str, void *ctx)
{
	if (!addr) {
		put(o, "NULL");
		return;
	}
	char s[256];
	ssize_t n = read_str ? read_str(ctx, s, addr, sizeof(s)) : -EFAULT;
	bool cut = n == -ENAMETOOLONG;
	if (cut)
		n = (ssize_t)sizeof(s) - 1;
	if (n < 0) {
		put(o, "%#llx", (unsigned long long)addr);
		return;
	}
	put(o, "\"");
	for (ssize_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			put(o, "\\%c", ch);
		else if (ch == '\n')
			put(o, "\\n");
		else if (ch == '\t')
			put(o, "\\t");
		else if (ch < 0x20 || ch >= 0x7f)
			put(o, "\\%o", ch);
		else
			put(o, "%c", ch);
	}
	put(o, cut ? "\"..." : "\"");
}

static void put_fd(struct out *o, uint64_t v, bool dirfd)
{
	int fd = (int)v;
	if (dirfd && fd == AT_FDCWD)
		put(o, "AT_FDCWD");
	else
		put(o, "%d", fd);
}

static void put_pointer(struct out *o, uint64_t v)
{
	if (v)
		put(o, "%#llx", (unsigned long long)v);
	else
		put(o, "NULL");
}

/* fcntl's command and, when it has one, its argument. */
static void put_fcntl(struct out *o, uint64_t cmd, uint64_t arg)
{
	unsigned int c = (unsigned int)cmd;
	if (c < sizeof(fcntl_names) / sizeof(fcntl_names[0]) && fcntl_names[c])
		put(o, "%s", fcntl_names[c]);
	else if (c >= 1024 && c - 1024 < sizeof(fcntl_high_names) / sizeof(fcntl_high_names[0]) &&
		 fcntl_high_names[c - 1024])
		put(o, "%s", fcntl_high_names[c - 1024]);
	else
		put(o, "%#x", c);
	switch (c) {
	case F_GETFD:
	case F_GETFL:
	case F_GETOWN:
	case F_GETSIG:
	case 1025: /* F_GETLEASE */
	case 1032: /* F_GETPIPE_SZ */
	case 1034: /* F_GET_SEALS */
		return;
	case F_SETFL:
		put(o, ", ");
		put_open_flags(o, arg);
		return;
	case F_SETFD:
		if (arg == FD_CLOEXEC)
			put(o, ", FD_CLOEXEC");
		else
			put(o, ", %llu", (unsigned long long)arg);
		return;
	case F_DUPFD:
	case 1030: /* F_DUPFD_CLOEXEC */
	case F_SETOWN:
	case F_SETSIG:
		put(o, ", %d", (int)arg);
		return;
	default:
		put(o, ", %#llx", (unsigned long long)arg);
	}
}

void strace_format_call(int nr, const uint64_t a[6], strace_read_str read_str, void *ctx,
			struct strace_call *sc)
{
	struct out o = {.buf = sc->buf, .size = sizeof(sc->buf), .len = 0};
	sc->buf[0] = 0;
	put(&o, "%s(", syscall_name(nr));
	const char *kinds = nr >= 0 && nr < SYSCALL_MAX ? arg_kinds[nr] : NULL;
	if (!kinds) {
		for (int i = 0; i < 6; i++)
			put(&o, "%s%#llx", i ? ", " : "", (unsigned long long)a[i]);
		sc->len = o.len;
		return;
	}
	for (int i = 0; kinds[i] && i < 6; i++) {
		uint64_t v = a[i];
		if (i)
			put(&o, ", ");
		switch (kinds[i]) {
		case 'd':
			put(&o, "%d", (int)v);
			break;
		case 'l':
			put(&o, "%lld", (long long)v);
			break;
		case 'u':
			put(&o, "%llu", (unsigned long long)v);
			break;
		case 'p':
			put_pointer(&o, v);
			break;
		case 'f':
		case 'F':
			put_fd(&o, v, kinds[i] == 'F');
			break;
		case 's':
			put_string(&o, v, read_str, ctx);
			break;
		case 'o':
			put_open_flags(&o, v);
			/* As strace: the mode only when the call uses it. */
			if ((v & O_CREAT) || (v & O_TMPFILE) == O_TMPFILE)
				if (i + 1 < 6)
					put(&o, ", %#llo", (unsigned long long)a[i + 1]);
			break;
		case 'm':
			put(&o, "%#llo", (unsigned long long)v);
			break;
		case 'P':
			if (v)
				put_flags(&o, v, prot_flags, false);
			else
				put(&o, "PROT_NONE");
			break;
		case 'M': {
			static const char *const type[] = {"0", "MAP_SHARED", "MAP_PRIVATE",
							   "MAP_SHARED_VALIDATE"};
			uint64_t t = v & 0xf;
			if (t < 4)
				put(&o, "%s", type[t]);
			else
				put(&o, "%#llx", (unsigned long long)t);
			if (v & ~0xfull)
				put_flags(&o, v & ~0xfull, mmap_flags, true);
			break;
		}
		case 'C': {
			uint64_t sig = v & 0xff;
			bool any = false;
			if (v & ~0xffull) {
				put_flags(&o, v & ~0xffull, clone_flags, false);
				any = true;
			}
			if (sig) {
				if (any)
					put(&o, "|");
				put_signal(&o, sig);
			} else if (!any) {
				put(&o, "0");
			}
			break;
		}
		case 'D':
			put_name(&o, v, domain_names, sizeof(domain_names) / sizeof(domain_names[0]));
			break;
		case 'T': {
			put_name(&o, v & 0xf, socktype_names,
				 sizeof(socktype_names) / sizeof(socktype_names[0]));
			if (v & SOCK_NONBLOCK_FLAG)
				put(&o, "|SOCK_NONBLOCK");
			if (v & SOCK_CLOEXEC_FLAG)
				put(&o, "|SOCK_CLOEXEC");
			if (v & ~(0xfull | SOCK_NONBLOCK_FLAG | SOCK_CLOEXEC_FLAG))
				put(&o, "|%#llx",
				    (unsigned long long)(v & ~(0xfull | SOCK_NONBLOCK_FLAG |
								   SOCK_CLOEXEC_FLAG)));
			break;
		}
		case 'c':
			put_fcntl(&o, v, a[i + 1 < 6 ? i + 1 : i]);
			break;
		case 'g':
			put_signal(&o, v);
			break;
		case 'a':
			put_flags(&o, v, at_flags, false);
			break;
		case 'w': {
			static const char *const whence[] = {"SEEK_SET", "SEEK_CUR", "SEEK_END",
							     "SEEK_DATA", "SEEK_HOLE"};
			put_name(&o, v, whence, 5);
			break;
		}
		default:
			put(&o, "%#llx", (unsigned long long)v);
		}
	}
	sc->len = o.len;
}

void strace_format_result(int nr, int64_t ret, char *out, size_t size)
{
	if (ret < 0 && ret >= -4095) {
		const char *name = strace_errno_name((int)-ret);
		if (name && -ret < 512)
			snprintf(out, size, "-1 %s (%s)", name, strerror((int)-ret));
		else if (name)
			snprintf(out, size, "? %s", name);
		else
			snprintf(out, size, "-1 %lld", (long long)-ret);
		return;
	}
	switch (nr) {
	case SYS_mmap:
	case SYS_mremap:
	case SYS_brk:
	case SYS_shmat:
		snprintf(out, size, "%#llx", (unsigned long long)ret);
		return;
	}
	snprintf(out, size, "%lld", (long long)ret);
}

static ssize_t read_task_string(void *ctx, char *dst, uint64_t addr, size_t max)
{
	struct task *t = ctx;
	return t->mm ? mm_copy_string_in(t->mm, dst, addr, max) : -EFAULT;
}

/* One per task thread: a call is decoded and logged on its task's thread. */
static __thread struct strace_call this_call;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void strace_enter(struct task *t, int nr, const uint64_t a[6])
{
	strace_format_call(nr, a, read_task_string, t, &this_call);
	if (nr == SYS_exit || nr == SYS_exit_group)
		log_info("[%d] %s) = ?", t->tid, this_call.buf);
	this_call.start_ns = mono_ns();
}

/* The result, then the time the Sentry took to serve the call (blocked
 * time included), as strace -T writes it: " <0.000034>". */
void strace_exit(struct task *t, int nr, int64_t ret)
{
	char res[96];
	strace_format_result(nr, ret, res, sizeof(res));
	uint64_t ns = mono_ns() - this_call.start_ns;
	log_info("[%d] %s) = %s <%llu.%06llu>", t->tid, this_call.buf, res,
		 (unsigned long long)(ns / 1000000000u), (unsigned long long)(ns % 1000000000u / 1000));
}
