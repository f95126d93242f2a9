/*
 * loader.h — building a new process image: ELF loading (static and
 * PT_INTERP), the initial stack and auxiliary vector.
 *
 * The loader reads the executable through an mm_file (never a host path) and
 * maps it into a fresh mm; it knows nothing of tasks or the VFS.  Opening the
 * interpreter is the caller's job (a callback), so the VFS's permission rules
 * apply to it too.
 */
#ifndef VISOR_SENTRY_LOADER_H
#define VISOR_SENTRY_LOADER_H

#include <stdint.h>

#include "sentry/mm/mm.h"

struct loader_args {
	struct mm_file *exe;
	/* Open the PT_INTERP path: returns an mm_file with a reference, or NULL
	 * with *err set. */
	struct mm_file *(*open_interp)(void *arg, const char *path, int *err);
	void *open_arg;
	char *const *argv;
	int argc;
	char *const *envp;
	int envc;
	const char *execfn;
	uint32_t uid, euid, gid, egid;
	bool secure; /* AT_SECURE: the exec changed privilege (set-id file) */
	uint64_t stack_limit; /* RLIMIT_STACK soft limit */
	uint64_t minsigstksz; /* AT_MINSIGSTKSZ: the largest signal frame (0: Linux's 2048) */
	/* Map the vDSO into mm and return its address (AT_SYSINFO_EHDR) or
	 * -errno; NULL: the image gets no vDSO (sentry/vdso/vdso.h). */
	int64_t (*map_vdso)(struct mm *mm, void *arg);
	void *vdso_arg;
};

#define LOADER_HOT_MAX 24
/* Writable file pages per image in loader_result.hot, at most. */
#define LOADER_HOT_RW_PAGES 4

struct loader_result {
	uint64_t entry;    /* where the first instruction is (interp's entry if any) */
	uint64_t stack;    /* initial rsp */
	uint64_t brk;      /* start of the heap */
	uint64_t auxv[64]; /* the auxiliary vector given (pairs, AT_NULL last): /proc/PID/auxv */
	size_t auxv_len;   /* bytes */
	/* Pages every new program touches first, and how (PROT_READ or
	 * PROT_WRITE): the entry, the top of the stack, the program
	 * headers, and the file-backed pages of each image's writable
	 * segment (the dynamic loader relocates them at once); then the
	 * program's entry, the vDSO, the stack's second page and the first
	 * page of the interpreter's other segments.  exec may serve those
	 * faults ahead (exec.c). */
	struct {
		uint64_t addr;
		int access;
	} hot[LOADER_HOT_MAX];
	int nhot;
};

/* Load into mm (fresh).  Returns 0 or -errno (-ENOEXEC for a non-ELF image,
 * -ELIBBAD for a bad interpreter, -ENOMEM, -EFAULT). */
int loader_load(struct mm *mm, const struct loader_args *a, struct loader_result *res);

#endif
