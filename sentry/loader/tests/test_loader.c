/* Unit tests for the ELF loader (sentry/loader): real executables from the
 * host (read by this test through an mm_file over a host fd, standing in for
 * the Gofer), loaded into a real mm over the harness's fake platform. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sentry/loader/loader.h"
#include "sentry/tests/harness.h"

/* ---- an mm_file over a host fd ---- */
struct hostfile {
	struct mm_file mf;
	int fd;
	int refs;
};
static void hf_get(struct mm_file *f) { ((struct hostfile *)f)->refs++; }
static void hf_put(struct mm_file *f)
{
	struct hostfile *h = (struct hostfile *)f;
	if (--h->refs == 0) {
		close(h->fd);
		free(h);
	}
}
static ssize_t hf_pread(struct mm_file *f, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(((struct hostfile *)f)->fd, buf, len, (off_t)off);
	return n < 0 ? -errno : n;
}
static int64_t hf_size(struct mm_file *f)
{
	return lseek(((struct hostfile *)f)->fd, 0, SEEK_END);
}
static const struct mm_file_ops hf_ops = {
	.get = hf_get, .put = hf_put, .pread = hf_pread, .size = hf_size,
};

static struct mm_file *hostfile_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct hostfile *h = calloc(1, sizeof(*h));
	h->mf.ops = &hf_ops;
	h->mf.name = (char *)path;
	h->fd = fd;
	h->refs = 1;
	return &h->mf;
}

