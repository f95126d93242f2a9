/*
 * page.h — the page size and page arithmetic, one definition for every layer:
 * the Sentry's mm and loader, the platforms, the netstack.  A leaf: it
 * includes nothing and knows nothing of the Sentry, so platform/ and
 * netstack/ may use it.
 *
 * visor runs x86_64 apps on x86_64 hosts only, with 4 KiB pages (the page
 * size apps see in AT_PAGESZ, and the one the platforms map host memory in).
 *
 * glibc's <sys/user.h>, which platform.h includes for the register layout,
 * defines PAGE_SHIFT, PAGE_SIZE and PAGE_MASK too.  The three below are
 * spelled token for token as there, so that C's rule for an identical
 * redefinition lets either header come first; hence no clang-format here.
 * The type is unsigned long, that is uint64_t.
 */
#ifndef VISOR_LIB_PAGE_H
#define VISOR_LIB_PAGE_H

/* clang-format off */
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE-1))
/* clang-format on */

/* x rounded down / up to a page boundary.  Rounding up wraps to 0 for x in
 * the last page below 2^64: a caller rounding a length from the app checks
 * the result (mm takes 0 for "too large", as Linux's PAGE_ALIGN overflow). */
#define PAGE_ROUND_DOWN(x) ((x)&PAGE_MASK)
#define PAGE_ROUND_UP(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
/* The offset of x in its page (Linux's offset_in_page), and whether x is on
 * a page boundary. */
#define OFFSET_IN_PAGE(x) ((x) & ~PAGE_MASK)
#define PAGE_ALIGNED(x) (OFFSET_IN_PAGE(x) == 0)

#endif
