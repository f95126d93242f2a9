/*
 * loader.c — ELF64 x86_64 loading and the initial stack; see loader.h.
 *
 * Layout, as Linux's binfmt_elf: ET_DYN executables go at a fixed base (2/3 of
 * the address space, page aligned); the interpreter goes where mmap puts it;
 * the stack sits under the platform's reserved top with the mmap area below
 * it; brk starts after the highest loaded segment.  The vDSO (the caller's
 * map_vdso) goes where mmap puts it once the images and the stack are
 * mapped, and AT_SYSINFO_EHDR, first in auxv as Linux's ARCH_DLINFO, gives
 * its address.
 */
#include "sentry/loader/loader.h"
#include "lib/page.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#define ELF_ET_DYN_BASE 0x555555554000ULL
#define STACK_TOP (PLAT_APP_TOP - 0x100000ULL)
#define MAX_PHDRS 64

struct elf_image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	uint64_t bias;
	uint64_t phdr_addr;
	uint64_t end;   /* highest mapped address (page rounded) */
};

static int read_exact(struct mm_file *f, void *buf, size_t len, uint64_t off)
{
	ssize_t n = f->ops->pread(f, buf, len, off);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

static int read_headers(struct mm_file *f, struct elf_image *img)
{
	int r = read_exact(f, &img->eh, sizeof(img->eh), 0);
	if (r < 0)
		return r == -ENOEXEC ? -ENOEXEC : r;
	const Elf64_Ehdr *eh = &img->eh;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
		return -ENOEXEC;
	return read_exact(f, img->ph, sizeof(Elf64_Phdr) * eh->e_phnum, eh->e_phoff);
}

static int prot_of(uint32_t pf)
{
	return ((pf & PF_R) ? PROT_READ : 0) | ((pf & PF_W) ? PROT_WRITE : 0) |
	       ((pf & PF_X) ? PROT_EXEC : 0);
}

/* Map every PT_LOAD of img at bias (for ET_DYN: chosen here when 0 and
 * is_interp). */
static int map_image(struct mm *mm, struct mm_file *f, struct elf_image *img, bool is_interp)
{
	const Elf64_Ehdr *eh = &img->eh;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_filesz > p->p_memsz || OFFSET_IN_PAGE(p->p_vaddr) != OFFSET_IN_PAGE(p->p_offset))
			return -ENOEXEC;
		if (p->p_vaddr + p->p_memsz < p->p_vaddr)
			return -ENOEXEC;
		if (p->p_vaddr < lo)
			lo = p->p_vaddr;
		if (p->p_vaddr + p->p_memsz > hi)
			hi = p->p_vaddr + p->p_memsz;
	}
	if (lo == UINT64_MAX)
		return -ENOEXEC;
	lo = PAGE_ROUND_DOWN(lo);
	hi = PAGE_ROUND_UP(hi);
	if (hi - lo > (1ULL << 40))
		return -ENOMEM;

	uint64_t bias = 0;
	if (eh->e_type == ET_DYN) {
		if (is_interp) {
			/* Reserve the whole span where mmap chooses, then map
			 * the segments over it. */
			int64_t base = mm_mmap(mm, 0, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
			if (base < 0)
				return (int)base;
			bias = (uint64_t)base - lo;
		} else {
			bias = ELF_ET_DYN_BASE - lo;
		}
	} else if (hi > PLAT_APP_TOP) {
		return -ENOMEM;
	}
	img->bias = bias;
	img->phdr_addr = 0;
	img->end = 0;

	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type == PT_PHDR)
			img->phdr_addr = p->p_vaddr + bias;
		if (p->p_type != PT_LOAD)
			continue;
		int prot = prot_of(p->p_flags);
		uint64_t start = PAGE_ROUND_DOWN(p->p_vaddr + bias);
		uint64_t pad = (p->p_vaddr + bias) - start;
		uint64_t file_end = p->p_vaddr + bias + p->p_filesz;
		uint64_t mem_end = PAGE_ROUND_UP(p->p_vaddr + bias + p->p_memsz);
		if (p->p_filesz) {
			uint64_t maplen = PAGE_ROUND_UP(pad + p->p_filesz);
			int64_t r = mm_mmap(mm, start, maplen, prot | PROT_WRITE,
					    MAP_PRIVATE | MAP_FIXED, f, p->p_offset - pad);
			if (r < 0)
				return (int)r;
			/* Zero the rest of the last file page: it is bss. */
			uint64_t page_end = PAGE_ROUND_UP(file_end);
			if (p->p_memsz > p->p_filesz && page_end > file_end) {
				int z = mm_zero_out(mm, file_end, page_end - file_end);
				if (z < 0)
					return z;
			}
			if (!(prot & PROT_WRITE)) {
				int z = mm_mprotect(mm, start, maplen, prot);
				if (z < 0)
					return z;
			}
			uint64_t anon_start = start + maplen;
			if (mem_end > anon_start) {
				int64_t a = mm_mmap(mm, anon_start, mem_end - anon_start, prot,
						    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
				if (a < 0)
					return (int)a;
				if (prot & PROT_WRITE)
					mm_populate_bss(mm, anon_start, mem_end);
			}
		} else if (mem_end > start) {
			int64_t a = mm_mmap(mm, start, mem_end - start, prot,
					    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
			if (a < 0)
				return (int)a;
		}
		if (mem_end > img->end)
			img->end = mem_end;
		if (!img->phdr_addr && p->p_offset <= eh->e_phoff &&
		    eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) <= p->p_offset + p->p_filesz)
			img->phdr_addr = p->p_vaddr + bias + (eh->e_phoff - p->p_offset);
	}
	return 0;
}