static struct mm_file *hostfile_from_bytes(const void *data, size_t len)
{
	int fd = memfd_create("elf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	struct hostfile *h = calloc(1, sizeof(*h));
	h->mf.ops = &hf_ops;
	h->mf.name = "bytes";
	h->fd = fd;
	h->refs = 1;
	return &h->mf;
}

static int interp_opened;
static struct mm_file *open_interp(void *arg, const char *path, int *err)
{
	interp_opened++;
	struct mm_file *f = hostfile_open(path);
	if (!f)
		*err = -errno;
	return f;
}

struct env {
	struct memfile *mf;
	struct mm *mm;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (memfile_new(1ULL << 30, &e->mf) < 0)
		return -1;
	e->mm = mm_new(e->mf, &fake_plat);
	*state = e;
	return e->mm ? 0 : -1;
}

static int teardown(void **state)
{
	struct env *e = *state;
	mm_put(e->mm);
	assert_int_equal(memfile_used(e->mf), 0);
	memfile_free(e->mf);
	free(e);
	return 0;
}

static uint64_t auxv_get(struct mm *mm, uint64_t sp, int argc, int envc, uint64_t type)
{
	uint64_t pos = sp + 8 + (uint64_t)(argc + 1 + envc + 1) * 8;
	for (int i = 0; i < 64; i++, pos += 16) {
		uint64_t kv[2];
		assert_int_equal(mm_copy_in(mm, kv, pos, sizeof(kv)), 0);
		if (kv[0] == type)
			return kv[1];
		if (kv[0] == AT_NULL)
			break;
	}
	return (uint64_t)-1;
}

static void load(struct env *e, struct mm_file *exe, char **argv, int argc, char **envp, int envc,
		 struct loader_result *res, int expect)
{
	struct loader_args a = {
		.exe = exe, .open_interp = open_interp, .argv = argv, .argc = argc,
		.envp = envp, .envc = envc, .execfn = argv[0], .uid = 1, .euid = 2, .gid = 3,
		.egid = 4,
	};
	assert_int_equal(loader_load(e->mm, &a, res), expect);
}

static void test_static_exec_stack_and_auxv(void **state)
{
	struct env *e = *state;
	struct mm_file *exe = hostfile_open("/bin/busybox");
	if (!exe)
		skip();
	char *argv[] = {"/bin/busybox", "echo", "hi"};
	char *envp[] = {"A=1", "PATH=/bin"};
	struct loader_result res;
	interp_opened = 0;
	load(e, exe, argv, 3, envp, 2, &res, 0);
	exe->ops->put(exe);
	assert_int_equal(interp_opened, 0);
	assert_int_equal(res.stack % 16, 0);
	uint64_t argc;
	assert_int_equal(mm_copy_in(e->mm, &argc, res.stack, 8), 0);
	assert_int_equal(argc, 3);
	char buf[64];
	uint64_t p;
	assert_int_equal(mm_copy_in(e->mm, &p, res.stack + 16, 8), 0);
	assert_true(mm_copy_string_in(e->mm, buf, p, sizeof(buf)) > 0);
	assert_string_equal(buf, "echo");
	assert_int_equal(mm_copy_in(e->mm, &p, res.stack + 8 + 4 * 8 + 8, 8), 0);
	assert_true(mm_copy_string_in(e->mm, buf, p, sizeof(buf)) > 0);
	assert_string_equal(buf, "PATH=/bin");
	/* The entry point is busybox's own (no interpreter) and its code is
	 * readable at it. */
	Elf64_Ehdr eh;
	int fd = open("/bin/busybox", O_RDONLY);
	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	close(fd);
	assert_int_equal(res.entry, eh.e_entry);
	assert_int_equal(auxv_get(e->mm, res.stack, 3, 2, AT_ENTRY), eh.e_entry);
	assert_int_equal(auxv_get(e->mm, res.stack, 3, 2, AT_BASE), 0);
	assert_int_equal(auxv_get(e->mm, res.stack, 3, 2, AT_PAGESZ), 4096);
	assert_int_equal(auxv_get(e->mm, res.stack, 3, 2, AT_EUID), 2);
	Elf64_Phdr ph0;
	uint64_t phdr = auxv_get(e->mm, res.stack, 3, 2, AT_PHDR);
	assert_int_equal(mm_copy_in(e->mm, &ph0, phdr, sizeof(ph0)), 0);
	assert_int_equal(auxv_get(e->mm, res.stack, 3, 2, AT_PHNUM), eh.e_phnum);
	uint8_t code[4];
	assert_int_equal(mm_copy_in(e->mm, code, res.entry, sizeof(code)), 0);
	/* The heap starts after the data segment. */
	assert_true(res.brk > eh.e_entry);
	assert_int_equal(mm_brk(e->mm, 0), res.brk);
	/* Text is not writable by the app. */
	assert_int_equal(mm_copy_out(e->mm, res.entry, "x", 1), -EFAULT);
}

/* A stand-in for vdso_map: one anonymous page where mmap puts it. */
static int vdso_maps;
static int64_t fake_map_vdso(struct mm *mm, void *arg)
{
	vdso_maps++;
	return mm_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
}

static void test_vdso_address_is_first_in_auxv(void **state)
{
	struct env *e = *state;
	struct mm_file *exe = hostfile_open("/bin/busybox");
	if (!exe)
		skip();
	char *argv[] = {"/bin/busybox"};
	struct loader_result res;
	/* Without a vDSO: no AT_SYSINFO_EHDR at all. */
	load(e, exe, argv, 1, NULL, 0, &res, 0);
	assert_int_equal(auxv_get(e->mm, res.stack, 1, 0, AT_SYSINFO_EHDR), (uint64_t)-1);
	assert_int_equal(res.auxv[0], AT_HWCAP);
	/* With one: the address map_vdso returned, first, as Linux's
	 * ARCH_DLINFO; /proc/PID/auxv's copy says the same. */
	mm_put(e->mm);
	e->mm = mm_new(e->mf, &fake_plat);
	struct loader_args a = {
		.exe = exe, .open_interp = open_interp, .argv = argv, .argc = 1,
		.execfn = argv[0], .map_vdso = fake_map_vdso,
	};
	vdso_maps = 0;
	assert_int_equal(loader_load(e->mm, &a, &res), 0);
	exe->ops->put(exe);
	assert_int_equal(vdso_maps, 1);
	uint64_t ehdr = auxv_get(e->mm, res.stack, 1, 0, AT_SYSINFO_EHDR);
	assert_true(ehdr != (uint64_t)-1 && ehdr != 0 && ehdr % PAGE_SIZE == 0);
	assert_true(mm_range_mapped(e->mm, ehdr, ehdr + PAGE_SIZE));
	assert_int_equal(res.auxv[0], AT_SYSINFO_EHDR);
	assert_int_equal(res.auxv[1], ehdr);
	assert_int_equal(auxv_get(e->mm, res.stack, 1, 0, AT_PAGESZ), 4096);
}

static void test_dynamic_exec_loads_interpreter(void **state)
{
	struct env *e = *state;
	struct mm_file *exe = hostfile_open("/bin/true");
	if (!exe)
		skip();
	char *argv[] = {"/bin/true"};
	struct loader_result res;
	interp_opened = 0;
	load(e, exe, argv, 1, NULL, 0, &res, 0);
	exe->ops->put(exe);
	assert_int_equal(interp_opened, 1);
	uint64_t base = auxv_get(e->mm, res.stack, 1, 0, AT_BASE);
	assert_true(base != 0 && base != (uint64_t)-1);
	/* PIE goes at Linux's ELF_ET_DYN_BASE; the interpreter elsewhere. */
	uint64_t entry = auxv_get(e->mm, res.stack, 1, 0, AT_ENTRY);
	assert_true(entry >= 0x555555554000ULL && entry < 0x555555554000ULL + (64 << 20));
	assert_true(res.entry >= base && res.entry < base + (16 << 20));
}

/* The pages a new program touches first (loader_result.hot): the entry
 * (read), the stack top (write), the program headers (read), the writable
 * file pages of ld.so and of the program (write), then the program's entry
 * (read), the stack's second page (write) and ld.so's other segments
 * (read), each mapped. */
static void test_hot_pages_of_a_dynamic_exec(void **state)
{
	struct env *e = *state;
	struct mm_file *exe = hostfile_open("/bin/true");
	if (!exe)
		skip();
	char *argv[] = {"/bin/true"};
	struct loader_result res;
	load(e, exe, argv, 1, NULL, 0, &res, 0);
	exe->ops->put(exe);
	assert_true(res.nhot >= 8 && res.nhot <= LOADER_HOT_MAX);
	assert_int_equal(res.hot[0].addr, res.entry);
	assert_int_equal(res.hot[0].access, PROT_READ);
	uint64_t top = res.stack & ~(uint64_t)(PAGE_SIZE - 1);
	assert_int_equal(res.hot[1].addr, top);
	assert_int_equal(res.hot[1].access, PROT_WRITE);
	uint64_t phdr = auxv_get(e->mm, res.stack, 1, 0, AT_PHDR);
	assert_int_equal(res.hot[2].addr, phdr & ~(uint64_t)(PAGE_SIZE - 1));
	uint64_t base = auxv_get(e->mm, res.stack, 1, 0, AT_BASE);
	uint64_t entry = auxv_get(e->mm, res.stack, 1, 0, AT_ENTRY) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t ld_entry = res.entry & ~(uint64_t)(PAGE_SIZE - 1);
	int rw_interp = 0, rw_exe = 0, ro_interp = 0, saw_entry = 0, saw_stack2 = 0;
	bool reads = false;
	for (int i = 3; i < res.nhot; i++) {
		uint64_t a = res.hot[i].addr;
		assert_int_equal(a % PAGE_SIZE, 0);
		assert_true(mm_range_mapped(e->mm, a, a + PAGE_SIZE));
		bool in_interp = a >= base && a < base + (16 << 20);
		if (a == top - PAGE_SIZE) {
			assert_int_equal(res.hot[i].access, PROT_WRITE);
			saw_stack2++;
		} else if (res.hot[i].access == PROT_READ) {
			reads = true;
			if (a == entry)
				saw_entry++;
			else if (in_interp && a != ld_entry)
				ro_interp++;
			else
				fail_msg("hot read page %#lx is neither the entry nor ld.so's",
					 (unsigned long)a);
		} else {
			/* The writable pages come first, before any read. */
			assert_int_equal(res.hot[i].access, PROT_WRITE);
			assert_false(reads);
			if (in_interp)
				rw_interp++;
			else
				rw_exe++;
		}
	}
	assert_true(rw_interp >= 1 && rw_interp <= LOADER_HOT_RW_PAGES);
	assert_true(rw_exe >= 1 && rw_exe <= LOADER_HOT_RW_PAGES);
	assert_int_equal(saw_entry, 1);
	assert_int_equal(saw_stack2, 1);
	assert_true(ro_interp >= 1);
}

static void test_garbage_is_enoexec(void **state)
{
	struct env *e = *state;
	char junk[512];
	memset(junk, 'A', sizeof(junk));
	struct mm_file *f = hostfile_from_bytes(junk, sizeof(junk));
	char *argv[] = {"x"};
	struct loader_result res;
	load(e, f, argv, 1, NULL, 0, &res, -ENOEXEC);
	f->ops->put(f);
	/* An empty file too. */
	f = hostfile_from_bytes("", 0);
	load(e, f, argv, 1, NULL, 0, &res, -ENOEXEC);
	f->ops->put(f);
}

static void test_wrong_class_and_truncated_headers_are_enoexec(void **state)
{
	struct env *e = *state;
	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_machine = EM_X86_64;
	eh.e_type = ET_EXEC;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 1;
	eh.e_phoff = sizeof(eh);
	char *argv[] = {"x"};
	struct loader_result res;
	struct mm_file *f = hostfile_from_bytes(&eh, sizeof(eh));
	load(e, f, argv, 1, NULL, 0, &res, -ENOEXEC);
	f->ops->put(f);
	/* Right class, but the program headers are cut off. */
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	f = hostfile_from_bytes(&eh, sizeof(eh));
	load(e, f, argv, 1, NULL, 0, &res, -ENOEXEC);
	f->ops->put(f);
	/* Absurd phnum. */
	eh.e_phnum = 5000;
	f = hostfile_from_bytes(&eh, sizeof(eh));
	load(e, f, argv, 1, NULL, 0, &res, -ENOEXEC);
	f->ops->put(f);
}

static void test_filesz_larger_than_memsz_is_enoexec(void **state)
{
	struct env *e = *state;
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
	} img;
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_type = ET_EXEC;
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = 1;
	img.eh.e_phoff = sizeof(Elf64_Ehdr);
	img.ph.p_type = PT_LOAD;
	img.ph.p_vaddr = 0x400000;
	img.ph.p_filesz = 0x2000;
	img.ph.p_memsz = 0x1000;
	char *argv[] = {"x"};
	struct loader_result res;
	struct mm_file *f = hostfile_from_bytes(&img, sizeof(img));
	load(e, f, argv, 1, NULL, 0, &res, -ENOEXEC);
	f->ops->put(f);
}

