/*
 * fuzz_sigreturn.c — libFuzzer target for reading a signal frame back at
 * rt_sigreturn (sentry/kernel/sigframe.c): the registers, FPU/XSAVE area,
 * mask and alternate stack an app hands the Sentry, from a fake address
 * space (a real mm over a fake platform) holding the input.
 *
 * Input: u8 cfg (bits 0-2: the CPU's XSAVE layout from a table, bit 3: the
 * fpstate pointer is rebased into the buffer, bit 4: the frame is placed at
 * the end of the buffer so it runs off the mapping), le16 frame offset, then
 * the bytes of a 64 KiB buffer mapped at BUF.  Checked: an unreadable frame
 * changes nothing; otherwise only the registers sigreturn restores change,
 * eflags only in FIX_EFLAGS, orig_rax is -1, and an accepted FPU state is
 * one XRSTOR would take (MXCSR within the mask, XSTATE_BV within XCR0, a
 * zero XCOMP_BV).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "lib/page.h"
#include "sentry/kernel/sigframe.h"
#include "sentry/mm/memfile.h"

#define BUF 0x10000000ULL
#define BUF_LEN 0x10000ULL

struct addr_space {
	int unused;
};
static struct addr_space *f_new_as(struct platform *p) { return calloc(1, sizeof(struct addr_space)); }
static int f_map(struct addr_space *as, uint64_t addr, uint64_t len, int prot, uint64_t off) { return 0; }
static int f_unmap(struct addr_space *as, uint64_t addr, uint64_t len) { return 0; }
static int f_protect(struct addr_space *as, uint64_t addr, uint64_t len, int prot) { return 0; }
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

/* XSAVE layouts: none (FXSAVE only), AVX, AVX-512, AMX, and the largest
 * area a plat_fpregs_t holds. */
static const struct {
	uint32_t size;
	uint64_t features;
	uint32_t mxcsr_mask;
} layouts[8] = {
	{512, 0, 0xffbf},	  {832, 0x7, 0xffff},	    {2696, 0xe7, 0xffff},
	{11008, 0x602e7, 0xffff}, {PLAT_XSTATE_MAX, 0x7, 0xffff}, {576, 0x3, 0xffbf},
	{1088, 0x207, 0x2ffff},	  {2440, 0x1f, 0xffff},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct memfile *mf;
	if (!mf) {
		log_init(-1, 0, LOG_ERROR);
		if (memfile_new(64ULL << 20, &mf) < 0)
			abort();
	}
	if (size < 3)
		return 0;
	uint8_t cfg = data[0];
	uint64_t off = (uint64_t)data[1] | (uint64_t)data[2] << 8;
	data += 3;
	size -= 3;
	struct platform plat = {.ops = &f_ops, .memfd = -1};
	plat.xstate_size = layouts[cfg & 7].size;
	plat.xstate_features = layouts[cfg & 7].features;
	plat.mxcsr_mask = layouts[cfg & 7].mxcsr_mask;
	struct mm *mm = mm_new(mf, &plat);
	if (!mm)
		abort();
	if (mm_mmap(mm, BUF, BUF_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    NULL, 0) != (int64_t)BUF)
		abort();
	size_t n = size < BUF_LEN ? size : BUF_LEN;
	uint64_t frame = (cfg & 16) ? BUF + BUF_LEN - (off % 1024) : BUF + off;
	static uint8_t buf[BUF_LEN];
	memset(buf, 0, sizeof(buf));
	memcpy(buf, data, n);
	if (cfg & 8) {
		/* Point fpstate into the buffer, where the fuzzer's bytes are. */
		uint64_t fo = frame - BUF + 8 + offsetof(struct k_ucontext, uc_mcontext) +
			      offsetof(struct k_sigcontext, fpstate);
		if (fo + 8 <= BUF_LEN) {
			uint64_t v;
			memcpy(&v, buf + fo, 8);
			v = BUF + (v % BUF_LEN);
			memcpy(buf + fo, &v, 8);
		}
	}
	if (mm_copy_out(mm, BUF, buf, BUF_LEN) < 0)
		abort();

	plat_regs_t before, r;
	memset(&before, 0xa5, sizeof(before));
	before.eflags = 0x202;
	r = before;
	/* On the heap, exactly its size, as signal.c allocates it. */
	plat_fpregs_t *fp = malloc(sizeof(*fp));
	if (!fp)
		abort();
	memset(fp, 0x5a, sizeof(*fp));
	uint64_t mask = 0x1234;
	stack_t ss = {.ss_flags = 77};
	int res = sigframe_restore(mm, &plat, frame, &r, fp, &mask, &ss);
	if (res == SIGFRAME_UNREADABLE) {
		if (memcmp(&r, &before, sizeof(r)) || mask != 0x1234 || ss.ss_flags != 77)
			abort();
	} else if (res == SIGFRAME_OK || res == SIGFRAME_BAD_FPSTATE) {
		if (r.orig_rax != (uint64_t)-1 || r.cs != before.cs || r.ss != before.ss ||
		    r.fs_base != before.fs_base || r.gs_base != before.gs_base ||
		    r.ds != before.ds || r.es != before.es || r.fs != before.fs || r.gs != before.gs)
			abort();
		if ((r.eflags ^ before.eflags) & ~SIGFRAME_FIX_EFLAGS)
			abort();
		if (fp->fx.mxcsr & ~plat.mxcsr_mask)
			abort();
		if (plat.xstate_features) {
			uint64_t hdr[3];
			memcpy(hdr, fp->bytes + PLAT_XSTATE_HEADER, sizeof(hdr));
			if ((hdr[0] & ~plat.xstate_features) || hdr[1] || hdr[2])
				abort();
		}
	} else {
		abort();
	}
	free(fp);
	mm_put(mm);
	if (memfile_used(mf) != 0)
		abort();
	return 0;
}