/* AT_HWCAP: CPUID leaf 1's EDX, as Linux's ELF_HWCAP on x86_64.  Read once
 * and kept (bit 32 marks it read): in a VM every CPUID exits to the
 * hypervisor, 13 us each on our machines, and an exec needs one. */
static uint64_t cpuid_edx1(void)
{
	static uint64_t kept;
	uint64_t v = __atomic_load_n(&kept, __ATOMIC_RELAXED);
	if (v)
		return (uint32_t)v;
	uint32_t a = 1, b, c, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	__atomic_store_n(&kept, (1ULL << 32) | d, __ATOMIC_RELAXED);
	return d;
}

/* Push bytes below *sp (no alignment). */
static int push_bytes(struct mm *mm, uint64_t *sp, const void *data, size_t len)
{
	*sp -= len;
	return mm_copy_out(mm, *sp, data, len);
}

static void hot_add(struct loader_result *res, uint64_t addr, int access)
{
	if (res->nhot < LOADER_HOT_MAX) {
		res->hot[res->nhot].addr = addr;
		res->hot[res->nhot].access = access;
		res->nhot++;
	}
}

/* The first page of each of img's read-only segments but the one holding
 * `skip` (loader_result.hot): ld.so reads its ELF header, dynamic symbols
 * and read-only data before any syscall, one fault per segment else. */
static void hot_add_ro(struct loader_result *res, const struct elf_image *img, uint64_t skip)
{
	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD || (p->p_flags & PF_W) || !p->p_filesz)
			continue;
		uint64_t lo = p->p_vaddr + img->bias;
		if (skip >= lo && skip - lo < p->p_memsz)
			continue;
		hot_add(res, PAGE_ROUND_DOWN(lo), PROT_READ);
	}
}

/* The file-backed pages of img's writable segments (loader_result.hot). */
static void hot_add_rw(struct loader_result *res, const struct elf_image *img)
{
	int n = 0;
	for (int i = 0; i < img->eh.e_phnum && n < LOADER_HOT_RW_PAGES; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD || !(p->p_flags & PF_W) || !p->p_filesz)
			continue;
		uint64_t a = PAGE_ROUND_DOWN(p->p_vaddr + img->bias);
		uint64_t end = p->p_vaddr + img->bias + p->p_filesz;
		for (; a < end && n < LOADER_HOT_RW_PAGES; a += PAGE_SIZE, n++)
			hot_add(res, a, PROT_WRITE);
	}
}