static void test_bad_interpreter_is_elibbad(void **state)
{
	struct env *e = *state;
	/* An ELF whose PT_INTERP names a file that is not ELF. */
	char path[] = "/tmp/visor-interp-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[2];
		char interp[32];
	} img;
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_type = ET_EXEC;
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = 2;
	img.eh.e_phoff = sizeof(Elf64_Ehdr);
	img.ph[0].p_type = PT_INTERP;
	img.ph[0].p_offset = offsetof(__typeof__(img), interp);
	img.ph[0].p_filesz = strlen(path) + 1;
	img.ph[1].p_type = PT_LOAD;
	img.ph[1].p_vaddr = 0x400000;
	img.ph[1].p_filesz = sizeof(img);
	img.ph[1].p_memsz = sizeof(img);
	img.ph[1].p_flags = PF_R | PF_X;
	strcpy(img.interp, path);
	char *argv[] = {"x"};
	struct loader_result res;
	struct mm_file *f = hostfile_from_bytes(&img, sizeof(img));
	load(e, f, argv, 1, NULL, 0, &res, -ELIBBAD);
	/* A missing interpreter is ENOENT. */
	unlink(path);
	load(e, f, argv, 1, NULL, 0, &res, -ENOENT);
	f->ops->put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_static_exec_stack_and_auxv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynamic_exec_loads_interpreter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_pages_of_a_dynamic_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdso_address_is_first_in_auxv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_is_enoexec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_class_and_truncated_headers_are_enoexec,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_filesz_larger_than_memsz_is_enoexec, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_interpreter_is_elibbad, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
