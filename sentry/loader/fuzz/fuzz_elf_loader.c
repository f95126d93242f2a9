/*
 * fuzz_elf_loader.c — libFuzzer target for the ELF loader
 * (sentry/loader/loader.c): ELF and program headers, PT_INTERP paths and
 * segment layouts as an app-supplied executable gives them, loaded into a
 * real mm (sentry/mm) over a fake platform that checks every mapping it is
 * asked for.
 *
 * Input: le16 n, then n bytes of executable; the rest is the interpreter
 * (what PT_INTERP opens, whatever its path).  Checked: the load succeeds or
 * fails with an errno (ENOEXEC, ELIBBAD, ENOMEM, EFAULT, EINVAL, EPERM below
 * mmap_min_addr, EOVERFLOW for offsets past the largest file...), the platform is only asked for page-aligned, non-empty
 * ranges below PLAT_APP_TOP, a success leaves the entry and stack inside
 * the app's range, and tearing the mm down frees every page (no leak).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/page.h"
#include "platform/platform.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"

struct addr_space {
	int unused;
};

static void check_range(uint64_t addr, uint64_t len)
{
	if ((addr | len) % PAGE_SIZE || !len || addr + len < addr || addr + len > PLAT_APP_TOP)
		abort();
}

static struct addr_space *f_new_as(struct platform *p) { return calloc(1, sizeof(struct addr_space)); }
static int f_map(struct addr_space *as, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
	check_range(addr, len);
	if (off % PAGE_SIZE)
		abort();
	return 0;
}
static int f_unmap(struct addr_space *as, uint64_t addr, uint64_t len)
{
	check_range(addr, len);
	return 0;
}
static int f_protect(struct addr_space *as, uint64_t addr, uint64_t len, int prot)
{
	check_range(addr, len);
	return 0;
}
static int f_prepare_thread(struct addr_space *as) { return 0; }
static void f_release(struct addr_space *as) { free(as); }

static const struct platform_ops f_ops = {
	.name = "fuzz",
	.new_addr_space = f_new_as,
	.as_map = f_map,
	.as_unmap = f_unmap,
	.as_protect = f_protect,
	.as_prepare_thread = f_prepare_thread,
	.as_release = f_release,
};
static struct platform plat = {.ops = &f_ops, .memfd = -1};

/* An mm_file over bytes in memory. */
struct bytes_file {
	struct mm_file mf;
	const uint8_t *p;
	size_t len;
	int refs;
};
static void bf_get(struct mm_file *f) { ((struct bytes_file *)f)->refs++; }
static void bf_put(struct mm_file *f)
{
	struct bytes_file *b = (struct bytes_file *)f;
	if (--b->refs < 0)
		abort();
}
static ssize_t bf_pread(struct mm_file *f, void *buf, size_t len, uint64_t off)
{
	struct bytes_file *b = (struct bytes_file *)f;
	if (off >= b->len)
		return 0;
	if (len > b->len - off)
		len = b->len - off;
	memcpy(buf, b->p + off, len);
	return (ssize_t)len;
}
static int64_t bf_size(struct mm_file *f) { return (int64_t)((struct bytes_file *)f)->len; }
static const struct mm_file_ops bf_ops = {
	.get = bf_get, .put = bf_put, .pread = bf_pread, .size = bf_size,
};

static struct bytes_file interp;
static int interp_opens;

static struct mm_file *open_interp(void *arg, const char *path, int *err)
{
	if (!path[0] || strlen(path) > 4095)
		abort();
	interp_opens++;
	interp.refs++;
	return &interp.mf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct memfile *mf;
	if (!mf) {
		log_init(-1, 0, LOG_ERROR);
		if (memfile_new(1ULL << 30, &mf) < 0)
			abort();
	}
	if (size < 2)
		return 0;
	size_t n = (size_t)data[0] | (size_t)data[1] << 8;
	data += 2;
	size -= 2;
	if (n > size)
		n = size;
	struct bytes_file exe = {.mf = {.ops = &bf_ops, .name = "exe"}, .p = data, .len = n, .refs = 1};
	interp = (struct bytes_file){
		.mf = {.ops = &bf_ops, .name = "interp"}, .p = data + n, .len = size - n, .refs = 0};
	interp_opens = 0;
	struct mm *mm = mm_new(mf, &plat);
	if (!mm)
		abort();
	char *argv[] = {"prog", "arg", NULL};
	char *envp[] = {"A=b", NULL};
	struct loader_args a = {
		.exe = &exe.mf,
		.open_interp = open_interp,
		.argv = argv,
		.argc = 2,
		.envp = envp,
		.envc = 1,
		.execfn = "/prog",
		.stack_limit = 8 << 20,
	};
	struct loader_result res;
	int r = loader_load(mm, &a, &res);
	if (r == 0) {
		if (res.stack >= PLAT_APP_TOP || res.stack % 16 || res.auxv_len > sizeof(res.auxv))
			abort();
		uint64_t argc = 0;
		if (mm_copy_in(mm, &argc, res.stack, 8) < 0 || argc != 2)
			abort();
	} else if (r >= 0 || r < -4095) {
		fprintf(stderr, "loader_load: unexpected %d\n", r);
		abort();
	}
	mm_put(mm);
	if (memfile_used(mf) != 0)
		abort(); /* pages leaked */
	if (exe.refs != 1 || interp.refs != 0)
		abort(); /* a file reference leaked or was dropped twice */
	return 0;
}
