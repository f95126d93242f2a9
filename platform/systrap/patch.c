/*
 * patch.c — the systrap side of syscall patching.
 *
 * A hot `mov $nr,%eax; syscall` of the app (b8 imm32 0f 05) costs a SIGSYS
 * per call.  The Sentry may rewrite its first 5 bytes into `call ENTRY`
 * (e8 rel32), ENTRY being entry nr of the patch table: `mov $nr,%eax`, then
 * a jump to the blob's trampoline (stub_patch.inc), which hands the syscall
 * to the Sentry as the handler does, with no signal.  The `syscall` that
 * follows stays: a thread stopped between the two old instructions runs it
 * (a plain SIGSYS), and the trampoline returns past it.
 *
 * A rel32 call reaches 2 GiB either way, so every stub maps the table twice
 * (systrap_layout.h): just above the app's half, for the libraries of the
 * mmap area and the top of the address space, and at ST_PATCH_LO, below the
 * app's mmap floor, for non-PIE executables (0x400000).  A site reaching
 * neither (a PIE executable at 0x555555554000) is not patched.
 *
 * Who decides what to patch, and writes the app's memory, is the Sentry
 * (sentry/kernel/syscall_patch.c, sentry/mm/patch_text.c): this only gives
 * it the bytes.
 */
#include "platform/systrap/systrap_internal.h"

#include "lib/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Can a stub map the low table?  The host's mmap floor
 * (vm.mmap_min_addr) decides; the Sentry's own process tells (an EEXIST
 * means the place is open, only taken here). */
static bool st_patch_lo_possible(void)
{
	void *m = mmap((void *)ST_PATCH_LO, ST_PATCH_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED)
		return errno == EEXIST;
	munmap(m, ST_PATCH_SIZE);
	return m == (void *)ST_PATCH_LO;
}

void st_patch_init(struct st_platform *sp)
{
	const char *on = getenv("VISOR_SYSCALL_PATCH");
	sp->patch = on && strcmp(on, "1") == 0;
	sp->patch_lo = sp->patch && st_patch_lo_possible();
	uint8_t *t = sp->patch_table;
	memset(t, 0xcc, ST_PATCH_SIZE); /* int3 between entries */
	for (uint32_t nr = 0; nr < ST_PATCH_NR; nr++) {
		uint8_t *e = t + nr * ST_PATCH_ENTRY;
		e[0] = 0xb8; /* mov $nr, %eax */
		memcpy(e + 1, &nr, 4);
		e[5] = 0xe9; /* jmp rel32 to the tail */
		int32_t rel = (int32_t)(ST_PATCH_TAIL - (nr * ST_PATCH_ENTRY + 10));
		memcpy(e + 6, &rel, 4);
	}
	uint8_t *tail = t + ST_PATCH_TAIL;
	uint64_t tramp = st_patch_entry_addr(sp);
	tail[0] = 0x48; /* movabs $tramp, %rcx */
	tail[1] = 0xb9;
	memcpy(tail + 2, &tramp, 8);
	tail[10] = 0xff; /* jmp *%rcx */
	tail[11] = 0xe1;
	uint8_t *fn = t + ST_PATCH_SYSCALL_FN;
	static const uint8_t load_r9[5] = {0x4c, 0x8b, 0x4c, 0x24, 0x10}; /* mov 0x10(%rsp),%r9 */
	memcpy(fn, load_r9, sizeof(load_r9));
	fn[5] = 0xe9;
	int32_t rel = (int32_t)(ST_PATCH_TAIL - (ST_PATCH_SYSCALL_FN + 10));
	memcpy(fn + 6, &rel, 4);
	if (sp->patch)
		log_info("systrap: syscall patching on (VISOR_SYSCALL_PATCH=1)");
}

/* rel32 from the end of a 5-byte call at site to table + nr's entry, if in reach. */
static bool st_patch_rel(uint64_t site, uint64_t table, uint32_t nr, int32_t *rel)
{
	uint64_t entry = nr == PLAT_PATCH_SYSCALL_FN ? ST_PATCH_SYSCALL_FN
						     : (uint64_t)nr * ST_PATCH_ENTRY;
	int64_t d = (int64_t)(table + entry) - (int64_t)(site + 5);
	if (d < INT32_MIN || d > INT32_MAX)
		return false;
	*rel = (int32_t)d;
	return true;
}

int st_patch_call(const struct st_platform *sp, uint64_t site, uint32_t nr, uint8_t call[5])
{
	if (!sp->patch || (nr >= ST_PATCH_NR && nr != PLAT_PATCH_SYSCALL_FN))
		return -ENOENT;
	int32_t rel;
	if (!st_patch_rel(site, ST_PATCH_HI, nr, &rel) &&
	    !(sp->patch_lo && st_patch_rel(site, ST_PATCH_LO, nr, &rel)))
		return -ERANGE;
	call[0] = 0xe8;
	memcpy(call + 1, &rel, 4);
	return 0;
}