int loader_load(struct mm *mm, const struct loader_args *a, struct loader_result *res)
{
	struct elf_image *exe = calloc(1, sizeof(*exe));
	struct elf_image *interp = NULL;
	struct mm_file *interp_file = NULL;
	int r = -ENOMEM;
	if (!exe)
		return -ENOMEM;
	r = read_headers(a->exe, exe);
	if (r < 0)
		goto out;

	/* PT_INTERP: open and check it before mapping anything. */
	for (int i = 0; i < exe->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &exe->ph[i];
		if (p->p_type != PT_INTERP)
			continue;
		if (p->p_filesz < 2 || p->p_filesz > 4096) {
			r = -ENOEXEC;
			goto out;
		}
		char path[4097];
		r = read_exact(a->exe, path, p->p_filesz, p->p_offset);
		if (r < 0)
			goto out;
		path[p->p_filesz] = 0;
		if (strlen(path) != p->p_filesz - 1) {
			r = -ENOEXEC;
			goto out;
		}
		int err = 0;
		interp_file = a->open_interp(a->open_arg, path, &err);
		if (!interp_file) {
			r = err ? err : -ENOENT;
			goto out;
		}
		interp = calloc(1, sizeof(*interp));
		if (!interp) {
			r = -ENOMEM;
			goto out;
		}
		r = read_headers(interp_file, interp);
		if (r < 0) {
			r = r == -ENOEXEC ? -ELIBBAD : r;
			goto out;
		}
		break;
	}

	uint64_t stack_size = a->stack_limit ? a->stack_limit : (8 << 20);
	if (stack_size > (1ULL << 30))
		stack_size = 1ULL << 30;
	if (stack_size < (128 << 10))
		stack_size = 128 << 10;
	stack_size = PAGE_ROUND_UP(stack_size);
	uint64_t stack_lo = STACK_TOP - stack_size;
	/* As Linux: the mmap area starts below the stack's maximum size plus
	 * a gap. */
	mm_set_mmap_base(mm, PAGE_ROUND_DOWN(stack_lo - (128ULL << 20)));

	r = map_image(mm, a->exe, exe, false);
	if (r < 0)
		goto out;
	if (interp) {
		r = map_image(mm, interp_file, interp, true);
		if (r < 0)
			goto out;
	}
	int64_t s = mm_mmap(mm, stack_lo, stack_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0);
	if (s < 0) {
		r = (int)s;
		goto out;
	}
	mm_set_stack_range(mm, stack_lo, STACK_TOP);
	mm_brk_init(mm, exe->end);
	int64_t vdso = 0;
	if (a->map_vdso) {
		vdso = a->map_vdso(mm, a->vdso_arg);
		if (vdso < 0) {
			r = (int)vdso;
			goto out;
		}
	}

	/* The initial stack, from the top: execfn, strings, random bytes,
	 * platform; then (16-aligned) auxv, envp, argv, argc. */
	uint64_t sp = STACK_TOP;
	uint64_t execfn_addr, platform_addr, random_addr;
	const char *platform = "x86_64";
	r = push_bytes(mm, &sp, a->execfn, strlen(a->execfn) + 1);
	if (r < 0)
		goto out;
	execfn_addr = sp;
	uint64_t *argp = calloc((size_t)a->argc + (size_t)a->envc + 2, sizeof(uint64_t));
	if (!argp) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = a->envc - 1; i >= 0 && r == 0; i--) {
		r = push_bytes(mm, &sp, a->envp[i], strlen(a->envp[i]) + 1);
		argp[a->argc + 1 + i] = sp;
	}
	for (int i = a->argc - 1; i >= 0 && r == 0; i--) {
		r = push_bytes(mm, &sp, a->argv[i], strlen(a->argv[i]) + 1);
		argp[i] = sp;
	}
	if (r == 0)
		r = push_bytes(mm, &sp, platform, strlen(platform) + 1);
	platform_addr = sp;
	uint8_t rnd[16];
	if (getentropy(rnd, sizeof(rnd)) < 0)
		memset(rnd, 0x5a, sizeof(rnd));
	if (r == 0)
		r = push_bytes(mm, &sp, rnd, sizeof(rnd));
	random_addr = sp;
	if (r < 0) {
		free(argp);
		goto out;
	}

	uint64_t phdr = exe->phdr_addr;
	uint64_t auxv_all[][2] = {
		{AT_SYSINFO_EHDR, (uint64_t)vdso},
		{AT_HWCAP, cpuid_edx1()},
		{AT_PAGESZ, PAGE_SIZE},
		{AT_CLKTCK, 100},
		{AT_PHDR, phdr},
		{AT_PHENT, sizeof(Elf64_Phdr)},
		{AT_PHNUM, exe->eh.e_phnum},
		{AT_BASE, interp ? interp->bias : 0},
		{AT_FLAGS, 0},
		{AT_ENTRY, exe->eh.e_entry + exe->bias},
		{AT_UID, a->uid},
		{AT_EUID, a->euid},
		{AT_GID, a->gid},
		{AT_EGID, a->egid},
		{AT_SECURE, a->secure ? 1 : 0},
		{AT_RANDOM, random_addr},
		{AT_HWCAP2, 0},
		{AT_EXECFN, execfn_addr},
		{AT_PLATFORM, platform_addr},
		{AT_MINSIGSTKSZ, a->minsigstksz ? a->minsigstksz : 2048},
		{AT_NULL, 0},
	};
	/* Without a vDSO, no AT_SYSINFO_EHDR at all (as Linux). */
	uint64_t(*auxv)[2] = vdso ? auxv_all : auxv_all + 1;
	size_t auxv_bytes = sizeof(auxv_all) - (vdso ? 0 : sizeof(auxv_all[0]));
	size_t words = 1 + (size_t)a->argc + 1 + (size_t)a->envc + 1 + auxv_bytes / 8;
	sp = (sp - words * 8) & ~15ULL;
	res->stack = sp;
	uint64_t argc = (uint64_t)a->argc;
	r = mm_copy_out(mm, sp, &argc, 8);
	uint64_t pos = sp + 8;
	for (int i = 0; i < a->argc + 1 + a->envc + 1 && r == 0; i++, pos += 8)
		r = mm_copy_out(mm, pos, &argp[i], 8);
	if (r == 0)
		r = mm_copy_out(mm, pos, auxv, auxv_bytes);
	free(argp);
	if (r < 0)
		goto out;
	_Static_assert(sizeof(auxv_all) <= sizeof(res->auxv), "auxv fits");
	memcpy(res->auxv, auxv, auxv_bytes);
	res->auxv_len = auxv_bytes;
	res->entry = interp ? interp->eh.e_entry + interp->bias : exe->eh.e_entry + exe->bias;
	res->brk = exe->end;
	res->nhot = 0;
	hot_add(res, res->entry, PROT_READ);
	hot_add(res, PAGE_ROUND_DOWN(sp), PROT_WRITE);
	if (exe->phdr_addr)
		hot_add(res, PAGE_ROUND_DOWN(exe->phdr_addr), PROT_READ);
	if (interp)
		hot_add_rw(res, interp);
	hot_add_rw(res, exe);
	/* Then what every dynamic program reads next: the program's own
	 * entry (ld.so jumps there), the vDSO's ELF header (ld.so parses
	 * it), the stack page below the top (ld.so's frames), ld.so's other
	 * segments. */
	if (interp)
		hot_add(res, PAGE_ROUND_DOWN(exe->eh.e_entry + exe->bias), PROT_READ);
	if (vdso)
		hot_add(res, (uint64_t)vdso, PROT_READ);
	if (PAGE_ROUND_DOWN(sp) - PAGE_SIZE >= stack_lo)
		hot_add(res, PAGE_ROUND_DOWN(sp) - PAGE_SIZE, PROT_WRITE);
	if (interp)
		hot_add_ro(res, interp, res->entry);
	r = 0;
out:
	if (interp_file)
		interp_file->ops->put(interp_file);
	free(interp);
	free(exe);
	return r;
}
